import { ClockEvent, type VirtualClock } from "../clock.ts";
import type { E1000 } from "./e1000.ts";
import { EEPROM_WORDS, ICR_RXSEQ } from "./e1000_regs.ts";
import { e1000_start_xmit } from "./e1000_tx.ts";

/**
 * Fault injection for the 82540EM model: hardware misfortunes on demand, from the monitor
 * (`~inject FAULT[=ARG] [NIC]`, boot/monitor.ts) and from tests (`nic.inject_fault(name, arg)`).
 * Each fault imitates something the SDM describes the hardware doing (section beside it), so a
 * driver meets it through registers, PCI Status and interrupts exactly as it would on a real board.
 * `clear` disarms everything that is still pending and undoes the persistent ones (autoneg_fail,
 * eeprom_corrupt, tx_hang); surprise_removal is undone only by a machine reset, as on real hardware.
 */
export interface FaultDef {
  readonly name: string;
  /** What ARG means, or "" for none. */
  readonly arg: string;
  readonly help: string;
}

export const E1000_FAULTS: readonly FaultDef[] = [
  { name: "link_flap", arg: "", help: "link down (LSC), back up after autonegotiation (LSC) — a cable glitch (SDM 13.4.17 LSC, 8.1 PHY autoneg)" },
  { name: "rx_overrun", arg: "N (default 10)", help: "the next N frames overrun the receive FIFO: MPC, ICR.RXO (SDM 13.7 MPC, 13.4.17 RXO)" },
  { name: "rx_no_buffers", arg: "N (default 10)", help: "the next N frames find no descriptor and the RX FIFO full: RNBC, MPC, ICR.RXO (SDM 13.7 RNBC/MPC, 13.4.24 PBA)" },
  { name: "tx_hang", arg: "", help: "the transmitter stops fetching descriptors until CTRL.RST (the driver's Tx-hang watchdog resets)" },
  { name: "dma_abort", arg: "N (default 1)", help: "the next N DMAs (descriptor or buffer) master-abort, as for an address in a hole: PCI Status bit 13 (PCI 3.0 §6.2.3)" },
  { name: "surprise_removal", arg: "", help: "the card is gone: MMIO/IO/config read all ones, writes vanish, no DMA, INTx released (until machine reset)" },
  { name: "eeprom_corrupt", arg: "", help: "flip a bit of EEPROM word 0x10: the checksum (words 0x00-0x3F sum to 0xBABA, SDM 5.6.1) fails on the next probe" },
  { name: "irq_storm", arg: "DURATION (default 1s; ns/us/ms/s, bare number = ms)", help: "ICR.RXSEQ is raised every microsecond for DURATION (SDM 13.4.17): interrupts as fast as ITR allows" },
  { name: "autoneg_fail", arg: "", help: "autonegotiation never completes: link down until '~inject clear' or a PHY reset (SDM 8.1, MII BMSR bit 5)" },
  { name: "clear", arg: "", help: "disarm pending faults, restore the EEPROM, restart autonegotiation" },
];

/** How often irq_storm re-raises its cause. */
export const STORM_PERIOD_NS = 1_000;
/** The EEPROM word eeprom_corrupt flips (not the MAC, not the IDs: only the checksum notices). */
export const EEPROM_CORRUPT_WORD = 0x10;

/** Faults armed on one NIC. The data path reads these fields; only inject/clear write them. */
export class FaultState {
  /** Frames still to be lost to an injected FIFO overrun / lack of descriptors. */
  rx_overrun = 0;
  rx_no_buffers = 0;
  /** The transmitter is stuck (cleared by CTRL.RST). */
  tx_hang = false;
  /** DMAs still to master-abort. */
  dma_abort = 0;
  /** irq_storm ends at this virtual time. */
  storm_until = 0;
  /** The EEPROM word eeprom_corrupt changed, or -1. */
  eeprom_saved = -1;
  /** Faults injected so far, by name (for `~info network`). */
  readonly injected = new Map<string, number>();
  readonly storm_event: ClockEvent;

  constructor(storm: (now: number) => void) {
    this.storm_event = new ClockEvent("e1000-irq-storm", storm);
  }

  describe(): string {
    const armed: string[] = [];
    if (this.rx_overrun) armed.push(`rx_overrun=${this.rx_overrun}`);
    if (this.rx_no_buffers) armed.push(`rx_no_buffers=${this.rx_no_buffers}`);
    if (this.tx_hang) armed.push("tx_hang");
    if (this.dma_abort) armed.push(`dma_abort=${this.dma_abort}`);
    if (this.storm_event.armed) armed.push("irq_storm");
    if (this.eeprom_saved >= 0) armed.push("eeprom_corrupt");
    return armed.join(",");
  }
}

