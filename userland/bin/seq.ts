import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { format_double, strtod } from "../lib/format.ts";
import { BufWriter, getopt_ordered, show_usage, utf8_to_bstr } from "../lib/stdio.ts";

/**
 * seq [-w] [-s SEP] [FIRST [INC]] LAST (busybox coreutils/seq.c): numbers (doubles) from FIRST to
 * LAST in steps of INC, printed "%.*f" with as many decimals as FIRST and INC have (LAST's do not
 * count), separated by SEP (default newline) and ending in a newline. -w pads with leading zeros
 * to the widest argument. Options stop at the first operand, so "seq -- -3 1" (or "seq 1 -1 -3")
 * counts through negatives. As busybox's, an INC of 0 never ends (until the reader goes away).
 */
const USAGE = `Usage: seq [-w] [-s SEP] [FIRST [INC]] LAST

Print numbers from FIRST to LAST, in steps of INC.
FIRST, INC default to 1.

\t-w\tPad to last with leading zeros
\t-s SEP\tString separator
`;

export async function seq(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt_ordered(argv, "+ws:");
  if (typeof o === "string") return show_usage(sys, "seq", USAGE, o);
  const args = o.args;
  const nums = args.map(strtod);
  if (args.length < 1 || args.length > 3 || nums.some((n) => n === null)) return show_usage(sys, "seq", USAGE, null);
  const first = args.length >= 2 ? nums[0]! : 1;
  const increment = args.length === 3 ? nums[1]! : 1;
  const last = nums[args.length - 1]!;

  let width = 0;
  let frac_part = 0;
  args.forEach((a, i) => {
    const dot = a.indexOf(".");
    width = Math.max(width, dot < 0 ? a.length : dot);
    if (i < args.length - 1) frac_part = Math.max(frac_part, dot < 0 ? 0 : a.length - dot);
  });
  if (frac_part > 0) {
    frac_part--;
    if (frac_part > 0) width += frac_part + 1;
  }
  if (!o.has("w")) width = 0;
  const sep = utf8_to_bstr(o.value("s") ?? "\n");

  const out = new BufWriter(sys);
  const spec = { flags: "0", width, prec: frac_part, conv: "f" };
  let n = 0;
  for (let v = first; increment >= 0 ? v <= last : v >= last; v = first + n * increment) {
    await out.write((n > 0 ? sep : "") + format_double(v, spec));
    n++;
    if (out.failed) break;
  }
  if (n > 0) await out.write("\n");
  return out.finish("seq");
}

export const seq_command: Command = {
  name: "seq",
  summary: "print a sequence of numbers",
  usage: USAGE,
  main: seq,
};
