import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { fixed } from "../lib/fcvt.ts";
import { read_meminfo } from "../lib/procps.ts";

/**
 * free (procps-ng 4.0.2 src/free.c over library/meminfo.c): /proc/meminfo as the table procps
 * prints — used = MemTotal − MemAvailable, buff/cache = Buffers + Cached + SReclaimable, 11-wide
 * columns after a 9-wide label, and scale_size()'s units (-h: "1.2Gi", "9.1Mi", "0B"; --si: "1.3G").
 */
const USAGE = `
Usage:
 free [options]

Options:
 -b, --bytes         show output in bytes
     --kilo          show output in kilobytes
     --mega          show output in megabytes
     --giga          show output in gigabytes
     --tera          show output in terabytes
     --peta          show output in petabytes
 -k, --kibi          show output in kibibytes
 -m, --mebi          show output in mebibytes
 -g, --gibi          show output in gibibytes
     --tebi          show output in tebibytes
     --pebi          show output in pebibytes
 -h, --human         show human-readable output
     --si            use powers of 1000 not 1024
 -l, --lohi          show detailed low and high memory statistics
 -t, --total         show total for RAM + swap
 -v, --committed     show committed memory and commit limit
 -s N, --seconds N   repeat printing every N seconds
 -c N, --count N     repeat printing N times, then exit
 -w, --wide          wide output

     --help     display this help and exit

For more details see free(1).
`;

export interface FreeFlags {
  human: boolean;
  si: boolean;
  lohi: boolean;
  wide: boolean;
  total: boolean;
  committed: boolean;
  /** 0 default (KiB), 1 bytes, 2 k, 3 m, 4 g, 5 t, 6 p. */
  exponent: number;
}

/** scale_size(): a size in KiB as free prints it. */
export function scale_size(kib: number, f: FreeFlags): string {
  const base = f.si ? 1000 : 1024;
  const bytes = kib * 1024;
  if (!f.human) {
    // C's integer division and (long) casts truncate toward zero.
    if (f.exponent === 0) return String(Math.trunc(bytes / base));
    if (f.exponent === 1) return String(bytes);
    return String(Math.trunc(bytes / base ** (f.exponent - 1)));
  }
  const up = ["B", "K", "M", "G", "T", "P"];
  let buf = `${bytes}B`;
  if (buf.length <= 4) return buf;
  for (let i = 1; i < up.length; i++) {
    // (float)(bytes / power(base, i)), then %.1f or the truncated %ld.
    const v = Math.fround(bytes / base ** i);
    const unit = f.si ? up[i]! : `${up[i]}i`;
    const max = f.si ? 4 : 5;
    buf = `${fixed(v, 1)}${unit}`;
    if (buf.length <= max) return buf;
    buf = `${Math.trunc(bytes / base ** i)}${unit}`;
    if (buf.length <= max) return buf;
  }
  return buf;
}

/** The table for one /proc/meminfo snapshot (values in kB, by key). */
export function free_table(m: ReadonlyMap<string, number>, f: FreeFlags): string {
  const g = (k: string): number => m.get(k) ?? 0;
  const total = g("MemTotal");
  const mem_free = g("MemFree");
  let avail = g("MemAvailable");
  if (avail === 0) avail = mem_free;
  const cached = g("Cached") + g("SReclaimable");
  if (avail > total) avail = mem_free;
  let used = total - avail;
  if (used < 0) used = total - mem_free;
  const swap_total = g("SwapTotal");
  const swap_free = g("SwapFree");
  const swap_used = swap_free < swap_total ? swap_total - swap_free : 0;
  let low_total = g("LowTotal");
  let low_free = g("LowFree");
  if (low_total === 0) {
    low_total = total;
    low_free = mem_free;
  }
  const high_total = g("HighTotal");
  const high_free = g("HighFree");

  const s = (v: number): string => scale_size(v, f);
  const row = (label: string, vals: number[]): string => label.padEnd(9) + vals.map((v, i) => (i === 0 ? "" : " ") + s(v).padStart(11)).join("") + "\n";
  let out = f.wide ? "               total        used        free      shared     buffers       cache   available\n" : "               total        used        free      shared  buff/cache   available\n";
  out += row("Mem:", f.wide ? [total, used, mem_free, g("Shmem"), g("Buffers"), cached, avail] : [total, used, mem_free, g("Shmem"), g("Buffers") + cached, avail]);
  if (f.lohi) {
    out += row("Low:", [low_total, low_free < low_total ? low_total - low_free : 0, low_free]);
    out += row("High:", [high_total, high_free < high_total ? high_total - high_free : 0, high_free]);
  }
  out += row("Swap:", [swap_total, swap_used, swap_free]);
  if (f.total) out += row("Total:", [total + swap_total, used + swap_used, mem_free + swap_free]);
  if (f.committed) out += row("Comm:", [g("CommitLimit"), g("Committed_AS"), g("CommitLimit") - g("Committed_AS")]);
  return out;
}

