import { EACCES, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR } from "../../include/linux/errno.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";

/**
 * kernfs (fs/kernfs): the tree behind /proc and /sys. Files are generated when read (`show`)
 * and may accept writes (`store`); directories exist implicitly wherever files or links are below
 * them. Symbolic links (kernfs_create_link) hold a relative or absolute target that is resolved on
 * every lookup, as sysfs's links between /sys/devices, /sys/bus and /sys/class are.
 *
 * Path resolution (resolve()) follows links in every component and, except for readlink and
 * remove, in the last one too; `..` is taken after a link is followed (physically, as the VFS
 * does), and more than MAXSYMLINKS links in one lookup is -ELOOP.
 *
 * Dynamic directories (kernfs_create_dynamic, /proc's PID directories) are computed on every
 * lookup: files, subdirectories and links alike; their links are followed as the tree's are. A
 * path the dynamic directory does not know falls through to the static tree.
 */
export interface KernfsFile {
  /** The file's contents, or a negative errno (the read fails with it, as a sysfs show may). */
  show?: () => string | Uint8Array | number;
  /**
   * Handle one write(2): `data` is what that call wrote (UTF-8 decoded; in sysfs at most PAGE_SIZE
   * bytes of it, as sysfs_kf_write hands a store). Returns the characters consumed (normally
   * data.length) or a negative errno, which becomes the write's result (`echo foo > unbind` fails
   * with -ENODEV, "No such device").
   */
  store?: (data: string) => number | Promise<number>;
}

/**
 * An entry of a dynamic directory: a file, a subdirectory whose entries are computed each time it
 * is looked up (/proc/PID/fd), or a symbolic link whose target is computed when followed (null:
 * absent just now).
 */
export type KernfsDynamicEntry = KernfsFile | KernfsDynamicSubdir | KernfsDynamicLink;
export interface KernfsDynamicSubdir {
  readonly dir: () => ReadonlyMap<string, KernfsDynamicEntry>;
  /** Permission bits when not the file system's usual (/proc/PID/fd is 0500). */
  readonly mode?: number;
}
export interface KernfsDynamicLink {
  readonly link: () => string | null;
  /** Permission bits and i_size when not 0777 and the target's length (/proc/PID/fd/N: by f_mode, 64). */
  readonly mode?: () => number;
  readonly size?: number;
}

/**
 * A directory whose entries are computed when looked up (like /proc, whose PID directories come
 * and go): `list` names its entries, `lookup` gives one entry's contents — files, subdirectories
 * and links, as proc_pident_lookup() offers them — or undefined when there is no such entry (then
 * the static tree below the same path is asked, as /proc/net is).
 */
export interface KernfsDynamicDir {
  list(): string[];
  lookup(name: string): ReadonlyMap<string, KernfsDynamicEntry> | undefined;
}

/**
 * A link's target: a path (relative to the directory holding the link, or absolute), or a
 * function giving it when looked up, null meaning the link is absent just now (a device's
 * `driver` link while no driver is bound).
 */
export type KernfsLinkTarget = string | (() => string | null);

/** Links one lookup may follow before giving up (include/linux/namei.h MAXSYMLINKS). */
export const MAXSYMLINKS = 40;

const tree = DEFINE_PER_KERNEL(() => new Map<string, KernfsFile>());
const links = DEFINE_PER_KERNEL(() => new Map<string, KernfsLinkTarget>());
const dynamic = DEFINE_PER_KERNEL(() => new Map<string, KernfsDynamicDir>());

/**
 * The directories that files and fixed links imply, made again after the tree changes (is_dir() is
 * asked for every component of every path the VFS walks). Links whose target is computed count
 * only while present, so they are checked when asked.
 */
interface DirIndex {
  dirs: Set<string>;
  /** Paths of links with computed targets. */
  computed: string[];
}
const dir_index = DEFINE_PER_KERNEL((): { index: DirIndex | null } => ({ index: null }));

function invalidate_dirs(): void {
  dir_index.get().index = null;
}

