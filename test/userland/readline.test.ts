/**
 * userland/lib/readline.ts against a scripted byte stream: a fake fd 0 that hands out the bytes a
 * terminal would send (in the chunks given, so escape sequences can be split across reads), and a
 * small VT100 screen that replays what readline wrote, so the tests assert what a user would see.
 */
import { describe, expect, it } from "vitest";
import { EINTR } from "../../include/linux/errno.ts";
import { ECHO, ECHOCTL, ECHOE, ICANON, ISIG, type Syscalls, type Termios } from "../../include/uapi/syscalls.ts";
import { format_matches, readline, type Completion } from "../../userland/lib/readline.ts";

const TTY_DEFAULT = ISIG | ICANON | ECHO | ECHOE | ECHOCTL;

/** A VT100 screen, enough for readline's output: text, CR, LF, BS, CSI n C/D, K, H, 2J, BEL. */
class Screen {
  rows: string[][] = [[]];
  row = 0;
  col = 0;
  bells = 0;

  feed(s: string): void {
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c === "\x1b" && s[i + 1] === "[") {
        const m = /^\x1b\[([0-9;]*)([A-Za-z~])/.exec(s.slice(i))!;
        const n = m[1] === "" ? 1 : Number(m[1]);
        const line = this.rows[this.row]!;
        switch (m[2]) {
          case "D":
            this.col = Math.max(0, this.col - n);
            break;
          case "C":
            this.col += n;
            break;
          case "K":
            line.length = Math.min(line.length, this.col);
            break;
          case "H":
            this.row = 0;
            this.col = 0;
            break;
          case "J":
            this.rows = [[]];
            break;
          default:
            throw new Error(`unexpected sequence ${JSON.stringify(m[0])}`);
        }
        i += m[0].length - 1;
      } else if (c === "\n") {
        this.row++;
        this.col = 0;
        this.rows[this.row] ??= [];
      } else if (c === "\r") this.col = 0;
      else if (c === "\b") this.col = Math.max(0, this.col - 1);
      else if (c === "\x07") this.bells++;
      else {
        const line = this.rows[this.row]!;
        while (line.length < this.col) line.push(" ");
        line[this.col++] = c;
      }
    }
  }

  get text(): string {
    return this.rows.map((r) => r.join("").trimEnd()).join("\n");
  }
}

/** Input items: bytes to hand out (read() returns at most what one item holds), or an errno. */
type Input = string | number;

/** A fake process whose fd 0 is a terminal (or not) fed from `input`. */
function fake(input: Input[], opts: { tty?: boolean } = {}) {
  const queue = input.slice();
  const screen = new Screen();
  const state = { termios: { c_lflag: TTY_DEFAULT } as Termios, modes: [] as number[], reads: 0, read_lines: 0, written: "" };
  const sys = {
    isatty: (fd: number) => (fd === 0 && opts.tty !== false ? 1 : 0),
    tcgetattr: (fd: number) => (fd === 0 && opts.tty !== false ? { ...state.termios } : -25),
    tcsetattr: (_fd: number, t: Termios) => {
      state.termios = { ...t };
      state.modes.push(t.c_lflag);
      return 0;
    },
    read: async (fd: number, buf: Uint8Array) => {
      expect(fd).toBe(0);
      state.reads++;
      const head = queue[0];
      if (head === undefined) return 0;
      if (typeof head === "number") {
        queue.shift();
        return head;
      }
      const bytes = Buffer.from(head, "latin1");
      const n = Math.min(buf.length, bytes.length);
      buf.set(bytes.subarray(0, n));
      if (n === bytes.length) queue.shift();
      else queue[0] = bytes.subarray(n).toString("latin1");
      return n;
    },
    read_line: async () => {
      state.read_lines++;
      const head = queue.shift();
      if (head === undefined) return null;
      return head;
    },
    write: async (fd: number, data: string | Uint8Array) => {
      expect(fd).toBe(1);
      const s = typeof data === "string" ? data : new TextDecoder().decode(data);
      state.written += s;
      screen.feed(s);
      return s.length;
    },
  } as unknown as Syscalls;
  return { sys, screen, state, left: () => queue.join("") };
}

const P = "rz$ ";
const LEFT = "\x1b[D";
const RIGHT = "\x1b[C";
const UP = "\x1b[A";
const DOWN = "\x1b[B";

