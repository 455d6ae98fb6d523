/**
 * Directory entries (include/linux/dcache.h, fs/dcache.c, fs/d_path.c, reduced). A dentry names an
 * inode inside its parent directory. tmpfs keeps its whole tree here, as ramfs does: a directory's
 * children are its dentries (`d_subdirs`, in creation order). kernfs makes dentries as lookups reach
 * its nodes and keeps them while the node exists. There are no negative dentries: a failed lookup
 * is just null.
 */
import type { Inode, SuperBlock } from "./inode.ts";
import type { Mount } from "./namespace.ts";

export class Dentry {
  d_name: string;
  /** The parent directory; a root's parent is itself. */
  d_parent: Dentry;
  readonly d_inode: Inode;
  readonly d_sb: SuperBlock;
  /** Children by name (tmpfs directories). */
  readonly d_subdirs = new Map<string, Dentry>();
  /** Mounts whose mountpoint this is (a quick test before searching the mount table). */
  d_mounted = 0;
  /** Removed from its parent (unlink, rmdir, or a kernfs node that went away). */
  d_unhashed = false;
  /** File-system private data (kernfs: the node's path inside kernfs). */
  d_fsdata: unknown = null;

  constructor(name: string, parent: Dentry | null, inode: Inode) {
    this.d_name = name;
    this.d_parent = parent ?? this;
    this.d_inode = inode;
    this.d_sb = inode.i_sb;
  }

  is_root(): boolean {
    return this.d_parent === this;
  }
}

/** struct path: a dentry as seen through one mount. */
export interface Path {
  readonly mnt: Mount;
  readonly dentry: Dentry;
}

export function path_equal(a: Path, b: Path): boolean {
  return a.mnt === b.mnt && a.dentry === b.dentry;
}

/** d_alloc + d_add: a new child of `parent` under `name`, linked into its directory. */
export function d_add_child(parent: Dentry, name: string, inode: Inode): Dentry {
  const d = new Dentry(name, parent, inode);
  parent.d_subdirs.set(name, d);
  return d;
}

/** d_delete: unlink `d` from its parent's children. */
export function d_delete(d: Dentry): void {
  if (d.d_parent.d_subdirs.get(d.d_name) === d) d.d_parent.d_subdirs.delete(d.d_name);
  d.d_unhashed = true;
}

/**
 * d_path(): the absolute name of `path` as seen from `root`, crossing mounts upwards. A dentry that
 * was removed gets Linux's " (deleted)" suffix; a path outside `root` is given from the top.
 */
export function d_path(path: Path, root: Path): string {
  let { mnt, dentry } = path;
  const names: string[] = [];
  const deleted = dentry.d_unhashed;
  for (;;) {
    if (mnt === root.mnt && dentry === root.dentry) break;
    if (dentry === mnt.mnt_root) {
      if (mnt.mnt_parent === null || mnt.mnt_mountpoint === null) break;
      dentry = mnt.mnt_mountpoint;
      mnt = mnt.mnt_parent;
      continue;
    }
    names.push(dentry.d_name);
    dentry = dentry.d_parent;
  }
  return "/" + names.reverse().join("/") + (deleted ? " (deleted)" : "");
}