const LONG: Readonly<Record<string, string>> = {
  "--bytes": "b",
  "--kibi": "k",
  "--mebi": "m",
  "--gibi": "g",
  "--human": "h",
  "--lohi": "l",
  "--total": "t",
  "--committed": "v",
  "--wide": "w",
};
const LONG_UNITS: Readonly<Record<string, [number, boolean]>> = {
  "--kilo": [2, true],
  "--mega": [3, true],
  "--giga": [4, true],
  "--tera": [5, true],
  "--peta": [6, true],
  "--tebi": [5, false],
  "--pebi": [6, false],
};
const UNITS: Readonly<Record<string, number>> = { b: 1, k: 2, m: 3, g: 4 };

export async function free(argv: readonly string[], sys: Syscalls): Promise<number> {
  const f: FreeFlags = { human: false, si: false, lohi: false, wide: false, total: false, committed: false, exponent: 0 };
  let unit_set = false;
  let interval_us: number | null = null;
  let count: number | null = null;
  const die = async (msg: string, usage = false): Promise<number> => {
    await sys.write(2, `free: ${msg}\n${usage ? USAGE : ""}`);
    return 1;
  };
  const set_unit = (e: number, si: boolean): boolean => {
    if (unit_set) return false;
    unit_set = true;
    f.exponent = e;
    if (si) f.si = true;
    return true;
  };
  const flag = (c: string): boolean => {
    if (c === "h") f.human = true;
    else if (c === "l") f.lohi = true;
    else if (c === "t") f.total = true;
    else if (c === "v") f.committed = true;
    else if (c === "w") f.wide = true;
    else return false;
    return true;
  };
  const seconds = (v: string): string | null => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n)) return `seconds argument failed: '${v}': Invalid argument`;
    interval_us = Math.trunc(1e6 * n);
    if (interval_us < 1) return `seconds argument \`${v}' is not positive number`;
    return null;
  };
  const counter = (v: string): string | null => {
    if (!/^[+-]?\d+$/.test(v.trim())) return `failed to parse count argument: '${v}'`;
    count = Number(v);
    if (count < 1) return `failed to parse count argument: '${v}': Numerical result out of range`;
    return null;
  };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const [name, val] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
      if (name === "--si") f.si = true;
      else if (name === "--seconds" || name === "--count") {
        const v = val ?? argv[++i];
        if (v === undefined) return die(`option '${name}' requires an argument`, true);
        const err = name === "--seconds" ? seconds(v) : counter(v);
        if (err !== null) return die(err);
      } else if (LONG_UNITS[name] !== undefined) {
        const [e, si] = LONG_UNITS[name]!;
        if (!set_unit(e, si)) return die("Multiple unit options don't make sense.");
      } else if (LONG[name] !== undefined) {
        const c = LONG[name]!;
        if (UNITS[c] !== undefined) {
          if (!set_unit(UNITS[c]!, false)) return die("Multiple unit options don't make sense.");
        } else flag(c);
      } else return die(`unrecognized option '${a}'`, true);
      continue;
    }
    if (!a.startsWith("-") || a === "-") {
      await sys.write(2, USAGE);
      return 1;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (c === "s" || c === "c") {
        const v = a.length > j + 1 ? a.slice(j + 1) : argv[++i];
        if (v === undefined) return die(`option requires an argument -- '${c}'`, true);
        const err = c === "s" ? seconds(v) : counter(v);
        if (err !== null) return die(err);
        break;
      }
      if (UNITS[c] !== undefined) {
        if (!set_unit(UNITS[c]!, false)) return die("Multiple unit options don't make sense.");
      } else if (!flag(c)) return die(`invalid option -- '${c}'`, true);
    }
  }
  const repeat = interval_us !== null || count !== null;
  const interval_ns = (interval_us ?? 1_000_000) * 1000;
  let left = count;
  for (;;) {
    const m = read_meminfo(sys);
    if (m === null) return die("Memory information file /proc/meminfo does not exist");
    await sys.write(1, free_table(m, f));
    if (left !== null && --left < 1) return 0;
    if (!repeat) return 0;
    await sys.write(1, "\n");
    await sys.nanosleep(interval_ns); // usleep(); ^C ends free, as its default action does
  }
}

export const free_command: Command = {
  name: "free",
  summary: "display amount of free and used memory",
  usage: USAGE,
  main: free,
};