/** "1s", "500ms", "20us", "1000ns" or a bare number of milliseconds → ns, or null. */
export function parse_duration(arg: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s)?$/.exec(arg);
  if (m === null) return null;
  const v = Number(m[1]) * { ns: 1, us: 1e3, ms: 1e6, s: 1e9 }[(m[2] ?? "ms") as "ns" | "us" | "ms" | "s"];
  return v > 0 && v <= 3600e9 ? Math.round(v) : null;
}

function count_arg(arg: string | undefined, def: number): number | null {
  if (arg === undefined || arg === "") return def;
  if (!/^\d+$/.test(arg)) return null;
  const n = Number(arg);
  return n >= 1 && n <= 1_000_000 ? n : null;
}

/** The irq_storm clock event: raise RXSEQ, again a microsecond later until the storm is over. */
export function e1000_storm_tick(s: E1000, clock: VirtualClock): void {
  const f = s.faults;
  if (s.removed) return;
  s.set_ics(ICR_RXSEQ);
  const next = clock.now_ns() + STORM_PERIOD_NS;
  if (next < f.storm_until) clock.arm(f.storm_event, next);
}

/**
 * Inject fault `name` (with optional `arg`) into `s`. Returns "" on success or a one-line error.
 * Device context (monitor or test, between machine steps).
 */
export function e1000_inject_fault(s: E1000, name: string, arg?: string): string {
  const f = s.faults;
  if (s.removed && name !== "clear") return `${s.name}: the function was removed; only a machine reset brings it back`;
  const takes_arg = E1000_FAULTS.find((d) => d.name === name);
  if (takes_arg === undefined) return `unknown fault '${name}' (faults: ${E1000_FAULTS.map((d) => d.name).join(", ")})`;
  if (takes_arg.arg === "" && arg !== undefined && arg !== "") return `${name} takes no argument`;
  switch (name) {
    case "link_flap":
      // A cable glitch: the PHY loses the link partner and autonegotiates again (LSC on both edges).
      if (!s.phy.cable) return `${s.name}: no cable (the link is already down)`;
      if (s.phy.powered_down) return `${s.name}: the PHY is powered down (interface down?)`;
      s.phy.restart_autoneg();
      break;
    case "rx_overrun":
    case "rx_no_buffers": {
      const n = count_arg(arg, 10);
      if (n === null) return `${name}: N must be a number from 1 to 1000000`;
      if (name === "rx_overrun") f.rx_overrun += n;
      else f.rx_no_buffers += n;
      break;
    }
    case "tx_hang":
      f.tx_hang = true;
      break;
    case "dma_abort": {
      const n = count_arg(arg, 1);
      if (n === null) return `dma_abort: N must be a number from 1 to 1000000`;
      f.dma_abort += n;
      break;
    }
    case "surprise_removal":
      s.surprise_remove();
      break;
    case "eeprom_corrupt":
      if (f.eeprom_saved < 0) {
        f.eeprom_saved = s.eeprom[EEPROM_CORRUPT_WORD]!;
        s.eeprom[EEPROM_CORRUPT_WORD] = f.eeprom_saved ^ 0x0001;
      }
      break;
    case "irq_storm": {
      const ns = arg === undefined || arg === "" ? 1e9 : parse_duration(arg);
      if (ns === null) return `irq_storm: bad duration '${arg}' (e.g. 1s, 500ms, 200us)`;
      f.storm_until = s.clock.now_ns() + ns;
      if (!f.storm_event.armed) s.clock.arm(f.storm_event, s.clock.now_ns());
      break;
    }
    case "autoneg_fail":
      s.phy.autoneg_blocked = true;
      if (s.phy.cable && !s.phy.powered_down) s.phy.restart_autoneg();
      break;
    case "clear":
      e1000_clear_faults(s);
      return "";
  }
  f.injected.set(name, (f.injected.get(name) ?? 0) + 1);
  if (s.trace_on("interrupt")) s.trace("interrupt", `fault injected: ${name}${arg ? "=" + arg : ""}`);
  return "";
}

/** `~inject clear`: disarm and undo everything but a removal. */
export function e1000_clear_faults(s: E1000): void {
  const f = s.faults;
  f.rx_overrun = 0;
  f.rx_no_buffers = 0;
  f.tx_hang = false;
  f.dma_abort = 0;
  f.storm_until = 0;
  s.clock.disarm(f.storm_event);
  if (f.eeprom_saved >= 0 && EEPROM_CORRUPT_WORD < EEPROM_WORDS) {
    s.eeprom[EEPROM_CORRUPT_WORD] = f.eeprom_saved;
    f.eeprom_saved = -1;
  }
  if (s.phy.autoneg_blocked) {
    s.phy.autoneg_blocked = false;
    if (s.phy.cable && !s.phy.powered_down) s.phy.restart_autoneg();
  }
  e1000_start_xmit(s); // a transmitter held by tx_hang picks up where it stopped
}
