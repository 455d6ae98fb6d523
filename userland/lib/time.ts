/**
 * libc's <time.h> for userland: broken-down time (struct tm), gmtime/localtime, timegm/mktime and
 * strftime with glibc's conversions and GNU flags. The machine has no zoneinfo (/etc/localtime),
 * so local time is UTC, as glibc's is when neither TZ nor /etc/localtime says otherwise.
 */

/** struct tm. tm_year counts from 1900, tm_mon from 0, tm_wday from Sunday, tm_yday from 0. */
export interface Tm {
  tm_sec: number;
  tm_min: number;
  tm_hour: number;
  tm_mday: number;
  tm_mon: number;
  tm_year: number;
  tm_wday: number;
  tm_yday: number;
  /** Seconds east of UTC (tm_gmtoff) and the zone's abbreviation (tm_zone). */
  tm_gmtoff: number;
  tm_zone: string;
}

const MS_PER_S = 1000;
/** The range a JavaScript Date covers (±8.64e15 ms): what gmtime can convert. */
const MAX_TIME_S = 8.64e12;

/** gmtime(3): UTC broken-down time of `t` seconds since the epoch; null out of range. */
export function gmtime(t: number): Tm | null {
  if (!Number.isFinite(t) || Math.abs(t) > MAX_TIME_S) return null;
  const d = new Date(Math.floor(t) * MS_PER_S);
  const jan1 = Date.UTC(d.getUTCFullYear(), 0, 1);
  return {
    tm_sec: d.getUTCSeconds(),
    tm_min: d.getUTCMinutes(),
    tm_hour: d.getUTCHours(),
    tm_mday: d.getUTCDate(),
    tm_mon: d.getUTCMonth(),
    tm_year: d.getUTCFullYear() - 1900,
    tm_wday: d.getUTCDay(),
    tm_yday: Math.floor((d.getTime() - jan1) / 86_400_000),
    tm_gmtoff: 0,
    tm_zone: "GMT",
  };
}

/** localtime(3): the machine's zone is UTC (no zoneinfo), named "UTC" as glibc names Etc/UTC. */
export function localtime(t: number): Tm | null {
  const tm = gmtime(t);
  if (tm !== null) tm.tm_zone = "UTC";
  return tm;
}

/** timegm(3) / mktime(3) in UTC: seconds since the epoch of `tm`, normalising out-of-range fields. */
export function timegm(tm: Pick<Tm, "tm_sec" | "tm_min" | "tm_hour" | "tm_mday" | "tm_mon" | "tm_year">): number {
  const ms = Date.UTC(tm.tm_year + 1900, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  const d = new Date(ms);
  // Date.UTC maps years 0..99 to 1900..1999; put the year back.
  if (tm.tm_year + 1900 >= 0 && tm.tm_year + 1900 < 100) d.setUTCFullYear(d.getUTCFullYear() - 1900);
  return Math.floor(d.getTime() / MS_PER_S);
}

export const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;
export const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"] as const;

/** ISO 8601 week-based year and week number (%G, %V). */
function iso_week(tm: Tm): { year: number; week: number } {
  const year = tm.tm_year + 1900;
  const wday = (tm.tm_wday + 6) % 7; // Monday = 0
  // The Thursday of this week decides the year.
  const thursday_yday = tm.tm_yday - wday + 3;
  const days_in = (y: number): number => ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 366 : 365);
  if (thursday_yday < 0) {
    const prev = year - 1;
    const yday = thursday_yday + days_in(prev);
    return { year: prev, week: Math.floor(yday / 7) + 1 };
  }
  if (thursday_yday >= days_in(year)) return { year: year + 1, week: 1 };
  return { year, week: Math.floor(thursday_yday / 7) + 1 };
}

/** "+hhmm" (or "+hh:mm" with `colon`) of a UTC offset in seconds. */
function zone_offset(gmtoff: number, colon: boolean): string {
  const sign = gmtoff < 0 ? "-" : "+";
  const a = Math.abs(gmtoff);
  const hh = String(Math.floor(a / 3600)).padStart(2, "0");
  const mm = String(Math.floor((a % 3600) / 60)).padStart(2, "0");
  return `${sign}${hh}${colon ? ":" : ""}${mm}`;
}

/**
 * strftime(3) as glibc does it, with GNU's flags (`-` no padding, `_` spaces, `0` zeros, `^` upper
 * case, `#` swap case) and field widths; `nsec` feeds GNU date's %N. A conversion glibc does not
 * know is copied as written.
 */
export function strftime(fmt: string, tm: Tm, nsec = 0): string {
  let out = "";
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== "%") {
      out += c;
      continue;
    }
    const start = i;
    let flag = "";
    while (i + 1 < fmt.length && "-_0^#".includes(fmt[i + 1]!)) flag += fmt[++i]!;
    let width = "";
    while (i + 1 < fmt.length && /[0-9]/.test(fmt[i + 1]!)) width += fmt[++i]!;
    let colon = false;
    if (fmt[i + 1] === ":" && fmt[i + 2] === "z") {
      colon = true;
      i++;
    }
    while (i + 1 < fmt.length && (fmt[i + 1] === "E" || fmt[i + 1] === "O")) i++; // locale modifiers: ignored in C
    const conv = fmt[++i];
    if (conv === undefined) {
      out += fmt.slice(start);
      break;
    }
    const r = conversion(conv, tm, nsec, colon, width);
    if (r === null) {
      out += fmt.slice(start, i + 1);
      continue;
    }
    out += apply_flags(r, flag, width);
  }
  return out;
}

