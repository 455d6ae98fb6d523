/**
 * The hexdump format engine (busybox libbb/dump.c, from util-linux): hexdump's -e formats, its
 * -b -c -d -o -x -C presets, and xxd are all format strings run over blocks of input.
 *
 * A format string is format units: `[REPS/][BYTES] "text %conv text"`. Conversions: %d %i %o %u
 * %x %X (1, 2 or 4 bytes, little-endian), %c, %e %E %f %g %G (4 or 8 bytes), %s (needs a
 * precision or byte count), %_a[dox] the offset, %_A[dox] the offset after the last byte (printed
 * once at the end), %_c a character or C escape or octal, %_p a character or ".", %_u a character
 * or its ASCII name. All format strings run over each block of input (the largest one's size); a
 * last unit without a repeat count repeats to fill the block. When the data ends inside a block the
 * rest of the conversions print as blanks (or, for xxd, the line ends). A block equal to the one
 * before prints as one "*" line unless -v.
 */
import { strerror } from "../../include/linux/errno.ts";
import { O_RDONLY, SEEK_SET } from "../../include/uapi/fcntl.ts";
import { S_ISREG } from "../../include/uapi/stat.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { process_escape_sequence } from "./escape.ts";
import { format_double, format_integer, format_string } from "./format.ts";
import { BufReader, type BufWriter } from "./stdio.ts";
import { ALL, DUP, FIRST, F_ADDRESS, F_BPAD, F_C, F_CHAR, F_DBL, F_IGNORE, F_INT, F_P, F_SETREP, F_STR, F_TEXT, F_U, F_UINT, WAIT, type FS, type FU, type PR } from "./dump_format.ts";

class DumpError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

const is_digit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const is_space = (c: string | undefined): boolean => c !== undefined && /^[ \t\n\v\f\r]$/.test(c);
const is_print = (b: number): boolean => b >= 0x20 && b <= 0x7e;

/** strcpy_and_process_escape_sequences(). */
function unescape(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; ) {
    const c = s[i++]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = process_escape_sequence(s, i);
    out += String.fromCharCode(e.byte);
    i = e.next;
  }
  return out;
}

/** Sizes of conversions a format unit without a byte count reads (bb_dump_size). */
function fs_size(fs: FS): number {
  let size = 0;
  for (const fu of fs.fus) {
    if (fu.bcnt !== 0) {
      size += fu.bcnt * fu.reps;
      continue;
    }
    let bcnt = 0;
    let prec = 0;
    const f = fu.fmt;
    for (let i = 0; i < f.length; i++) {
      if (f[i] !== "%") continue;
      while (i + 1 < f.length && "#-+ 0123456789".includes(f[i + 1]!)) i++;
      i++;
      if (f[i] === "." && is_digit(f[i + 1])) {
        const m = /^\d+/.exec(f.slice(i + 1))!;
        prec = Number(m[0]);
        i += m[0].length + 1;
      }
      const c = f[i] ?? "";
      const k = "cdiouxXeEfgG".indexOf(c);
      if (c !== "" && k >= 0) bcnt += [1, 4, 4, 4, 4, 4, 4, 8, 8, 8, 8, 8][k]!;
      else if (c === "s") bcnt += prec;
      else if (c === "_" && "cpu".includes(f[i + 1] ?? "x")) bcnt += 1;
    }
    size += bcnt * fu.reps;
  }
  return size;
}

/** A dump: its format strings and options; dump() runs them over files. */
export class Dumper {
  skip = 0;
  length = -1;
  vflag = FIRST;
  /** xxd: end the output with this instead of padding an incomplete line. */
  xxd_eofstring: string | null = null;
  xxd_displayoff = 0;
  private readonly fss: FS[] = [];
  private endfu: FU | null = null;
  /** The largest format string's size: how many bytes each step reads. */
  blocksize = 0;

