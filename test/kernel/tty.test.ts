/**
 * The console tty (kernel/tty.ts, n_tty) through the system calls of a real process, with bytes
 * typed into the machine's UART: canonical lines with echo and erase, ^C and ^D, non-canonical
 * reads, switching modes with input typed ahead, the termios calls, poll(), and readline(3) over
 * the real tty.
 */
import { describe, expect, it } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { EAGAIN, EBADF, EINTR, ENOTTY } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import { F_SETFL, O_NONBLOCK, O_RDONLY, O_RDWR } from "../../include/uapi/fcntl.ts";
import { POLLIN } from "../../include/uapi/in.ts";
import { ECHO, ECHOCTL, ECHOE, ECHOK, ICANON, ISIG, type Program, type Syscalls } from "../../include/uapi/syscalls.ts";
import { ECHOKE, IEXTEN } from "../../kernel/tty.ts";
import { readline } from "../../userland/lib/readline.ts";
import { boot_test_machine } from "../helpers/boot.ts";

const STD = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;

/**
 * Boot with `body` as pid 1 (it catches SIGINT and owns the terminal). `type` feeds the UART,
 * `until` runs the machine until a condition, `echo()` is the console output since the last call.
 */
async function tty_machine(body: (sys: Syscalls, log: unknown[], ready: () => void) => Promise<void>) {
  const log: unknown[] = [];
  let mark = 0;
  let done = false;
  let error: unknown = null;
  const prog: Program = async (_argv, sys) => {
    sys.sigaction(SIGINT, "catch");
    sys.tcsetpgrp(sys.getpid());
    const ready = (): void => {
      log.push("ready");
      mark = tm.machine.console_output.length;
    };
    try {
      await body(sys, log, ready);
    } catch (e) {
      error = e;
    }
    done = true;
    return sys.poweroff(0);
  };
  const tm = boot_test_machine({ boot: { initcalls: [serial8250_init], programs: new Map([["t", prog]]), init_argv: ["t"] } });
  const s = {
    tm,
    log,
    type: (text: string | Uint8Array) => tm.machine.uart.receive(text),
    async until(cond: () => boolean, max_ns = 5e9): Promise<void> {
      await tm.run_until(() => cond() || done || error !== null, max_ns);
      if (error !== null) throw error;
      if (!cond()) throw new Error(`condition not met; log: ${JSON.stringify(log)}; console:\n${tm.machine.console_output}`);
    },
    /** Run a while with nothing expected to happen. */
    settle: () => tm.run_for(50e6),
    echo(): string {
      const out = tm.machine.console_output.slice(mark);
      mark = tm.machine.console_output.length;
      return out;
    },
    get done() {
      return done;
    },
  };
  await s.until(() => log.length > 0 && log[0] === "ready");
  return s;
}

const dec = (b: Uint8Array, n: number): string | number => (n < 0 ? n : new TextDecoder().decode(b.subarray(0, n)));

async function read_str(sys: Syscalls, size = 256, fd = 0): Promise<string | number> {
  const b = new Uint8Array(size);
  return dec(b, await sys.read(fd, b));
}

