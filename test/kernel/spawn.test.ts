/**
 * Processes (kernel/process.ts, kernel/syscalls.ts): posix_spawn file actions and environment,
 * waitpid/wait4 of any child, orphans adopted and reaped by init, kill(2)'s special cases, and
 * signals acted on as every system call returns.
 */
import { describe, expect, it } from "vitest";
import { EAGAIN, EBADF, ECHILD, EINVAL, ENOENT, EPERM, ESRCH } from "../../include/linux/errno.ts";
import { SIGCHLD, SIGKILL, SIGTERM, SIGUSR1 } from "../../include/linux/sched.ts";
import { O_CLOEXEC, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import { WNOHANG, type Program, type Syscalls } from "../../include/uapi/syscalls.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { find_task_by_pid } from "../../kernel/sched/core.ts";
import { init } from "../../userland/init.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { in_process, text } from "./vfs_harness.ts";

/** Boot to the real init with `sh` replaced by `body`; resolves once the machine powered off. */
async function with_init(body: Program, programs: [string, Program][] = []): Promise<{ status: number; console: string }> {
  const tm = boot_test_machine({ boot: { programs: new Map<string, Program>([["init", init], ["sh", body], ...programs]), init_argv: ["init"] } });
  await tm.run_until(() => tm.machine.powered_off, 60e9);
  if (!tm.machine.powered_off) throw new Error(`init did not power off:\n${tm.dmesg()}`);
  return { status: tm.machine.exit_code ?? -1, console: tm.machine.console_output };
}

const read_all = async (sys: Syscalls, fd: number): Promise<string> => {
  let out = "";
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await sys.read(fd, buf);
    if (n <= 0) return out;
    out += new TextDecoder().decode(buf.subarray(0, n));
  }
};

describe("spawn file actions", () => {
  it("open, dup2 (of an O_CLOEXEC pipe end, and onto itself) and close are applied in order before the child runs", async () => {
    const child: Program = async (_argv, sys) => {
      await sys.write(1, "to the file\n");
      await sys.write(5, "to the pipe\n");
      const closed = await sys.write(2, "x");
      const cloexec_kept = await sys.write(6, "y");
      return closed === -EBADF && cloexec_kept === -EBADF ? 0 : 1;
    };
    const { value } = await in_process(
      async (sys) => {
        const [r, w] = sys.pipe2(O_CLOEXEC) as [number, number];
        const ce = sys.open("/dev/null", O_WRONLY | O_CLOEXEC); // 5, close-on-exec: gone in the child
        const pid = sys.spawn(["child"], {
          file_actions: [
            { action: "open", fd: 1, path: "/tmp/out", flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644 },
            { action: "dup2", fd: w, newfd: 6 },
            { action: "dup2", fd: ce, newfd: ce }, // onto itself: FD_CLOEXEC cleared, kept
            { action: "close", fd: 2 },
            { action: "close", fd: 200 }, // not open: nothing (glibc)
            { action: "dup2", fd: 6, newfd: 5 },
            { action: "close", fd: 6 },
          ],
        });
        sys.close(w);
        const piped = await read_all(sys, r);
        return { ce, pid: pid > 0, status: await sys.waitpid(pid), piped, file: text(sys.read_file("/tmp/out")), mode: (sys.stat("/tmp/out") as { st_mode: number }).st_mode & 0o777 };
      },
      { programs: [["child", child]] },
    );
    expect(value).toEqual({ ce: 5, pid: true, status: 0, piped: "to the pipe\n", file: "to the file\n", mode: 0o644 });
  });

  it("a failing action makes spawn return its errno: no child runs or is left behind, and what it was handed is let go", async () => {
    let ran = 0;
    const never: Program = async () => {
      ran++;
      return 0;
    };
    const { value } = await in_process(
      async (sys) => {
        const [r, w] = sys.pipe2(O_CLOEXEC) as [number, number];
        const results = [
          sys.spawn(["never"], { file_actions: [{ action: "dup2", fd: w, newfd: 1 }, { action: "open", fd: 0, path: "/nonexistent/x", flags: O_RDONLY }] }),
          sys.spawn(["never"], { file_actions: [{ action: "dup2", fd: 77, newfd: 1 }] }),
          sys.spawn(["never"], { file_actions: [{ action: "close", fd: -1 }] }),
          sys.spawn(["never"], { file_actions: [{ action: "open", fd: 3, path: "/tmp", flags: O_WRONLY }] }),
          sys.spawn(["nonesuch"]),
        ];
        sys.close(w);
        // Had a failed child kept its copy of the write end, this read would wait for ever.
        const eof = await sys.read(r, new Uint8Array(1));
        await sys.nanosleep(10e6);
        return { results, eof, wait: await sys.waitpid(-1, WNOHANG), procs: (sys.readdir("/proc") as string[]).filter((n) => /^\d+$/.test(n)).length };
      },
      { programs: [["never", never]] },
    );
    expect(value.results).toEqual([-ENOENT, -EBADF, -EBADF, -21 /* EISDIR */, -ENOENT]);
    expect(value).toMatchObject({ eof: 0, wait: -ECHILD });
    expect(ran).toBe(0);
  });
});

