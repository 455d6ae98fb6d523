/**
 * bb_process_escape_sequence() (busybox libbb/process_escape_sequence.c), shared by echo -e,
 * printf and tr: the escape after a backslash in a byte string. Octal "\NNN" (1–3 digits, value
 * at most 255), hex "\xHH" (1–2 digits), and \a \b \e \f \n \r \t \v \\. Anything else (and a
 * backslash at the end) is a backslash, with the character after it left to be read as itself.
 */

const ONE_LETTER: Readonly<Record<string, number>> = { a: 7, b: 8, e: 27, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 0x5c };

/**
 * The byte for the escape starting at `s[i]` (just after the backslash), and the index after it.
 * `\x` with no hex digit gives a backslash and leaves `i` at the "x".
 */
export function process_escape_sequence(s: string, i: number): { byte: number; next: number } {
  let q = i;
  let base = 8;
  let num_digits = 0;
  let n = 0;
  if (s[q] === "x") {
    q++;
    base = 16;
    num_digits++;
  }
  do {
    const ch = q < s.length ? s.charCodeAt(q) : 0;
    let d = ch - 0x30;
    if (d < 0 || d >= 10) {
      const lower = ch | 0x20;
      d = lower >= 0x61 ? lower - 0x61 + 10 : 99;
    }
    if (d >= base) {
      if (base === 16) {
        num_digits--;
        if (num_digits === 0) return { byte: 0x5c, next: i };
      }
      break;
    }
    const r = n * base + d;
    if (r > 255) break;
    n = r;
    q++;
  } while (++num_digits < 3);
  if (num_digits === 0) {
    const b = q < s.length ? ONE_LETTER[s[q]!] : undefined;
    if (b === undefined) return { byte: 0x5c, next: q };
    return { byte: b, next: q + 1 };
  }
  return { byte: n, next: q };
}
