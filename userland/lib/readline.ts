/**
 * readline(3): GNU readline's essentials, for the shell's prompt.
 *
 *   readline(sys, prompt, opts?): Promise<string | null | number>
 *
 * Returns the line typed (without its newline), null at end of input (^D on an empty line, or
 * read() returning 0 on an empty line), -EINTR when ^C (or any caught signal) interrupted the line,
 * or another negative errno if reading fd 0 failed. It never adds to the history: the caller does
 * (add_history), as with GNU readline.
 *
 * When fd 0 is a terminal (isatty(0)), readline saves its termios, switches it to non-canonical
 * mode without echo (ICANON and ECHO off, ISIG kept, so ^C is still SIGINT from the tty), draws the
 * prompt on fd 1 and edits the line itself; the saved termios is restored on every way out. The
 * caller must catch SIGINT (sigaction(SIGINT, "catch")): ^C then makes read() fail with -EINTR,
 * readline leaves the line on screen followed by "^C" and a newline (as bash does) and returns
 * -EINTR; the signal stays pending, so the caller clears it with sigpending() as after any -EINTR.
 *
 * Keys (emacs mode, as GNU readline's defaults):
 *   printable / UTF-8     insert at the cursor
 *   Backspace (DEL, ^H)   delete before the cursor      Delete (ESC[3~), ^D   delete under it
 *   Left/Right, ^B/^F     move by a character           ESC b / ESC f, Ctrl-Left/Right  by a word
 *   Home/End, ^A/^E       start / end of line (ESC[H ESC[F ESC[1~ ESC[4~ ESC[7~ ESC[8~ ESCOH ESCOF)
 *   ^U / ^K / ^W          kill to start / to end / the word before the cursor (ESC DEL too)
 *   ESC d                 kill the word after the cursor    ^Y  yank the last kill     ^T  transpose
 *   ^L                    clear the screen and redraw        Up/Down, ^P/^N  history
 *   Tab                   opts.complete(line, cursor) → { start, candidates }: the text from
 *                         `start` to the cursor is the word being completed and each candidate is
 *                         a full replacement for it. One candidate: it is inserted, followed by a
 *                         space unless it ends in "/". Several: their longest common prefix is
 *                         inserted (and the bell rung); a Tab right after a Tab that changed
 *                         nothing lists them in columns under the line (after "Display all N
 *                         possibilities? (y or n)" from 100 on), then draws the prompt and line
 *                         again — so "e<Tab><Tab>" lists when nothing can be added, and after a
 *                         Tab that added a common prefix it takes two more, exactly as bash. A
 *                         candidate with a "/" is listed by its last component ("dir/sub/" as
 *                         "sub/"), as readline lists files.
 *   Enter (CR or LF)      accept the line                    ^D on an empty line  end of input
 * Escape sequences may arrive split across reads. Output uses VT100/xterm sequences only (CSI n D,
 * CSI K, CSI H, CSI 2 J, BEL); moving right rewrites the characters passed over. Lines are not wrapped: a line wider than the terminal redraws
 * imperfectly (there is no TIOCGWINSZ yet; opts.columns, default 80, sizes the completion list).
 *
 * Input is read one byte per read(2), as GNU readline's rl_getc does, so bytes typed ahead of the
 * current line stay in the tty for the next reader (the next readline, or the command the shell
 * runs), in order.
 *
 * When fd 0 is not a terminal, readline prints no prompt (bash does not when it is not interactive)
 * and returns the next line from sys.read_line(), without its newline.
 */
import { EINTR } from "../../include/linux/errno.ts";
import { ECHO, ICANON, ISIG, type Syscalls } from "../../include/uapi/syscalls.ts";

export interface Completion {
  /** Where the word being completed starts (a string index into the line, at most the cursor). */
  start: number;
  /** Full replacements for line[start..cursor]. */
  candidates: string[];
}

export interface ReadlineOptions {
  /** Earlier lines, newest last (Up/Down walk them). Not modified. */
  history?: readonly string[];
  /** The completer for Tab: `cursor` is a string index into `line`. */
  complete?: (line: string, cursor: number) => Promise<Completion>;
  /** Terminal width for the completion list (default 80). */
  columns?: number;
}

/** readline's completion-query-items: ask before listing this many. */
const QUERY_ITEMS = 100;

