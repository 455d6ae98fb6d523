/**
 * busybox's parse_datestr() (libbb/time.c, desktop build): the TIME forms `date -d` and `touch -d`
 * accept, applied to a broken-down time that holds the fields a form leaves out:
 *
 *   hh:mm[:ss]  [YYYY.]MM.DD-hh:mm[:ss]  Mon DD hh:mm:ss YYYY  YYYY-MM-DD [hh[:mm[:ss]]] [+hhmm]
 *   @seconds_since_1970  [[[[[YY]YY]MM]DD]hh]mm[.ss]  (touch -t's form)
 */
import { MONTHS, timegm, type Tm } from "./time.ts";

/**
 * The seconds since the epoch `s` stands for, or null if it does not parse. `base` is the broken-down
 * time the fields `s` leaves out come from: date passes now with the clock part zeroed, touch now.
 */
export function parse_datestr(s: string, base: Tm): number | null {
  const now = base;
  const tm: Tm = { ...base };
  const n = (v: string | undefined): number => Number(v);
  const hms = (h: string, m: string, sec: string | undefined): boolean => {
    tm.tm_hour = n(h);
    tm.tm_min = n(m);
    tm.tm_sec = sec === undefined ? 0 : n(sec);
    return tm.tm_hour <= 23 && tm.tm_min <= 59 && tm.tm_sec <= 61;
  };
  const ymd = (y: string | undefined, mo: string, d: string): boolean => {
    if (y !== undefined) tm.tm_year = n(y) - 1900;
    tm.tm_mon = n(mo) - 1;
    tm.tm_mday = n(d);
    return tm.tm_mon >= 0 && tm.tm_mon <= 11 && tm.tm_mday >= 1 && tm.tm_mday <= 31;
  };
  const done = (ok: boolean, gmtoff = tm.tm_gmtoff): number | null => (ok ? timegm(tm) - gmtoff : null);

  let m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(s);
  if (m !== null) return done(hms(m[1]!, m[2]!, m[3]));
  m = /^(?:(\d{1,4})\.)?(\d{1,2})\.(\d{1,2})-(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(s);
  if (m !== null) return done(ymd(m[1], m[2]!, m[3]!) && hms(m[4]!, m[5]!, m[6]));
  m = /^([A-Za-z]{3})[a-z]* +(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2}) (\d{1,4})$/.exec(s);
  if (m !== null) {
    const mon = MONTHS.findIndex((name) => name.slice(0, 3).toLowerCase() === m![1]!.toLowerCase());
    return mon < 0 ? null : done(ymd(m[6], String(mon + 1), m[2]!) && hms(m[3]!, m[4]!, m[5]));
  }
  m = /^(\d{1,4})-(\d{1,2})-(\d{1,2})(?: (\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?)?(?: ([+-])(\d{2}):?(\d{2}))?$/.exec(s);
  if (m !== null && !(m[7] !== undefined && m[5] === undefined)) {
    const ok = ymd(m[1], m[2]!, m[3]!) && (m[4] === undefined || hms(m[4], m[5] ?? "0", m[6]));
    const off = m[7] === undefined ? tm.tm_gmtoff : (m[7] === "-" ? -1 : 1) * (n(m[8]) * 3600 + n(m[9]) * 60);
    return done(ok, off);
  }
  m = /^@([+-]?\d+)$/.exec(s);
  if (m !== null) {
    const t = Number(m[1]);
    return Number.isSafeInteger(t) ? t : null;
  }
  // [[[[[YY]YY]MM]DD]hh]mm[.ss]
  m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(s);
  if (m === null) return null;
  const d = m[1]!;
  const two = (i: number): number => Number(d.slice(i, i + 2));
  switch (d.length) {
    case 2:
      tm.tm_min = two(0);
      break;
    case 4:
      tm.tm_hour = two(0);
      tm.tm_min = two(2);
      break;
    case 6:
      tm.tm_mday = two(0);
      tm.tm_hour = two(2);
      tm.tm_min = two(4);
      break;
    case 8:
      tm.tm_mon = two(0) - 1;
      tm.tm_mday = two(2);
      tm.tm_hour = two(4);
      tm.tm_min = two(6);
      break;
    case 10: {
      const cur = now.tm_year;
      tm.tm_year = two(0);
      tm.tm_mon = two(2) - 1;
      tm.tm_mday = two(4);
      tm.tm_hour = two(6);
      tm.tm_min = two(8);
      if (cur >= 50) {
        tm.tm_year += Math.floor(cur / 100) * 100;
        if (tm.tm_year < cur - 50) tm.tm_year += 100;
        if (tm.tm_year > cur + 50) tm.tm_year -= 100;
      }
      break;
    }
    case 12:
      tm.tm_year = Number(d.slice(0, 4)) - 1900;
      tm.tm_mon = two(4) - 1;
      tm.tm_mday = two(6);
      tm.tm_hour = two(8);
      tm.tm_min = two(10);
      break;
    default:
      return null;
  }
  tm.tm_sec = m[2] === undefined ? 0 : Number(m[2]);
  if (tm.tm_sec > 60 || tm.tm_min > 59 || tm.tm_hour > 23 || tm.tm_mday > 31 || tm.tm_mon > 11 || tm.tm_mon < 0) return null;
  return done(true);
}
