/**
 * Word expansion (POSIX.1-2017 XCU 2.6, reduced): tilde, parameters ($NAME ${NAME} ${NAME:-w}
 * ${NAME:=w} ${NAME:+w} ${NAME:?w} ${#NAME} ${NAME%p} ${NAME%%p} ${NAME#p} ${NAME##p}, $? $$ $! $#
 * $@ $* $- $0…$9 ${10}), then field splitting of what unquoted expansions produced (on $IFS,
 * default space, tab, newline), then pathname expansion of unquoted * ? [ (glob.ts; a pattern that
 * matches nothing stays as written, as in bash). Quoted text is never split or globbed; "$@" gives
 * one field per positional parameter.
 */
import type { WordPart, Word } from "./lex.ts";
import { escape_pattern, fnmatch, glob, has_magic, unescape_pattern } from "./glob.ts";
import { ExpandError, type ShellState } from "./state.ts";

/** Expanded text with its quoting: `q` text is literal (escaped before globbing); `split` text came from an unquoted expansion. */
type Chunk = { readonly s: string; readonly q: boolean; readonly split: boolean } | { readonly brk: true };

const DEFAULT_IFS = " \t\n";

/** The value of a parameter, or undefined when it is unset. */
function param_value(sh: ShellState, name: string): string | undefined {
  switch (name) {
    case "?":
      return String(sh.status);
    case "$":
      return String(sh.pid);
    case "!":
      return sh.last_bg === 0 ? undefined : String(sh.last_bg);
    case "#":
      return String(sh.params.length);
    case "-":
      return sh.flags();
    case "0":
      return sh.arg0;
    case "@":
    case "*":
      return sh.params.length === 0 ? undefined : sh.params.join(" ");
  }
  if (/^[0-9]+$/.test(name)) return sh.params[Number(name) - 1];
  return sh.get(name);
}

/** Expand the parts of a ${…} word into one string (used as a pattern when `pattern`: quoted parts escaped). */
function parts_string(sh: ShellState, parts: readonly WordPart[], pattern: boolean): string {
  let s = "";
  for (const c of expand_chunks(sh, parts)) {
    if ("brk" in c) s += " ";
    else s += pattern && c.q ? escape_pattern(c.s) : c.s;
  }
  return s;
}

/** Shortest or longest prefix/suffix removal (${x#p} ${x##p} ${x%p} ${x%%p}). */
function remove_pattern(value: string, pat: string, op: "%" | "%%" | "#" | "##"): string {
  const n = value.length;
  if (op === "#") {
    for (let i = 0; i <= n; i++) if (fnmatch(pat, value.slice(0, i))) return value.slice(i);
  } else if (op === "##") {
    for (let i = n; i >= 0; i--) if (fnmatch(pat, value.slice(0, i))) return value.slice(i);
  } else if (op === "%") {
    for (let i = n; i >= 0; i--) if (fnmatch(pat, value.slice(i))) return value.slice(0, i);
  } else {
    for (let i = 0; i <= n; i++) if (fnmatch(pat, value.slice(i))) return value.slice(0, i);
  }
  return value;
}

/** One parameter part → chunks. */
function param_chunks(sh: ShellState, p: Extract<WordPart, { k: "param" }>, out: Chunk[]): void {
  const { name, op, q } = p;
  const value = param_value(sh, name);
  const emit = (s: string): void => {
    out.push({ s, q, split: !q });
  };
  if (op === "") {
    if (name === "@" && q) {
      // "$@": one field per parameter, joined to the text around it at the ends.
      sh.params.forEach((v, i) => {
        if (i > 0) out.push({ brk: true });
        out.push({ s: v, q: true, split: false });
      });
      return;
    }
    if (name === "*" && q) {
      const ifs = sh.get("IFS") ?? DEFAULT_IFS;
      emit(sh.params.join(ifs.slice(0, 1)));
      return;
    }
    emit(value ?? "");
    return;
  }
  if (op === "len") {
    emit(String((value ?? "").length));
    return;
  }
  const colon = op.startsWith(":");
  const missing = value === undefined || (colon && value === "");
  const arg = p.arg ?? [];
  switch (op) {
    case "-":
    case ":-":
      if (missing) out.push(...expand_chunks(sh, arg, q, true));
      else emit(value!);
      return;
    case "=":
    case ":=": {
      if (!missing) return emit(value!);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ExpandError(`${name}: cannot assign in this way`, true);
      const v = parts_string(sh, arg, false);
      sh.set(name, v);
      return emit(v);
    }
    case "+":
    case ":+":
      if (!missing) out.push(...expand_chunks(sh, arg, q, true));
      return;
    case "?":
    case ":?": {
      if (!missing) return emit(value!);
      const msg = parts_string(sh, arg, false);
      throw new ExpandError(`${name}: ${msg === "" ? (colon ? "parameter null or not set" : "parameter not set") : msg}`, true);
    }
    default:
      emit(remove_pattern(value ?? "", parts_string(sh, arg, true), op));
  }
}

