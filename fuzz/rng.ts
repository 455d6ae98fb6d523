/**
 * The fuzzer's deterministic pseudo-random numbers: splitmix32 to derive a seed for each stream and
 * operation, xorshift128 for the numbers themselves. Never Math.random: every run is replayed from
 * its seed, and any single operation from (seed, phase, index) alone.
 */

/** splitmix32: a well-mixed 32-bit value from any 32-bit input. */
export function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** Phases of a run, each with its own stream so that changing one does not shift the others. */
export const PHASE = { frames: 1, mmio: 2, shell: 3, batch: 4 } as const;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = splitmix32(seed);
    this.b = splitmix32(this.a ^ 0x6a09e667);
    this.c = splitmix32(this.b ^ 0xbb67ae85);
    this.d = splitmix32(this.c ^ 0x3c6ef372) | 1;
  }

  /** The generator for operation `index` of `phase` under `seed`: replayable on its own. */
  static for_op(seed: number, phase: number, index: number): Rng {
    return new Rng(splitmix32((seed >>> 0) ^ splitmix32(Math.imul(phase, 0x27d4eb2d) ^ splitmix32(index >>> 0) ^ Math.floor(index / 0x100000000))));
  }

  /** xorshift128: the next 32-bit value. */
  u32(): number {
    let t = this.d;
    const s = this.a;
    this.d = this.c;
    this.c = this.b;
    this.b = s;
    t ^= t << 11;
    t ^= t >>> 8;
    this.a = (t ^ s ^ (s >>> 19)) >>> 0;
    return this.a;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : n <= 0x100000000 ? Math.floor((this.u32() / 0x100000000) * n) : Math.floor(((this.u32() * 0x100000000 + this.u32()) / 2 ** 64) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() < p * 0x100000000;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  /** Pick by weight: [[weight, value], …]. */
  weighted<T>(table: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of table) total += w;
    let r = this.int(total);
    for (const [w, v] of table) {
      if (r < w) return v;
      r -= w;
    }
    return table[table.length - 1]![1];
  }

  fill(buf: Uint8Array, from = 0, to = buf.length): void {
    let i = from;
    for (; i + 4 <= to; i += 4) {
      const v = this.u32();
      buf[i] = v;
      buf[i + 1] = v >>> 8;
      buf[i + 2] = v >>> 16;
      buf[i + 3] = v >>> 24;
    }
    for (; i < to; i++) buf[i] = this.u32();
  }

  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    this.fill(b);
    return b;
  }
}
