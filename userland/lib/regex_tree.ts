/**
 * The tree a POSIX regular expression parses into (regex.ts), and the byte sets its bracket
 * expressions, classes and literals become: a set is a 256-entry membership table over the bytes
 * (C locale), 1 for a member.
 */

/** Zero-width assertions: ^ $ \b \B \< \> (GNU's \` and \' are ^ and $ on a line). */
export type Assertion = "bol" | "eol" | "wordb" | "nwordb" | "wstart" | "wend";

/** A parsed pattern. A set is a 256-entry byte membership table (1 = member). */
export type ReNode =
  | { readonly t: "set"; readonly set: Uint8Array }
  | { readonly t: "cat"; readonly items: readonly ReNode[] }
  | { readonly t: "alt"; readonly items: readonly ReNode[] }
  | { readonly t: "group"; readonly n: number; readonly body: ReNode }
  | { readonly t: "rep"; readonly min: number; readonly max: number; readonly body: ReNode }
  | { readonly t: "assert"; readonly kind: Assertion }
  | { readonly t: "backref"; readonly n: number };

/* ---- Byte sets ---- */

export function new_set(): Uint8Array {
  return new Uint8Array(256);
}
export function set_of(...codes: number[]): Uint8Array {
  const s = new_set();
  for (const c of codes) s[c] = 1;
  return s;
}
export function complement(s: Uint8Array): Uint8Array {
  const r = new_set();
  for (let i = 0; i < 256; i++) r[i] = s[i] === 1 ? 0 : 1;
  return r;
}
export const is_upper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
export const is_lower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
export const is_digit = (c: number): boolean => c >= 0x30 && c <= 0x39;
export const is_alpha = (c: number): boolean => is_upper(c) || is_lower(c);
/** Word characters of the C locale: [_[:alnum:]] (\w, \b, \<, \>, grep -w). */
export const is_word = (c: number): boolean => is_alpha(c) || is_digit(c) || c === 0x5f;

/** The C locale's character classes (<ctype.h>). */
const CLASSES: Readonly<Record<string, (c: number) => boolean>> = {
  alpha: is_alpha,
  upper: is_upper,
  lower: is_lower,
  digit: is_digit,
  alnum: (c) => is_alpha(c) || is_digit(c),
  xdigit: (c) => is_digit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66),
  space: (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d),
  blank: (c) => c === 0x20 || c === 0x09,
  punct: (c) => c > 0x20 && c < 0x7f && !is_alpha(c) && !is_digit(c),
  print: (c) => c >= 0x20 && c < 0x7f,
  graph: (c) => c > 0x20 && c < 0x7f,
  cntrl: (c) => c < 0x20 || c === 0x7f,
};

/** A class's members as a set (exported for tr). */
export function class_set(name: string): Uint8Array | null {
  const f = CLASSES[name];
  if (f === undefined) return null;
  const s = new_set();
  for (let c = 0; c < 256; c++) if (f(c)) s[c] = 1;
  return s;
}

/** Add the other case of every ASCII letter in `s` (in place). */
export function fold_set(s: Uint8Array): Uint8Array {
  for (let c = 0x41; c <= 0x5a; c++) {
    if (s[c] === 1 || s[c + 0x20] === 1) s[c] = s[c + 0x20] = 1;
  }
  return s;
}

