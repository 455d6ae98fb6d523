import { EACCES, EISDIR, ENOENT, ENOTDIR } from "../../include/linux/errno.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";

/**
 * kernfs (fs/kernfs): the tree behind /proc and /sys. Files are generated when read (`show`)
 * and may accept writes (`store`); directories exist implicitly wherever files are below them.
 */
export interface KernfsFile {
  show?: () => string | Uint8Array;
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

const tree = DEFINE_PER_KERNEL(() => new Map<string, KernfsFile>());
const dynamic = DEFINE_PER_KERNEL(() => new Map<string, KernfsDynamicDir>());

/** Register a dynamic directory at `path`. */
export function kernfs_create_dynamic(path: string, dir: KernfsDynamicDir): void {
  dynamic.get().set(norm(path), dir);
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


function norm(path: string): string {
  const parts: string[] = [];
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return "/" + parts.join("/");
}

export function kernfs_create(path: string, file: KernfsFile): void {
  tree.get().set(norm(path), file);
}

/** Remove a file, or a whole directory and everything below it. */
export function kernfs_remove(path: string): void {
  const p = norm(path);
  const t = tree.get();
  t.delete(p);
  const prefix = p + "/";
  for (const k of [...t.keys()]) if (k.startsWith(prefix)) t.delete(k);
}

function is_dir(p: string): boolean {
  const prefix = p === "/" ? "/" : p + "/";
  for (const k of tree.get().keys()) if (k.startsWith(prefix)) return true;
  return false;
}

export function kernfs_read(path: string): string | Uint8Array | number {
  const p = norm(path);
  const d = dyn_lookup(p);
  if (d !== null) return d.file?.show?.() ?? -EISDIR;
  const f = tree.get().get(p);
  if (f === undefined) return is_dir(p) ? -EISDIR : -ENOENT;
  if (f.show === undefined) return -EACCES;
  return f.show();
}

export async function kernfs_write(path: string, data: string): Promise<number> {
  const p = norm(path);
  const f = tree.get().get(p);
  if (f === undefined) return is_dir(p) ? -EISDIR : -ENOENT;
  if (f.store === undefined) return -EACCES;
  return f.store(data);
}

/** Names directly below `path`, sorted; -ENOENT / -ENOTDIR when it is missing or a file. */
export function kernfs_readdir(path: string): string[] | number {
  const p = norm(path);
  const t = tree.get();
  if (t.has(p)) return -ENOTDIR;
  const d = dyn_lookup(p);
  if (d !== null) return d.files !== undefined ? [...d.files.keys()].sort() : -ENOTDIR;
  const prefix = p === "/" ? "/" : p + "/";
  const names = new Set<string>();
  for (const k of t.keys()) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split("/")[0]!);
  const dir = dynamic.get().get(p);
  if (dir !== undefined) for (const n of dir.list()) names.add(n);
  if (names.size === 0) return -ENOENT;
  return [...names].sort();
}
