import { strerror } from "../../include/linux/errno.ts";
import { O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { BufWriter, fail, getopt_ordered, reader_for, show_usage, xatoi_positive } from "../lib/stdio.ts";

/**
 * uniq [-cduiz] [-f,s,w N] [FILE [OUTFILE]] (busybox coreutils/uniq.c): one line of each run of
 * equal adjacent lines of FILE (or standard input) to OUTFILE (or standard output). -c prefixes
 * the run's length ("%7lu "), -d prints only repeated lines, -u only unrepeated ones, -i compares
 * ASCII case-insensitively; -f N skips N fields (blanks then non-blanks), -s N then N characters,
 * -w N compares at most N characters. -z ends output lines with NUL (input is still split at
 * newlines, as busybox). Lines are read and written as they come.
 */
const USAGE = `Usage: uniq [-cduiz] [-f,s,w N] [FILE [OUTFILE]]

Discard duplicate lines

\t-c\tPrefix lines by the number of occurrences
\t-d\tOnly print duplicate lines
\t-u\tOnly print unique lines
\t-i\tIgnore case
\t-z\tNUL terminated output
\t-f N\tSkip first N fields
\t-s N\tSkip first N chars (after any skipped fields)
\t-w N\tCompare N characters in line
`;

const is_space = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

export async function uniq(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt_ordered(argv, "cduf:s:w:iz");
  if (typeof o === "string") return show_usage(sys, "uniq", USAGE, o);
  const num = (c: string, dflt: number): number | string => {
    const v = o.value(c);
    return v === undefined ? dflt : xatoi_positive(v);
  };
  const skip_fields = num("f", 0);
  const skip_chars = num("s", 0);
  const max_chars = num("w", 0x7fffffff);
  for (const v of [skip_fields, skip_chars, max_chars]) if (typeof v === "string") return fail(sys, "uniq", v);
  const [input, output] = o.args;
  let in_fd = 0;
  if (input !== undefined && input !== "-") {
    in_fd = sys.open(input, O_RDONLY);
    if (in_fd < 0) return fail(sys, "uniq", `can't open '${input}': ${strerror(in_fd)}`);
  }
  if (o.args.length > 2) return show_usage(sys, "uniq", USAGE, null);
  let out_fd = 1;
  if (output !== undefined && output !== "-") {
    out_fd = sys.open(output, O_WRONLY | O_CREAT | O_TRUNC, 0o666);
    if (out_fd < 0) return fail(sys, "uniq", `can't open '${output}': ${strerror(out_fd)}`);
  }
  const out = new BufWriter(sys, out_fd);
  const r = reader_for(sys, in_fd, out);
  const eol = o.has("z") ? "\0" : "\n";
  const icase = o.has("i");

  /** The part of a line that is compared. */
  const compared = (line: string): string => {
    let i = 0;
    for (let f = skip_fields as number; f > 0; f--) {
      while (i < line.length && is_space(line.charCodeAt(i))) i++;
      while (i < line.length && !is_space(line.charCodeAt(i))) i++;
    }
    i = Math.min(line.length, i + (skip_chars as number));
    const s = line.slice(i, i + (max_chars as number));
    return icase ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
  };
  const emit = async (line: string, dups: number): Promise<void> => {
    if (dups === 0 ? o.has("d") : o.has("u")) return;
    await out.write(`${o.has("c") ? `${String(dups + 1).padStart(7)} ` : ""}${line}${eol}`);
  };

  let prev: { line: string; key: string } | null = null;
  let dups = 0;
  for (let l = await r.read_line(); l !== null && !out.failed; l = await r.read_line()) {
    const line = l.endsWith("\n") ? l.slice(0, -1) : l;
    const key = compared(line);
    if (prev !== null && key === prev.key) {
      dups++;
      continue;
    }
    if (prev !== null) await emit(prev.line, dups);
    prev = { line, key };
    dups = 0;
  }
  if (prev !== null && !out.failed) await emit(prev.line, dups);
  if (in_fd > 0) sys.close(in_fd);
  const w = await out.finish("uniq");
  if (out_fd !== 1) sys.close(out_fd);
  if (r.error !== 0) return fail(sys, "uniq", `${input ?? "-"}: I/O error`);
  return w;
}

export const uniq_command: Command = {
  name: "uniq",
  summary: "report or omit repeated lines",
  usage: USAGE,
  main: uniq,
};
