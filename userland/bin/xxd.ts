import { strerror } from "../../include/linux/errno.ts";
import { O_RDONLY, SEEK_SET } from "../../include/uapi/fcntl.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { Dumper } from "../lib/dump.ts";
import { ALL } from "../lib/dump_format.ts";
import { BufReader, BufWriter, fail, getopt_ordered, show_usage, utf8_to_bstr, xatoi_positive, xstrtoull_sfx } from "../lib/stdio.ts";

/**
 * xxd [-pri] [-g N] [-c N] [-l LEN] [-s OFS] [-o OFS] [FILE] (busybox util-linux/hexdump_xxd.c,
 * vim's xxd format): "00000000: 6865 6c6c 6f0a                           hello." — offset, -c
 * bytes per line (16) in groups of -g bytes (2), then the bytes as ASCII ("." for the rest). -p
 * prints plain hex, 30 bytes a line; -i a C array (with "unsigned char NAME[]" and NAME_len when
 * reading a FILE; no comma after the last byte, as vim's xxd — busybox leaves one); -l stops
 * after LEN bytes, -s skips OFS bytes, -o adds OFS to the offsets shown. -r turns a dump (or with
 * -p plain hex) back into bytes, seeking (or writing zeros) to each line's offset.
 */
const USAGE = `Usage: xxd [-pri] [-g N] [-c N] [-l LEN] [-s OFS] [-o OFS] [FILE]

Hex dump FILE (or stdin)

\t-g N\t\tBytes per group
\t-c N\t\tBytes per line
\t-p\t\tShow only hex bytes, assumes -c30
\t-i\t\tC include file style
\t-l LENGTH\tShow only first LENGTH bytes
\t-s OFFSET\tSkip OFFSET bytes
\t-o OFFSET\tAdd OFFSET to displayed offset
\t-r\t\tReverse (with -p, assumes no offsets in input)
`;

const hexval = (c: number): number => (c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x61 + 10 : -1);
const is_space = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** xxd -r: hex back to bytes (reverse() in hexdump_xxd.c). */
async function reverse(sys: Syscalls, plain: boolean, file: string | undefined, skip: number): Promise<number> {
  let fd = 0;
  if (file !== undefined) {
    fd = sys.open(file, O_RDONLY);
    if (fd < 0) return fail(sys, "xxd", `can't open '${file}': ${strerror(fd)}`);
  }
  const r = new BufReader(sys, fd);
  const out = new BufWriter(sys);
  let cur = 0;
  const getline = async (): Promise<string | null> => {
    const l = await r.read_line();
    return l === null ? null : l.replace(/\n$/, "");
  };
  let buf = await getline();
  let p = 0;
  const at = (i: number): number => (buf !== null && i < buf.length ? buf.charCodeAt(i) : 0);
  const skip_ws = (): void => {
    while (is_space(at(p))) p++;
  };
  /** A dump line's offset: seek there (or write zeros up to it); false after an error. */
  const address = async (): Promise<boolean> => {
    skip_ws();
    const m = /^[0-9a-fA-F]*/.exec(buf!.slice(p))!;
    const ofs = (m[0] === "" ? 0 : Number.parseInt(m[0], 16)) + skip;
    if (ofs !== cur) {
      await out.flush();
      if (sys.lseek(1, ofs, SEEK_SET) < 0) {
        if (ofs < cur) {
          fail(sys, "xxd", "cannot seek: Illegal seek");
          return false;
        }
        await out.write(new Uint8Array(ofs - cur));
      }
      cur = ofs;
    }
    p += m[0].length;
    if (at(p) === 0x3a) p++;
    return true;
  };
  lines: while (buf !== null) {
    p = 0;
    if (!plain && !(await address())) return 1;
    for (;;) {
      let badchar = 0;
      let val = 0;
      nibbles: for (;;) {
        // First digit; one stray character is allowed (as xxd 1.10), a second ends the line.
        for (;;) {
          if (plain) skip_ws();
          const c = at(p++);
          const v = hexval(c);
          if (v >= 0) {
            val = v << 4;
            break;
          }
          if (c === 0 || badchar > 0) {
            buf = await getline();
            continue lines;
          }
          badchar++;
        }
        for (;;) {
          if (plain) skip_ws();
          const c = at(p++);
          const v = hexval(c);
          if (v >= 0) {
            val |= v;
            break nibbles;
          }
          if (c !== 0) {
            // "3<not hex>": drop the 3, go on at the next hex digit of this line.
            while (hexval(at(p)) < 0) {
              if (at(p) === 0) {
                buf = await getline();
                continue lines;
              }
              p++;
            }
            continue nibbles;
          }
          // A byte's two digits may be split across lines.
          buf = await getline();
          if (buf === null) break lines;
          p = 0;
          if (!plain && !(await address())) return 1;
        }
      }
      await out.write(new Uint8Array([val]));
      cur++;
    }
  }
  if (fd > 0) sys.close(fd);
  return out.finish("xxd");
}

