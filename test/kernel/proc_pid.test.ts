/**
 * /proc/PID, /proc/self, /proc/cmdline, /proc/iomem and /proc/ioports in Linux 6.1's formats.
 */
import { describe, expect, it } from "vitest";
import { E1000 } from "../../hw/net/e1000.ts";
import { EduDevice } from "../../hw/misc/edu.ts";
import { ENOENT } from "../../include/linux/errno.ts";
import { SIGUSR1 } from "../../include/linux/sched.ts";
import { O_CLOEXEC, O_CREAT, O_WRONLY } from "../../include/uapi/fcntl.ts";
import type { Stat } from "../../include/uapi/stat.ts";
import type { Program, Syscalls } from "../../include/uapi/syscalls.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { proc_read } from "../../kernel/fs/proc.ts";
import { find_task_by_pid } from "../../kernel/sched/core.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";
import { in_process, text } from "./vfs_harness.ts";

/** The keys of /proc/self/status on this Debian 12 host (Linux 6.1), in order. */
const LINUX_STATUS_KEYS = [
  "Name", "Umask", "State", "Tgid", "Ngid", "Pid", "PPid", "TracerPid", "Uid", "Gid", "FDSize", "Groups", "NStgid", "NSpid", "NSpgid", "NSsid",
  "VmPeak", "VmSize", "VmLck", "VmPin", "VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmData", "VmStk", "VmExe", "VmLib", "VmPTE", "VmSwap",
  "HugetlbPages", "CoreDumping", "THP_enabled", "Threads", "SigQ", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", "CapInh", "CapPrm", "CapEff",
  "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters", "Speculation_Store_Bypass", "SpeculationIndirectBranch", "Cpus_allowed",
  "Cpus_allowed_list", "Mems_allowed", "Mems_allowed_list", "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches",
];

const read = (sys: Syscalls, path: string): string | number => text(sys.read_file(path));

/** stat's fields, comm kept whole (it is in parentheses and may hold spaces). */
function stat_fields(s: string): string[] {
  const open = s.indexOf("(");
  const close = s.lastIndexOf(")");
  return [s.slice(0, open - 1), s.slice(open, close + 1), ...s.slice(close + 2).trimEnd().split(" ")];
}

