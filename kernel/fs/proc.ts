import { kernfs_create, kernfs_read, kernfs_readdir, kernfs_remove } from "./kernfs.ts";

/**
 * procfs (fs/proc): text files under /proc generated when read. Subsystems register a show
 * function; userland reads them with the read-file system call.
 */
export type ProcShow = () => string;

/** proc_create(): register /proc/<path> (the leading /proc is optional). */
export function proc_create(path: string, show: ProcShow): void {
  kernfs_create(`/proc/${path.replace(/^\/?proc\//, "")}`, { show });
}

export function proc_remove(path: string): void {
  kernfs_remove(`/proc/${path.replace(/^\/?proc\//, "")}`);
}

/** The file's text, or a negative errno. */
export function proc_read(path: string): string | number {
  const r = kernfs_read(`/proc/${path.replace(/^\/?proc\//, "")}`);
  return typeof r === "number" ? r : typeof r === "string" ? r : new TextDecoder().decode(r);
}

export function proc_list(): string[] {
  const r = kernfs_readdir("/proc");
  return typeof r === "number" ? [] : r;
}
