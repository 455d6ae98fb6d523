/**
 * The shell's grammar (POSIX.1-2017 XCU 2.9 "Shell Commands" and 2.10 "Shell Grammar", reduced),
 * parsed by recursive descent from lex.ts's tokens:
 *
 *   program    := linebreak [ list ] EOF
 *   list       := and_or { ( ";" | "&" | newline ) linebreak and_or } [ ";" | "&" ]
 *   and_or     := pipeline { ( "&&" | "||" ) linebreak pipeline }
 *   pipeline   := [ "!" ] command { "|" linebreak command }
 *   command    := simple | compound { redirect }
 *   compound   := "if" list "then" list { "elif" list "then" list } [ "else" list ] "fi"
 *               | "for" NAME [ linebreak "in" { word } ] sep "do" list "done"
 *               | ( "while" | "until" ) list "do" list "done"
 *               | "{" list "}"
 *   simple     := { NAME=word | redirect } [ word { word | redirect } ]
 *   redirect   := [ N ] ( "<" | ">" | ">>" | ">|" | "<>" | "<&" | ">&" ) word
 *
 * Reserved words count only where a command starts (and `in`/`do` in `for`). Running out of tokens
 * where more is needed (after "|", "&&", inside if/for/while/{ }) is "incomplete", so the
 * interactive shell reads a continuation line with PS2; anything else unexpected is a syntax error
 * naming the token, as bash words it.
 */
import { is_name_char, is_name_start, lex, plain_word, type ControlOp, type RedirOp, type Token, type Word } from "./lex.ts";

export interface Redir {
  readonly fd: number;
  readonly op: RedirOp;
  readonly target: Word;
}
export interface Assign {
  readonly name: string;
  /** The value as a word (the part after "="). */
  readonly value: Word;
}

export interface SimpleCommand {
  readonly kind: "simple";
  readonly assigns: readonly Assign[];
  readonly words: readonly Word[];
  readonly redirs: readonly Redir[];
}
export interface IfCommand {
  readonly kind: "if";
  readonly clauses: readonly { readonly cond: List; readonly body: List }[];
  readonly else_body: List | null;
  readonly redirs: readonly Redir[];
}
export interface ForCommand {
  readonly kind: "for";
  readonly name: string;
  /** null: `for NAME; do` (the positional parameters). */
  readonly words: readonly Word[] | null;
  readonly body: List;
  readonly redirs: readonly Redir[];
}
export interface WhileCommand {
  readonly kind: "while";
  readonly until: boolean;
  readonly cond: List;
  readonly body: List;
  readonly redirs: readonly Redir[];
}
export interface GroupCommand {
  readonly kind: "group";
  readonly body: List;
  readonly redirs: readonly Redir[];
}
export type Command = (SimpleCommand | IfCommand | ForCommand | WhileCommand | GroupCommand) & { readonly src: string };

export interface Pipeline {
  readonly bang: boolean;
  readonly cmds: readonly Command[];
  readonly src: string;
}
export interface AndOr {
  readonly first: Pipeline;
  readonly rest: readonly { readonly op: "&&" | "||"; readonly pipeline: Pipeline }[];
  /** Ended by "&": run in the background. */
  readonly bg: boolean;
  readonly src: string;
}
export interface List {
  readonly items: readonly AndOr[];
}

export type ParseResult = { readonly list: List } | { readonly error: string } | { readonly incomplete: string };

/** Deepest nesting of compound commands: input is untrusted, the recursion must stay bounded. */
const MAX_DEPTH = 200;

const RESERVED = new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "in", "{", "}", "!", "case", "esac"]);

class ParseError {
  readonly msg: string;
  readonly incomplete: boolean;
  constructor(msg: string, incomplete: boolean) {
    this.msg = msg;
    this.incomplete = incomplete;
  }
}

function token_text(t: Token): string {
  if (t.t === "word") return t.w.text;
  if (t.t === "op") return t.op === "\n" ? "newline" : t.op;
  return `${t.fd ?? ""}${t.op}`;
}

class Parser {
  readonly toks: Token[];
  readonly src: string;
  i = 0;
  depth = 0;
  constructor(toks: Token[], src: string) {
    this.toks = toks;
    this.src = src;
  }