const CSI = "\x1b[";
const BELL = "\x07";

function left(n: number): string {
  return n <= 0 ? "" : n === 1 ? `${CSI}D` : `${CSI}${n}D`;
}

/** The longest common prefix of `words` (by code points). */
function common_prefix(words: readonly string[]): string {
  if (words.length === 0) return "";
  let p = [...words[0]!];
  for (const w of words.slice(1)) {
    const c = [...w];
    let i = 0;
    while (i < p.length && i < c.length && p[i] === c[i]) i++;
    p = p.slice(0, i);
  }
  return p.join("");
}

/** readline's printable_part(): what a filename candidate is listed as ("a/b/" as "b/"). */
function printable_part(s: string): string {
  const body = s.endsWith("/") ? s.slice(0, -1) : s;
  const slash = body.lastIndexOf("/");
  return slash < 0 ? s : s.slice(slash + 1);
}

/** Display width of a listed name; a directory's "/" is not counted (readline adds it as a mark). */
function name_width(s: string): number {
  return [...(s.endsWith("/") && s.length > 1 ? s.slice(0, -1) : s)].length;
}

/**
 * rl_display_match_list(): the candidates (sorted) in columns, down then across; a column is as
 * wide as the longest name plus two, and as many columns fit as `cols` allows. Every name but the
 * last column's is padded to its column width (rows that end early keep that padding, as readline's).
 */
export function format_matches(matches: readonly string[], cols: number): string {
  const items = matches.map(printable_part);
  let max = 0;
  for (const m of items) max = Math.max(max, name_width(m));
  max += 2;
  let limit = Math.floor(cols / max);
  if (limit !== 1 && limit * max === cols) limit--;
  if (limit <= 0) limit = 1;
  const count = Math.ceil(items.length / limit);
  let out = "";
  for (let i = 0; i < count; i++) {
    for (let j = 0, l = i; j < limit && l < items.length; j++, l += count) {
      const item = items[l]!;
      out += item;
      const printed = [...item].length;
      if (j + 1 < limit) out += " ".repeat(max <= printed ? 1 : max - printed);
    }
    out += "\n";
  }
  return out;
}

/** The editor: the line as code points, the cursor, output not yet written. */
class Editor {
  chars: string[] = [];
  pos = 0;
  out = "";
  kill = "";
  /** History walk: index into `hist` (hist.length = the new line), and lines edited on the way. */
  hist_index: number;
  readonly edits = new Map<number, string[]>();
  /** The last key was Tab, and whether that Tab changed the line (readline's completion_changed_buffer). */
  last_was_tab = false;
  last_tab_changed = false;

  readonly prompt: string;
  readonly hist: readonly string[];

  constructor(prompt: string, hist: readonly string[]) {
    this.prompt = prompt;
    this.hist = hist;
    this.hist_index = hist.length;
  }

  get line(): string {
    return this.chars.join("");
  }

  /** Rewrite from the cursor to the end of the line (after a change there), cursor kept. */
  private redraw_tail(): void {
    const rest = this.chars.slice(this.pos).join("");
    this.out += rest + `${CSI}K` + left(this.chars.length - this.pos);
  }

  insert(text: string): void {
    const add = [...text];
    this.chars.splice(this.pos, 0, ...add);
    this.out += text;
    this.pos += add.length;
    if (this.pos < this.chars.length) this.redraw_tail();
  }

  move_to(p: number): void {
    p = Math.max(0, Math.min(this.chars.length, p));
    if (p < this.pos) this.out += left(this.pos - p);
    else if (p > this.pos) this.out += this.chars.slice(this.pos, p).join("");
    this.pos = p;
  }

  /** Delete chars [from, to) and keep the cursor at `from`; returns what went. */
  remove(from: number, to: number): string {
    if (to <= from) return "";
    this.move_to(from);
    const gone = this.chars.splice(from, to - from).join("");
    this.redraw_tail();
    return gone;
  }

  replace_all(chars: string[]): void {
    this.out += left(this.pos);
    this.chars = chars;
    this.pos = chars.length;
    this.out += chars.join("") + `${CSI}K`;
  }

  /** Prompt and line drawn afresh on the current screen line, cursor where it was. */
  redisplay(): void {
    this.out += this.prompt + this.line + `${CSI}K` + left(this.chars.length - this.pos);
  }

