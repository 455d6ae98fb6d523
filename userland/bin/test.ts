import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID, S_ISVTX, type Stat } from "../../include/uapi/stat.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";

/**
 * test / [ (busybox coreutils/test.c): POSIX's special cases for 0–4 arguments, then the recursive
 * parser oexpr → aexpr → nexpr → primary. Exit 0 true, 1 false, 2 on a syntax error with busybox's
 * message ("test: a: bad number", "[: missing ]"). Every process runs as root (euid 0).
 */

type Op = { num: string; type: "UNOP" | "BINOP" | "BUNOP" | "BBINOP" | "PAREN" };

const OPS: Readonly<Record<string, Op>> = {
  "-r": { num: "FILRD", type: "UNOP" },
  "-w": { num: "FILWR", type: "UNOP" },
  "-x": { num: "FILEX", type: "UNOP" },
  "-e": { num: "FILEXIST", type: "UNOP" },
  "-f": { num: "FILREG", type: "UNOP" },
  "-d": { num: "FILDIR", type: "UNOP" },
  "-c": { num: "FILCDEV", type: "UNOP" },
  "-b": { num: "FILBDEV", type: "UNOP" },
  "-p": { num: "FILFIFO", type: "UNOP" },
  "-u": { num: "FILSUID", type: "UNOP" },
  "-g": { num: "FILSGID", type: "UNOP" },
  "-k": { num: "FILSTCK", type: "UNOP" },
  "-s": { num: "FILGZ", type: "UNOP" },
  "-t": { num: "FILTT", type: "UNOP" },
  "-z": { num: "STREZ", type: "UNOP" },
  "-n": { num: "STRNZ", type: "UNOP" },
  "-h": { num: "FILSYM", type: "UNOP" },
  "-O": { num: "FILUID", type: "UNOP" },
  "-G": { num: "FILGID", type: "UNOP" },
  "-L": { num: "FILSYM", type: "UNOP" },
  "-S": { num: "FILSOCK", type: "UNOP" },
  "=": { num: "STREQ", type: "BINOP" },
  "==": { num: "STREQ", type: "BINOP" },
  "!=": { num: "STRNE", type: "BINOP" },
  "<": { num: "STRLT", type: "BINOP" },
  ">": { num: "STRGT", type: "BINOP" },
  "-eq": { num: "INTEQ", type: "BINOP" },
  "-ne": { num: "INTNE", type: "BINOP" },
  "-ge": { num: "INTGE", type: "BINOP" },
  "-gt": { num: "INTGT", type: "BINOP" },
  "-le": { num: "INTLE", type: "BINOP" },
  "-lt": { num: "INTLT", type: "BINOP" },
  "-nt": { num: "FILNT", type: "BINOP" },
  "-ot": { num: "FILOT", type: "BINOP" },
  "-ef": { num: "FILEQ", type: "BINOP" },
  "!": { num: "UNOT", type: "BUNOP" },
  "-a": { num: "BAND", type: "BBINOP" },
  "-o": { num: "BOR", type: "BBINOP" },
  "(": { num: "LPAREN", type: "PAREN" },
  ")": { num: "RPAREN", type: "PAREN" },
};

