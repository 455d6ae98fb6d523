/**
 * Path walking (fs/namei.c, reduced): a name becomes a (mount, dentry) one component at a time.
 *
 * - An absolute name starts at the task's root, a relative one at its working directory (or at the
 *   directory holding a symlink, for a relative link target).
 * - `.` stays; `..` goes to the parent, crossing from a mount's root to where it is mounted, and
 *   never above the root (follow_dotdot).
 * - Reaching a mountpoint crosses into what is mounted there (follow_mount), so /proc and /sys lead
 *   into kernfs and a link from tmpfs (/etc/resolv.conf → /proc/net/pnp) lands there too.
 * - Symlinks are followed in every component but the last, and in the last one when the caller
 *   asks (LOOKUP_FOLLOW; a trailing slash implies it). More than MAXSYMLINKS (40) in one walk is
 *   -ELOOP.
 * - A non-directory in the middle is -ENOTDIR; a missing component -ENOENT; a name longer than
 *   PATH_MAX − 1 or a component longer than NAME_MAX -ENAMETOOLONG; an empty name -ENOENT.
 */
import { ELOOP, ENOENT, ENOTDIR, ENAMETOOLONG } from "../../include/linux/errno.ts";
import { NAME_MAX, PATH_MAX } from "../../include/uapi/fcntl.ts";
import { S_ISDIR, S_ISLNK } from "../../include/uapi/stat.ts";
import type { Path } from "./dcache.ts";
import { MAXSYMLINKS } from "./kernfs.ts";
import { lookup_mnt } from "./namespace.ts";

/** Follow a trailing symlink. */
export const LOOKUP_FOLLOW = 1;
/** The result must be a directory. */
export const LOOKUP_DIRECTORY = 2;

/** One walk's state (struct nameidata): the root it may not climb above and the links followed. */
export interface Nameidata {
  readonly root: Path;
  links: number;
}

/** The parent directory of the last component, and that component (the create/remove side). */
export interface ParentLookup {
  dir: Path;
  /** The last component: a name, "." or "..", or "" when the name was "/" only. */
  last: string;
  /** The name ended in "/" (the last component must be a directory). */
  trailing_slash: boolean;
}

/** follow_mount(): if something is mounted on `p`, the root of the topmost mount there. */
export function follow_mount(p: Path): Path {
  for (;;) {
    const m = lookup_mnt(p);
    if (m === null) return p;
    p = { mnt: m, dentry: m.mnt_root };
  }
}

/** follow_dotdot(): the parent of `p`, never above `root`. */
export function follow_dotdot(p: Path, root: Path): Path {
  let { mnt, dentry } = p;
  for (;;) {
    if (mnt === root.mnt && dentry === root.dentry) return follow_mount({ mnt, dentry });
    if (dentry !== mnt.mnt_root) break;
    if (mnt.mnt_parent === null || mnt.mnt_mountpoint === null) return { mnt, dentry };
    dentry = mnt.mnt_mountpoint;
    mnt = mnt.mnt_parent;
  }
  return follow_mount({ mnt, dentry: dentry.d_parent });
}

/**
 * lookup_one(): the child `name` of directory `dir` (not "." or ".."), mounts crossed; -ENOENT,
 * -ENOTDIR or -ENAMETOOLONG.
 */
export function lookup_one(dir: Path, name: string): Path | number {
  const inode = dir.dentry.d_inode;
  if (!S_ISDIR(inode.i_mode)) return -ENOTDIR;
  if (name.length > NAME_MAX) return -ENAMETOOLONG;
  const d = inode.i_op.lookup?.(dir.dentry, name) ?? null;
  if (d === null) return -ENOENT;
  return follow_mount({ mnt: dir.mnt, dentry: d });
}

/** The target of the symlink at `p` and where to start walking it (`dir` holds the link). */
function link_start(nd: Nameidata, p: Path, dir: Path): { start: Path; target: string } | number {
  if (++nd.links > MAXSYMLINKS) return -ELOOP;
  const target = p.dentry.d_inode.i_op.get_link?.(p.dentry) ?? -ENOENT;
  if (typeof target === "number") return target;
  if (target === "") return -ENOENT;
  return { start: target.startsWith("/") ? nd.root : dir, target };
}

/**
 * filename_parentat(): walk every component of `name` but the last, starting at `start` (relative
 * names) or nd.root (absolute ones). The directory found must be one (-ENOTDIR otherwise).
 */
export function walk_parent(nd: Nameidata, start: Path, name: string): ParentLookup | number {
  if (name === "") return -ENOENT;
  if (name.length >= PATH_MAX) return -ENAMETOOLONG;
  let cur = name.startsWith("/") ? nd.root : start;
  const comps = name.split("/").filter((c) => c !== "");
  const trailing_slash = name.endsWith("/") && comps.length > 0;
  const last = comps.pop() ?? "";
  for (const c of comps) {
    if (!S_ISDIR(cur.dentry.d_inode.i_mode)) return -ENOTDIR;
    if (c === ".") continue;
    if (c === "..") {
      cur = follow_dotdot(cur, nd.root);
      continue;
    }
    const next = lookup_one(cur, c);
    if (typeof next === "number") return next;
    if (S_ISLNK(next.dentry.d_inode.i_mode)) {
      const l = link_start(nd, next, cur);
      if (typeof l === "number") return l;
      const r = walk(nd, l.start, l.target, LOOKUP_FOLLOW | LOOKUP_DIRECTORY);
      if (typeof r === "number") return r;
      cur = r;
      continue;
    }
    cur = next;
  }
  if (!S_ISDIR(cur.dentry.d_inode.i_mode)) return -ENOTDIR;
  return { dir: cur, last, trailing_slash };
}

/**
 * The last step of a walk: `last` inside directory `dir` (from walk_parent), following a final
 * symlink when `flags` has LOOKUP_FOLLOW or the name ended in "/".
 */
export function walk_last(nd: Nameidata, pl: ParentLookup, flags: number): Path | number {
  const { dir, last } = pl;
  let p: Path;
  if (last === "" || last === ".") p = dir;
  else if (last === "..") p = follow_dotdot(dir, nd.root);
  else {
    const r = lookup_one(dir, last);
    if (typeof r === "number") return r;
    p = r;
  }
  const must_dir = (flags & LOOKUP_DIRECTORY) !== 0 || pl.trailing_slash;
  if (S_ISLNK(p.dentry.d_inode.i_mode) && ((flags & LOOKUP_FOLLOW) !== 0 || must_dir)) {
    const l = link_start(nd, p, dir);
    if (typeof l === "number") return l;
    return walk(nd, l.start, l.target, flags | (must_dir ? LOOKUP_DIRECTORY | LOOKUP_FOLLOW : 0));
  }
  if (must_dir && !S_ISDIR(p.dentry.d_inode.i_mode)) return -ENOTDIR;
  return p;
}

/** filename_lookup(): the whole walk. */
export function walk(nd: Nameidata, start: Path, name: string, flags: number): Path | number {
  const pl = walk_parent(nd, start, name);
  if (typeof pl === "number") return pl;
  return walk_last(nd, pl, flags);
}
