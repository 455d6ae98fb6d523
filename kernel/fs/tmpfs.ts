/**
 * tmpfs (mm/shmem.c, reduced; Linux calls its internals "shmem"): a file system in memory. The tree
 * lives in the dentry cache (as ramfs's); a regular file's bytes live in a growable byte array that
 * belongs to the inode; a symlink keeps its target in the inode.
 *
 * Limits, as Linux's mount options set them: `size=` (bytes, k/m/g suffixes or a % of RAM; default
 * half of RAM, 0 = unlimited) and `nr_inodes=` (default half of RAM's pages). A file's data is
 * charged in whole pages up to the last byte ever written (holes left by ftruncate upwards are not
 * charged until a write goes past them, as shmem allocates pages only when written); a write that
 * would pass `size` writes what fits and the next one fails with -ENOSPC. Departure: the bytes are
 * JavaScript memory, not pages from the kernel's page allocator, so /proc/meminfo does not count them.
 */
import { EINVAL, ENOSPC, ENOTEMPTY, EFBIG } from "../../include/linux/errno.ts";
import { PAGE_SIZE } from "../../include/linux/gfp.ts";
import { NAME_MAX, O_APPEND } from "../../include/uapi/fcntl.ts";
import { S_IALLUGO, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISDIR, S_ISVTX, TMPFS_MAGIC, type Statfs } from "../../include/uapi/stat.ts";
import { totalram_pages } from "../mm/page_alloc.ts";
import { d_add_child, d_delete, Dentry } from "./dcache.ts";
import { mod_node_page_state, NR_FILE_PAGES, NR_SHMEM } from "../mm/vmstat.ts";
import type { File, FileOperations } from "./file.ts";
import { Inode, inode_touch, iput_if_unused, SuperBlock, type DirEntry, type FileSystemType, type InodeOperations, type SuperOperations } from "./inode.ts";
import { generic_file_llseek } from "./read_write.ts";

/** What a directory entry adds to its directory's st_size (BOGO_DIRENT_SIZE); an empty one has two. */
const BOGO_DIRENT_SIZE = 20;
/** The largest file (MAX_LFS_FILESIZE is 2^63 − 1; a JavaScript array caps us far lower). */
export const SHMEM_MAX_FILESIZE = 2 ** 32;

interface ShmemSbInfo {
  /** Pages the data may take (Infinity: size=0). */
  max_blocks: number;
  used_blocks: number;
  max_inodes: number;
  free_inodes: number;
  /** The options given at mount, in /proc/mounts form (size=…k, nr_inodes=…, mode=…). */
  shown: string[];
}

/** A regular file's bytes: `data` is the buffer (may be larger), `extent` the bytes written so far. */
interface ShmemData {
  data: Uint8Array;
  extent: number;
}

const EMPTY = new Uint8Array(0);

function sbinfo(sb: SuperBlock): ShmemSbInfo {
  return sb.s_fs_info as ShmemSbInfo;
}

function pages(bytes: number): number {
  return Math.ceil(bytes / PAGE_SIZE);
}

