import { strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { BufWriter, close_input, fopen_or_warn_stdin, getopt_ordered, open_or_warn_stdin, reader_for, show_usage } from "../lib/stdio.ts";

/**
 * cat [-nbvteA] [FILE]... (busybox coreutils/cat.c): copy each FILE (any path: tmpfs, /proc, /sys,
 * /dev) or standard input ("-", or no FILE) to standard output as it arrives, a chunk at a time.
 * -n numbers lines ("%6u\t"), -b only non-empty ones; -v shows control bytes as ^X and bytes over
 * 127 as M-x, -t also tabs as ^I, -e also ends lines with "$", -A is -vte (numbers are then
 * "%6u  ", as busybox). Busybox's messages ("cat: can't open '/x': No such file or directory",
 * "cat: read error: Is a directory"; with -n/-b "cat: /x: …") and exit status (1 if any FILE
 * failed). -u is accepted and ignored.
 */
const USAGE = `Usage: cat [-nbvteA] [FILE]...

Print FILEs to stdout

\t-n\tNumber output lines
\t-b\tNumber nonempty lines
\t-v\tShow nonprinting characters as ^x or M-x
\t-t\t...and tabs as ^I
\t-e\t...and end lines with $
\t-A\tSame as -vte
`;

/** visible() (libbb/printable.c): one byte as cat -v shows it. */
function visible(c: number, tabs: boolean, ends: boolean): string {
  if (c === 0x09 && !tabs) return "\t";
  if (c === 0x0a) return ends ? "$\n" : "\n";
  let s = "";
  if (c >= 128) {
    c -= 128;
    s = "M-";
  }
  if (c < 32 || c === 127) {
    s += "^";
    c ^= 0x40;
  }
  return s + String.fromCharCode(c);
}

export async function cat(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt_ordered(argv, "etvAnbu");
  if (typeof o === "string") return show_usage(sys, "cat", USAGE, o);
  const all = o.has("A");
  const ends = all || o.has("e");
  const tabs = all || o.has("t");
  const catv = ends || tabs || all || o.has("v");
  const number = o.has("n") || o.has("b");
  const nonempty = o.has("b");
  const files = o.args.length > 0 ? o.args : ["-"];
  const out = new BufWriter(sys);
  let status = 0;
  let lineno = 0;
  let eol_seen = number;

  for (const file of files) {
    // -n/-b alone read lines (print_numbered_lines, fopen's message); the rest open(2).
    const fd = number && !catv ? fopen_or_warn_stdin(sys, "cat", file) : open_or_warn_stdin(sys, "cat", file);
    if (fd < 0) {
      status = 1;
      continue;
    }
    const r = reader_for(sys, fd, out);
    if (catv) {
      for (let chunk = await r.read_chunk(); chunk !== null && !out.failed; chunk = await r.read_chunk()) {
        let s = "";
        for (const c of chunk) {
          if (eol_seen && !(nonempty && c === 0x0a)) s += `${String(++lineno).padStart(6)}  `;
          eol_seen = number && c === 0x0a;
          s += visible(c, tabs, ends);
        }
        await out.write(s);
      }
      if (r.error !== 0) status = 1;
    } else if (number) {
      for (let line = await r.read_line(); line !== null && !out.failed; line = await r.read_line()) {
        const body = line.endsWith("\n") ? line.slice(0, -1) : line;
        if (!nonempty || body !== "") await out.write(`${String(++lineno).padStart(6)}\t`);
        await out.write(`${body}\n`);
      }
    } else {
      for (let chunk = await r.read_chunk(); chunk !== null && !out.failed; chunk = await r.read_chunk()) await out.write(chunk);
      if (r.error !== 0) {
        await out.flush();
        sys.write(2, `cat: read error: ${strerror(r.error)}\n`);
        status = 1;
      }
    }
    close_input(sys, fd);
    if (out.failed) break;
  }
  return (await out.finish("cat")) || status;
}

export const cat_command: Command = {
  name: "cat",
  summary: "print files (any path) or standard input",
  usage: USAGE,
  main: cat,
};
