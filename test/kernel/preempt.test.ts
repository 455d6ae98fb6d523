/**
 * Preemption at return to user mode: a process whose system calls never sleep (writing to
 * /dev/null, `yes` at the console) gives the CPU up every SYSCALLS_PER_SLICE calls, so the rest of
 * the machine — a sleeper's timer, the shell, ^C — goes on, and on the virtual clock those calls
 * cost time.
 */
import { describe, expect, it } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { SIGINT, SIGTERM } from "../../include/linux/sched.ts";
import { O_WRONLY } from "../../include/uapi/fcntl.ts";
import type { Program } from "../../include/uapi/syscalls.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { boot_test_machine } from "../helpers/boot.ts";

const hog: Program = async (_argv, sys) => {
  const fd = sys.open("/dev/null", O_WRONLY);
  const buf = new Uint8Array(4096);
  for (;;) await sys.write(fd, buf);
};

describe("preemption of a process whose calls never sleep", () => {
  it("lets a sleeper's timer fire and a signal end the hog; the calls cost virtual time", async () => {
    let log = "";
    const init: Program = async (_argv, sys) => {
      const pid = sys.spawn(["hog"]);
      const t0 = sys.clock_gettime(1);
      await sys.nanosleep(100e6);
      log += `slept ${Math.round((sys.clock_gettime(1) - t0) / 1e6)} ms; `;
      sys.kill(pid, SIGTERM);
      log += `status ${await sys.waitpid(pid)}`;
      return sys.poweroff(0);
    };
    const tm = boot_test_machine({ boot: { programs: new Map([["init", init], ["hog", hog]]), init_argv: ["init"] } });
    expect(await tm.run_until(() => log.includes("status"), 5e9)).toBe(true);
    expect(log).toBe(`slept 100 ms; status ${128 + SIGTERM}`);
  });

  it("^C stops `yes` writing to the console", async () => {
    const tm = boot_test_machine({ boot: { initcalls: [serial8250_init], programs: PROGRAMS, init_argv: ["init", "-c", "yes; echo status $?"] } });
    await tm.run_until(() => tm.machine.console_output.length > 100_000, 5e9);
    tm.machine.uart.receive("\x03");
    expect(await tm.run_until(() => tm.machine.powered_off, 5e9)).toBe(true);
    // `yes` died of SIGINT: the shell either reports it (status 130) or, as bash -c does, stops there with 130.
    const status = /status (\d+)/.exec(tm.machine.console_output)?.[1];
    expect(status === undefined ? tm.machine.exit_code : Number(status)).toBe(128 + SIGINT);
  });
});
