/**
 * ps, free, uptime, top and watch against what procps-ng 4.0.2 printed on this Debian 12 host for
 * the same /proc contents (fixtures below: the files were captured, or bind-mounted over /proc for
 * the real tool), through a stand-in for the system calls that serves those files; then the tools
 * on a booted machine, over its own /proc.
 */
import { describe, expect, it } from "vitest";
import { CLOCK_MONOTONIC, type Syscalls } from "../../include/uapi/syscalls.ts";
import { free } from "../../userland/bin/free.ts";
import { ps } from "../../userland/bin/ps.ts";
import { top } from "../../userland/bin/top.ts";
import { uptime, uptime_line, uptime_pretty } from "../../userland/bin/uptime.ts";
import { watch_header } from "../../userland/bin/watch.ts";
import { run_shell } from "../kernel/vfs_harness.ts";

/**
 * The calls the procps tools make, answered from `files` (path → contents); the clock stands at
 * `now_s`. Anything else is a test bug and throws.
 */
function fake_sys(files: Readonly<Record<string, string>>, now_s: number, env: string[] = []): { sys: Syscalls; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const enc = new TextEncoder();
  const impl: Partial<Syscalls> = {
    read_file: (path) => (path in files ? enc.encode(files[path]!) : -2),
    readdir: (path) => (path === "/proc" ? [...new Set(Object.keys(files).map((p) => /^\/proc\/(\d+)\//.exec(p)?.[1]).filter((p): p is string => p !== undefined))].sort() : -2),
    write: async (fd, data) => {
      const s = typeof data === "string" ? data : new TextDecoder().decode(data);
      if (fd === 1) out += s;
      else err += s;
      return s.length;
    },
    clock_gettime: (clock) => (clock === CLOCK_MONOTONIC ? 0 : now_s * 1e9),
    getpid: () => 999,
    environ: () => env,
    isatty: () => 0,
    sigaction: () => 0,
    nanosleep: async () => 0,
    uname: () => ({ sysname: "ringzero", nodename: "vm", release: "0.1.0", version: "#1 SMP", machine: "x86_64" }),
  };
  const sys = new Proxy(impl, {
    get(target, name) {
      const v = (target as Record<string | symbol, unknown>)[name];
      if (v === undefined) throw new Error(`fake_sys: unexpected system call ${String(name)}`);
      return v;
    },
  }) as Syscalls;
  return { sys, out: () => out, err: () => err };
}


describe("free (procps-ng 4.0.2)", () => {
  it("prints what the real free printed for the same /proc/meminfo, for every unit and layout option", async () => {
    let checked = 0;
    for (const fx of FREE_FIXTURES) {
      for (const [flags, expected] of Object.entries(fx.free)) {
        const f = fake_sys({ "/proc/meminfo": fx.meminfo }, 0);
        const status = await free(["free", ...flags.split(" ").filter((a) => a !== "")], f.sys);
        expect({ flags, out: f.out() }).toEqual({ flags, out: expected });
        expect(status).toBe(0);
        checked++;
      }
    }
    expect(checked).toBe(68);
  });

  it("refuses what the real free refuses, with its messages and status 1", async () => {
    const cases: [string[], string][] = [
      [["-k", "-m"], "free: Multiple unit options don't make sense.\n"],
      [["-s", "0"], "free: seconds argument `0' is not positive number\n"],
      [["-c", "0"], "free: failed to parse count argument: '0': Numerical result out of range\n"],
      [["-s", "x"], "free: seconds argument failed: 'x': Invalid argument\n"],
    ];
    for (const [args, msg] of cases) {
      const f = fake_sys({ "/proc/meminfo": FREE_FIXTURES[0]!.meminfo }, 0);
      expect(await free(["free", ...args], f.sys)).toBe(1);
      expect(f.err()).toBe(msg);
    }
    const f = fake_sys({ "/proc/meminfo": FREE_FIXTURES[0]!.meminfo }, 0);
    expect(await free(["free", "-z"], f.sys)).toBe(1);
    expect(f.err()).toMatch(/^free: invalid option -- 'z'\n\nUsage:\n free \[options\]\n/);
    const g = fake_sys({}, 0);
    expect(await free(["free"], g.sys)).toBe(1);
    expect(g.err()).toBe("free: Memory information file /proc/meminfo does not exist\n");
  });

  it("-c N prints N tables a blank line apart", async () => {
    const f = fake_sys({ "/proc/meminfo": FREE_FIXTURES[0]!.meminfo }, 0);
    expect(await free(["free", "-c", "2"], f.sys)).toBe(0);
    const one = FREE_FIXTURES[0]!.free[""]!;
    expect(f.out()).toBe(`${one}\n${one}`);
  });
});

describe("uptime (procps-ng 4.0.2)", () => {
  it("formats the line and -p as the real uptime did for the same /proc/uptime and /proc/loadavg", async () => {
    for (const fx of UPTIME_FIXTURES) {
      const up = Number(fx.uptime.split(" ")[0]);
      const load = fx.loadavg.split(" ").slice(0, 3).map(Number) as [number, number, number];
      // The real line's clock is the host's; give ours the same second.
      const [hh, mm, ss] = fx.line.slice(1, 9).split(":").map(Number) as [number, number, number];
      const now = Math.floor(fx.now / 86400) * 86400 + hh * 3600 + mm * 60 + ss;
      expect(uptime_line(now, up, 0, load)).toBe(fx.line);
      expect(uptime_pretty(up)).toBe(fx.pretty);
      const f = fake_sys({ "/proc/uptime": `${fx.uptime}\n`, "/proc/loadavg": `${fx.loadavg}\n` }, now);
      expect(await uptime(["uptime"], f.sys)).toBe(0);
      expect(f.out()).toBe(`${fx.line}\n`);
    }
  });

  it("-s is the boot time; without /proc/loadavg the load reads 0.00 as procps leaves it; bad options fail", async () => {
    const f = fake_sys({ "/proc/uptime": "3661.70 10.00\n" }, 1796244349);
    expect(await uptime(["uptime", "-s"], f.sys)).toBe(0);
    expect(f.out()).toBe("2026-12-02 19:44:47\n"); // (time_t)(now − uptime + 0.5)
    const g = fake_sys({ "/proc/uptime": "3661.70 10.00\n" }, 1796244349);
    await uptime(["uptime"], g.sys);
    expect(g.out()).toBe(" 20:45:49 up  1:01,  0 user,  load average: 0.00, 0.00, 0.00\n");
    const h = fake_sys({}, 0);
    expect(await uptime(["uptime", "-x"], h.sys)).toBe(1);
    expect(h.err()).toMatch(/^uptime: invalid option -- 'x'\n/);
  });
});

/** The fixture's /proc, as files. */
function ps_files(): Record<string, string> {
  const files: Record<string, string> = {
    "/proc/uptime": PS_FIXTURE.uptime,
    "/proc/stat": PS_FIXTURE.btime,
    "/proc/meminfo": `${PS_FIXTURE.memtotal}\n`,
    "/proc/sys/kernel/pid_max": PS_FIXTURE.pid_max,
  };
  for (const [pid, p] of Object.entries(PS_FIXTURE.procs)) {
    files[`/proc/${pid}/stat`] = p.stat;
    files[`/proc/${pid}/status`] = p.status;
    files[`/proc/${pid}/cmdline`] = p.cmdline;
  }
  return files;
}

describe("ps (procps-ng 4.0.2)", () => {
  it("prints the standard formats exactly as the real ps did for the same /proc", async () => {
    for (const args of ["-fp 1,2", "u -p 1,2", "-p 1,2", "-o pid,ppid,pgid,sid,tname,stat,etime,nice,pri,opri,rss,vsz,sz,f,s,c,uid,user,comm -p 1,2"] as const) {
      const f = fake_sys(ps_files(), Math.floor(PS_FIXTURE.now));
      expect(await ps(["ps", ...args.split(" ")], f.sys)).toBe(0);
      expect(f.out()).toBe(PS_FIXTURE.ps[args]);
    }
  });

  it("-l matches except WCHAN, which the kernel does not report (\"-\")", async () => {
    const f = fake_sys(ps_files(), Math.floor(PS_FIXTURE.now));
    await ps(["ps", "-lp", "1,2"], f.sys);
    const real = PS_FIXTURE.ps["-lp 1,2"].split("\n");
    const ours = f.out().split("\n");
    expect(ours[0]).toBe(real[0]);
    expect(ours[1]).toBe(real[1]); // pid 1 sleeps in user space: "-" there too
    expect(ours[2]).toBe(real[2]!.replace("kthrea", "-     "));
  });

  it("selects by default the caller's terminal and user; -p of nothing prints the header and exits 1; bad options", async () => {
    const files = ps_files();
    files["/proc/999/stat"] = "999 (ps) R 2 999 999 34817 999 4194304 0 0 0 0 0 0 0 0 20 0 1 0 800000 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    files["/proc/999/status"] = "Name:\tps\nUid:\t0\t0\t0\t0\n";
    files["/proc/999/cmdline"] = "ps\0";
    const f = fake_sys(files, Math.floor(PS_FIXTURE.now));
    expect(await ps(["ps"], f.sys)).toBe(0);
    expect(f.out()).toBe("  PID TTY          TIME CMD\n  999 pts/1    00:00:00 ps\n");
    const g = fake_sys(ps_files(), Math.floor(PS_FIXTURE.now));
    expect(await ps(["ps", "-p", "4242"], g.sys)).toBe(1);
    expect(g.out()).toBe("  PID TTY          TIME CMD\n");
    const h = fake_sys(ps_files(), 0);
    expect(await ps(["ps", "-o", "bogus"], h.sys)).toBe(1);
    expect(h.err()).toMatch(/^error: unknown user-defined format specifier "bogus"\n/);
  });
});

describe("top -b (procps-ng 4.0.2)", () => {
  it("prints the summary and task lines the real top printed for the same /proc", async () => {
    const f = fake_sys(TOP_FIXTURE.files, TOP_FIXTURE.now);
    expect(await top(["top", "-b", "-n", "1", "-p", "2"], f.sys)).toBe(0);
    expect(f.out()).toBe(TOP_FIXTURE.out);
  });

  it("-n 2 prints two frames a blank line apart; bad arguments fail", async () => {
    const f = fake_sys(TOP_FIXTURE.files, TOP_FIXTURE.now);
    expect(await top(["top", "-b", "-n", "2", "-d", "0.5", "-p", "2"], f.sys)).toBe(0);
    expect(f.out()).toBe(`${TOP_FIXTURE.out}\n${TOP_FIXTURE.out}`);
    const g = fake_sys({}, 0);
    expect(await top(["top", "-b", "-n", "x"], g.sys)).toBe(1);
    expect(g.err()).toMatch(/^top: bad iterations arg 'x'\n/);
  });
});

describe("watch (procps-ng 4.0.2)", () => {
  it("puts \"Every N.Ns: CMD\" at the left and \"HOST: ctime\" against the right edge, as the real one drew it", () => {
    // Real: ESC[1;53H "vm: Wed Dec  2 20:44:07 2026" on an 80-column screen, after "Every 1.0s: echo hi".
    const t = Date.UTC(2026, 11, 2, 20, 44, 7) / 1000;
    expect(watch_header(80, 1, "echo hi", "vm", t)).toBe(`Every 1.0s: echo hi${" ".repeat(52 - 19)}vm: Wed Dec  2 20:44:07 2026`);
    // Too narrow for the whole command: cut, then "... ".
    // procps: 60 − 35 − 12 − 4 = 9 columns of command, "... " at 60 − 35 − 4, the right part at 60 − 35 + 1.
    const h = watch_header(60, 2, "a very long command line that does not fit", "ringzero", t);
    expect(h).toBe("Every 2.0s: a very lo...  ringzero: Wed Dec  2 20:44:07 2026");
    expect(h.length).toBe(60);
  });
});

describe("on the machine", () => {
  it("ps lists the shell and itself on the console; -ef and aux show kernel threads in brackets", async () => {
    const r = await run_shell("ps; ps -ef; ps aux; ps -o pid,tty,stat,comm");
    expect(r.out).toMatch(/^  PID TTY          TIME CMD\n(?: +\d+ console  00:00:00 \S+\n)*? +\d+ console  00:00:00 ps\n/m);
    expect(r.out).toMatch(/^UID        PID  PPID  C STIME TTY          TIME CMD\nroot         1     0  0 \d\d:\d\d \?        00:00:00 init/m);
    expect(r.out).toMatch(/^root +\d+ +0 +0 \d\d:\d\d \? +00:00:00 \[kworker\/0:0/m);
    expect(r.out).toMatch(/^USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n/m);
    expect(r.out).toMatch(/^root +\d+  \d+\.\d  \d+\.\d +\d+ +\d+ console  R\+ +\d\d:\d\d   0:00 ps aux$/m);
    expect(r.status).toBe(0);
  });

  it("uptime, free and top read the machine's /proc in procps's layout", async () => {
    const r = await run_shell("uptime; uptime -p; free; free -h; top -b -n 1");
    expect(r.out).toMatch(/^ \d\d:\d\d:\d\d up 0 min, [ \d]\d users?,  load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d\n/m);
    expect(r.out).toContain("up 0 minutes\n");
    expect(r.out).toMatch(/^               total        used        free      shared  buff\/cache   available\nMem: +\d+ +\d+ +\d+ +\d+ +\d+ +\d+\nSwap:              0           0           0\n/m);
    expect(r.out).toMatch(/^Mem: +\d+Mi +(?:\d+(?:\.\d)?[KMG]i|\d+B) +\d+Mi +(?:\d+(?:\.\d)?[KMG]i|\d+B)/m);
    expect(r.out).toMatch(/^top - \d\d:\d\d:\d\d up 0 min, .*\nTasks: +\d+ total, +\d+ running, +\d+ sleeping, +0 stopped, +0 zombie\n%Cpu\(s\):/m);
    expect(r.out).toMatch(/^  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME\+ COMMAND\n/m);
    expect(r.out).toMatch(/^ +\d+ root +20 +0 +\d+ +\d+ +\d+ R +\d+\.\d +\d+\.\d +0:00\.\d\d top$/m);
  });

  it("watch redraws under its header until the output changes (-g); -t leaves the header off", async () => {
    const r = await run_shell("watch -n 1 -g date; echo s=$?; watch -t -n 0.5 -g date; echo s=$?");
    expect(r.out).toMatch(/\x1b\[H\x1b\[JEvery 1\.0s: date +ringzero: [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\n\n[A-Z][a-z]{2} .* UTC \d{4}/);
    expect(r.out).toMatch(/s=0\n[\s\S]*\x1b\[H\x1b\[J[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}[\s\S]*s=0\n/);
  });
});

/** /proc/meminfo inputs and what procps-ng 4.0.2's free printed for them on Debian 12 (the file bind-mounted over /proc/meminfo). */
export const FREE_FIXTURES: readonly { meminfo: string; free: Readonly<Record<string, string>> }[] = [
  {
    meminfo: "MemTotal:         130620 kB\nMemFree:          130096 kB\nMemAvailable:     130096 kB\nBuffers:               0 kB\nCached:                0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n",
    free: {
      "": "               total        used        free      shared  buff/cache   available\nMem:          130620         524      130096           0           0      130096\nSwap:              0           0           0\n",
      "-h": "               total        used        free      shared  buff/cache   available\nMem:           127Mi       524Ki       127Mi          0B          0B       127Mi\nSwap:             0B          0B          0B\n",
      "-w": "               total        used        free      shared     buffers       cache   available\nMem:          130620         524      130096           0           0           0      130096\nSwap:              0           0           0\n",
      "-t": "               total        used        free      shared  buff/cache   available\nMem:          130620         524      130096           0           0      130096\nSwap:              0           0           0\nTotal:        130620         524      130096\n",
      "--si": "               total        used        free      shared  buff/cache   available\nMem:          133754         536      133218           0           0      133218\nSwap:              0           0           0\n",
      "-b": "               total        used        free      shared  buff/cache   available\nMem:       133754880      536576   133218304           0           0   133218304\nSwap:              0           0           0\n",
      "-m": "               total        used        free      shared  buff/cache   available\nMem:             127           0         127           0           0         127\nSwap:              0           0           0\n",
      "-g": "               total        used        free      shared  buff/cache   available\nMem:               0           0           0           0           0           0\nSwap:              0           0           0\n",
      "-h --si": "               total        used        free      shared  buff/cache   available\nMem:            133M        536K        133M          0B          0B        133M\nSwap:             0B          0B          0B\n",
      "-h -w": "               total        used        free      shared     buffers       cache   available\nMem:           127Mi       524Ki       127Mi          0B          0B          0B       127Mi\nSwap:             0B          0B          0B\n",
      "-l": "               total        used        free      shared  buff/cache   available\nMem:          130620         524      130096           0           0      130096\nLow:          130620         524      130096\nHigh:              0           0           0\nSwap:              0           0           0\n",
      "-v": "               total        used        free      shared  buff/cache   available\nMem:          130620         524      130096           0           0      130096\nSwap:              0           0           0\nComm:              0           0           0\n",
      "-h -l -t": "               total        used        free      shared  buff/cache   available\nMem:           127Mi       524Ki       127Mi          0B          0B       127Mi\nLow:           127Mi       524Ki       127Mi\nHigh:             0B          0B          0B\nSwap:             0B          0B          0B\nTotal:         127Mi       524Ki       127Mi\n",
      "--tera": "               total        used        free      shared  buff/cache   available\nMem:               0           0           0           0           0           0\nSwap:              0           0           0\n",
      "--peta --si -h": "               total        used        free      shared  buff/cache   available\nMem:            133M        536K        133M          0B          0B        133M\nSwap:             0B          0B          0B\n",
      "--kilo": "               total        used        free      shared  buff/cache   available\nMem:          133754         536      133218           0           0      133218\nSwap:              0           0           0\n",
      "-h -v": "               total        used        free      shared  buff/cache   available\nMem:           127Mi       524Ki       127Mi          0B          0B       127Mi\nSwap:             0B          0B          0B\nComm:             0B          0B          0B\n",
    },
  },
  {
    meminfo: "MemTotal:       24683584 kB\nMemFree:        22942076 kB\nMemAvailable:   23422064 kB\nBuffers:           11904 kB\nCached:           656116 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\nShmem:              9356 kB\nSReclaimable:      75564 kB\nCommitLimit:    12341792 kB\nCommitted_AS:     750756 kB\n",
    free: {
      "": "               total        used        free      shared  buff/cache   available\nMem:        24683584     1261520    22942076        9356      743584    23422064\nSwap:              0           0           0\n",
      "-h": "               total        used        free      shared  buff/cache   available\nMem:            23Gi       1.2Gi        21Gi       9.1Mi       726Mi        22Gi\nSwap:             0B          0B          0B\n",
      "-w": "               total        used        free      shared     buffers       cache   available\nMem:        24683584     1261520    22942076        9356       11904      731680    23422064\nSwap:              0           0           0\n",
      "-t": "               total        used        free      shared  buff/cache   available\nMem:        24683584     1261520    22942076        9356      743584    23422064\nSwap:              0           0           0\nTotal:      24683584     1261520    22942076\n",
      "--si": "               total        used        free      shared  buff/cache   available\nMem:        25275990     1291796    23492685        9580      761430    23984193\nSwap:              0           0           0\n",
      "-b": "               total        used        free      shared  buff/cache   available\nMem:     25275990016  1291796480 23492685824     9580544   761430016 23984193536\nSwap:              0           0           0\n",
      "-m": "               total        used        free      shared  buff/cache   available\nMem:           24105        1231       22404           9         726       22873\nSwap:              0           0           0\n",
      "-g": "               total        used        free      shared  buff/cache   available\nMem:              23           1          21           0           0          22\nSwap:              0           0           0\n",
      "-h --si": "               total        used        free      shared  buff/cache   available\nMem:             25G        1.3G         23G        9.6M        761M         23G\nSwap:             0B          0B          0B\n",
      "-h -w": "               total        used        free      shared     buffers       cache   available\nMem:            23Gi       1.2Gi        21Gi       9.1Mi        11Mi       714Mi        22Gi\nSwap:             0B          0B          0B\n",
      "-l": "               total        used        free      shared  buff/cache   available\nMem:        24683584     1261520    22942076        9356      743584    23422064\nLow:        24683584     1741508    22942076\nHigh:              0           0           0\nSwap:              0           0           0\n",
      "-v": "               total        used        free      shared  buff/cache   available\nMem:        24683584     1261520    22942076        9356      743584    23422064\nSwap:              0           0           0\nComm:       12341792      750756    11591036\n",
      "-h -l -t": "               total        used        free      shared  buff/cache   available\nMem:            23Gi       1.2Gi        21Gi       9.1Mi       726Mi        22Gi\nLow:            23Gi       1.7Gi        21Gi\nHigh:             0B          0B          0B\nSwap:             0B          0B          0B\nTotal:          23Gi       1.2Gi        21Gi\n",
      "--tera": "               total        used        free      shared  buff/cache   available\nMem:               0           0           0           0           0           0\nSwap:              0           0           0\n",
      "--peta --si -h": "               total        used        free      shared  buff/cache   available\nMem:             25G        1.3G         23G        9.6M        761M         23G\nSwap:             0B          0B          0B\n",
      "--kilo": "               total        used        free      shared  buff/cache   available\nMem:        25275990     1291796    23492685        9580      761430    23984193\nSwap:              0           0           0\n",
      "-h -v": "               total        used        free      shared  buff/cache   available\nMem:            23Gi       1.2Gi        21Gi       9.1Mi       726Mi        22Gi\nSwap:             0B          0B          0B\nComm:           11Gi       733Mi        11Gi\n",
    },
  },
  {
    meminfo: "MemTotal:        8167848 kB\nMemFree:          9472 kB\nMemAvailable:    5242880 kB\nBuffers:          102400 kB\nCached:          2096128 kB\nShmem:             9472 kB\nSReclaimable:     131072 kB\nSwapTotal:       2097148 kB\nSwapFree:        1048574 kB\nCommitLimit:     6181072 kB\nCommitted_AS:    9999999 kB\nLowTotal:        1048576 kB\nLowFree:          524288 kB\nHighTotal:       7119272 kB\nHighFree:         100000 kB\n",
    free: {
      "": "               total        used        free      shared  buff/cache   available\nMem:         8167848     2924968        9472        9472     2329600     5242880\nSwap:        2097148     1048574     1048574\n",
      "-h": "               total        used        free      shared  buff/cache   available\nMem:           7.8Gi       2.8Gi       9.2Mi       9.2Mi       2.2Gi       5.0Gi\nSwap:          2.0Gi       1.0Gi       1.0Gi\n",
      "-w": "               total        used        free      shared     buffers       cache   available\nMem:         8167848     2924968        9472        9472      102400     2227200     5242880\nSwap:        2097148     1048574     1048574\n",
      "-t": "               total        used        free      shared  buff/cache   available\nMem:         8167848     2924968        9472        9472     2329600     5242880\nSwap:        2097148     1048574     1048574\nTotal:      10264996     3973542     1058046\n",
      "--si": "               total        used        free      shared  buff/cache   available\nMem:         8363876     2995167        9699        9699     2385510     5368709\nSwap:        2147479     1073739     1073739\n",
      "-b": "               total        used        free      shared  buff/cache   available\nMem:      8363876352  2995167232     9699328     9699328  2385510400  5368709120\nSwap:     2147479552  1073739776  1073739776\n",
      "-m": "               total        used        free      shared  buff/cache   available\nMem:            7976        2856           9           9        2275        5120\nSwap:           2047        1023        1023\n",
      "-g": "               total        used        free      shared  buff/cache   available\nMem:               7           2           0           0           2           5\nSwap:              1           0           0\n",
      "-h --si": "               total        used        free      shared  buff/cache   available\nMem:            8.4G        3.0G        9.7M        9.7M        2.4G        5.4G\nSwap:           2.1G        1.1G        1.1G\n",
      "-h -w": "               total        used        free      shared     buffers       cache   available\nMem:           7.8Gi       2.8Gi       9.2Mi       9.2Mi       100Mi       2.1Gi       5.0Gi\nSwap:          2.0Gi       1.0Gi       1.0Gi\n",
      "-l": "               total        used        free      shared  buff/cache   available\nMem:         8167848     2924968        9472        9472     2329600     5242880\nLow:         1048576      524288      524288\nHigh:        7119272     7019272      100000\nSwap:        2097148     1048574     1048574\n",
      "-v": "               total        used        free      shared  buff/cache   available\nMem:         8167848     2924968        9472        9472     2329600     5242880\nSwap:        2097148     1048574     1048574\nComm:        6181072     9999999    -3818927\n",
      "-h -l -t": "               total        used        free      shared  buff/cache   available\nMem:           7.8Gi       2.8Gi       9.2Mi       9.2Mi       2.2Gi       5.0Gi\nLow:           1.0Gi       512Mi       512Mi\nHigh:          6.8Gi       6.7Gi        97Mi\nSwap:          2.0Gi       1.0Gi       1.0Gi\nTotal:         9.8Gi       3.8Gi       1.0Gi\n",
      "--tera": "               total        used        free      shared  buff/cache   available\nMem:               0           0           0           0           0           0\nSwap:              0           0           0\n",
      "--peta --si -h": "               total        used        free      shared  buff/cache   available\nMem:            8.4G        3.0G        9.7M        9.7M        2.4G        5.4G\nSwap:           2.1G        1.1G        1.1G\n",
      "--kilo": "               total        used        free      shared  buff/cache   available\nMem:         8363876     2995167        9699        9699     2385510     5368709\nSwap:        2147479     1073739     1073739\n",
      "-h -v": "               total        used        free      shared  buff/cache   available\nMem:           7.8Gi       2.8Gi       9.2Mi       9.2Mi       2.2Gi       5.0Gi\nSwap:          2.0Gi       1.0Gi       1.0Gi\nComm:          5.9Gi       9.5Gi        -3Gi\n",
    },
  },
  {
    meminfo: "MemTotal:       3221225472 kB\nMemFree:        1073741824 kB\nMemAvailable:   2147483648 kB\nBuffers:            1000 kB\nCached:         536870912 kB\nShmem:          1023 kB\nSReclaimable:        24 kB\nSwapTotal:       1023 kB\nSwapFree:        1023 kB\n",
    free: {
      "": "               total        used        free      shared  buff/cache   available\nMem:      3221225472  1073741824  1073741824        1023   536871936  2147483648\nSwap:           1023           0        1023\n",
      "-h": "               total        used        free      shared  buff/cache   available\nMem:           3.0Ti       1.0Ti       1.0Ti       1.0Mi       512Gi       2.0Ti\nSwap:          1.0Mi          0B       1.0Mi\n",
      "-w": "               total        used        free      shared     buffers       cache   available\nMem:      3221225472  1073741824  1073741824        1023        1000   536870936  2147483648\nSwap:           1023           0        1023\n",
      "-t": "               total        used        free      shared  buff/cache   available\nMem:      3221225472  1073741824  1073741824        1023   536871936  2147483648\nSwap:           1023           0        1023\nTotal:    3221226495  1073741824  1073742847\n",
      "--si": "               total        used        free      shared  buff/cache   available\nMem:      3298534883  1099511627  1099511627        1047   549756862  2199023255\nSwap:           1047           0        1047\n",
      "-b": "               total        used        free      shared  buff/cache   available\nMem:     3298534883328 1099511627776 1099511627776     1047552 549756862464 2199023255552\nSwap:        1047552           0     1047552\n",
      "-m": "               total        used        free      shared  buff/cache   available\nMem:         3145728     1048576     1048576           0      524289     2097152\nSwap:              0           0           0\n",
      "-g": "               total        used        free      shared  buff/cache   available\nMem:            3072        1024        1024           0         512        2048\nSwap:              0           0           0\n",
      "-h --si": "               total        used        free      shared  buff/cache   available\nMem:            3.3T        1.1T        1.1T        1.0M        549G        2.2T\nSwap:           1.0M          0B        1.0M\n",
      "-h -w": "               total        used        free      shared     buffers       cache   available\nMem:           3.0Ti       1.0Ti       1.0Ti       1.0Mi       1.0Mi       512Gi       2.0Ti\nSwap:          1.0Mi          0B       1.0Mi\n",
      "-l": "               total        used        free      shared  buff/cache   available\nMem:      3221225472  1073741824  1073741824        1023   536871936  2147483648\nLow:      3221225472  2147483648  1073741824\nHigh:              0           0           0\nSwap:           1023           0        1023\n",
      "-v": "               total        used        free      shared  buff/cache   available\nMem:      3221225472  1073741824  1073741824        1023   536871936  2147483648\nSwap:           1023           0        1023\nComm:              0           0           0\n",
      "-h -l -t": "               total        used        free      shared  buff/cache   available\nMem:           3.0Ti       1.0Ti       1.0Ti       1.0Mi       512Gi       2.0Ti\nLow:           3.0Ti       2.0Ti       1.0Ti\nHigh:             0B          0B          0B\nSwap:          1.0Mi          0B       1.0Mi\nTotal:         3.0Ti       1.0Ti       1.0Ti\n",
      "--tera": "               total        used        free      shared  buff/cache   available\nMem:               3           1           1           0           0           2\nSwap:              0           0           0\n",
      "--peta --si -h": "               total        used        free      shared  buff/cache   available\nMem:            3.3T        1.1T        1.1T        1.0M        549G        2.2T\nSwap:           1.0M          0B        1.0M\n",
      "--kilo": "               total        used        free      shared  buff/cache   available\nMem:      3298534883  1099511627  1099511627        1047   549756862  2199023255\nSwap:           1047           0        1047\n",
      "-h -v": "               total        used        free      shared  buff/cache   available\nMem:           3.0Ti       1.0Ti       1.0Ti       1.0Mi       512Gi       2.0Ti\nSwap:          1.0Mi          0B       1.0Mi\nComm:             0B          0B          0B\n",
    },
  },
];

/** /proc/uptime and /proc/loadavg inputs and procps-ng 4.0.2's uptime and uptime -p lines (no utmp users on that host). */
export const UPTIME_FIXTURES: readonly { uptime: string; loadavg: string; now: number; line: string; pretty: string }[] = [
  {"uptime": "0.50 0.40", "loadavg": "0.00 0.01 0.05 1/93 1234", "line": " 21:13:15 up 0 min,  0 user,  load average: 0.00, 0.01, 0.05", "pretty": "up 0 minutes", "now": 1796245995},
  {"uptime": "59.99 1.00", "loadavg": "13.16 9.23 5.75 7/135 31520", "line": " 21:13:15 up 0 min,  0 user,  load average: 13.16, 9.23, 5.75", "pretty": "up 0 minutes", "now": 1796245995},
  {"uptime": "60.00 1.00", "loadavg": "0.00 0.01 0.05 1/93 1234", "line": " 21:13:15 up 1 min,  0 user,  load average: 0.00, 0.01, 0.05", "pretty": "up ", "now": 1796245995},
  {"uptime": "61.00 1.00", "loadavg": "13.16 9.23 5.75 7/135 31520", "line": " 21:13:15 up 1 min,  0 user,  load average: 13.16, 9.23, 5.75", "pretty": "up 1 minute", "now": 1796245995},
  {"uptime": "3599.00 1.0", "loadavg": "0.00 0.01 0.05 1/93 1234", "line": " 21:13:15 up 59 min,  0 user,  load average: 0.00, 0.01, 0.05", "pretty": "up 59 minutes", "now": 1796245995},
  {"uptime": "3600.00 1.0", "loadavg": "13.16 9.23 5.75 7/135 31520", "line": " 21:13:15 up  1:00,  0 user,  load average: 13.16, 9.23, 5.75", "pretty": "up 60 minutes", "now": 1796245995},
  {"uptime": "3660.50 1.0", "loadavg": "0.00 0.01 0.05 1/93 1234", "line": " 21:13:15 up  1:01,  0 user,  load average: 0.00, 0.01, 0.05", "pretty": "up 1 hour, 1 minute", "now": 1796245995},
  {"uptime": "86399.00 1", "loadavg": "13.16 9.23 5.75 7/135 31520", "line": " 21:13:15 up 23:59,  0 user,  load average: 13.16, 9.23, 5.75", "pretty": "up 23 hours, 59 minutes", "now": 1796245995},
  {"uptime": "86400.00 1", "loadavg": "0.00 0.01 0.05 1/93 1234", "line": " 21:13:15 up 1 day, 0 min,  0 user,  load average: 0.00, 0.01, 0.05", "pretty": "up 24 hours, 0 minutes", "now": 1796245995},
  {"uptime": "90061.00 1", "loadavg": "13.16 9.23 5.75 7/135 31520", "line": " 21:13:15 up 1 day,  1:01,  0 user,  load average: 13.16, 9.23, 5.75", "pretty": "up 1 day, 1 hour, 1 minute", "now": 1796245995},
  {"uptime": "190920.00 1", "loadavg": "0.00 0.01 0.05 1/93 1234", "line": " 21:13:15 up 2 days,  5:02,  0 user,  load average: 0.00, 0.01, 0.05", "pretty": "up 2 days, 5 hours, 2 minutes", "now": 1796245995},
  {"uptime": "6048000.00 1", "loadavg": "13.16 9.23 5.75 7/135 31520", "line": " 21:13:15 up 70 days, 0 min,  0 user,  load average: 13.16, 9.23, 5.75", "pretty": "up 10 weeks, 0 minutes", "now": 1796245995},
  {"uptime": "34560000.00 1", "loadavg": "0.00 0.01 0.05 1/93 1234", "line": " 21:13:15 up 400 days, 0 min,  0 user,  load average: 0.00, 0.01, 0.05", "pretty": "up 1 year, 5 weeks, 0 minutes", "now": 1796245995},
  {"uptime": "346896000.00 1", "loadavg": "13.16 9.23 5.75 7/135 31520", "line": " 21:13:15 up 4015 days, 0 min,  0 user,  load average: 13.16, 9.23, 5.75", "pretty": "up 1 decade, 52 weeks, 24 hours, 0 minutes", "now": 1796245995},
];

/** /proc of pids 1 and 2 on the Debian 12 host and procps-ng 4.0.2's ps output for them (not a terminal). */
export const PS_FIXTURE = {
 "procs": {
  "1": {
   "stat": "1 (process_api) S 0 0 0 0 -1 4194560 66967 9170601 0 254 188 292 50414 6432 10 -10 12 0 15 46182400 3698 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
   "status": "Name:\tprocess_api\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1\nNgid:\t0\nPid:\t1\nPPid:\t0\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t128\nGroups:\t \nNStgid:\t1\nNSpid:\t1\nNSpgid:\t0\nNSsid:\t0\nKthread:\t0\nVmPeak:\t   47640 kB\nVmSize:\t   45100 kB\nVmLck:\t   45068 kB\nVmPin:\t       0 kB\nVmHWM:\t   16248 kB\nVmRSS:\t   14968 kB\nRssAnon:\t    8804 kB\nRssFile:\t       8 kB\nRssShmem:\t    6156 kB\nVmData:\t   37120 kB\nVmStk:\t     132 kB\nVmExe:\t    5684 kB\nVmLib:\t       8 kB\nVmPTE:\t     128 kB\nVmSwap:\t       0 kB\nHugetlbPages:\t       0 kB\nCoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\nThreads:\t12\nSigQ:\t1/96363\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000001000\nSigCgt:\t00000000000004e8\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\nSpeculation_Store_Bypass:\tthread vulnerable\nSpeculationIndirectBranch:\tconditional enabled\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000001\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t411\nnonvoluntary_ctxt_switches:\t52\n",
   "cmdline": "/process_api\u0000--firecracker-init\u0000--addr\u00000.0.0.0:2024\u0000--max-ws-buffer-size\u000032768\u0000--block-local-connections\u0000--log-vsock-port\u00005002\u0000--control-vsock-port\u00005001\u0000--listen-vsock-port\u00002024\u0000--tcp-readiness-only\u0000--auth-required\u0000"
  },
  "2": {
   "stat": "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 15 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
   "status": "Name:\tkthreadd\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t2\nNgid:\t0\nPid:\t2\nPPid:\t0\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t \nNStgid:\t2\nNSpid:\t2\nNSpgid:\t0\nNSsid:\t0\nKthread:\t1\nThreads:\t1\nSigQ:\t1/96363\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\nSigIgn:\tffffffffffffffff\nSigCgt:\t0000000000000000\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\nSpeculation_Store_Bypass:\tthread vulnerable\nSpeculationIndirectBranch:\tconditional enabled\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000001\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t68\nnonvoluntary_ctxt_switches:\t0\n",
   "cmdline": ""
  }
 },
 "uptime": "8661.04 13875.11\n",
 "btime": "btime 1796237370\n",
 "memtotal": "MemTotal:       24683584 kB",
 "now": 1796246031.4174073,
 "pid_max": "32768\n",
 "ps": {
  "-fp 1,2": "UID        PID  PPID  C STIME TTY          TIME CMD\nroot         1     0  0 18:49 ?        00:00:04 /process_api --firecracker-init --addr 0.0.0.0:2024 --max-ws-buffer-size 32768 --block-local-connections --log-vsock-port 5002 --control-vsock-port 5001 --listen-vsock-port 2024 --tcp-readiness-only --auth-required\nroot         2     0  0 18:49 ?        00:00:00 [kthreadd]\n",
  "u -p 1,2": "USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot         1  0.0  0.0  45100 14968 ?        S<Ll 18:49   0:04 /process_api --firecracker-init --addr 0.0.0.0:2024 --max-ws-buffer-size 32768 --block-local-connections --log-vsock-port 5002 --control-vsock-port 5001 --listen-vsock-port 2024 --tcp-readiness-only --auth-required\nroot         2  0.0  0.0      0     0 ?        S    18:49   0:00 [kthreadd]\n",
  "-lp 1,2": "F S   UID   PID  PPID  C PRI  NI ADDR SZ WCHAN  TTY          TIME CMD\n4 S     0     1     0  0  70 -10 - 11275 -      ?        00:00:04 process_api\n1 S     0     2     0  0  80   0 -     0 kthrea ?        00:00:00 kthreadd\n",
  "-p 1,2": "  PID TTY          TIME CMD\n    1 ?        00:00:04 process_api\n    2 ?        00:00:00 kthreadd\n",
  "-o pid,ppid,pgid,sid,tname,stat,etime,nice,pri,opri,rss,vsz,sz,f,s,c,uid,user,comm -p 1,2": "  PID  PPID  PGID   SID TTY      STAT     ELAPSED  NI PRI PRI   RSS    VSZ    SZ F S  C   UID USER     COMMAND\n    1     0     0     0 ?        S<Ll    02:24:20 -10  29  70 14968  45100 11275 4 S  0     0 root     process_api\n    2     0     0     0 ?        S       02:24:20   0  19  80     0      0     0 1 S  0     0 root     kthreadd\n",
  "-p 1,2 -o pid=PROCESS,comm=A,B": ""
 }
} as const;

/** A /proc (bind-mounted files over the host's, pid 2 its kthreadd) and procps-ng 4.0.2's `top -b -n 1 -p 2` over it. */
export const TOP_FIXTURE = {
 "now": 1796246255,
 "files": {
  "/proc/stat": "cpu  1000 20 300 50000 10 0 5 0 0 0\ncpu0 1000 20 300 50000 10 0 5 0 0 0\nintr 0\nctxt 100\nbtime 1796236170\nprocesses 100\nprocs_running 1\nprocs_blocked 0\n",
  "/proc/uptime": "8040.30 7000.00\n",
  "/proc/loadavg": "0.15 0.10 0.05 1/80 500\n",
  "/proc/meminfo": "MemTotal:        8167848 kB\nMemFree:          9472 kB\nMemAvailable:    5242880 kB\nBuffers:          102400 kB\nCached:          2096128 kB\nSwapCached:            0 kB\nShmem:             9472 kB\nSReclaimable:     131072 kB\nSwapTotal:       2097148 kB\nSwapFree:        1048574 kB\nCommitLimit:     6181072 kB\nCommitted_AS:    9999999 kB\nLowTotal:        1048576 kB\nLowFree:          524288 kB\nHighTotal:       7119272 kB\nHighFree:         100000 kB\n",
  "/proc/sys/kernel/pid_max": "32768\n",
  "/proc/2/stat": "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 15 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
  "/proc/2/status": "Name:\tkthreadd\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t2\nNgid:\t0\nPid:\t2\nPPid:\t0\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t \nNStgid:\t2\nNSpid:\t2\nNSpgid:\t0\nNSsid:\t0\nKthread:\t1\nThreads:\t1\nSigQ:\t3/96363\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\nSigIgn:\tffffffffffffffff\nSigCgt:\t0000000000000000\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\nSpeculation_Store_Bypass:\tthread vulnerable\nSpeculationIndirectBranch:\tconditional enabled\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000001\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t69\nnonvoluntary_ctxt_switches:\t0\n",
  "/proc/2/cmdline": ""
 },
 "out": "top - 21:17:35 up  2:14,  0 user,  load average: 0.15, 0.10, 0.05\nTasks:   1 total,   0 running,   1 sleeping,   0 stopped,   0 zombie\n%Cpu(s):  0.0 us,  0.0 sy,  0.0 ni,100.0 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st \nMiB Mem :   7976.4 total,      9.2 free,   2856.4 used,   2275.0 buff/cache     \nMiB Swap:   2048.0 total,   1024.0 free,   1024.0 used.   5120.0 avail Mem \n\n  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND\n    2 root      20   0       0      0      0 S   0.0   0.0   0:00.00 kthreadd\n"
} as const;
