import { EPIPE, strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { bstr_to_bytes, utf8_to_bstr } from "../lib/stdio.ts";

/**
 * yes [STRING]... (busybox coreutils/yes.c): the arguments joined by spaces (default "y") as a line,
 * forever, until the reader goes away (SIGPIPE, or -EPIPE when it is ignored: a quiet stop) or ^C.
 * Lines go out a few KiB at a time, each write awaited, so a full pipe holds yes back.
 */
const USAGE = "Usage: yes [STRING]\n\nRepeatedly print a line with STRING, or 'y'\n";

export async function yes(argv: readonly string[], sys: Syscalls): Promise<number> {
  const line = `${argv.length > 1 ? argv.slice(1).map(utf8_to_bstr).join(" ") : "y"}\n`;
  const buf = bstr_to_bytes(line.repeat(Math.max(1, Math.floor(4096 / line.length))));
  for (let off = 0; ; ) {
    const n = await sys.write(1, off === 0 ? buf : buf.subarray(off));
    if (n <= 0) {
      if (n !== -EPIPE && n !== 0) sys.write(2, `yes: ${strerror(n)}\n`);
      return 1;
    }
    off = (off + n) % buf.length;
  }
}

export const yes_command: Command = {
  name: "yes",
  summary: "print a line repeatedly",
  usage: USAGE,
  main: yes,
};
