import { EPIPE, strerror } from "../../include/linux/errno.ts";
import { O_RDONLY } from "../../include/uapi/fcntl.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";

/**
 * Small libc-style helpers over the system calls: messages, option parsing, and stdio's buffered
 * reading and writing (BufReader, BufWriter) for the text tools.
 *
 * Text the tools read and write is handled as "byte strings": one JS character per byte (0–255),
 * as C's char strings are in the C locale, so any input (not only UTF-8) passes through unchanged
 * and regular expressions match bytes. Arguments (JS strings) become byte strings with
 * utf8_to_bstr.
 */

/** Write `text` (UTF-8) to standard output; the write's promise (bytes written or -errno). */
export function print(sys: Syscalls, text: string): Promise<number> {
  return sys.write(1, text);
}

/** "prog: message" on stderr; returns `status` so callers can `return fail(...)`. */
export function fail(sys: Syscalls, prog: string, message: string, status = 1): number {
  sys.write(2, `${prog}: ${message}\n`);
  return status;
}

/**
 * bb_show_usage(): "prog: message" (when given) and the command's usage on stderr, as busybox
 * answers a bad option; returns `status` (1, or 2 for grep).
 */
export function show_usage(sys: Syscalls, prog: string, usage: string, message: string | null, status = 1): number {
  sys.write(2, `${message === null ? "" : `${prog}: ${message}\n`}${usage}`);
  return status;
}

/** The whole of a /proc or /sys file as text, or a negative errno. */
export function read_text(sys: Syscalls, path: string): string | number {
  const r = sys.read_file(path);
  return typeof r === "number" ? r : new TextDecoder().decode(r);
}

/** "cat: /proc/nope: No such file or directory" style message for an errno. */
export function errno_text(err: number): string {
  return strerror(err);
}

/** An option spec ("nvc:i:") as the letters that take a value and those that do not. */
function parse_optspec(spec: string): { takes: Set<string>; flags: Set<string> } {
  const takes = new Set<string>();
  const flags = new Set<string>();
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (spec[i + 1] === ":") {
      takes.add(c);
      i++;
    } else flags.add(c);
  }
  return { takes, flags };
}

/**
 * Parse short options: `spec` lists flags ("nvx") and flags that take a value ("c:i:").
 * Returns the options, the operands, or an error message for an unknown/incomplete option.
 */
export function getopt(argv: readonly string[], spec: string): { opts: Map<string, string | true>; args: string[] } | string {
  const opts = new Map<string, string | true>();
  const args: string[] = [];
  const { takes, flags } = parse_optspec(spec);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      args.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (takes.has(c)) {
        const rest = a.slice(j + 1);
        const v = rest !== "" ? rest : argv[++i];
        if (v === undefined) return `option requires an argument -- '${c}'`;
        opts.set(c, v);
        break;
      }
      if (!flags.has(c)) return `invalid option -- '${c}'`;
      opts.set(c, opts.has(c) ? `${Number(opts.get(c) === true ? 1 : opts.get(c)) + 1}` : true);
    }
  }
  return { opts, args };
}

/** How many times a repeatable flag was given (-x, -xx, -xxx). */
export function count_flag(opts: Map<string, string | true>, c: string): number {
  const v = opts.get(c);
  return v === undefined ? 0 : v === true ? 1 : Number(v);
}

/* ---- Byte strings ---- */

/** Bytes as a byte string (one character per byte). */
export function bytes_to_bstr(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  return s;
}

