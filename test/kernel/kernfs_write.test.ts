/**
 * sysfs and procfs attributes written as the shell writes them: open(O_WRONLY|O_CREAT|O_TRUNC,
 * 0666), one write(2), close — `echo 0000:00:03.0 > /sys/bus/pci/drivers/e1000/unbind`. Each write
 * is one store; its errno is the write's result; what Linux refuses at open (read-only sysfs and
 * sysctl files, new names) is refused the same way, with the errnos a Linux host gives.
 */
import { describe, expect, it } from "vitest";
import { strerror } from "../../include/linux/errno.ts";
import type { ModuleIndex, ModuleInfo } from "../../include/linux/module.ts";
import type { PciDev, PciDriver } from "../../include/linux/pci.ts";
import { O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import type { Program, Syscalls } from "../../include/uapi/syscalls.ts";
import { EduDevice } from "../../hw/misc/edu.ts";
import { E1000 } from "../../hw/net/e1000.ts";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { module_param_sysfs } from "../../kernel/module.ts";
import { param_ops_charp, param_ops_uint } from "../../kernel/params.ts";
import { pci_register_driver, pci_unregister_driver } from "../../kernel/pci/pci_driver.ts";
import { pr_info } from "../../kernel/printk.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";

/** What the shell's `echo TEXT > PATH` does: wr PATH TEXT… (the text gets a newline, as echo adds). */
const wr: Program = async (argv, sys) => {
  const fd = sys.open(argv[1]!, O_WRONLY | O_CREAT | O_TRUNC, 0o666);
  if (fd < 0) {
    await sys.write(2, `wr: ${argv[1]}: ${strerror(fd)}\n`);
    return 1;
  }
  const r = await sys.write(fd, argv.slice(2).join(" ") + "\n");
  sys.close(fd);
  if (r < 0) {
    await sys.write(2, `wr: write error: ${strerror(r)}\n`);
    return 1;
  }
  return 0;
};

/** open(PATH, O_RDONLY) and read it to standard output: rd PATH (errors as wr reports them). */
const rd: Program = async (argv, sys) => {
  const fd = sys.open(argv[1]!, O_RDONLY);
  if (fd < 0) {
    await sys.write(2, `rd: ${argv[1]}: ${strerror(fd)}\n`);
    return 1;
  }
  const buf = new Uint8Array(4096);
  const n = await sys.read(fd, buf);
  sys.close(fd);
  if (n < 0) {
    await sys.write(2, `rd: read error: ${strerror(n)}\n`);
    return 1;
  }
  await sys.write(1, buf.subarray(0, n));
  return 0;
};

/** A driver for QEMU's edu device that matches nothing until new_id gives it an id. */
const probed: string[] = [];
const edu_stub: PciDriver = {
  name: "edu_stub",
  id_table: [],
  probe: (pdev: PciDev) => {
    probed.push(pdev.name);
    return 0;
  },
  remove: () => {},
};

/** A loadable module with two parameters in sysfs: a writable uint and a read-only string. */
const knobs = { level: 3, label: "boot" };
const knob_module: ModuleInfo = {
  name: "knob",
  description: "module_param_sysfs test module",
  license: "MIT",
  depends: ["netdev"],
  init() {
    module_param_sysfs("knob", "level", 0o644, param_ops_uint(() => knobs.level, (v) => (knobs.level = v)));
    module_param_sysfs("knob", "label", 0o444, param_ops_charp(() => knobs.label));
    module_param_sysfs("knob", "hidden", 0, param_ops_uint(() => 0));
    return 0;
  },
  exit() {},
};
const INDEX: ModuleIndex = new Map([...MODULES, ["knob", { load: async () => knob_module, size: 4242 }]]);

/** Tools a test may run besides the real /bin: wr, and stubdrv (register/unregister edu_stub), say (pr_info). */
const EXTRA: [string, Program][] = [
  ["wr", wr],
  ["rd", rd],
  [
    "md",
    async (argv: readonly string[], sys: Syscalls) => {
      const r = sys.mkdir(argv[1]!, 0o755);
      if (r < 0) await sys.write(2, `md: ${argv[1]}: ${strerror(r)}\n`);
      return r < 0 ? 1 : 0;
    },
  ],
  [
    "stubdrv",
    async (argv: readonly string[], _sys: Syscalls) => {
      if (argv[1] === "add") return (await pci_register_driver(edu_stub)) === 0 ? 0 : 1;
      await pci_unregister_driver(edu_stub);
      return 0;
    },
  ],
  [
    "say",
    async (argv: readonly string[]) => {
      pr_info("%s\n", argv.slice(1).join(" "));
      return 0;
    },
  ],
];

/**
 * Run commands one after another as a shell's `a; b; c` does (spawn, wait), without depending on
 * the shell: each is an argv; ["?"] prints the last exit status as "s=N".
 */
function runner(commands: readonly (readonly string[])[]): Program {
  return async (_argv, sys) => {
    let last = 0;
    for (const argv of commands) {
      if (argv[0] === "?") {
        await sys.write(1, `s=${last}\n`);
        continue;
      }
      const pid = sys.spawn(argv);
      last = pid < 0 ? 127 : await sys.waitpid(pid);
    }
    sys.poweroff(0);
    return 0;
  };
}

/** Split "a b; ?; c 'd e'" into argvs (single quotes group words). */
function script(text: string): string[][] {
  return text.split(/;\s*/).filter((c) => c.trim() !== "").map((c) => [...c.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!));
}

/** Boot an e1000 (00:03.0) and edu (00:04.0) machine with e1000 loaded and run `text` (see script()). */
async function run(text: string): Promise<string> {
  const tm = boot_test_machine({
    mem_size: 64 << 20,
    setup: (m) => {
      m.pci.plug(new E1000(m.clock, { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56), name: "e1000.0" }), 3);
      m.pci.plug(new EduDevice(m.clock), 4);
    },
    boot: {
      initcalls: [serial8250_init],
      modules: INDEX,
      default_modules: ["e1000"],
      programs: new Map([...PROGRAMS, ...EXTRA, ["runner", runner(script(text))]]),
      init_argv: ["runner"],
    },
  });
  await tm.run_until(() => tm.machine.powered_off, 60e9);
  if (!tm.machine.powered_off) throw new Error(`commands did not finish:\n${tm.machine.console_output}`);
  // lspci -k's Subsystem and Kernel modules lines are lspci's business, not this test's.
  return tm.machine.console_output.replace(/^\t(?:Subsystem|Kernel modules): .*\n/gm, "");
}

