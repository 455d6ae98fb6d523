import { strerror } from "../../include/linux/errno.ts";
import { O_RDONLY, SEEK_CUR, SEEK_END, SEEK_SET } from "../../include/uapi/fcntl.ts";
import { S_ISFIFO } from "../../include/uapi/stat.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { BKM_SUFFIXES, BufWriter, fail, getopt_ordered, open_or_warn_stdin, show_usage, STANDARD_INPUT, utf8_to_bstr, xatoi_positive, xatou_sfx } from "../lib/stdio.ts";

/**
 * tail (busybox coreutils/tail.c, FANCY_TAIL): the last 10 lines (-n N) or N bytes (-c N) of each
 * FILE or standard input; "+N" starts at line (byte) N instead. N takes a b/k/m suffix. With more
 * than one FILE each gets a "==> FILE <==" header (-q never, -v always).
 *
 * -f follows: as busybox, every second (-s SECONDS) on the machine's clock it sleeps
 * (nanosleep), looks at the file's size (fstat; a file that shrank is read again from its start)
 * and prints what was appended, until ^C; standard input that is a pipe is not followed. -F also
 * reopens a FILE that was replaced or appeared ("tail: F has appeared; following end of new
 * file"). A seekable FILE is read from near its end, not from its start.
 */
const USAGE = `Usage: tail [OPTIONS] [FILE]...

Print last 10 lines of FILEs (or stdin) to.
With more than one FILE, precede each with a filename header.

\t-c [+]N[bkm]\tPrint last N bytes
\t-n N[bkm]\tPrint last N lines
\t-n +N[bkm]\tStart on Nth line and print the rest
\t\t\t(b:*512 k:*1024 m:*1024^2)
\t-q\t\tNever print headers
\t-v\t\tAlways print headers
\t-f\t\tPrint data as file grows
\t-F\t\tSame as -f, but keep retrying
\t-s SECONDS\tWait SECONDS between reads with -f
`;

const NL = 0x0a;
const BUFSIZ = 8192;

function count_nl(b: Uint8Array): number {
  let n = 0;
  for (let i = b.indexOf(NL); i >= 0; i = b.indexOf(NL, i + 1)) n++;
  return n;
}

interface Tail {
  readonly sys: Syscalls;
  readonly out: BufWriter;
  readonly count: number;
  readonly from_top: boolean;
  readonly bytes: boolean;
  status: number;
}

/** tail_read(): read(2), reporting a failure as busybox ("tail: read error: …"). */
async function tail_read(t: Tail, fd: number, buf: Uint8Array): Promise<number> {
  const n = await t.sys.read(fd, buf);
  if (n < 0) {
    await t.out.flush();
    t.sys.write(2, `tail: read error: ${strerror(n)}\n`);
    t.status = 1;
  }
  return n;
}

/** Print what tail prints of one open file. */
async function tail_file(t: Tail, fd: number): Promise<void> {
  const { sys, out, count } = t;
  if (!t.from_top) {
    const size = sys.lseek(fd, 0, SEEK_END);
    if (size > 0) {
      if (t.bytes) {
        // A seekable file: only its last `count` bytes are read.
        if (count === 0) return;
        sys.lseek(fd, Math.max(0, size - count), SEEK_SET);
      } else {
        // Lines are assumed shorter than 64 KiB, as busybox does.
        sys.lseek(fd, Math.max(0, size - (count | 0xf) * 64 * 1024), SEEK_SET);
      }
    }
    // Not seekable (a pipe, the console: -ESPIPE) or empty-looking (/proc): read it all.
  }
  const buf = new Uint8Array(BUFSIZ);
  if (t.from_top) {
    let seen = 1;
    for (;;) {
      const n = await tail_read(t, fd, buf);
      if (n <= 0) return;
      let skip = 0;
      if (seen < count) {
        if (t.bytes) {
          skip = Math.min(n, count - seen);
          seen += skip;
        } else {
          while (skip < n && seen < count) if (buf[skip++] === NL) seen++;
        }
      }
      if (skip < n) await out.write(buf.subarray(skip, n));
      if (out.failed) return;
    }
  }
  // The last `count` lines or bytes: keep chunks, dropping those wholly before what is wanted.
  const chunks: Uint8Array[] = [];
  let total = 0;
  let lines = 0;
  for (;;) {
    const n = await tail_read(t, fd, buf);
    if (n <= 0) break;
    if (count === 0) continue;
    const c = buf.slice(0, n);
    chunks.push(c);
    total += n;
    lines += count_nl(c);
    for (;;) {
      const f = chunks[0]!;
      if (chunks.length < 2) break;
      if (t.bytes ? total - f.length < count : lines - count_nl(f) < count) break;
      chunks.shift();
      total -= f.length;
      lines -= count_nl(f);
    }
  }
  if (count === 0 || chunks.length === 0) return;
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  let start = 0;
  if (t.bytes) start = Math.max(0, total - count);
  else {
    // Keep the last `count` lines; an unterminated last line counts as one.
    let k = lines + (all[total - 1] !== NL ? 1 : 0) - count;
    while (k > 0 && start < total) if (all[start++] === NL) k--;
  }
  await out.write(all.subarray(start));
}

