/**
 * hostfs (fs/hostfs/hostfs_kern.c, as User-Mode Linux has it): a directory of the host, shared with
 * the machine (`npm start -- --share DIR[,rw]`), mounted at /mnt/host by kernel/fs/rootfs.ts. Every
 * inode and file operation becomes a host call through PlatformOps.hostfs (include/asm/hostfs.ts);
 * without one (nothing shared, or a browser) there is no hostfs file-system type at all.
 *
 * - Dentries are made as lookups reach host files and kept as children of their directory; every
 *   lookup asks the host again (lstat), refreshes the inode's attributes, and replaces a dentry
 *   whose file changed type or inode number (d_revalidate), or drops it when the file is gone.
 * - Inode numbers, modes, owners, sizes and times are the host's. Device nodes, FIFOs and sockets
 *   show as what they are but cannot be opened (the mount is nodev; the host opens regular files
 *   only).
 * - Symbolic links are read from the host and followed by this kernel's path walk, inside the
 *   machine: a link can never lead to a host file outside the share.
 * - An open file holds a host handle; read and write are pread/pwrite at the file's position
 *   (O_APPEND writes at the host file's current end). The host's files change under the machine
 *   without notice; a read sees what is there at that moment.
 * - Read-only unless shared `rw`: the super block is then MS_RDONLY (writes -EROFS in the VFS) and
 *   the host side refuses changes as well.
 *
 * Departures: mount takes no host path (`-o /path` in UML): the one shared directory is the root.
 * chmod and utimensat change only the inode in memory, not the host file (the VFS has no setattr
 * operation for a file system to pass them on). Host calls are synchronous, as UML's are.
 */
import { EINVAL, ENODEV, ENOENT, ENOTDIR } from "../../include/linux/errno.ts";
import type { HostFsOps, HostStat } from "../../include/asm/hostfs.ts";
import { MS_RDONLY, NAME_MAX, O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_WRONLY, SEEK_END } from "../../include/uapi/fcntl.ts";
import { S_IALLUGO, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISDIR, type Statfs } from "../../include/uapi/stat.ts";
import { this_kernel } from "../kernel.ts";
import { d_add_child, d_delete, Dentry } from "./dcache.ts";
import { FMODE_READ, FMODE_WRITE, type File, type FileOperations } from "./file.ts";
import { Inode, iput_if_unused, SuperBlock, type DirEntry, type FileSystemType, type InodeOperations, type SuperOperations } from "./inode.ts";
import { generic_file_llseek } from "./read_write.ts";

/** include/uapi/linux/magic.h. */
export const HOSTFS_SUPER_MAGIC = 0x00c0ffee;

/** The host calls of this kernel's machine, or null when nothing is shared. */
export function hostfs_ops(): HostFsOps | null {
  return this_kernel().platform.ops.hostfs ?? null;
}

function host(sb: SuperBlock): HostFsOps {
  return sb.s_fs_info as HostFsOps;
}

/** What a hostfs inode keeps (i_private): the dentry that names it, for its host path. */
interface HostfsInodeInfo {
  dentry: Dentry | null;
}

/** The share-relative host path of a dentry ("" for the root). */
function host_path(d: Dentry): string {
  const names: string[] = [];
  while (!d.is_root()) {
    names.push(d.d_name);
    d = d.d_parent;
  }
  return names.reverse().join("/");
}

function child_path(dir: Dentry, name: string): string {
  const p = host_path(dir);
  return p === "" ? name : `${p}/${name}`;
}

function inode_path(inode: Inode): string | number {
  const d = (inode.i_private as HostfsInodeInfo).dentry;
  return d === null || d.d_unhashed ? -ENOENT : host_path(d);
}

/** Copy the host's attributes into the inode (the type never changes: lookup replaces such a dentry). */
function hostfs_fill(inode: Inode, st: HostStat): void {
  inode.i_mode = (inode.i_mode & S_IFMT) | (st.mode & S_IALLUGO);
  inode.i_nlink = st.nlink;
  inode.i_uid = st.uid;
  inode.i_gid = st.gid;
  inode.i_size = st.size;
  inode.i_blocks = st.blocks;
  inode.i_atime = { tv_sec: st.atime.sec, tv_nsec: st.atime.nsec };
  inode.i_mtime = { tv_sec: st.mtime.sec, tv_nsec: st.mtime.nsec };
  inode.i_ctime = { tv_sec: st.ctime.sec, tv_nsec: st.ctime.nsec };
}

