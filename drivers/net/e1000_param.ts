/**
 * The e1000 module's parameters (Linux drivers/net/ethernet/intel/e1000/e1000_param.c):
 * RxDescriptors, TxDescriptors, InterruptThrottleRate (e1000_itr.ts), copybreak, and ringzero's
 * inject_fault for the probe's error paths. Validated once at module load (process context).
 */
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pr_info } from "../../kernel/printk.ts";
import { E1000_DEFAULT_RXD, E1000_DEFAULT_TXD, E1000_MAX_RXD, E1000_MAX_TXD, E1000_MIN_RXD, E1000_MIN_TXD, REQ_RX_DESCRIPTOR_MULTIPLE } from "./e1000_hw.ts";
import { DEFAULT_ITR, E1000_START_ITR, e1000_check_itr_option } from "./e1000_itr.ts";

/** Linux's COPYBREAK_DEFAULT: frames of up to 256 bytes are copied out of the receive buffer. */
export const COPYBREAK_DEFAULT = 256;

export class E1000Params {
  rx_descriptors = E1000_DEFAULT_RXD;
  tx_descriptors = E1000_DEFAULT_TXD;
  /** InterruptThrottleRate as parsed (e1000_itr.ts): the mode, and the rate it starts at. */
  itr_setting = DEFAULT_ITR;
  itr = E1000_START_ITR;
  /**
   * Make probe fail at a named stage, for testing the error paths (what Linux's fault-injection
   * framework does): enable, iomap, alloc, reset, eeprom, tx_ring, rx_ring, rx_buffers, irq, register.
   */
  inject_fault = "";
  /** Received frames up to this long are copied into a fresh buffer and the mapped one reused (copybreak). */
  copybreak = COPYBREAK_DEFAULT;
}
export const e1000_params = DEFINE_PER_KERNEL(() => new E1000Params());
export const PROBE_STAGES = ["enable", "iomap", "alloc", "reset", "eeprom", "tx_ring", "rx_ring", "rx_buffers", "irq", "register"] as const;

/** Should probe fail at `stage` (the inject_fault parameter)? */
export function e1000_probe_fault(stage: (typeof PROBE_STAGES)[number]): boolean {
  return e1000_params.get().inject_fault === stage;
}

/** A ring size must lie in [min, max] and be a multiple of 8 (RDLEN/TDLEN count 128-byte units). */
export function valid_ring_size(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max && n % REQ_RX_DESCRIPTOR_MULTIPLE === 0;
}

/** One option as e1000_param.c describes it: its name in messages, its range and default. */
interface E1000RangeOption {
  readonly name: string;
  readonly def: number;
  readonly min: number;
  readonly max: number;
}

/**
 * e1000_validate_option(): a value in range is taken (and said so), anything else falls back to
 * the default with Linux's message naming the option. The module loader has already checked the
 * value parses as an integer (param_set_int).
 */
function e1000_validate_option(value: string | undefined, opt: E1000RangeOption): number {
  if (value === undefined) return opt.def;
  const v = Number(value);
  if (v >= opt.min && v <= opt.max) {
    pr_info("e1000: %s set to %d\n", opt.name, v);
    return v;
  }
  pr_info("e1000: Invalid %s value specified (%s) using default of %d\n", opt.name, value, opt.def);
  return opt.def;
}

const RXD_OPTION: E1000RangeOption = { name: "Receive Descriptors", def: E1000_DEFAULT_RXD, min: E1000_MIN_RXD, max: E1000_MAX_RXD };
const TXD_OPTION: E1000RangeOption = { name: "Transmit Descriptors", def: E1000_DEFAULT_TXD, min: E1000_MIN_TXD, max: E1000_MAX_TXD };

/** e1000_check_options(): every parameter validated, out-of-range ones replaced by their default. */
export function e1000_check_options(params: Readonly<Record<string, string>>): Pick<E1000Params, "rx_descriptors" | "tx_descriptors" | "itr_setting" | "itr" | "inject_fault" | "copybreak"> {
  // In range but not a multiple of 8: rounded up, as Linux's ALIGN(count, REQ_*_DESCRIPTOR_MULTIPLE).
  const align = (n: number): number => Math.ceil(n / REQ_RX_DESCRIPTOR_MULTIPLE) * REQ_RX_DESCRIPTOR_MULTIPLE;
  const rx = align(e1000_validate_option(params["RxDescriptors"], RXD_OPTION));
  const tx = align(e1000_validate_option(params["TxDescriptors"], TXD_OPTION));
  const { itr_setting, itr } = e1000_check_itr_option(params["InterruptThrottleRate"]);
  let f = params["inject_fault"] ?? "";
  if (f !== "" && !(PROBE_STAGES as readonly string[]).includes(f)) {
    pr_info("e1000: Invalid inject_fault value specified (%s) using default of none (valid: %s)\n", f, PROBE_STAGES.join(", "));
    f = "";
  }
  let copybreak = COPYBREAK_DEFAULT;
  if (params["copybreak"] !== undefined) {
    const v = Number(params["copybreak"]);
    if (v >= 0) copybreak = v;
    else pr_info("e1000: Invalid copybreak value specified (%s) using default of %d\n", params["copybreak"], COPYBREAK_DEFAULT);
  }
  return { rx_descriptors: rx, tx_descriptors: tx, itr_setting, itr, inject_fault: f, copybreak };
}
