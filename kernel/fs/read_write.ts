/**
 * read/write/lseek/getdents on an open file (fs/read_write.c, fs/readdir.c, fs/libfs.c's
 * dcache_readdir): the checks every file gets before its own operations run.
 */
import { EBADF, EINVAL, EISDIR, ENOTDIR, ESPIPE } from "../../include/linux/errno.ts";
import { SEEK_CUR, SEEK_END, SEEK_SET } from "../../include/uapi/fcntl.ts";
import { dt_type, S_ISDIR, type Dirent } from "../../include/uapi/stat.ts";
import { FMODE_READ, FMODE_WRITE, type File } from "./file.ts";

/** The furthest a position may go (positions are JavaScript numbers: exact up to 2^53). */
const MAX_POS = Number.MAX_SAFE_INTEGER;

/** generic_file_llseek(): SEEK_SET / SEEK_CUR / SEEK_END against i_size; -EINVAL below 0. */
export function generic_file_llseek(f: File, offset: number, whence: number): number {
  if (!Number.isInteger(offset)) return -EINVAL;
  let pos: number;
  if (whence === SEEK_SET) pos = offset;
  else if (whence === SEEK_CUR) pos = f.f_pos + offset;
  else if (whence === SEEK_END) pos = f.f_inode.i_size + offset;
  else return -EINVAL;
  if (pos < 0 || pos > MAX_POS) return -EINVAL;
  f.f_pos = pos;
  return pos;
}

/** noop_llseek(): devices where a position means nothing (/dev/null, /dev/zero): 0, nothing moves. */
export function noop_llseek(): number {
  return 0;
}

/** vfs_read(): bytes read into `buf` (0 at end of file) or -errno. May sleep (a promise). */
export function vfs_read(f: File, buf: Uint8Array): number | Promise<number> {
  if ((f.f_mode & FMODE_READ) === 0) return -EBADF;
  if (S_ISDIR(f.f_inode.i_mode)) return -EISDIR;
  if (f.f_op.read === undefined) return -EINVAL;
  if (buf.length === 0) return 0;
  return f.f_op.read(f, buf);
}

/** vfs_write(): bytes written or -errno (-ENOSPC, -EFBIG …). May sleep (a promise). */
export function vfs_write(f: File, data: Uint8Array): number | Promise<number> {
  if ((f.f_mode & FMODE_WRITE) === 0) return -EBADF;
  if (f.f_op.write === undefined) return -EINVAL;
  return f.f_op.write(f, data);
}

/** vfs_llseek(): the new position, or -ESPIPE for files without one (sockets, the console). */
export function vfs_llseek(f: File, offset: number, whence: number): number {
  if (f.f_op.llseek !== undefined) return f.f_op.llseek(f, offset, whence);
  if (S_ISDIR(f.f_inode.i_mode)) {
    // A directory's position counts entries (getdents resumes there); only rewinding and
    // skipping are meaningful.
    if (whence === SEEK_END) return -EINVAL;
    return generic_file_llseek(f, offset, whence);
  }
  return -ESPIPE;
}

/**
 * getdents64(): up to `count` entries from the directory's position — ".", "..", then what the
 * file system lists — and the position moves past them. An empty array at the end.
 */
export function vfs_getdents(f: File, count: number): Dirent[] | number {
  if (!S_ISDIR(f.f_inode.i_mode)) return -ENOTDIR;
  if (f.f_op.iterate === undefined || f.f_path === null) return -ENOTDIR;
  if (!(count > 0)) return -EINVAL;
  const d = f.f_path.dentry;
  const list = f.f_op.iterate(f);
  if (typeof list === "number") return list;
  const all: Dirent[] = [
    { d_ino: d.d_inode.i_ino, d_type: dt_type(d.d_inode.i_mode), d_name: "." },
    { d_ino: d.d_parent.d_inode.i_ino, d_type: dt_type(d.d_parent.d_inode.i_mode), d_name: ".." },
    ...list.map((e) => ({ d_ino: e.ino, d_type: dt_type(e.mode), d_name: e.name })),
  ];
  const out = all.slice(f.f_pos, f.f_pos + count);
  f.f_pos += out.length;
  return out;
}
