/**
 * Pipes (fs/pipe.c): pipe2(2)'s pair of files over one pipe_inode_info on the pipefs pseudo file
 * system (never mounted; fstat shows S_IFIFO, /proc/PID/fd shows "pipe:[INO]").
 *
 * The buffer holds PIPE_DEF_BUFFERS pages (64 KiB, Linux's default pipe size), kept as one byte
 * ring here instead of page slots; what a user sees is the same: a writer blocks while the pipe is
 * full and a reader while it is empty, a write of at most PIPE_BUF bytes is atomic (it waits until
 * it fits whole, never interleaving with another writer's), a longer one goes in pieces as room
 * appears (a slot's worth, PIPE_BUF, at a time). read returns 0 once every write end is closed;
 * write fails with -EPIPE once every read end is (the system-call layer raises SIGPIPE for it).
 * O_NONBLOCK makes either side return -EAGAIN instead of waiting. Sleeps are interruptible: a
 * signal ends them with -ERESTARTSYS (or the bytes written so far), which the caller turns into
 * -EINTR or the process's end (handle_signal).
 *
 * Both sides sleep on, and poll through, one wait queue (pipe->wait, as Linux had before 5.5).
 * Reads and writes that need not wait complete synchronously (a number, not a promise), so a
 * program that does not await a short write into a pipe with room loses nothing.
 */
import { EAGAIN, EPIPE, ERESTARTSYS } from "../../include/linux/errno.ts";
import { PAGE_SIZE } from "../../include/linux/gfp.ts";
import { O_NONBLOCK, O_RDONLY, O_WRONLY } from "../../include/uapi/fcntl.ts";
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../../include/uapi/in.ts";
import { S_IFDIR, S_IFIFO, type Statfs } from "../../include/uapi/stat.ts";
import { SIGPIPE } from "../../include/linux/sched.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import { get_current, send_sig } from "../sched/core.ts";
import { init_waitqueue_head, wait_event_interruptible, wake_up_interruptible, type WaitQueueHead } from "../sched/wait.ts";
import { Dentry } from "./dcache.ts";
import { File, FMODE_READ, FMODE_WRITE, type FileOperations } from "./file.ts";
import { Inode, SuperBlock, type FileSystemType } from "./inode.ts";

/** Bytes a write may have and still be atomic (include/uapi/linux/limits.h). */
export const PIPE_BUF = 4096;
/** Pages in a new pipe (include/linux/pipe_fs_i.h): 16, so 64 KiB. */
export const PIPE_DEF_BUFFERS = 16;
export const PIPE_SIZE = PIPE_DEF_BUFFERS * PAGE_SIZE;
/** PIPEFS_MAGIC (include/uapi/linux/magic.h). */
const PIPEFS_MAGIC = 0x50495045;

/** struct pipe_inode_info: the ring and who holds the pipe's two ends. */
export class PipeInodeInfo {
  /** The ring, made on the first write and let go when both ends are closed. */
  buf: Uint8Array | null = null;
  /** Where the oldest unread byte is, and how many bytes are unread. */
  head = 0;
  len = 0;
  /** Open files on each end (a dup shares its file: it is not counted again). */
  readers = 0;
  writers = 0;
  readonly wait: WaitQueueHead = init_waitqueue_head("pipe");

  get free(): number {
    return PIPE_SIZE - this.len;
  }
}

const pipefs_type: FileSystemType = {
  name: "pipefs",
  nodev: true,
  mount: () => {
    const sb = new SuperBlock(pipefs_type, {
      statfs: (): Statfs => ({ f_type: PIPEFS_MAGIC, f_bsize: 4096, f_blocks: 0, f_bfree: 0, f_bavail: 0, f_files: 0, f_ffree: 0, f_namelen: 255, f_frsize: 4096, f_flags: 0 }),
    });
    sb.s_root = new Dentry("/", null, new Inode(sb, S_IFDIR | 0o755, {}, {}));
    return sb;
  },
};
const pipe_mnt = DEFINE_PER_KERNEL(() => pipefs_type.mount("", 0, "") as SuperBlock);

function pipe_of(f: File): PipeInodeInfo {
  return f.f_inode.i_private as PipeInodeInfo;
}

/** Take up to buf.length bytes out of the ring (there is at least one). */
function copy_out(pipe: PipeInodeInfo, buf: Uint8Array): number {
  const ring = pipe.buf!;
  const n = Math.min(buf.length, pipe.len);
  const first = Math.min(n, PIPE_SIZE - pipe.head);
  buf.set(ring.subarray(pipe.head, pipe.head + first));
  if (n > first) buf.set(ring.subarray(0, n - first), first);
  pipe.head = (pipe.head + n) % PIPE_SIZE;
  pipe.len -= n;
  if (pipe.len === 0) pipe.head = 0;
  wake_up_interruptible(pipe.wait);
  return n;
}

/** Put up to `data.length` bytes into the ring, as many as fit; returns how many. */
function copy_in(pipe: PipeInodeInfo, data: Uint8Array): number {
  const ring = (pipe.buf ??= new Uint8Array(PIPE_SIZE));
  const n = Math.min(data.length, pipe.free);
  const tail = (pipe.head + pipe.len) % PIPE_SIZE;
  const first = Math.min(n, PIPE_SIZE - tail);
  ring.set(data.subarray(0, first), tail);
  if (n > first) ring.set(data.subarray(first, n), 0);
  pipe.len += n;
  if (n > 0) wake_up_interruptible(pipe.wait);
  return n;
}