describe("readline on a terminal", () => {
  it("inserts, moves and deletes; the line on screen is the line returned; termios is restored", async () => {
    const f = fake(["hllo wrld", LEFT.repeat(3), "o", "\x01", RIGHT, "e", "\x05", "\x7f", "d!\r"]);
    expect(await readline(f.sys, P)).toBe("hello world!");
    expect(f.screen.text).toBe("rz$ hello world!\n");
    // Raw mode while editing (ICANON and ECHO off, ISIG kept), the saved termios afterwards.
    expect(f.state.modes).toEqual([ISIG | ECHOE | ECHOCTL, TTY_DEFAULT]);
  });

  it("Home/End sequences, Delete, ^D under the cursor, ^U, ^K, ^W and ^Y", async () => {
    const a = fake(["abcdef", "\x1b[H", "\x1b[3~", "\x1b[F", "\x1b[1~", "\x04", "\x1b[4~", "X\n"]);
    expect(await readline(a.sys, P)).toBe("cdefX");
    expect(a.screen.text).toBe("rz$ cdefX\n");
    const b = fake(["echo one two", "\x17", "\x17", "three", "\x01", "\x0b", "\x19", "\x19", "\r"]);
    expect(await readline(b.sys, P)).toBe("echo threeecho three");
    expect(b.screen.text).toBe("rz$ echo threeecho three\n");
    const c = fake(["junk", LEFT, LEFT, "\x15", "\x05", "!\r"]);
    expect(await readline(c.sys, P)).toBe("nk!");
    expect(c.screen.text).toBe("rz$ nk!\n");
  });

  it("moves by words (ESC b, ESC f, Ctrl-Left) and kills words (ESC DEL, ESC d); ^T transposes", async () => {
    const f = fake(["ls /usr/lib", "\x1bb", "\x1bb", "\x1b\x7f", "\x1bf", "\x1b[1;5D", "\x1bd", "\x05", "\x14", "\r"]);
    // ESC b twice: before "usr"; ESC DEL kills "ls /"; ESC f, Ctrl-Left: back at 0; ESC d kills
    // "usr"; ^T at the end swaps the last two characters.
    expect(await readline(f.sys, P)).toBe("/lbi");
    expect(f.screen.text).toBe("rz$ /lbi\n");
  });

  it("keeps escape sequences split across reads together", async () => {
    const f = fake(["ab", "\x1b", "[", "D", "X", "\x1b[", "3", "~", "\x1bO", "H", ">", "\r"]);
    expect(await readline(f.sys, P)).toBe(">aX");
    expect(f.screen.text).toBe("rz$ >aX\n");
  });

  it("decodes UTF-8 characters (split across reads) and edits them as one character", async () => {
    const utf8 = Buffer.from("grüß", "utf8").toString("latin1");
    const f = fake([utf8.slice(0, 3), utf8.slice(3), "\x7f", "\x7f", "ss\r"]);
    expect(await readline(f.sys, P)).toBe("grss");
  });

  it("walks the history with Up/Down (^P/^N), keeping edits to the new line", async () => {
    const history = ["ls /tmp", "cat /etc/hostname", "uname -a"];
    const f = fake(["new", UP, UP, "\x10", "\x10", UP, DOWN, DOWN, DOWN, "\x0e", "\x7f", "!\r"]);
    const r = await readline(f.sys, P, { history });
    expect(r).toBe("ne!");
    expect(f.screen.text).toBe("rz$ ne!\n");
    expect(f.screen.bells).toBe(3); // twice past the oldest entry, once past the new line
    expect(history).toEqual(["ls /tmp", "cat /etc/hostname", "uname -a"]);
    const g = fake([UP, UP, "\x7f".repeat(8), "hosts\r"]);
    expect(await readline(g.sys, P, { history })).toBe("cat /etc/hosts");
    expect(g.screen.text).toBe("rz$ cat /etc/hosts\n");
  });

  it("Tab with one candidate inserts it and a space (none after a directory)", async () => {
    const seen: [string, number][] = [];
    const complete = async (line: string, cursor: number): Promise<Completion> => {
      seen.push([line, cursor]);
      const start = line.lastIndexOf(" ", cursor - 1) + 1;
      const word = line.slice(start, cursor);
      return { start, candidates: ["uname", "uptime", "/tmp/", "/etc/"].filter((c) => c.startsWith(word)) };
    };
    const f = fake(["una", "\t", "-a", "\x01", RIGHT, RIGHT, RIGHT, "\x0b", "\t", "/t", "\t", "x\r"]);
    expect(await readline(f.sys, P, { complete })).toBe("uname /tmp/x");
    expect(seen).toEqual([["una", 3], ["una", 3], ["uname /t", 8]]);
    expect(f.screen.text).toBe("rz$ uname /tmp/x\n");
  });

  it("Tab with several candidates inserts their common prefix; a second Tab lists them, then redraws", async () => {
    const names = ["ethtool", "echo", "env", "exit"];
    const complete = async (line: string, cursor: number): Promise<Completion> => ({ start: 0, candidates: names.filter((n) => n.startsWith(line.slice(0, cursor))) });
    const f = fake(["e", "\t", "\t", "t", "\t", "\r"]);
    expect(await readline(f.sys, P, { complete })).toBe("ethtool ");
    expect(f.screen.text).toBe(["rz$ e", "echo     env      ethtool  exit", "rz$ ethtool", ""].join("\n"));
    expect(f.screen.bells).toBe(1); // the first Tab: ambiguous, nothing to add
    const g = fake(["cat /dev/u", "\t", "\t", "\t", "\r"]); // a third Tab lists again
    const paths = async (): Promise<Completion> => ({ start: 4, candidates: ["/dev/urandom", "/dev/urandom2/", "/dev/uvw"] });
    expect(await readline(g.sys, P, { complete: paths })).toBe("cat /dev/u");
    expect(g.screen.text).toBe(["rz$ cat /dev/u", "urandom   urandom2/ uvw", "rz$ cat /dev/u", "urandom   urandom2/ uvw", "rz$ cat /dev/u", ""].join("\n"));
    // A Tab that added the common prefix: the next Tab only rings, the one after lists (bash).
    const h = fake(["cat /dev/ur", "\t", "\t", "\t", "\r"]);
    expect(await readline(h.sys, P, { complete: async () => ({ start: 4, candidates: ["/dev/urandom", "/dev/urandom2/"] }) })).toBe("cat /dev/urandom");
    expect(h.screen.text).toBe(["rz$ cat /dev/urandom", "urandom   urandom2/", "rz$ cat /dev/urandom", ""].join("\n"));
    expect(h.screen.bells).toBe(2);
  });

  it("Tab in the middle of the line completes the word before the cursor and keeps the rest", async () => {
    const complete = async (line: string, cursor: number): Promise<Completion> => ({ start: 0, candidates: ["hostname"].filter((n) => n.startsWith(line.slice(0, cursor))) });
    const f = fake(["ho -s", LEFT.repeat(3), "\t", "\r"]);
    expect(await readline(f.sys, P, { complete })).toBe("hostname  -s");
    expect(f.screen.text).toBe("rz$ hostname  -s\n");
  });

  it("asks before listing 100 candidates or more", async () => {
    const many = Array.from({ length: 120 }, (_, i) => `f${String(i).padStart(3, "0")}`);
    const f = fake(["f", "\t", "\t", "x", "n", "\r"]);
    expect(await readline(f.sys, P, { complete: async () => ({ start: 0, candidates: many }) })).toBe("f");
    expect(f.screen.text).toBe(["rz$ f", "Display all 120 possibilities? (y or n)", "rz$ f", ""].join("\n"));
    const g = fake(["f", "\t", "\t", "y", "\r"]);
    expect(await readline(g.sys, P, { complete: async () => ({ start: 0, candidates: many }) })).toBe("f");
    expect(g.screen.text.split("\n").length).toBe(1 + 1 + Math.ceil(120 / 13) + 2);
  });

  it("no completion, or a completer that fails: the bell, the line unchanged", async () => {
    const f = fake(["zz", "\t", "\t", "\r"]);
    expect(await readline(f.sys, P, { complete: async () => ({ start: 0, candidates: [] }) })).toBe("zz");
    expect(f.screen.bells).toBe(2);
    const g = fake(["zz", "\t", "\r"]);
    expect(await readline(g.sys, P, { complete: () => Promise.reject(new Error("boom")) })).toBe("zz");
    const h = fake(["zz", "\t", "\r"]);
    expect(await readline(h.sys, P)).toBe("zz");
    expect(h.screen.bells).toBe(1);
  });

  it("^C leaves the half-typed line on screen followed by ^C and returns -EINTR, termios restored", async () => {
    const f = fake(["half typed", LEFT.repeat(3), -EINTR, "next\r"]);
    expect(await readline(f.sys, P)).toBe(-EINTR);
    expect(f.screen.text).toBe("rz$ half typed^C\n");
    expect(f.state.termios.c_lflag).toBe(TTY_DEFAULT);
    expect(await readline(f.sys, P)).toBe("next");
    expect(f.screen.text).toBe("rz$ half typed^C\nrz$ next\n");
  });

  it("^D on an empty line is end of input (null); end of input after text accepts the line", async () => {
    const f = fake(["\x04"]);
    expect(await readline(f.sys, P)).toBeNull();
    expect(f.screen.text).toBe("rz$");
    expect(f.state.termios.c_lflag).toBe(TTY_DEFAULT);
    const g = fake(["partial"]);
    expect(await readline(g.sys, P)).toBe("partial");
    expect(await readline(g.sys, P)).toBeNull();
  });

  it("reads one byte at a time: typed-ahead lines stay unread, in order, for whoever reads next", async () => {
    const f = fake(["one\rtwo\nthree\r"]);
    expect(await readline(f.sys, P)).toBe("one");
    expect(f.left()).toBe("two\nthree\r");
    expect(await readline(f.sys, P)).toBe("two");
    expect(await readline(f.sys, P)).toBe("three");
    expect(f.screen.text).toBe("rz$ one\nrz$ two\nrz$ three\n");
  });

  it("^L clears the screen and draws the prompt and line again, cursor kept", async () => {
    const f = fake(["abc", LEFT, "\x0c", "X\r"]);
    expect(await readline(f.sys, P)).toBe("abXc");
    expect(f.screen.text).toBe("rz$ abXc\n");
  });
});