  private peek(): Token | undefined {
    return this.toks[this.i];
  }
  private is_op(op: ControlOp): boolean {
    const t = this.peek();
    return t !== undefined && t.t === "op" && t.op === op;
  }
  /** The reserved word at the cursor, if the token there is one. */
  private reserved(): string | null {
    const t = this.peek();
    if (t === undefined || t.t !== "word") return null;
    const s = plain_word(t.w);
    return s !== null && RESERVED.has(s) ? s : null;
  }
  private unexpected(): ParseError {
    const t = this.peek();
    if (t === undefined) return new ParseError("unexpected end of file", true);
    return new ParseError(`syntax error near unexpected token \`${token_text(t)}'`, false);
  }
  /** Where the token at `i` starts in the source (the end of the source past the last token). */
  private pos(i: number): number {
    return this.toks[i]?.pos ?? this.src.length;
  }
  /** The source text from token `from` to the current one, trimmed. */
  private text_since(from: number): string {
    const end = this.i > from ? this.end_of(this.i - 1) : this.pos(from);
    return this.src.slice(this.pos(from), end).trim();
  }
  private end_of(i: number): number {
    const t = this.toks[i]!;
    if (t.t === "word") return t.pos + t.w.text.length;
    if (t.t === "op") return t.pos + (t.op === "\n" ? 0 : t.op.length);
    return t.pos + token_text(t).length;
  }

  private linebreak(): void {
    while (this.is_op("\n")) this.i++;
  }
  private expect_word(word: string): void {
    if (this.reserved() !== word) throw this.unexpected();
    this.i++;
  }

  /** A whole program: everything up to the end of the tokens. */
  program(): List {
    this.linebreak();
    if (this.peek() === undefined) return { items: [] };
    const l = this.list(new Set());
    if (this.peek() !== undefined) throw this.unexpected();
    return l;
  }

  /**
   * and_or's separated by ; & and newlines, up to a token that cannot start a command (a closing
   * reserved word in `stop`, ")" or the end). At least one and_or is required.
   */
  private list(stop: ReadonlySet<string>): List {
    const items: AndOr[] = [];
    this.linebreak();
    for (;;) {
      const r = this.reserved();
      if (this.peek() === undefined || (r !== null && stop.has(r))) {
        if (items.length === 0) throw this.unexpected();
        break;
      }
      const ao = this.and_or();
      let bg = false;
      if (this.is_op("&")) {
        bg = true;
        this.i++;
      } else if (this.is_op(";")) this.i++;
      else if (!this.is_op("\n") && this.peek() !== undefined) {
        const end = this.reserved();
        if (end === null || !stop.has(end)) throw this.unexpected();
      }
      items.push({ ...ao, bg });
      this.linebreak();
    }
    return { items };
  }

  private and_or(): Omit<AndOr, "bg"> {
    const from = this.i;
    const first = this.pipeline();
    const rest: { op: "&&" | "||"; pipeline: Pipeline }[] = [];
    for (;;) {
      const t = this.peek();
      if (t === undefined || t.t !== "op" || (t.op !== "&&" && t.op !== "||")) break;
      this.i++;
      this.linebreak();
      rest.push({ op: t.op, pipeline: this.pipeline() });
    }
    return { first, rest, src: this.text_since(from) };
  }

  private pipeline(): Pipeline {
    const from = this.i;
    let bang = false;
    while (this.reserved() === "!") {
      bang = !bang;
      this.i++;
    }
    const cmds: Command[] = [this.command()];
    while (this.is_op("|")) {
      this.i++;
      this.linebreak();
      cmds.push(this.command());
    }
    return { bang, cmds, src: this.text_since(from) };
  }

  private command(): Command {
    const from = this.i;
    const r = this.reserved();
    if (r === null) return { ...this.simple(), src: this.text_since(from) };
    if (++this.depth > MAX_DEPTH) throw new ParseError("syntax error: commands nested too deeply", false);
    let c: Omit<IfCommand, "redirs"> | Omit<ForCommand, "redirs"> | Omit<WhileCommand, "redirs"> | Omit<GroupCommand, "redirs">;
    switch (r) {
      case "if":
        c = this.if_clause();
        break;
      case "for":
        c = this.for_clause();
        break;
      case "while":
      case "until":
        c = this.while_clause(r === "until");
        break;
      case "{": {
        this.i++;
        const body = this.list(new Set(["}"]));
        this.expect_word("}");
        c = { kind: "group", body };
        break;
      }
      case "case":
        throw new ParseError("case … esac is not supported", false);
      default:
        throw this.unexpected();
    }
    this.depth--;
    const redirs: Redir[] = [];
    for (let rd = this.redirect(); rd !== null; rd = this.redirect()) redirs.push(rd);
    return { ...c, redirs, src: this.text_since(from) };
  }

