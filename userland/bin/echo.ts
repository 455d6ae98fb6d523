import { EPIPE, strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { process_escape_sequence } from "../lib/escape.ts";
import { bstr_to_bytes, utf8_to_bstr } from "../lib/stdio.ts";

/**
 * echo [-neE] [ARG]... (busybox coreutils/echo.c, FANCY_ECHO): the arguments separated by spaces
 * and a newline. Leading arguments made only of the letters n, e, E after a "-" are options (-n no
 * newline, -e interpret escapes, -E don't); anything else, "-" and "--" included, is printed. With
 * -e: \a \b \e \f \n \r \t \v \\, \0NNN and \NNN octal, \xHH hex, and \c ends the output (no
 * newline either). As busybox's, -E does not undo an -e given before it. The whole line goes out
 * in one write.
 */
const USAGE = `Usage: echo [-neE] [ARG]...

Print ARGs to stdout

\t-n\tNo trailing newline
\t-e\tInterpret backslash escapes (\\t=tab etc)
\t-E\tDon't interpret backslash escapes (default)
`;

export async function echo(argv: readonly string[], sys: Syscalls): Promise<number> {
  let nflag = true;
  let eflag = false;
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!/^-[neE]+$/.test(a)) break;
    for (const c of a.slice(1)) {
      if (c === "n") nflag = false;
      else if (c === "e") eflag = true;
    }
  }
  let out = "";
  let cancelled = false;
  const args = argv.slice(i).map(utf8_to_bstr);
  for (let k = 0; k < args.length && !cancelled; k++) {
    const arg = args[k]!;
    if (!eflag) out += arg;
    else {
      for (let j = 0; j < arg.length; ) {
        const c = arg[j++]!;
        if (c !== "\\") {
          out += c;
          continue;
        }
        if (arg[j] === "c") {
          cancelled = true;
          break;
        }
        // SUSv3's \0NNN: skip the leading 0 when an octal digit follows.
        if (arg[j] === "0" && arg.charCodeAt(j + 1) >= 0x30 && arg.charCodeAt(j + 1) <= 0x37) j++;
        const e = process_escape_sequence(arg, j);
        out += String.fromCharCode(e.byte);
        j = e.next;
      }
    }
    if (!cancelled && k < args.length - 1) out += " ";
  }
  if (nflag && !cancelled) out += "\n";
  if (out === "") return 0;
  const bytes = bstr_to_bytes(out);
  const n = await sys.write(1, bytes);
  if (n === bytes.length) return 0;
  if (n !== -EPIPE) sys.write(2, `echo: write error: ${strerror(n < 0 ? n : -EPIPE)}\n`);
  return 1;
}

export const echo_command: Command = {
  name: "echo",
  summary: "print arguments",
  usage: USAGE,
  main: echo,
};