describe("environment", () => {
  it("environ() is the process's own array; a child gets a copy, or attr.envp", async () => {
    const seen: string[][] = [];
    const show: Program = async (_argv, sys) => {
      const env = sys.environ();
      seen.push([...env]);
      env.push("CHILD=1"); // the parent's copy does not change
      return 0;
    };
    const { value } = await in_process(
      async (sys) => {
        const env = sys.environ();
        const same = env === sys.environ();
        env.push("FOO=bar");
        await sys.waitpid(sys.spawn(["show"]));
        await sys.waitpid(sys.spawn(["show"], { envp: ["A=1", "B=2"] }));
        return { same, env: [...sys.environ()] };
      },
      { programs: [["show", show]] },
    );
    expect(value.same).toBe(true);
    expect(value.env).toContain("FOO=bar");
    expect(value.env).not.toContain("CHILD=1");
    expect(seen[0]).toEqual(value.env);
    expect(seen[1]).toEqual(["A=1", "B=2"]);
  });

  it("init starts with root's login environment, which the shell inherits", async () => {
    let env: string[] = [];
    const { status } = await with_init(async (_argv, sys) => {
      env = [...sys.environ()];
      return 0;
    });
    expect(status).toBe(0);
    expect(env).toEqual(["HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=linux", "SHELL=/bin/sh", "USER=root", "LOGNAME=root", "PWD=/"]);
  });
});

describe("wait, orphans and init", () => {
  it("waitpid(-1) and wait4(-1) reap any child; WNOHANG reports running ones without waiting", async () => {
    const exit_with: Program = async (argv, sys) => {
      await sys.nanosleep(Number(argv[2]) * 1e6);
      return Number(argv[1]);
    };
    const { value } = await in_process(
      async (sys) => {
        const a = sys.spawn(["exit", "3", "20"]);
        const b = sys.spawn(["exit", "4", "10"]);
        const nohang = [await sys.wait4(-1, WNOHANG), await sys.waitpid(-1, WNOHANG)];
        const first = await sys.wait4(-1);
        const second = await sys.waitpid(-1);
        return { nohang, first, expected_first: { pid: b, status: 4 }, second, a, none: await sys.waitpid(-1), not_mine: await sys.waitpid(1) };
      },
      { programs: [["exit", exit_with]] },
    );
    expect(value.nohang).toEqual([0, -EAGAIN]);
    expect(value.first).toEqual(value.expected_first);
    expect(value).toMatchObject({ second: 3, none: -ECHILD, not_mine: -ECHILD });
  });

  it("an orphan is adopted by init (its ppid becomes 1) and init reaps it: no zombie stays", async () => {
    const seen: { orphan: number; ppid_before: number; ppid_after: number; state_zombie: string; proc_after: string | number } = { orphan: 0, ppid_before: 0, ppid_after: 0, state_zombie: "", proc_after: 0 };
    const orphan: Program = async (_argv, sys) => {
      seen.ppid_before = sys.getppid();
      await sys.nanosleep(20e6);
      seen.ppid_after = sys.getppid();
      return 5;
    };
    const parent: Program = async (_argv, sys) => {
      seen.orphan = sys.spawn(["orphan"]);
      await sys.nanosleep(5e6);
      return 0; // exits before its child: the child is orphaned
    };
    const quick: Program = async () => 0;
    const { status } = await with_init(
      async (_argv, sys) => {
        const p = sys.spawn(["parent"]);
        await sys.waitpid(p);
        // A child of ours that exited and was not reaped yet is a zombie in /proc.
        const z = sys.spawn(["quick"]);
        await sys.nanosleep(5e6);
        seen.state_zombie = (text(sys.read_file(`/proc/${z}/stat`)) as string).split(" ")[2]!;
        await sys.waitpid(z);
        await sys.nanosleep(50e6);
        seen.proc_after = text(sys.read_file(`/proc/${seen.orphan}/status`));
        return 0;
      },
      [["parent", parent], ["orphan", orphan], ["quick", quick]],
    );
    expect(status).toBe(0);
    expect(seen.ppid_before).toBeGreaterThan(1);
    expect(seen).toMatchObject({ ppid_after: 1, state_zombie: "Z", proc_after: -ENOENT });
  });

  it("init powers off with the shell's status while it keeps reaping adopted children", async () => {
    const { status } = await with_init(
      async (_argv, sys) => {
        sys.spawn(["sleeper"]);
        return 42;
      },
      [["sleeper", async (_argv, sys) => (await sys.nanosleep(1e6), 0)]],
    );
    expect(status).toBe(42);
  });
});