function add_ancestors(dirs: Set<string>, p: string): void {
  for (let cut = p.lastIndexOf("/"); cut >= 0; cut = p.lastIndexOf("/", cut - 1)) {
    const d = cut === 0 ? "/" : p.slice(0, cut);
    if (dirs.has(d)) return;
    dirs.add(d);
    if (cut === 0) return;
  }
}

function dirs(): DirIndex {
  const h = dir_index.get();
  if (h.index !== null) return h.index;
  const index: DirIndex = { dirs: new Set(dynamic.get().keys()), computed: [] };
  for (const k of tree.get().keys()) add_ancestors(index.dirs, k);
  for (const [k, l] of links.get()) {
    if (typeof l === "string") add_ancestors(index.dirs, k);
    else index.computed.push(k);
  }
  h.index = index;
  return index;
}

/** Register a dynamic directory at `path`. */
export function kernfs_create_dynamic(path: string, dir: KernfsDynamicDir): void {
  dynamic.get().set(norm(path), dir);
  invalidate_dirs();
}

/** What a path inside a dynamic directory names. */
type DynNode =
  | { kind: "file"; file: KernfsFile }
  | { kind: "dir"; entries: ReadonlyMap<string, KernfsDynamicEntry>; mode?: number }
  | { kind: "link"; target: string | null; mode?: number; size?: number };

function dyn_node(e: KernfsDynamicEntry): DynNode {
  if ("dir" in e) return { kind: "dir", entries: e.dir(), mode: e.mode };
  if ("link" in e) return { kind: "link", target: e.link(), mode: e.mode?.(), size: e.size };
  return { kind: "file", file: e };
}

/**
 * Resolve a physical path `p` inside a dynamic directory, one component at a time: the entry it
 * names, or null when the dynamic directory has nothing there (the caller then asks the static
 * tree). A link in the middle of `p` is not followed (callers hand in resolved paths): null.
 */
function dyn_lookup(p: string): DynNode | null {
  for (const [base, dir] of dynamic.get()) {
    if (!p.startsWith(base === "/" ? "/" : base + "/")) continue;
    const [name, ...rest] = p.slice(base === "/" ? 1 : base.length + 1).split("/");
    if (name === undefined || name === "") continue;
    const top = dir.lookup(name);
    if (top === undefined) continue;
    let node: DynNode = { kind: "dir", entries: top };
    for (const c of rest) {
      if (node.kind !== "dir") return null;
      const e: KernfsDynamicEntry | undefined = node.entries.get(c);
      if (e === undefined) return null;
      node = dyn_node(e);
    }
    return node;
  }
  return null;
}

/** Lexical normalisation (no links followed): used for keys and for paths known to hold no link. */
function norm(path: string): string {
  const parts: string[] = [];
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return "/" + parts.join("/");
}

function link_target(l: KernfsLinkTarget): string | null {
  return typeof l === "string" ? l : l();
}

/**
 * The link at the physical path `p` (a kernfs_create_link one, or a dynamic directory's): its
 * target, null when it is absent just now, undefined when `p` is no link.
 */
function link_at(p: string): string | null | undefined {
  const l = links.get().get(p);
  if (l !== undefined) return link_target(l);
  const d = dyn_lookup(p);
  return d !== null && d.kind === "link" ? d.target : undefined;
}

/**
 * The physical path `path` names: every link in it followed (the last component's only when
 * `follow_last`). Returns the path, -ENOENT for an absent dynamic link on the way, or -ELOOP.
 */
function resolve(path: string, follow_last: boolean): string | number {
  const l = links.get();
  let pending = path.split("/");
  let i = 0;
  const out: string[] = [];
  let hops = 0;
  while (i < pending.length) {
    const c = pending[i++]!;
    if (c === "" || c === ".") continue;
    if (c === "..") {
      out.pop();
      continue;
    }
    out.push(c);
    if (l.size === 0 && dynamic.get().size === 0) continue;
    const target = link_at("/" + out.join("/"));
    if (target === undefined) continue;
    let last = true;
    for (let j = i; j < pending.length; j++) if (pending[j] !== "" && pending[j] !== ".") last = false;
    if (last && !follow_last) continue;
    if (target === null) return -ENOENT;
    if (++hops > MAXSYMLINKS) return -ELOOP;
    out.pop();
    if (target.startsWith("/")) out.length = 0;
    pending = [...target.split("/"), ...pending.slice(i)];
    i = 0;
  }
  return "/" + out.join("/");
}