  word_start(): number {
    let p = this.pos;
    while (p > 0 && !/[\p{L}\p{N}_]/u.test(this.chars[p - 1]!)) p--;
    while (p > 0 && /[\p{L}\p{N}_]/u.test(this.chars[p - 1]!)) p--;
    return p;
  }

  word_end(): number {
    let p = this.pos;
    while (p < this.chars.length && !/[\p{L}\p{N}_]/u.test(this.chars[p]!)) p++;
    while (p < this.chars.length && /[\p{L}\p{N}_]/u.test(this.chars[p]!)) p++;
    return p;
  }

  /** unix-word-rubout (^W): back over whitespace, then over non-whitespace. */
  rubout_start(): number {
    let p = this.pos;
    while (p > 0 && /\s/u.test(this.chars[p - 1]!)) p--;
    while (p > 0 && !/\s/u.test(this.chars[p - 1]!)) p--;
    return p;
  }

  history_move(to: number): void {
    if (to < 0 || to > this.hist.length || to === this.hist_index) {
      this.out += BELL;
      return;
    }
    this.edits.set(this.hist_index, this.chars.slice());
    this.hist_index = to;
    this.replace_all(this.edits.get(to)?.slice() ?? (to === this.hist.length ? [] : [...this.hist[to]!]));
  }
}

/** What ByteReader.next() returns at end of input (read() returned 0). */
const EOF = 0x100;

/** Reads fd 0 a byte at a time. */
class ByteReader {
  private readonly one = new Uint8Array(1);
  private readonly sys: Syscalls;
  constructor(sys: Syscalls) {
    this.sys = sys;
  }
  /** The next byte (0-255), EOF, or a negative errno. */
  async next(): Promise<number> {
    const n = await this.sys.read(0, this.one);
    if (n < 0) return n;
    return n === 0 ? EOF : this.one[0]!;
  }
}

/** How many continuation bytes a UTF-8 lead byte announces (-1: not a lead byte). */
function utf8_extra(b: number): number {
  if (b < 0x80) return 0;
  if (b >= 0xc2 && b <= 0xdf) return 1;
  if (b >= 0xe0 && b <= 0xef) return 2;
  if (b >= 0xf0 && b <= 0xf4) return 3;
  return -1;
}

/** What reading a key produced: a key name, inserted text, or the end of input (0) / an errno. */
type Key = { key: string } | { text: string } | { end: number };

/**
 * Decode the next key from the byte stream: control characters, ESC/CSI/SS3 sequences (which may
 * be split across reads) and UTF-8 characters.
 */
async function read_key(r: ByteReader): Promise<Key> {
  const b = await r.next();
  if (b < 0 || b === EOF) return { end: b === EOF ? 0 : b };
  if (b === 0x1b) {
    const c = await r.next();
    if (c < 0 || c === EOF) return { end: c === EOF ? 0 : c };
    if (c === 0x5b /* [ */ || c === 0x4f /* O */) {
      let params = "";
      for (;;) {
        const d = await r.next();
        if (d < 0 || d === EOF) return { end: d === EOF ? 0 : d };
        if (d >= 0x40 && d <= 0x7e) return { key: `${c === 0x5b ? "CSI" : "SS3"}${params}${String.fromCharCode(d)}` };
        if (params.length > 16) return { key: "unknown" };
        params += String.fromCharCode(d);
      }
    }
    return { key: `M-${c === 0x7f || c === 0x08 ? "DEL" : String.fromCharCode(c)}` };
  }
  if (b < 0x20 || b === 0x7f) return { key: b === 0x7f ? "DEL" : `C-${String.fromCharCode(b + 0x40)}` };
  const extra = utf8_extra(b);
  if (extra <= 0) return extra === 0 ? { text: String.fromCharCode(b) } : { key: "unknown" };
  const bytes = [b];
  for (let i = 0; i < extra; i++) {
    const c = await r.next();
    if (c < 0 || c === EOF) return { end: c === EOF ? 0 : c };
    if ((c & 0xc0) !== 0x80) return { key: "unknown" };
    bytes.push(c);
  }
  return { text: new TextDecoder().decode(new Uint8Array(bytes)) };
}

