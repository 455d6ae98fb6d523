/**
 * The comparisons behind busybox's sort (coreutils/sort.c compare_keys): byte order, -n (atof),
 * -g / -h (strtod, with K M G … suffixes for -h), -M (month names, as strptime's %b) and -V
 * (glibc's strverscmp). Keys are byte strings.
 */

const is_space = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const is_digit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** strcmp() over byte strings. */
export function strcmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strtod() of the longest numeric prefix (after white space): its value and where it ended (0: no number). */
export function strtod_prefix(s: string): { value: number; end: number } {
  let i = 0;
  while (i < s.length && is_space(s.charCodeAt(i))) i++;
  const rest = s.slice(i);
  const hex = /^[-+]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][-+]?\d+)?/.exec(rest);
  if (hex !== null) {
    const m = /^([-+]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([-+]?\d+))?$/.exec(hex[0])!;
    const v = Number.parseInt(m[2]! + m[3]!, 16) * 2 ** (Number(m[4] ?? 0) - 4 * m[3]!.length);
    return { value: m[1] === "-" ? -v : v, end: i + hex[0].length };
  }
  const dec = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(rest);
  if (dec !== null) return { value: Number(dec[0]), end: i + dec[0].length };
  const inf = /^([-+]?)(inf(?:inity)?|nan)/i.exec(rest);
  if (inf !== null) {
    const v = inf[2]!.toLowerCase() === "nan" ? NaN : Infinity;
    return { value: inf[1] === "-" ? -v : v, end: i + inf[0].length };
  }
  return { value: 0, end: 0 };
}

/** -n: atof() of each, compared. */
export function compare_numeric(x: string, y: string): number {
  const dx = strtod_prefix(x).value;
  const dy = strtod_prefix(y).value;
  return dx > dy ? 1 : dx < dy ? -1 : 0;
}

/** -h's suffix rank: k K M G T P E Z Y are 0…7 (only k may be lower case); -1 for none. */
function scale_suffix(tail: string): number {
  if (tail === "") return -1;
  const n = "kmgtpezy".indexOf(String.fromCharCode(tail.charCodeAt(0) | 0x20));
  if (n < 0) return -1;
  if (n !== 0 && tail.charCodeAt(0) >= 0x61) return -1;
  return n;
}

/** -g / -h: not numbers < NaN < -inf < numbers < +inf; -h orders by suffix first. */
export function compare_general(x: string, y: string, human: boolean): number {
  const a = strtod_prefix(x);
  const b = strtod_prefix(y);
  if (a.end === 0) return b.end === 0 ? 0 : -1;
  if (b.end === 0) return 1;
  const dx = a.value;
  const dy = b.value;
  if (Number.isNaN(dx)) return Number.isNaN(dy) ? 0 : -1;
  if (Number.isNaN(dy)) return 1;
  if (human) {
    const xs = scale_suffix(x.slice(a.end));
    const ys = scale_suffix(y.slice(b.end));
    if (xs !== ys) return xs - ys;
  }
  return dx > dy ? 1 : dx < dy ? -1 : 0;
}

const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

/** strptime(s, "%b"): the month (0–11) a full or three-letter name at the start names, any case; -1 for none. */
function month_of(s: string): number {
  const t = s.replace(/^[ \t\n\v\f\r]+/, "").toLowerCase();
  for (let m = 0; m < 12; m++) if (t.startsWith(MONTHS[m]!) || t.startsWith(MONTHS[m]!.slice(0, 3))) return m;
  return -1;
}

/** -M. */
export function compare_month(x: string, y: string): number {
  const dx = month_of(x);
  const dy = month_of(y);
  if (dx < 0) return dy < 0 ? 0 : -1;
  if (dy < 0) return 1;
  return dx - dy;
}

/* glibc's strverscmp() states (S_N normal, S_I integer, S_F fraction, S_Z leading zeros) and results. */
const S_N = 0;
const S_I = 3;
const S_F = 6;
const S_Z = 9;
const CMP = 2;
const LEN = 3;
const NEXT_STATE = [S_N, S_I, S_Z, S_N, S_I, S_I, S_N, S_F, S_F, S_N, S_F, S_Z];
const RESULT_TYPE = [
  CMP, CMP, CMP, CMP, LEN, CMP, CMP, CMP, CMP,
  CMP, -1, -1, +1, LEN, LEN, +1, LEN, LEN,
  CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP,
  CMP, +1, +1, -1, CMP, CMP, -1, CMP, CMP,
];

/** -V: strverscmp() (version order: "a2" < "a10", "1.01" < "1.1"). */
export function strverscmp(s1: string, s2: string): number {
  const at = (s: string, i: number): number => (i < s.length ? s.charCodeAt(i) : 0);
  const cls = (c: number): number => (c === 0x30 ? 1 : 0) + (is_digit(c) ? 1 : 0);
  let i = 0;
  let c1 = at(s1, i);
  let c2 = at(s2, i);
  i++;
  let state = S_N + cls(c1);
  let diff: number;
  while ((diff = c1 - c2) === 0) {
    if (c1 === 0) return diff;
    state = NEXT_STATE[state]!;
    c1 = at(s1, i);
    c2 = at(s2, i);
    i++;
    state += cls(c1);
  }
  const r = RESULT_TYPE[state * 3 + cls(c2)]!;
  if (r === CMP) return diff;
  if (r === LEN) {
    let p1 = i;
    let p2 = i;
    while (is_digit(at(s1, p1++))) if (!is_digit(at(s2, p2++))) return 1;
    return is_digit(at(s2, p2)) ? -1 : diff;
  }
  return r;
}
