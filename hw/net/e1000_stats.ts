import { STAT } from "./e1000_regs.ts";

/**
 * The 82540EM statistics registers (SDM 13.7; QEMU's e1000x_inc_reg_if_not_full, mac_read_clr4/8):
 * they live in the device's register file between REG.STATS and REG.STATS_END, count up and
 * saturate (never wrap), are read-only and clear when read. The octet counters are 64-bit pairs
 * (low register first); reading the high half clears both, reading the low half clears nothing,
 * so a driver reading low then high gets a consistent value.
 *
 * Each function takes the register file (E1000.regs) and a datasheet byte offset. The increments
 * run on the receive and transmit paths (once or more per frame) and allocate nothing; the read
 * runs on a guest register access.
 */

/** Add `n` to the 32-bit counter at `off`, saturating at 0xFFFFFFFF. */
export function e1000_stat_inc(regs: Uint32Array, off: number, n: number): void {
  const i = off >> 2;
  const v = regs[i]! + n;
  regs[i] = v > 0xffffffff ? 0xffffffff : v;
}

/**
 * Add `n` to the 64-bit counter whose low register is at `lo`, saturating at 2^64 − 1. The
 * registers hold plain numbers: the per-frame case is one add and one compare on the low half;
 * the carry into the high half (once every 4 GiB) and saturation take the slow path. No `%`.
 */
export function e1000_stat_add64(regs: Uint32Array, lo: number, n: number): void {
  const i = lo >> 2;
  const v = regs[i]! + n;
  if (v <= 0xffffffff) {
    regs[i] = v;
    return;
  }
  const carry = Math.floor(v / 0x100000000); // 1 for any frame-sized n
  const hi = regs[i + 1]! + carry;
  if (hi > 0xffffffff) {
    regs[i] = 0xffffffff;
    regs[i + 1] = 0xffffffff;
    return;
  }
  regs[i] = v - carry * 0x100000000;
  regs[i + 1] = hi;
}

/** A guest read of the statistics register at `off`: its value, cleared as SDM 13.7 says. */
export function e1000_stat_read(regs: Uint32Array, off: number): number {
  const i = off >> 2;
  const v = regs[i]!;
  switch (off) {
    case STAT.GORCL:
    case STAT.GOTCL:
    case STAT.TORL:
    case STAT.TOTL:
      return v; // the low half is read first and does not clear
    case STAT.GORCH:
    case STAT.GOTCH:
    case STAT.TORH:
    case STAT.TOTH:
      regs[i - 1] = 0;
      regs[i] = 0;
      return v;
    default:
      regs[i] = 0;
      return v;
  }
}
