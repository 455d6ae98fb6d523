/**
 * pipe2(2) (kernel/fs/pipe.ts) as processes see it: capacity and back-pressure, EOF, EPIPE and
 * SIGPIPE, O_NONBLOCK, poll, fstat/lseek, atomic writes, and SIGPIPE ending a writer that does or
 * does not await its writes (`yes | head -1`).
 */
import { describe, expect, it } from "vitest";
import { EAGAIN, ECHILD, EPIPE, ESPIPE } from "../../include/linux/errno.ts";
import { SIGPIPE } from "../../include/linux/sched.ts";
import { O_CLOEXEC, O_NONBLOCK, SEEK_SET } from "../../include/uapi/fcntl.ts";
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, type PollFd } from "../../include/uapi/in.ts";
import { S_IFIFO, S_IFMT, type Stat } from "../../include/uapi/stat.ts";
import type { Program, Syscalls } from "../../include/uapi/syscalls.ts";
import { in_process } from "./vfs_harness.ts";

const STDIN = 0;
const STDOUT = 1;

/** Spawn `argv` with its stdin/stdout on the given descriptors (dup2 file actions). */
function spawn_with(sys: Syscalls, argv: string[], io: { stdin?: number; stdout?: number }): number {
  const file_actions = [
    ...(io.stdin !== undefined ? [{ action: "dup2" as const, fd: io.stdin, newfd: STDIN }] : []),
    ...(io.stdout !== undefined ? [{ action: "dup2" as const, fd: io.stdout, newfd: STDOUT }] : []),
  ];
  return sys.spawn(argv, { file_actions });
}

/** yes(1): "y\n" forever, awaiting each write; it ends only by a signal. */
const yes: Program = async (_argv, sys) => {
  const line = new TextEncoder().encode("y\n".repeat(512));
  for (;;) await sys.write(STDOUT, line);
};

/** yes without awaiting its writes (print()-style), giving up the CPU now and then. */
const yes_unawaited: Program = async (_argv, sys) => {
  for (let i = 1; ; i++) {
    sys.write(STDOUT, "y\n");
    if (i % 4096 === 0) await sys.nanosleep(1000);
  }
};

/** head -n 1: read until the first newline, print it, exit 0. */
const head1_out: string[] = [];
const head1: Program = async (_argv, sys) => {
  const buf = new Uint8Array(1);
  let line = "";
  while ((await sys.read(STDIN, buf)) === 1) {
    line += String.fromCharCode(buf[0]!);
    if (buf[0] === 0x0a) break;
  }
  head1_out.push(line);
  return 0;
};