/** size=N[kmg%] → pages, or null when it does not parse. */
function parse_size(v: string): number | null {
  const m = /^(\d+)([kKmMgG%]?)$/.exec(v);
  if (m === null) return null;
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  if (unit === "%") return Math.ceil((totalram_pages() * n) / 100);
  return pages(n * ({ "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[unit]!);
}

/** Parse tmpfs's mount options; -EINVAL for one it does not know (Linux: "tmpfs: Unknown parameter"). */
function parse_options(data: string): { max_blocks: number; max_inodes: number; mode: number; shown: string[] } | number {
  const half = Math.max(1, Math.floor(totalram_pages() / 2));
  const o = { max_blocks: half, max_inodes: half, mode: S_ISVTX | 0o777, shown: [] as string[] };
  for (const opt of data.split(",")) {
    if (opt === "") continue;
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const val = eq < 0 ? "" : opt.slice(eq + 1);
    if (key === "size") {
      const p = parse_size(val);
      if (p === null) return -EINVAL;
      o.max_blocks = p === 0 ? Infinity : p;
      o.shown.push(`size=${p * (PAGE_SIZE / 1024)}k`);
    } else if (key === "nr_inodes") {
      const m = /^(\d+)([kKmMgG]?)$/.exec(val);
      if (m === null) return -EINVAL;
      const n = Number(m[1]) * ({ "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2]!.toLowerCase()]!;
      o.max_inodes = n === 0 ? Infinity : n;
      o.shown.push(`nr_inodes=${n}`);
    } else if (key === "mode") {
      if (!/^[0-7]{1,4}$/.test(val)) return -EINVAL;
      o.mode = parseInt(val, 8);
      o.shown.push(`mode=${o.mode.toString(8).padStart(3, "0")}`);
    } else return -EINVAL;
  }
  return o;
}

const shmem_super_ops: SuperOperations = {
  statfs(sb): Statfs {
    const i = sbinfo(sb);
    const unlimited_b = i.max_blocks === Infinity;
    const unlimited_i = i.max_inodes === Infinity;
    return {
      f_type: TMPFS_MAGIC,
      f_bsize: PAGE_SIZE,
      f_blocks: unlimited_b ? 0 : i.max_blocks,
      f_bfree: unlimited_b ? 0 : i.max_blocks - i.used_blocks,
      f_bavail: unlimited_b ? 0 : i.max_blocks - i.used_blocks,
      f_files: unlimited_i ? 0 : i.max_inodes,
      f_ffree: unlimited_i ? 0 : i.free_inodes,
      f_namelen: NAME_MAX,
      f_frsize: PAGE_SIZE,
      f_flags: sb.s_flags,
    };
  },
  evict_inode(inode) {
    const i = sbinfo(inode.i_sb);
    if ((inode.i_mode & S_IFMT) === S_IFREG) {
      const d = inode.i_private as ShmemData;
      shmem_charge(i, -pages(d.extent));
      inode.i_private = { data: EMPTY, extent: 0 } satisfies ShmemData;
      inode.i_blocks = 0;
    }
    i.free_inodes++;
  },
};

export const shmem_fs_type: FileSystemType = {
  name: "tmpfs",
  nodev: true,
  mount(_source, flags, data) {
    const o = parse_options(data);
    if (typeof o === "number") return o;
    return shmem_fill_super(o.max_blocks, o.max_inodes, o.mode, o.shown, flags);
  },
  show_options: (sb) => sbinfo(sb).shown.join(","),
};

/** A new tmpfs super block with its root directory (mode `mode`, 1777 by default). */
export function shmem_fill_super(max_blocks: number, max_inodes: number, mode: number, shown: string[] = [], flags = 0): SuperBlock {
  const sb = new SuperBlock(shmem_fs_type, shmem_super_ops);
  sb.s_flags = flags & 1; // MS_RDONLY
  sb.s_fs_info = { max_blocks, used_blocks: 0, max_inodes, free_inodes: max_inodes, shown } satisfies ShmemSbInfo;
  const root = shmem_get_inode(sb, S_IFDIR | (mode & S_IALLUGO), 0) as Inode;
  sb.s_root = new Dentry("/", null, root);
  return sb;
}

/** shmem_get_inode(): a new inode of the type in `mode`, or -ENOSPC when nr_inodes are used up. */
function shmem_get_inode(sb: SuperBlock, mode: number, rdev: number): Inode | number {
  const info = sbinfo(sb);
  if (info.free_inodes <= 0) return -ENOSPC;
  info.free_inodes--;
  switch (mode & S_IFMT) {
    case S_IFDIR: {
      const inode = new Inode(sb, mode, shmem_dir_iops, shmem_dir_fops);
      inode.i_nlink = 2;
      inode.i_size = 2 * BOGO_DIRENT_SIZE;
      return inode;
    }
    case S_IFLNK:
      return new Inode(sb, mode, shmem_symlink_iops, {});
    case S_IFREG: {
      const inode = new Inode(sb, mode, shmem_file_iops, shmem_file_fops);
      inode.i_private = { data: EMPTY, extent: 0 } satisfies ShmemData;
      return inode;
    }
    default: {
      // Device nodes: the VFS finds the driver's operations by i_rdev when one is opened.
      const inode = new Inode(sb, mode, {}, {});
      inode.i_rdev = rdev;
      return inode;
    }
  }
}

/** A new entry `name` in `dir` for `inode`: the directory grows and changes. */
function shmem_link_new(dir: Dentry, name: string, inode: Inode): Dentry {
  const d = d_add_child(dir, name, inode);
  dir.d_inode.i_size += BOGO_DIRENT_SIZE;
  inode_touch(dir.d_inode, true);
  return d;
}

function shmem_mknod(dir: Dentry, name: string, mode: number, rdev: number): Dentry | number {
  const inode = shmem_get_inode(dir.d_sb, mode, rdev);
  if (typeof inode === "number") return inode;
  if (S_ISDIR(mode)) dir.d_inode.i_nlink++;
  return shmem_link_new(dir, name, inode);
}

/** Drop `d` from `dir` (unlink, rmdir, or the entry a rename replaces). */
function shmem_drop(dir: Dentry, d: Dentry): void {
  const inode = d.d_inode;
  d_delete(d);
  dir.d_inode.i_size -= BOGO_DIRENT_SIZE;
  inode_touch(dir.d_inode, true);
  if (S_ISDIR(inode.i_mode)) {
    dir.d_inode.i_nlink--;
    inode.i_nlink = 0;
  } else inode.i_nlink--;
  inode_touch(inode, false);
  iput_if_unused(inode);
}

const shmem_dir_iops: InodeOperations = {
  lookup: (dir, name) => dir.d_subdirs.get(name) ?? null,
  create: (dir, name, mode) => shmem_mknod(dir, name, S_IFREG | (mode & S_IALLUGO), 0),
  mkdir: (dir, name, mode) => shmem_mknod(dir, name, S_IFDIR | (mode & S_IALLUGO), 0),
  mknod: (dir, name, mode, rdev) => shmem_mknod(dir, name, mode, rdev),
  symlink(dir, name, target) {
    const inode = shmem_get_inode(dir.d_sb, S_IFLNK | 0o777, 0);
    if (typeof inode === "number") return inode;
    inode.i_private = target;
    inode.i_size = new TextEncoder().encode(target).length;
    return shmem_link_new(dir, name, inode);
  },
  unlink(dir, d) {
    shmem_drop(dir, d);
    return 0;
  },
  rmdir(dir, d) {
    if (d.d_subdirs.size > 0) return -ENOTEMPTY;
    shmem_drop(dir, d);
    return 0;
  },
  rename(old_dir, d, new_dir, new_name) {
    const target = new_dir.d_subdirs.get(new_name);
    if (target !== undefined) {
      if (S_ISDIR(target.d_inode.i_mode) && target.d_subdirs.size > 0) return -ENOTEMPTY;
      shmem_drop(new_dir, target);
    }
    old_dir.d_subdirs.delete(d.d_name);
    old_dir.d_inode.i_size -= BOGO_DIRENT_SIZE;
    if (S_ISDIR(d.d_inode.i_mode) && old_dir !== new_dir) {
      old_dir.d_inode.i_nlink--;
      new_dir.d_inode.i_nlink++;
    }
    d.d_name = new_name;
    d.d_parent = new_dir;
    new_dir.d_subdirs.set(new_name, d);
    new_dir.d_inode.i_size += BOGO_DIRENT_SIZE;
    inode_touch(old_dir.d_inode, true);
    inode_touch(new_dir.d_inode, true);
    inode_touch(d.d_inode, false);
    return 0;
  },
};

const shmem_dir_fops: FileOperations = {
  iterate(f: File): DirEntry[] {
    const dir = f.f_path!.dentry;
    return [...dir.d_subdirs.values()].map((d) => ({ name: d.d_name, ino: d.d_inode.i_ino, mode: d.d_inode.i_mode }));
  },
};

const shmem_symlink_iops: InodeOperations = {
  get_link: (d) => d.d_inode.i_private as string,
};

/**
 * Make the file's data reach `end` bytes (pages charged) — or as far as the size limit allows.
 * Returns the end actually reachable.
 */
function shmem_reserve(inode: Inode, end: number): number {
  const info = sbinfo(inode.i_sb);
  const d = inode.i_private as ShmemData;
  if (end <= d.extent) return end;
  const have = pages(d.extent);
  const room = info.max_blocks - info.used_blocks;
  const need = pages(end) - have;
  if (need > room) end = (have + room) * PAGE_SIZE;
  if (end <= d.extent) return d.extent;
  if (end > d.data.length) {
    // Grow geometrically so appends cost amortised O(1) (capping the growth at the pages charged
    // made every page-crossing write copy the whole file: quadratic). The spare capacity is host
    // memory only and never more than the file system could still be charged.
    const limit = Math.max(end, (have + room) * PAGE_SIZE);
    const cap = Math.max(end, Math.min(Math.max(d.data.length * 2, 256), limit));
    let n: Uint8Array;
    try {
      n = new Uint8Array(cap);
    } catch {
      return d.extent; // the host has no memory for it (size=0 lets a tmpfs ask): -ENOSPC
    }
    n.set(d.data.subarray(0, d.extent));
    d.data = n;
  }
  shmem_charge(info, pages(end) - have);
  d.extent = end;
  inode.i_blocks = pages(end) * (PAGE_SIZE / 512);
  return end;
}

/**
 * Pages a tmpfs gains or gives back: its own count, and the node's NR_SHMEM and NR_FILE_PAGES (tmpfs
 * pages live in the page cache), which /proc/meminfo's Shmem and Cached and `free`'s columns show.
 */
function shmem_charge(info: ShmemSbInfo, npages: number): void {
  info.used_blocks += npages;
  mod_node_page_state(NR_SHMEM, npages);
  mod_node_page_state(NR_FILE_PAGES, npages);
}

/** shmem_setattr(ATTR_SIZE): truncate or extend (a hole: nothing charged until written). */
function shmem_setsize(inode: Inode, size: number): number {
  if (!(size >= 0) || !Number.isInteger(size)) return -EINVAL;
  if (size > SHMEM_MAX_FILESIZE) return -EFBIG;
  const d = inode.i_private as ShmemData;
  if (size < d.extent) {
    const info = sbinfo(inode.i_sb);
    shmem_charge(info, -(pages(d.extent) - pages(size)));
    d.data.fill(0, size, d.extent);
    d.extent = size;
    if (d.data.length > 4 * Math.max(size, 256)) d.data = d.data.slice(0, size);
    inode.i_blocks = pages(size) * (PAGE_SIZE / 512);
  }
  if (size !== inode.i_size) {
    inode.i_size = size;
    inode_touch(inode, true);
  }
  return 0;
}

const shmem_file_iops: InodeOperations = { setsize: shmem_setsize };

const shmem_file_fops: FileOperations = {
  read(f, buf) {
    const inode = f.f_inode;
    const d = inode.i_private as ShmemData;
    const pos = f.f_pos;
    if (pos >= inode.i_size) return 0;
    const n = Math.min(buf.length, inode.i_size - pos);
    const from_data = Math.max(0, Math.min(n, d.extent - pos));
    if (from_data > 0) buf.set(d.data.subarray(pos, pos + from_data));
    if (from_data < n) buf.fill(0, from_data, n); // a hole reads as zeros
    f.f_pos = pos + n;
    return n;
  },
  write(f, data) {
    const inode = f.f_inode;
    const pos = (f.f_flags & O_APPEND) !== 0 ? inode.i_size : f.f_pos;
    if (data.length === 0) return 0;
    if (pos >= SHMEM_MAX_FILESIZE) return -EFBIG;
    const want = Math.min(pos + data.length, SHMEM_MAX_FILESIZE);
    const end = shmem_reserve(inode, want);
    if (end <= pos) return -ENOSPC;
    const d = inode.i_private as ShmemData;
    d.data.set(data.subarray(0, end - pos), pos);
    if (end > inode.i_size) inode.i_size = end;
    inode_touch(inode, true);
    f.f_pos = end;
    return end - pos;
  },
  llseek: generic_file_llseek,
};
