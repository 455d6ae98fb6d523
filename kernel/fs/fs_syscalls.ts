/**
 * The file system calls a process gets (include/uapi/syscalls.ts FileSyscalls), bound to its task:
 * descriptor lookups, then the VFS. Sleeping calls are interruptible as the rest of the system-call
 * layer's are (handle_signal). A task that moves a lot of data through files that never sleep
 * (tmpfs, /dev/zero) gives up the CPU in read() every FILE_IO_YIELD_BYTES (cond_resched), so other
 * tasks, timers and ^C still get their turn, and a fatal signal is acted on there.
 */
import { EBADF, EINVAL, ENOENT, ERESTARTSYS, EFBIG, EPIPE } from "../../include/linux/errno.ts";
import { F_DUPFD, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_NONBLOCK, O_RDONLY, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import type { FileSyscalls } from "../../include/uapi/syscalls.ts";
import { major, S_ISCHR, S_ISREG } from "../../include/uapi/stat.ts";
import { handle_signal, process_info, ProcessExit } from "../process.ts";
import { cond_resched } from "../sched/core.ts";
import type { Task } from "../sched/task.ts";
import { inet_control } from "../net_control.ts";
import { TTYAUX_MAJOR } from "./chrdev.ts";
import { alloc_fd, close_fd, do_dup, fd_install, fget, FMODE_WRITE, fput, type File, type FilesStruct } from "./file.ts";
import { task_files, task_fs } from "./fs_struct.ts";
import { is_kernfs_sb, kernfs_dentry_path } from "./kernfs_vfs.ts";
import { kernfs_readdir } from "./kernfs.ts";
import { walk_parent } from "./namei.ts";
import { do_mkdir, do_rename, do_rmdir, do_symlink, do_unlink } from "./namei_ops.ts";
import { do_chdir, do_filp_open, do_ftruncate, do_getcwd, do_mount_path, do_truncate_path, do_umount_path, nameidata } from "./open.ts";
import { vfs_getdents, vfs_llseek, vfs_read, vfs_write } from "./read_write.ts";
import { sock_from_file } from "./sockfs.ts";
import { do_chmod, do_utimes, generic_fillattr, vfs_readlink, vfs_stat, vfs_statfs } from "./stat.ts";

/** Bytes of non-sleeping file I/O after which a task yields. */
export const FILE_IO_YIELD_BYTES = 64 * 1024;
/** The largest file read_file reads whole (-EFBIG beyond: read() it in pieces). */
const READ_FILE_MAX = 256 * 1024 * 1024;
/** What read_file takes from a device that has no end (/dev/zero, /dev/urandom). */
const DEVICE_READ_MAX = 4096;
/** getdents' default batch. */
const GETDENTS_COUNT = 128;

/** SIGPIPE (include/uapi/asm-generic/signal.h): a write to a connection or pipe shut for writing. */
const SIGPIPE = 13;

/**
 * -EPIPE from a write or send: SIGPIPE, unless MSG_NOSIGNAL (`nosignal`; net/core/stream.c
 * sk_stream_error, fs/pipe.c pipe_write). Its default action ends the process; ignored, the call
 * returns -EPIPE.
 */
export function sigpipe(t: Task, r: number, nosignal: boolean): number {
  if (r !== -EPIPE || nosignal) return r;
  const d = process_info(t)?.disposition[SIGPIPE] ?? "default";
  if (d === "default") throw new ProcessExit(128 + SIGPIPE);
  if (d === "catch") t.sigpending |= 1 << SIGPIPE;
  return r;
}

/** UTF-8 length of a string without making the bytes. */
function utf8_length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Account `n` bytes read without sleeping; past FILE_IO_YIELD_BYTES (writes count too), yield and
 * act on a fatal signal (signal delivery on the way back to user space).
 */
async function io_account(t: Task, files: FilesStruct, n: number, slept: boolean): Promise<void> {
  if (slept) {
    files.io_since_yield = 0;
    return;
  }
  files.io_since_yield += Math.max(n, 1);
  if (files.io_since_yield < FILE_IO_YIELD_BYTES) return;
  files.io_since_yield = 0;
  await cond_resched();
  if (t.sigpending !== 0) handle_signal(t, -ERESTARTSYS);
}

/** Read a whole file that does not sleep (tmpfs, kernfs, memory devices). */
function read_whole(f: File): Uint8Array | number {
  const inode = f.f_inode;
  if (S_ISCHR(inode.i_mode)) {
    if (major(inode.i_rdev) === TTYAUX_MAJOR) return -EINVAL; // the console waits for input: use read()
    const buf = new Uint8Array(DEVICE_READ_MAX);
    const r = vfs_read(f, buf);
    if (typeof r !== "number") return -EINVAL;
    return r < 0 ? r : buf.slice(0, r);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (inode.i_size > READ_FILE_MAX) return -EFBIG;
  let size = S_ISREG(inode.i_mode) ? Math.max(inode.i_size, 4096) : 4096;
  for (;;) {
    const buf = new Uint8Array(size);
    const r = vfs_read(f, buf);
    if (typeof r !== "number") return -EINVAL; // a file that sleeps: read() it instead
    if (r < 0) return r;
    if (r === 0) break;
    chunks.push(r === buf.length ? buf : buf.subarray(0, r));
    total += r;
    if (total > READ_FILE_MAX) return -EFBIG;
    size = Math.min(size * 2, 1 << 24);
  }
  if (chunks.length === 1) return chunks[0]!.slice();
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** The file system calls for task `t`. */
export function fs_syscalls_for(t: Task): FileSyscalls {
  const files = (): FilesStruct => task_files(t);
  const fs = () => task_fs(t);
  const file = (fd: number): File | undefined => fget(files(), fd);
  /** Kernel threads (tests, in-kernel users) may name sockets by the socket layer's own numbers. */
  const kthread = process_info(t) === undefined;

  const install = (f: File | number, cloexec: boolean): number => {
    if (typeof f === "number") return f;
    const fd = alloc_fd(files());
    if (fd < 0) {
      fput(f);
      return fd;
    }
    fd_install(files(), fd, f, cloexec);
    return fd;
  };

  /**
   * write(2). Programs often do not await their writes (print()), so a write that does not sleep
   * does its work and acts on its result (SIGPIPE) before returning, and never yields the CPU here:
   * yielding inside a call nobody awaits would end the task's step while its code runs on. The
   * bytes count towards the next read's yield instead.
   */
  const write = (fd: number, data: string | Uint8Array): Promise<number> => {
    const f = file(fd);
    if (f === undefined) return Promise.resolve(-EBADF);
    if (typeof data === "string" && f.f_op.write_text !== undefined && (f.f_mode & FMODE_WRITE) !== 0) {
      // The console takes text as it is: no UTF-8 round trip for every line a tool prints.
      f.f_op.write_text(f, data);
      return Promise.resolve(utf8_length(data));
    }
    const r = vfs_write(f, typeof data === "string" ? new TextEncoder().encode(data) : data);
    if (typeof r === "number") {
      if (r > 0) files().io_since_yield += r;
      return Promise.resolve(sigpipe(t, r, false));
    }
    return r.then((v) => sigpipe(t, handle_signal(t, v), false));
  };

  return {
    open: (path, flags, mode = 0o666) => install(do_filp_open(fs(), path, flags, mode), (flags & O_CLOEXEC) !== 0),
    async read(fd, buf) {
      const f = file(fd);
      if (f === undefined) return -EBADF;
      let r = vfs_read(f, buf);
      const slept = typeof r !== "number";
      if (slept) r = await r;
      r = handle_signal(t, r as number);
      await io_account(t, files(), Math.max(0, r), slept);
      return r;
    },
    write,
    lseek(fd, offset, whence) {
      const f = file(fd);
      return f === undefined ? -EBADF : vfs_llseek(f, offset, whence);
    },
    close(fd) {
      const r = close_fd(files(), fd);
      if (r === -EBADF && kthread) return inet_control()?.close(fd) ?? -EBADF;
      return r;
    },
    dup: (fd) => do_dup(files(), fd, -1),
    dup2: (oldfd, newfd) => do_dup(files(), oldfd, newfd),
    fcntl(fd, cmd, arg = 0) {
      const f = file(fd);
      if (f === undefined) return kthread ? (inet_control()?.fcntl(fd, cmd, arg) ?? -EBADF) : -EBADF;
      const fl = files();
      switch (cmd) {
        case F_DUPFD:
          return do_dup(fl, fd, -1, arg);
        case F_GETFD:
          return fl.close_on_exec.has(fd) ? FD_CLOEXEC : 0;
        case F_SETFD:
          if (arg & FD_CLOEXEC) fl.close_on_exec.add(fd);
          else fl.close_on_exec.delete(fd);
          return 0;
      }
      const sock = sock_from_file(f);
      if (sock !== null) return inet_control()?.fcntl(sock, cmd, arg) ?? -EBADF;
      if (cmd === F_GETFL) return f.f_flags;
      if (cmd === F_SETFL) {
        f.f_flags = (f.f_flags & ~(O_APPEND | O_NONBLOCK)) | (arg & (O_APPEND | O_NONBLOCK));
        return 0;
      }
      return -EINVAL;
    },
    stat: (path) => vfs_stat(fs(), path, true),
    lstat: (path) => vfs_stat(fs(), path, false),
    fstat(fd) {
      const f = file(fd);
      return f === undefined ? -EBADF : generic_fillattr(f.f_inode);
    },
    statfs: (path) => vfs_statfs(fs(), path),
    getdents(fd, count = GETDENTS_COUNT) {
      const f = file(fd);
      return f === undefined ? -EBADF : vfs_getdents(f, count);
    },
    mkdir: (path, mode = 0o777) => do_mkdir(fs(), path, mode),
    rmdir: (path) => do_rmdir(fs(), path),
    unlink: (path) => do_unlink(fs(), path),
    rename: (oldpath, newpath) => do_rename(fs(), oldpath, newpath),
    symlink: (target, linkpath) => do_symlink(fs(), target, linkpath),
    readlink: (path) => vfs_readlink(fs(), path),
    utimensat: (path, times, flags = 0) => do_utimes(fs(), path, times, flags),
    chmod: (path, mode) => do_chmod(fs(), path, mode),
    truncate: (path, length) => do_truncate_path(fs(), path, length),
    ftruncate(fd, length) {
      const f = file(fd);
      return f === undefined ? -EBADF : do_ftruncate(f, length);
    },
    chdir: (path) => do_chdir(fs(), path),
    getcwd: () => do_getcwd(fs()),
    umask(mask) {
      const s = fs();
      const old = s.umask;
      s.umask = mask & 0o777;
      return old;
    },
    mount: (source, target, fstype, flags, data = "") => do_mount_path(fs(), source, target, fstype, flags, data),
    umount: (target, flags = 0) => do_umount_path(fs(), target, flags),
    read_file(path) {
      const f = do_filp_open(fs(), path, O_RDONLY, 0);
      if (typeof f === "number") return f;
      try {
        return read_whole(f);
      } finally {
        fput(f);
      }
    },
    async write_file(path, data) {
      let f = do_filp_open(fs(), path, O_WRONLY | O_TRUNC, 0);
      if (f === -ENOENT) {
        // A new file where the directory can hold one (tmpfs); in proc and sysfs a missing
        // attribute stays -ENOENT, as it always was.
        const pl = walk_parent(nameidata(fs()), fs().pwd, path);
        if (typeof pl !== "number" && pl.dir.dentry.d_inode.i_op.create !== undefined) f = do_filp_open(fs(), path, O_WRONLY | O_CREAT | O_TRUNC, 0o666);
      }
      if (typeof f === "number") return f;
      try {
        const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
        if (bytes.length === 0) return 0;
        let done = 0;
        while (done < bytes.length) {
          let r = vfs_write(f, done === 0 ? bytes : bytes.subarray(done));
          if (typeof r !== "number") r = await r;
          if (r < 0) return handle_signal(t, r);
          if (r === 0 || is_kernfs_sb(f.f_inode.i_sb)) return done + r; // one store per write, as sysfs
          done += r;
        }
        return done;
      } finally {
        fput(f);
      }
    },
    readdir(path) {
      const f = do_filp_open(fs(), path, O_RDONLY | O_DIRECTORY, 0);
      if (typeof f === "number") return f;
      try {
        const d = f.f_path!.dentry;
        if (is_kernfs_sb(d.d_sb)) {
          const r = kernfs_readdir(kernfs_dentry_path(d)!);
          return r === -ENOENT && d === d.d_sb.s_root ? [] : r;
        }
        const all = vfs_getdents(f, Number.MAX_SAFE_INTEGER);
        if (typeof all === "number") return all;
        return all
          .map((e) => e.d_name)
          .filter((n) => n !== "." && n !== "..")
          .sort();
      } finally {
        fput(f);
      }
    },
  };
}