/** print_C_style(): a file name as a C identifier. */
function c_name(name: string): string {
  return (/^\d/.test(name) ? "__" : "") + name.replace(/[^A-Za-z0-9]/g, "_");
}

export async function xxd(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt_ordered(argv, "l:s:apirg:c:o:");
  if (typeof o === "string") return show_usage(sys, "xxd", USAGE, o);
  if (o.args.length > 1) return show_usage(sys, "xxd", USAGE, null);
  const file = o.args[0];
  const d = new Dumper();
  d.vflag = ALL;
  const l = o.value("l");
  if (l !== undefined) {
    const n = xstrtoull_sfx(l, {});
    if (typeof n === "string" || n > 0x7fffffff) return fail(sys, "xxd", typeof n === "string" ? n : `number ${l} is not in 0..2147483647 range`);
    d.length = n;
  }
  const s = o.value("s");
  let skip = 0;
  if (s !== undefined) {
    const n = xstrtoull_sfx(s, {});
    if (typeof n === "string") return fail(sys, "xxd", n);
    skip = d.skip = n;
  }
  if (o.has("r")) return reverse(sys, o.has("p"), file, skip);
  const ov = o.value("o");
  if (ov !== undefined) {
    const neg = ov.startsWith("-");
    const n = xstrtoull_sfx(neg ? ov.slice(1) : ov, {});
    if (typeof n === "string") return fail(sys, "xxd", `invalid number '${ov}'`);
    d.xxd_displayoff = neg ? -n : n;
  }
  let bytes = 2;
  let cols = 0;
  for (const [c, name] of [["g", "g"], ["c", "c"]] as const) {
    const v = o.value(c);
    if (v === undefined) continue;
    const n = xatoi_positive(v);
    if (typeof n === "string") return fail(sys, "xxd", n);
    if (name === "g") bytes = n;
    else cols = n;
  }
  const plain = o.has("p");
  const incl = o.has("i");
  if (plain) {
    if (cols === 0) cols = 30;
    bytes = cols;
  } else {
    if (cols === 0) cols = incl ? 12 : 16;
    if (incl) bytes = 1;
  }
  const out = new BufWriter(sys);
  if (incl) return xxd_include(sys, out, file, cols, d);
  d.add(plain ? "" : '"%08.8_ax: "');
  if (bytes < 1 || bytes >= cols) d.add(`${cols}/1 "%02x"`);
  else if (bytes === 1) d.add(`${cols}/1 "%02x "`);
  else {
    let f = "";
    for (let i = 1; i <= cols; i++) f += i === cols || i % bytes !== 0 ? '/1 "%02x"' : '/1 "%02x "';
    d.add(f);
  }
  if (!plain) d.add(`"  "${cols}/1 "%_p""\\n"`);
  else {
    d.add('"\\n"');
    d.xxd_eofstring = "\n";
  }
  const r = await d.dump(sys, out, "xxd", file === undefined ? [] : [file]);
  return (await out.finish("xxd")) || r;
}

/** xxd -i: "  0x68, 0x65," lines of `cols` bytes, the last byte without a comma (as vim's xxd). */
async function xxd_include(sys: Syscalls, out: BufWriter, file: string | undefined, cols: number, d: Dumper): Promise<number> {
  let fd = 0;
  if (file !== undefined && file !== "-") {
    fd = sys.open(file, O_RDONLY);
    if (fd < 0) return fail(sys, "xxd", `${file}: ${strerror(fd)}`);
  }
  if (d.skip > 0) {
    if (sys.lseek(fd, d.skip, SEEK_SET) < 0) {
      const r = new BufReader(sys, fd);
      for (let left = d.skip; left > 0; ) {
        const c = await r.read_chunk();
        if (c === null) break;
        left -= c.length;
      }
    }
  }
  const name = file !== undefined ? c_name(utf8_to_bstr(file)) : null;
  if (name !== null) await out.write(`unsigned char ${name}[] = {\n`);
  const r = new BufReader(sys, fd);
  let total = 0;
  let line: string[] = [];
  let pending: string[] | null = null;
  let left = d.length;
  for (let chunk = await r.read_chunk(); chunk !== null && left !== 0; chunk = await r.read_chunk()) {
    for (const b of left === -1 ? chunk : chunk.subarray(0, left)) {
      line.push(`0x${b.toString(16).padStart(2, "0")}`);
      total++;
      if (line.length === cols) {
        if (pending !== null) await out.write(`  ${pending.join(", ")},\n`);
        pending = line;
        line = [];
      }
    }
    if (left !== -1) left = Math.max(0, left - chunk.length);
    if (out.failed) break;
  }
  if (line.length > 0) {
    if (pending !== null) await out.write(`  ${pending.join(", ")},\n`);
    pending = line;
  }
  if (pending !== null) await out.write(`  ${pending.join(", ")}\n`);
  if (fd > 0) sys.close(fd);
  if (name !== null) await out.write(`};\nunsigned int ${name}_len = ${total};\n`);
  return out.finish("xxd");
}

export const xxd_command: Command = {
  name: "xxd",
  summary: "hex dump (vim's xxd format)",
  usage: USAGE,
  main: xxd,
};