/** A byte string as bytes; a character above 0xff (not a byte string) is written as its UTF-8. */
export function bstr_to_bytes(s: string): Uint8Array {
  let wide = false;
  for (let i = 0; i < s.length && !wide; i++) if (s.charCodeAt(i) > 0xff) wide = true;
  if (wide) return bstr_to_bytes(utf8_to_bstr(s));
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** Text (an argument, a file name) as the byte string of its UTF-8. */
export function utf8_to_bstr(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return bytes_to_bstr(new TextEncoder().encode(s));
}

/** A byte string read as UTF-8 text (invalid sequences become U+FFFD). */
export function bstr_to_utf8(s: string): string {
  return new TextDecoder().decode(bstr_to_bytes(s));
}

/* ---- Opening inputs ---- */

/** busybox's name for standard input in headers and messages (libbb/messages.c). */
export const STANDARD_INPUT = "standard input";

/**
 * fopen_or_warn_stdin() (libbb/wfopen_input.c): "-" is standard input (descriptor 0), anything
 * else is opened read-only; on failure "prog: PATH: strerror" goes to stderr and the result is the
 * negative errno. head, wc, grep, sort, xxd and hexdump report this way.
 */
export function fopen_or_warn_stdin(sys: Syscalls, prog: string, path: string): number {
  if (path === "-") return 0;
  const fd = sys.open(path, O_RDONLY);
  if (fd < 0) sys.write(2, `${prog}: ${path}: ${strerror(fd)}\n`);
  return fd;
}

/**
 * open_or_warn_stdin() (libbb/wfopen_input.c, xfuncs_printf.c): as fopen_or_warn_stdin but with
 * busybox's other message, "prog: can't open 'PATH': strerror" (cat, tail, uniq, cut).
 */
export function open_or_warn_stdin(sys: Syscalls, prog: string, path: string): number {
  if (path === "-") return 0;
  const fd = sys.open(path, O_RDONLY);
  if (fd < 0) sys.write(2, `${prog}: can't open '${path}': ${strerror(fd)}\n`);
  return fd;
}

/** Close an input opened by one of the above (standard input stays open). */
export function close_input(sys: Syscalls, fd: number): void {
  if (fd > 0) sys.close(fd);
}

/* ---- Buffered input ---- */

const NEWLINE = 0x0a;

/**
 * A buffered reader over read(2) on one descriptor (stdio's FILE for reading). It owns its buffer;
 * what read_chunk returns is valid only until the next call. A failed read ends the input: the
 * call returns null (as at end of file) and `error` holds the negative errno. `before_read`, when
 * set, runs before each read(2) that may block (BufWriter.flush, so a pipeline sees output while
 * this process waits for input).
 */
export class BufReader {
  /** 0, or the negative errno of the read that failed. */
  error = 0;
  /** Set once read(2) returned 0. */
  eof = false;
  before_read: (() => Promise<unknown>) | null = null;
  private buf: Uint8Array;
  private start = 0;
  private end = 0;
  private readonly sys: Syscalls;
  readonly fd: number;

  constructor(sys: Syscalls, fd: number, size = 64 * 1024) {
    this.sys = sys;
    this.fd = fd;
    this.buf = new Uint8Array(size);
  }

  /** One read(2) into the free tail of the buffer; false at end of input or on error. */
  private async fill(): Promise<boolean> {
    if (this.eof || this.error !== 0) return false;
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (this.end === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    if (this.before_read !== null) await this.before_read();
    const n = await this.sys.read(this.fd, this.buf.subarray(this.end));
    if (n < 0) this.error = n;
    else if (n === 0) this.eof = true;
    else this.end += n;
    return n > 0;
  }

  /** Up to `dst.length` bytes into `dst` (buffered ones first, else one read(2)); 0 at end of input (or error). */
  async read(dst: Uint8Array): Promise<number> {
    if (this.start === this.end) {
      this.start = this.end = 0;
      if (!(await this.fill())) return 0;
    }
    const n = Math.min(dst.length, this.end - this.start);
    dst.set(this.buf.subarray(this.start, this.start + n));
    this.start += n;
    return n;
  }

  /** The buffered bytes, else the next read's; null at end of input (or error). */
  async read_chunk(): Promise<Uint8Array | null> {
    if (this.start === this.end) {
      this.start = this.end = 0;
      if (!(await this.fill())) return null;
    }
    const chunk = this.buf.subarray(this.start, this.end);
    this.start = this.end;
    return chunk;
  }

  /**
   * The next record as a byte string, with its terminator (`sep`, default "\n") when it had one
   * (the last line of a file may not); null at end of input (or error).
   */
  async read_line(sep = NEWLINE): Promise<string | null> {
    let from = this.start;
    for (;;) {
      const i = this.buf.subarray(0, this.end).indexOf(sep, from);
      if (i >= 0) {
        const line = bytes_to_bstr(this.buf.subarray(this.start, i + 1));
        this.start = i + 1;
        return line;
      }
      from = this.end - this.start;
      if (!(await this.fill())) break;
      from += this.start;
    }
    if (this.start === this.end) return null;
    const last = bytes_to_bstr(this.buf.subarray(this.start, this.end));
    this.start = this.end;
    return last;
  }
}

/* ---- Buffered output ---- */

/**
 * A buffered writer over write(2) (stdio's FILE for writing): output collects until `size` bytes,
 * or a newline on a terminal (line buffering, as stdio does when isatty), then goes out with one
 * awaited write, so a full pipe holds the writer back. Output is byte strings (see above) or bytes.
 * Once a write fails, later output is dropped and `error` holds its errno (-EPIPE: the reader
 * went away, which a tool takes as a quiet stop).
 */
export class BufWriter {
  error = 0;
  private parts: (string | Uint8Array)[] = [];
  private pending = 0;
  private readonly line_buffered: boolean;
  private readonly sys: Syscalls;
  readonly fd: number;
  private readonly size: number;

  constructor(sys: Syscalls, fd = 1, size = 16 * 1024) {
    this.sys = sys;
    this.fd = fd;
    this.size = size;
    this.line_buffered = sys.isatty(fd) === 1;
  }

  /** Has a write failed (output is being dropped)? */
  get failed(): boolean {
    return this.error !== 0;
  }

  /** Queue a byte string or bytes (copied); writes out when the buffer is full (or at a newline on a tty). */
  async write(data: string | Uint8Array): Promise<void> {
    if (this.error !== 0 || data.length === 0) return;
    this.parts.push(typeof data === "string" ? data : data.slice());
    this.pending += data.length;
    if (this.pending >= this.size) await this.flush();
    else if (this.line_buffered && (typeof data === "string" ? data.includes("\n") : data.includes(NEWLINE))) await this.flush();
  }

  /** Write out what is buffered; false once output has failed. */
  async flush(): Promise<boolean> {
    if (this.error !== 0) return false;
    if (this.pending === 0) return true;
    const out = new Uint8Array(this.pending);
    let at = 0;
    for (const p of this.parts) {
      if (typeof p === "string") for (let i = 0; i < p.length; i++) out[at++] = p.charCodeAt(i);
      else {
        out.set(p, at);
        at += p.length;
      }
    }
    this.parts = [];
    this.pending = 0;
    let off = 0;
    while (off < out.length) {
      const n = await this.sys.write(this.fd, out.subarray(off));
      if (n <= 0) {
        this.error = n < 0 ? n : -EPIPE;
        return false;
      }
      off += n;
    }
    return true;
  }

  /**
   * Flush at the end of the program: 0, or 1 after "prog: write error: …" on stderr for a failure
   * other than a reader that went away (that one ends the program quietly, as SIGPIPE would).
   */
  async finish(prog: string): Promise<number> {
    await this.flush();
    if (this.error === 0) return 0;
    if (this.error !== -EPIPE) this.sys.write(2, `${prog}: write error: ${strerror(this.error)}\n`);
    return 1;
  }
}

/** A reader over `fd` that flushes `out` before each read(2) that may block. */
export function reader_for(sys: Syscalls, fd: number, out: BufWriter): BufReader {
  const r = new BufReader(sys, fd);
  r.before_read = () => out.flush();
  return r;
}

/* ---- Options in order ---- */

/**
 * Short options as getopt(3) with GNU's argument permutation sees them, in the order given (for
 * tools where the last of two conflicting options wins, or an option repeats: grep -e P -e Q).
 * `spec` as for getopt(); an error is getopt's message ("invalid option -- 'z'").
 */
export class Options {
  readonly list: [string, string | true][] = [];
  readonly args: string[] = [];

  has(c: string): boolean {
    return this.list.some(([o]) => o === c);
  }
  /** The value of the last `-c VALUE`. */
  value(c: string): string | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const [o, v] = this.list[i]!;
      if (o === c && typeof v === "string") return v;
    }
    return undefined;
  }
  /** Every `-c VALUE`, in order. */
  values(c: string): string[] {
    return this.list.filter(([o, v]) => o === c && typeof v === "string").map(([, v]) => v as string);
  }
  /** Which of `cs` came last ("" if none): for options that cancel each other (-H/-h). */
  last_of(cs: string): string {
    for (let i = this.list.length - 1; i >= 0; i--) if (cs.includes(this.list[i]![0])) return this.list[i]![0];
    return "";
  }
}

