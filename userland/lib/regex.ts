/**
 * POSIX regular expressions for grep (and any tool that takes one), as busybox gets them from
 * glibc's regex with RE_SYNTAX_GREP (basic, BRE) or RE_SYNTAX_EGREP | RE_INTERVALS |
 * RE_NO_BK_BRACES (extended, ERE), in the C locale, over byte strings (one character per byte,
 * see stdio.ts).
 *
 * The pattern is parsed into a tree (the grammar below, with glibc's context rules), then:
 * - translated to a JavaScript RegExp, which decides whether a line matches, and
 * - compiled to a Thompson NFA (regex_nfa.ts) that finds POSIX's leftmost-longest match, which
 *   is what grep -o prints ("a|ab" on "ab" is "ab", where JavaScript's first-alternative rule
 *   gives "a"). A pattern with back-references has no NFA; its extents are JavaScript's, and a
 *   back-reference to a group that took no part in the match matches the empty string (in POSIX
 *   it fails: "(a)(b)?\2" matches no "a" line there, every one here). A pattern with a
 *   repetition or alternation inside an unbounded repetition ("(a*)*b", "(a|aa)*"), where a
 *   backtracking matcher can take exponential time, is matched by the NFA alone.
 *
 * BRE: \( \) group, \| alternation, \{m,n\} interval, \+ \? (GNU), * ; "+ ? | ( ) { }" are
 *   literal; "*" is literal at the start of the pattern, after \( \| or an anchor; "^" is an
 *   anchor only first in the pattern, after \( or \|, "$" only last or before \) or \|.
 * ERE: ( ) | { } * + ? are operators; an operator with nothing to repeat is ignored; "{" that
 *   does not begin a valid interval and an unmatched ")" are literal.
 * Both: [...] bracket expressions with ranges, [:class:], [=c=], [.c.] (a backslash is literal
 *   inside); \1-\9 back-references; GNU's \w \W \s \S \b \B \< \> \` \'; "\c" for any other c is
 *   c itself (so "\t" is "t", as in glibc). Case folding (-i) is ASCII, as busybox's table.
 */
import { nfa_compile, nfa_search, type Nfa } from "./regex_nfa.ts";
import { class_set, complement, fold_set, is_alpha, is_word, new_set, set_of, type Assertion, type ReNode } from "./regex_tree.ts";

export interface RegexOptions {
  /** ERE (grep -E) instead of BRE. */
  readonly extended?: boolean;
  /** ASCII case folding (grep -i). */
  readonly icase?: boolean;
  /** Match only the whole line (grep -x). */
  readonly line?: boolean;
}

/** RE_DUP_MAX: the largest count in an interval. */
const RE_DUP_MAX = 0x7fff;
const EMPTY: ReNode = { t: "cat", items: [] };

/* glibc's regerror() texts. */
const REG_EBRACK = "Unmatched [, [^, [:, [., or [=";
const REG_EPAREN = "Unmatched ( or \\(";
const REG_ERPAREN = "Unmatched ) or \\)";
const REG_EBRACE = "Unmatched \\{";
const REG_BADBR = "Invalid content of \\{\\}";
const REG_ERANGE = "Invalid range end";
const REG_ECTYPE = "Invalid character class name";
const REG_EESCAPE = "Trailing backslash";
const REG_ESUBREG = "Invalid back reference";
const REG_ESIZE = "Regular expression too big";
const REG_ECOLLATE = "Invalid collation character";

class RegexSyntaxError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/* ---- Parser ---- */

type Tok =
  | { k: "char"; c: number }
  | { k: "any" }
  | { k: "bracket" }
  | { k: "open" }
  | { k: "close" }
  | { k: "alt" }
  | { k: "star" }
  | { k: "plus" }
  | { k: "qmark" }
  | { k: "open_dup" }
  | { k: "close_dup" }
  | { k: "assert"; a: Assertion }
  | { k: "class"; set: Uint8Array }
  | { k: "backref"; n: number }
  | { k: "end" };

const WORD_SET = (() => {
  const s = new_set();
  for (let c = 0; c < 256; c++) if (is_word(c)) s[c] = 1;
  return s;
})();
const SPACE_SET = class_set("space")!;

class Parser {
  private i = 0;
  private groups = 0;
  private readonly completed = new Set<number>();
  /** Index at which a "{" must be read as a literal (an invalid ERE interval rolled back). */
  private literal_at = -1;
  has_backref = false;
  private readonly p: string;
  private readonly ere: boolean;
  private readonly icase: boolean;

