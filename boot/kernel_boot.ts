/**
 * Boot the kernel on a machine the way `npm start` and the page both do: the serial console and
 * IP autoconfiguration as initcalls, the module index with coldplug, the programs, the initramfs
 * data files, and init (interactive, or `init -c COMMAND`). Host-neutral: no Node, no DOM.
 */
import type { Machine } from "../hw/machine.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { start_kernel } from "../kernel/main.ts";
import { serial8250_init } from "../drivers/tty/serial8250.ts";
import { ip_auto_config } from "../net/ipv4/ipconfig.ts";
import { PROGRAMS } from "../userland/programs.ts";
import { DEVICE_TYPES } from "../hw/devices.ts";
import { initramfs_files } from "./initramfs.ts";
import { coldplug_modules, DEFAULT_MODULES, MODULE_INDEX } from "./modules.ts";

export interface KernelBootOptions {
  /** Run these commands and power off (`-c`), or null for the interactive shell. */
  command: string | null;
  /** Modules loaded at boot; null: DEFAULT_MODULES and what coldplug finds for the devices. */
  modules: readonly string[] | null;
  /** The kernel command line (machine.cmdline is set to it). */
  cmdline: string;
}

/** Run the firmware, start the kernel and return it; init runs once the world's loop runs. */
export async function boot_kernel(machine: Machine, opts: KernelBootOptions): Promise<Kernel> {
  machine.cmdline = opts.cmdline;
  return start_kernel(machine.platform(), {
    initcalls: [serial8250_init],
    late_initcalls: [ip_auto_config],
    modules: MODULE_INDEX,
    default_modules: opts.modules ?? [...DEFAULT_MODULES, ...coldplug_modules(machine)],
    programs: PROGRAMS,
    initramfs: await initramfs_files(MODULE_INDEX, DEVICE_TYPES),
    init_argv: opts.command === null ? ["init"] : ["init", "-c", opts.command],
  });
}