describe("readline when fd 0 is not a terminal", () => {
  it("prints no prompt and returns the lines read_line gives, without the newline", async () => {
    const f = fake(["ls -l\n", "last"], { tty: false });
    expect(await readline(f.sys, P)).toBe("ls -l");
    expect(await readline(f.sys, P)).toBe("last");
    expect(await readline(f.sys, P)).toBeNull();
    expect(f.state.written).toBe("");
    expect(f.state.modes).toEqual([]);
    expect(f.state.read_lines).toBe(3);
  });
});

describe("completion listing", () => {
  // What bash 5.2 (readline 8.2) printed on this machine, 80 columns, after `ls word<Tab><Tab>` in
  // a directory of these files (its \r\n shown as \n).
  const words = ["word0", "word10", "word11x", "word12xx", "word13xxx", "word14xxxx", "word15", "word16x", "word17xx", "word18xxx", "word19xxxx", "word1x", "word20", "word21x", "word22xx", "word2xx", "word3xxx", "word4xxxx", "word5", "word6x", "word7xx", "word8xxx", "word9xxxx"];
  it("lays candidates out as readline does: sorted down the columns, each the longest name plus two wide", () => {
    expect(format_matches(words, 80)).toBe(
      "word0       word13xxx   word17xx    word20      word3xxx    word7xx\n" +
        "word10      word14xxxx  word18xxx   word21x     word4xxxx   word8xxx\n" +
        "word11x     word15      word19xxxx  word22xx    word5       word9xxxx\n" +
        "word12xx    word16x     word1x      word2xx     word6x      \n",
    );
    expect(format_matches(words.filter((w) => w.startsWith("word1")), 80)).toBe(
      "word10      word12xx    word14xxxx  word16x     word18xxx   word1x\n" + "word11x     word13xxx   word15      word17xx    word19xxxx  \n",
    );
  });

  it("lists files by their last component and does not count a directory's slash in the width", () => {
    // bash: `ls sub/u<Tab><Tab>` with sub/urandom, sub/urandom2/, sub/uvw.
    expect(format_matches(["sub/urandom", "sub/urandom2/", "sub/uvw"], 80)).toBe("urandom   urandom2/ uvw       \n");
  });
});
