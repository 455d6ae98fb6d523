import { strerror } from "../../include/linux/errno.ts";
import { O_CREAT, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { compare_general, compare_month, compare_numeric, strcmp, strverscmp } from "../lib/sort_compare.ts";
import { BufReader, BufWriter, close_input, fail, getopt_ordered, show_usage } from "../lib/stdio.ts";

/**
 * sort (busybox coreutils/sort.c, SORT_BIG): the lines of all FILEs (or standard input) in byte
 * order, or by -n (atof), -g (strtod), -h (2K < 1M), -M (month), -V (version); -r reverses, -f
 * folds case, -d keeps blanks and alphanumerics, -i printable bytes, -b ignores leading and
 * trailing blanks; -k START[.CHAR][OPTS][,END[.CHAR][OPTS]] sorts by fields (split at runs of
 * blanks, each field keeping its leading blanks, or at -t CHAR), several -k in order, each with
 * its own letters (which replace the global ones, -r included). Lines equal by every key are
 * ordered bytewise, unless -s keeps them in input order; -u keeps the first of each run of lines
 * with equal keys; -c checks the order ("Check line N" on stderr, exit 1); -z uses NUL for
 * newline; -o FILE writes FILE after all input was read. -m, -S SIZE and -T DIR are accepted and
 * ignored. Errors exit 2. As busybox's, a key's END.CHAR counts from the line's start.
 */
const USAGE = `Usage: sort [-nrughMcszbdfiokt] [-o FILE] [-k START[.OFS][OPTS][,END[.OFS][OPTS]] [-t CHAR] [FILE]...

Sort lines of text

\t-o FILE\tOutput to FILE
\t-c\tCheck whether input is sorted
\t-b\tIgnore leading blanks
\t-f\tIgnore case
\t-i\tIgnore unprintable characters
\t-d\tDictionary order (blank or alphanumeric only)
\t-n\tSort numbers
\t-g\tGeneral numerical sort
\t-h\tSort human readable numbers (2K 1G)
\t-M\tSort month
\t-V\tSort version
\t-t CHAR\tField separator
\t-k N[,M] Sort by Nth field
\t-r\tReverse sort order
\t-s\tStable (don't sort ties alphabetically)
\t-u\tSuppress duplicate lines
\t-z\tNUL terminated input and output
`;

/** Per-key letters (the global ones apply to a key that has none); "B" is -b's trailing half. */
type Flags = Set<string>;

interface Key {
  /** Start field, start char, end field, end char (1-based, 0 = not given). */
  readonly range: [number, number, number, number];
  readonly flags: Flags;
}

const is_space = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const is_alnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);

/** get_key(): the part of `str` key `key` selects, transformed by -b -d -i -f. */
function get_key(str: string, key: Key, flags: Flags, sep: number): string {
  const r = key.range;
  if (r[0] === 1 && r[1] === 0 && r[2] === 0 && r[3] === 0 && !["b", "B", "d", "f", "i"].some((f) => flags.has(f))) return str;
  const len = str.length;
  let start = 0;
  let end = 0;
  for (let j = 0; j < 2; j++) {
    if (r[2 * j] === 0) end = len;
    else {
      let ch = 0;
      end = 0;
      for (let i = 1; i < r[2 * j]! + j; i++) {
        if (sep >= 0) {
          // Skip the field and its separator; ch ends as the separator, or 0 at the line's end.
          for (;;) {
            if (end >= len) {
              ch = 0;
              break;
            }
            ch = str.charCodeAt(end++);
            if (ch === sep) break;
          }
        } else {
          while (end < len && is_space(str.charCodeAt(end))) end++;
          while (end < len && !is_space(str.charCodeAt(end))) end++;
        }
      }
      if (j === 1 && ch !== 0) end--;
    }
    if (j === 0) start = end;
  }
  if (flags.has("b")) while (start < len && is_space(str.charCodeAt(start))) start++;
  if (flags.has("B")) while (end > start && is_space(str.charCodeAt(end - 1))) end--;
  if (r[3] !== 0) end = Math.min(r[3], len);
  if (r[1] !== 0) start = Math.min(start + r[1] - 1, len);
  if (end < start) end = start;
  let k = str.slice(start, end);
  if (flags.has("d")) k = [...k].filter((c) => is_space(c.charCodeAt(0)) || is_alnum(c.charCodeAt(0))).join("");
  if (flags.has("i")) k = [...k].filter((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) <= 0x7e).join("");
  if (flags.has("f")) k = k.replace(/[a-z]+/g, (m) => m.toUpperCase());
  return k;
}

interface Sorter {
  readonly keys: Key[];
  readonly global: Flags;
  readonly sep: number;
  stable: boolean;
  tie_break: boolean;
}