/** Key names for the sequences terminals send. */
const SEQUENCES: Readonly<Record<string, string>> = {
  CSIA: "up", SS3A: "up", CSIB: "down", SS3B: "down", CSIC: "right", SS3C: "right", CSID: "left", SS3D: "left",
  CSIH: "home", SS3H: "home", "CSI1~": "home", "CSI7~": "home", CSIF: "end", SS3F: "end", "CSI4~": "end", "CSI8~": "end",
  "CSI3~": "delete", "CSI1;5C": "word-right", "CSI1;5D": "word-left", "CSI1;3C": "word-right", "CSI1;3D": "word-left",
  "M-b": "word-left", "M-f": "word-right", "M-d": "kill-word", "M-DEL": "backward-kill-word",
  "C-A": "home", "C-B": "left", "C-C": "interrupt", "C-D": "eof-or-delete", "C-E": "end", "C-F": "right",
  "C-H": "backspace", DEL: "backspace", "C-I": "complete", "C-J": "accept", "C-M": "accept", "C-K": "kill-line",
  "C-L": "clear", "C-N": "down", "C-P": "up", "C-T": "transpose", "C-U": "kill-start", "C-W": "unix-word-rubout", "C-Y": "yank",
};

export async function readline(sys: Syscalls, prompt: string, opts: ReadlineOptions = {}): Promise<string | null | number> {
  const saved = sys.isatty(0) === 1 ? sys.tcgetattr(0) : -1;
  if (typeof saved === "number") {
    const r = await sys.read_line();
    if (typeof r !== "string") return r;
    return r.endsWith("\n") ? r.slice(0, -1) : r;
  }
  // rl_prep_terminal: ICANON and ECHO off, ISIG kept (^C stays SIGINT); the rest as it was.
  const raw = (saved.c_lflag & ~(ICANON | ECHO)) | ISIG;
  sys.tcsetattr(0, { c_lflag: raw });
  try {
    return await edit(sys, prompt, opts);
  } finally {
    sys.tcsetattr(0, saved);
  }
}

async function edit(sys: Syscalls, prompt: string, opts: ReadlineOptions): Promise<string | null | number> {
  const ed = new Editor(prompt, opts.history ?? []);
  const reader = new ByteReader(sys);
  const flush = async (): Promise<void> => {
    if (ed.out === "") return;
    const s = ed.out;
    ed.out = "";
    await sys.write(1, s);
  };
  ed.out += prompt;
  for (;;) {
    await flush();
    const k = await read_key(reader);
    const was_tab = ed.last_was_tab;
    ed.last_was_tab = false;
    if ("end" in k) {
      if (k.end === 0) {
        // read() returned 0: end of input. A partial line is accepted (readline's EOF → newline).
        if (ed.chars.length === 0) return null;
        ed.move_to(ed.chars.length);
        ed.out += "\n";
        await flush();
        return ed.line;
      }
      ed.move_to(ed.chars.length);
      ed.out += k.end === -EINTR ? "^C\n" : "\n";
      await flush();
      return k.end;
    }
    if ("text" in k) {
      ed.insert(k.text);
      continue;
    }
    switch (SEQUENCES[k.key] ?? "") {
      case "accept":
        ed.move_to(ed.chars.length);
        ed.out += "\n";
        await flush();
        return ed.line;
      case "interrupt": // ^C read as a byte: ISIG was off after all
        ed.move_to(ed.chars.length);
        ed.out += "^C\n";
        await flush();
        return -EINTR;
      case "eof-or-delete":
        if (ed.chars.length === 0) return null;
        if (ed.pos < ed.chars.length) ed.remove(ed.pos, ed.pos + 1);
        break;
      case "backspace":
        if (ed.pos > 0) ed.remove(ed.pos - 1, ed.pos);
        break;
      case "delete":
        if (ed.pos < ed.chars.length) ed.remove(ed.pos, ed.pos + 1);
        break;
      case "left":
        ed.move_to(ed.pos - 1);
        break;
      case "right":
        ed.move_to(ed.pos + 1);
        break;
      case "word-left":
        ed.move_to(ed.word_start());
        break;
      case "word-right":
        ed.move_to(ed.word_end());
        break;
      case "home":
        ed.move_to(0);
        break;
      case "end":
        ed.move_to(ed.chars.length);
        break;
      case "kill-start":
        ed.kill = ed.remove(0, ed.pos);
        break;
      case "kill-line":
        ed.kill = ed.chars.slice(ed.pos).join("");
        ed.chars.length = ed.pos;
        ed.out += `${CSI}K`;
        break;
      case "unix-word-rubout":
        ed.kill = ed.remove(ed.rubout_start(), ed.pos);
        break;
      case "backward-kill-word":
        ed.kill = ed.remove(ed.word_start(), ed.pos);
        break;
      case "kill-word": {
        const from = ed.pos;
        ed.kill = ed.remove(from, ed.word_end());
        break;
      }
      case "yank":
        if (ed.kill !== "") ed.insert(ed.kill);
        break;
      case "transpose": {
        // transpose-chars: the two characters before the cursor at the end of the line, else the
        // one before and the one under it (the cursor moves on).
        if (ed.pos === 0 || ed.chars.length < 2) {
          ed.out += BELL;
          break;
        }
        const at = ed.pos === ed.chars.length ? ed.pos - 1 : ed.pos;
        ed.move_to(at - 1);
        const a = ed.chars[at - 1]!;
        const b = ed.chars[at]!;
        ed.chars[at - 1] = b;
        ed.chars[at] = a;
        ed.out += b + a;
        ed.pos = at + 1;
        break;
      }
      case "clear":
        ed.out += `${CSI}H${CSI}2J`;
        ed.redisplay();
        break;
      case "up":
        ed.history_move(ed.hist_index - 1);
        break;
      case "down":
        ed.history_move(ed.hist_index + 1);
        break;
      case "complete":
        await complete(sys, reader, ed, opts, was_tab && !ed.last_tab_changed);
        break;
      default:
        break; // unbound keys and sequences are ignored
    }
  }
}

