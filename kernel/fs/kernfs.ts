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
 */
export interface KernfsFile {
  /** The file's contents, or a negative errno (the read fails with it, as a sysfs show may). */
  show?: () => string | Uint8Array | number;
  /** Handle a write; returns bytes consumed or a negative errno. */
  store?: (data: string) => number | Promise<number>;
}

/**
 * A directory whose entries are computed when looked up (like /proc/PID): `list` names the
 * subdirectories, `lookup` gives one subdirectory's files.
 */
export interface KernfsDynamicDir {
  list(): string[];
  lookup(name: string): ReadonlyMap<string, KernfsFile> | undefined;
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

/** Resolve `p` inside a dynamic directory: files of one entry, or one file. */
function dyn_lookup(p: string): { files?: ReadonlyMap<string, KernfsFile>; file?: KernfsFile } | null {
  for (const [base, dir] of dynamic.get()) {
    if (!p.startsWith(base + "/")) continue;
    const [name, file, ...more] = p.slice(base.length + 1).split("/");
    if (more.length > 0 || name === undefined) return null;
    const files = dir.lookup(name);
    if (files === undefined) return null;
    if (file === undefined) return { files };
    const f = files.get(file);
    return f === undefined ? null : { file: f };
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
    if (l.size === 0) continue;
    const link = l.get("/" + out.join("/"));
    if (link === undefined) continue;
    let last = true;
    for (let j = i; j < pending.length; j++) if (pending[j] !== "" && pending[j] !== ".") last = false;
    if (last && !follow_last) continue;
    const target = link_target(link);
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
  const l = links.get().get(p);
  if (l === undefined) return exists(p) ? -EINVAL : -ENOENT;
  return link_target(l) ?? -ENOENT;
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
  return tree.get().has(p) || is_dir(p) || dyn_lookup(p) !== null;
}

/** What kernfs_lookup_node() finds at a path. */
export type KernfsNode = { kind: "file"; file: KernfsFile } | { kind: "dir" } | { kind: "link"; target: string };

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
  if (d !== null) return d.file !== undefined ? { kind: "file", file: d.file } : { kind: "dir" };
  const f = tree.get().get(p);
  if (f !== undefined) return { kind: "file", file: f };
  return is_dir(p) ? { kind: "dir" } : null;
}

export function kernfs_read(path: string): string | Uint8Array | number {
  const p = resolve(path, true);
  if (typeof p === "number") return p;
  const d = dyn_lookup(p);
  if (d !== null) return d.file?.show?.() ?? -EISDIR;
  const f = tree.get().get(p);
  if (f === undefined) return is_dir(p) ? -EISDIR : -ENOENT;
  if (f.show === undefined) return -EACCES;
  return f.show();
}

export async function kernfs_write(path: string, data: string): Promise<number> {
  const p = resolve(path, true);
  if (typeof p === "number") return p;
  const f = tree.get().get(p);
  if (f === undefined) return is_dir(p) ? -EISDIR : -ENOENT;
  if (f.store === undefined) return -EACCES;
  return f.store(data);
}

/** Names directly below `path` (links included), sorted; -ENOENT / -ENOTDIR when it is missing or a file. */
export function kernfs_readdir(path: string): string[] | number {
  const p = resolve(path, true);
  if (typeof p === "number") return p;
  const t = tree.get();
  if (t.has(p)) return -ENOTDIR;
  const d = dyn_lookup(p);
  if (d !== null) return d.files !== undefined ? [...d.files.keys()].sort() : -ENOTDIR;
  const prefix = p === "/" ? "/" : p + "/";
  const names = new Set<string>();
  for (const k of t.keys()) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split("/")[0]!);
  for (const [k, l] of links.get()) if (k.startsWith(prefix) && link_target(l) !== null) names.add(k.slice(prefix.length).split("/")[0]!);
  const dir = dynamic.get().get(p);
  if (dir !== undefined) for (const n of dir.list()) names.add(n);
  if (names.size === 0) return -ENOENT;
  return [...names].sort();
}