  constructor(p: string, ere: boolean, icase: boolean) {
    this.p = p;
    this.ere = ere;
    this.icase = icase;
  }

  parse(): { node: ReNode; groups: number } {
    const node = this.parse_alt(0);
    if (this.i < this.p.length) {
      // Only a close at depth 0 stops parse_alt early (BRE; ERE reads it as a literal).
      throw new RegexSyntaxError(REG_ERPAREN);
    }
    return { node, groups: this.groups };
  }

  /** The token at `at` and its length. `first`: first token of a branch (BRE "^" anchors there). */
  private peek(at: number, first: boolean, depth: number): [Tok, number] {
    const p = this.p;
    if (at >= p.length) return [{ k: "end" }, 0];
    const c = p.charCodeAt(at);
    if (at === this.literal_at) return [{ k: "char", c }, 1];
    if (c === 0x5c /* \ */) {
      if (at + 1 >= p.length) throw new RegexSyntaxError(REG_EESCAPE);
      const c2 = p.charCodeAt(at + 1);
      const ch = p[at + 1]!;
      if (!this.ere) {
        if (ch === "(") return [{ k: "open" }, 2];
        if (ch === ")") return [{ k: "close" }, 2];
        if (ch === "|") return [{ k: "alt" }, 2];
        if (ch === "{") return [{ k: "open_dup" }, 2];
        if (ch === "}") return [{ k: "close_dup" }, 2];
        if (ch === "+") return [{ k: "plus" }, 2];
        if (ch === "?") return [{ k: "qmark" }, 2];
      }
      if (c2 >= 0x31 && c2 <= 0x39) return [{ k: "backref", n: c2 - 0x30 }, 2];
      switch (ch) {
        case "w":
          return [{ k: "class", set: WORD_SET }, 2];
        case "W":
          return [{ k: "class", set: complement(WORD_SET) }, 2];
        case "s":
          return [{ k: "class", set: SPACE_SET }, 2];
        case "S":
          return [{ k: "class", set: complement(SPACE_SET) }, 2];
        case "b":
          return [{ k: "assert", a: "wordb" }, 2];
        case "B":
          return [{ k: "assert", a: "nwordb" }, 2];
        case "<":
          return [{ k: "assert", a: "wstart" }, 2];
        case ">":
          return [{ k: "assert", a: "wend" }, 2];
        case "`":
          return [{ k: "assert", a: "bol" }, 2];
        case "'":
          return [{ k: "assert", a: "eol" }, 2];
      }
      return [{ k: "char", c: c2 }, 2];
    }
    switch (p[at]) {
      case "*":
        return [{ k: "star" }, 1];
      case ".":
        return [{ k: "any" }, 1];
      case "[":
        return [{ k: "bracket" }, 1];
      case "^":
        return this.ere || first ? [{ k: "assert", a: "bol" }, 1] : [{ k: "char", c }, 1];
      case "$": {
        if (this.ere || at + 1 === p.length) return [{ k: "assert", a: "eol" }, 1];
        const [next] = this.peek(at + 1, false, depth);
        return next.k === "alt" || next.k === "close" ? [{ k: "assert", a: "eol" }, 1] : [{ k: "char", c }, 1];
      }
    }
    if (this.ere) {
      switch (p[at]) {
        case "(":
          return [{ k: "open" }, 1];
        case ")":
          return depth > 0 ? [{ k: "close" }, 1] : [{ k: "char", c }, 1];
        case "|":
          return [{ k: "alt" }, 1];
        case "{":
          return [{ k: "open_dup" }, 1];
        case "+":
          return [{ k: "plus" }, 1];
        case "?":
          return [{ k: "qmark" }, 1];
      }
    }
    return [{ k: "char", c }, 1];
  }

  private parse_alt(depth: number): ReNode {
    const branches = [this.parse_branch(depth)];
    for (;;) {
      const [t, n] = this.peek(this.i, false, depth);
      if (t.k !== "alt") break;
      this.i += n;
      branches.push(this.parse_branch(depth));
    }
    return branches.length === 1 ? branches[0]! : { t: "alt", items: branches };
  }

  private parse_branch(depth: number): ReNode {
    const items: ReNode[] = [];
    let first = true;
    for (;;) {
      const [t] = this.peek(this.i, first, depth);
      if (t.k === "end" || t.k === "alt" || (t.k === "close" && depth > 0)) break;
      if (t.k === "close") break; // BRE "\)" at depth 0: parse() reports it
      const e = this.parse_expression(first, depth);
      first = false;
      if (e !== null) items.push(e);
    }
    return items.length === 1 ? items[0]! : { t: "cat", items };
  }