const DRV = "/sys/bus/pci/drivers/e1000";

describe("writing sysfs attributes through open, write, close", () => {
  it("unbinds and rebinds the e1000: the driver link, the interface and lspci -k's driver line go and come back", async () => {
    const out = await run(
      `lspci -k -s 00:03.0; wr ${DRV}/unbind 0000:00:03.0; ?; lspci -k -s 00:03.0; ls /sys/class/net; ls ${DRV}; ` +
        `wr ${DRV}/bind 0000:00:03.0; ?; lspci -k -s 00:03.0; ls /sys/class/net; ls ${DRV}`,
    );
    const bound = "00:03.0 Ethernet controller: Intel Corporation 82540EM Gigabit Ethernet Controller (rev 03)\n\tKernel driver in use: e1000\n";
    const unbound = "00:03.0 Ethernet controller: Intel Corporation 82540EM Gigabit Ethernet Controller (rev 03)\n";
    expect(out).toContain(`${bound}s=0\n${unbound}lo\nbind  new_id  remove_id  uevent  unbind\n`);
    expect(out).toContain(`s=0\n${bound}eth0  lo\n0000:00:03.0  bind  new_id  remove_id  uevent  unbind\n`);
  });

  it("works from the shell: echo 0000:00:03.0 > …/unbind, then > …/bind", async () => {
    const tm = boot_test_machine({
      mem_size: 64 << 20,
      setup: (m) => m.pci.plug(new E1000(m.clock, { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56), name: "e1000.0" }), 3),
      boot: {
        initcalls: [serial8250_init],
        modules: INDEX,
        default_modules: ["e1000"],
        programs: PROGRAMS,
        init_argv: ["init", "-c", `echo 0000:00:03.0 > ${DRV}/unbind; echo st=$?; ls /sys/class/net; echo 0000:00:03.0 > ${DRV}/bind; echo st=$?; ls /sys/class/net; ls ${DRV}`],
      },
    });
    await tm.run_until(() => tm.machine.powered_off, 60e9);
    expect(tm.machine.console_output).toContain("st=0\nlo\nst=0\neth0  lo\n0000:00:03.0  bind  new_id  remove_id  uevent  unbind\n");
  });

  it("gives a store's errno as the write's: a name that is no device, a device bound elsewhere or not matching", async () => {
    const out = await run(
      `wr ${DRV}/unbind foo; ?; wr ${DRV}/unbind 0000:00:04.0; ?; wr ${DRV}/bind 0000:00:03.0; ?; ` +
        `wr ${DRV}/bind 0000:00:04.0; ?; wr ${DRV}/unbind ' 0000:00:03.0'; ?`,
    );
    expect(out).toContain("wr: write error: No such device\ns=1\nwr: write error: No such device\ns=1\n");
    expect(out).toContain("wr: write error: Device or resource busy\ns=1\n");
    // edu's ids are not e1000's; a leading blank is part of the name (sysfs_streq trims only the newline).
    expect(out).toContain("s=1\nwr: write error: No such device\ns=1\nwr: write error: No such device\ns=1\n");
  });

  it("refuses what Linux refuses, as a root shell on a Linux host sees it", async () => {
    const out = await run(
      [
        `wr /sys/bus/pci/devices/0000:00:03.0/vendor 0x1234`, // 0444 sysfs: open fails
        `rd ${DRV}/bind`, // 0200 sysfs: reading fails at open too
        `wr /sys/bus/pci/newfile x`, // sysfs has no create
        `wr /proc/newfile x`, // proc's lookup says ENOENT
        `wr /proc/sys/kernel/nope 1`,
        `wr /proc/sys/kernel/osrelease 9`, // 0444 sysctl: open fails
        `wr /proc/meminfo x`, // a proc file without a write handler: opened, the write fails
        `wr /proc/1/status x`, // a /proc/PID file without write
        `md /sys/foo`,
        `md /proc/foo`,
        `rd /sys/bus/pci/devices/0000:00:03.0/vendor`,
      ].join("; "),
    );
    expect(out).toContain(
      [
        "wr: /sys/bus/pci/devices/0000:00:03.0/vendor: Permission denied",
        `rd: ${DRV}/bind: Permission denied`,
        "wr: /sys/bus/pci/newfile: Permission denied",
        "wr: /proc/newfile: No such file or directory",
        "wr: /proc/sys/kernel/nope: No such file or directory",
        "wr: /proc/sys/kernel/osrelease: Permission denied",
        "wr: write error: Input/output error",
        "wr: write error: Invalid argument",
        "md: /sys/foo: Operation not permitted",
        "md: /proc/foo: No such file or directory",
        "0x8086",
      ].join("\n"),
    );
  });

  it("ignores O_TRUNC, stores once per write (at most a page in sysfs) and counts bytes", async () => {
    let seen: { results: number[]; names: string[] } | null = null;
    const prog: Program = async (_argv, sys) => {
      const results: number[] = [];
      const names: string[] = [];
      const hostname = async (): Promise<void> => {
        names.push(new TextDecoder().decode(sys.read_file("/proc/sys/kernel/hostname") as Uint8Array));
      };
      // Opened with O_TRUNC and closed without a write: nothing is stored.
      sys.close(sys.open("/proc/sys/kernel/hostname", O_WRONLY | O_CREAT | O_TRUNC, 0o666));
      await hostname();
      let fd = sys.open("/proc/sys/kernel/hostname", O_WRONLY | O_CREAT | O_TRUNC, 0o666);
      results.push(await sys.write(fd, "héte\n")); // 6 bytes, 5 characters: the write counts bytes
      await hostname();
      sys.close(fd);
      fd = sys.open("/proc/sys/kernel/hostname", O_WRONLY);
      results.push(await sys.write(fd, "y".repeat(5000))); // /proc/sys takes the whole write; the name keeps 64
      sys.close(fd);
      await hostname();
      fd = sys.open(`${DRV}/uevent`, O_WRONLY);
      results.push(await sys.write(fd, "z".repeat(5000))); // sysfs: one store of the first page, a short write
      results.push(await sys.write(fd, new Uint8Array(0))); // nothing written, nothing stored
      sys.close(fd);
      seen = { results, names };
      return 0;
    };
    const tm = boot_test_machine({
      setup: (m) => m.pci.plug(new E1000(m.clock, { mac: Uint8Array.of(2, 0, 0, 0, 0, 1), name: "e" }), 3),
      boot: { programs: new Map([["t", prog]]), modules: INDEX, default_modules: ["e1000"], init_argv: ["t"] },
    });
    await tm.run_until(() => seen !== null, 30e9);
    expect(seen).toEqual({ results: [6, 5000, 4096, 0], names: ["ringzero\n", "héte\n", "y".repeat(64) + "\n"] });
  });
});