/** Tilde at the start of an unquoted word: ~ and ~/… → $HOME, ~root → /root. */
function tilde(sh: ShellState, s: string): string {
  const m = /^~([A-Za-z0-9_.-]*)(?=\/|$)/.exec(s);
  if (m === null) return s;
  const home = m[1] === "" ? sh.get("HOME") : m[1] === "root" ? "/root" : undefined;
  return home === undefined ? s : home + s.slice(m[0].length);
}

/**
 * The parts of a word → chunks, in order. `force_q`: the word is inside double quotes (a quoted
 * ${…}'s word); `in_arg`: the word of an unquoted ${…}.
 */
function expand_chunks(sh: ShellState, parts: readonly WordPart[], force_q = false, in_arg = false): Chunk[] {
  const out: Chunk[] = [];
  parts.forEach((p, i) => {
    if (p.k === "lit") {
      const s = i === 0 && !p.q && !force_q ? tilde(sh, p.s) : p.s;
      // Unquoted text in an unquoted ${x:-a b} is part of the expansion's result: it is split too.
      out.push({ s, q: p.q || force_q, split: in_arg && !p.q && !force_q });
    } else param_chunks(sh, force_q && !p.q ? { ...p, q: true } : p, out);
  });
  return out;
}

/** Split chunks into fields; each field is its segments (text, quoted) so globbing can tell them apart. */
function split_fields(sh: ShellState, chunks: readonly Chunk[]): { s: string; q: boolean }[][] {
  const ifs = sh.get("IFS") ?? DEFAULT_IFS;
  const fields: { s: string; q: boolean }[][] = [];
  let cur: { s: string; q: boolean }[] = [];
  let real = false;
  const flush = (): void => {
    if (real) fields.push(cur);
    cur = [];
    real = false;
  };
  for (const c of chunks) {
    if ("brk" in c) {
      fields.push(cur);
      cur = [];
      real = false;
      continue;
    }
    if (!c.split || ifs === "") {
      cur.push({ s: c.s, q: c.q });
      if (c.q || c.s !== "") real = true;
      continue;
    }
    let word = "";
    for (const ch of c.s) {
      if (!ifs.includes(ch)) {
        word += ch;
        continue;
      }
      if (word !== "") {
        cur.push({ s: word, q: false });
        real = true;
        word = "";
      }
      // Whitespace IFS characters only end a field that has something; others always end one.
      if (" \t\n".includes(ch)) {
        if (real) flush();
      } else {
        real = true;
        flush();
      }
    }
    if (word !== "") {
      cur.push({ s: word, q: false });
      real = true;
    }
  }
  flush();
  return fields;
}

/**
 * Full expansion of command words: fields after splitting and globbing. Throws ExpandError for
 * ${x?} and friends.
 */
export function expand_words(sh: ShellState, words: readonly Word[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    for (const field of split_fields(sh, expand_chunks(sh, w.parts))) {
      const pattern = field.map((seg) => (seg.q ? escape_pattern(seg.s) : seg.s)).join("");
      const literal = field.map((seg) => seg.s).join("");
      if (field.some((seg) => !seg.q && has_magic(seg.s)) && has_magic(pattern)) {
        const m = glob(sh.sys, pattern);
        if (m.length > 0) {
          out.push(...m);
          continue;
        }
        out.push(unescape_pattern(pattern));
        continue;
      }
      out.push(literal);
    }
  }
  return out;
}

/** Expansion without splitting or globbing: assignment values, redirection targets. */
export function expand_string(sh: ShellState, w: Word): string {
  let s = "";
  for (const c of expand_chunks(sh, w.parts)) s += "brk" in c ? " " : c.s;
  return s;
}
