/**
 * Test harness: a world with one machine and a booted kernel on the virtual clock. Tests are the
 * one place besides boot/ that hold both the machine and the kernel.
 */
import { World } from "../../hw/world.ts";
import type { Machine } from "../../hw/machine.ts";
import { start_kernel, type BootOptions } from "../../kernel/main.ts";
import { set_this_kernel, type Kernel } from "../../kernel/kernel.ts";
import { kthread_run } from "../../kernel/kthread.ts";
import { dmesg_text } from "../../kernel/printk.ts";

export interface TestMachine {
  world: World;
  machine: Machine;
  kernel: Kernel;
  /** Run the world until `cond()` or `max_ns` of virtual time (default 10 s); returns cond(). */
  run_until(cond: () => boolean, max_ns?: number): Promise<boolean>;
  /** Run for `ns` of virtual time. */
  run_for(ns: number): Promise<void>;
  /** Run `fn` in a kernel thread to completion and return its result; throws if it oopsed or hung. */
  in_task<T>(fn: () => Promise<T> | T, max_ns?: number): Promise<T>;
  /** The kernel log so far. */
  dmesg(): string;
}

/**
 * Boot a test machine. DMA-API debugging is on (`dma_debug=on`) unless the command line says
 * otherwise, so every test checks the drivers' mappings; `dma_coherent: false` makes the machine a
 * non-coherent one (`-machine dma-coherent=off`), `iommu: true` gives it a DMA remapping unit.
 */
export function boot_test_machine(
  opts: { mem_size?: number; cmdline?: string; boot?: BootOptions; world?: World; setup?: (m: Machine) => void; dma_coherent?: boolean; iommu?: boolean } = {},
): TestMachine {
  const world = opts.world ?? new World("virtual");
  let cmdline = opts.cmdline ?? "quiet";
  if (!/\bdma_debug=/.test(cmdline)) cmdline += " dma_debug=on";
  const machine = world.add_machine({ mem_size: opts.mem_size ?? 32 * 1024 * 1024, cmdline, dma_coherent: opts.dma_coherent ?? true, iommu: opts.iommu ?? false });
  opts.setup?.(machine);
  const kernel = start_kernel(machine.platform(), opts.boot ?? {});
  const enter = (): void => {
    set_this_kernel(kernel);
  };
  const tm: TestMachine = {
    world,
    machine,
    kernel,
    async run_until(cond, max_ns = 10e9) {
      await world.run({ until: cond, for_ns: max_ns });
      enter();
      return cond();
    },
    async run_for(ns) {
      await world.run({ for_ns: ns });
      enter();
    },
    async in_task<T>(fn: () => Promise<T> | T, max_ns = 10e9): Promise<T> {
      enter();
      let result: { value: T } | null = null;
      const t = kthread_run(
        async () => {
          result = { value: await fn() };
        },
        null,
        "test",
      );
      await tm.run_until(() => t.exited, max_ns);
      if (!t.exited) throw new Error(`test task did not finish within ${max_ns} ns of virtual time`);
      if (result === null) throw new Error(`test task died (exit ${t.exit_code}):\n${tm.dmesg()}`);
      return (result as { value: T }).value;
    },
    dmesg() {
      enter();
      return dmesg_text();
    },
  };
  enter();
  return tm;
}