  /** bb_dump_add(): a format string; an error message for a malformed one. */
  add(fmt: string): string | null {
    const fs: FS = { fus: [], bcnt: 0 };
    this.fss.push(fs);
    let p = 0;
    const skip_ws = (): void => {
      while (is_space(fmt[p])) p++;
    };
    const bad = `bad format {${fmt}}`;
    for (;;) {
      skip_ws();
      if (p >= fmt.length) break;
      const fu: FU = { flags: 0, reps: 1, bcnt: 0, fmt: "", prs: [] };
      fs.fus.push(fu);
      if (is_digit(fmt[p])) {
        const m = /^\d+/.exec(fmt.slice(p))!;
        p += m[0].length;
        if (!is_space(fmt[p]) && fmt[p] !== "/") return bad;
        fu.reps = Number(m[0]);
        fu.flags = F_SETREP;
        p++;
        skip_ws();
      }
      if (fmt[p] === "/") {
        p++;
        skip_ws();
      }
      if (is_digit(fmt[p])) {
        const m = /^\d+/.exec(fmt.slice(p))!;
        p += m[0].length;
        if (!is_space(fmt[p])) return bad;
        fu.bcnt = Number(m[0]);
        p++;
        skip_ws();
      }
      if (fmt[p] !== '"') return bad;
      const end = fmt.indexOf('"', p + 1);
      if (end < 0) return bad;
      fu.fmt = unescape(fmt.slice(p + 1, end));
      p = end + 1;
    }
    return null;
  }

  /** rewrite(): split each unit's format into print units and check them. */
  private rewrite(fs: FS): void {
    for (const fu of fs.fus) {
      const f = fu.fmt;
      let fmtp = 0;
      let nconv = 0;
      while (fmtp < f.length) {
        const pr: PR = { flags: 0, bcnt: 0, pre: "", spec: { flags: "", width: null, prec: null, conv: "" }, post: "", text: "", nospace: false };
        fu.prs.push(pr);
        const pct = f.indexOf("%", fmtp);
        if (pct < 0) {
          pr.flags = F_TEXT;
          pr.text = f.slice(fmtp);
          break;
        }
        pr.pre = f.slice(fmtp, pct);
        let p1 = pct + 1;
        let flags = "";
        let width: number | null = null;
        let prec: number | null = null;
        while (p1 < f.length && "-+ #0".includes(f[p1]!)) flags += f[p1++];
        const w = /^\d+/.exec(f.slice(p1));
        if (w !== null) {
          width = Number(w[0]);
          p1 += w[0].length;
        }
        if (f[p1] === ".") {
          p1++;
          const m = /^\d+/.exec(f.slice(p1));
          prec = m === null ? 0 : Number(m[0]);
          if (m !== null) p1 += m[0].length;
        }
        if (fu.bcnt !== 0) while (p1 < f.length && ".#-+ 0123456789".includes(f[p1]!)) p1++;
        let p2 = p1 + 1;
        let conv = f[p1] ?? "";
        /** The unit's byte count must be one of `counts` (the first is the default). */
        const byte_count = (counts: number[]): void => {
          if (fu.bcnt !== 0 && !counts.includes(fu.bcnt)) throw new DumpError(`bad byte count for conversion character ${f.slice(p1)}`);
          pr.bcnt = fu.bcnt !== 0 ? fu.bcnt : counts[0]!;
        };
        if (conv === "l") {
          p1++;
          p2++;
          conv = f[p1] ?? "";
        }
        if (conv === "c" && f[p1 - 1] !== "l") {
          pr.flags = F_CHAR;
          byte_count([1]);
        } else if (conv !== "" && "diouxX".includes(conv)) {
          pr.flags = conv === "d" || conv === "i" ? F_INT : F_UINT;
          byte_count([4, 2, 1]);
        } else if (conv !== "" && "eEfgG".includes(conv) && f[p1 - 1] !== "l") {
          pr.flags = F_DBL;
          byte_count([8, 4]);
        } else if (conv === "s" && f[p1 - 1] !== "l") {
          pr.flags = F_STR;
          pr.bcnt = fu.bcnt;
          if (fu.bcnt === 0) {
            if (prec === null) throw new DumpError("%s needs precision or byte count");
            pr.bcnt = prec;
          }
        } else if (conv === "_" && f[p1 - 1] !== "l") {
          p2++;
          const k = f[p1 + 1];
          if (k === "A" || k === "a") {
            if (k === "A") {
              this.endfu = fu;
              fu.flags |= F_IGNORE;
            }
            pr.flags = F_ADDRESS;
            p2++;
            conv = f[p1 + 2] ?? "";
            if (conv !== "d" && conv !== "o" && conv !== "x") throw new DumpError(`bad conversion character %${f.slice(p1)}`);
          } else if (k === "c") {
            pr.flags = F_C;
            byte_count([1]);
          } else if (k === "p") {
            pr.flags = F_P;
            conv = "c";
            byte_count([1]);
          } else if (k === "u") {
            pr.flags = F_U;
            byte_count([1]);
          } else throw new DumpError(`bad conversion character %${f.slice(p1)}`);
        } else throw new DumpError(`bad conversion character %${f.slice(p1)}`);
        pr.spec = { flags, width, prec, conv };
        const next = f.indexOf("%", p2);
        const p3 = next < 0 ? f.length : next;
        pr.post = f.slice(p2, p3);
        fmtp = p3;
        if (!(pr.flags & F_ADDRESS) && fu.bcnt !== 0 && nconv++ > 0) throw new DumpError("byte count with multiple conversion characters");
      }
      if (fu.bcnt === 0) for (const pr of fu.prs) fu.bcnt += pr.bcnt;
    }
    fs.fus.forEach((fu, i) => {
      if (i === fs.fus.length - 1 && fs.bcnt < this.blocksize && !(fu.flags & F_SETREP) && fu.bcnt !== 0) fu.reps += Math.floor((this.blocksize - fs.bcnt) / fu.bcnt);
      if (fu.reps > 1 && fu.prs.length > 0) {
        const pr = fu.prs[fu.prs.length - 1]!;
        const whole = pr.flags === F_TEXT ? pr.text : pr.post;
        pr.nospace = is_space(whole[whole.length - 1]);
      }
    });
  }