/** compare_keys() of two lines (with their input positions for -s). */
function compare(s: Sorter, x: { line: string; pos: number }, y: { line: string; pos: number }): number {
  let retval = 0;
  let flags = s.global;
  for (const key of s.keys) {
    flags = key.flags.size > 0 ? key.flags : s.global;
    const a = get_key(x.line, key, flags, s.sep);
    const b = get_key(y.line, key, flags, s.sep);
    if (flags.has("n")) retval = compare_numeric(a, b);
    else if (flags.has("g") || flags.has("h")) retval = compare_general(a, b, flags.has("h"));
    else if (flags.has("M")) retval = compare_month(a, b);
    else if (flags.has("V")) retval = strverscmp(a, b);
    else retval = strcmp(a, b);
    if (retval !== 0) break;
  }
  if (retval === 0) {
    if (s.stable) return x.pos > y.pos ? 1 : -1; // -r does not reverse ties
    if (s.tie_break) {
      flags = s.global;
      retval = strcmp(x.line, y.line);
    }
  }
  return flags.has("r") ? -retval : retval;
}

/** One -k argument, or busybox's complaint. */
function parse_key(spec: string): Key | string {
  const range: [number, number, number, number] = [0, 0, 0, 0];
  const flags: Flags = new Set();
  let i = 0;
  let s = spec;
  const str2u = (): number | null => {
    const m = /^\d+/.exec(s);
    if (m === null) return null;
    s = s.slice(m[0].length);
    const v = Number(m[0]);
    return v === 0 || v > 0x7fffffff ? null : v;
  };
  while (s !== "") {
    const w = str2u();
    if (w === null) return "bad field specification";
    range[2 * i] = w;
    if (s.startsWith(".")) {
      s = s.slice(1);
      const c = str2u();
      if (c === null) return "bad field specification";
      range[2 * i + 1] = c;
    }
    while (s !== "") {
      const ch = s[0]!;
      if (ch === "," && i++ === 0) {
        s = s.slice(1);
        break;
      }
      if (!"nghMVucszbrdfimS:T:o:k:t:".replace(/:/g, "").includes(ch)) return "unknown key option";
      if (!"nghMbrdfi".includes(ch)) return "unknown sort type";
      flags.add(i > 0 && ch === "b" ? "B" : ch);
      s = s.slice(1);
    }
  }
  return { range, flags };
}

export async function sort(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt_ordered(argv, "nghMVucszbrdfimS:T:o:k:t:");
  if (typeof o === "string") return show_usage(sys, "sort", USAGE, o, 2);
  const global: Flags = new Set(o.list.map(([c]) => c).filter((c) => "nghMVbrdfi".includes(c)));
  if (global.has("b")) global.add("B");
  let sep = -1;
  const t = o.value("t");
  if (t !== undefined) {
    if (t.length !== 1 || t.charCodeAt(0) > 0x7f) return fail(sys, "sort", "bad -t parameter", 2);
    sep = t.charCodeAt(0);
  }
  const keys: Key[] = [];
  for (const k of o.values("k")) {
    const key = parse_key(k);
    if (typeof key === "string") return fail(sys, "sort", key, 2);
    keys.push(key);
  }
  if (keys.length === 0) keys.push({ range: [1, 0, 0, 0], flags: new Set() });
  const term = o.has("z") ? 0 : 0x0a;

  const lines: { line: string; pos: number }[] = [];
  for (const file of o.args.length > 0 ? o.args : ["-"]) {
    const fd = file === "-" ? 0 : sys.open(file, 0);
    if (fd < 0) return fail(sys, "sort", `${file}: ${strerror(fd)}`, 2);
    const r = new BufReader(sys, fd);
    for (let l = await r.read_line(term); l !== null; l = await r.read_line(term)) {
      lines.push({ line: l.charCodeAt(l.length - 1) === term ? l.slice(0, -1) : l, pos: lines.length });
    }
    close_input(sys, fd);
  }

  const s: Sorter = { keys, global, sep, stable: o.has("s"), tie_break: true };
  if (o.has("c")) {
    const limit = o.has("u") ? -1 : 0;
    for (let i = 1; i < lines.length; i++) {
      if (compare(s, lines[i - 1]!, lines[i]!) > limit) {
        sys.write(2, `Check line ${i}\n`);
        return 1;
      }
    }
    return 0;
  }
  lines.sort((a, b) => compare(s, a, b));
  let result = lines;
  if (o.has("u")) {
    s.tie_break = false;
    s.stable = false;
    result = [];
    for (const l of lines) if (result.length === 0 || compare(s, result[result.length - 1]!, l) !== 0) result.push(l);
  }

  let fd = 1;
  const out_file = o.value("o");
  if (out_file !== undefined) {
    fd = sys.open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0o666);
    if (fd < 0) return fail(sys, "sort", `can't open '${out_file}': ${strerror(fd)}`, 2);
  }
  const out = new BufWriter(sys, fd);
  const nl = String.fromCharCode(term);
  for (const l of result) {
    await out.write(l.line + nl);
    if (out.failed) break;
  }
  const w = await out.finish("sort");
  if (fd !== 1) sys.close(fd);
  return w === 0 ? 0 : 2;
}

export const sort_command: Command = {
  name: "sort",
  summary: "sort lines of text",
  usage: USAGE,
  main: sort,
};