  private literal(c: number): ReNode {
    const s = set_of(c);
    return { t: "set", set: this.icase ? fold_set(s) : s };
  }

  /** One atom with its repetitions; null when an ERE operator with nothing to repeat was dropped. */
  private parse_expression(first: boolean, depth: number): ReNode | null {
    const [t, n] = this.peek(this.i, first, depth);
    let atom: ReNode;
    switch (t.k) {
      case "char":
        this.i += n;
        atom = this.literal(t.c);
        break;
      case "any":
        this.i += n;
        atom = { t: "set", set: complement(new_set()) };
        break;
      case "class":
        this.i += n;
        atom = { t: "set", set: this.icase ? fold_set(t.set.slice()) : t.set };
        break;
      case "bracket":
        this.i += n;
        atom = { t: "set", set: this.parse_bracket() };
        break;
      case "open": {
        this.i += n;
        const g = ++this.groups;
        const [t2, n2] = this.peek(this.i, true, depth + 1);
        let body: ReNode = EMPTY;
        if (t2.k === "close") this.i += n2;
        else {
          body = this.parse_alt(depth + 1);
          const [t3, n3] = this.peek(this.i, false, depth + 1);
          if (t3.k !== "close") throw new RegexSyntaxError(REG_EPAREN);
          this.i += n3;
        }
        this.completed.add(g);
        atom = { t: "group", n: g, body };
        break;
      }
      case "backref":
        this.i += n;
        if (!this.completed.has(t.n)) throw new RegexSyntaxError(REG_ESUBREG);
        this.has_backref = true;
        atom = { t: "backref", n: t.n };
        break;
      case "assert":
        // Anchors take no repetition: what follows starts a new expression.
        this.i += n;
        return { t: "assert", kind: t.a };
      case "star":
      case "plus":
      case "qmark":
      case "open_dup":
        if (this.ere) {
          // RE_CONTEXT_INDEP_OPS without RE_CONTEXT_INVALID_OPS: nothing to repeat, ignored.
          this.i += n;
          return null;
        }
        this.i += n;
        atom = this.literal({ star: 0x2a, plus: 0x2b, qmark: 0x3f, open_dup: 0x7b }[t.k]);
        break;
      case "close_dup":
        this.i += n;
        atom = this.literal(0x7d);
        break;
      default:
        throw new RegexSyntaxError(REG_ERPAREN);
    }
    for (;;) {
      const [d, dn] = this.peek(this.i, false, depth);
      if (d.k === "star") atom = { t: "rep", min: 0, max: -1, body: atom };
      else if (d.k === "plus") atom = { t: "rep", min: 1, max: -1, body: atom };
      else if (d.k === "qmark") atom = { t: "rep", min: 0, max: 1, body: atom };
      else if (d.k === "open_dup") {
        const r = this.parse_interval(this.i + dn, depth);
        if (r === null) {
          this.literal_at = this.i; // ERE: "{" not starting a valid interval is a literal
          return atom;
        }
        atom = { t: "rep", min: r.min, max: r.max, body: atom };
        this.i = r.next;
        continue;
      } else break;
      this.i += dn;
    }
    return atom;
  }

  /**
   * An interval's "m", "m,", "m,n" or ",n" after the opening brace at `at`: the bounds and the
   * index after the closing brace, or null for an invalid ERE interval (then a literal "{").
   */
  private parse_interval(at: number, depth: number): { min: number; max: number; next: number } | null {
    /** fetch_number(): -1 no digits, -2 something else, else the number (capped at RE_DUP_MAX + 1). */
    const fetch_number = (): { num: number; stop: "close" | "comma" | "end" } => {
      let num = -1;
      for (;;) {
        const [t, n] = this.peek(at, false, depth);
        if (t.k === "end") return { num: -2, stop: "end" };
        at += n;
        if (t.k === "close_dup" || (this.ere && t.k === "char" && t.c === 0x7d)) return { num, stop: "close" };
        if (t.k === "char" && t.c === 0x2c) return { num, stop: "comma" };
        const c = t.k === "char" ? t.c : -1;
        num = c < 0x30 || c > 0x39 || num === -2 ? -2 : num === -1 ? c - 0x30 : Math.min(RE_DUP_MAX + 1, num * 10 + c - 0x30);
      }
    };
    let first = fetch_number();
    let min = first.num;
    let max: number;
    let stop = first.stop;
    if (min === -1) {
      if (stop === "comma") min = 0;
      else if (stop === "close") throw new RegexSyntaxError(REG_BADBR);
    }
    if (min !== -2 && stop === "comma") {
      first = fetch_number();
      max = first.num;
      stop = first.stop;
      if (stop === "comma") max = -2;
    } else max = min;
    if (min === -2 || max === -2) {
      if (this.ere) return null;
      throw new RegexSyntaxError(stop === "end" ? REG_EBRACE : REG_BADBR);
    }
    if ((max !== -1 && min > max) || stop !== "close") throw new RegexSyntaxError(REG_BADBR);
    if ((max === -1 ? min : max) > RE_DUP_MAX) throw new RegexSyntaxError(REG_ESIZE);
    return { min, max, next: at };
  }

