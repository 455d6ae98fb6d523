import { strerror, ENOSYS } from "../../include/linux/errno.ts";
import { CLOCK_REALTIME, type Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { parse_datestr } from "../lib/datestr.ts";
import { localtime, strftime } from "../lib/time.ts";

/**
 * date [-uR] [-I[SPEC]] [-d TIME] [-r FILE] [+FMT] (busybox coreutils/date.c): the time from
 * clock_gettime(CLOCK_REALTIME), as "%a %b %e %H:%M:%S %Z %Y" or a strftime format (with %N for
 * nanoseconds). The machine's zone is UTC. Setting the clock (`date TIME`) is refused: the kernel
 * has no clock_settime, so busybox's "can't set date" is printed and the parsed TIME shown.
 */
const USAGE = `Usage: date [OPTIONS] [+FMT] [TIME]

Display time (using +FMT)

	-u		Work in UTC (don't convert to local time)
	-d TIME		Display TIME, not 'now'
	-r FILE		Display last modification time of FILE
	-R		Output RFC-2822 date
	-I[SPEC]	Output ISO-8601 date
			SPEC=date (default), hours, minutes, seconds or ns

Recognized TIME formats:
	@seconds_since_1970
	hh:mm[:ss]
	[YYYY.]MM.DD-hh:mm[:ss]
	YYYY-MM-DD hh:mm[:ss]
	[[[[[YY]YY]MM]DD]hh]mm[.ss]
	'date TIME' form accepts MMDDhhmm[[YY]YY][.ss] instead
`;

const ISO_SPECS = ["date", "hours", "minutes", "seconds", "ns"] as const;

/** -I[SPEC]'s format: 0 date … 4 ns (the nanoseconds and the "+hh:mm" offset filled in). */
export function iso_format(spec: number, nsec: number, tm_gmtoff: number): string {
  let f = "%Y-%m-%dT%H:%M:%S".slice(0, 8 + 3 * Math.min(spec, 3));
  if (spec === 0) return f;
  if (spec === 4) f += `,${String(nsec).padStart(9, "0")}`;
  const a = Math.abs(tm_gmtoff);
  const off = `${tm_gmtoff < 0 ? "-" : "+"}${String(Math.floor(a / 3600)).padStart(2, "0")}:${String(Math.floor((a % 3600) / 60)).padStart(2, "0")}`;
  return f + off;
}

async function usage_error(sys: Syscalls, msg: string | null): Promise<number> {
  await sys.write(2, `${msg === null ? "" : `date: ${msg}\n`}${USAGE}`);
  return 1;
}

export async function date(argv: readonly string[], sys: Syscalls): Promise<number> {
  let rfc = false;
  let iso: number | null = null;
  let date_str: string | null = null;
  let ref: string | null = null;
  let set = false;
  const operands: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const long = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (long !== null) {
      const [, name, val] = long;
      const need = (): string | null => val ?? argv[++i] ?? null;
      if (name === "utc" || name === "universal") continue;
      if (name === "rfc-2822" || name === "rfc-email") rfc = true;
      else if (name === "iso-8601") {
        iso = val === undefined ? 0 : ISO_SPECS.indexOf(val as (typeof ISO_SPECS)[number]);
        if (iso < 0) return usage_error(sys, null);
      } else if (name === "date") {
        date_str = need();
        if (date_str === null) return usage_error(sys, "option '--date' requires an argument");
      } else if (name === "reference") {
        ref = need();
        if (ref === null) return usage_error(sys, "option '--reference' requires an argument");
      } else if (name === "set") {
        date_str = need();
        set = true;
        if (date_str === null) return usage_error(sys, "option '--set' requires an argument");
      } else return usage_error(sys, `unrecognized option '${a}'`);
      continue;
    }
    if (a === "--") {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      operands.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (c === "u") continue;
      if (c === "R") rfc = true;
      else if (c === "I") {
        const spec = a.slice(j + 1);
        iso = spec === "" ? 0 : ISO_SPECS.indexOf(spec as (typeof ISO_SPECS)[number]);
        if (iso < 0) return usage_error(sys, null);
        break;
      } else if (c === "d" || c === "r" || c === "s") {
        const v = a.length > j + 1 ? a.slice(j + 1) : argv[++i];
        if (v === undefined) return usage_error(sys, `option requires an argument -- '${c}'`);
        if (c === "r") ref = v;
        else {
          date_str = v;
          set = c === "s";
        }
        break;
      } else return usage_error(sys, `invalid option -- '${c}'`);
    }
  }
  if (rfc && iso !== null) return usage_error(sys, null);

  let fmt: string | null = null;
  if (operands[0]?.startsWith("+")) fmt = operands.shift()!.slice(1);
  if (date_str === null && operands.length > 0) {
    // "date TIME" sets the clock; its MMDDhhmm[[CC]YY][.ss] puts the year last.
    let s = operands.shift()!;
    const m = /^(\d+)(\.\d\d)?$/.exec(s);
    if (m !== null) {
      const extra = m[1]!.length - 8;
      if (extra < 0 || extra > 4 || extra % 2 !== 0) {
        await sys.write(2, `date: invalid date '${s}'\n`);
        return 1;
      }
      s = m[1]!.slice(8) + m[1]!.slice(0, 8) + (m[2] ?? "");
    }
    date_str = s;
    set = true;
  }
  if (operands.length > 0) return usage_error(sys, null);

  let sec: number;
  let nsec: number;
  if (ref !== null) {
    const st = sys.stat(ref);
    if (typeof st === "number") {
      await sys.write(2, `date: can't stat '${ref}': ${strerror(st)}\n`);
      return 1;
    }
    sec = st.st_mtime;
    nsec = st.st_mtime_nsec;
  } else {
    const ns = sys.clock_gettime(CLOCK_REALTIME);
    sec = Math.floor(ns / 1e9);
    nsec = Math.max(0, Math.min(999_999_999, Math.round(ns - sec * 1e9)));
  }
  if (date_str !== null) {
    const base = localtime(sec);
    const t = base === null ? null : parse_datestr(date_str, { ...base, tm_sec: 0, tm_min: 0, tm_hour: 0 });
    if (t === null || localtime(t) === null) {
      await sys.write(2, `date: invalid date '${date_str}'\n`);
      return 1;
    }
    sec = t;
    nsec = 0;
    if (set) await sys.write(2, `date: can't set date: ${strerror(-ENOSYS)}\n`);
  }
  const tm = localtime(sec)!;
  if (fmt === null) {
    if (iso !== null) fmt = iso_format(iso, nsec, tm.tm_gmtoff);
    else if (rfc) fmt = "%a, %d %b %Y %H:%M:%S %z";
    else fmt = "%a %b %e %H:%M:%S %Z %Y";
  }
  await sys.write(1, (fmt === "" ? "" : strftime(fmt, tm, nsec)) + "\n");
  return 0;
}

export const date_command: Command = {
  name: "date",
  summary: "print the date and time",
  usage: USAGE,
  main: date,
};
