import { strerror } from "../../include/linux/errno.ts";
import { O_RDONLY } from "../../include/uapi/fcntl.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { Dumper } from "../lib/dump.ts";
import { ALL } from "../lib/dump_format.ts";
import { BKM_SUFFIXES, BufReader, BufWriter, fail, getopt_ordered, show_usage, utf8_to_bstr, xatoi_positive, xstrtoull_sfx } from "../lib/stdio.ts";

/**
 * hexdump [-bcdoxCv] [-e FMT] [-f FMT_FILE] [-n LEN] [-s OFS] [FILE]... (busybox
 * util-linux/hexdump.c over the format engine in userland/lib/dump.ts). Without options: offsets
 * and 16-bit little-endian words ("0000000 6568 6c6c 0a6f"); -C the canonical hex+ASCII lines
 * ("00000000  68 65 6c 6c 6f 0a                                 |hello.|"); -b -c -d -o -x the
 * od-like presets; -e adds a format string, -f a file of them (options add up, in order: "-C -C"
 * prints each line twice). Repeated lines fold into "*" unless -v. -n stops after LEN bytes, -s
 * skips OFS bytes (0x.. hex, 0.. octal, b/k/m suffixes) — on a pipe by reading past them, where
 * busybox gives up with "Illegal seek".
 */
const USAGE = `Usage: hexdump [-bcdoxCv] [-e FMT] [-f FMT_FILE] [-n LEN] [-s OFS] [FILE]...

Display FILEs (or stdin) in a user specified format

\t-b\t\t1-byte octal display
\t-c\t\t1-byte character display
\t-d\t\t2-byte decimal display
\t-o\t\t2-byte octal display
\t-x\t\t2-byte hex display
\t-C\t\thex+ASCII 16 bytes per line
\t-v\t\tShow all (no dup folding)
\t-e FORMAT_STR\tExample: '16/1 "%02x|""\\n"'
\t-f FORMAT_FILE
\t-n LENGTH\tShow only first LENGTH bytes
\t-s OFFSET\tSkip OFFSET bytes
`;

const ADD_STRINGS: Readonly<Record<string, string>> = {
  b: '"%07.7_ax "16/1 "%03o ""\\n"',
  c: '"%07.7_ax "16/1 "%3_c ""\\n"',
  d: '"%07.7_ax "8/2 "  %05u ""\\n"',
  o: '"%07.7_ax "8/2 " %06o ""\\n"',
  x: '"%07.7_ax "8/2 "   %04x ""\\n"',
};
const ADD_FIRST = '"%07.7_Ax\\n"';

export async function hexdump(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt_ordered(argv, "bcdoxCe:f:n:s:v");
  if (typeof o === "string") return show_usage(sys, "hexdump", USAGE, o);
  const d = new Dumper();
  const add = (fmt: string): string | null => d.add(utf8_to_bstr(fmt));
  for (const [c, v] of o.list) {
    let err: string | null = null;
    if (c in ADD_STRINGS) err = add(ADD_FIRST) ?? add(ADD_STRINGS[c]!);
    else if (c === "C") err = add('"%08.8_Ax\\n"') ?? add('"%08.8_ax  "8/1 "%02x ""  "8/1 "%02x "') ?? add('"  |"16/1 "%_p""|\\n"');
    else if (c === "e") err = add(v as string);
    else if (c === "f") {
      const fd = sys.open(v as string, O_RDONLY);
      if (fd < 0) return fail(sys, "hexdump", `can't open '${v as string}': ${strerror(fd)}`);
      const r = new BufReader(sys, fd);
      for (let l = await r.read_line(); l !== null && err === null; l = await r.read_line()) {
        const line = l.replace(/\n$/, "").replace(/^[ \t\n\v\f\r]+/, "");
        if (line !== "" && !line.startsWith("#")) err = d.add(line);
      }
      sys.close(fd);
    } else if (c === "n") {
      const n = xatoi_positive(v as string);
      if (typeof n === "string") return fail(sys, "hexdump", n);
      d.length = n;
    } else if (c === "s") {
      const n = xstrtoull_sfx(v as string, BKM_SUFFIXES);
      if (typeof n === "string") return fail(sys, "hexdump", n);
      d.skip = n;
    } else if (c === "v") d.vflag = ALL;
    if (err !== null) return fail(sys, "hexdump", err);
  }
  if (!o.list.some(([c]) => "bcdoxCef".includes(c))) {
    add(ADD_FIRST);
    add('"%07.7_ax "8/2 "%04x ""\\n"');
  }
  const out = new BufWriter(sys);
  const r = await d.dump(sys, out, "hexdump", o.args);
  return (await out.finish("hexdump")) || r;
}

export const hexdump_command: Command = {
  name: "hexdump",
  summary: "display files in hexadecimal (and other formats)",
  usage: USAGE,
  main: hexdump,
};