describe("console tty, canonical mode", () => {
  it("echoes what is typed, erases with DEL as \\b \\b, and hands out whole lines", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      ready();
      log.push(await read_str(sys));
      log.push(await read_str(sys));
    });
    s.type("helo");
    await s.settle();
    expect(s.log.length).toBe(1); // no line yet
    s.type("\x7f\x7fllo\r");
    await s.until(() => s.log.length >= 2);
    expect(s.log[1]).toBe("hello\n");
    expect(s.echo()).toBe("helo\b \b\b \bllo\n");
    // Control characters echo as ^X; erasing one takes two columns back.
    s.type("a\x1b\x7fb\n");
    await s.until(() => s.log.length >= 3);
    expect(s.log[2]).toBe("ab\n");
    expect(s.echo()).toBe("a^[\b \b\b \bb\n");
  });

  it("^U kills the line (erased on screen), ^W a word, ^R reprints, ^V takes a byte literally, a tab erases back to its column", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      ready();
      for (let i = 0; i < 4; i++) log.push(await read_str(sys));
      await sys.write(1, "$ ");
      log.push(await read_str(sys));
    });
    s.type("junk\x15ok\n");
    await s.until(() => s.log.length >= 2);
    expect(s.log[1]).toBe("ok\n");
    expect(s.echo()).toBe("junk" + "\b \b".repeat(4) + "ok\n");
    s.type("cat /etc/hosts\x17\x17passwd\x12\n");
    await s.until(() => s.log.length >= 3);
    // ^W is ALTWERASE: "hosts", then "etc/" back to the slash before it.
    expect(s.log[2]).toBe("cat /passwd\n");
    expect(s.echo()).toBe("cat /etc/hosts" + "\b \b".repeat(5) + "\b \b".repeat(4) + "passwd^R\ncat /passwd\n");
    s.type("\x16\x03x\n");
    await s.until(() => s.log.length >= 4);
    expect(s.log[3]).toBe("\x03x\n");
    expect(s.echo()).toBe("^\b^Cx\n");
    // At column 0 (after the last newline), "ab" takes 2 columns and the tab runs to 8: erasing it
    // goes back 6. Behind the prompt "$ " it goes back 4.
    s.type("ab\t\x7fc\n");
    await s.until(() => s.log.length >= 5);
    expect(s.log[4]).toBe("abc\n");
    expect(s.echo()).toBe("ab\t\b\b\b\b\b\bc\n$ ");
    s.type("ab\t\x7fc\n");
    await s.until(() => s.log.length >= 6);
    expect(s.echo()).toBe("ab\t\b\b\b\bc\n");
  });

  it("a short read leaves the rest of the line for the next read and for read_line", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      ready();
      log.push(await read_str(sys, 3));
      log.push(await sys.read_line());
      log.push(await sys.read_line());
    });
    s.type("abcdef\nsecond\n");
    await s.until(() => s.log.length >= 4);
    expect(s.log.slice(1)).toEqual(["abc", "def\n", "second\n"]);
  });

  it("^D ends a line without a newline, and on an empty line is end of input (read returns 0)", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      ready();
      log.push(await read_str(sys));
      log.push(await read_str(sys));
      log.push(await sys.read_line());
      log.push(await read_str(sys));
    });
    s.type("abc\x04\x04\x04more\n");
    await s.until(() => s.log.length >= 5);
    expect(s.log.slice(1)).toEqual(["abc", "", null, "more\n"]);
    expect(s.echo()).toBe("abcmore\n");
  });

  it("^C echoes ^C, throws away what was typed ahead, and interrupts the reader with SIGINT", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      ready();
      log.push(await read_str(sys));
      log.push(sys.sigpending() === 1 << SIGINT);
      log.push(await read_str(sys));
    });
    s.type("half a line");
    await s.settle();
    s.type("\x03");
    await s.until(() => s.log.length >= 3);
    expect(s.log[1]).toBe(-EINTR);
    expect(s.log[2]).toBe(true);
    s.type("fresh\n");
    await s.until(() => s.log.length >= 4);
    expect(s.log[3]).toBe("fresh\n");
    expect(s.echo()).toBe("half a line^Cfresh\n");
  });

  it("without ECHO nothing is echoed; without ECHOCTL ^C is the raw byte", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      sys.tcsetattr(0, { c_lflag: STD & ~ECHO });
      ready();
      log.push(await read_str(sys));
      sys.tcsetattr(0, { c_lflag: STD & ~ECHOCTL });
      log.push("next");
      log.push(await read_str(sys));
    });
    s.type("secret\n");
    await s.until(() => s.log.length >= 3);
    expect(s.log[1]).toBe("secret\n");
    expect(s.echo()).toBe("");
    s.type("x\x03");
    await s.until(() => s.log.length >= 4);
    expect(s.echo()).toBe("x\x03");
  });
});