describe("/proc/PID", () => {
  it("status has Linux's fields in Linux's order, with this process's values", async () => {
    const { value } = await in_process(async (sys) => {
      sys.sigaction(SIGUSR1, "catch");
      sys.umask(0o027);
      return { pid: sys.getpid(), ppid: sys.getppid(), status: read(sys, "/proc/self/status") as string };
    });
    const lines = value.status.trimEnd().split("\n");
    const keys = lines.map((l) => l.split(":")[0]!);
    // Ours is Linux's list with only the lines that would be invented left out.
    expect(keys.filter((k) => !LINUX_STATUS_KEYS.includes(k))).toEqual([]);
    expect(keys).toEqual(LINUX_STATUS_KEYS.filter((k) => keys.includes(k)));
    expect(lines.slice(0, 16)).toEqual([
      "Name:\tt",
      "Umask:\t0027",
      "State:\tR (running)",
      `Tgid:\t${value.pid}`,
      "Ngid:\t0",
      `Pid:\t${value.pid}`,
      `PPid:\t${value.ppid}`,
      "TracerPid:\t0",
      "Uid:\t0\t0\t0\t0",
      "Gid:\t0\t0\t0\t0",
      "FDSize:\t64",
      "Groups:\t ",
      `NStgid:\t${value.pid}`,
      `NSpid:\t${value.pid}`,
      "NSpgid:\t0",
      "NSsid:\t0",
    ]);
    expect(lines).toContain(`SigCgt:\t${(1 << (SIGUSR1 - 1)).toString(16).padStart(16, "0")}`);
    expect(lines).toContain("Threads:\t1");
    expect(lines).toContain("Cpus_allowed_list:\t0");
  });

  it("stat has the 52 fields of fs/proc/array.c; a sleeping child is S, a zombie Z with its wait status", async () => {
    const sleeper: Program = async (_argv, sys) => {
      await sys.nanosleep(1e9);
      return 0;
    };
    const { value } = await in_process(
      async (sys) => {
        const self = read(sys, "/proc/self/stat") as string;
        const c = sys.spawn(["sleeper", "x"], { pgroup: 0 });
        await sys.nanosleep(1e6);
        const sleeping = read(sys, `/proc/${c}/stat`) as string;
        const stack = read(sys, `/proc/${c}/stack`);
        sys.kill(c, 15);
        await sys.nanosleep(1e6);
        const zombie = read(sys, `/proc/${c}/stat`) as string;
        const zstatus = read(sys, `/proc/${c}/status`) as string;
        const listed = (sys.readdir("/proc") as string[]).includes(String(c));
        const status = await sys.waitpid(c);
        return { pid: sys.getpid(), ppid: sys.getppid(), c, self, sleeping, stack, zombie, zstatus, listed, status, gone: read(sys, `/proc/${c}/stat`), now: sys.clock_gettime(1) };
      },
      { programs: [["sleeper", sleeper]] },
    );
    const self = stat_fields(value.self);
    expect(self).toHaveLength(52);
    expect(self.slice(0, 9)).toEqual([String(value.pid), "(t)", "R", String(value.ppid), "0", "0", "0", "-1", "0"]);
    expect(self.slice(17, 21)).toEqual(["20", "0", "1", "0"]); // priority, nice, num_threads, itrealvalue
    expect(Number(self[21])).toBeLessThanOrEqual(Math.floor(value.now / 1e7)); // starttime in USER_HZ ticks
    expect(self[24]).toBe("18446744073709551615");
    expect(self[37]).toBe("17"); // exit_signal
    const s = stat_fields(value.sleeping);
    expect(s.slice(0, 6)).toEqual([String(value.c), "(sleeper)", "S", String(value.pid), String(value.c), "0"]);
    expect(s[34]).toBe("1"); // wchan: sleeping
    expect(value.stack).toBe("[<0>] hrtimer_nanosleep\n[<0>] common_nsleep\n[<0>] __x64_sys_clock_nanosleep\n[<0>] do_syscall_64\n[<0>] entry_SYSCALL_64_after_hwframe\n");
    const z = stat_fields(value.zombie);
    expect([z[2], z[51]]).toEqual(["Z", "15"]);
    expect(value.zstatus).toContain("State:\tZ (zombie)\n");
    expect(value).toMatchObject({ listed: true, status: 143, gone: -ENOENT });
  });

  it("cmdline, environ, comm and /proc/self resolve per reader", async () => {
    const child: Program = async (_argv, sys) => {
      await sys.write(1, [sys.readlink("/proc/self"), read(sys, "/proc/self/cmdline"), read(sys, "/proc/self/environ"), read(sys, "/proc/self/comm")].join("|"));
      return 0;
    };
    const { value } = await in_process(
      async (sys) => {
        const [r, w] = sys.pipe2(O_CLOEXEC) as [number, number];
        const pid = sys.spawn(["a-rather-long-program-name", "one", "two words"], { envp: ["A=1", "B=x y"], file_actions: [{ action: "dup2", fd: w, newfd: 1 }] });
        sys.close(w);
        const buf = new Uint8Array(4096);
        const n = await sys.read(r, buf);
        await sys.waitpid(pid);
        return { pid, me: sys.readlink("/proc/self"), mypid: sys.getpid(), child: new TextDecoder().decode(buf.subarray(0, n)) };
      },
      { programs: [["a-rather-long-program-name", child]] },
    );
    expect(value.me).toBe(String(value.mypid));
    expect(value.child).toBe(`${value.pid}|a-rather-long-program-name\0one\0two words\0|A=1\0B=x y\0|a-rather-long-p\n`);
  });

  it("fd/ holds a link per descriptor: /dev/console, a path, pipe:[INO], socket:[INO]; closed ones go", async () => {
    const { value } = await in_process(
      async (sys) => {
        const file = sys.open("/tmp/x", O_WRONLY | O_CREAT);
        const [r, w] = sys.pipe2() as [number, number];
        const sock = sys.socket(2, 1, 0);
        const ino = (fd: number): number => (sys.fstat(fd) as Stat).st_ino;
        const links = (sys.readdir("/proc/self/fd") as string[]).map((n) => `${n} -> ${sys.readlink(`/proc/self/fd/${n}`)}`);
        sys.close(w);
        const after = sys.readdir("/proc/self/fd");
        return { links, after, file, r, w, sock, pipe_ino: ino(r), sock_ino: ino(sock), cwd: sys.readlink("/proc/self/cwd"), via: (sys.stat("/proc/self/fd/3") as Stat).st_ino === ino(file) };
      },
      { inet: true },
    );
    expect(value.links).toEqual([
      "0 -> /dev/console",
      "1 -> /dev/console",
      "2 -> /dev/console",
      `${value.file} -> /tmp/x`,
      `${value.r} -> pipe:[${value.pipe_ino}]`,
      `${value.w} -> pipe:[${value.pipe_ino}]`,
      `${value.sock} -> socket:[${value.sock_ino}]`,
    ]);
    expect(value.after).toEqual(["0", "1", "2", String(value.file), String(value.r), String(value.sock)]);
    expect(value).toMatchObject({ cwd: "/", via: true });
  });

  it("stack shows where a task sleeps: pipe_read, do_wait, a kernel thread's frames, and the reader's own read", async () => {
    const reader: Program = async (_argv, sys) => ((await sys.read(0, new Uint8Array(1))), 0);
    const waiter: Program = async (_argv, sys) => ((await sys.waitpid(sys.spawn(["reader"]))), 0);
    const { value, tm } = await in_process(
      async (sys) => {
        const [r, w] = sys.pipe2(O_CLOEXEC) as [number, number];
        const pid = sys.spawn(["waiter"], { file_actions: [{ action: "dup2", fd: r, newfd: 0 }] });
        await sys.nanosleep(1e6);
        const kids = (sys.readdir("/proc") as string[]).map(Number).filter((p) => p > pid);
        const stacks = [read(sys, `/proc/${pid}/stack`), read(sys, `/proc/${kids[0]}/stack`), read(sys, "/proc/self/stack")];
        sys.close(w);
        await sys.waitpid(pid);
        return stacks;
      },
      { programs: [["reader", reader], ["waiter", waiter]] },
    );
    expect(value).toEqual([
      "[<0>] do_wait\n[<0>] kernel_wait4\n[<0>] __do_sys_wait4\n[<0>] do_syscall_64\n[<0>] entry_SYSCALL_64_after_hwframe\n",
      "[<0>] pipe_read\n[<0>] vfs_read\n[<0>] ksys_read\n[<0>] do_syscall_64\n[<0>] entry_SYSCALL_64_after_hwframe\n",
      "[<0>] proc_pid_stack\n[<0>] proc_single_show\n[<0>] seq_read_iter\n[<0>] seq_read\n[<0>] vfs_read\n[<0>] ksys_read\n[<0>] do_syscall_64\n[<0>] entry_SYSCALL_64_after_hwframe\n",
    ]);
    const kthread = with_kernel(tm.kernel, () => {
      for (let pid = 2; pid < 40; pid++) {
        const t = find_task_by_pid(pid);
        if (t !== undefined && (t.flags & 0x00200000) !== 0 && (t.state & 3) !== 0) return proc_read(`${pid}/stack`);
      }
      return "no sleeping kthread";
    });
    expect(kthread).toBe("[<0>] kthread\n[<0>] ret_from_fork\n");
  });
});

