/**
 * kernfs behind the VFS (fs/kernfs/{mount,dir,file,inode,symlink}.c, reduced): the proc and sysfs
 * file-system types. Their super blocks show the kernfs tree below "/proc" or "/sys"; the VFS walks
 * it one component at a time, so its links (sysfs's device/driver/class links) are followed by
 * namei like any other symlink and `..` is taken physically.
 *
 * Dentries are made as lookups reach nodes and kept per super block by kernfs path, so a node has
 * one dentry (and inode number) while it exists; a lookup that finds the node gone or changed
 * drops the old one (d_revalidate). Files: mode 0444/0200/0644 from show/store (proc's generated
 * files are 0444, its writable knobs 0644), size 0 in proc and 4096 in sysfs, as Linux reports;
 * directories 0555 (proc) or 0755 (sysfs); links 0777.
 *
 * Reading an open file generates its text once, on the first read at position 0 (seq_file style:
 * a reader sees one consistent snapshot; seeking back to 0 refreshes it).
 *
 * Writing, as Linux's kernfs_fop_write_iter / proc_reg_write / proc_sys_call_handler do, so that
 * `echo 0000:00:03.0 > /sys/bus/pci/drivers/e1000/unbind` is an ordinary open, write, close:
 *
 * - open(O_WRONLY|O_CREAT|O_TRUNC) of an existing attribute is fine: O_CREAT finds it, O_TRUNC
 *   changes nothing (kernfs and proc accept the size change and ignore it).
 * - Each write(2) is one call of the attribute's store with what that call wrote — in sysfs at
 *   most PAGE_SIZE bytes of it (a longer write is short, the rest goes in the next call). A store's
 *   negative errno is the write's result; what it consumed advances the position. A write of
 *   nothing stores nothing and returns 0.
 * - Access a file has no handler for: sysfs (KERNFS_ROOT_EXTRA_OPEN_PERM_CHECK) and /proc/sys
 *   (sysctl_perm) refuse the open with -EACCES, even for root. Other proc files are opened (root
 *   passes the permission check) and the read or write fails: -EIO for a proc_dir_entry without
 *   proc_read/proc_write (pde_read/pde_write), -EINVAL for a /proc/PID file without that operation.
 * - A new name: sysfs directories have no create (-EACCES, lookup_open), proc's lookups fail with
 *   -ENOENT (proc_lookup_de, proc_sys_lookup), so creating or making a directory there does too;
 *   mkdir and symlink in sysfs are -EPERM (no such inode operation).
 */
import { EACCES, EINVAL, EIO, ENOENT } from "../../include/linux/errno.ts";
import { PAGE_SIZE } from "../../include/linux/gfp.ts";
import { PROC_SUPER_MAGIC, S_IFDIR, S_IFLNK, S_IFREG, SYSFS_MAGIC, type Statfs } from "../../include/uapi/stat.ts";
import { kernfs_lookup_node, kernfs_readdir, type KernfsFile, type KernfsNode } from "./kernfs.ts";
import { Dentry } from "./dcache.ts";
import { FMODE_READ, FMODE_WRITE, type File, type FileOperations } from "./file.ts";
import { Inode, SuperBlock, type DirEntry, type FileSystemType, type InodeOperations } from "./inode.ts";
import { generic_file_llseek } from "./read_write.ts";

interface KernfsSbInfo {
  /** The kernfs path this super block shows at its root ("/proc", "/sys"). */
  root: string;
  /** Which file system's rules apply to opening and writing (see the header). */
  flavour: "proc" | "sysfs";
  magic: number;
  dir_mode: number;
  file_size: number;
  /** Live dentries by kernfs path. */
  readonly cache: Map<string, { d: Dentry; node: KernfsNode }>;
}

function info(sb: SuperBlock): KernfsSbInfo {
  return sb.s_fs_info as KernfsSbInfo;
}

/** The kernfs path a dentry of a proc or sysfs super block stands for. */
export function kernfs_dentry_path(d: Dentry): string | null {
  return typeof d.d_fsdata === "string" ? d.d_fsdata : null;
}

/** Is this super block kernfs's (proc or sysfs)? */
export function is_kernfs_sb(sb: SuperBlock): boolean {
  return sb.s_type === proc_fs_type || sb.s_type === sysfs_fs_type;
}