  private if_clause(): Omit<IfCommand, "redirs"> {
    this.i++; // if
    const clauses: { cond: List; body: List }[] = [];
    let else_body: List | null = null;
    for (;;) {
      const cond = this.list(new Set(["then"]));
      this.expect_word("then");
      const body = this.list(new Set(["elif", "else", "fi"]));
      clauses.push({ cond, body });
      const r = this.reserved();
      this.i++;
      if (r === "elif") continue;
      if (r === "else") {
        else_body = this.list(new Set(["fi"]));
        this.expect_word("fi");
      } else if (r !== "fi") {
        this.i--;
        throw this.unexpected();
      }
      return { kind: "if", clauses, else_body };
    }
  }

  private for_clause(): Omit<ForCommand, "redirs"> {
    this.i++; // for
    const t = this.peek();
    if (t === undefined) throw this.unexpected();
    const name = t.t === "word" ? plain_word(t.w) : null;
    if (name === null || !is_name_start(name[0]) || ![...name].every(is_name_char)) {
      if (t.t === "word") throw new ParseError(`syntax error: bad for loop variable \`${t.w.text}'`, false);
      throw this.unexpected();
    }
    this.i++;
    let words: Word[] | null = null;
    this.linebreak();
    if (this.reserved() === "in") {
      this.i++;
      words = [];
      for (let w = this.peek(); w !== undefined && w.t === "word"; w = this.peek()) {
        words.push(w.w);
        this.i++;
      }
      if (this.is_op(";") || this.is_op("\n")) this.i++;
      else throw this.unexpected();
    } else if (this.is_op(";")) this.i++;
    this.linebreak();
    this.expect_word("do");
    const body = this.list(new Set(["done"]));
    this.expect_word("done");
    return { kind: "for", name, words, body };
  }

  private while_clause(until: boolean): Omit<WhileCommand, "redirs"> {
    this.i++; // while / until
    const cond = this.list(new Set(["do"]));
    this.expect_word("do");
    const body = this.list(new Set(["done"]));
    this.expect_word("done");
    return { kind: "while", until, cond, body };
  }

  /** A redirection at the cursor (operator and its target word), or null. */
  private redirect(): Redir | null {
    const t = this.peek();
    if (t === undefined || t.t !== "redir") return null;
    this.i++;
    const target = this.peek();
    if (target === undefined || target.t !== "word") throw this.unexpected();
    this.i++;
    const fd = t.fd ?? (t.op === "<" || t.op === "<>" || t.op === "<&" ? 0 : 1);
    return { fd, op: t.op, target: target.w };
  }

  private simple(): Omit<SimpleCommand, "src"> {
    const assigns: Assign[] = [];
    const words: Word[] = [];
    const redirs: Redir[] = [];
    for (;;) {
      const rd = this.redirect();
      if (rd !== null) {
        redirs.push(rd);
        continue;
      }
      const t = this.peek();
      if (t === undefined || t.t !== "word") break;
      const a = words.length === 0 ? assignment(t.w) : null;
      if (a !== null) assigns.push(a);
      else words.push(t.w);
      this.i++;
    }
    if (assigns.length === 0 && words.length === 0 && redirs.length === 0) throw this.unexpected();
    return { kind: "simple", assigns, words, redirs };
  }
}

/** NAME=value as the first words of a simple command: the name must be unquoted and valid. */
function assignment(w: Word): Assign | null {
  const p = w.parts[0];
  if (p === undefined || p.k !== "lit" || p.q) return null;
  const eq = p.s.indexOf("=");
  if (eq <= 0) return null;
  const name = p.s.slice(0, eq);
  if (!is_name_start(name[0]) || ![...name].every(is_name_char)) return null;
  const rest = p.s.slice(eq + 1);
  const parts = rest === "" ? w.parts.slice(1) : [{ ...p, s: rest }, ...w.parts.slice(1)];
  return { name, value: { parts, text: w.text.slice(eq + 1) } };
}

/** Parse `src` (one or more lines) into a list, or say why not. */
export function parse(src: string): ParseResult {
  const lx = lex(src);
  if ("error" in lx) return { error: `syntax error: ${lx.error}` };
  if ("incomplete" in lx) return { incomplete: lx.incomplete };
  const p = new Parser(lx.tokens, src);
  try {
    return { list: p.program() };
  } catch (e) {
    if (e instanceof ParseError) return e.incomplete ? { incomplete: e.msg } : { error: e.msg };
    throw e;
  }
}
