import { intel_iommu_init } from "./dma/iommu.ts";
import { dma_debug_cmdline, dma_debug_init } from "./dma/debug.ts";
import { E820_TYPE_RAM, type Platform } from "../include/asm/platform.ts";
import { IRQ_HANDLED, IRQF_TIMER } from "../include/linux/interrupt.ts";
import { CONSOLE_LOGLEVEL_QUIET } from "../include/linux/printk.ts";
import { PAGE_SIZE } from "../include/linux/gfp.ts";
import { proc_create } from "./fs/proc.ts";
import { proc_pid_init } from "./fs/proc_pid.ts";
import { show_iomem, show_ioports } from "./fs/proc_iomem.ts";
import { loadavg_proc_show } from "./fs/proc_loadavg.ts";
import { show_stat } from "./fs/proc_stat.ts";
import { do_IRQ, do_IRQ_vector } from "./irq/handle.ts";
import { request_irq } from "./irq/manage.ts";
import { show_interrupts, show_irq_handlers, show_irq_spurious } from "./irq/proc.ts";
import { nr_irqs } from "./irq/irqdesc.ts";
import { Kernel, set_this_kernel, this_kernel } from "./kernel.ts";
import type { ModuleIndex } from "../include/linux/module.ts";
import type { Program } from "../include/uapi/syscalls.ts";
import { load_module, module_last_error, set_module_index, show_modules } from "./module.ts";
import { pci_scan_root_bus } from "./pci/probe.ts";
import { pci_sysfs_init } from "./pci/pci_sysfs.ts";
import { find_program, run_program, set_program_table } from "./process.ts";
import { set_initramfs_files } from "./fs/initramfs.ts";
import { task_files } from "./fs/fs_struct.ts";
import { mem_init } from "./mm/page_alloc.ts";
import { fail_page_alloc_debugfs, setup_fail_page_alloc } from "./mm/fail_page_alloc.ts";
import { set_watchdog_thresh } from "./watchdog.ts";
import { proc_sys_kernel_init } from "./sysctl.ts";
import { show_buddyinfo, show_meminfo } from "./mm/vmstat.ts";
import { dmesg_text, pr_emerg, pr_err, pr_info, pr_notice, pr_warn, set_console_loglevel } from "./printk.ts";
import { create_task, get_current, sched_step, wake_up_process } from "./sched/core.ts";
import { do_softirq, local_softirq_pending, open_softirq, raise_softirq, show_softirqs, TIMER_SOFTIRQ } from "./softirq.ts";
import { format_uptime } from "./time/uptime.ts";
import { run_timers } from "./time/timer.ts";
import { system_wq } from "./workqueue.ts";
import { RINGZERO_HOST, RINGZERO_VERSION } from "./version.ts";
import { current_ns } from "./fs/namespace.ts";


export interface BootOptions {
  /** Built-in drivers' init functions, run in order by pid 1 after the PCI scan (initcalls). */
  initcalls?: readonly (() => Promise<number> | number)[];
  /** The loadable modules (/lib/modules). */
  modules?: ModuleIndex;
  /** Modules pid 1 loads at boot, with their dependencies. */
  default_modules?: readonly string[];
  /** The programs in /bin (the initramfs). */
  programs?: ReadonlyMap<string, Program>;
  /** The initramfs's data files, path → contents (kernel/fs/initramfs.ts). */
  initramfs?: ReadonlyMap<string, string | Uint8Array>;
  /** Run after the default modules are loaded (late_initcall: IP autoconfiguration). */
  late_initcalls?: readonly (() => Promise<number> | number)[];
  /** What pid 1 executes once the kernel is up, e.g. ["init"]. Without it pid 1 just exits. */
  init_argv?: readonly string[];
}