export async function tail(argv: readonly string[], sys: Syscalls): Promise<number> {
  let args = argv;
  let legacy: string | null = null;
  if (argv[1] !== undefined && /^[-+]\d/.test(argv[1])) {
    legacy = argv[1];
    args = [argv[0]!, ...argv.slice(2)];
  }
  const o = getopt_ordered(args, "fc:n:qs:vF");
  if (typeof o === "string") return show_usage(sys, "tail", USAGE, o);
  let from_top = false;
  const eat = (p: string): number | string => {
    if (p.startsWith("-")) p = p.slice(1);
    else if (p.startsWith("+")) {
      p = p.slice(1);
      from_top = true;
    }
    return xatou_sfx(p, 0xffffffff, BKM_SUFFIXES);
  };
  let count: number | string = 10;
  if (legacy !== null) count = eat(legacy);
  const c = o.value("c");
  const n = o.value("n");
  if (c !== undefined && typeof count === "number") count = eat(c);
  if (n !== undefined && typeof count === "number") count = eat(n);
  if (typeof count === "string") return fail(sys, "tail", count);
  let sleep_s = 1;
  const s = o.value("s");
  if (s !== undefined) {
    const v = xatoi_positive(s);
    if (typeof v === "string") return fail(sys, "tail", v);
    sleep_s = v;
  }
  const retry = o.has("F");
  let follow = o.has("f") || retry;
  let header_threshold = 1;
  for (const [opt] of o.list) {
    if (opt === "q") header_threshold = Infinity;
    if (opt === "v") header_threshold = 0;
  }

  const t: Tail = { sys, out: new BufWriter(sys), count, from_top, bytes: c !== undefined, status: 0 };
  let names = o.args;
  const no_args = names.length === 0;
  if (no_args) {
    const st = sys.fstat(0);
    if (typeof st !== "number" && S_ISFIFO(st.st_mode)) follow = false;
    names = ["-"];
  }
  const files: { name: string; fd: number }[] = [];
  for (const name of names) {
    const fd = open_or_warn_stdin(sys, "tail", name);
    if (fd < 0 && !retry) {
      t.status = 1;
      continue;
    }
    files.push({ name: no_args ? STANDARD_INPUT : name, fd });
  }
  if (files.length === 0) return fail(sys, "tail", "no files");
  const headers = files.length > header_threshold;

  let first = true;
  for (const f of files) {
    if (f.fd < 0) continue;
    if (headers) await t.out.write(`${first ? "" : "\n"}==> ${utf8_to_bstr(f.name)} <==\n`);
    first = false;
    await tail_file(t, f.fd);
    if (t.out.failed) return t.out.finish("tail");
  }
  if (!(await t.out.flush()) || !follow) return (await t.out.finish("tail")) || t.status;

  // Follow: sleep, then print what was added to each file, forever (^C ends tail).
  let prev_fd = files[files.length - 1]!.fd;
  const buf = new Uint8Array(BUFSIZ);
  for (;;) {
    // -s 0 would spin without letting the machine's clock move: wait at least a millisecond.
    if ((await sys.nanosleep(Math.max(sleep_s * 1e9, 1e6))) < 0) break;
    for (const f of files) {
      let new_fd = -1;
      if (retry) {
        const fst = f.fd >= 0 ? sys.fstat(f.fd) : -1;
        const pst = sys.stat(f.name);
        if (typeof fst === "number" || typeof pst === "number" || fst.st_dev !== pst.st_dev || fst.st_ino !== pst.st_ino) {
          new_fd = sys.open(f.name, O_RDONLY);
          if (new_fd >= 0) {
            await t.out.flush();
            sys.write(2, `tail: ${f.name} has ${f.fd < 0 ? "appeared" : "been replaced"}; following end of new file\n`);
            if (f.fd < 0) {
              f.fd = new_fd;
              new_fd = -1;
            }
          } else if (f.fd >= 0) {
            sys.write(2, `tail: ${f.name} has been renamed or deleted: ${strerror(new_fd)}\n`);
          }
        }
      }
      if (f.fd < 0) continue;
      for (;;) {
        const st = sys.fstat(f.fd);
        if (typeof st !== "number" && st.st_size > 0 && st.st_size < sys.lseek(f.fd, 0, SEEK_CUR)) sys.lseek(f.fd, 0, SEEK_SET);
        const n = await tail_read(t, f.fd, buf);
        if (n <= 0) {
          if (new_fd < 0) break;
          // Switch to the new file (tail -F).
          sys.close(f.fd);
          f.fd = new_fd;
          new_fd = -1;
          continue;
        }
        if (headers && f.fd !== prev_fd) {
          await t.out.write(`\n==> ${utf8_to_bstr(f.name)} <==\n`);
          prev_fd = f.fd;
        }
        await t.out.write(buf.subarray(0, n));
        if (!(await t.out.flush())) return t.out.finish("tail");
      }
    }
  }
  return (await t.out.finish("tail")) || t.status;
}

export const tail_command: Command = {
  name: "tail",
  summary: "print the last lines of files",
  usage: USAGE,
  main: tail,
};
