import type { Platform } from "../include/asm/platform.ts";

/**
 * One running kernel: the state a C kernel keeps in globals and per-CPU variables.
 *
 * Several machines may run in one Node process (two hosts on an in-process hub), so kernel state
 * cannot live in module globals. Instead each subsystem declares its state with
 * DEFINE_PER_KERNEL (the analogue of DEFINE_PER_CPU) and reaches it through `this_kernel()`.
 * The machine's CPU enters the kernel only through its entry points (interrupt, step) and
 * start_kernel, which switch `this_kernel()`; the world runs one slice at a time, so kernel
 * code never interleaves across machines.
 */
export class Kernel {
  readonly id: number;
  readonly platform: Platform;
  /** Per-kernel variables, indexed by PerKernel.id. */
  readonly slots: unknown[] = [];
  /** Hard-IRQ nesting depth (preempt_count's HARDIRQ field). */
  hardirq_count = 0;
  /** Soft-IRQ / bottom-half depth (preempt_count's SOFTIRQ field). */
  softirq_count = 0;
  /** The task whose step is running, or null (boot, idle, IRQ outside a task). */
  current: object | null = null;
  /** Set once start_kernel has finished. */
  booted = false;
  /** reboot(POWER_OFF) was called: init exiting now is expected, not a panic. */
  powering_off = false;
  /** Nanoseconds the CPU spent halted (the idle column of /proc/uptime). */
  idle_ns = 0;
  /** The line whose handlers are running, or -1 (for the lockup detectors' reports). */
  irq_in_progress = -1;
  /** Clock time when the CPU last entered the kernel (an interrupt or a step): what a lockup is measured from. */
  entry_ns = 0;

  private static next_id = 0;

  constructor(platform: Platform) {
    this.id = Kernel.next_id++;
    this.platform = platform;
  }
}

let running: Kernel | null = null;

/** The kernel whose code is executing now. Calling kernel code outside any kernel is a bug. */
export function this_kernel(): Kernel {
  const k = running;
  if (k === null) throw new Error("ringzero: kernel code called while no kernel is running (enter one with set_this_kernel)");
  return k;
}

/** Switch the executing kernel (CPU entry points, boot, tests). Returns the previous one. */
export function set_this_kernel(k: Kernel | null): Kernel | null {
  const prev = running;
  running = k;
  return prev;
}

/** Run `fn` with `k` as the executing kernel (for tests and the boot glue). */
export function with_kernel<T>(k: Kernel, fn: () => T): T {
  const prev = set_this_kernel(k);
  try {
    return fn();
  } finally {
    set_this_kernel(prev);
  }
}

export class PerKernel<T> {
  private readonly id: number;
  private readonly init: (k: Kernel) => T;
  private static count = 0;

  constructor(init: (k: Kernel) => T) {
    this.id = PerKernel.count++;
    this.init = init;
  }

  /** The kernel and instance of the last lookup: almost every lookup repeats it. */
  private last_kernel: Kernel | null = null;
  private last_value: T | undefined = undefined;

  /** This kernel's instance, created on first use. */
  get(): T {
    const k = running;
    if (k === this.last_kernel && k !== null) return this.last_value as T;
    if (k === null) return this_kernel() as never;
    let v = k.slots[this.id] as T | undefined;
    if (v === undefined) {
      v = this.init(k);
      k.slots[this.id] = v;
    }
    this.last_kernel = k;
    this.last_value = v;
    return v;
  }

  /** The instance of a given kernel (for code that holds a Kernel, such as boot/ glue). */
  of(k: Kernel): T {
    return with_kernel(k, () => this.get());
  }
}

/** Declare a per-kernel variable: `const zone = DEFINE_PER_KERNEL(() => new Zone())`. */
export function DEFINE_PER_KERNEL<T>(init: (k: Kernel) => T): PerKernel<T> {
  return new PerKernel(init);
}