function same_node(a: KernfsNode, b: KernfsNode): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "file") return a.file === (b as { file: KernfsFile }).file;
  if (a.kind === "link") return a.mode === (b as { mode?: number }).mode;
  return true;
}

function file_mode(f: KernfsFile): number {
  return S_IFREG | (f.show !== undefined ? 0o444 : 0) | (f.store !== undefined ? 0o200 : 0);
}

/** What a kernfs file's inode keeps (i_private). */
interface KernfsInodeInfo {
  file: KernfsFile;
  /** Opening for an access without a handler is refused (-EACCES): sysfs and /proc/sys. */
  strict_open: boolean;
  /** A /proc/PID file (-EINVAL rather than -EIO for an operation it lacks). */
  dynamic: boolean;
}

function dir_iops(sb: SuperBlock): InodeOperations {
  return info(sb).flavour === "proc" ? proc_dir_iops : kernfs_dir_iops;
}

function make_inode(sb: SuperBlock, node: KernfsNode, path: string): Inode {
  const i = info(sb);
  if (node.kind === "dir") {
    const inode = new Inode(sb, S_IFDIR | (node.mode ?? i.dir_mode), dir_iops(sb), kernfs_dir_fops);
    inode.i_nlink = 2;
    return inode;
  }
  if (node.kind === "link") {
    const inode = new Inode(sb, S_IFLNK | (node.mode ?? 0o777), kernfs_link_iops, {});
    inode.i_size = node.size ?? node.target.length;
    return inode;
  }
  const inode = new Inode(sb, file_mode(node.file), {}, kernfs_file_fops);
  inode.i_size = i.file_size;
  inode.i_private = {
    file: node.file,
    strict_open: i.flavour === "sysfs" || path.startsWith("/proc/sys/"),
    dynamic: node.dynamic === true,
  } satisfies KernfsInodeInfo;
  return inode;
}

/**
 * Dentries kept per super block. /proc/PID nodes come and go with every process, so the cache is
 * pruned when it reaches this size (shrink_dcache): everything not mounted on is dropped and made
 * again by the next lookup (an open file or a working directory keeps its own dentry).
 */
const KERNFS_DCACHE_MAX = 4096;

function shrink_dcache(i: KernfsSbInfo): void {
  for (const [p, e] of i.cache) if (e.d.d_mounted === 0) i.cache.delete(p);
}

/** kernfs_iop_lookup + kernfs_dop_revalidate: the dentry for `name` below `dir`, or null. */
function kernfs_lookup(dir: Dentry, name: string): Dentry | null {
  const i = info(dir.d_sb);
  const base = kernfs_dentry_path(dir)!;
  const p = (base === "/" ? "" : base) + "/" + name;
  const node = kernfs_lookup_node(p);
  const cached = i.cache.get(p);
  if (node === null) {
    if (cached !== undefined) {
      cached.d.d_unhashed = true;
      i.cache.delete(p);
    }
    return null;
  }
  if (cached !== undefined && cached.d.d_parent === dir && same_node(cached.node, node)) {
    if (node.kind === "link") cached.d.d_inode.i_size = node.size ?? node.target.length;
    return cached.d;
  }
  if (cached !== undefined) cached.d.d_unhashed = true;
  if (i.cache.size >= KERNFS_DCACHE_MAX) shrink_dcache(i);
  const d = new Dentry(name, dir, make_inode(dir.d_sb, node, p));
  d.d_fsdata = p;
  i.cache.set(p, { d, node });
  return d;
}

const kernfs_dir_iops: InodeOperations = { lookup: kernfs_lookup };

/** proc's lookup of a missing name fails with -ENOENT, so making one there fails so too (see the header). */
const proc_dir_iops: InodeOperations = {
  lookup: kernfs_lookup,
  create: () => -ENOENT,
  mkdir: () => -ENOENT,
  symlink: () => -ENOENT,
};

