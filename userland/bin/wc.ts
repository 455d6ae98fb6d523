import { strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { BufReader, BufWriter, close_input, fopen_or_warn_stdin, getopt_ordered, show_usage, utf8_to_bstr } from "../lib/stdio.ts";

/**
 * wc [-cmlwL] [FILE]... (busybox coreutils/wc.c): newlines, words, characters, bytes and the
 * longest line's display width of each FILE (or standard input), in the order l w m c L, each in a
 * 9-wide column after a space (the first without it: "%9u", then " %9u"), then " FILE" — unless
 * one operand and one count are asked for, which prints the bare number. More than one FILE adds a
 * "total" line; a FILE that cannot be opened still counts toward that. Default: -l -w -c.
 * A word is a run of printable ASCII that is not a space, ended by white space (a byte outside
 * ASCII neither starts nor ends one: busybox's rule, not GNU's). -m counts UTF-8 characters; -L
 * counts tabs to the next multiple of 8.
 */
const USAGE = `Usage: wc [-cmlwL] [FILE]...

Count lines, words, and bytes for FILEs (or stdin)

\t-c\tCount bytes
\t-m\tCount characters
\t-l\tCount newlines
\t-w\tCount words
\t-L\tPrint longest line length
`;

/** Column order, as "wc -cmlwL" prints: lines, words, characters, bytes, longest line. */
const ORDER = ["l", "w", "m", "c", "L"] as const;
type Counts = Record<(typeof ORDER)[number], number>;

/** Count one input; `error` is the read error that ended it (0 if none). */
async function count(r: BufReader): Promise<Counts> {
  const k: Counts = { l: 0, w: 0, m: 0, c: 0, L: 0 };
  let linepos = 0;
  let in_word = 0;
  const end_line = (c: number): void => {
    if (linepos > k.L) k.L = linepos;
    if (c === 0x0a) k.l++;
    if (c !== 0x0b) linepos = 0;
  };
  for (let chunk = await r.read_chunk(); chunk !== null; chunk = await r.read_chunk()) {
    k.c += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if ((c & 0xc0) !== 0x80) k.m++;
      if (c >= 0x20 && c <= 0x7e) {
        linepos++;
        if (c !== 0x20) {
          in_word = 1;
          continue;
        }
      } else if (c >= 9 && c <= 13) {
        if (c === 9) linepos = (linepos | 7) + 1;
        else end_line(c);
      } else continue;
      k.w += in_word;
      in_word = 0;
    }
  }
  // End of input ends a line and a word as '\r' would.
  end_line(-1);
  k.w += in_word;
  return k;
}

export async function wc(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt_ordered(argv, "lwmcL");
  if (typeof o === "string") return show_usage(sys, "wc", USAGE, o);
  let which = ORDER.filter((c) => o.has(c));
  if (which.length === 0) which = ["l", "w", "c"];
  const files = o.args.length > 0 ? o.args : [null];
  const bare = files.length === 1 && which.length === 1;
  const out = new BufWriter(sys);
  const totals: Counts = { l: 0, w: 0, m: 0, c: 0, L: 0 };
  let status = 0;

  const print = async (k: Counts, name: string | null): Promise<void> => {
    let line = "";
    for (const c of which) line += bare ? String(k[c]) : line === "" ? String(k[c]).padStart(9) : ` ${String(k[c]).padStart(9)}`;
    await out.write(`${line}${name === null ? "" : ` ${utf8_to_bstr(name)}`}\n`);
  };

  for (const file of files) {
    const fd = fopen_or_warn_stdin(sys, "wc", file ?? "-");
    if (fd < 0) {
      status = 1;
      continue;
    }
    const r = new BufReader(sys, fd);
    r.before_read = () => out.flush();
    const k = await count(r);
    close_input(sys, fd);
    if (r.error !== 0) {
      await out.flush();
      sys.write(2, `wc: ${file ?? "standard input"}: ${strerror(r.error)}\n`);
      status = 1;
    }
    for (const c of ORDER) totals[c] = c === "L" ? Math.max(totals.L, k.L) : totals[c] + k[c];
    await print(k, file);
  }
  if (files.length > 1) await print(totals, "total");
  return (await out.finish("wc")) || status;
}

export const wc_command: Command = {
  name: "wc",
  summary: "count lines, words and bytes",
  usage: USAGE,
  main: wc,
};