interface Field {
  text: string;
  /** Numeric fields pad with this by default ("0" or " "); strings pad with spaces. */
  pad: "0" | " " | null;
  /** Upper-case under '#' (names), or lower-case (%Z, %p)? */
  swap?: "upper" | "lower";
}

function num(v: number, digits: number, pad: "0" | " " = "0"): Field {
  const s = String(Math.abs(v));
  return { text: (v < 0 ? "-" : "") + s.padStart(digits, pad === "0" ? "0" : " "), pad };
}

function conversion(c: string, tm: Tm, nsec: number, colon: boolean, width: string): Field | null {
  const year = tm.tm_year + 1900;
  const hour12 = tm.tm_hour % 12 === 0 ? 12 : tm.tm_hour % 12;
  const str = (text: string, swap?: "upper" | "lower"): Field => ({ text, pad: null, swap });
  switch (c) {
    case "a":
      return str(WEEKDAYS[tm.tm_wday]!.slice(0, 3), "upper");
    case "A":
      return str(WEEKDAYS[tm.tm_wday]!, "upper");
    case "b":
    case "h":
      return str(MONTHS[tm.tm_mon]!.slice(0, 3), "upper");
    case "B":
      return str(MONTHS[tm.tm_mon]!, "upper");
    case "c":
      return str(strftime("%a %b %e %H:%M:%S %Y", tm));
    case "C":
      return num(Math.floor(year / 100), 2);
    case "d":
      return num(tm.tm_mday, 2);
    case "D":
      return str(strftime("%m/%d/%y", tm));
    case "e":
      return num(tm.tm_mday, 2, " ");
    case "F":
      return str(strftime("%Y-%m-%d", tm));
    case "G":
      return num(iso_week(tm).year, 1);
    case "g":
      return num(((iso_week(tm).year % 100) + 100) % 100, 2);
    case "H":
      return num(tm.tm_hour, 2);
    case "I":
      return num(hour12, 2);
    case "j":
      return num(tm.tm_yday + 1, 3);
    case "k":
      return num(tm.tm_hour, 2, " ");
    case "l":
      return num(hour12, 2, " ");
    case "m":
      return num(tm.tm_mon + 1, 2);
    case "M":
      return num(tm.tm_min, 2);
    case "n":
      return str("\n");
    case "N": {
      // GNU date: nanoseconds, a width keeps that many leading digits.
      const all = String(nsec).padStart(9, "0");
      return str(width !== "" ? all.slice(0, Math.min(9, Number(width))).padEnd(Number(width), "0") : all);
    }
    case "p":
      return str(tm.tm_hour < 12 ? "AM" : "PM", "lower");
    case "P":
      return str(tm.tm_hour < 12 ? "am" : "pm");
    case "r":
      return str(strftime("%I:%M:%S %p", tm));
    case "R":
      return str(strftime("%H:%M", tm));
    case "s":
      return num(timegm(tm) - tm.tm_gmtoff, 1);
    case "S":
      return num(tm.tm_sec, 2);
    case "t":
      return str("\t");
    case "T":
      return str(strftime("%H:%M:%S", tm));
    case "u":
      return num(tm.tm_wday === 0 ? 7 : tm.tm_wday, 1);
    case "U":
      return num(Math.floor((tm.tm_yday + 7 - tm.tm_wday) / 7), 2);
    case "V":
      return num(iso_week(tm).week, 2);
    case "w":
      return num(tm.tm_wday, 1);
    case "W":
      return num(Math.floor((tm.tm_yday + 7 - ((tm.tm_wday + 6) % 7)) / 7), 2);
    case "x":
      return str(strftime("%m/%d/%y", tm));
    case "X":
      return str(strftime("%H:%M:%S", tm));
    case "y":
      return num(((year % 100) + 100) % 100, 2);
    case "Y":
      return num(year, 1);
    case "z":
      return str(zone_offset(tm.tm_gmtoff, colon));
    case "Z":
      return str(tm.tm_zone, "lower");
    case "%":
      return str("%");
    default:
      return null;
  }
}

function apply_flags(f: Field, flag: string, width: string): string {
  let text = f.text;
  if (flag.includes("^")) text = text.toUpperCase();
  else if (flag.includes("#") && f.swap !== undefined) text = f.swap === "upper" ? text.toUpperCase() : text.toLowerCase();
  if (f.pad !== null) {
    const neg = text.startsWith("-");
    let digits = neg ? text.slice(1) : text;
    if (flag.includes("-")) digits = digits.replace(/^[ 0]+(?=\d)/, "");
    else if (flag.includes("_")) digits = digits.replace(/^0+(?=\d)/, (z) => " ".repeat(z.length));
    else if (flag.includes("0")) digits = digits.replace(/^ +/, (s) => "0".repeat(s.length));
    text = (neg ? "-" : "") + digits;
  }
  const w = Number(width || "0");
  if (w > text.length && !flag.includes("-")) {
    const pad = flag.includes("_") || (f.pad === null && !flag.includes("0")) || (f.pad === " " && !flag.includes("0")) ? " " : "0";
    text = pad === "0" && text.startsWith("-") ? "-" + text.slice(1).padStart(w - 1, "0") : text.padStart(w, pad);
  }
  return text;
}