  /** A bracket expression after its "[": the set of bytes it matches. */
  private parse_bracket(): Uint8Array {
    const p = this.p;
    const set = new_set();
    let negate = false;
    if (p[this.i] === "^") {
      negate = true;
      this.i++;
    }
    let first = true;
    /** One element: a byte, or a set (class); a "[=c=]" or "[.c.]" is its byte. */
    const element = (): number | Uint8Array => {
      if (this.i >= p.length) throw new RegexSyntaxError(REG_EBRACK);
      const c = p[this.i]!;
      const d = p[this.i + 1];
      if (c === "[" && (d === ":" || d === "=" || d === ".")) {
        const close = p.indexOf(`${d}]`, this.i + 2);
        if (close < 0) throw new RegexSyntaxError(REG_EBRACK);
        const name = p.slice(this.i + 2, close);
        this.i = close + 2;
        if (d === ":") {
          const s = class_set(name);
          if (s === null) throw new RegexSyntaxError(REG_ECTYPE);
          return s;
        }
        if (name.length !== 1) throw new RegexSyntaxError(REG_ECOLLATE);
        return name.charCodeAt(0);
      }
      this.i++;
      return c.charCodeAt(0);
    };
    for (;;) {
      if (this.i >= p.length) throw new RegexSyntaxError(REG_EBRACK);
      if (p[this.i] === "]" && !first) {
        this.i++;
        break;
      }
      const hyphen_here = p[this.i] === "-";
      if (hyphen_here && !first && p[this.i + 1] !== "]") throw new RegexSyntaxError(REG_ERANGE);
      const a = element();
      first = false;
      if (p[this.i] === "-" && p[this.i + 1] !== "]" && this.i + 1 < p.length) {
        this.i++;
        const b = element();
        if (typeof a !== "number" || typeof b !== "number" || b < a) throw new RegexSyntaxError(REG_ERANGE);
        for (let x = a; x <= b; x++) set[x] = 1;
        continue;
      }
      if (typeof a === "number") set[a] = 1;
      else for (let x = 0; x < 256; x++) if (a[x] === 1) set[x] = 1;
    }
    if (this.icase) fold_set(set);
    return negate ? complement(set) : set;
  }
}

/* ---- JavaScript translation ---- */