  /**
   * bb_dump_dump(): run the formats over `files` (standard input when none; "-" is standard
   * input), writing to `out`. 0, or 1 if a file could not be opened; a malformed format is
   * reported as "prog: message" and gives 1.
   */
  async dump(sys: Syscalls, out: BufWriter, prog: string, files: readonly string[]): Promise<number> {
    for (const fs of this.fss) {
      fs.bcnt = fs_size(fs);
      this.blocksize = Math.max(this.blocksize, fs.bcnt);
    }
    try {
      for (const fs of this.fss) this.rewrite(fs);
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      sys.write(2, `${prog}: ${e.message}\n`);
      return 1;
    }
    const input = new DumpInput(sys, out, prog, files, this);
    await this.display(out, input);
    return input.exitval;
  }

  /** One conversion of `bp` at `addr`, as printed (a unit's last repetition drops its trailing blank). */
  private print_pr(pr: PR, bp: Uint8Array, off: number, addr: number, last: boolean): string {
    let text: string;
    if (pr.bcnt === 1 && (pr.flags & (F_C | F_CHAR | F_P | F_U | F_INT | F_UINT)) !== 0) {
      // A one-byte conversion depends only on the byte: each is formatted once.
      const b = bp[off]!;
      pr.memo ??= new Array<string | undefined>(256);
      text = pr.memo[b] ??= this.format_pr(pr, bp, off, addr);
    } else text = this.format_pr(pr, bp, off, addr);
    return last && pr.nospace ? text.slice(0, -1) : text;
  }