describe("PCI driver attributes", () => {
  it("new_id teaches a driver an id and binds it; remove_id forgets it; drivers_autoprobe and drivers_probe", async () => {
    probed.length = 0;
    const D = "/sys/bus/pci/drivers/edu_stub";
    const out = await run(
      [
        "cat /sys/bus/pci/drivers_autoprobe",
        "stubdrv add",
        `ls ${D}`,
        `wr ${D}/new_id 1234`, // one field: -EINVAL
        `wr ${D}/new_id 1234 11e8`,
        `ls ${D}`,
        "lspci -k -s 00:04.0",
        `wr ${DRV}/new_id 8086 100e`, // e1000 matches that already
        `wr ${D}/remove_id 1234 11e9`,
        `wr ${D}/remove_id 1234 11e8`,
        `wr ${D}/unbind 0000:00:04.0`,
        `wr ${D}/bind 0000:00:04.0`, // no id any more
        `wr ${D}/new_id 0x1234 0x11e8`,
        "stubdrv del",
        "wr /sys/bus/pci/drivers_autoprobe 0",
        "cat /sys/bus/pci/drivers_autoprobe",
        `wr ${DRV}/unbind 0000:00:03.0`,
        "rmmod e1000",
        "modprobe e1000",
        "lspci -k -s 00:03.0",
        "wr /sys/bus/pci/drivers_probe 0000:00:03.0",
        "lspci -k -s 00:03.0",
        "wr /sys/bus/pci/drivers_probe 0000:00:99.0",
      ].join("; "),
    );
    expect(out).toContain("1\nbind  new_id  remove_id  uevent  unbind\nwr: write error: Invalid argument\n");
    expect(out).toContain("0000:00:04.0  bind  new_id  remove_id  uevent  unbind\n");
    expect(out).toContain("00:04.0 Unclassified device [00ff]: Device 1234:11e8 (rev 10)\n\tKernel driver in use: edu_stub\n");
    expect(out).toContain("wr: write error: File exists\nwr: write error: No such device\nwr: write error: No such device\n");
    expect(out).toContain("0\n00:03.0 Ethernet controller: Intel Corporation 82540EM Gigabit Ethernet Controller (rev 03)\n00:03.0 Ethernet controller: Intel Corporation 82540EM Gigabit Ethernet Controller (rev 03)\n\tKernel driver in use: e1000\nwr: write error: No such device\n");
    expect(probed).toEqual(["0000:00:04.0", "0000:00:04.0"]);
  });
});

