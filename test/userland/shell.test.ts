import { describe, expect, it } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { task_list } from "../../kernel/sched/core.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { PROMPT, tokenize } from "../../userland/sh.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";

/** A machine booted to the interactive shell, with a way to type into its serial port. */
async function shell() {
  const tm = boot_test_machine({ boot: { initcalls: [serial8250_init], programs: PROGRAMS, init_argv: ["init"], modules: MODULES, default_modules: ["inet"] } });
  const prompts = (): number => tm.machine.console_output.split(PROMPT).length - 1;
  await tm.run_until(() => prompts() === 1);
  /** Type `text`; run until `until()` (default: the next prompt appears). */
  const type = async (text: string, until?: () => boolean): Promise<void> => {
    const before = prompts();
    tm.machine.uart.receive(text);
    await tm.run_until(until ?? (() => prompts() > before));
  };
  return { tm, type, prompts, out: () => tm.machine.console_output };
}

describe("shell", () => {
  it("splits words with quotes and escapes, and operators", () => {
    expect(tokenize(`echo 'a b' "c;d" e\\ f; ls && x || y # comment`)).toEqual([
      { word: "echo" }, { word: "a b" }, { word: "c;d" }, { word: "e f" }, { op: ";" }, { word: "ls" }, { op: "&&" }, { word: "x" }, { op: "||" }, { word: "y" },
    ]);
    expect(tokenize(`echo "open`)).toBe("unterminated double quote");
    expect(tokenize(`ls | wc`)).toMatch(/pipes, redirection and background jobs are not supported/);
  });

  it("runs && / || chains and expands $?", async () => {
    const s = await shell();
    await s.type("false && echo no || echo yes; echo status=$?\n");
    expect(s.out()).toContain("yes\nstatus=0\n");
    await s.type("nosuch; echo $?\n");
    expect(s.out()).toContain("sh: nosuch: command not found\n127\n");
  });

  it("Ctrl-C stops the foreground command and the shell prompts again", async () => {
    const s = await shell();
    await s.type("sleep 100\n", () => task_list().some((t) => t.comm === "sleep"));
    const t0 = ktime_get_ns();
    await s.type("\x03");
    expect(ktime_get_ns() - t0).toBeLessThan(1e9); // not the 100 s
    expect(task_list().some((t) => t.comm === "sleep")).toBe(false);
    expect(s.out()).toMatch(/\^C\nringzero:\/# $/);
    await s.type("echo still here\n");
    expect(s.out()).toContain("still here\n");
  });

  it("Ctrl-C stops ping, which prints its statistics and exits", async () => {
    const s = await shell();
    await s.type("ping 127.0.0.1\n", () => /icmp_seq=3 /.test(s.out()));
    await s.type("\x03");
    expect(s.out()).toMatch(/\^C\n\n--- 127\.0\.0\.1 ping statistics ---\n3 packets transmitted, 3 received, 0% packet loss, time 20\d\dms\nrtt min/);
    await s.type("echo $?\n");
    expect(s.out()).toMatch(/ringzero:\/# 0\n/); // ping got replies: status 0
  });

  it("Ctrl-C at the prompt gives a fresh prompt; the shell survives", async () => {
    const s = await shell();
    await s.type("ech\x03");
    expect(s.out()).toMatch(/ringzero:\/# \^C\nringzero:\/# $/);
  });

  it("refuses bad arguments with one line and a non-zero status, and keeps running", async () => {
    const s = await shell();
    await s.type("sleep abc; echo $?\n");
    expect(s.out()).toContain("sleep: invalid time interval 'abc'\n1\n");
    await s.type("cat /proc/nope; echo $?\n");
    expect(s.out()).toContain("cat: /proc/nope: No such file or directory\n1\n");
    await s.type("exit 300\n");
    expect(s.out()).toContain("sh: exit: 300: numeric argument required\n");
  });

  it("exit powers the machine off with the status", async () => {
    const s = await shell();
    s.tm.machine.uart.receive("exit 5\n");
    await s.tm.run_until(() => s.tm.machine.powered_off);
    expect(s.tm.machine.exit_code).toBe(5);
  });

  it("help lists builtins and every program in /bin", async () => {
    const s = await shell();
    await s.type("help\n");
    for (const name of ["exit", "lspci", "insmod", "rmmod", "lsmod", "dmesg", "free", "ps", "cat", "uptime", "sleep", "echo", "poweroff"]) {
      expect(s.out()).toMatch(new RegExp(`^  ${name} `, "m"));
    }
  });

  it("ps shows processes and kernel threads", async () => {
    const s = await shell();
    await s.type("ps\n");
    expect(s.out()).toMatch(/^ +1 +0 S +init$/m);
    expect(s.out()).toMatch(/^ +\d+ +1 S +sh$/m);
    expect(s.out()).toMatch(/^ +\d+ +0 S +\[kworker\/0:0-events\]$/m);
    expect(s.out()).toMatch(/^ +\d+ +\d+ R +ps$/m);
  });
});
