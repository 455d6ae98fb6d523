/**
 * ^C and ^\ signal the terminal's foreground process GROUP (n_tty's isig → kill_pgrp(tty->pgrp)):
 * every stage of `yes | head -n 1000000 | wc -l` dies of SIGINT, the shell-like parent outside the
 * group gets nothing; tcsetpgrp's errors are Linux's.
 */
import { describe, expect, it } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { EINVAL, ESRCH } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import { O_CLOEXEC } from "../../include/uapi/fcntl.ts";
import type { Program, Syscalls } from "../../include/uapi/syscalls.ts";
import { tty_foreground, tty_set_foreground } from "../../kernel/tty.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { boot_test_machine } from "../helpers/boot.ts";

const SIGQUIT = 3;

/** Boot with `body` as pid 1 (a session and group leader that catches SIGINT) next to the real /bin. */
async function pgrp_machine<T>(body: (sys: Syscalls, ready: () => void) => Promise<T>) {
  let ready = false;
  let result: { value: T } | { error: unknown } | null = null;
  const prog: Program = async (_argv, sys) => {
    sys.sigaction(SIGINT, "catch");
    sys.sigaction(SIGQUIT, "catch");
    try {
      result = { value: await body(sys, () => (ready = true)) };
    } catch (e) {
      result = { error: e };
    }
    return sys.poweroff(0);
  };
  const tm = boot_test_machine({ boot: { initcalls: [serial8250_init], programs: new Map([...PROGRAMS, ["t", prog]]), init_argv: ["t"] } });
  await tm.run_until(() => ready || result !== null, 10e9);
  return {
    tm,
    async finish(): Promise<T> {
      await tm.run_until(() => result !== null, 60e9);
      const r = result as { value: T } | { error: unknown } | null;
      if (r === null) throw new Error(`did not finish:\n${tm.machine.console_output}`);
      if ("error" in r) throw r.error;
      return r.value;
    },
  };
}

/** Start `yes | head -n 1000000 | wc -l` in a new process group led by its first stage. */
function start_pipeline(sys: Syscalls): number[] {
  const [r1, w1] = sys.pipe2(O_CLOEXEC) as [number, number];
  const [r2, w2] = sys.pipe2(O_CLOEXEC) as [number, number];
  const yes = sys.spawn(["yes"], { pgroup: 0, file_actions: [{ action: "dup2", fd: w1, newfd: 1 }] });
  const head = sys.spawn(["head", "-n", "1000000"], { pgroup: yes, file_actions: [{ action: "dup2", fd: r1, newfd: 0 }, { action: "dup2", fd: w2, newfd: 1 }] });
  const wc = sys.spawn(["wc", "-l"], { pgroup: yes, file_actions: [{ action: "dup2", fd: r2, newfd: 0 }] });
  for (const fd of [r1, w1, r2, w2]) sys.close(fd);
  return [yes, head, wc];
}

describe("the tty's foreground process group", () => {
  it("^C reaches every stage of a pipeline in the foreground group, and nobody outside it", async () => {
    const m = await pgrp_machine(async (sys, ready) => {
      const pids = start_pipeline(sys);
      const set = sys.tcsetpgrp(pids[0]!);
      const groups = pids.map((p) => sys.getpgid(p));
      ready();
      const statuses: number[] = [];
      for (const p of pids) statuses.push(await sys.waitpid(p));
      return { pids, set, groups, statuses, parent: sys.sigpending() };
    });
    m.tm.machine.uart.receive("\x03");
    const v = await m.finish();
    expect(v.set).toBe(0);
    expect(v.groups).toEqual([v.pids[0], v.pids[0], v.pids[0]]);
    expect(v.statuses).toEqual([128 + SIGINT, 128 + SIGINT, 128 + SIGINT]);
    expect(v.parent & (1 << SIGINT)).toBe(0);
    expect(m.tm.machine.console_output).not.toMatch(/^\d+$/m); // wc died before printing a count
  });

  it("^\\ sends SIGQUIT to the group; the leader's own group gets ^C once it is foreground again", async () => {
    const m = await pgrp_machine(async (sys, ready) => {
      const pids = start_pipeline(sys);
      sys.tcsetpgrp(pids[0]!);
      ready();
      const statuses: number[] = [];
      for (const p of pids) statuses.push(await sys.waitpid(p));
      const back = sys.tcsetpgrp(sys.getpgid(0));
      sys.sigpending();
      await sys.nanosleep(1e9); // the test types ^C meanwhile
      return { statuses, back, parent: sys.sigpending() };
    });
    m.tm.machine.uart.receive("\x1c");
    await m.tm.run_for(5e8);
    m.tm.machine.uart.receive("\x03");
    const v = await m.finish();
    expect(v.statuses).toEqual([128 + SIGQUIT, 128 + SIGQUIT, 128 + SIGQUIT]);
    expect(v.back).toBe(0);
    expect(v.parent & (1 << SIGINT)).not.toBe(0);
  });

  it("tiocspgrp: -EINVAL for a negative group, -ESRCH for one nobody is in; the group stays as set", async () => {
    // kernel/syscalls.ts's tcsetpgrp hands back tty_set_foreground's result once it passes it on.
    const m = await pgrp_machine(async (sys) => {
      const r = [tty_set_foreground(-1), tty_set_foreground(0), tty_set_foreground(99999), tty_set_foreground(sys.getpid())];
      return { r, fg: tty_foreground(), pgid: sys.getpgid(0) };
    });
    const v = await m.finish();
    expect(v.r).toEqual([-EINVAL, -ESRCH, -ESRCH, 0]);
    expect(v.fg).toBe(v.pgid);
  });
});