const kernfs_dir_fops: FileOperations = {
  iterate(f: File): DirEntry[] | number {
    const dir = f.f_path!.dentry;
    const names = kernfs_readdir(kernfs_dentry_path(dir)!);
    if (typeof names === "number") return names === -ENOENT ? [] : names;
    const out: DirEntry[] = [];
    for (const name of names) {
      const d = kernfs_lookup(dir, name);
      if (d !== null) out.push({ name, ino: d.d_inode.i_ino, mode: d.d_inode.i_mode });
    }
    return out;
  },
};

const kernfs_link_iops: InodeOperations = {
  get_link(d) {
    const node = kernfs_lookup_node(kernfs_dentry_path(d)!);
    return node !== null && node.kind === "link" ? node.target : -ENOENT;
  },
};

/** An open kernfs file: the text generated for this reader. */
interface KernfsOpenFile {
  text: Uint8Array | null;
}

/** The errno of an operation the file has no handler for, once it is open (see the header). */
function missing_op(ii: KernfsInodeInfo): number {
  return ii.dynamic ? -EINVAL : -EIO;
}

const kernfs_file_fops: FileOperations = {
  open(inode, f) {
    const ii = inode.i_private as KernfsInodeInfo;
    if (ii.strict_open) {
      if ((f.f_mode & FMODE_READ) !== 0 && ii.file.show === undefined) return -EACCES;
      if ((f.f_mode & FMODE_WRITE) !== 0 && ii.file.store === undefined) return -EACCES;
    }
    f.private_data = { text: null } satisfies KernfsOpenFile;
    return 0;
  },
  read(f, buf) {
    const of = f.private_data as KernfsOpenFile;
    if (of.text === null || f.f_pos === 0) {
      const ii = f.f_inode.i_private as KernfsInodeInfo;
      const r = ii.file.show?.() ?? missing_op(ii);
      if (typeof r === "number") return r;
      of.text = typeof r === "string" ? new TextEncoder().encode(r) : r;
    }
    const n = Math.max(0, Math.min(buf.length, of.text.length - f.f_pos));
    buf.set(of.text.subarray(f.f_pos, f.f_pos + n));
    f.f_pos += n;
    return n;
  },
  write(f, data) {
    const ii = f.f_inode.i_private as KernfsInodeInfo;
    const store = ii.file.store;
    if (store === undefined) return missing_op(ii);
    if (data.length === 0) return 0;
    const bytes = info(f.f_inode.i_sb).flavour === "sysfs" ? data.subarray(0, PAGE_SIZE) : data;
    const text = new TextDecoder().decode(bytes);
    // The store counts characters; the write reports bytes.
    const done = (r: number): number => {
      if (r < 0) return r;
      const n = r >= text.length ? bytes.length : new TextEncoder().encode(text.slice(0, r)).length;
      f.f_pos += n;
      return n;
    };
    const r = store(text);
    return typeof r === "number" ? done(r) : r.then(done);
  },
  llseek: generic_file_llseek,
};

function kernfs_fs_type(name: "proc" | "sysfs", root: string, magic: number, dir_mode: number, file_size: number): FileSystemType {
  const type: FileSystemType = {
    name,
    nodev: true,
    mount(_source, flags, data) {
      if (data !== "") return -EINVAL;
      const sb = new SuperBlock(type, {
        statfs: (s): Statfs => ({ f_type: magic, f_bsize: 4096, f_blocks: 0, f_bfree: 0, f_bavail: 0, f_files: 0, f_ffree: 0, f_namelen: 255, f_frsize: 4096, f_flags: s.s_flags }),
      });
      sb.s_flags = flags & 1; // MS_RDONLY
      sb.s_fs_info = { root, flavour: name, magic, dir_mode, file_size, cache: new Map() } satisfies KernfsSbInfo;
      const inode = new Inode(sb, S_IFDIR | dir_mode, dir_iops(sb), kernfs_dir_fops);
      inode.i_nlink = 2;
      sb.s_root = new Dentry("/", null, inode);
      sb.s_root.d_fsdata = root;
      return sb;
    },
  };
  return type;
}

export const proc_fs_type: FileSystemType = kernfs_fs_type("proc", "/proc", PROC_SUPER_MAGIC, 0o555, 0);
export const sysfs_fs_type: FileSystemType = kernfs_fs_type("sysfs", "/sys", SYSFS_MAGIC, 0o755, 4096);
