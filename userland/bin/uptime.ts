import { CLOCK_REALTIME, type Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { fixed } from "../lib/fcvt.ts";
import { count_users, read_loadavg, read_tasks, read_uptime } from "../lib/procps.ts";
import { localtime } from "../lib/time.ts";

/**
 * uptime [-ps] (procps-ng 4.0.2 src/uptime.c, library/uptime.c): " 20:30:11 up  1:05,  1 user,
 * load average: 0.00, 0.00, 0.00" from /proc/uptime and /proc/loadavg. The load reads 0.00 when
 * the kernel has no /proc/loadavg, as procps_loadavg() leaves it. Users are counted from the login
 * shells on a terminal (there is no utmp).
 */
const USAGE = `
Usage:
 uptime [options]

Options:
 -p, --pretty   show uptime in pretty format
 -h, --help     display this help and exit
 -s, --since    system up since

For more details see uptime(1).
`;

const p2 = (n: number): string => String(n).padStart(2, "0");

/** procps_uptime_sprint(): the classic line. */
export function uptime_line(now_s: number, up_s: number, users: number, load: readonly [number, number, number]): string {
  const t = localtime(now_s)!;
  const secs = Math.trunc(up_s);
  const updays = Math.trunc(secs / 86400);
  const uphours = Math.trunc(secs / 3600) % 24;
  const upminutes = Math.trunc(secs / 60) % 60;
  let s = ` ${p2(t.tm_hour)}:${p2(t.tm_min)}:${p2(t.tm_sec)} up `;
  if (updays) s += `${updays} ${updays > 1 ? "days" : "day"}, `;
  if (uphours) s += `${String(uphours).padStart(2)}:${p2(upminutes)}, `;
  else s += `${upminutes} min, `;
  s += `${String(users).padStart(2)} ${users > 1 ? "users" : "user"},  load average: ${load.map((v) => fixed(v, 2)).join(", ")}`;
  return s;
}

/** procps_uptime_sprint_short(): "up 1 week, 2 days, 3 hours, 4 minutes". */
export function uptime_pretty(up_s: number): string {
  let u = up_s;
  const take = (unit: number): number => {
    if (u > unit) {
      const n = Math.trunc(u / unit);
      u -= n * unit;
      return n;
    }
    return 0;
  };
  const decades = take(60 * 60 * 24 * 365 * 10);
  const years = take(60 * 60 * 24 * 365);
  const weeks = take(60 * 60 * 24 * 7);
  const days = take(60 * 60 * 24);
  const hours = take(60 * 60);
  const minutes = take(60);
  const parts: string[] = [];
  if (decades) parts.push(`${decades} ${decades > 1 ? "decades" : "decade"}`);
  if (years) parts.push(`${years} ${years > 1 ? "years" : "year"}`);
  if (weeks) parts.push(`${weeks} ${weeks > 1 ? "weeks" : "week"}`);
  if (days) parts.push(`${days} ${days > 1 ? "days" : "day"}`);
  if (hours) parts.push(`${hours} ${hours > 1 ? "hours" : "hour"}`);
  if (minutes || u < 60) parts.push(`${minutes} ${minutes !== 1 ? "minutes" : "minute"}`);
  return `up ${parts.join(", ")}`;
}

export async function uptime(argv: readonly string[], sys: Syscalls): Promise<number> {
  let pretty = false;
  let since = false;
  for (const a of argv.slice(1)) {
    if (a === "--pretty") pretty = true;
    else if (a === "--since") since = true;
    else if (a === "--help") {
      await sys.write(1, USAGE);
      return 0;
    } else if (a.startsWith("-") && !a.startsWith("--") && a.length > 1) {
      for (const c of a.slice(1)) {
        if (c === "p") pretty = true;
        else if (c === "s") since = true;
        else if (c === "h") {
          await sys.write(1, USAGE);
          return 0;
        } else {
          await sys.write(2, `uptime: invalid option -- '${c}'\n${USAGE}`);
          return 1;
        }
      }
    } else {
      await sys.write(2, a.startsWith("--") ? `uptime: unrecognized option '${a}'\n${USAGE}` : USAGE);
      return 1;
    }
  }
  const up = read_uptime(sys);
  if (up === null) {
    await sys.write(2, "uptime: Cannot get system uptime\n");
    return 1;
  }
  const now = sys.clock_gettime(CLOCK_REALTIME) / 1e9;
  if (since) {
    const t = localtime(Math.trunc(now - up[0] + 0.5))!;
    await sys.write(1, `${t.tm_year + 1900}-${p2(t.tm_mon + 1)}-${p2(t.tm_mday)} ${p2(t.tm_hour)}:${p2(t.tm_min)}:${p2(t.tm_sec)}\n`);
    return 0;
  }
  if (pretty) {
    await sys.write(1, `${uptime_pretty(up[0])}\n`);
    return 0;
  }
  const load = read_loadavg(sys)?.avg ?? [0, 0, 0];
  await sys.write(1, `${uptime_line(Math.floor(now), up[0], count_users(read_tasks(sys)), load)}\n`);
  return 0;
}

export const uptime_command: Command = {
  name: "uptime",
  summary: "tell how long the system has been running",
  usage: USAGE,
  main: uptime,
};