describe("console tty, non-canonical mode", () => {
  it("read returns the bytes there are (at least one), unedited and unechoed; ^C is still SIGINT", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      const saved = sys.tcgetattr(0);
      if (typeof saved === "number") throw new Error("tcgetattr");
      sys.tcsetattr(0, { c_lflag: saved.c_lflag & ~(ICANON | ECHO) });
      ready();
      log.push(await read_str(sys));
      log.push(await read_str(sys, 2));
      log.push(await read_str(sys));
      log.push(await read_str(sys));
      sys.sigpending();
      sys.tcsetattr(0, saved);
      log.push(sys.tcgetattr(0));
    });
    s.type("a");
    await s.until(() => s.log.length >= 2);
    expect(s.log[1]).toBe("a");
    s.type("bc\x7fd\x1b[A\r");
    await s.until(() => s.log.length >= 4);
    expect(s.log.slice(2)).toEqual(["bc", "\x7fd\x1b[A\n"]);
    s.type("\x03");
    await s.until(() => s.log.length >= 6);
    expect(s.log[4]).toBe(-EINTR);
    expect(s.log[5]).toEqual({ c_lflag: STD });
    expect(s.echo()).toBe("");
  });

  it("with ECHO it echoes every byte, control characters as ^X", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      sys.tcsetattr(0, { c_lflag: STD & ~ICANON });
      ready();
      log.push(await read_str(sys));
    });
    s.type("q\x1b[D\r");
    await s.until(() => s.log.length >= 2);
    expect(s.echo()).toBe("q^[[D\n");
  });

  it("O_NONBLOCK: -EAGAIN when nothing is there", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      sys.tcsetattr(0, { c_lflag: STD & ~(ICANON | ECHO) });
      sys.fcntl(0, F_SETFL, O_NONBLOCK);
      ready();
      log.push(await read_str(sys));
    });
    await s.until(() => s.log.length >= 2);
    expect(s.log[1]).toBe(-EAGAIN);
  });
});

describe("switching modes with input typed ahead", () => {
  it("lines typed in canonical mode become bytes in raw mode, an EOF among them as 0x04", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      ready();
      await sys.nanosleep(100e6);
      sys.tcsetattr(0, { c_lflag: STD & ~(ICANON | ECHO) });
      log.push(await read_str(sys));
    });
    s.type("one\ntw\x7fo\n\x04");
    await s.until(() => s.log.length >= 2);
    expect(s.log[1]).toBe("one\nto\n\x04");
  });

  it("bytes typed in raw mode split into lines again in canonical mode; the unfinished rest stays editable", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      sys.tcsetattr(0, { c_lflag: STD & ~(ICANON | ECHO) });
      ready();
      await sys.nanosleep(100e6);
      sys.tcsetattr(0, { c_lflag: STD });
      log.push(await read_str(sys));
      log.push(await read_str(sys));
      log.push(await read_str(sys));
    });
    s.type("first\nsecond\nthi");
    await s.until(() => s.log.length >= 3);
    expect(s.log.slice(1)).toEqual(["first\n", "second\n"]);
    s.echo();
    s.type("\x7frd\n");
    await s.until(() => s.log.length >= 4);
    expect(s.log[3]).toBe("thrd\n");
    expect(s.echo()).toBe("\b \brd\n");
  });
});

describe("termios calls and poll", () => {
  it("isatty, tcgetattr and tcsetattr: the console and /dev/tty are terminals, other files are not", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      const null_fd = sys.open("/dev/null", O_RDWR);
      const tty_fd = sys.open("/dev/tty", O_RDWR);
      const console_fd = sys.open("/dev/console", O_RDONLY);
      const p = sys.pipe2();
      const r = typeof p === "number" ? p : p[0];
      ready();
      log.push([sys.isatty(0), sys.isatty(1), sys.isatty(2), sys.isatty(tty_fd), sys.isatty(console_fd), sys.isatty(null_fd), sys.isatty(99)]);
      log.push(sys.tcgetattr(tty_fd));
      log.push([sys.tcgetattr(null_fd), sys.tcgetattr(99), sys.tcsetattr(null_fd, { c_lflag: 0 }), sys.tcsetattr(0, { c_lflag: -1 })]);
      log.push(r >= 0 ? sys.isatty(r) : "no pipes yet");
      // A change through one descriptor is the tty's: the others see it.
      sys.tcsetattr(tty_fd, { c_lflag: ISIG });
      log.push(sys.tcgetattr(0));
      sys.tcsetattr(0, { c_lflag: STD });
    });
    await s.until(() => s.log.length >= 6);
    expect(s.log[1]).toEqual([1, 1, 1, 1, 1, 0, 0]);
    expect(s.log[2]).toEqual({ c_lflag: STD });
    expect(s.log[3]).toEqual([-ENOTTY, -EBADF, -ENOTTY, -22]);
    expect([0, "no pipes yet"]).toContain(s.log[4]);
    expect(s.log[5]).toEqual({ c_lflag: ISIG });
  });

  it("poll: readable after a whole line in canonical mode, after one byte in raw mode", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      ready();
      const fds = [{ fd: 0, events: POLLIN, revents: 0 }];
      log.push(await sys.poll(fds, -1));
      log.push(await read_str(sys));
      sys.tcsetattr(0, { c_lflag: STD & ~(ICANON | ECHO) });
      log.push(await sys.poll(fds, 0));
      log.push(await sys.poll(fds, -1));
      log.push(await read_str(sys));
    });
    s.type("par");
    await s.settle();
    expect(s.log.length).toBe(1);
    s.type("tial\n");
    await s.until(() => s.log.length >= 3);
    expect(s.log.slice(1, 3)).toEqual([1, "partial\n"]);
    await s.until(() => s.log.length >= 4);
    expect(s.log[3]).toBe(0);
    s.type("x");
    await s.until(() => s.log.length >= 6);
    expect(s.log.slice(4)).toEqual([1, "x"]);
  });
});

