/**
 * The shell's tokenizer (POSIX.1-2017 XCU 2.3 "Token Recognition", 2.2 "Quoting", reduced): source
 * text → words and operators. A word keeps its quoting as parts, because quoting decides what
 * expansion does later: '…' is literal, "…" expands $ and keeps \ only before $ ` " \ newline, a
 * backslash quotes the next character, and parts that came from quotes are never split or globbed.
 *
 * Operators: ; & && || | ( ) newline, and redirections < > >> >| <> <& >& with an optional
 * descriptor number in front (2>, 2>&1). `#` at the start of a word comments to the end of the line;
 * backslash-newline joins lines. Running out of text inside a quote, after a backslash or inside
 * ${…} is "incomplete" (the interactive shell then reads a continuation line), not an error.
 */

/** ${NAME<op>word}: "" is plain ${NAME}; "#" is ${#NAME} (length); % %% # ## strip patterns ("#p" for #, "##"). */
export type ParamOp = "" | "len" | "-" | ":-" | "=" | ":=" | "+" | ":+" | "?" | ":?" | "%" | "%%" | "#" | "##";

/** One piece of a word. `q`: it came from inside quotes (or after a backslash): no splitting, no globbing. */
export type WordPart =
  | { readonly k: "lit"; readonly s: string; readonly q: boolean }
  | { readonly k: "param"; readonly name: string; readonly op: ParamOp; readonly arg: readonly WordPart[] | null; readonly q: boolean };

export interface Word {
  readonly parts: readonly WordPart[];
  /** The word as written (for error messages and job names). */
  readonly text: string;
}

export type RedirOp = "<" | ">" | ">>" | ">|" | "<>" | "<&" | ">&";
export type ControlOp = ";" | "&" | "&&" | "||" | "|" | "(" | ")" | ";;" | "\n";

export type Token =
  | { readonly t: "word"; readonly w: Word; readonly pos: number }
  | { readonly t: "op"; readonly op: ControlOp; readonly pos: number }
  | { readonly t: "redir"; readonly op: RedirOp; readonly fd: number | null; readonly pos: number };

/** What lex() gives back: the tokens, or why it could not (incomplete = the text ended too soon). */
export type LexResult = { readonly tokens: Token[] } | { readonly error: string } | { readonly incomplete: string };

/** Deepest ${…} nesting accepted: input is untrusted, the recursion must stay bounded. */
const MAX_NEST = 64;

const SPECIAL_PARAMS = "?$!#@*-0123456789";