/** pipe_read(): bytes read, 0 once the pipe is empty with no writer left, -EAGAIN, -ERESTARTSYS. */
function pipe_read(f: File, buf: Uint8Array): number | Promise<number> {
  const pipe = pipe_of(f);
  if (pipe.len > 0) return copy_out(pipe, buf);
  if (pipe.writers === 0) return 0;
  if ((f.f_flags & O_NONBLOCK) !== 0) return -EAGAIN;
  return pipe_read_wait(pipe, buf);
}

async function pipe_read_wait(pipe: PipeInodeInfo, buf: Uint8Array): Promise<number> {
  for (;;) {
    const r = await wait_event_interruptible(pipe.wait, () => pipe.len > 0 || pipe.writers === 0);
    if (r < 0) return r;
    if (pipe.len > 0) return copy_out(pipe, buf);
    if (pipe.writers === 0) return 0;
  }
}

/**
 * pipe_write(): bytes written, or -EPIPE (no reader: nothing was written), -EAGAIN (O_NONBLOCK and
 * no room), -ERESTARTSYS (a signal before anything was written). A write cut short by the last
 * reader going or by a signal returns what it wrote.
 */
function pipe_write(f: File, data: Uint8Array): number | Promise<number> {
  const pipe = pipe_of(f);
  if (pipe.readers === 0) return -EPIPE;
  const total = data.length;
  if (total === 0) return 0;
  const atomic = total <= PIPE_BUF;
  if (atomic) {
    if (pipe.free >= total) return copy_in(pipe, data);
  } else {
    const done = copy_in(pipe, data);
    if (done === total) return done;
    if (done > 0 && (f.f_flags & O_NONBLOCK) !== 0) return done;
    data = data.subarray(done);
    if ((f.f_flags & O_NONBLOCK) === 0) return pipe_write_wait(pipe, data, done);
  }
  if ((f.f_flags & O_NONBLOCK) !== 0) return -EAGAIN;
  return pipe_write_wait(pipe, data, 0);
}

/** The sleeping part of pipe_write: `done` bytes are in already, `rest` still to go. */
async function pipe_write_wait(pipe: PipeInodeInfo, rest: Uint8Array, done: number): Promise<number> {
  const atomic = done === 0 && rest.length <= PIPE_BUF;
  while (rest.length > 0) {
    const need = atomic ? rest.length : Math.min(rest.length, PIPE_BUF);
    const r = await wait_event_interruptible(pipe.wait, () => pipe.readers === 0 || pipe.free >= need);
    if (pipe.readers === 0) {
      if (done === 0) return -EPIPE; // SIGPIPE comes from the system-call layer with the errno
      // Some bytes went in before the last reader left: the write returns their count and
      // SIGPIPE is raised all the same (fs/pipe.c), to be acted on as the call returns.
      const t = get_current();
      if (t !== null) send_sig(SIGPIPE, t);
      return done;
    }
    if (r < 0) return done > 0 ? done : -ERESTARTSYS;
    const n = copy_in(pipe, rest);
    done += n;
    rest = rest.subarray(n);
  }
  return done;
}

/** pipe_poll(): readable / hung up on the read end, writable (a slot free) / error on the write end. */
function pipe_poll(f: File): { mask: number; wq: WaitQueueHead } {
  const pipe = pipe_of(f);
  let mask = 0;
  if ((f.f_mode & FMODE_READ) !== 0) {
    if (pipe.len > 0) mask |= POLLIN | POLLRDNORM;
    if (pipe.writers === 0) mask |= POLLHUP;
  }
  if ((f.f_mode & FMODE_WRITE) !== 0) {
    if (pipe.free >= PIPE_BUF) mask |= POLLOUT | POLLWRNORM;
    if (pipe.readers === 0) mask |= POLLERR;
  }
  return { mask, wq: pipe.wait };
}

/** pipe_release(): one end's last descriptor is gone; the other side learns of it (EOF, EPIPE). */
function pipe_release(f: File): void {
  const pipe = pipe_of(f);
  if ((f.f_mode & FMODE_READ) !== 0) pipe.readers--;
  if ((f.f_mode & FMODE_WRITE) !== 0) pipe.writers--;
  if (pipe.readers === 0 && pipe.writers === 0) pipe.buf = null;
  wake_up_interruptible(pipe.wait);
}

/** pipefifo_fops. No llseek: lseek on a pipe is -ESPIPE (vfs_llseek's answer for such files). */
const pipefifo_fops: FileOperations = {
  read: pipe_read,
  write: pipe_write,
  poll: pipe_poll,
  release: pipe_release,
};

/**
 * create_pipe_files(): the read end (O_RDONLY) and the write end (O_WRONLY) of a new pipe, with
 * O_NONBLOCK from `flags` in both. The caller installs them (and their O_CLOEXEC).
 */
export function create_pipe_files(flags: number): [File, File] {
  const inode = new Inode(pipe_mnt.get(), S_IFIFO | 0o600, {}, pipefifo_fops);
  const pipe = new PipeInodeInfo();
  inode.i_private = pipe;
  const status = flags & O_NONBLOCK;
  const r = new File(null, inode, pipefifo_fops, FMODE_READ, O_RDONLY | status);
  const w = new File(null, inode, pipefifo_fops, FMODE_WRITE, O_WRONLY | status);
  pipe.readers = 1;
  pipe.writers = 1;
  return [r, w];
}

/** Is `f` one end of a pipe (for /proc/PID/fd's "pipe:[INO]")? */
export function is_pipe_file(f: File): boolean {
  return f.f_op === pipefifo_fops;
}

/** Bytes waiting in the pipe behind `f` (FIONREAD), or null when `f` is not a pipe. */
export function pipe_unread(f: File): number | null {
  return is_pipe_file(f) ? pipe_of(f).len : null;
}