/** `path` with the links in its directory part followed (where a new entry goes); lexical on error. */
function resolve_parent(path: string): string {
  const p = norm(path);
  const cut = p.lastIndexOf("/");
  const dir = resolve(p.slice(0, cut), true);
  if (typeof dir === "number") return p;
  return (dir === "/" ? "" : dir) + p.slice(cut);
}

/**
 * sysfs_streq() (lib/string.c): do a written value and a name match, a trailing newline on either
 * side ignored (what `echo NAME > attr` writes)? Nothing else is trimmed.
 */
export function sysfs_streq(written: string, name: string): boolean {
  const strip = (s: string): string => (s.endsWith("\n") ? s.slice(0, -1) : s);
  return strip(written) === strip(name);
}

export function kernfs_create(path: string, file: KernfsFile): void {
  tree.get().set(resolve_parent(path), file);
  invalidate_dirs();
}

/**
 * kernfs_create_link(): a symbolic link at `path` to `target` (relative to the link's directory,
 * or absolute; see KernfsLinkTarget). Replaces a link already there.
 */
export function kernfs_create_link(path: string, target: KernfsLinkTarget): void {
  links.get().set(resolve_parent(path), target);
  invalidate_dirs();
}

/**
 * kernfs_get_target_path(): the relative target a link at `link_path` needs to reach `target`
 * (both absolute, link-free paths), as sysfs writes its links: up from the link's directory to
 * the nearest directory that contains the target's parent, then down ("../../devices/…"; a link
 * to an ancestor is written "../../../0000:00:03.0", never "../..").
 */
export function kernfs_get_target_path(link_path: string, target: string): string {
  const from = norm(link_path).split("/").slice(1, -1);
  const to = norm(target).split("/").slice(1);
  let common = 0;
  while (common < from.length && common < to.length - 1 && from[common] === to[common]) common++;
  const up = from.length - common;
  const rel = [...Array<string>(up).fill(".."), ...to.slice(common)].join("/");
  return rel === "" ? "." : rel;
}

/**
 * kernfs_readlink(): a link's target as stored (what readlink(2) gives), -EINVAL when `path` is
 * not a link, -ENOENT when it does not exist (or is a dynamic link that is absent now).
 */
export function kernfs_readlink(path: string): string | number {
  const p = resolve(path, false);
  if (typeof p === "number") return p;
  const target = link_at(p);
  if (target === undefined) return exists(p) ? -EINVAL : -ENOENT;
  return target ?? -ENOENT;
}

/** Remove a file, a link (not what it points to), or a whole directory and everything below it. */
export function kernfs_remove(path: string): void {
  const p = resolve_parent(path);
  const prefix = p + "/";
  for (const m of [tree.get(), links.get()] as Map<string, unknown>[]) {
    m.delete(p);
    for (const k of [...m.keys()]) if (k.startsWith(prefix)) m.delete(k);
  }
  invalidate_dirs();
}

/** Below `p` there is a file or a present link: `p` is an (implicit) directory. */
function is_dir(p: string): boolean {
  const index = dirs();
  if (index.dirs.has(p)) return true;
  if (index.computed.length === 0) return false;
  const l = links.get();
  const prefix = p === "/" ? "/" : p + "/";
  for (const k of index.computed) if (k.startsWith(prefix) && link_target(l.get(k)!) !== null) return true;
  return false;
}

function exists(p: string): boolean {
  if (tree.get().has(p) || is_dir(p)) return true;
  const d = dyn_lookup(p);
  return d !== null && (d.kind !== "link" || d.target !== null);
}

