/**
 * Pathname expansion (POSIX.1-2017 XCU 2.13 "Pattern Matching Notation"; glibc's fnmatch(3) and
 * glob(3), reduced): `*`, `?` and bracket expressions [abc] [a-z] [!x] [^x], a backslash quoting the
 * next character (the expander escapes what came from quotes). A leading "." in a name is matched
 * only by a literal ".", and "/" only by a literal "/". Directories are read with readdir(2)'s
 * wrapper; the matches come back sorted by byte value, as glob(3) in the C locale.
 */
import type { Syscalls } from "../../include/uapi/syscalls.ts";

/** Does `p` contain an unescaped *, ? or [ (so it is a pattern at all)? */
export function has_magic(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "\\") i++;
    else if (c === "*" || c === "?" || c === "[") return true;
  }
  return false;
}

/** Remove the backslash escapes from a pattern (what a pattern that matched nothing stays as). */
export function unescape_pattern(p: string): string {
  return p.replace(/\\(.)/gs, "$1");
}

/** Escape `s` so it matches only itself as a pattern. */
export function escape_pattern(s: string): string {
  return s.replace(/[\\*?[\]]/g, "\\$&");
}

/**
 * A bracket expression at p[i] (the "["): [matched, index after "]"], or null when there is no
 * closing "]" (then "[" is an ordinary character).
 */
function bracket(p: string, i: number, c: string): [boolean, number] | null {
  let j = i + 1;
  let negate = false;
  if (p[j] === "!" || p[j] === "^") {
    negate = true;
    j++;
  }
  let matched = false;
  let first = true;
  for (;;) {
    let ch = p[j];
    if (ch === undefined) return null;
    if (ch === "]" && !first) break;
    first = false;
    if (ch === "\\" && j + 1 < p.length) {
      j++;
      ch = p[j]!;
    }
    if (p[j + 1] === "-" && p[j + 2] !== undefined && p[j + 2] !== "]") {
      let hi = p[j + 2]!;
      let next = j + 3;
      if (hi === "\\" && j + 3 < p.length) {
        hi = p[j + 3]!;
        next++;
      }
      if (ch <= c && c <= hi) matched = true;
      j = next;
    } else {
      if (ch === c) matched = true;
      j++;
    }
  }
  return [matched !== negate, j + 1];
}

/**
 * fnmatch(pattern, name): iterative with one backtrack point per `*` (linear-ish, no recursion, so
 * a hostile pattern cannot blow the stack). `period`: a leading "." must be matched literally.
 */
export function fnmatch(p: string, s: string, period = false): boolean {
  if (period && s.startsWith(".") && !p.startsWith(".") && !p.startsWith("\\.")) return false;
  let pi = 0;
  let si = 0;
  let star_p = -1;
  let star_s = 0;
  while (si < s.length) {
    const pc = p[pi];
    if (pc === "*") {
      star_p = ++pi;
      star_s = si;
      continue;
    }
    if (pc !== undefined) {
      if (pc === "?") {
        pi++;
        si++;
        continue;
      }
      if (pc === "[") {
        const b = bracket(p, pi, s[si]!);
        if (b !== null) {
          if (b[0]) {
            pi = b[1];
            si++;
            continue;
          }
        } else if (s[si] === "[") {
          pi++;
          si++;
          continue;
        }
      } else if (pc === "\\" && pi + 1 < p.length) {
        if (p[pi + 1] === s[si]) {
          pi += 2;
          si++;
          continue;
        }
      } else if (pc === s[si]) {
        pi++;
        si++;
        continue;
      }
    }
    if (star_p < 0) return false;
    pi = star_p;
    si = ++star_s;
  }
  while (p[pi] === "*") pi++;
  return pi === p.length;
}

/** Split a pattern at unescaped "/" (an escaped one is still a separator: names cannot hold "/"). */
function components(p: string): string[] {
  return p.split("/");
}

/**
 * glob(pattern): the existing paths it matches, sorted; [] when none (the caller keeps the word).
 * Only components with magic characters read their directory.
 */
export function glob(sys: Syscalls, pattern: string): string[] {
  const absolute = pattern.startsWith("/");
  const comps = components(pattern);
  // Paths built so far, as written (relative ones without a "./" prefix).
  let bases: string[] = [absolute ? "/" : ""];
  const parts = absolute ? comps.slice(1) : comps;
  for (let k = 0; k < parts.length; k++) {
    const comp = parts[k]!;
    const last = k === parts.length - 1;
    const next: string[] = [];
    if (comp === "") {
      // "a//b" or a trailing "/": keep the separator, the entry must be a directory.
      for (const b of bases) {
        const st = sys.stat(b === "" ? "." : b);
        if (typeof st !== "number" && (st.st_mode & 0o170000) === 0o040000) next.push(b.endsWith("/") ? b : `${b}/`);
      }
    } else if (!has_magic(comp)) {
      const name = unescape_pattern(comp);
      for (const b of bases) {
        const path = b === "" ? name : b.endsWith("/") ? b + name : `${b}/${name}`;
        if (last ? typeof sys.lstat(path) !== "number" : typeof sys.stat(path) !== "number") next.push(path);
      }
    } else {
      for (const b of bases) {
        const names = sys.readdir(b === "" ? "." : b);
        if (typeof names === "number") continue;
        for (const n of [".", "..", ...names]) {
          if (!fnmatch(comp, n, true)) continue;
          const path = b === "" ? n : b.endsWith("/") ? b + n : `${b}/${n}`;
          if (!last) {
            const st = sys.stat(path);
            if (typeof st === "number" || (st.st_mode & 0o170000) !== 0o040000) continue;
          }
          next.push(path);
        }
      }
    }
    bases = next;
    if (bases.length === 0) return [];
  }
  return bases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
