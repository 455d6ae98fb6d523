import { strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { BKM_SUFFIXES, BufWriter, close_input, fail, fopen_or_warn_stdin, getopt_ordered, reader_for, show_usage, STANDARD_INPUT, utf8_to_bstr, xatou_sfx, type BufReader } from "../lib/stdio.ts";

/**
 * head (busybox coreutils/head.c, FANCY_HEAD): the first 10 lines (-n N) or N bytes (-c N) of each
 * FILE or standard input; with a "-" before N, all but the last N. N takes a b/k/m suffix (512,
 * 1024, 1048576). "-N" as the first argument is -n N. With more than one FILE each gets a
 * "==> FILE <==" header (-q never, -v always). head stops reading once it has printed enough, so a
 * writer into its pipe gets SIGPIPE. As busybox's, -c stays in force if -n follows it.
 */
const USAGE = `Usage: head [OPTIONS] [FILE]...

Print first 10 lines of FILEs (or stdin).
With more than one FILE, precede each with a filename header.

\t-n N[bkm]\tPrint first N lines
\t-n -N[bkm]\tPrint all except N last lines
\t-c [-]N[bkm]\tPrint first N bytes
\t\t\t(b:*512 k:*1024 m:*1024^2)
\t-q\t\tNever print headers
\t-v\t\tAlways print headers
`;

const NL = 0x0a;

/** print_first_N(): up to `count` lines (or bytes). */
async function first_n(r: BufReader, out: BufWriter, count: number, bytes: boolean): Promise<void> {
  while (count > 0) {
    const chunk = await r.read_chunk();
    if (chunk === null) return;
    let end = chunk.length;
    if (bytes) {
      end = Math.min(end, count);
      count -= end;
    } else {
      for (let i = 0; i < chunk.length; i++) {
        if (chunk[i] === NL && --count === 0) {
          end = i + 1;
          break;
        }
      }
    }
    await out.write(chunk.subarray(0, end));
    if (out.failed) return;
  }
}

/** print_except_N_last_bytes(): everything but the last `count` bytes. */
async function except_last_bytes(r: BufReader, out: BufWriter, count: number): Promise<void> {
  let held: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  for (let chunk = await r.read_chunk(); chunk !== null; chunk = await r.read_chunk()) {
    const all = new Uint8Array(held.length + chunk.length);
    all.set(held);
    all.set(chunk, held.length);
    const emit = Math.max(0, all.length - count);
    await out.write(all.subarray(0, emit));
    held = all.slice(emit);
    if (out.failed) return;
  }
}

/** print_except_N_last_lines(): everything but the last `count` lines (an unterminated last line counts). */
async function except_last_lines(r: BufReader, out: BufWriter, count: number): Promise<void> {
  const ring: string[] = [];
  for (let line = await r.read_line(); line !== null; line = await r.read_line()) {
    ring.push(line);
    if (ring.length > count) await out.write(ring.shift()!);
    if (out.failed) return;
  }
}

export async function head(argv: readonly string[], sys: Syscalls): Promise<number> {
  let args = argv;
  let legacy: string | null = null;
  if (argv[1] !== undefined && /^-\d/.test(argv[1])) {
    legacy = argv[1].slice(1);
    args = [argv[0]!, ...argv.slice(2)];
  }
  const o = getopt_ordered(args, "n:c:qv");
  if (typeof o === "string") return show_usage(sys, "head", USAGE, o);
  let count = 10;
  let count_bytes = false;
  let negative = false;
  let header_threshold = 1;
  const eat = (p: string): string | null => {
    if (p.startsWith("-")) {
      negative = true;
      p = p.slice(1);
    }
    const n = xatou_sfx(p, Number.MAX_SAFE_INTEGER, BKM_SUFFIXES);
    if (typeof n === "string") return n;
    count = n;
    return null;
  };
  const list: [string, string | true][] = legacy !== null ? [["n", legacy], ...o.list] : o.list;
  for (const [c, v] of list) {
    if (c === "q") header_threshold = Infinity;
    else if (c === "v") header_threshold = -1;
    else {
      if (c === "c") count_bytes = true;
      const err = eat(v as string);
      if (err !== null) return fail(sys, "head", err);
    }
  }
  const files = o.args.length > 0 ? o.args : ["-"];
  const headers = !(files.length <= header_threshold);
  const out = new BufWriter(sys);
  let status = 0;
  let first = true;
  for (const file of files) {
    const fd = fopen_or_warn_stdin(sys, "head", file);
    if (fd < 0) {
      status = 1;
      first = false;
      continue;
    }
    const name = fd === 0 ? STANDARD_INPUT : file;
    if (headers) await out.write(`${first ? "" : "\n"}==> ${utf8_to_bstr(name)} <==\n`);
    first = false;
    const r = reader_for(sys, fd, out);
    if (!negative) await first_n(r, out, count, count_bytes);
    else if (count_bytes) await except_last_bytes(r, out, count);
    else await except_last_lines(r, out, count);
    close_input(sys, fd);
    if (r.error !== 0) {
      await out.flush();
      sys.write(2, `head: ${name}: ${strerror(r.error)}\n`);
      status = 1;
    }
    if (out.failed) break;
  }
  return (await out.finish("head")) || status;
}

export const head_command: Command = {
  name: "head",
  summary: "print the first lines of files",
  usage: USAGE,
  main: head,
};