describe("kill and signal delivery", () => {
  it("kill 1 does nothing and returns 0; signal 0 checks existence; bad signals are -EINVAL", async () => {
    const results: Record<string, number> = {};
    let init_alive = false;
    const { status } = await with_init(async (_argv, sys) => {
      results.term1 = sys.kill(1, SIGTERM);
      results.kill1 = sys.kill(1, SIGKILL);
      await sys.nanosleep(1e6);
      init_alive = sys.kill(1, 0) === 0;
      results.self0 = sys.kill(sys.getpid(), 0);
      results.none0 = sys.kill(99999, 0);
      results.bad = sys.kill(sys.getpid(), 64);
      return 0;
    });
    expect(status).toBe(0);
    expect(init_alive).toBe(true);
    expect(results).toEqual({ term1: 0, kill1: 0, self0: 0, none0: -ESRCH, bad: -EINVAL });
  });

  it("a signal whose default action ends the process ends it as the system call that raised it returns; a caught one stays pending", async () => {
    const reached: string[] = [];
    const raiser: Program = async (argv, sys) => {
      if (argv[1] === "catch") sys.sigaction(SIGUSR1, "catch");
      sys.kill(sys.getpid(), SIGUSR1);
      reached.push(argv[1]!);
      return sys.sigpending() === 1 << SIGUSR1 ? 0 : 1;
    };
    const { value } = await in_process(
      async (sys) => [await sys.waitpid(sys.spawn(["raiser", "default"])), await sys.waitpid(sys.spawn(["raiser", "catch"]))],
      { programs: [["raiser", raiser]] },
    );
    expect(value).toEqual([128 + SIGUSR1, 0]);
    expect(reached).toEqual(["catch"]);
  });

  it("SIGCHLD's default is to ignore: a child's exit does not interrupt its parent's sleep; caught, it does", async () => {
    const quick: Program = async () => 0;
    const { value } = await in_process(
      async (sys) => {
        sys.spawn(["quick"]);
        const slept = await sys.nanosleep(20e6);
        sys.sigaction(SIGCHLD, "catch");
        sys.spawn(["quick"]);
        const interrupted = await sys.nanosleep(20e6);
        return { slept, interrupted, pending: sys.sigpending() === 1 << SIGCHLD };
      },
      { programs: [["quick", quick]] },
    );
    expect(value).toEqual({ slept: 0, interrupted: -4, pending: true });
  });

  it("process groups: spawn's pgroup, setpgid, and kill of a whole group", async () => {
    const wait_forever: Program = async (_argv, sys) => {
      for (;;) await sys.nanosleep(1e9);
    };
    const { value } = await in_process(
      async (sys) => {
        const a = sys.spawn(["w"], { pgroup: 0 });
        const b = sys.spawn(["w"], { pgroup: a });
        const c = sys.spawn(["w"]);
        const bad = sys.spawn(["w"], { pgroup: 99999 });
        const groups = [sys.getpgid(a), sys.getpgid(b), sys.getpgid(c) === sys.getpgid(0)];
        const moved = sys.setpgid(c, a);
        const killed = sys.kill(-a, SIGTERM);
        const statuses = [await sys.waitpid(a), await sys.waitpid(b), await sys.waitpid(c)];
        return { a, groups, bad, moved, killed, statuses, gone: sys.kill(-a, 0) };
      },
      { programs: [["w", wait_forever]] },
    );
    expect(value.groups).toEqual([value.a, value.a, true]);
    expect(value).toMatchObject({ bad: -EPERM, moved: 0, killed: 0, statuses: [143, 143, 143], gone: -ESRCH });
  });
});

describe("sethostname and syslog", () => {
  it("sethostname changes uname's nodename (64 bytes at most)", async () => {
    const { value } = await in_process((sys) => ({ ok: sys.sethostname("box"), node: sys.uname().nodename, long: sys.sethostname("x".repeat(65)), after: sys.uname().nodename }));
    expect(value).toEqual({ ok: 0, node: "box", long: -EINVAL, after: "box" });
  });

  it("syslog reads the log as <level>[time] lines, clears it for later reads, and sets the console level", async () => {
    const tm_value = await in_process((sys) => {
      const all = sys.syslog(3) as string;
      const size = sys.syslog(10);
      const cleared = sys.syslog(4) as string;
      const empty = sys.syslog(3);
      const lvl = [sys.syslog(8, 9), sys.syslog(8, 3), text(sys.read_file("/proc/sys/kernel/printk")), sys.syslog(6), text(sys.read_file("/proc/sys/kernel/printk")), sys.syslog(7), text(sys.read_file("/proc/sys/kernel/printk"))];
      return { first: all.split("\n")[0], same: all === cleared, size, empty, lvl };
    });
    const v = tm_value.value;
    expect(v.first).toMatch(/^<5>\[ {4}0\.0{6}\] ringzero version /);
    expect(v).toMatchObject({ same: true, size: 131072, empty: "" });
    expect(v.lvl.map((x) => (typeof x === "string" ? x.split("\t")[0] : x))).toEqual([-EINVAL, 0, "3", 0, "1", 0, "3"]);
  });
});

it("a task that is gone from the task table is not found by pid", async () => {
  const { tm, value } = await in_process(async (sys) => sys.getpid());
  expect(with_kernel(tm.kernel, () => find_task_by_pid(value))).toBeUndefined();
});
