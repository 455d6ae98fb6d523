/**
 * The text tools as pipeline stages: they stream (output appears while input is still open, and
 * endless inputs work), a full pipe holds the writer back, a reader that goes away stops the
 * writer (SIGPIPE, or a quiet -EPIPE when it is ignored), and tail -f follows a file on the
 * machine's clock until ^C.
 */
import { describe, expect, it } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { EAGAIN } from "../../include/linux/errno.ts";
import { SIGINT, SIGPIPE } from "../../include/linux/sched.ts";
import { F_GETFL, F_SETFL, O_APPEND, O_CLOEXEC, O_CREAT, O_NONBLOCK, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import { CLOCK_MONOTONIC, WNOHANG, type Syscalls } from "../../include/uapi/syscalls.ts";
import { cat } from "../../userland/bin/cat.ts";
import { seq } from "../../userland/bin/seq.ts";
import { yes } from "../../userland/bin/yes.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { PROMPT } from "../../userland/sh/sh.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";
import { in_process, run_shell } from "../kernel/vfs_harness.ts";

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Spawn `argv` with its standard input and/or output on the given descriptors (the rest inherited). */
function spawn_with(sys: Syscalls, argv: string[], fds: { stdin?: number; stdout?: number; stderr?: number }): number {
  const actions = [];
  if (fds.stdin !== undefined) actions.push({ action: "dup2" as const, fd: fds.stdin, newfd: 0 });
  if (fds.stdout !== undefined) actions.push({ action: "dup2" as const, fd: fds.stdout, newfd: 1 });
  if (fds.stderr !== undefined) actions.push({ action: "dup2" as const, fd: fds.stderr, newfd: 2 });
  const pid = sys.spawn(argv, { file_actions: actions });
  if (pid < 0) throw new Error(`spawn ${argv[0]}: ${pid}`);
  return pid;
}

/** A pipe whose ends a spawned child does not inherit (O_CLOEXEC) unless a file action puts one at 0, 1 or 2. */
function pipe(sys: Syscalls): [number, number] {
  const p = sys.pipe2(O_CLOEXEC);
  if (typeof p === "number") throw new Error(`pipe2: ${p}`);
  return p;
}

/** Read from `fd` until `want` bytes came (or end of file). */
async function read_n(sys: Syscalls, fd: number, want: number): Promise<string> {
  const buf = new Uint8Array(65536);
  let got = "";
  while (got.length < want) {
    const n = await sys.read(fd, buf);
    if (n <= 0) break;
    got += dec(buf.subarray(0, n));
  }
  return got;
}

describe("text tools in pipes", () => {
  it("stream: endless inputs end when the consumer has enough", async () => {
    const r = await run_shell(
      "cat /dev/zero | head -c 100000 | wc -c; yes | head -n 3; tr '\\0' a < /dev/zero | head -c 5; echo; xxd -l 20 /dev/zero; " +
        "hexdump -C -n 18 /dev/zero; seq 100000 | grep -c 7; yes abc | head -n 50000 | uniq -c; seq 20000 | tail -n 2",
    );
    expect(r.out).toContain(
      "100000\ny\ny\ny\naaaaa\n" +
        "00000000: 0000 0000 0000 0000 0000 0000 0000 0000  ................\n00000010: 0000 0000                                ....\n" +
        // busybox's hexdump prints the "*" too: the short last line repeats the start of the one before
        "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n00000010  00 00                                             |..|\n00000012\n" +
        "40951\n  50000 abc\n19999\n20000\n",
    );
  });

  it("cat, grep and tr pass each line on while their input is still open; head -n 1 exits after one", async () => {
    const { value } = await in_process(
      async (sys) => {
        const seen: string[] = [];
        for (const argv of [["cat"], ["grep", "o"], ["tr", "a-z", "A-Z"]]) {
          const [in_r, in_w] = pipe(sys);
          const [out_r, out_w] = pipe(sys);
          const pid = spawn_with(sys, argv, { stdin: in_r, stdout: out_w });
          sys.close(in_r);
          sys.close(out_w);
          await sys.write(in_w, "foo\n");
          seen.push(await read_n(sys, out_r, 4)); // the writer has not closed: a whole-file reader would wait here
          await sys.write(in_w, "bar\nbaz\n");
          sys.close(in_w);
          seen.push(await read_n(sys, out_r, 100));
          seen.push(String(await sys.waitpid(pid)));
          sys.close(out_r);
        }
        const [in_r, in_w] = pipe(sys);
        const [out_r, out_w] = pipe(sys);
        const pid = spawn_with(sys, ["head", "-n", "1"], { stdin: in_r, stdout: out_w });
        sys.close(in_r);
        sys.close(out_w);
        await sys.write(in_w, "first\nsecond\n");
        seen.push(await read_n(sys, out_r, 100), String(await sys.waitpid(pid)));
        sys.close(in_w);
        return seen;
      },
      { programs: [...PROGRAMS] },
    );
    expect(value).toEqual(["foo\n", "bar\nbaz\n", "0", "foo\n", "", "0", "FOO\n", "BAR\nBAZ\n", "0", "first\n", "0"]);
  });

  it("a full pipe holds yes back; closing the reader ends it with SIGPIPE", async () => {
    const { value } = await in_process(
      async (sys) => {
        const [r, w] = pipe(sys);
        const pid = spawn_with(sys, ["yes"], { stdout: w });
        sys.close(w);
        await sys.nanosleep(1e9);
        // A second later all yes could write is what the pipe holds: one read takes it all.
        sys.fcntl(r, F_SETFL, sys.fcntl(r, F_GETFL) | O_NONBLOCK);
        const queued = await sys.read(r, new Uint8Array(256 * 1024));
        const running = await sys.waitpid(pid, WNOHANG);
        sys.close(r);
        return { queued, running, status: await sys.waitpid(pid) };
      },
      { programs: [...PROGRAMS] },
    );
    expect(value.queued).toBe(64 * 1024); // the pipe's size: yes waited in write(2) for room
    expect(value.running).toBe(-EAGAIN);
    expect(value.status).toBe(128 + SIGPIPE);
  });

  it("with SIGPIPE ignored a write to a pipe without a reader stops the tool quietly, status 1", async () => {
    const { value } = await in_process(async (sys) => {
      sys.sigaction(SIGPIPE, "ignore");
      await sys.write_file("/tmp/f", "x\n".repeat(50000));
      const saved_out = sys.dup(1);
      const saved_err = sys.dup(2);
      const err = sys.open("/tmp/err", O_WRONLY | O_CREAT | O_TRUNC, 0o644);
      sys.dup2(err, 2);
      const statuses: number[] = [];
      for (const [main, argv] of [
        [yes, ["yes"]],
        [cat, ["cat", "/tmp/f"]],
        [seq, ["seq", "100000"]],
      ] as const) {
        const [r, w] = pipe(sys);
        sys.close(r);
        sys.dup2(w, 1);
        sys.close(w);
        statuses.push(await main(argv, sys));
      }
      sys.dup2(saved_out, 1);
      sys.dup2(saved_err, 2);
      return { statuses, err: sys.read_file("/tmp/err") };
    });
    expect(value.statuses).toEqual([1, 1, 1]);
    expect(dec(value.err as Uint8Array)).toBe("");
  });

  it("tail -f prints what is appended within a second of the machine's clock, starts again after truncation, and ^C ends it", async () => {
    const { value } = await in_process(
      async (sys) => {
        await sys.write_file("/tmp/log", "one\ntwo\n");
        const [r, w] = pipe(sys);
        const pid = spawn_with(sys, ["tail", "-f", "-n", "1", "/tmp/log"], { stdout: w });
        sys.close(w);
        const first = await read_n(sys, r, 4);
        await sys.nanosleep(1.5e9);
        const fd = sys.open("/tmp/log", O_WRONLY | O_APPEND);
        const t_append = sys.clock_gettime(CLOCK_MONOTONIC);
        await sys.write(fd, "three\n");
        sys.close(fd);
        const appended = await read_n(sys, r, 6);
        const delay = sys.clock_gettime(CLOCK_MONOTONIC) - t_append;
        await sys.write_file("/tmp/log", "new\n"); // truncated and rewritten
        const after_truncate = await read_n(sys, r, 4);
        sys.kill(pid, SIGINT);
        return { first, appended, delay, after_truncate, status: await sys.waitpid(pid), eof: await read_n(sys, r, 1) };
      },
      { programs: [...PROGRAMS] },
    );
    expect(value.first).toBe("two\n");
    expect(value.appended).toBe("three\n");
    expect(value.delay).toBeGreaterThan(0);
    expect(value.delay).toBeLessThanOrEqual(1e9);
    expect(value.after_truncate).toBe("new\n");
    expect(value.status).toBe(128 + SIGINT);
    expect(value.eof).toBe("");
  });

  it("tail -F follows a file that is replaced, and says so", async () => {
    const { value } = await in_process(
      async (sys) => {
        await sys.write_file("/tmp/log", "a\n");
        const [r, w] = pipe(sys);
        const err = sys.open("/tmp/err", O_WRONLY | O_CREAT | O_TRUNC, 0o644);
        const pid = spawn_with(sys, ["tail", "-F", "/tmp/log"], { stdout: w, stderr: err });
        sys.close(w);
        sys.close(err);
        const first = await read_n(sys, r, 2);
        await sys.write_file("/tmp/new", "b\n");
        sys.rename("/tmp/new", "/tmp/log");
        const next = await read_n(sys, r, 2);
        sys.kill(pid, SIGINT);
        await sys.waitpid(pid);
        return { first, next, err: dec(sys.read_file("/tmp/err") as Uint8Array) };
      },
      { programs: [...PROGRAMS] },
    );
    expect(value.first).toBe("a\n");
    expect(value.next).toBe("b\n");
    expect(value.err).toBe("tail: /tmp/log has been replaced; following end of new file\n");
  });

  it("cat and grep read the terminal line by line, answering each line at once, until ^D", async () => {
    const tm = boot_test_machine({ boot: { initcalls: [serial8250_init], programs: PROGRAMS, init_argv: ["init"], modules: MODULES, default_modules: [] } });
    const out = (): string => tm.machine.console_output;
    const prompts = (): number => out().split(PROMPT).length - 1;
    await tm.run_until(() => prompts() === 1);
    tm.machine.uart.receive("cat\n");
    await tm.run_for(0.1e9);
    tm.machine.uart.receive("hello\n");
    expect(await tm.run_until(() => out().endsWith("hello\nhello\n"))).toBe(true);
    tm.machine.uart.receive("\x04");
    expect(await tm.run_until(() => prompts() === 2)).toBe(true);
    tm.machine.uart.receive("grep -n o\n");
    await tm.run_for(0.1e9);
    tm.machine.uart.receive("one\n");
    expect(await tm.run_until(() => out().endsWith("one\n1:one\n"))).toBe(true);
    tm.machine.uart.receive("two\n");
    expect(await tm.run_until(() => out().endsWith("two\n2:two\n"))).toBe(true);
    tm.machine.uart.receive("abc\n");
    await tm.run_for(0.1e9);
    tm.machine.uart.receive("\x04");
    expect(await tm.run_until(() => prompts() === 3)).toBe(true);
    expect(out()).toContain("two\n2:two\nabc\nringzero:/# ");
  });

  it("tail -f at the terminal prints lines appended by a background job, and ^C ends it", async () => {
    const tm = boot_test_machine({ boot: { initcalls: [serial8250_init], programs: PROGRAMS, init_argv: ["init"], modules: MODULES, default_modules: [] } });
    const out = (): string => tm.machine.console_output;
    const prompts = (): number => out().split(PROMPT).length - 1;
    await tm.run_until(() => prompts() === 1);
    tm.machine.uart.receive("echo start > /tmp/log; sh -c 'sleep 2; echo later >> /tmp/log' & tail -f /tmp/log\n");
    expect(await tm.run_until(() => out().endsWith("start\n"))).toBe(true);
    expect(await tm.run_until(() => out().endsWith("start\nlater\n"), 4e9)).toBe(true);
    tm.machine.uart.receive("\x03");
    expect(await tm.run_until(() => prompts() === 2)).toBe(true);
  });
});