function js_char(c: number): string {
  return is_alpha(c) || c === 0x5f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`;
}

function js_set(s: Uint8Array): string {
  let n = 0;
  let only = -1;
  for (let c = 0; c < 256; c++) {
    if (s[c] === 1) {
      n++;
      only = c;
    }
  }
  if (n === 1) return js_char(only);
  if (n === 256) return "[\\s\\S]";
  let out = "[";
  for (let c = 0; c < 256; c++) {
    if (s[c] !== 1) continue;
    let e = c;
    while (e + 1 < 256 && s[e + 1] === 1) e++;
    out += e === c ? js_char(c) : e === c + 1 ? js_char(c) + js_char(e) : `${js_char(c)}-${js_char(e)}`;
    c = e;
  }
  return `${out}]`;
}

const JS_ASSERT: Readonly<Record<Assertion, string>> = {
  bol: "^",
  eol: "$",
  wordb: "\\b",
  nwordb: "\\B",
  wstart: "\\b(?=\\w)",
  wend: "\\b(?<=\\w)",
};

/** The JavaScript source for a tree; capture groups are exactly POSIX's, in the same order. */
export function to_js(node: ReNode): string {
  switch (node.t) {
    case "set":
      return js_set(node.set);
    case "cat":
      return node.items.map((x) => (x.t === "alt" ? `(?:${to_js(x)})` : to_js(x))).join("");
    case "alt":
      return node.items.map(to_js).join("|");
    case "group":
      return `(${to_js(node.body)})`;
    case "backref":
      return `(?:\\${node.n})`;
    case "assert":
      return JS_ASSERT[node.kind];
    case "rep": {
      const b = node.body;
      const atomic = b.t === "set" || b.t === "group" || b.t === "backref";
      const body = atomic ? to_js(b) : `(?:${to_js(b)})`;
      const q =
        node.max === -1
          ? node.min === 0
            ? "*"
            : node.min === 1
              ? "+"
              : `{${node.min},}`
          : node.min === 0 && node.max === 1
            ? "?"
            : node.min === node.max
              ? `{${node.min}}`
              : `{${node.min},${node.max}}`;
      return body + q;
    }
  }
}

/**
 * Does an unbounded repetition contain another repetition or an alternation ("(a*)*", "(a|aa)*"),
 * where a backtracking matcher can take exponential time?
 */
function has_nested_star(node: ReNode, inside_star: boolean): boolean {
  switch (node.t) {
    case "cat":
      return node.items.some((x) => has_nested_star(x, inside_star));
    case "alt":
      return inside_star || node.items.some((x) => has_nested_star(x, inside_star));
    case "group":
      return has_nested_star(node.body, inside_star);
    case "rep":
      if (inside_star && (node.max === -1 || node.max > 1)) return true;
      return has_nested_star(node.body, inside_star || node.max === -1);
    default:
      return false;
  }
}

/* ---- The compiled expression ---- */

/** A match: [start, end) in the subject. */
export interface ReMatch {
  readonly start: number;
  readonly end: number;
}

export class PosixRegex {
  private readonly re: RegExp;
  private readonly re_g: RegExp;
  private readonly nfa: Nfa | null;
  private readonly nfa_only: boolean;

  private constructor(node: ReNode, has_backref: boolean) {
    const src = to_js(node);
    this.re = new RegExp(src);
    this.re_g = new RegExp(src, "g");
    this.nfa = has_backref ? null : nfa_compile(node);
    this.nfa_only = this.nfa !== null && has_nested_star(node, false);
  }

  /** Anchor the tree at both ends for -x (what busybox's "match from 0 to the end" check amounts to). */
  private static wrap(node: ReNode, opts: RegexOptions): ReNode {
    if (opts.line === true) return { t: "cat", items: [{ t: "assert", kind: "bol" }, node, { t: "assert", kind: "eol" }] };
    return node;
  }

  /** regcomp(): the compiled pattern (a byte string), or glibc's message for a bad one. */
  static compile(pattern: string, opts: RegexOptions = {}): PosixRegex | string {
    try {
      const parser = new Parser(pattern, opts.extended === true, opts.icase === true);
      const { node } = parser.parse();
      return new PosixRegex(PosixRegex.wrap(node, opts), parser.has_backref);
    } catch (e) {
      if (e instanceof RegexSyntaxError) return e.message;
      if (e instanceof SyntaxError) return REG_ESIZE; // a JavaScript limit the translation hit
      throw e;
    }
  }

  /** A fixed string (grep -F) with the same options. */
  static literal(text: string, opts: RegexOptions = {}): PosixRegex {
    const items: ReNode[] = [];
    for (let i = 0; i < text.length; i++) {
      const s = set_of(text.charCodeAt(i) & 0xff);
      items.push({ t: "set", set: opts.icase === true ? fold_set(s) : s });
    }
    return new PosixRegex(PosixRegex.wrap({ t: "cat", items }, opts), false);
  }

  /** Does `s` contain a match? */
  test(s: string): boolean {
    if (this.nfa_only) return nfa_search(this.nfa!, s, 0) !== null;
    return this.re.test(s);
  }

  /** The leftmost(-longest) match starting at or after `from`, or null. */
  exec(s: string, from = 0): ReMatch | null {
    if (this.nfa !== null) return nfa_search(this.nfa, s, from);
    this.re_g.lastIndex = from;
    const m = this.re_g.exec(s);
    return m === null ? null : { start: m.index, end: m.index + m[0].length };
  }
}

/** Parse only (for tests and tools that want the tree): the tree, or glibc's message. */
export function regex_parse(pattern: string, opts: RegexOptions = {}): ReNode | string {
  try {
    return new Parser(pattern, opts.extended === true, opts.icase === true).parse().node;
  } catch (e) {
    if (e instanceof RegexSyntaxError) return e.message;
    throw e;
  }
}
