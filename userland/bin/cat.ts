import { strerror } from "../../include/linux/errno.ts";
import { O_RDONLY } from "../../include/uapi/fcntl.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * cat [FILE]... — copy each FILE (any path: tmpfs, /proc, /sys, /dev) or standard input ("-", or
 * no FILE) to standard output, through open/read/write. Busybox's messages ("cat: /x: No such file
 * or directory", "cat: read error: Is a directory") and exit status (1 if any FILE failed).
 */
const USAGE = "Usage: cat [FILE]...";
const HELP = `${USAGE}

Print FILEs to stdout
`;
const BUF_SIZE = 64 * 1024;

/** Copy descriptor `fd` to standard output; 0, or 1 after reporting a read error. */
async function copy(sys: Syscalls, fd: number, buf: Uint8Array): Promise<number> {
  for (;;) {
    const n = await sys.read(fd, buf);
    if (n === 0) return 0;
    if (n < 0) {
      sys.write(2, `cat: read error: ${strerror(n)}\n`);
      return 1;
    }
    const w = await sys.write(1, buf.subarray(0, n));
    if (w < 0) {
      sys.write(2, `cat: write error: ${strerror(w)}\n`);
      return 1;
    }
  }
}

export async function cat(argv: readonly string[], sys: Syscalls): Promise<number> {
  if (argv[1] === "--help") {
    print(sys, HELP);
    return 0;
  }
  const files = argv.length > 1 ? argv.slice(1) : ["-"];
  const bad = files.find((f) => f.startsWith("-") && f !== "-");
  if (bad !== undefined) {
    sys.write(2, `cat: invalid option -- '${bad[1]}'\n${USAGE}\n`);
    return 1;
  }
  const buf = new Uint8Array(BUF_SIZE);
  let status = 0;
  for (const path of files) {
    if (path === "-") {
      status |= await copy(sys, 0, buf);
      continue;
    }
    const fd = sys.open(path, O_RDONLY);
    if (fd < 0) {
      sys.write(2, `cat: ${path}: ${strerror(fd)}\n`);
      status = 1;
      continue;
    }
    status |= await copy(sys, fd, buf);
    sys.close(fd);
  }
  return status;
}

export const cat_command: Command = {
  name: "cat",
  summary: "print files (any path) or standard input",
  usage: `${USAGE}\n`,
  main: cat,
};