/** A syntax error: busybox longjmps out with status 2 after printing the message. */
class TestSyntax {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

function syntax(op: string | undefined, msg: string): never {
  throw new TestSyntax(op !== undefined && op !== "" ? `${op}: ${msg}` : msg);
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** getn(): strtoll with busybox's checks ("out of range", "bad number"). */
function getn(s: string): bigint {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(s);
  if (m !== null) {
    const v = BigInt(m[2]!) * (m[1] === "-" ? -1n : 1n);
    if (v > INT64_MAX || v < INT64_MIN) syntax(s, "out of range");
    if (/^[ \t\n\v\f\r]*$/.test(s.slice(m[0].length))) return v;
  }
  return syntax(s, "bad number");
}

/** strcmp() of the UTF-8 bytes. */
function strcmp(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

class Parser {
  /** args[i] as busybox's `char **args`; undefined is the terminating NULL. */
  private i = 0;
  private last: Op | null = null;

  private readonly sys: Syscalls;
  /** busybox's argv: the "( x y )" case cuts it short, so it is this parser's own copy. */
  private readonly args: string[];

  constructor(sys: Syscalls, args: string[]) {
    this.sys = sys;
    this.args = args;
  }

  private at(k: number): string | undefined {
    return k >= 0 ? this.args[k] : undefined;
  }

  /** check_operator(): the token of `s` ("EOI" for the end, "OPERAND" for anything else). */
  check_operator(s: string | undefined): string {
    this.last = null;
    if (s === undefined) return "EOI";
    const op = Object.prototype.hasOwnProperty.call(OPS, s) ? OPS[s]! : undefined;
    if (op === undefined) return "OPERAND";
    this.last = op;
    return op.num;
  }

  binop(): boolean {
    const opnd1 = this.at(this.i)!;
    this.check_operator(this.at(++this.i));
    const op = this.last!;
    const opnd2 = this.at(++this.i);
    if (opnd2 === undefined) syntax(this.at(this.i - 1), "argument expected");
    if (op.num.startsWith("INT")) {
      const a = getn(opnd1);
      const b = getn(opnd2);
      switch (op.num) {
        case "INTEQ":
          return a === b;
        case "INTNE":
          return a !== b;
        case "INTGE":
          return a >= b;
        case "INTGT":
          return a > b;
        case "INTLE":
          return a <= b;
        default:
          return a < b;
      }
    }
    if (op.num.startsWith("STR")) {
      const c = strcmp(opnd1, opnd2);
      if (op.num === "STREQ") return c === 0;
      if (op.num === "STRNE") return c !== 0;
      if (op.num === "STRLT") return c < 0;
      return c > 0;
    }
    const b1 = this.sys.stat(opnd1);
    const b2 = this.sys.stat(opnd2);
    if (typeof b1 === "number" || typeof b2 === "number") return false;
    const mt = (s: Stat): number => s.st_mtime * 1e9 + s.st_mtime_nsec;
    if (op.num === "FILNT") return b1.st_mtime > b2.st_mtime || (b1.st_mtime === b2.st_mtime && mt(b1) > mt(b2));
    if (op.num === "FILOT") return b1.st_mtime < b2.st_mtime || (b1.st_mtime === b2.st_mtime && mt(b1) < mt(b2));
    return b1.st_dev === b2.st_dev && b1.st_ino === b2.st_ino;
  }

  /** filstat(): the file tests, as root (read/write always; execute when any x bit is set). */
  filstat(nm: string, mode: string): boolean {
    if (mode === "FILSYM") {
      const s = this.sys.lstat(nm);
      return typeof s !== "number" && (s.st_mode & S_IFMT) === S_IFLNK;
    }
    const s = this.sys.stat(nm);
    if (typeof s === "number") return false;
    switch (mode) {
      case "FILEXIST":
      case "FILRD":
      case "FILWR":
        return true;
      case "FILEX":
        return (s.st_mode & 0o111) !== 0;
      case "FILREG":
        return (s.st_mode & S_IFMT) === S_IFREG;
      case "FILDIR":
        return (s.st_mode & S_IFMT) === S_IFDIR;
      case "FILCDEV":
        return (s.st_mode & S_IFMT) === S_IFCHR;
      case "FILBDEV":
        return (s.st_mode & S_IFMT) === S_IFBLK;
      case "FILFIFO":
        return (s.st_mode & S_IFMT) === S_IFIFO;
      case "FILSOCK":
        return (s.st_mode & S_IFMT) === S_IFSOCK;
      case "FILSUID":
        return (s.st_mode & S_ISUID) !== 0;
      case "FILSGID":
        return (s.st_mode & S_ISGID) !== 0;
      case "FILSTCK":
        return (s.st_mode & S_ISVTX) !== 0;
      case "FILGZ":
        return s.st_size > 0;
      case "FILUID":
        return s.st_uid === 0;
      case "FILGID":
        return s.st_gid === 0;
    }
    return true;
  }

  nexpr(n: string): boolean {
    if (n === "UNOT") {
      n = this.check_operator(this.at(++this.i));
      if (n === "EOI") {
        // [ ! ] and [ a -a ! ] are valid: "!" may miss its argument.
        this.i--;
        return true;
      }
      return !this.nexpr(n);
    }
    return this.primary(n);
  }

  aexpr(n: string): boolean {
    const res = this.nexpr(n);
    if (this.check_operator(this.at(++this.i)) === "BAND") {
      const r = this.aexpr(this.check_operator(this.at(++this.i)));
      return r && res;
    }
    this.i--;
    return res;
  }

  oexpr(n: string): boolean {
    const res = this.aexpr(n);
    if (this.check_operator(this.at(++this.i)) === "BOR") {
      const r = this.oexpr(this.check_operator(this.at(++this.i)));
      return r || res;
    }
    this.i--;
    return res;
  }

  primary(n: string): boolean {
    if (n === "EOI") syntax(undefined, "argument expected");
    if (n === "LPAREN") {
      const res = this.oexpr(this.check_operator(this.at(++this.i)));
      if (this.check_operator(this.at(++this.i)) !== "RPAREN") syntax(undefined, "closing paren expected");
      return res;
    }
    const args0_op = this.last;
    // Is args[1] a binary operator with an args[2]? (coreutils 6.9 checks this first.)
    if (this.check_operator(this.at(this.i + 1)) !== "EOI") {
      if (this.at(this.i + 2) !== undefined && this.last?.type === "BINOP") return this.binop();
    }
    if (args0_op?.type === "UNOP") {
      if (this.at(this.i + 1) === undefined) return this.at(this.i) !== "";
      this.i++;
      const arg = this.at(this.i)!;
      if (n === "STREZ") return arg === "";
      if (n === "STRNZ") return arg !== "";
      if (n === "FILTT") return this.sys.isatty(Number(getn(arg))) === 1;
      return this.filstat(arg, n);
    }
    if (this.last?.type === "BINOP") return this.binop();
    return this.at(this.i) !== "";
  }

  /** test_main() after the "[" check: the exit status. */
  run(): number {
    let argv = 0;
    let negate = 0;
    const a = (k: number): string | undefined => this.args[argv + k];
    for (;;) {
      if (a(0) === undefined) return 1 ^ negate;
      if (a(1) === undefined) return (a(0) === "" ? 1 : 0) ^ negate;
      if (a(2) !== undefined) {
        if (a(3) === undefined) {
          this.check_operator(a(1));
          if (this.last?.type === "BINOP") {
            this.i = argv;
            return (this.binop() ? 0 : 1) ^ negate;
          }
        } else if (a(4) === undefined && a(0) === "(" && a(3) === ")") {
          // "test [!] ( x y )": busybox ends the list at the ")" and goes on with x y — but the
          // general parser below still starts at the "(", so `test ( -n x )` is its "closing
          // paren expected", as busybox's is.
          this.args.length = argv + 3;
          argv++;
        }
      }
      if (a(0) === "!") {
        argv++;
        negate ^= 1;
        continue;
      }
      break;
    }
    // The general parser runs from the first argument (a leading "!" is its UNOT).
    this.i = 0;
    const res = !this.oexpr(this.check_operator(this.at(0)));
    if (this.at(this.i) !== undefined && this.at(++this.i) !== undefined) {
      throw new TestSyntax(`${this.at(this.i)}: unknown operand`);
    }
    return res ? 1 : 0;
  }
}

export async function test(argv: readonly string[], sys: Syscalls): Promise<number> {
  const name = (argv[0] ?? "test").split("/").pop()!;
  let args = argv.slice(1);
  if (name === "[") {
    if (args[args.length - 1] !== "]") {
      await sys.write(2, "[: missing ]\n");
      return 2;
    }
    args = args.slice(0, -1);
  }
  try {
    return new Parser(sys, [...args]).run();
  } catch (e) {
    if (!(e instanceof TestSyntax)) throw e;
    await sys.write(2, `${name}: ${e.message}\n`);
    return 2;
  }
}

const USAGE = `Usage: test EXPRESSION
or: [ EXPRESSION ]

Check file types, compare values etc. Return a 0/1 exit code
depending on logical value of EXPRESSION
`;

export const test_command: Command = {
  name: "test",
  summary: "check file types and compare values",
  usage: USAGE,
  main: test,
};

/** The same program under the name "[", which requires the closing "]". */
export const bracket_command: Command = {
  name: "[",
  summary: "check file types and compare values: [ EXPRESSION ]",
  usage: USAGE,
  main: test,
};
