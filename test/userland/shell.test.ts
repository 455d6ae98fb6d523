import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { get_current, task_list } from "../../kernel/sched/core.ts";
import { fs_syscalls_for } from "../../kernel/fs/fs_syscalls.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { PROMPT } from "../../userland/sh/sh.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";

const have_tcpdump = spawnSync("tcpdump", ["--version"]).status === 0;

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
  it("runs a job in the background, lists it, kills it and reports how it ended", async () => {
    const s = await shell();
    await s.type("sleep 100 &\n");
    expect(s.out()).toMatch(/\[1\] \d+\nringzero:\/# $/);
    await s.type("jobs\n");
    expect(s.out()).toContain("[1]   Running                 sleep 100 &\n");
    await s.type("kill %1\n");
    await s.type("\n");
    expect(s.out()).toContain("[1]+  Terminated              sleep 100\n");
    await s.type("kill %1; echo $?\n");
    expect(s.out()).toContain("sh: kill: %1: no such job\n1\n");
    await s.type("sleep 1 & sleep 2 & wait; echo waited $?\n");
    expect(s.out()).toMatch(/\[1\] \d+\n\[2\] \d+\nwaited 0\n/);
  });

  it("tcpdump in the background prints the frames of a ping on lo, in tcpdump's format", async () => {
    const s = await shell();
    await s.type("tcpdump -i lo -n -c 4 & ping -c 2 127.0.0.1; wait\n");
    const lines = s.out().split("\n").filter((l) => / IP 127\.0\.0\.1 > 127\.0\.0\.1: /.test(l));
    expect(lines.map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d{6} /, ""))).toEqual([
      "IP 127.0.0.1 > 127.0.0.1: ICMP echo request, id 1, seq 1, length 64",
      "IP 127.0.0.1 > 127.0.0.1: ICMP echo reply, id 1, seq 1, length 64",
      "IP 127.0.0.1 > 127.0.0.1: ICMP echo request, id 1, seq 2, length 64",
      "IP 127.0.0.1 > 127.0.0.1: ICMP echo reply, id 1, seq 2, length 64",
    ]);
    expect(lines[2]).toMatch(/^00:00:0\d\.\d{6} /); // the kernel clock, a second after the first
    expect(s.out()).toContain("listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n");
    expect(s.out()).toMatch(/4 packets captured\n\d+ packets received by filter\n0 packets dropped by kernel\n/);
  });

  it("tcpdump -w writes a libpcap savefile in the machine that -r prints back, and the real tcpdump reads", async () => {
    const s = await shell();
    await s.type("tcpdump -i lo -c 4 -w /tmp/lo.pcap & ping -c 2 -i 0.2 127.0.0.1; wait; tcpdump -r /tmp/lo.pcap\n", () => s.out().includes("reading from file") && s.out().endsWith("ringzero:/# "));
    expect(s.out()).toContain("tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n");
    expect(s.out()).toContain("reading from file /tmp/lo.pcap, link-type EN10MB (Ethernet), snapshot length 262144\n");
    const read = s.out().split("reading from file")[1]!.split("\n").slice(1, 5).map((l) => l.replace(/^\S+ /, ""));
    expect(read).toEqual([
      "IP 127.0.0.1 > 127.0.0.1: ICMP echo request, id 1, seq 1, length 64",
      "IP 127.0.0.1 > 127.0.0.1: ICMP echo reply, id 1, seq 1, length 64",
      "IP 127.0.0.1 > 127.0.0.1: ICMP echo request, id 1, seq 2, length 64",
      "IP 127.0.0.1 > 127.0.0.1: ICMP echo reply, id 1, seq 2, length 64",
    ]);
    // The file's bytes, taken out of the machine: 24-byte header, 4 records of 16 + 98 bytes.
    const bytes = await s.tm.in_task(() => fs_syscalls_for(get_current()!).read_file("/tmp/lo.pcap"));
    if (typeof bytes === "number") throw new Error(`read_file: ${bytes}`);
    expect(bytes.length).toBe(24 + 4 * (16 + 98));
    if (have_tcpdump) {
      const dir = mkdtempSync(join(tmpdir(), "rz-w-"));
      try {
        writeFileSync(join(dir, "lo.pcap"), bytes);
        const r = spawnSync("tcpdump", ["-nn", "-r", join(dir, "lo.pcap")], { encoding: "utf8" });
        expect(r.status).toBe(0);
        expect(r.stdout.trim().split("\n").map((l) => l.replace(/^\S+ /, ""))).toEqual(read);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it("Ctrl-C stops tcpdump, which prints its statistics; bad arguments are refused", async () => {
    const s = await shell();
    await s.type("tcpdump -i lo\n", () => s.out().includes("listening on lo"));
    await s.type("\x03");
    expect(s.out()).toMatch(/\^C\n0 packets captured\n0 packets received by filter\n0 packets dropped by kernel\nringzero:\/# $/);
    await s.type("tcpdump -i eth7; echo $?\n");
    expect(s.out()).toContain("tcpdump: eth7: No such device exists\n1\n");
    await s.type("tcpdump -w /nodir/x.pcap; echo $?\n");
    expect(s.out()).toContain("tcpdump: /nodir/x.pcap: No such file or directory\n1\n");
    await s.type("tcpdump -r /proc/version; echo $?\n");
    expect(s.out()).toContain("tcpdump: /proc/version: bad dump file format\n1\n");
    await s.type("tcpdump -c 0; echo $?\n");
    expect(s.out()).toContain("tcpdump: invalid packet count 0\n1\n");
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
    expect(s.out()).toMatch(/\^C\n--- 127\.0\.0\.1 ping statistics ---\n3 packets transmitted, 3 received, 0% packet loss, time 20\d\dms\nrtt min/);
    await s.type("echo $?\n");
    expect(s.out()).toMatch(/ringzero:\/# echo \$\?\n0\n/); // ping got replies: status 0
  });

  it("Ctrl-C at the prompt gives a fresh prompt; the shell survives", async () => {
    const s = await shell();
    await s.type("ech", () => s.out().endsWith("# ech"));
    await s.type("\x03");
    // The half-typed line stays on screen, as bash leaves it.
    expect(s.out()).toMatch(/ringzero:\/# ech\^C\nringzero:\/# $/);
    await s.type("echo $?\n");
    expect(s.out()).toMatch(/ringzero:\/# echo \$\?\n130\n/);
  });

  it("refuses bad arguments with one line and a non-zero status, and keeps running", async () => {
    const s = await shell();
    await s.type("sleep abc; echo $?\n");
    expect(s.out()).toContain("sleep: invalid time interval 'abc'\n1\n");
    await s.type("cat /proc/nope; echo $?\n");
    expect(s.out()).toContain("cat: can't open '/proc/nope': No such file or directory\n1\n");
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

  it("ps lists the shell and itself on the console, as procps does", async () => {
    const s = await shell();
    await s.type("ps\n");
    expect(s.out()).toMatch(/^  PID TTY          TIME CMD$/m);
    expect(s.out()).toMatch(/^ +\d+ console +\d\d:\d\d:\d\d sh$/m);
    expect(s.out()).toMatch(/^ +\d+ console +\d\d:\d\d:\d\d ps$/m);
  });
});
