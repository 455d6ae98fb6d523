/**
 * Interrupt throttling (≈ the ITR parts of Linux's e1000_main.c and e1000_param.c): the
 * InterruptThrottleRate modes, the dynamic algorithm that moves between three latency classes
 * from what each interrupt's poll moved, and the watchdog's "simplified" mode.
 *
 * itr_setting (the mode) and itr (interrupts per second now) are Linux's two adapter fields:
 *   0        throttling off (ITR register 0)
 *   1        dynamic: lowest_latency 70,000/s, low_latency 20,000/s, bulk_latency 4,000/s
 *   3        dynamic conservative (the default): as 1 without lowest_latency
 *   4        simplified: the watchdog picks 2,000–8,000/s from the TX/RX byte balance
 *   100..100000  fixed at that many interrupts per second (itr_setting = itr with the low two bits clear)
 * The low two bits of itr_setting select the dynamic modes (e1000_clean calls e1000_set_itr only when
 * they are set), which is why a fixed rate keeps them clear.
 *
 * Contexts: e1000_set_itr runs in NET_RX_SOFTIRQ at the end of a poll; e1000_itr_watchdog in process
 * context from the watchdog; the option parser at module load; the rest wherever the caller is.
 */
import { pr_info } from "../../kernel/printk.ts";
import type { E1000Adapter } from "./e1000_adapter.ts";
import { ew32 } from "./e1000_adapter.ts";
import { E1000_ITR } from "./e1000_hw.ts";

/** InterruptThrottleRate's default: dynamic conservative mode (e1000_param.c DEFAULT_ITR). */
export const DEFAULT_ITR = 3;
/** Fixed rates accepted by InterruptThrottleRate (ints/s). */
export const MIN_ITR = 100;
export const MAX_ITR = 100000;
/** ethtool rx-usecs limits for a fixed rate (e1000.h E1000_MIN/MAX_ITR_USECS). */
export const E1000_MIN_ITR_USECS = 10;
export const E1000_MAX_ITR_USECS = 10000;
/** The rate a dynamic mode starts at (and the low_latency class). */
export const E1000_START_ITR = 20000;

/** The latency classes of e1000_update_itr (Linux's enum latency_range). */
export const LATENCY_RANGE = { lowest_latency: 0, low_latency: 1, bulk_latency: 2, latency_invalid: 255 } as const;
const { lowest_latency, low_latency, bulk_latency } = LATENCY_RANGE;

/** Interrupts per second of each class (e1000_set_itr; update_itr's thresholds assume these). */
const LATENCY_ITR = [70000, 20000, 4000] as const;

/** ITR register value for `itr` interrupts per second: units of 256 ns (SDM 13.4.18), truncated as Linux's 1000000000 / (itr * 256). */
export function e1000_itr_reg(itr: number): number {
  return itr <= 0 ? 0 : Math.min(0xffff, Math.floor(1_000_000_000 / (itr * 256)));
}

/** Program ITR from adapter.itr unless throttling is off (e1000_configure_rx / set_coalesce). */
export function e1000_write_itr(adapter: E1000Adapter): void {
  ew32(adapter, E1000_ITR, adapter.itr_setting !== 0 ? e1000_itr_reg(adapter.itr) : 0);
}

/**
 * e1000_update_itr(): the next latency class for one direction, from the packets and bytes the
 * interrupt's polls moved. Few small frames push toward lowest_latency, many or large frames toward
 * bulk_latency; no traffic keeps the class. Pure function of its arguments.
 */
export function e1000_update_itr(itr_setting: number, packets: number, bytes: number): number {
  let retval = itr_setting;
  if (packets === 0) return retval;
  const per = Math.floor(bytes / packets);
  switch (itr_setting) {
    case lowest_latency:
      // jumbo frames get bulk treatment
      if (per > 8000) retval = bulk_latency;
      else if (packets < 5 && bytes > 512) retval = low_latency;
      break;
    case low_latency: // 50 us, 20,000 ints/s
      if (bytes > 10000) {
        if (per > 8000) retval = bulk_latency;
        else if (packets < 10 || per > 1200) retval = bulk_latency;
        else if (packets > 35) retval = lowest_latency;
      } else if (per > 2000) {
        retval = bulk_latency;
      } else if (packets <= 2 && bytes < 512) {
        retval = lowest_latency;
      }
      break;
    case bulk_latency: // 250 us, 4,000 ints/s
      if (bytes > 25000) {
        if (packets > 35) retval = low_latency;
      } else if (bytes < 6000) {
        retval = low_latency;
      }
      break;
  }
  return retval;
}

/**
 * e1000_set_itr(): at the end of an interrupt's polling (dynamic modes only), classify TX and RX
 * separately, take the slower class, and move the throttle there. A falling rate is applied at
 * once; a rising one in steps of a quarter of the target, which biases the rate toward bulk.
 * Not at gigabit: fixed at 4,000/s, as Linux. NET_RX_SOFTIRQ.
 */