  private format_pr(pr: PR, bp: Uint8Array, off: number, addr: number): string {
    const spec = pr.spec;
    const le = (n: number): number => {
      let v = 0;
      for (let i = n - 1; i >= 0; i--) v = v * 256 + (bp[off + i] ?? 0);
      return v;
    };
    let body: string;
    switch (pr.flags) {
      case F_TEXT:
        return pr.text;
      case F_ADDRESS:
        body = format_integer(BigInt(addr + this.xxd_displayoff), { ...spec, conv: spec.conv === "d" ? "d" : spec.conv });
        break;
      case F_BPAD:
        body = format_string("", { flags: "", width: spec.width, prec: spec.prec, conv: "s" });
        break;
      case F_C: {
        const b = bp[off]!;
        const esc = ({ 0: "\\0", 7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v" } as Record<number, string>)[b];
        if (esc !== undefined) body = format_string(esc, { ...spec, conv: "s" });
        else if (is_print(b)) body = format_string(String.fromCharCode(b), { ...spec, conv: "c" });
        else body = format_string(b.toString(8).padStart(3, "0"), { ...spec, conv: "s" });
        break;
      }
      case F_CHAR:
        body = format_string(String.fromCharCode(bp[off]!), { ...spec, conv: "c" });
        break;
      case F_P:
        body = format_string(is_print(bp[off]!) ? String.fromCharCode(bp[off]!) : ".", { ...spec, conv: "c" });
        break;
      case F_U: {
        const b = bp[off]!;
        const NAMES = "nul soh stx etx eot enq ack bel bs ht lf vt ff cr so si dle dcl dc2 dc3 dc4 nak syn etb can em sub esc fs gs rs us".split(" ");
        if (b <= 0x1f) body = format_string(NAMES[b]!, { ...spec, conv: "s" });
        else if (b === 0x7f) body = format_string("del", { ...spec, conv: "s" });
        else if (b < 0x7f) body = format_string(String.fromCharCode(b), { ...spec, conv: "c" });
        else body = format_integer(BigInt(b), { ...spec, conv: "x" });
        break;
      }
      case F_STR: {
        let s = "";
        for (let i = 0; i < pr.bcnt && bp[off + i] !== 0 && off + i < bp.length; i++) s += String.fromCharCode(bp[off + i]!);
        body = format_string(s, spec);
        break;
      }
      case F_DBL: {
        const dv = new DataView(bp.buffer, bp.byteOffset + off, pr.bcnt);
        body = format_double(pr.bcnt === 4 ? dv.getFloat32(0, true) : dv.getFloat64(0, true), spec);
        break;
      }
      case F_INT:
      case F_UINT: {
        // What C's printf gets: a byte as is (it is unsigned char), a short or int sign-extended for %d %i.
        let v = le(pr.bcnt);
        if (pr.flags === F_INT && pr.bcnt > 1 && v >= 2 ** (8 * pr.bcnt - 1)) v -= 2 ** (8 * pr.bcnt);
        body = format_integer(BigInt(v), spec);
        break;
      }
      default:
        body = "";
    }
    return pr.pre + body + pr.post;
  }

  /** bpad(): the rest of a line after the data ended prints blanks of the conversions' widths. */
  private bpad(pr: PR): void {
    pr.flags = F_BPAD;
    pr.memo = undefined;
  }

  /** display(). */
  private async display(out: BufWriter, input: DumpInput): Promise<void> {
    for (;;) {
      const block = await input.get();
      if (block === null) break;
      const saveaddress = input.address;
      // What one block prints goes out in one write.
      let text = "";
      for (const fs of this.fss) {
        let off = 0;
        let addr = saveaddress;
        for (const fu of fs.fus) {
          if (fu.flags & F_IGNORE) break;
          for (let cnt = fu.reps; cnt > 0; cnt--) {
            for (const pr of fu.prs) {
              if (input.eaddress !== 0 && addr >= input.eaddress) {
                if (this.xxd_eofstring !== null) {
                  await out.write(text + this.xxd_eofstring);
                  return;
                }
                if (!(pr.flags & (F_TEXT | F_BPAD))) this.bpad(pr);
              }
              text += this.print_pr(pr, block, off, addr, cnt === 1);
              addr += pr.bcnt;
              off += pr.bcnt;
            }
          }
        }
      }
      await out.write(text);
      input.address = saveaddress;
      if (out.failed) return;
    }
    if (this.endfu !== null) {
      if (input.eaddress === 0) {
        if (input.address === 0) return;
        input.eaddress = input.address;
      }
      let line = "";
      for (const pr of this.endfu.prs) {
        if (pr.flags === F_ADDRESS) line += pr.pre + format_integer(BigInt(input.eaddress + this.xxd_displayoff), pr.spec) + pr.post;
        else if (pr.flags === F_TEXT) line += pr.text;
      }
      await out.write(line);
    }
  }
}

/** The input side of a dump: files in turn, blocks of `blocksize`, -s and -n, "*" folding (next() and get()). */
class DumpInput {
  exitval = 0;
  address = 0;
  eaddress = 0;
  private savaddress = 0;
  private next_done = false;
  private ateof = true;
  private fd = -1;
  private reader: BufReader | null = null;
  private argi = 0;
  private cur: Uint8Array | null = null;
  private sav: Uint8Array | null = null;
  private readonly sys: Syscalls;
  private readonly out: BufWriter;
  private readonly prog: string;
  private readonly files: readonly string[];
  private readonly d: Dumper;
  private name = "";

  constructor(sys: Syscalls, out: BufWriter, prog: string, files: readonly string[], d: Dumper) {
    this.sys = sys;
    this.out = out;
    this.prog = prog;
    this.files = files;
    this.d = d;
  }

  /** -s: seek, or (a pipe, the console) read and drop, past `skip` bytes of this file. */
  private async do_skip(): Promise<void> {
    const d = this.d;
    const st = this.sys.fstat(this.fd);
    if (typeof st !== "number" && S_ISREG(st.st_mode) && d.skip >= st.st_size) {
      d.skip -= st.st_size;
      this.address += st.st_size;
      return;
    }
    let skipped = 0;
    if (this.sys.lseek(this.fd, d.skip, SEEK_SET) >= 0) skipped = d.skip;
    else {
      const buf = new Uint8Array(4096);
      while (skipped < d.skip) {
        const n = await this.sys.read(this.fd, buf.subarray(0, Math.min(buf.length, d.skip - skipped)));
        if (n <= 0) break;
        skipped += n;
      }
    }
    this.address += skipped;
    this.savaddress = this.address;
    d.skip -= skipped;
    if (d.skip > 0) {
      // The file ended inside the skip: go on skipping in the next one.
      this.ateof = true;
    } else d.skip = 0;
  }

  /** Open the next file; false when there is none. */
  private async next(): Promise<boolean> {
    for (;;) {
      if (this.fd > 0) this.sys.close(this.fd);
      this.fd = -1;
      this.reader = null;
      if (this.argi < this.files.length) {
        const fname = this.files[this.argi++]!;
        this.name = fname;
        if (fname === "-") this.fd = 0;
        else {
          const fd = this.sys.open(fname, O_RDONLY);
          if (fd < 0) {
            await this.out.flush();
            this.sys.write(2, `${this.prog}: ${fname}: ${strerror(fd)}\n`);
            this.exitval = 1;
            this.next_done = true;
            continue;
          }
          this.fd = fd;
        }
      } else {
        if (this.next_done) return false;
        this.name = "stdin";
        this.fd = 0;
      }
      this.next_done = true;
      if (this.d.skip > 0) await this.do_skip();
      if (this.d.skip === 0) return true;
    }
  }

  /** fread(): up to `count` bytes, reading (through a buffer, as stdio) until that many or end of file. */
  private async fread(buf: Uint8Array, off: number, count: number): Promise<number> {
    if (this.reader === null || this.reader.fd !== this.fd) {
      this.reader = new BufReader(this.sys, this.fd);
      this.reader.before_read = () => this.out.flush();
    }
    let got = 0;
    while (got < count) {
      const n = await this.reader.read(buf.subarray(off + got, off + count));
      if (n === 0) {
        if (this.reader.error !== 0) {
          await this.out.flush();
          this.sys.write(2, `${this.prog}: ${this.name}: ${strerror(this.reader.error)}\n`);
          this.reader.error = 0;
          this.reader.eof = true;
        }
        break;
      }
      got += n;
    }
    return got;
  }

  /** get(): the next block, zero-padded at the end of the data (eaddress set); null when done. */
  async get(): Promise<Uint8Array | null> {
    const d = this.d;
    const bs = d.blocksize;
    if (this.cur === null) {
      this.address = 0;
      this.cur = new Uint8Array(bs);
      this.sav = new Uint8Array(bs);
    } else {
      [this.cur, this.sav] = [this.sav!, this.cur];
      this.savaddress += bs;
      this.address = this.savaddress;
    }
    let need = bs;
    let nread = 0;
    for (;;) {
      if (d.length === 0 || (this.ateof && !(await this.next()))) {
        if (need === bs) return null;
        if (d.vflag !== ALL && d.vflag !== FIRST && this.same(nread)) {
          if (d.vflag !== DUP) await this.out.write("*\n");
        }
        this.cur.fill(0, nread);
        this.eaddress = this.address + nread;
        return this.cur;
      }
      const n = await this.fread(this.cur, nread, d.length === -1 ? need : Math.min(d.length, need));
      if (n === 0) {
        this.ateof = true;
        continue;
      }
      this.ateof = false;
      if (d.length !== -1) d.length -= n;
      need -= n;
      if (need === 0) {
        if (d.vflag === ALL || d.vflag === FIRST || !this.same(bs)) {
          if (d.vflag === DUP || d.vflag === FIRST) d.vflag = WAIT;
          return this.cur;
        }
        if (d.vflag === WAIT) await this.out.write("*\n");
        d.vflag = DUP;
        this.savaddress += bs;
        this.address = this.savaddress;
        need = bs;
        nread = 0;
      } else nread += n;
    }
  }

  private same(n: number): boolean {
    for (let i = 0; i < n; i++) if (this.cur![i] !== this.sav![i]) return false;
    return true;
  }
}