/** Kernel command-line switches: `quiet`, `loglevel=N`. */
function parse_cmdline(cmdline: string): void {
  for (const word of cmdline.split(/\s+/)) {
    if (word === "quiet") set_console_loglevel(CONSOLE_LOGLEVEL_QUIET);
    const m = /^loglevel=(\d)$/.exec(word);
    if (m) set_console_loglevel(Number(m[1]));
    const [key, value] = word.split("=", 2) as [string, string | undefined];
    if (value === undefined) continue;
    if (key === "fail_page_alloc" && !setup_fail_page_alloc(value)) pr_warn("fail_page_alloc: expected <interval>,<probability>,<space>,<times>, got '%s'\n", value);
    if (key === "dma_debug" && !dma_debug_cmdline(value)) pr_warn("dma_debug: expected on or off, got '%s'\n", value);
    if (key === "watchdog_thresh") {
      if (/^\d+$/.test(value)) set_watchdog_thresh(Number(value));
      else pr_warn("watchdog_thresh: expected seconds, got '%s'\n", value);
    }
  }
}

function hex(n: number, width = 16): string {
  return "0x" + n.toString(16).padStart(width, "0");
}

function print_memory_map(platform: Platform): void {
  const lines = ["BIOS-provided physical RAM map:"];
  for (const e of platform.firmware.e820) {
    const kind = e.type === E820_TYPE_RAM ? "usable" : "reserved";
    lines.push(`BIOS-e820: [mem ${hex(e.addr)}-${hex(e.addr + e.size - 1)}] ${kind}`);
  }
  pr_info("%s\n", lines.join("\n"));
}

function timer_interrupt(): typeof IRQ_HANDLED {
  raise_softirq(TIMER_SOFTIRQ);
  return IRQ_HANDLED;
}

/**
 * One CPU slice for this kernel: pending softirqs, then one step of the next runnable task.
 * Returns false when there is nothing to do (the CPU halts until the next interrupt).
 */
function cpu_step(): boolean | Promise<boolean> {
  let busy = false;
  if (local_softirq_pending() !== 0) {
    do_softirq();
    busy = true;
  }
  const r = sched_step();
  return r === false ? busy || local_softirq_pending() !== 0 : r;
}

function proc_root_init(): void {
  proc_sys_kernel_init();
  fail_page_alloc_debugfs();
  dma_debug_init();
  proc_create("interrupts", show_interrupts);
  proc_create("softirqs", show_softirqs);
  proc_create("buddyinfo", show_buddyinfo);
  proc_create("meminfo", show_meminfo);
  proc_create("uptime", format_uptime);
  proc_create("loadavg", loadavg_proc_show);
  proc_create("stat", show_stat);
  proc_create("version", () => `ringzero version ${RINGZERO_VERSION} (${RINGZERO_HOST})\n`);
  proc_create("kmsg", dmesg_text);
  proc_create("modules", show_modules);
  proc_create("cmdline", () => `${this_kernel().platform.firmware.cmdline}\n`);
  proc_create("iomem", show_iomem);
  proc_create("ioports", show_ioports);
  proc_pid_init();
  for (let irq = 0; irq < nr_irqs(); irq++) {
    proc_create(`irq/${irq}/spurious`, () => show_irq_spurious(irq) ?? "");
    proc_create(`irq/${irq}/handlers`, () => show_irq_handlers(irq) ?? "");
  }
}

/**
 * start_kernel(): bring the kernel up on a machine described by `platform` — memory, interrupts,
 * time, work queues, /proc — install its CPU entry points and start init. Returns the running
 * kernel; it executes as the machine's run loop gives its CPU slices.
 */