/** hostfs_iget(): an inode for a host file, with the operations its type has. */
function hostfs_iget(sb: SuperBlock, st: HostStat): Inode {
  const type = st.mode & S_IFMT;
  const [iop, fop] = type === S_IFDIR ? [hostfs_dir_iops, hostfs_dir_fops] : type === S_IFREG ? [hostfs_file_iops, hostfs_file_fops] : type === S_IFLNK ? [hostfs_link_iops, {}] : [{}, {}];
  const inode = new Inode(sb, type, iop, fop, st.ino);
  inode.i_private = { dentry: null } satisfies HostfsInodeInfo;
  hostfs_fill(inode, st);
  return inode;
}

/** A new child dentry of `dir` for the host file at `rel` (just made, or found by lookup). */
function hostfs_instantiate(dir: Dentry, name: string, st: HostStat): Dentry {
  const old = dir.d_subdirs.get(name);
  if (old !== undefined) d_delete(old);
  const inode = hostfs_iget(dir.d_sb, st);
  const d = d_add_child(dir, name, inode);
  (inode.i_private as HostfsInodeInfo).dentry = d;
  return d;
}

/** lookup + d_revalidate: the child `name` of `dir` as the host has it now, or null. */
function hostfs_lookup(dir: Dentry, name: string): Dentry | null {
  const st = host(dir.d_sb).lstat(child_path(dir, name));
  const cached = dir.d_subdirs.get(name);
  if (cached !== undefined && cached.d_mounted > 0) return cached; // a mountpoint stays while mounted on
  if (typeof st === "number") {
    if (cached !== undefined) d_delete(cached);
    return null;
  }
  if (cached !== undefined && cached.d_inode.i_ino === st.ino && (cached.d_inode.i_mode & S_IFMT) === (st.mode & S_IFMT)) {
    hostfs_fill(cached.d_inode, st);
    return cached;
  }
  return hostfs_instantiate(dir, name, st);
}

/** After a host call made `name` in `dir`: its dentry, or the errno of the call or of finding it. */
function hostfs_made(dir: Dentry, name: string, r: number): Dentry | number {
  if (r < 0) return r;
  const st = host(dir.d_sb).lstat(child_path(dir, name));
  return typeof st === "number" ? st : hostfs_instantiate(dir, name, st);
}

/** A name left the host directory: drop its dentry; the inode goes when nothing holds it. */
function hostfs_drop(d: Dentry): void {
  d_delete(d);
  const inode = d.d_inode;
  inode.i_nlink = S_ISDIR(inode.i_mode) ? 0 : Math.max(0, inode.i_nlink - 1);
  iput_if_unused(inode);
}

const hostfs_dir_iops: InodeOperations = {
  lookup: hostfs_lookup,
  create(dir, name, mode) {
    const h = host(dir.d_sb);
    const fd = h.open(child_path(dir, name), O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd >= 0) h.close(fd);
    return hostfs_made(dir, name, Math.min(fd, 0));
  },
  mkdir: (dir, name, mode) => hostfs_made(dir, name, host(dir.d_sb).mkdir(child_path(dir, name), mode)),
  symlink: (dir, name, target) => hostfs_made(dir, name, host(dir.d_sb).symlink(target, child_path(dir, name))),
  unlink(_dir, d) {
    const r = host(d.d_sb).unlink(host_path(d));
    if (r === 0) hostfs_drop(d);
    return r;
  },
  rmdir(_dir, d) {
    const r = host(d.d_sb).rmdir(host_path(d));
    if (r === 0) hostfs_drop(d);
    return r;
  },
  rename(old_dir, d, new_dir, new_name) {
    const r = host(d.d_sb).rename(host_path(d), child_path(new_dir, new_name));
    if (r !== 0) return r;
    const replaced = new_dir.d_subdirs.get(new_name);
    if (replaced !== undefined && replaced !== d) hostfs_drop(replaced);
    old_dir.d_subdirs.delete(d.d_name);
    d.d_name = new_name;
    d.d_parent = new_dir;
    new_dir.d_subdirs.set(new_name, d);
    return 0;
  },
};

const hostfs_dir_fops: FileOperations = {
  /** The host's names, each looked up (so a listing's inode numbers and types are the host's). */
  iterate(f: File): DirEntry[] | number {
    const dir = f.f_path!.dentry;
    const names = host(dir.d_sb).readdir(host_path(dir));
    if (typeof names === "number") return names;
    const out: DirEntry[] = [];
    for (const name of names) {
      if (name.length > NAME_MAX) continue;
      const d = hostfs_lookup(dir, name);
      if (d !== null) out.push({ name, ino: d.d_inode.i_ino, mode: d.d_inode.i_mode });
    }
    return out;
  },
};

const hostfs_link_iops: InodeOperations = {
  get_link: (d) => host(d.d_sb).readlink(host_path(d)),
};

