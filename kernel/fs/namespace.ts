/**
 * Mounts (fs/namespace.c, fs/filesystems.c, fs/proc_namespace.c, reduced to one mount namespace
 * per kernel).
 *
 * A Mount attaches a super block's root at a dentry of another mount; path walks cross it downwards
 * (follow_mount) and upwards (`..` from a mount's root). The namespace is made on first use
 * (init_mount_tree): a tmpfs at `/`, filled by kernel/fs/rootfs.ts with /tmp, /etc, /dev, and proc
 * and sysfs mounted at /proc and /sys. /proc/mounts lists the table in Linux's format.
 */
import { EBUSY, EINVAL, ENODEV, ENOTDIR } from "../../include/linux/errno.ts";
import { MNT_DETACH, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_RELATIME, MS_REMOUNT } from "../../include/uapi/fcntl.ts";
import { S_ISDIR } from "../../include/uapi/stat.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import { d_path, type Dentry, type Path } from "./dcache.ts";
import type { FileSystemType, SuperBlock } from "./inode.ts";
import { init_rootfs, populate_rootfs } from "./rootfs.ts";

export class Mount {
  readonly mnt_sb: SuperBlock;
  readonly mnt_root: Dentry;
  /** Where it is attached; null for the namespace's root (and after a lazy umount). */
  mnt_parent: Mount | null;
  mnt_mountpoint: Dentry | null;
  /** The source as mount(2) was given it ("tmpfs", "proc", "none" …). */
  readonly mnt_devname: string;
  /** MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME. */
  mnt_flags: number;
  /** Open files and working directories inside this mount (umount says EBUSY while there are any). */
  mnt_count = 0;

  constructor(sb: SuperBlock, devname: string, flags: number, parent: Mount | null, mountpoint: Dentry | null) {
    this.mnt_sb = sb;
    this.mnt_root = sb.s_root;
    this.mnt_devname = devname;
    this.mnt_flags = flags;
    this.mnt_parent = parent;
    this.mnt_mountpoint = mountpoint;
  }
}

export class MntNamespace {
  readonly root: Mount;
  /** Every mount, in the order it was made (/proc/mounts order). */
  readonly list: Mount[];

  constructor(root: Mount) {
    this.root = root;
    this.list = [root];
  }

  root_path(): Path {
    return { mnt: this.root, dentry: this.root.mnt_root };
  }
}

/** Registered file-system types (register_filesystem), by name. */
const file_systems = DEFINE_PER_KERNEL(() => new Map<string, FileSystemType>());

export function register_filesystem(fs: FileSystemType): void {
  file_systems.get().set(fs.name, fs);
}

export function get_fs_type(name: string): FileSystemType | undefined {
  return file_systems.get().get(name);
}

/** /proc/filesystems. */
export function show_filesystems(): string {
  return [...file_systems.get().values()].map((fs) => `${fs.nodev ? "nodev" : ""}\t${fs.name}\n`).join("");
}

/**
 * The namespace, made on first use: init_rootfs() builds the root mount, then populate_rootfs()
 * fills it — with `ns` already set, so it may walk paths and mount.
 */
const ns_state = DEFINE_PER_KERNEL((): { ns: MntNamespace | null } => ({ ns: null }));

/** This kernel's mount namespace (init_mount_tree on the first call). */
export function current_ns(): MntNamespace {
  const s = ns_state.get();
  if (s.ns === null) {
    s.ns = init_rootfs();
    populate_rootfs(s.ns);
  }
  return s.ns;
}

/** lookup_mnt(): the mount on top of `path`, if something is mounted there (the last one made wins). */
export function lookup_mnt(path: Path): Mount | null {
  if (path.dentry.d_mounted === 0) return null;
  const list = current_ns().list;
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i]!;
    if (m.mnt_parent === path.mnt && m.mnt_mountpoint === path.dentry) return m;
  }
  return null;
}

/** Mounted on, or the root of a mount: rmdir, unlink and rename refuse it with -EBUSY. */
export function path_is_busy(path: Path): boolean {
  return path.dentry.d_mounted > 0 || path.dentry === path.mnt.mnt_root;
}