export function start_kernel(platform: Platform, opts: BootOptions = {}): Kernel {
  const k = new Kernel(platform);
  set_this_kernel(k);
  parse_cmdline(platform.firmware.cmdline);
  pr_notice("ringzero version %s (%s) #1\n", RINGZERO_VERSION, RINGZERO_HOST);
  pr_info("Command line: %s\n", platform.firmware.cmdline);
  print_memory_map(platform);

  const zone = mem_init();
  const kb = (pages: number): number => (pages * PAGE_SIZE) / 1024;
  pr_info("Memory: %dK/%dK available (%dK reserved)\n", kb(zone.free_pages), kb(zone.present_pages), kb(zone.present_pages - zone.managed_pages));

  pr_info("NR_IRQS: %d, I/O APIC with %d lines\n", nr_irqs(), platform.firmware.ioapic_lines);
  open_softirq(TIMER_SOFTIRQ, run_timers);
  const err = request_irq(platform.firmware.timer_gsi, timer_interrupt, IRQF_TIMER, "timer", null);
  if (err !== 0) throw new Error(`cannot register the timer interrupt: ${err}`);
  pr_info("clocksource: tsc: virtual clock, 1 ns resolution; clockevents: lapic-deadline on GSI %d\n", platform.firmware.timer_gsi);

  // Before any driver can map: with a DMAR table, DMA reaches only what is mapped from here on.
  intel_iommu_init();
  // pid 1 is created first so it gets pid 1, and started last, when everything else is up.
  const init = create_task(() => kernel_init(opts), "swapper/0", 0);
  system_wq();
  if (opts.modules !== undefined) set_module_index(opts.modules);
  if (opts.programs !== undefined) set_program_table(opts.programs);
  if (opts.initramfs !== undefined) set_initramfs_files(opts.initramfs);
  proc_root_init();
  current_ns(); // the root file system (tmpfs at /, /proc and /sys mounted in): init/noinitramfs.c

  // Idle accounting: the CPU halts when a step reports nothing to do, and wakes at the next entry.
  let halted_at = -1;
  const wake = (): void => {
    if (halted_at >= 0) {
      k.idle_ns += platform.ops.read_clock_ns() - halted_at;
      halted_at = -1;
    }
  };
  platform.ops.set_cpu_entry({
    interrupt(gsi: number): void {
      set_this_kernel(k);
      wake();
      k.entry_ns = platform.ops.read_clock_ns();
      do_IRQ(gsi);
    },
    vector_interrupt(vector: number): void {
      set_this_kernel(k);
      wake();
      k.entry_ns = platform.ops.read_clock_ns();
      do_IRQ_vector(vector);
    },
    step(): boolean | Promise<boolean> {
      set_this_kernel(k);
      wake();
      k.entry_ns = platform.ops.read_clock_ns();
      const r = cpu_step();
      if (r === false) halted_at = platform.ops.read_clock_ns();
      return r;
    },
  });
  k.booted = true;
  wake_up_process(init);
  return k;
}

/**
 * pid 1 before it becomes init (init/main.c kernel_init): scan PCI, run the built-in initcalls,
 * load the default modules, then execute the init program in place. If init ever exits, the kernel
 * has nothing left to run: it says so, as Linux's panic does, and powers the machine off.
 */
async function kernel_init(opts: BootOptions): Promise<number> {
  pci_scan_root_bus();
  pci_sysfs_init();
  for (const initcall of opts.initcalls ?? []) {
    const r = await initcall();
    if (r !== 0) pr_err("initcall %s returned %d\n", initcall.name, r);
  }
  for (const name of opts.default_modules ?? []) {
    const r = await load_module(name, {}, true);
    if (r !== 0) pr_err("modprobe %s: %s\n", name, module_last_error());
  }
  for (const initcall of opts.late_initcalls ?? []) {
    const r = await initcall();
    if (r !== 0) pr_err("late initcall %s returned %d\n", initcall.name, r);
  }
  const argv = opts.init_argv;
  if (argv === undefined) return 0;
  const self = get_current()!;
  const prog = find_program(argv[0] ?? "");
  if (prog === undefined) {
    pr_emerg("Kernel panic - not syncing: No working init found (tried %s)\n", String(argv[0]));
    this_kernel().platform.ops.power_off(1);
    return 1;
  }
  // console_on_rootfs(): init starts with /dev/console open as descriptors 0, 1 and 2 (the tty's
  // first open: what was typed during boot reaches the line discipline after init's first steps).
  task_files(self);
  const code = await run_program(self, prog, argv);
  if (this_kernel().powering_off) return code;
  pr_emerg("Kernel panic - not syncing: Attempted to kill init! exitcode=0x%08x\n", code);
  this_kernel().platform.ops.power_off(code);
  return code;
}