describe("/proc/cmdline, /proc/iomem, /proc/ioports", () => {
  it("cmdline is the kernel command line", async () => {
    const { value } = await in_process((sys) => read(sys, "/proc/cmdline"));
    expect(value).toBe("quiet dma_debug=on\n");
  });

  it("iomem and ioports nest RAM, firmware reservations, ECAM, the host bridge window, BARs and the bound driver", async () => {
    const tm = boot_test_machine({
      mem_size: 64 << 20,
      setup: (m) => {
        m.pci.plug(new E1000(m.clock, { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56), name: "e1000.0" }), 3);
        m.pci.plug(new EduDevice(m.clock), 4);
      },
      boot: { modules: MODULES, default_modules: ["e1000"] },
    });
    await tm.run_until(() => with_kernel(tm.kernel, () => find_task_by_pid(1) === undefined));
    const [iomem, ioports] = await tm.in_task(() => [proc_read("iomem"), proc_read("ioports")]);
    expect(iomem).toBe(
      [
        "00000000-0009fbff : System RAM",
        "0009fc00-000fffff : Reserved",
        "00100000-03ffffff : System RAM",
        "b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]",
        "  b0000000-bfffffff : Reserved",
        "c0000000-febfffff : PCI Bus 0000:00",
        "  c0000000-c00fffff : 0000:00:04.0",
        "  c0100000-c011ffff : 0000:00:03.0",
        "    c0100000-c011ffff : e1000",
        "fec00000-fec00fff : Reserved",
        "fee00000-fee00fff : Reserved",
        "fffc0000-ffffffff : Reserved",
        "",
      ].join("\n"),
    );
    expect(ioports).toBe(["c000-ffff : PCI Bus 0000:00", "  c000-c007 : 0000:00:03.0", "    c000-c007 : e1000", ""].join("\n"));
  });
});
