import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { count_flag, fail, getopt, print, read_text } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** free [-k|-m|-h]: procps layout over /proc/meminfo. */
export async function free(argv: readonly string[], sys: Syscalls): Promise<number> {
  const p = getopt(argv, "kmh");
  if (typeof p === "string") return fail(sys, "free", p);
  const t = read_text(sys, "/proc/meminfo");
  if (typeof t === "number") return fail(sys, "free", "cannot read /proc/meminfo");
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(t)?.[1] ?? 0);
  const total = kb("MemTotal");
  const free_kb = kb("MemFree");
  const avail = kb("MemAvailable");
  const used = total - free_kb - kb("Buffers") - kb("Cached");
  const fmt = (v: number): string => {
    if (count_flag(p.opts, "h")) return v >= 1024 * 1024 ? `${(v / 1024 / 1024).toFixed(1)}Gi` : v >= 1024 ? `${(v / 1024).toFixed(1)}Mi` : `${v}Ki`;
    if (count_flag(p.opts, "m")) return String(Math.floor(v / 1024));
    return String(v);
  };
  const row = (cols: string[]): string => cols.map((c, i) => (i === 0 ? c.padEnd(7) : c.padStart(12))).join("");
  print(sys, row(["", "total", "used", "free", "shared", "buff/cache", "available"]) + "\n");
  print(sys, row(["Mem:", fmt(total), fmt(used), fmt(free_kb), fmt(0), fmt(kb("Buffers") + kb("Cached")), fmt(avail)]) + "\n");
  print(sys, row(["Swap:", fmt(kb("SwapTotal")), fmt(0), fmt(kb("SwapFree"))]) + "\n");
  return 0;
}

export const free_command: Command = {
  name: "free",
  summary: "memory usage (-k, -m, -h)",
  usage: "Usage: free\n\nMemory usage (-k, -m, -h).\n",
  main: free,
};
