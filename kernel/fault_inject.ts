import { EINVAL } from "../include/linux/errno.ts";
import { LOGLEVEL_NOTICE } from "../include/linux/printk.ts";
import { kernfs_create } from "./fs/kernfs.ts";
import { call_trace } from "./panic.ts";
import { printk } from "./printk.ts";

/**
 * The fault-injection framework (lib/fault-inject.c, Documentation/fault-injection/): a FaultAttr
 * decides, call by call, whether an operation should pretend to fail, so that error paths run.
 * The attributes mean what they mean in Linux:
 *
 * - probability: percent of eligible calls that fail (0 = never);
 * - interval: only every interval-th eligible call may fail (1 = any);
 * - times: how many failures in all (-1 = no limit); each failure counts it down;
 * - space: bytes that pass untouched first (each call spends its size);
 * - verbose: 0 silent, 1 a line per failure ("FAULT_INJECTION: forcing a failure."), 2 with a stack.
 *
 * Randomness comes from a seeded generator, so a run that injected a failure replays exactly.
 */
export class FaultAttr {
  readonly name: string;
  probability = 0;
  interval = 1;
  times = 1;
  space = 0;
  verbose = 2;
  /** Calls seen, and failures injected so far. */
  count = 0;
  failures = 0;
  private seed = 0x2545f491;

  constructor(name: string) {
    this.name = name;
  }

  /** xorshift32: the next pseudo-random 32-bit value. */
  random(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }

  set_seed(seed: number): void {
    this.seed = seed >>> 0 || 1;
  }
}

/**
 * setup_fault_attr(): parse the boot parameter form "<interval>,<probability>,<space>,<times>".
 * Returns false (and changes nothing) when it does not parse.
 */
export function setup_fault_attr(attr: FaultAttr, str: string): boolean {
  const m = /^(\d+),(\d+),(\d+),(-?\d+)$/.exec(str);
  if (m === null) return false;
  const [interval, probability, space, times] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  if (probability > 100 || interval < 1) return false;
  attr.interval = interval;
  attr.probability = probability;
  attr.space = space;
  attr.times = times;
  return true;
}

/** should_fail(): true when this call (of `size` bytes) is to fail. Any context. */
export function should_fail(attr: FaultAttr, size: number): boolean {
  if (attr.times === 0 || attr.probability === 0) return false;
  if (attr.space > size) {
    attr.space -= size;
    return false;
  }
  attr.count++;
  if (attr.interval > 1 && attr.count % attr.interval !== 0) return false;
  if (attr.probability < 100 && attr.probability <= attr.random() % 100) return false;
  attr.failures++;
  if (attr.verbose > 0) {
    printk(
      LOGLEVEL_NOTICE,
      "FAULT_INJECTION: forcing a failure.\nname %s, interval %d, probability %d, space %d, times %d%s\n",
      attr.name,
      attr.interval,
      attr.probability,
      attr.space,
      attr.times,
      attr.verbose > 1 ? `\n${call_trace()}` : "",
    );
  }
  if (attr.times !== -1) attr.times--;
  return true;
}

/**
 * fault_create_debugfs_attr(): /sys/kernel/debug/NAME/{probability,interval,times,space,verbose}
 * plus `extra` files of the caller's own, readable and writable.
 */
export function fault_create_debugfs_attr(attr: FaultAttr, extra: Record<string, { get(): number; set(v: number): void }> = {}): void {
  const base = `/sys/kernel/debug/${attr.name}`;
  const num = (get: () => number, set: (v: number) => void, min: number): { show: () => string; store: (d: string) => number } => ({
    show: () => `${get()}\n`,
    store: (d: string) => {
      const t = d.trim();
      if (!/^-?\d+$/.test(t) || Number(t) < min) return -EINVAL;
      set(Number(t));
      return d.length;
    },
  });
  kernfs_create(`${base}/probability`, num(() => attr.probability, (v) => (attr.probability = Math.min(100, v)), 0));
  kernfs_create(`${base}/interval`, num(() => attr.interval, (v) => (attr.interval = Math.max(1, v)), 1));
  kernfs_create(`${base}/times`, num(() => attr.times, (v) => (attr.times = v), -1));
  kernfs_create(`${base}/space`, num(() => attr.space, (v) => (attr.space = v), 0));
  kernfs_create(`${base}/verbose`, num(() => attr.verbose, (v) => (attr.verbose = v), 0));
  for (const [name, f] of Object.entries(extra)) kernfs_create(`${base}/${name}`, num(f.get, f.set, 0));
}