/** Tab: complete the word before the cursor (see the header). */
async function complete(sys: Syscalls, reader: ByteReader, ed: Editor, opts: ReadlineOptions, second: boolean): Promise<void> {
  ed.last_was_tab = true;
  ed.last_tab_changed = false;
  if (opts.complete === undefined) {
    ed.out += BELL;
    return;
  }
  const line = ed.line;
  const cursor = ed.chars.slice(0, ed.pos).join("").length;
  let res: Completion;
  try {
    res = await opts.complete(line, cursor);
  } catch {
    ed.out += BELL;
    return;
  }
  const start = Math.max(0, Math.min(cursor, res.start));
  const word = line.slice(start, cursor);
  const matches = [...new Set(res.candidates)].sort();
  if (matches.length === 0) {
    ed.out += BELL;
    return;
  }
  /** Replace the word with `text` (the cursor is at its end): only what differs is redrawn. */
  const put = (text: string): void => {
    const w = [...word];
    const t = [...text];
    let same = 0;
    while (same < w.length && same < t.length && w[same] === t[same]) same++;
    ed.remove(ed.pos - (w.length - same), ed.pos);
    ed.insert(t.slice(same).join(""));
  };
  if (matches.length === 1) {
    const m = matches[0]!;
    put(m.endsWith("/") ? m : m + " ");
    ed.last_tab_changed = true;
    return;
  }
  const prefix = common_prefix(matches);
  if (prefix.length > word.length && prefix.startsWith(word)) {
    put(prefix);
    ed.last_tab_changed = true;
    ed.out += BELL;
    return;
  }
  if (!second) {
    ed.out += BELL;
    return;
  }
  ed.out += "\n";
  if (matches.length >= QUERY_ITEMS) {
    ed.out += `Display all ${matches.length} possibilities? (y or n)`;
    await sys.write(1, ed.out);
    ed.out = "";
    for (;;) {
      const k = await read_key(reader);
      if ("end" in k) {
        ed.out += "\n";
        ed.redisplay();
        return;
      }
      const t = "text" in k ? k.text : k.key;
      if (t === "y" || t === "Y" || t === " ") {
        ed.out += "\n";
        break;
      }
      if (t === "n" || t === "N" || t === "DEL" || t === "C-G") {
        ed.out += "\n";
        ed.redisplay();
        return;
      }
      await sys.write(1, BELL);
    }
  }
  ed.out += format_matches(matches, opts.columns ?? 80);
  ed.redisplay();
}