export function getopt_ordered(argv: readonly string[], spec: string): Options | string {
  const o = new Options();
  // A leading "+": stop at the first operand (POSIXLY_CORRECT), so "seq -- -1 1" / "seq 1 -1" work.
  const posix = spec.startsWith("+");
  if (posix) spec = spec.slice(1);
  const { takes, flags } = parse_optspec(spec);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      o.args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      if (posix) {
        o.args.push(...argv.slice(i));
        break;
      }
      o.args.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (takes.has(c)) {
        const rest = a.slice(j + 1);
        const v = rest !== "" ? rest : argv[++i];
        if (v === undefined) return `option requires an argument -- '${c}'`;
        o.list.push([c, v]);
        break;
      }
      if (!flags.has(c)) return `invalid option -- '${c}'`;
      o.list.push([c, true]);
    }
  }
  return o;
}

/** busybox's bkm_suffixes (head, tail): b 512, k 1024, m 1024². */
export const BKM_SUFFIXES: Readonly<Record<string, number>> = { b: 512, k: 1024, m: 1024 * 1024 };

/**
 * xatou_range_sfx() (libbb/xatonum_template.c): a decimal number with no sign or leading space,
 * an optional suffix from `suffixes` multiplying it, within lower … upper; else busybox's message
 * ("invalid number 'x'", "number x is not in 0..N range") as a string.
 */
