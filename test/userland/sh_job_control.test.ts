/**
 * Who a ^C reaches (userland/sh/exec.ts): the tty signals its foreground process group, and the
 * shell relays nothing. An interactive shell gives each job a group of its own and the terminal
 * while it runs, then takes the terminal back; `sh -c` keeps its foreground commands in its own
 * group (one SIGINT each, as bash -c) and its background jobs out of it (^C does not reach them).
 */
import { describe, expect, it } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import type { Program } from "../../include/uapi/syscalls.ts";
import { process_info } from "../../kernel/process.ts";
import { task_list } from "../../kernel/sched/core.ts";
import { tty_foreground } from "../../kernel/tty.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { boot_test_machine } from "../helpers/boot.ts";

/**
 * `count_int SECS`: catch SIGINT, sleep SECS seconds of virtual time in 10 ms steps counting the
 * SIGINTs that arrive, print "ints=N" and exit 0 (it handles ^C rather than dying of it).
 */
const count_int: Program = async (argv, sys) => {
  sys.sigaction(SIGINT, "catch");
  let ints = 0;
  for (let t = 0; t < Number(argv[1] ?? "1") * 1e9; t += 1e7) {
    await sys.nanosleep(1e7); // -EINTR when a SIGINT comes; reading sigpending takes it
    if ((sys.sigpending() & (1 << SIGINT)) !== 0) ints++;
  }
  await sys.write(1, `ints=${ints}\n`);
  return 0;
};

function machine(init_argv: string[]) {
  const tm = boot_test_machine({ boot: { initcalls: [serial8250_init], programs: new Map([...PROGRAMS, ["count_int", count_int]]), init_argv } });
  return { tm, out: (): string => tm.machine.console_output };
}

const pgid_of = (pid: number): number | undefined => {
  const t = task_list().find((x) => x.pid === pid);
  return t === undefined ? undefined : process_info(t)?.pgid;
};
const pids_of = (comm: string): number[] => task_list().filter((t) => t.comm === comm).map((t) => t.pid);

describe("sh -c: no job control", () => {
  it("^C reaches a foreground command that handles it, once; the list goes on", async () => {
    const m = machine(["init", "-c", "count_int 1; echo rc=$?; count_int 1; echo rc=$?"]);
    await m.tm.run_until(() => pids_of("count_int").length === 1);
    await m.tm.run_for(3e8);
    m.tm.machine.uart.receive("\x03");
    expect(await m.tm.run_until(() => m.tm.machine.powered_off, 5e9)).toBe(true);
    // No "^C": a -c run's console does not echo.
    expect(m.out()).toBe("ints=1\nrc=0\nints=0\nrc=0\n");
    expect(m.tm.machine.exit_code).toBe(0);
  });

  it("foreground commands stay in the shell's group; a background job has its own, which ^C does not reach", async () => {
    const m = machine(["init", "-c", "count_int 2 & count_int 1; echo fg=$?; wait; echo done"]);
    await m.tm.run_until(() => pids_of("count_int").length === 2);
    const sh = pids_of("sh")[0]!;
    const [bg, fg] = pids_of("count_int").sort((a, b) => a - b) as [number, number];
    expect([pgid_of(sh), pgid_of(fg), pgid_of(bg), tty_foreground()]).toEqual([sh, sh, bg, sh]);
    await m.tm.run_for(3e8);
    m.tm.machine.uart.receive("\x03");
    expect(await m.tm.run_until(() => m.tm.machine.powered_off, 5e9)).toBe(true);
    expect(m.out()).toBe("ints=1\nfg=0\nints=0\ndone\n");
  });

  it("a command that dies of ^C ends the list: the shell exits 130 and nothing after it runs", async () => {
    const m = machine(["init", "-c", "sleep 10; echo not reached"]);
    await m.tm.run_until(() => pids_of("sleep").length === 1);
    m.tm.machine.uart.receive("\x03");
    expect(await m.tm.run_until(() => m.tm.machine.powered_off, 5e9)).toBe(true);
    expect([m.out(), m.tm.machine.exit_code]).toEqual(["", 128 + SIGINT]);
  });
});

describe("interactive sh: job control", () => {
  it("a foreground pipeline gets a group of its own and the terminal; the shell takes it back after", async () => {
    const m = machine(["init"]);
    await m.tm.run_until(() => m.out().endsWith("# "));
    const sh = pids_of("sh")[0]!;
    expect(tty_foreground()).toBe(sh);
    m.tm.machine.uart.receive("sleep 100 | count_int 3\n");
    await m.tm.run_until(() => pids_of("sleep").length === 1 && pids_of("count_int").length === 1);
    const [sleep, counter] = [pids_of("sleep")[0]!, pids_of("count_int")[0]!];
    expect([pgid_of(sleep), pgid_of(counter), tty_foreground()]).toEqual([sleep, sleep, sleep]);
    expect(pgid_of(sh)).toBe(sh);
    // ^C: sleep dies of it, count_int counts it once and ends; the shell (outside the group) got none.
    await m.tm.run_for(3e8);
    m.tm.machine.uart.receive("\x03");
    expect(await m.tm.run_until(() => m.out().endsWith("# "), 200e9)).toBe(true);
    expect(m.out()).toMatch(/\| count_int 3\n\^C/);
    expect(tty_foreground()).toBe(sh);
    m.tm.machine.uart.receive("echo $?\n");
    await m.tm.run_until(() => /echo \$\?\n\d+\n/.test(m.out()));
    // The pipeline's status is its last stage's: count_int handled the ^C and went on (ints=1 when done).
    expect(m.out()).toMatch(/echo \$\?\n0\n/);
    expect(m.out()).toContain("ints=1\n");
  });
});