/** Open files' host handles by inode (a truncate of an open file uses one, as ftruncate would). */
function open_handles(inode: Inode): Set<number> {
  const info = inode.i_private as HostfsInodeInfo & { handles?: Set<number> };
  return (info.handles ??= new Set());
}

/** Refresh an open file's inode from its host handle. */
function refresh(f: File): void {
  const st = host(f.f_inode.i_sb).fstat(f.private_data as number);
  if (typeof st !== "number") hostfs_fill(f.f_inode, st);
}

const hostfs_file_iops: InodeOperations = {
  setsize(inode, size) {
    if (!(size >= 0) || !Number.isSafeInteger(size)) return -EINVAL;
    const h = host(inode.i_sb);
    const [fd] = open_handles(inode);
    let r: number;
    if (fd !== undefined) r = h.ftruncate(fd, size);
    else {
      const p = inode_path(inode);
      r = typeof p === "number" ? p : h.truncate(p, size);
    }
    if (r === 0) inode.i_size = size;
    return r;
  },
};

const hostfs_file_fops: FileOperations = {
  open(inode, f) {
    const p = inode_path(inode);
    if (typeof p === "number") return p;
    const rw = f.f_mode & (FMODE_READ | FMODE_WRITE);
    const flags = rw === (FMODE_READ | FMODE_WRITE) ? O_RDWR : rw === FMODE_WRITE ? O_WRONLY : O_RDONLY;
    const fd = host(inode.i_sb).open(p, flags, 0);
    if (fd < 0) return fd;
    f.private_data = fd;
    if ((f.f_mode & FMODE_WRITE) !== 0) open_handles(inode).add(fd);
    return 0;
  },
  read(f, buf) {
    const n = host(f.f_inode.i_sb).pread(f.private_data as number, buf, f.f_pos);
    if (n > 0) f.f_pos += n;
    return n;
  },
  write(f, data) {
    if (data.length === 0) return 0;
    if ((f.f_flags & O_APPEND) !== 0) {
      refresh(f);
      f.f_pos = f.f_inode.i_size;
    }
    const n = host(f.f_inode.i_sb).pwrite(f.private_data as number, data, f.f_pos);
    if (n > 0) {
      f.f_pos += n;
      refresh(f);
    }
    return n;
  },
  llseek(f, offset, whence) {
    if (whence === SEEK_END) refresh(f);
    return generic_file_llseek(f, offset, whence);
  },
  release(f) {
    const fd = f.private_data as number;
    open_handles(f.f_inode).delete(fd);
    host(f.f_inode.i_sb).close(fd);
  },
};

const hostfs_super_ops: SuperOperations = {
  statfs(sb): Statfs {
    const s = host(sb).statfs();
    const z = typeof s === "number";
    return {
      f_type: HOSTFS_SUPER_MAGIC,
      f_bsize: z ? 4096 : s.bsize,
      f_blocks: z ? 0 : s.blocks,
      f_bfree: z ? 0 : s.bfree,
      f_bavail: z ? 0 : s.bavail,
      f_files: z ? 0 : s.files,
      f_ffree: z ? 0 : s.ffree,
      f_namelen: z ? NAME_MAX : s.namelen,
      f_frsize: z ? 4096 : s.bsize,
      f_flags: sb.s_flags,
    };
  },
};

/** seq_show_option's escaping of an option value (",= \t\n\\" as octal, as seq_escape does). */
function escape_option(s: string): string {
  return s.replace(/[,= \t\n\\]/g, (c) => "\\" + c.charCodeAt(0).toString(8).padStart(3, "0"));
}

/**
 * The hostfs type: mount(2) of the shared directory (no options: -EINVAL). A read-only share makes
 * a read-only super block whatever the mount asked for. -ENODEV when the machine shares nothing.
 */
export const hostfs_fs_type: FileSystemType = {
  name: "hostfs",
  nodev: true,
  mount(_source, flags, data) {
    const ops = hostfs_ops();
    if (ops === null) return -ENODEV;
    if (data !== "") return -EINVAL;
    const st = ops.lstat("");
    if (typeof st === "number") return st;
    if (!S_ISDIR(st.mode)) return -ENOTDIR;
    const sb = new SuperBlock(hostfs_fs_type, hostfs_super_ops);
    sb.s_flags = (flags & MS_RDONLY) | (ops.read_only ? MS_RDONLY : 0);
    sb.s_fs_info = ops;
    const inode = hostfs_iget(sb, st);
    sb.s_root = new Dentry("/", null, inode);
    (inode.i_private as HostfsInodeInfo).dentry = sb.s_root;
    return sb;
  },
  show_options: (sb) => escape_option(host(sb).root),
};