export function xatou_sfx(s: string, upper = 0xffffffff, suffixes: Readonly<Record<string, number>> = {}, lower = 0): number | string {
  const m = /^(\d+)(.*)$/s.exec(s);
  if (m === null) return `invalid number '${s}'`;
  let r = BigInt(m[1]!);
  if (r > 0xffffffffffffffffn) return `invalid number '${s}'`;
  if (m[2] !== "") {
    const mult = suffixes[m[2]!];
    if (mult === undefined) return `invalid number '${s}'`;
    r *= BigInt(mult);
    if (r > 0xffffffffffffffffn) return `number ${s} is not in ${lower}..${upper} range`;
  }
  if (r < BigInt(lower) || r > BigInt(upper)) return `number ${s} is not in ${lower}..${upper} range`;
  return Number(r);
}

/**
 * xstrtoull_range_sfx() with base 0 (hexdump -s, xxd -s -l -o): decimal, 0x hex or 0 octal, with
 * an optional suffix from `suffixes`; else busybox's message.
 */
export function xstrtoull_sfx(s: string, suffixes: Readonly<Record<string, number>>): number | string {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)(.*)$/s.exec(s);
  if (m === null) return `invalid number '${s}'`;
  const t = m[1]!;
  let v = /^0[xX]/.test(t) ? Number.parseInt(t.slice(2), 16) : t.length > 1 && t.startsWith("0") ? Number.parseInt(t.slice(1), 8) : Number(t);
  if (m[2] !== "") {
    const mult = suffixes[m[2]!];
    if (mult === undefined) return `invalid number '${s}'`;
    v *= mult;
  }
  if (!Number.isSafeInteger(v)) return `number ${s} is not in 0..9223372036854775807 range`;
  return v;
}

/** xatoi_positive(): 0 … INT_MAX. */
export function xatoi_positive(s: string): number | string {
  return xatou_sfx(s, 0x7fffffff);
}