export function e1000_set_itr(adapter: E1000Adapter): void {
  let new_itr = adapter.itr;
  if (adapter.link_speed !== 1000) {
    // for non-gigabit speeds, just fix the interrupt rate at 4000
    new_itr = 4000;
  } else {
    adapter.tx_itr = e1000_update_itr(adapter.tx_itr, adapter.total_tx_packets, adapter.total_tx_bytes);
    // conservative mode (itr 3) eliminates the lowest_latency setting
    if (adapter.itr_setting === 3 && adapter.tx_itr === lowest_latency) adapter.tx_itr = low_latency;
    adapter.rx_itr = e1000_update_itr(adapter.rx_itr, adapter.total_rx_packets, adapter.total_rx_bytes);
    if (adapter.itr_setting === 3 && adapter.rx_itr === lowest_latency) adapter.rx_itr = low_latency;
    const current_itr = Math.max(adapter.rx_itr, adapter.tx_itr);
    new_itr = LATENCY_ITR[current_itr as 0 | 1 | 2] ?? new_itr;
  }
  if (new_itr !== adapter.itr) {
    // this attempts to bias the interrupt rate towards bulk by adding intermediate steps when the
    // interrupt rate is increasing
    new_itr = new_itr > adapter.itr ? Math.min(adapter.itr + (new_itr >> 2), new_itr) : new_itr;
    adapter.itr = new_itr;
    ew32(adapter, E1000_ITR, e1000_itr_reg(new_itr));
  }
}

/**
 * The watchdog's "simple mode" (InterruptThrottleRate=4): symmetric TX/RX gets 2,000 ints/s, fully
 * one-sided traffic 8,000/s, everything else in between, from the good-octet counters the watchdog
 * just folded in (gotcl/gorcl, bytes since the previous run). Process context.
 */
export function e1000_itr_watchdog(adapter: E1000Adapter): void {
  if (adapter.itr_setting !== 4) return;
  const goc = Math.floor((adapter.gotcl + adapter.gorcl) / 10000);
  const dif = Math.floor(Math.abs(adapter.gotcl - adapter.gorcl) / 10000);
  const itr = goc > 0 ? Math.floor((dif * 6000) / goc) + 2000 : 8000;
  ew32(adapter, E1000_ITR, e1000_itr_reg(itr));
}

/** ethtool -c rx-usecs: the mode number for 0..4, else the fixed rate as microseconds. */
export function e1000_itr_to_usecs(itr_setting: number): number {
  return itr_setting <= 4 ? itr_setting : Math.floor(1_000_000 / itr_setting);
}

/**
 * ethtool -C rx-usecs (e1000_set_coalesce): 0 off, 1/3 dynamic, 4 simplified, 10..10000 a fixed
 * interval; 2 and 5..9 are refused (-EINVAL, returned as false). Takes effect at once.
 */
export function e1000_set_itr_usecs(adapter: E1000Adapter, usecs: number): boolean {
  if (!Number.isInteger(usecs) || usecs < 0 || usecs > E1000_MAX_ITR_USECS || (usecs > 4 && usecs < E1000_MIN_ITR_USECS) || usecs === 2) return false;
  if (usecs === 4) {
    adapter.itr = adapter.itr_setting = 4;
  } else if (usecs <= 3) {
    adapter.itr = E1000_START_ITR;
    adapter.itr_setting = usecs;
  } else {
    adapter.itr = Math.floor(1_000_000 / usecs);
    adapter.itr_setting = adapter.itr & ~3;
  }
  e1000_write_itr(adapter);
  return true;
}

/** The parsed InterruptThrottleRate: the mode and the rate to start at. */
export interface E1000ItrOption {
  readonly itr_setting: number;
  readonly itr: number;
}

/**
 * e1000_check_options()'s InterruptThrottleRate block, with Linux's messages. An out-of-range value
 * falls back to the default, dynamic conservative mode, as the message promises. (Linux's own code
 * there stores 3 as a fixed rate and so leaves throttling off; we do what it says instead.)
 */
export function e1000_check_itr_option(value: string | undefined): E1000ItrOption {
  const name = "Interrupt Throttling Rate (ints/sec)";
  if (value === undefined) return { itr_setting: DEFAULT_ITR, itr: E1000_START_ITR };
  const v = Number(value);
  switch (v) {
    case 0:
      pr_info("e1000: %s turned off\n", name);
      return { itr_setting: 0, itr: 0 };
    case 1:
      pr_info("e1000: %s set to dynamic mode\n", name);
      return { itr_setting: 1, itr: E1000_START_ITR };
    case 3:
      pr_info("e1000: %s set to dynamic conservative mode\n", name);
      return { itr_setting: 3, itr: E1000_START_ITR };
    case 4:
      pr_info("e1000: %s set to simplified (2000-8000) ints mode\n", name);
      return { itr_setting: 4, itr: 4 };
  }
  if (v >= MIN_ITR && v <= MAX_ITR) {
    pr_info("e1000: %s set to %d\n", name, v);
    // save the setting, because the dynamic bits change itr; the low two bits are the mode bits
    return { itr_setting: v & ~3, itr: v };
  }
  pr_info("e1000: Invalid %s value specified (%s) using default of %d\n", name, value, DEFAULT_ITR);
  return { itr_setting: DEFAULT_ITR, itr: E1000_START_ITR };
}
