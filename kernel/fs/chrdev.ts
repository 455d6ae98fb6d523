/**
 * Character devices (fs/char_dev.c) and the built-in ones: the memory devices of
 * drivers/char/mem.c (/dev/null, zero, full, random, urandom) and the console
 * (drivers/tty/tty_io.c's tty_fops over kernel/tty.ts). A device node's inode carries only a
 * device number; opening it finds the driver's file operations here (chrdev_open).
 *
 * random/urandom: a per-boot xorshift128+ generator seeded from the kernel command line, so a
 * machine's "random" bytes replay exactly (tests are deterministic). Not for cryptography.
 */
import { ENOSPC } from "../../include/linux/errno.ts";
import { O_RDWR } from "../../include/uapi/fcntl.ts";
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../../include/uapi/in.ts";
import { makedev, S_IFCHR } from "../../include/uapi/stat.ts";
import { SIGKILL } from "../../include/linux/sched.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import { kthread_run } from "../kthread.ts";
import { get_current, send_sig } from "../sched/core.ts";
import type { Task } from "../sched/task.ts";
import { init_waitqueue_head, wait_event_interruptible, wake_up_all, type WaitQueueHead } from "../sched/wait.ts";
import { tty_read_line, tty_write } from "../tty.ts";
import { File, FMODE_READ, FMODE_WRITE, type FileOperations } from "./file.ts";
import { anon_inode } from "./anon_inodes.ts";
import { noop_llseek } from "./read_write.ts";

export const MEM_MAJOR = 1;
export const TTYAUX_MAJOR = 5;
export const DEV_NULL = makedev(MEM_MAJOR, 3);
export const DEV_ZERO = makedev(MEM_MAJOR, 5);
export const DEV_FULL = makedev(MEM_MAJOR, 7);
export const DEV_RANDOM = makedev(MEM_MAJOR, 8);
export const DEV_URANDOM = makedev(MEM_MAJOR, 9);
export const DEV_TTY = makedev(TTYAUX_MAJOR, 0);
export const DEV_CONSOLE = makedev(TTYAUX_MAJOR, 1);

/* ---- the memory devices ---- */

const null_fops: FileOperations = {
  read: () => 0,
  write: (_f, data) => data.length,
  llseek: noop_llseek,
};

const zero_fops: FileOperations = {
  read(_f, buf) {
    buf.fill(0);
    return buf.length;
  },
  write: (_f, data) => data.length,
  llseek: noop_llseek,
};

const full_fops: FileOperations = {
  read: zero_fops.read,
  write: () => -ENOSPC,
  llseek: noop_llseek,
};