describe("readline(3) over the console tty", () => {
  it("edits a line from bytes split across UART deliveries, keeps typed-ahead lines, restores termios", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      ready();
      log.push(await readline(sys, "> "));
      log.push(sys.tcgetattr(0));
      log.push(await readline(sys, "> "));
      log.push(await read_str(sys));
    });
    s.type("ab");
    await s.settle();
    s.type("\x1b");
    await s.settle();
    s.type("[");
    await s.settle();
    s.type("DX\rsecond\rthird\r");
    await s.until(() => s.log.length >= 5);
    expect(s.log.slice(1)).toEqual(["aXb", { c_lflag: STD }, "second", "third\n"]);
    // What readline drew: prompt, "ab", left, X and the rest redrawn, the cursor to the end at
    // Enter. "third" came while the tty was raw and unechoed, and was read as a line afterwards.
    expect(s.echo()).toBe("> ab\x1b[DXb\x1b[K\x1b[Db\n> second\n");
  });

  it("^C through ISIG: the line stays with ^C after it, readline returns -EINTR", async () => {
    const s = await tty_machine(async (sys, log, ready) => {
      ready();
      log.push(await readline(sys, "> "));
      log.push(sys.sigpending() === 1 << SIGINT);
      log.push(await readline(sys, "> "));
    });
    s.type("half");
    await s.settle();
    s.type("\x03");
    await s.until(() => s.log.length >= 3);
    expect(s.log.slice(1)).toEqual([-EINTR, true]);
    s.type("ok\r");
    await s.until(() => s.log.length >= 4);
    expect(s.log[3]).toBe("ok");
    expect(s.echo()).toBe("> half^C\n> ok\n");
  });

  it("holds bytes typed before the console is first opened, and runs them through the line discipline after the opener set its termios", async () => {
    const tm = boot_test_machine({
      boot: {
        initcalls: [serial8250_init],
        init_argv: ["t"],
        programs: new Map<string, Program>([
          [
            "t",
            async (_argv, sys) => {
              // The first file call opens the console; ECHO goes off before the held bytes are flushed.
              const t = sys.tcgetattr(0);
              if (typeof t !== "number") sys.tcsetattr(0, { c_lflag: t.c_lflag & ~ECHO });
              const buf = new Uint8Array(64);
              const n = await sys.read(0, buf);
              await sys.write(1, `got ${JSON.stringify(new TextDecoder().decode(buf.subarray(0, n)))}\n`);
              return sys.poweroff(0);
            },
          ],
        ]),
      },
    });
    tm.machine.uart.receive("typed early\n");
    await tm.run_until(() => tm.machine.console_output.includes("got "));
    expect(tm.machine.console_output).toContain('got "typed early\\n"\n');
    expect(tm.machine.console_output).not.toContain("typed early\n");
  });

  it("loses nothing of 10 KB typed ahead of boot (more than the flip buffer holds)", async () => {
    let got = -1;
    const tm = boot_test_machine({
      boot: {
        initcalls: [serial8250_init],
        init_argv: ["t"],
        programs: new Map<string, Program>([
          [
            "t",
            async (_argv, sys) => {
              const t = sys.tcgetattr(0);
              if (typeof t !== "number") sys.tcsetattr(0, { c_lflag: t.c_lflag & ~ECHO });
              let n = 0;
              for (;;) {
                const line = await sys.read_line();
                if (typeof line !== "string") break;
                n += line.length;
                if (line === "end\n") break;
              }
              got = n;
              return sys.poweroff(0);
            },
          ],
        ]),
      },
    });
    const text = `${"0123456789abcdefghijklmnopqrstuvwxyz0123456789abc\n".repeat(200)}end\n`;
    tm.machine.uart.receive(text);
    await tm.run_until(() => got >= 0);
    expect(got).toBe(text.length);
  });
});
