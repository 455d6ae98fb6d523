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
import { O_NONBLOCK, O_RDWR } from "../../include/uapi/fcntl.ts";
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../../include/uapi/in.ts";
import { makedev, S_IFCHR } from "../../include/uapi/stat.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import type { Task } from "../sched/task.ts";
import { tty_input_available, tty_open, tty_read, tty_read_line, tty_read_wait, tty_write } from "../tty.ts";
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
 * n_tty_read in canonical mode for the read_line call: the next line with its newline, null at end
 * of input (^D), or -ERESTARTSYS when a signal came first; in non-canonical mode, the bytes there
 * are. `t` is the reader (process context); the input is the tty's, shared by every reader.
 */
export function console_read_line(_t: Task): Promise<string | null | number> {
  return tty_read_line();
}

/**
 * What read(2) left of a line for read_line to take first. Always null: a line read in part stays
 * in the tty (as in n_tty's read_buf), so read_line and read() take it from there in order.
 */
export function console_take_pending(_f: File): string | null {
  return null;
}

/** An open console: a decoder that keeps UTF-8 sequences split across write() calls whole. */
function console_decoder(f: File): InstanceType<typeof TextDecoder> {
  if (f.private_data === null) f.private_data = new TextDecoder();
  return f.private_data as InstanceType<typeof TextDecoder>;
}

/** tty_fops: read and poll go to the line discipline (kernel/tty.ts), write to the UART. */
const console_fops: FileOperations = {
  open: () => {
    tty_open();
    return 0;
  },
  read: (f, buf) => tty_read(buf, (f.f_flags & O_NONBLOCK) !== 0),
  write(f, data) {
    tty_write(console_decoder(f).decode(data, { stream: true }));
    return data.length;
  },
  write_text: (_f, text) => tty_write(text),
  poll: () => ({ mask: POLLOUT | POLLWRNORM | (tty_input_available() ? POLLIN | POLLRDNORM : 0), wq: tty_read_wait() }),
};

/** Is `f` an open tty (the console or /dev/tty): tty_paranoia_check's f_op == &tty_fops. */
export function is_tty_file(f: File): boolean {
  return f.f_op === console_fops;
}

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
  tty_open();
  return new File(null, console_inode.get(), console_fops, FMODE_READ | FMODE_WRITE, O_RDWR);
}

/** The inode behind the initial console descriptors (the kernel's own, not a node in /dev). */
const console_inode = DEFINE_PER_KERNEL(() => {
  const inode = anon_inode(S_IFCHR | 0o600, console_fops);
  inode.i_rdev = DEV_CONSOLE;
  return inode;
});