/**
 * What kernfs_lookup_node() finds at a path. A file inside a dynamic directory (/proc/PID/…) is
 * marked `dynamic`: Linux serves those from per-entry file_operations rather than proc_dir_entries,
 * which changes what a write without a handler fails with (kernel/fs/kernfs_vfs.ts). A dynamic
 * directory or link may carry its own permission bits (and a link its i_size), as /proc/PID/fd
 * and its links have (0500; 0700 by the descriptor's access mode, size 64).
 */
export type KernfsNode =
  | { kind: "file"; file: KernfsFile; dynamic?: boolean }
  | { kind: "dir"; mode?: number }
  | { kind: "link"; target: string; mode?: number; size?: number };

/**
 * The node at a physical (link-free) path, for the VFS's component-by-component walk
 * (kernel/fs/kernfs_vfs.ts): a file, a directory, a present link with its target, or null. Links
 * are not followed; the walk does that itself.
 */
export function kernfs_lookup_node(p: string): KernfsNode | null {
  const l = links.get().get(p);
  if (l !== undefined) {
    const target = link_target(l);
    return target === null ? null : { kind: "link", target };
  }
  const d = dyn_lookup(p);
  if (d !== null) {
    if (d.kind === "file") return { kind: "file", file: d.file, dynamic: true };
    if (d.kind === "dir") return d.mode === undefined ? { kind: "dir" } : { kind: "dir", mode: d.mode };
    if (d.target === null) return null;
    return { kind: "link", target: d.target, ...(d.mode === undefined ? {} : { mode: d.mode }), ...(d.size === undefined ? {} : { size: d.size }) };
  }
  const f = tree.get().get(p);
  if (f !== undefined) return { kind: "file", file: f };
  return is_dir(p) ? { kind: "dir" } : null;
}

export function kernfs_read(path: string): string | Uint8Array | number {
  const p = resolve(path, true);
  if (typeof p === "number") return p;
  const d = dyn_lookup(p);
  if (d !== null && d.kind !== "link") return d.kind === "dir" ? -EISDIR : (d.file.show?.() ?? -EACCES);
  const f = tree.get().get(p);
  if (f === undefined) return is_dir(p) ? -EISDIR : -ENOENT;
  if (f.show === undefined) return -EACCES;
  return f.show();
}

export async function kernfs_write(path: string, data: string): Promise<number> {
  const p = resolve(path, true);
  if (typeof p === "number") return p;
  const d = dyn_lookup(p);
  if (d !== null && d.kind !== "link") return d.kind === "dir" ? -EISDIR : (d.file.store?.(data) ?? -EACCES);
  const f = tree.get().get(p);
  if (f === undefined) return is_dir(p) ? -EISDIR : -ENOENT;
  if (f.store === undefined) return -EACCES;
  return f.store(data);
}

/**
 * Names directly below `path` (links included, absent ones not), sorted; -ENOENT / -ENOTDIR when
 * it is missing or a file. A directory inside a dynamic one lists that directory's entries (an
 * empty one gives []), and whatever the static tree holds below the same path.
 */
export function kernfs_readdir(path: string): string[] | number {
  const p = resolve(path, true);
  if (typeof p === "number") return p;
  const t = tree.get();
  if (t.has(p)) return -ENOTDIR;
  const d = dyn_lookup(p);
  if (d !== null && d.kind !== "dir") return -ENOTDIR;
  const names = new Set<string>();
  if (d !== null) for (const [name, e] of d.entries) if (!("link" in e) || e.link() !== null) names.add(name);
  const prefix = p === "/" ? "/" : p + "/";
  for (const k of t.keys()) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split("/")[0]!);
  for (const [k, l] of links.get()) if (k.startsWith(prefix) && link_target(l) !== null) names.add(k.slice(prefix.length).split("/")[0]!);
  const dir = dynamic.get().get(p);
  if (dir !== undefined) for (const n of dir.list()) names.add(n);
  if (names.size === 0 && d === null) return -ENOENT;
  return [...names].sort();
}
