/**
 * /proc/stat and /proc/loadavg in Linux's formats (fs/proc/stat.c, fs/proc/loadavg.c), with the
 * values the kernel tracks, and the load average's fixed-point arithmetic (kernel/sched/loadavg.c).
 */
import { describe, expect, it } from "vitest";
import { CLOCK_MONOTONIC, CLOCK_REALTIME, type Program, type Syscalls } from "../../include/uapi/syscalls.ts";
import { proc_read } from "../../kernel/fs/proc.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { kthread_run } from "../../kernel/kthread.ts";
import { nr_irqs } from "../../kernel/irq/irqdesc.ts";
import { zombie_list } from "../../kernel/process.ts";
import { find_task_by_pid, msleep, task_list } from "../../kernel/sched/core.ts";
import { calc_load, calc_load_n, EXP_1, EXP_15, EXP_5, FIXED_1 } from "../../kernel/sched/loadavg.ts";
import { mdelay } from "../../kernel/time/delay.ts";
import { timers_pending } from "../../kernel/time/timer.ts";
import { boot_test_machine, type TestMachine } from "../helpers/boot.ts";
import { in_process, run_shell, text } from "./vfs_harness.ts";

/** This Debian 12 host's /proc/loadavg and /proc/stat (two CPUs; the intr line cut after 24 irqs). */
const HOST_LOADAVG = "3.54 5.21 6.66 4/191 23217\n";
const HOST_STAT = [
  "cpu  492687 0 80111 1398760 366 0 597 1335 0 0",
  "cpu0 246271 0 40137 699445 49 0 260 614 0 0",
  "cpu1 246415 0 39973 699314 317 0 336 720 0 0",
  "intr 4143146 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
  "ctxt 14366560",
  "btime 1796237370",
  "processes 120569",
  "procs_running 6",
  "procs_blocked 0",
  "softirq 1859252 0 342979 8 11089 51221 0 3 393361 103 1060488",
  "",
].join("\n");

/** One line of each kind, in Linux's order and spacing (the per-CPU lines: one per CPU). */
const STAT_SHAPE: readonly RegExp[] = [
  /^cpu {2}\d+(?: \d+){9}$/,
  /^cpu\d+ \d+(?: \d+){9}$/,
  /^intr \d+(?: \d+)+$/,
  /^ctxt \d+$/,
  /^btime \d+$/,
  /^processes \d+$/,
  /^procs_running \d+$/,
  /^procs_blocked \d+$/,
  /^softirq \d+(?: \d+){10}$/,
];
const LOADAVG_SHAPE = /^\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+\/\d+ \d+\n$/;

