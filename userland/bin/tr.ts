import { strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { process_escape_sequence } from "../lib/escape.ts";
import { BufReader, BufWriter, fail, getopt_ordered, show_usage, utf8_to_bstr } from "../lib/stdio.ts";

/**
 * tr [-cds] STRING1 [STRING2] (busybox coreutils/tr.c): copy standard input to standard output,
 * replacing bytes of STRING1 by the byte at the same place in STRING2 (its last byte repeats when
 * it is shorter), deleting those of STRING1 (-d), squeezing runs of a repeated byte from either set
 * to one (-s); -c (-C) takes every byte not in STRING1 instead. The strings take ranges (a-z),
 * backslash escapes (\n \t \\ \NNN …), classes [:alpha:] [:alnum:] [:digit:] [:lower:] [:upper:]
 * [:space:] [:blank:] [:punct:] [:cntrl:] [:xdigit:] and [=c=]; other brackets are literal, so
 * "[a-z]" is "[", a-z, "]" as in busybox (and [x*N] is not supported there either).
 */
const USAGE = `Usage: tr [-cds] STRING1 [STRING2]

Translate, squeeze, or delete characters from stdin, writing to stdout

\t-c\tTake complement of STRING1
\t-d\tDelete input characters coded STRING1
\t-s\tSqueeze multiple output characters of STRING2 into one character
`;

const is_alnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
const is_space = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const CLASSES = ["alpha", "alnum", "digit", "lower", "upper", "space", "blank", "punct", "cntrl", "xdigit"];

function range(from: number, to: number): number[] {
  const r: number[] = [];
  for (let i = from; i <= to; i++) r.push(i);
  return r;
}

/** expand(): a tr string as its list of bytes, or null for a malformed [=c=]. */
function expand(text: string): number[] | null {
  const a = Array.from(utf8_to_bstr(text), (ch) => ch.charCodeAt(0));
  const out: number[] = [];
  const at = (i: number): number => (i < a.length ? a[i]! : 0);
  const escape = (i: number): { byte: number; next: number } => process_escape_sequence(String.fromCharCode(...a.slice(i)), 0);
  let i = 0;
  while (i < a.length) {
    if (a[i] === 0x5c) {
      // The escape's byte takes the backslash's last character's place; it may start a range.
      const e = escape(i + 1);
      i = i + 1 + e.next - 1;
      a[i] = e.byte;
    }
    if (at(i + 1) === 0x2d /* - */) {
      let ac = at(i + 2);
      if (i + 2 >= a.length) {
        out.push(a[i++]!);
        continue;
      }
      const from = a[i]!;
      i += 3;
      if (ac === 0x5c) {
        const e = escape(i);
        ac = e.byte;
        i += e.next;
      }
      out.push(...range(from, ac));
      continue;
    }
    if (a[i] === 0x5b /* [ */) {
      const c = at(i + 1);
      if (c === 0x3a /* : */) {
        const len = 7 + (at(i + 2) === 0x78 ? 1 : 0);
        const name = String.fromCharCode(...a.slice(i + 2, i + 2 + len));
        const j = CLASSES.findIndex((n) => `${n}:]` === name);
        if (j >= 0) {
          const cls = CLASSES[j]!;
          i += 2 + len;
          if (cls === "alnum" || cls === "digit" || cls === "xdigit") out.push(...range(0x30, 0x39));
          if (cls === "alpha" || cls === "alnum" || cls === "upper") out.push(...range(0x41, 0x5a));
          if (cls === "alpha" || cls === "alnum" || cls === "lower") out.push(...range(0x61, 0x7a));
          if (cls === "space") out.push(9, 10, 11, 12, 13, 32);
          if (cls === "blank") out.push(9, 32);
          if (cls === "punct") out.push(...range(0, 255).filter((x) => x >= 0x20 && x <= 0x7e && !is_alnum(x) && !is_space(x)));
          if (cls === "cntrl") out.push(...range(0, 255).filter((x) => x < 0x20 || x === 0x7f));
          if (cls === "xdigit") out.push(...range(0x41, 0x46), ...range(0x61, 0x66));
          continue;
        }
      } else if (c === 0x3d /* = */) {
        if (i + 2 >= a.length || at(i + 3) !== 0x3d || at(i + 4) !== 0x5d) return null;
        out.push(a[i + 2]!);
        i += 5;
        continue;
      }
    }
    out.push(a[i++]!);
  }
  return out;
}

export async function tr(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt_ordered(argv, "+Ccds");
  if (typeof o === "string") return show_usage(sys, "tr", USAGE, o);
  if (o.args.length < 1) return show_usage(sys, "tr", USAGE, null);
  let set1 = expand(o.args[0]!);
  if (set1 === null) return show_usage(sys, "tr", USAGE, null);
  if (o.has("c") || o.has("C")) {
    const s = new Set(set1);
    set1 = range(0, 255).filter((x) => !s.has(x));
  }
  const vector = range(0, 255);
  const invec = new Uint8Array(256);
  const outvec = new Uint8Array(256);
  let set2: number[] = [];
  if (o.args.length > 1) {
    if (o.args[1] === "") return fail(sys, "tr", "STRING2 cannot be empty");
    const s2 = expand(o.args[1]!);
    if (s2 === null) return show_usage(sys, "tr", USAGE, null);
    set2 = s2;
    let last = 0x30;
    set1.forEach((c, k) => {
      if (k < set2.length) last = set2[k]!;
      vector[c] = last;
    });
  }
  for (const c of set1) invec[c] = 1;
  for (const c of set2) outvec[c] = 1;
  const del = o.has("d");
  const squeeze = o.has("s");

  const r = new BufReader(sys, 0);
  const out = new BufWriter(sys);
  let last = 256;
  for (let chunk = await r.read_chunk(); chunk !== null && !out.failed; chunk = await r.read_chunk()) {
    const buf = new Uint8Array(chunk.length);
    let n = 0;
    for (const c of chunk) {
      if (del && invec[c] === 1) continue;
      const coded = vector[c]!;
      if (squeeze && last === coded && (invec[c] === 1 || outvec[coded] === 1)) continue;
      buf[n++] = last = coded;
    }
    await out.write(buf.subarray(0, n));
    await out.flush();
  }
  if (r.error !== 0) {
    await out.flush();
    return fail(sys, "tr", `read error: ${strerror(r.error)}`);
  }
  return out.finish("tr");
}

export const tr_command: Command = {
  name: "tr",
  summary: "translate or delete characters",
  usage: USAGE,
  main: tr,
};