/** A read-only mount or super block: writes get -EROFS. */
export function mnt_is_readonly(mnt: Mount): boolean {
  return ((mnt.mnt_flags | mnt.mnt_sb.s_flags) & MS_RDONLY) !== 0;
}

const MNT_USER_FLAGS = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

/**
 * do_new_mount(): mount a new instance of `fstype` on directory `target`. Linux's default atime
 * mode (relatime) is added; `data` holds the file system's options (tmpfs: size=, mode=, nr_inodes=).
 */
export function do_mount(source: string, target: Path, fstype: string, flags: number, data: string): number {
  if ((flags & MS_REMOUNT) !== 0) return -EINVAL;
  if (!S_ISDIR(target.dentry.d_inode.i_mode)) return -ENOTDIR;
  const type = get_fs_type(fstype);
  if (type === undefined) return -ENODEV;
  const sb = type.mount(source, flags, data);
  if (typeof sb === "number") return sb;
  attach_mount(new Mount(sb, source, (flags & MNT_USER_FLAGS) | MS_RELATIME, target.mnt, target.dentry));
  return 0;
}

/** Put `m` into the tree (it was made with its parent and mountpoint). */
export function attach_mount(m: Mount): void {
  if (m.mnt_mountpoint !== null) m.mnt_mountpoint.d_mounted++;
  current_ns().list.push(m);
}

/**
 * do_umount(): `path` must be the root of a mount. -EBUSY while files or working directories are
 * open in it or something is mounted below it, unless MNT_DETACH (lazy: it leaves the tree now and
 * goes away when its last user does). The namespace's root cannot be unmounted.
 */
export function do_umount(path: Path, flags: number): number {
  const m = path.mnt;
  if (path.dentry !== m.mnt_root) return -EINVAL;
  const ns = current_ns();
  if (m === ns.root) return -EBUSY;
  const lazy = (flags & MNT_DETACH) !== 0;
  const children = ns.list.filter((c) => c.mnt_parent === m);
  if (!lazy && (m.mnt_count > 0 || children.length > 0)) return -EBUSY;
  for (const c of children) detach_mount(c);
  detach_mount(m);
  return 0;
}

function detach_mount(m: Mount): void {
  const ns = current_ns();
  const i = ns.list.indexOf(m);
  if (i >= 0) ns.list.splice(i, 1);
  if (m.mnt_mountpoint !== null) m.mnt_mountpoint.d_mounted--;
  m.mnt_parent = null;
  m.mnt_mountpoint = null;
}

/** The options column of /proc/mounts: rw|ro, the MS_* flags, then the file system's own. */
export function mnt_options(m: Mount): string {
  const f = m.mnt_flags | m.mnt_sb.s_flags;
  const opts = [f & MS_RDONLY ? "ro" : "rw"];
  if (f & MS_NOSUID) opts.push("nosuid");
  if (f & MS_NODEV) opts.push("nodev");
  if (f & MS_NOEXEC) opts.push("noexec");
  if (f & MS_RELATIME) opts.push("relatime");
  const own = m.mnt_sb.s_type.show_options?.(m.mnt_sb) ?? "";
  if (own !== "") opts.push(own);
  return opts.join(",");
}

/** Spaces, tabs, newlines and backslashes in /proc/mounts fields are octal escapes (mangle()). */
function mangle(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => "\\" + c.charCodeAt(0).toString(8).padStart(3, "0"));
}

/** /proc/mounts (show_vfsmnt): `device mountpoint type options 0 0`, one line per mount. */
export function show_mounts(): string {
  const ns = current_ns();
  const root = ns.root_path();
  return ns.list
    .map((m) => {
      const where = m.mnt_parent === null || m.mnt_mountpoint === null ? "/" : d_path({ mnt: m.mnt_parent, dentry: m.mnt_mountpoint }, root);
      return `${mangle(m.mnt_devname)} ${mangle(where)} ${m.mnt_sb.s_type.name} ${mnt_options(m)} 0 0\n`;
    })
    .join("");
}