function check_stat_shape(stat: string): void {
  const lines = stat.split("\n");
  expect(lines.pop()).toBe(""); // ends in a newline
  const kinds = lines.map((l) => STAT_SHAPE.findIndex((re) => re.test(l)));
  expect(kinds.every((k) => k >= 0), stat).toBe(true);
  // cpu, then the per-CPU lines, then each other line once, in order.
  expect(kinds.filter((k, i) => k !== 1 || kinds[i - 1] !== 1)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
}

const fields = (stat: string, key: string): number[] =>
  (new RegExp(`^${key} +(.*)$`, "m").exec(stat)?.[1] ?? "").split(" ").map(Number);

const read = (sys: Syscalls, path: string): string => text(sys.read_file(path)) as string;

/** Boot with no init, wait for pid 1 to finish its boot work. */
async function booted(): Promise<TestMachine> {
  const tm = boot_test_machine();
  await tm.run_until(() => with_kernel(tm.kernel, () => find_task_by_pid(1) === undefined));
  return tm;
}

/** A kernel thread that sleeps uninterruptibly (D state: it counts in the load) for `ms`. */
function d_sleeper(tm: TestMachine, ms: number): void {
  with_kernel(tm.kernel, () =>
    kthread_run(
      async () => {
        await msleep(ms);
      },
      null,
      `dsleep${ms}`,
    ),
  );
}

const EXPS = [EXP_1, EXP_5, EXP_15] as const;

/**
 * The averages after catch-ups of `n` windows with `active` tasks each, as calc_global_load does
 * them (calc_load for the first window, calc_load_n for the rest), printed as /proc/loadavg does.
 */
function caught_up(segments: readonly (readonly [n: number, active: number])[]): string {
  let av = [0, 0, 0];
  for (const [n, active] of segments) {
    av = av.map((x, i) => calc_load(x, EXPS[i]!, active * FIXED_1));
    if (n > 1) av = av.map((x, i) => calc_load_n(x, EXPS[i]!, active * FIXED_1, n - 1));
  }
  return av.map((x) => x + Math.floor(FIXED_1 / 200)).map((x) => `${Math.floor(x / FIXED_1)}.${String(Math.floor(((x % FIXED_1) * 100) / FIXED_1)).padStart(2, "0")}`).join(" ");
}

describe("/proc/stat", () => {
  it("the real host's file has the shape we check against", () => {
    check_stat_shape(HOST_STAT);
    expect(HOST_LOADAVG).toMatch(LOADAVG_SHAPE);
  });

  it("has Linux's lines with the kernel's counts: irqs as /proc/interrupts, softirqs as /proc/softirqs, forks, btime", async () => {
    const child: Program = async () => 0;
    const { tm, value } = await in_process(
      async (sys) => {
        const before = read(sys, "/proc/stat");
        for (let i = 0; i < 3; i++) await sys.waitpid(sys.spawn(["child"]));
        await sys.nanosleep(10e6); // a timer interrupt and its softirq
        const real = sys.clock_gettime(CLOCK_REALTIME);
        const mono = sys.clock_gettime(CLOCK_MONOTONIC);
        const stat = read(sys, "/proc/stat");
        return { before, stat, real, mono, interrupts: read(sys, "/proc/interrupts"), softirqs: read(sys, "/proc/softirqs"), uptime: read(sys, "/proc/uptime") };
      },
      { programs: [["child", child]] },
    );
    const { stat, before } = value;
    check_stat_shape(stat);
    expect(stat.split("\n").filter((l) => /^cpu\d/.test(l))).toHaveLength(1); // one CPU
    // The cpu line and cpu0 are the same CPU.
    expect(fields(stat, "cpu")).toEqual(fields(stat, "cpu0"));

    // intr: one count per irq number; each line's count as /proc/interrupts has it; the total
    // adds LOC and ERR, as Linux's arch_irq_stat_cpu and arch_irq_stat do.
    const intr = fields(stat, "intr");
    expect(intr).toHaveLength(1 + with_kernel(tm.kernel, nr_irqs));
    const rows = new Map(value.interrupts.split("\n").slice(1).map((l) => /^ *(\w+): +(\d+)/.exec(l)).filter((m) => m !== null).map((m) => [m[1]!, Number(m[2])]));
    for (const [name, count] of rows) if (/^\d+$/.test(name)) expect(intr[1 + Number(name)], `irq ${name}`).toBe(count);
    const line_sum = intr.slice(1).reduce((a, b) => a + b, 0);
    expect(rows.get("LOC")).toBeGreaterThan(0);
    expect(intr[0]).toBe(line_sum + rows.get("LOC")! + rows.get("ERR")!);

    // softirq: the total, then /proc/softirqs' column in vector order.
    const soft = value.softirqs.split("\n").slice(1, -1).map((l) => Number(/(\d+)$/.exec(l)![1]));
    expect(fields(stat, "softirq")).toEqual([soft.reduce((a, b) => a + b, 0), ...soft]);
    expect(soft[1]).toBeGreaterThan(0); // TIMER ran

    // processes: the three children (and nothing else) were forked between the two reads.
    expect(fields(stat, "processes")[0]! - fields(before, "processes")[0]!).toBe(3);
    expect(fields(stat, "ctxt")[0]).toBeGreaterThan(fields(before, "ctxt")[0]!);
    // The reader runs; nothing waits for I/O.
    expect(fields(stat, "procs_running")[0]).toBe(1);
    expect(fields(stat, "procs_blocked")[0]).toBe(0);
    // btime: the wall clock less the time since boot, in whole seconds.
    expect(fields(stat, "btime")[0]).toBe(Math.floor((value.real - value.mono) / 1e9));

    // CPU time in USER_HZ ticks: idle is /proc/uptime's idle, and the columns add up to the uptime.
    const [user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice] = fields(stat, "cpu");
    const [up, up_idle] = value.uptime.trim().split(" ").map(Number);
    expect(Math.abs(idle! - up_idle! * 100)).toBeLessThanOrEqual(1);
    expect(Math.abs(user! + system! + idle! - up! * 100)).toBeLessThanOrEqual(2);
    expect([nice, iowait, irq, softirq, steal, guest, guest_nice]).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it("counts a busy-waiting task's time as user time and the halted CPU as idle", async () => {
    const tm = await booted();
    const stat0 = await tm.in_task(() => proc_read("stat") as string);
    await tm.run_for(3e9); // nothing to do: the CPU halts
    // A task that busy-waits 250 ms (mdelay moves the clock inside its step).
    const stat1 = await tm.in_task(() => {
      mdelay(250);
      return proc_read("stat") as string;
    });
    const d = fields(stat1, "cpu").map((v, i) => v - fields(stat0, "cpu")[i]!);
    expect(d[0]).toBeGreaterThanOrEqual(25); // user: the 250 ms busy-wait
    expect(d[0]).toBeLessThanOrEqual(26);
    expect(d[3]).toBeGreaterThanOrEqual(299); // idle: the 3 s of halt
    expect(d[3]).toBeLessThanOrEqual(301);
  });
});

describe("/proc/loadavg", () => {
  it("is Linux's line: averages, running/total tasks, last pid", async () => {
    const { value } = await in_process(
      async (sys) => {
        const pid = sys.spawn(["true"]);
        await sys.waitpid(pid);
        const loadavg = read(sys, "/proc/loadavg");
        return { loadavg, pid, total: task_list().length + zombie_list().length };
      },
      { programs: [["true", async () => 0]] },
    );
    expect(value.loadavg).toMatch(LOADAVG_SHAPE);
    // No 5 s window has closed yet; the reader is the one running task; the child had the last pid.
    expect(value.loadavg).toBe(`0.00 0.00 0.00 1/${value.total} ${value.pid}\n`);
  });

  it("samples every 5 s with Linux's fixed-point factors; D-state sleepers count, and decay after", async () => {
    const tm = await booted();
    d_sleeper(tm, 57_500);
    const loadavg = async (): Promise<string> => (await tm.in_task(() => proc_read("loadavg"))) as string;
    // Windows close at 5.001 s + 10 jiffies and every 5.001 s after.
    await tm.run_for(5.5e9);
    expect(await loadavg()).toMatch(/^0\.08 0\.02 0\.01 1\/\d+ \d+\n$/);
    await tm.run_for(20e9); // four more windows, caught up by this read
    expect(caught_up([[1, 1], [4, 1]])).toBe("0.34 0.08 0.03");
    expect(await loadavg()).toMatch(/^0\.34 0\.08 0\.03 /);
    // Six more windows with the sleeper, caught up when it wakes at 57.5 s; then eight with nothing.
    await tm.run_for(72.5e9);
    expect(caught_up([[1, 1], [4, 1], [6, 1], [8, 0]])).toBe("0.31 0.15 0.06");
    expect(await loadavg()).toMatch(/^0\.31 0\.15 0\.06 /);
  });

  it("a machine that went idle is caught up with the count it had when it went idle", async () => {
    const tm = await booted();
    d_sleeper(tm, 12_000); // wakes at 12 s: two windows with 2 active, caught up then
    d_sleeper(tm, 60_000);
    await tm.run_for(29e9); // three more windows with 1 active, caught up by the read
    expect(caught_up([[2, 2], [3, 1]])).toBe("0.46 0.11 0.04");
    expect(await tm.in_task(() => proc_read("loadavg"))).toMatch(/^0\.46 0\.11 0\.04 /);
  });

  it("keeps no timer: an idle machine stays idle", async () => {
    const tm = await booted();
    const timers = with_kernel(tm.kernel, timers_pending);
    const t0 = tm.world.clock.now_ns();
    expect(await tm.world.run({})).toBe("idle");
    expect(tm.world.clock.now_ns()).toBe(t0);
    expect(with_kernel(tm.kernel, timers_pending)).toBe(timers);
  });

  it("fixed-point arithmetic: Linux's values (calc_load rounds up while rising; calc_load_n is exp^n)", () => {
    expect([EXP_1, EXP_5, EXP_15].map((e) => calc_load(0, e, FIXED_1))).toEqual([164, 34, 11]);
    expect(calc_load(2048, EXP_1, 0)).toBe(1884);
    // Five windows: one step then exp^4 at once (calc_global_nohz).
    expect(EXPS.map((e) => calc_load_n(calc_load(0, e, FIXED_1), e, FIXED_1, 4))).toEqual([700, 164, 55]);
    expect(caught_up([[1, 1]])).toBe("0.08 0.02 0.01");
  });
});

describe("procps tools read them", () => {
  it("uptime, top -b -n 1, ps aux and the files themselves inside the machine", async () => {
    const r = await run_shell("cat /proc/loadavg; cat /proc/stat; uptime; top -b -n 1; ps aux");
    expect(r.status).toBe(0);
    const lines = r.out.split("\n");
    const la = lines.find((l) => /^\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+\/\d+ \d+$/.test(l));
    expect(la).toBeDefined();
    const [running, total] = la!.split(" ")[3]!.split("/").map(Number);
    expect(running).toBeGreaterThanOrEqual(1);
    expect(r.out).toMatch(/^cpu {2}\d+ 0 \d+ \d+ 0 0 0 0 0 0$/m);
    expect(r.out).toMatch(/^ \d\d:\d\d:\d\d up 0 min, +\d+ users?, +load average: 0\.00, 0\.00, 0\.00$/m);
    expect(r.out).toMatch(/^top - \d\d:\d\d:\d\d up 0 min, .*load average: 0\.00, 0\.00, 0\.00\nTasks: +\d+ total, +\d+ running/m);
    expect(r.out).toMatch(/^%Cpu\(s\): +[\d.]+ us, +[\d.]+ sy, +0\.0 ni, *[\d.]+ id/m);
    // ps's START comes from btime; the tasks of the first run: total as /proc/loadavg said then.
    expect(r.out).toMatch(/^USER +PID %CPU %MEM +VSZ +RSS TTY +STAT START +TIME COMMAND$/m);
    expect(total).toBeGreaterThanOrEqual(3);
  });

  it("/etc/passwd and /etc/group name root and Debian's nobody/nogroup; ps and ls name the owner from them", async () => {
    const r = await run_shell("cat /etc/passwd /etc/group; ls -l /etc/passwd; ps aux | tail -1");
    // The nobody and nogroup lines as this Debian 12 host has them; root's shell is this system's /bin/sh.
    expect(r.out).toContain(
      "root:x:0:0:root:/root:/bin/sh\n" + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" + "root:x:0:\n" + "nogroup:x:65534:\n",
    );
    expect(r.out).toMatch(/^-rw-r--r-- +1 root +root +89 .* \/etc\/passwd$/m);
    expect(r.out).toMatch(/^root +\d+ .* tail -1$/m);
  });
});
