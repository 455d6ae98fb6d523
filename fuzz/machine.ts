/**
 * The fuzzer's guest: one ringzero booted in this process the way `npm start` builds it (e1000 on
 * slot 3, the netdev/e1000/inet modules, a static `ip=`, init and the shell on the console). Like
 * boot/, this entrypoint holds both the machine and the kernel.
 */
import { World } from "../hw/world.ts";
import type { Machine } from "../hw/machine.ts";
import { E1000 } from "../hw/net/e1000.ts";
import { serial8250_init } from "../drivers/tty/serial8250.ts";
import { start_kernel } from "../kernel/main.ts";
import { set_this_kernel, type Kernel } from "../kernel/kernel.ts";
import { ip_auto_config } from "../net/ipv4/ipconfig.ts";
import { PROGRAMS } from "../userland/programs.ts";
import { MODULE_INDEX } from "../boot/modules.ts";

export interface Guest {
  world: World;
  machine: Machine;
  kernel: Kernel;
  nic: E1000;
  /** The last 64 KiB of console output. */
  console(): string;
  /** Console output since the last take_console() (bounded to 256 KiB). */
  take_console(): string;
  /** Kernel reports seen on the console (Oops, BUG, WARNING, lockup, panic). */
  reports: string[];
  warnings: number;
}

const REPORT = /(Oops|BUG:|WARNING:|Kernel panic|soft lockup|hard LOCKUP|nobody cared|hung_task|blocked for more than)[^\n]*/g;

/**
 * Boot a guest with address `ip` (ADDR/PREFIX) on eth0 and MAC `mac`; `setup` may connect the
 * NIC to a wire before the kernel starts.
 */
export function boot_guest(opts: { mac: Uint8Array; ip: string; setup?: (m: Machine, nic: E1000) => void; init_argv?: string[] }): Guest {
  const world = new World("virtual");
  let tail = "";
  let fresh = "";
  const reports: string[] = [];
  let scan = "";
  const g = { warnings: 0 } as Guest;
  const machine = world.add_machine({
    mem_size: 64 << 20,
    name: "fuzz",
    cmdline: "",
    console_sink: (text) => {
      tail = (tail + text).slice(-65536);
      fresh = (fresh + text).slice(-262144);
      scan = (scan + text).slice(-4096);
      const nl = scan.lastIndexOf("\n");
      if (nl >= 0) {
        for (const m of scan.slice(0, nl).matchAll(REPORT)) if (reports.length < 100) reports.push(m[0]);
        scan = scan.slice(nl + 1);
      }
    },
    trace_sink: () => {
      g.warnings++;
    },
  });
  const nic = new E1000(machine.clock, { mac: opts.mac, name: "e1000.0" });
  machine.pci.plug(nic, 3);
  opts.setup?.(machine, nic);
  const [addr, prefix] = opts.ip.split("/");
  const mask = (0xffffffff << (32 - Number(prefix))) >>> 0;
  machine.cmdline = `quiet ip=${addr}:::${[mask >>> 24, (mask >>> 16) & 255, (mask >>> 8) & 255, mask & 255].join(".")}::eth0:off`;
  const kernel = start_kernel(machine.platform(), {
    initcalls: [serial8250_init],
    late_initcalls: [ip_auto_config],
    modules: MODULE_INDEX,
    default_modules: ["e1000", "inet"],
    programs: PROGRAMS,
    init_argv: opts.init_argv ?? ["init"],
  });
  set_this_kernel(kernel);
  return Object.assign(g, {
    world,
    machine,
    kernel,
    nic,
    reports,
    console: () => tail,
    take_console: () => {
      const s = fresh;
      fresh = "";
      return s;
    },
  });
}