/** xorshift128+ state per kernel, seeded by FNV-1a of the command line. */
const prng = DEFINE_PER_KERNEL((k) => {
  let h = 0x811c9dc5;
  for (const c of `${k.platform.firmware.cmdline}#${k.id}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  const s = new BigUint64Array(2);
  s[0] = BigInt(h) | 0x9e3779b97f4a7c15n;
  s[1] = BigInt(h) * 0x2545f4914f6cdd1dn;
  return s;
});

/** get_random_bytes(): fill `buf` from the kernel's generator. Any context. */
export function get_random_bytes(buf: Uint8Array): void {
  const s = prng.get();
  const mask = 0xffffffffffffffffn;
  for (let i = 0; i < buf.length; i += 8) {
    let s1 = s[0]!;
    const s0 = s[1]!;
    s[0] = s0;
    s1 ^= (s1 << 23n) & mask;
    s[1] = s1 ^ s0 ^ (s1 >> 17n) ^ (s0 >> 26n);
    let r = (s[1]! + s0) & mask;
    for (let j = 0; j < 8 && i + j < buf.length; j++, r >>= 8n) buf[i + j] = Number(r & 0xffn);
  }
}

const random_fops: FileOperations = {
  read(_f, buf) {
    get_random_bytes(buf);
    return buf.length;
  },
  write: (_f, data) => data.length, // entropy offered by userland is accepted and not credited
  llseek: noop_llseek,
};

/* ---- the console ---- */

/**
 * Standard input made pollable. The console's line discipline (kernel/tty.ts) offers only a
 * blocking read, so the first poll() of the console by a task starts a reader thread for it that
 * reads one line ahead into `lines` and wakes `wq`; that task's reads then take their lines from
 * here. The thread is stopped (by a signal) when the task exits; a line it had read and nobody took
 * is lost, as unread input in a dying process's buffer is.
 */
class StdinReader {
  readonly lines: (string | null)[] = [];
  readonly wq: WaitQueueHead = init_waitqueue_head("stdin");
  task: Task | null = null;
  stopped = false;
}
const stdin_readers = DEFINE_PER_KERNEL(() => new WeakMap<Task, StdinReader>());

function stdin_reader(t: Task): StdinReader {
  const map = stdin_readers.get();
  const known = map.get(t);
  if (known !== undefined) return known;
  const reader = new StdinReader();
  map.set(t, reader);
  reader.task = kthread_run(
    async () => {
      while (!reader.stopped) {
        if (reader.lines.length > 0) {
          if ((await wait_event_interruptible(reader.wq, () => reader.lines.length === 0 || reader.stopped)) < 0) break;
          continue;
        }
        const line = await tty_read_line();
        if (typeof line === "number") break;
        reader.lines.push(line);
        wake_up_all(reader.wq);
      }
    },
    null,
    "stdin_reader",
  );
  t.on_exit.push(() => {
    reader.stopped = true;
    if (reader.task !== null && !reader.task.exited) send_sig(SIGKILL, reader.task);
  });
  return reader;
}

/**
 * n_tty_read in canonical mode for task `t`: the next line with its newline, null at end of input
 * (^D), or -ERESTARTSYS when a signal came first. Process context.
 */
export async function console_read_line(t: Task): Promise<string | null | number> {
  const reader = stdin_readers.get().get(t);
  if (reader === undefined) return tty_read_line();
  const w = await wait_event_interruptible(reader.wq, () => reader.lines.length > 0);
  if (w < 0) return w;
  const line = reader.lines.shift()!;
  wake_up_all(reader.wq);
  return line;
}

/** An open console: bytes of a line not yet read, and a decoder that keeps split UTF-8 sequences. */
interface ConsoleFile {
  pending: Uint8Array;
  decoder: InstanceType<typeof TextDecoder>;
}

function console_state(f: File): ConsoleFile {
  if (f.private_data === null) f.private_data = { pending: new Uint8Array(0), decoder: new TextDecoder() } satisfies ConsoleFile;
  return f.private_data as ConsoleFile;
}

/** A line that read(2) left partly unread (read_line takes it before reading more). */
export function console_take_pending(f: File): string | null {
  const st = console_state(f);
  if (st.pending.length === 0) return null;
  const s = new TextDecoder().decode(st.pending);
  st.pending = new Uint8Array(0);
  return s;
}

const console_fops: FileOperations = {
  async read(f, buf) {
    const st = console_state(f);
    if (st.pending.length === 0) {
      const t = get_current();
      if (t === null) return 0;
      const line = await console_read_line(t);
      if (typeof line === "number") return line;
      if (line === null) return 0;
      st.pending = new TextEncoder().encode(line);
    }
    const n = Math.min(buf.length, st.pending.length);
    buf.set(st.pending.subarray(0, n));
    st.pending = st.pending.subarray(n);
    return n;
  },
  write(f, data) {
    tty_write(console_state(f).decoder.decode(data, { stream: true }));
    return data.length;
  },
  write_text: (_f, text) => tty_write(text),
  poll(f) {
    const t = get_current();
    const out = POLLOUT | POLLWRNORM;
    if (t === null) return { mask: out, wq: null };
    const r = stdin_reader(t);
    const readable = r.lines.length > 0 || console_state(f).pending.length > 0;
    return { mask: out | (readable ? POLLIN | POLLRDNORM : 0), wq: r.wq };
  },
};

/* ---- the registry ---- */

interface CharDevice {
  name: string;
  fops: FileOperations;
}

/** The character devices by number (register_chrdev_region + cdev_add). */
const chrdevs = DEFINE_PER_KERNEL(
  () =>
    new Map<number, CharDevice>([
      [DEV_NULL, { name: "null", fops: null_fops }],
      [DEV_ZERO, { name: "zero", fops: zero_fops }],
      [DEV_FULL, { name: "full", fops: full_fops }],
      [DEV_RANDOM, { name: "random", fops: random_fops }],
      [DEV_URANDOM, { name: "urandom", fops: random_fops }],
      [DEV_TTY, { name: "tty", fops: console_fops }],
      [DEV_CONSOLE, { name: "console", fops: console_fops }],
    ]),
);

export function register_chrdev(dev: number, name: string, fops: FileOperations): void {
  chrdevs.get().set(dev, { name, fops });
}

/** chrdev_open(): the driver's operations for device number `rdev`, or undefined (-ENXIO). */
export function chrdev_fops(rdev: number): FileOperations | undefined {
  return chrdevs.get().get(rdev)?.fops;
}

/** The device nodes rootfs puts in /dev: name, number, permissions. */
export const DEFAULT_DEV_NODES: readonly { name: string; rdev: number; perm: number }[] = [
  { name: "console", rdev: DEV_CONSOLE, perm: 0o600 },
  { name: "full", rdev: DEV_FULL, perm: 0o666 },
  { name: "null", rdev: DEV_NULL, perm: 0o666 },
  { name: "random", rdev: DEV_RANDOM, perm: 0o666 },
  { name: "tty", rdev: DEV_TTY, perm: 0o666 },
  { name: "urandom", rdev: DEV_URANDOM, perm: 0o666 },
  { name: "zero", rdev: DEV_ZERO, perm: 0o666 },
];

/** The console opened for reading and writing, as init's descriptors 0, 1 and 2 are. */
export function open_console(): File {
  return new File(null, console_inode.get(), console_fops, FMODE_READ | FMODE_WRITE, O_RDWR);
}

/** The inode behind the initial console descriptors (the kernel's own, not a node in /dev). */
const console_inode = DEFINE_PER_KERNEL(() => {
  const inode = anon_inode(S_IFCHR | 0o600, console_fops);
  inode.i_rdev = DEV_CONSOLE;
  return inode;
});
