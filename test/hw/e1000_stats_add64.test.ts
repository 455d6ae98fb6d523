import { describe, expect, it } from "vitest";
import { STAT } from "../../hw/net/e1000_regs.ts";
import { e1000_stat_add64, e1000_stat_read } from "../../hw/net/e1000_stats.ts";

/** The 64-bit octet counters (SDM 13.7) after the issue-12 fast path: carry, saturation, clear. */
describe("e1000 64-bit statistics pairs", () => {
  const regs = () => new Uint32Array(0x5000 >> 2);
  const lo = STAT.GORCL;
  const hi = STAT.GORCH;

  it("carries from the low half into the high half", () => {
    const r = regs();
    r[lo >> 2] = 0xffffff00;
    e1000_stat_add64(r, lo, 0x1518);
    expect(e1000_stat_read(r, lo)).toBe(0x1418);
    expect(e1000_stat_read(r, hi)).toBe(1);
    expect(e1000_stat_read(r, lo)).toBe(0); // reading the high half cleared both
  });

  it("saturates at 2^64 - 1 instead of wrapping", () => {
    const r = regs();
    r[lo >> 2] = 0xfffffff0;
    r[hi >> 2] = 0xffffffff;
    e1000_stat_add64(r, lo, 64);
    expect(e1000_stat_read(r, lo)).toBe(0xffffffff);
    expect(e1000_stat_read(r, hi)).toBe(0xffffffff);
  });

  it("adds within the low half without touching the high half", () => {
    const r = regs();
    r[hi >> 2] = 7;
    for (let i = 0; i < 1000; i++) e1000_stat_add64(r, lo, 64);
    expect(e1000_stat_read(r, lo)).toBe(64000);
    expect(e1000_stat_read(r, hi)).toBe(7);
  });
});