describe("module parameters in /sys/module", () => {
  it("shows a loaded module's directory, writes a 0644 parameter, refuses a 0444 one, and goes with the module", async () => {
    knobs.level = 3;
    const M = "/sys/module/knob";
    const out = await run(
      [
        "insmod knob",
        `ls ${M} ${M}/parameters /sys/module/netdev/holders`,
        `cat ${M}/initstate ${M}/refcnt ${M}/coresize ${M}/parameters/level ${M}/parameters/label`,
        `wr ${M}/parameters/level 0x10`,
        `cat ${M}/parameters/level`,
        `wr ${M}/parameters/level -1`,
        `wr ${M}/parameters/label x`,
        "rmmod knob",
        `ls ${M}`,
        "ls /sys/module/netdev/holders",
      ].join("; "),
    );
    expect(out).toContain(`${M}:\ncoresize  initstate  parameters  refcnt  taint  uevent\n\n${M}/parameters:\nlabel  level\n\n/sys/module/netdev/holders:\ne1000  knob\n`);
    expect(out).toContain("live\n0\n4242\n3\nboot\n16\nwr: write error: Invalid argument\nwr: /sys/module/knob/parameters/label: Permission denied\n");
    expect(out).toContain(`ls: ${M}: No such file or directory\ne1000\n`);
    expect(knobs.level).toBe(16);
  });
});

describe("/proc/sys knobs written from the shell", () => {
  it("kernel.hostname changes uname -n; kernel.printk lets info messages reach the console; net knobs keep their checks", async () => {
    const out = await run(
      [
        "uname -n",
        "wr /proc/sys/kernel/hostname box",
        "uname -n",
        "cat /proc/sys/kernel/printk",
        "say not-on-console",
        "wr /proc/sys/kernel/printk 8",
        "cat /proc/sys/kernel/printk",
        "say on-console",
        "wr /proc/sys/kernel/watchdog_thresh 61",
        "wr /proc/sys/kernel/watchdog_thresh 5",
        "cat /proc/sys/kernel/watchdog_thresh",
      ].join("; "),
    );
    expect(out).toContain("ringzero\nbox\n4\t4\t1\t7\n8\t4\t1\t7\n");
    expect(out).not.toContain("not-on-console");
    expect(out).toMatch(/\] on-console\n/);
    expect(out).toContain("wr: write error: Invalid argument\n5\n");
  });
});
