import type { E1000 } from "./e1000.ts";
import { REG, STAT } from "./e1000_regs.ts";

/**
 * What the 82540EM model tells the monitor about itself: register names for warnings and the
 * counter line of `~info network` (every place a frame can end inside the model, plus the model's
 * own health: DMA master aborts, model errors, removal, armed faults).
 */

/** The SDM mnemonic of BAR `bar` offset `off` (IODATA names the register IOADDR selects). */
export function e1000_reg_name(bar: number, off: number, ioaddr: number): string {
  if (bar === 1) return off === 0 ? "IOADDR" : off === 4 ? `IODATA (register 0x${(ioaddr & 0x1fffc).toString(16)})` : `I/O +0x${off.toString(16)}`;
  const aligned = off & ~3;
  for (const [k, v] of Object.entries(REG)) if (v === aligned) return `${k} (0x${aligned.toString(16).padStart(5, "0")})`;
  for (const [k, v] of Object.entries(STAT)) if (v === aligned) return `${k} (0x${aligned.toString(16).padStart(5, "0")})`;
  return `register 0x${aligned.toString(16).padStart(5, "0")}`;
}

/** One line of counters for `~info network`. */
export function e1000_describe(s: E1000): string {
  const rx = s.rx;
  const tx = s.tx;
  const faults = s.faults.describe();
  return (
    `rx: frames=${rx.frames} filtered=${rx.filtered} missed=${rx.missed} dma_dropped=${rx.dma_dropped}` +
    ` fifo=${rx.fifo.count}/${rx.fifo.used}B held=${rx.fifo.held_total} high=${rx.fifo.high_water}B (missed: flushed=${rx.fifo_flushed})` +
    ` tx: frames=${tx.frames} no_peer=${tx.no_peer} peer_no_link=${tx.peer_no_link} link_stalls=${tx.link_stalls}${tx.halted ? " HALTED" : ""}` +
    ` empty=${tx.empty_packets} too_long=${tx.too_long} bad_desc=${tx.bad_desc} tso_bad_ctx=${tx.off.tso_bad_context} tso_failed=${tx.off.tso_failed} csum_skipped=${tx.off.csum_out_of_range}` +
    ` dma_errors=${s.dma_errors} model_errors=${s.model_errors}` +
    (s.removed ? ` REMOVED (${s.removed_accesses} accesses since)` : "") +
    (s.model_errors > 0 ? ` last_model_error="${s.last_model_error}"` : "") +
    (s.phy.autoneg_blocked ? " autoneg_fail" : "") +
    (faults ? ` faults=${faults}` : "")
  );
}
