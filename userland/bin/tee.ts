import { EPIPE, strerror } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import { O_APPEND, O_CREAT, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { BufReader, getopt_ordered, show_usage } from "../lib/stdio.ts";

/**
 * tee [-ai] [FILE]... (busybox coreutils/tee.c): copy standard input to each FILE and to standard
 * output, unbuffered: each block read is written to every output (awaited) before the next read.
 * -a appends instead of truncating; -i ignores SIGINT; a FILE "-" is standard output again. A FILE
 * that cannot be opened is reported ("tee: /x: No such file or directory") and skipped, exit
 * status 1; an output that fails is reported at the end as busybox does ("tee: F: I/O error").
 * When standard output's reader goes away tee keeps writing the files, and exits 1.
 */
const USAGE = `Usage: tee [-ai] [FILE]...

Copy stdin to each FILE, and also to stdout

\t-a\tAppend to the given FILEs, don't overwrite
\t-i\tIgnore interrupt signals (SIGINT)
`;

interface Output {
  readonly name: string;
  readonly fd: number;
  error: number;
}

/** write(2) all of `data`; 0, or the negative errno that stopped it. */
async function full_write(sys: Syscalls, fd: number, data: Uint8Array): Promise<number> {
  for (let off = 0; off < data.length; ) {
    const n = await sys.write(fd, data.subarray(off));
    if (n <= 0) return n < 0 ? n : -EPIPE;
    off += n;
  }
  return 0;
}

export async function tee(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt_ordered(argv, "ia");
  if (typeof o === "string") return show_usage(sys, "tee", USAGE, o);
  if (o.has("i")) sys.sigaction(SIGINT, "ignore");
  const flags = O_WRONLY | O_CREAT | (o.has("a") ? O_APPEND : O_TRUNC);
  let status = 0;
  const outputs: Output[] = [{ name: "standard output", fd: 1, error: 0 }];
  for (const name of o.args) {
    if (name === "-") {
      outputs.push({ name, fd: 1, error: 0 });
      continue;
    }
    const fd = sys.open(name, flags, 0o666);
    if (fd < 0) {
      sys.write(2, `tee: ${name}: ${strerror(fd)}\n`);
      status = 1;
      continue;
    }
    outputs.push({ name, fd, error: 0 });
  }
  const r = new BufReader(sys, 0);
  for (let chunk = await r.read_chunk(); chunk !== null; chunk = await r.read_chunk()) {
    for (const out of outputs) if (out.error === 0) out.error = await full_write(sys, out.fd, chunk);
  }
  for (const out of outputs) if (out.fd !== 1) sys.close(out.fd);
  if (r.error !== 0) {
    sys.write(2, "tee: standard input: I/O error\n");
    return 1;
  }
  for (const out of outputs.slice(1)) {
    if (out.error !== 0 && !(out.fd === 1 && out.error === -EPIPE)) {
      sys.write(2, `tee: ${out.name}: I/O error\n`);
      return 1;
    }
  }
  if (outputs[0]!.error !== 0) {
    if (outputs[0]!.error !== -EPIPE) sys.write(2, `tee: write error: ${strerror(outputs[0]!.error)}\n`);
    return 1;
  }
  return status;
}

export const tee_command: Command = {
  name: "tee",
  summary: "copy standard input to files and standard output",
  usage: USAGE,
  main: tee,
};
