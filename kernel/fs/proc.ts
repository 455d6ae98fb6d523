import { ENOENT } from "../../include/linux/errno.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";

/**
 * procfs (fs/proc): read-only text files generated when read. Subsystems register a show
 * function under a path below /proc; userland reads them through the open/read system calls.
 */
export type ProcShow = () => string;

const proc_entries = DEFINE_PER_KERNEL(() => new Map<string, ProcShow>());

function normalize(path: string): string {
  return path.replace(/^\/proc\/?/, "").replace(/^\/+|\/+$/g, "");
}

/** proc_create(): register `/proc/<path>`. Replaces an entry of the same name. */
export function proc_create(path: string, show: ProcShow): void {
  proc_entries.get().set(normalize(path), show);
}

export function proc_remove(path: string): void {
  proc_entries.get().delete(normalize(path));
}

/** The file's contents, or -ENOENT. */
export function proc_read(path: string): string | number {
  const show = proc_entries.get().get(normalize(path));
  if (show === undefined) return -ENOENT;
  return show();
}

/** Every registered path, sorted. */
export function proc_list(): string[] {
  return [...proc_entries.get().keys()].sort();
}