export function is_name_start(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z_]/.test(c);
}
export function is_name_char(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

/** Characters that end an unquoted word. */
function is_meta(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === ";" || c === "&" || c === "|" || c === "<" || c === ">" || c === "(" || c === ")";
}

class LexError {
  readonly incomplete: boolean;
  readonly msg: string;
  constructor(msg: string, incomplete: boolean) {
    this.msg = msg;
    this.incomplete = incomplete;
  }
}

class Lexer {
  readonly src: string;
  i = 0;
  constructor(src: string) {
    this.src = src;
  }

  /** Append a literal character to `parts`, merging with the previous literal of the same quoting. */
  private lit(parts: WordPart[], s: string, q: boolean): void {
    const last = parts[parts.length - 1];
    if (last !== undefined && last.k === "lit" && last.q === q) parts[parts.length - 1] = { k: "lit", s: last.s + s, q };
    else parts.push({ k: "lit", s, q });
  }

  /**
   * A `$…` at this.i (pointing at the `$`). Pushes a param part, or a literal "$" when nothing
   * expandable follows (as sh does for "$ " or a lone "$" at the end).
   */
  private dollar(parts: WordPart[], q: boolean, depth: number): void {
    const src = this.src;
    const c = src[this.i + 1];
    if (c === "{") {
      this.i += 2;
      parts.push(this.brace(q, depth + 1));
      return;
    }
    if (c === "(" || c === "`") throw new LexError("command substitution $(…) is not supported", false);
    if (c !== undefined && SPECIAL_PARAMS.includes(c)) {
      parts.push({ k: "param", name: c, op: "", arg: null, q });
      this.i += 2;
      return;
    }
    if (is_name_start(c)) {
      let j = this.i + 1;
      while (is_name_char(src[j])) j++;
      parts.push({ k: "param", name: src.slice(this.i + 1, j), op: "", arg: null, q });
      this.i = j;
      return;
    }
    this.lit(parts, "$", q);
    this.i++;
  }

  /** ${…} after the "${": NAME, #NAME, NAME<op>word. */
  private brace(q: boolean, depth: number): WordPart {
    if (depth > MAX_NEST) throw new LexError("${…} nested too deeply", false);
    const src = this.src;
    let len = false;
    if (src[this.i] === "#" && src[this.i + 1] !== "}" && src[this.i + 1] !== undefined) {
      len = true;
      this.i++;
    }
    let name: string;
    const c = src[this.i];
    if (c === undefined) throw new LexError("missing '}'", true);
    if (is_name_start(c)) {
      let j = this.i;
      while (is_name_char(src[j])) j++;
      name = src.slice(this.i, j);
      this.i = j;
    } else if (/[0-9]/.test(c)) {
      let j = this.i;
      while (/[0-9]/.test(src[j] ?? "")) j++;
      name = src.slice(this.i, j);
      this.i = j;
    } else if (SPECIAL_PARAMS.includes(c)) {
      name = c;
      this.i++;
    } else throw new LexError("bad substitution", false);
    if (len) {
      if (src[this.i] === undefined) throw new LexError("missing '}'", true);
      if (src[this.i] !== "}") throw new LexError("bad substitution", false);
      this.i++;
      return { k: "param", name, op: "len", arg: null, q };
    }
    const rest = src.slice(this.i, this.i + 2);
    let op: ParamOp;
    if (rest[0] === "}") {
      this.i++;
      return { k: "param", name, op: "", arg: null, q };
    } else if (rest[0] === undefined) throw new LexError("missing '}'", true);
    else if (rest === ":-" || rest === ":=" || rest === ":+" || rest === ":?" || rest === "%%" || rest === "##") op = rest;
    else if (rest[0] === "-" || rest[0] === "=" || rest[0] === "+" || rest[0] === "?" || rest[0] === "%" || rest[0] === "#") op = rest[0];
    else throw new LexError("bad substitution", false);
    this.i += op.length;
    const arg = this.word_parts(q, "}", depth);
    if (this.src[this.i] !== "}") throw new LexError("missing '}'", true);
    this.i++;
    return { k: "param", name, op, arg, q };
  }

  /** The inside of "…" after the opening quote, up to and past the closing one. */
  private dquote(parts: WordPart[], depth: number): void {
    const src = this.src;
    // An empty "" still makes a (quoted, empty) part: "" is an empty argument.
    this.lit(parts, "", true);
    for (;;) {
      const c = src[this.i];
      if (c === undefined) throw new LexError("unterminated quoted string", true);
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === "\\") {
        const n = src[this.i + 1];
        if (n === undefined) throw new LexError("unterminated quoted string", true);
        if (n === "\n") this.i += 2;
        else if (n === "$" || n === "`" || n === '"' || n === "\\") {
          this.lit(parts, n, true);
          this.i += 2;
        } else {
          this.lit(parts, "\\", true);
          this.i++;
        }
      } else if (c === "$") this.dollar(parts, true, depth);
      else if (c === "`") throw new LexError("command substitution `…` is not supported", false);
      else {
        this.lit(parts, c, true);
        this.i++;
      }
    }
  }

  /**
   * The parts of one word from this.i. Unquoted it ends at a metacharacter (or at `stop`, inside
   * ${…}); `q` marks it as already inside double quotes (the word of "${x:-…}").
   */
  word_parts(q: boolean, stop: string | null, depth: number): WordPart[] {
    const src = this.src;
    const parts: WordPart[] = [];
    for (;;) {
      const c = src[this.i];
      if (c === undefined) break;
      if (stop !== null && c === stop) break;
      if (stop === null && is_meta(c)) break;
      if (c === "'" && !q) {
        const end = src.indexOf("'", this.i + 1);
        if (end < 0) throw new LexError("unterminated quoted string", true);
        this.lit(parts, src.slice(this.i + 1, end), true);
        this.i = end + 1;
      } else if (c === '"' && !q) {
        this.i++;
        this.dquote(parts, depth);
      } else if (c === '"' && q) {
        // "${x:-"a"}": quotes nested in a quoted ${…} word just group.
        this.i++;
        this.dquote(parts, depth);
      } else if (c === "\\") {
        const n = src[this.i + 1];
        if (n === undefined) throw new LexError("backslash at end of input", true);
        if (n !== "\n") this.lit(parts, n, true);
        this.i += 2;
      } else if (c === "$") this.dollar(parts, q, depth);
      else if (c === "`") throw new LexError("command substitution `…` is not supported", false);
      else {
        this.lit(parts, c, q);
        this.i++;
      }
    }
    return parts;
  }

  run(): Token[] {
    const src = this.src;
    const out: Token[] = [];
    while (this.i < src.length) {
      const c = src[this.i]!;
      const pos = this.i;
      if (c === " " || c === "\t" || c === "\r") {
        this.i++;
      } else if (c === "\\" && src[this.i + 1] === "\n") {
        this.i += 2;
      } else if (c === "#") {
        const nl = src.indexOf("\n", this.i);
        this.i = nl < 0 ? src.length : nl;
      } else if (c === "\n") {
        out.push({ t: "op", op: "\n", pos });
        this.i++;
      } else if (c === "<" || c === ">") {
        out.push(this.redir(null, pos));
      } else if (is_meta(c)) {
        const two = src.slice(this.i, this.i + 2);
        const op: ControlOp = two === "&&" || two === "||" || two === ";;" ? two : (c as ControlOp);
        this.i += op.length;
        out.push({ t: "op", op, pos });
      } else {
        // A number right before < or > is the descriptor the redirection is for (IO_NUMBER).
        const m = /^[0-9]+(?=[<>])/.exec(src.slice(this.i, this.i + 12));
        if (m !== null) {
          this.i += m[0].length;
          const fd = Number(m[0]);
          out.push(this.redir(fd, pos));
          continue;
        }
        const start = this.i;
        const parts = this.word_parts(false, null, 0);
        out.push({ t: "word", w: { parts, text: src.slice(start, this.i) }, pos });
      }
    }
    return out;
  }

  private redir(fd: number | null, pos: number): Token {
    const src = this.src;
    const two = src.slice(this.i, this.i + 2);
    if (two === "<<") throw new LexError("here-documents (<<) are not supported", false);
    const op: RedirOp = two === ">>" || two === ">|" || two === "<>" || two === "<&" || two === ">&" ? two : (src[this.i] as "<" | ">");
    this.i += op.length;
    return { t: "redir", op, fd, pos };
  }
}

/** Tokenize `src` (a whole command line or several lines). */
export function lex(src: string): LexResult {
  const lx = new Lexer(src);
  try {
    return { tokens: lx.run() };
  } catch (e) {
    if (e instanceof LexError) return e.incomplete ? { incomplete: e.msg } : { error: e.msg };
    throw e;
  }
}

/** A word's text when it is a plain unquoted literal (reserved words, names), else null. */
export function plain_word(w: Word): string | null {
  if (w.parts.length !== 1) return null;
  const p = w.parts[0]!;
  return p.k === "lit" && !p.q ? p.s : null;
}

/** Quote `s` so the shell reads it back as one word (ash's `set` and `export -p` style: 'it'\''s'). */
export function shell_quote(s: string): string {
  return `'${s.replaceAll("'", `'"'"'`)}'`;
}