describe("pipe2", () => {
  it("holds 64 KiB; O_NONBLOCK gives EAGAIN; poll, fstat and lseek answer as on Linux; EOF once the writer is gone", async () => {
    const { value } = await in_process(async (sys) => {
      const p = sys.pipe2(O_NONBLOCK);
      if (typeof p === "number") return p;
      const [r, w] = p;
      const st = sys.fstat(r) as Stat;
      const poll = async (): Promise<number[]> => {
        const fds: PollFd[] = [{ fd: r, events: POLLIN, revents: 0 }, { fd: w, events: POLLOUT, revents: 0 }];
        await sys.poll(fds, 0);
        return fds.map((f) => f.revents);
      };
      const empty_poll = await poll();
      const empty_read = await sys.read(r, new Uint8Array(10));
      const big = await sys.write(w, new Uint8Array(70000).fill(0x61));
      const full_write = await sys.write(w, "x");
      const full_poll = await poll();
      const buf = new Uint8Array(100000);
      const got = await sys.read(r, buf);
      const after = await sys.write(w, "tail");
      sys.close(w);
      const rest = await sys.read(r, buf);
      const eof = await sys.read(r, buf);
      const hup_poll = await poll();
      return { r, w, mode: st.st_mode & S_IFMT, perm: st.st_mode & 0o777, empty_poll, empty_read, big, full_write, full_poll, got, after, rest, eof, hup_poll, seek: sys.lseek(r, 0, SEEK_SET), flags: sys.fcntl(r, 3) };
    });
    expect(value).toMatchObject({ r: 3, w: 4, mode: S_IFIFO, perm: 0o600 });
    expect(value).toMatchObject({ empty_poll: [0, POLLOUT], empty_read: -EAGAIN });
    expect(value).toMatchObject({ big: 65536, full_write: -EAGAIN, full_poll: [POLLIN, 0] });
    expect(value).toMatchObject({ got: 65536, after: 4, rest: 4, eof: 0, hup_poll: [POLLHUP, POLLNVAL] });
    expect(value).toMatchObject({ seek: -ESPIPE, flags: O_NONBLOCK });
  });

  it("write with no reader left fails with EPIPE and raises SIGPIPE (ignored here, caught there)", async () => {
    const { value } = await in_process(async (sys) => {
      sys.sigaction(SIGPIPE, "ignore");
      const [r, w] = sys.pipe2() as [number, number];
      sys.close(r);
      const ignored = await sys.write(w, "x");
      const fds: PollFd[] = [{ fd: w, events: POLLOUT, revents: 0 }];
      await sys.poll(fds, 0);
      sys.sigaction(SIGPIPE, "catch");
      const caught = await sys.write(w, "x");
      return { ignored, revents: fds[0]!.revents, caught, pending: sys.sigpending() };
    });
    expect(value).toEqual({ ignored: -EPIPE, revents: POLLOUT | POLLERR, caught: -EPIPE, pending: 1 << SIGPIPE });
  });

  it("a writer blocks at 64 KiB until the reader drains; the reader sees EOF only when every write end is closed", async () => {
    const progress = { read: 0, at_write_done: -1, eof: false };
    const slow_reader: Program = async (_argv, sys) => {
      const buf = new Uint8Array(1000);
      for (;;) {
        const n = await sys.read(STDIN, buf);
        if (n <= 0) {
          progress.eof = n === 0;
          return n === 0 ? 0 : 1;
        }
        progress.read += n;
        await sys.nanosleep(1e6);
      }
    };
    const { value } = await in_process(
      async (sys) => {
        const [r, w] = sys.pipe2(O_CLOEXEC) as [number, number];
        const pid = spawn_with(sys, ["slow"], { stdin: r });
        sys.close(r);
        const wrote = await sys.write(w, new Uint8Array(200_000));
        progress.at_write_done = progress.read;
        await sys.nanosleep(50e6);
        const eof_before_close = progress.eof;
        sys.close(w);
        const status = await sys.waitpid(pid);
        return { wrote, eof_before_close, status };
      },
      { programs: [["slow", slow_reader]] },
    );
    expect(value).toEqual({ wrote: 200_000, eof_before_close: false, status: 0 });
    // The write finished only once the reader had taken all but what the pipe holds.
    expect(progress.at_write_done).toBeGreaterThanOrEqual(200_000 - 65536);
    expect(progress.at_write_done).toBeLessThan(200_000);
    expect(progress).toMatchObject({ read: 200_000, eof: true });
  });

  it("a child that inherits a write end keeps the reader from seeing EOF (no O_CLOEXEC)", async () => {
    const held: Program = async (_argv, sys) => {
      await sys.nanosleep(20e6);
      return 0;
    };
    const { value } = await in_process(
      async (sys) => {
        const [r, w] = sys.pipe2() as [number, number];
        const pid = sys.spawn(["held"]);
        sys.close(w);
        const t0 = sys.clock_gettime(1);
        const eof = await sys.read(r, new Uint8Array(4));
        const waited_ms = (sys.clock_gettime(1) - t0) / 1e6;
        return { eof, waited_ms, status: await sys.waitpid(pid) };
      },
      { programs: [["held", held]] },
    );
    expect(value.eof).toBe(0);
    expect(value.waited_ms).toBeGreaterThanOrEqual(20);
    expect(value.status).toBe(0);
  });

  it("writes of PIPE_BUF bytes from two writers never interleave", async () => {
    const writer = (c: number): Program => async (_argv, sys) => {
      const block = new Uint8Array(4096).fill(c);
      for (let i = 0; i < 40; i++) if ((await sys.write(STDOUT, block)) !== 4096) return 1;
      return 0;
    };
    const { value } = await in_process(
      async (sys) => {
        const [r, w] = sys.pipe2(O_CLOEXEC) as [number, number];
        const a = spawn_with(sys, ["wa"], { stdout: w });
        const b = spawn_with(sys, ["wb"], { stdout: w });
        sys.close(w);
        const blocks: string[] = [];
        const buf = new Uint8Array(4096);
        for (;;) {
          await sys.nanosleep(100_000);
          const n = await sys.read(r, buf);
          if (n === 0) break;
          if (n !== 4096) return `short read ${n}`;
          const first = buf[0]!;
          if (!buf.every((x) => x === first)) return "interleaved";
          blocks.push(String.fromCharCode(first));
        }
        return { blocks: blocks.length, a: await sys.waitpid(a), b: await sys.waitpid(b), mixed: new Set(blocks.join("").match(/(.)\1*/g)!.map((s) => s[0])).size };
      },
      { programs: [["wa", writer(0x61)], ["wb", writer(0x62)]] },
    );
    expect(value).toEqual({ blocks: 80, a: 0, b: 0, mixed: 2 });
  });

  it("yes | head -1: the writer dies of SIGPIPE (status 141) once the reader is gone, awaited writes or not", async () => {
    head1_out.length = 0;
    const { value } = await in_process(
      async (sys) => {
        const out: number[] = [];
        for (const prog of ["yes", "yes_unawaited"]) {
          const [r, w] = sys.pipe2(O_CLOEXEC) as [number, number];
          const writer = spawn_with(sys, [prog], { stdout: w });
          const reader = spawn_with(sys, ["head1"], { stdin: r });
          sys.close(r);
          sys.close(w);
          out.push(await sys.waitpid(reader), await sys.waitpid(writer));
        }
        return { out, left: await sys.waitpid(-1) };
      },
      { programs: [["yes", yes], ["yes_unawaited", yes_unawaited], ["head1", head1]] },
    );
    expect(value).toEqual({ out: [0, 141, 0, 141], left: -ECHILD });
    expect(head1_out).toEqual(["y\n", "y\n"]);
  });

  it("a program that returns without awaiting its writes still has them delivered, in order, before it exits", async () => {
    const printer: Program = async (_argv, sys) => {
      for (let i = 0; i < 30_000; i++) sys.write(STDOUT, `line ${i}\n`);
      return 7;
    };
    const { value } = await in_process(
      async (sys) => {
        const [r, w] = sys.pipe2(O_CLOEXEC) as [number, number];
        const pid = spawn_with(sys, ["printer"], { stdout: w });
        sys.close(w);
        const chunks: Uint8Array[] = [];
        for (;;) {
          const buf = new Uint8Array(65536);
          const n = await sys.read(r, buf);
          if (n <= 0) break;
          chunks.push(buf.subarray(0, n));
        }
        const text = new TextDecoder().decode(Buffer.concat(chunks));
        return { status: await sys.waitpid(pid), lines: text.split("\n").length - 1, ordered: text.split("\n").slice(0, -1).every((l, i) => l === `line ${i}`) };
      },
      { programs: [["printer", printer]] },
    );
    expect(value).toEqual({ status: 7, lines: 30_000, ordered: true });
  });

  it("un-awaited writes that do not sleep are done when they return: a close right after them loses nothing", async () => {
    const closer: Program = async (_argv, sys) => {
      sys.write(STDOUT, "a");
      sys.write(STDOUT, "b");
      sys.close(STDOUT);
      return (await sys.write(STDOUT, "c")) === -9 ? 0 : 1; // EBADF
    };
    const { value } = await in_process(
      async (sys) => {
        const [r, w] = sys.pipe2(O_CLOEXEC) as [number, number];
        const pid = spawn_with(sys, ["closer"], { stdout: w });
        sys.close(w);
        const buf = new Uint8Array(10);
        let got = "";
        for (let n = await sys.read(r, buf); n > 0; n = await sys.read(r, buf)) got += new TextDecoder().decode(buf.subarray(0, n));
        return { got, status: await sys.waitpid(pid) };
      },
      { programs: [["closer", closer]] },
    );
    expect(value).toEqual({ got: "ab", status: 0 });
  });

  it("an un-awaited write that hits SIGPIPE ends the program at its next system call, or as it returns", async () => {
    const reached: string[] = [];
    const late: Program = async (_argv, sys) => {
      sys.write(STDOUT, "x"); // EPIPE: no reader
      reached.push("after write");
      sys.getpid(); // the process ends here
      reached.push("after getpid");
      return 0;
    };
    const quiet: Program = async (_argv, sys) => {
      sys.write(STDOUT, "x");
      return 0;
    };
    const { value } = await in_process(
      async (sys) => {
        const out: number[] = [];
        for (const prog of ["late", "quiet"]) {
          const [r, w] = sys.pipe2(O_CLOEXEC) as [number, number];
          sys.close(r);
          const pid = spawn_with(sys, [prog], { stdout: w });
          sys.close(w);
          out.push(await sys.waitpid(pid));
        }
        return out;
      },
      { programs: [["late", late], ["quiet", quiet]] },
    );
    expect(value).toEqual([141, 141]);
    expect(reached).toEqual(["after write"]);
  });
});
