/**
 * getpwuid(3) / getgrgid(3): user and group names from /etc/passwd and /etc/group. The kernel runs
 * everything as uid 0 and has no credential model beyond it; when the files are missing, uid and
 * gid 0 are still "root" (the one account such a system has), any other id has no name (null), and
 * tools print the number, as they do on Linux for an id with no entry.
 */
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { read_text } from "./stdio.ts";

function lookup(sys: Syscalls, file: string, id: number): string | null {
  const text = read_text(sys, file);
  if (typeof text === "number") return id === 0 ? "root" : null;
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && Number(f[2]) === id && f[2] !== "") return f[0]!;
  }
  return null;
}

/** The user name of `uid`, or null when it has none. */
export function getpwuid(sys: Syscalls, uid: number): string | null {
  return lookup(sys, "/etc/passwd", uid);
}

/** The group name of `gid`, or null when it has none. */
export function getgrgid(sys: Syscalls, gid: number): string | null {
  return lookup(sys, "/etc/group", gid);
}
