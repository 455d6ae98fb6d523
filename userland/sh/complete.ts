/**
 * Tab completion (bash's programmable completion, reduced to what ringzero's commands need). The
 * word before the cursor is completed according to where it stands:
 *
 *   command position        builtins and the programs in /bin (a word with "/" in it: paths)
 *   $NAME                   shell variables
 *   -x / --long             the command's options, taken from its usage text (`help CMD`)
 *   after < > >> 2>         paths
 *   ip ... dev / link set, ifconfig, ethtool, dhclient, tcpdump -i, ping -I
 *                           network interface names (RTM_GETLINK, as `ip link` lists them)
 *   insmod, modprobe        modules that can be loaded (/lib/modules/$(uname -r)/modules.dep),
 *   rmmod, modprobe -r      modules that are loaded (/proc/modules)
 *   cd                      directories
 *   anything else           paths (directories get a "/"; names starting with "." only when the
 *                           word does)
 *
 * Candidates replace the whole word (from `start`), escaped with backslashes as the shell reads
 * them back, or inside the quote the word opened.
 */
import { S_ISDIR } from "../../include/uapi/stat.ts";
import { COMMANDS } from "../commands.ts";
import type { Completion } from "../lib/readline.ts";
import { BUILTINS, SH_USAGE } from "./builtins.ts";
import type { ShellState } from "./state.ts";

/** Words after which a command name is expected again. */
const COMMAND_STARTERS = new Set(["if", "then", "else", "elif", "do", "while", "until", "!", "{"]);
const IFACE_COMMANDS = new Set(["ifconfig", "ethtool", "dhclient"]);

interface Scan {
  /** Words of the current simple command before the one being completed, unquoted. */
  readonly words: string[];
  /** The word being completed: where it starts in the line, its unquoted text, the quote left open. */
  readonly start: number;
  readonly value: string;
  readonly quote: "'" | '"' | null;
  /** The word is a redirection's target. */
  readonly redirect: boolean;
}

/** Find the word being completed and the command it belongs to (quotes and escapes as the lexer reads them). */
function scan(line: string, cursor: number): Scan {
  let words: string[] = [];
  let start = -1;
  let value = "";
  let quote: "'" | '"' | null = null;
  let redirect = false;
  const end_word = (): void => {
    if (start < 0) return;
    if (redirect) redirect = false;
    else if (words.length === 0 && (COMMAND_STARTERS.has(value) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(value))) {
      // a reserved word or an assignment: the command name is still to come
    } else words.push(value);
    start = -1;
    value = "";
  };
  for (let i = 0; i < cursor; i++) {
    const c = line[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (quote === '"' && c === "\\" && i + 1 < cursor) value += line[++i];
      else value += c;
      continue;
    }
    if (c === "'" || c === '"') {
      if (start < 0) start = i;
      quote = c;
    } else if (c === "\\") {
      if (start < 0) start = i;
      if (i + 1 < cursor) value += line[++i];
    } else if (c === " " || c === "\t" || c === "\n") {
      end_word();
    } else if (";&|()".includes(c)) {
      end_word();
      words = [];
      redirect = false;
    } else if (c === "<" || c === ">") {
      // "2>" : the digits were the descriptor, not a word.
      if (start >= 0 && /^[0-9]+$/.test(value) && line.slice(start, i) === value) {
        start = -1;
        value = "";
      } else end_word();
      redirect = true;
      if (line[i + 1] === "&") i++;
    } else {
      if (start < 0) start = i;
      value += c;
    }
  }
  return { words, start: start < 0 ? cursor : start, value, quote, redirect };
}

/** Backslash-escape what the shell would otherwise read differently. */
function escape(s: string): string {
  return s.replace(/[ \t\n\\'"`$&|;<>()*?[\]#!{}]/g, "\\$&");
}

/** The text that replaces the word for candidate `s` (quoted as the word began). */
function render(s: string, quote: Scan["quote"]): string {
  if (quote === "'") return `'${s}`;
  if (quote === '"') return `"${s.replace(/["\\$`]/g, "\\$&")}`;
  return escape(s);
}

/** Names in `dir` (as typed: "" is the working directory) starting with `base`, dirs marked with "/". */
function paths(sh: ShellState, word: string, want: "all" | "dirs" | "exec"): string[] {
  const slash = word.lastIndexOf("/");
  const dir = slash < 0 ? "" : word.slice(0, slash + 1);
  const base = word.slice(slash + 1);
  const home = sh.get("HOME");
  const real = dir.startsWith("~/") && home !== undefined ? `${home}${dir.slice(1)}` : dir;
  const names = sh.sys.readdir(real === "" ? "." : real);
  if (typeof names === "number") return [];
  const out: string[] = [];
  for (const n of names) {
    if (!n.startsWith(base) || (n.startsWith(".") && !base.startsWith("."))) continue;
    const st = sh.sys.stat(real + n);
    const is_dir = typeof st !== "number" && S_ISDIR(st.st_mode);
    if (want === "dirs" && !is_dir) continue;
    if (want === "exec" && !is_dir && (typeof st === "number" || (st.st_mode & 0o111) === 0)) continue;
    out.push(dir + n + (is_dir ? "/" : ""));
  }
  return out;
}

/** The options a usage text shows: "-x" and "--long" tokens; "[-abc]" is three flags. */
export function usage_options(usage: string): string[] {
  const out = new Set<string>();
  for (const m of usage.matchAll(/(?<![\w-])(--?[A-Za-z0-9][\w-]*)/g)) {
    const tok = m[1]!;
    const at = m.index;
    const bracketed = usage[at - 1] === "[" && usage[at + tok.length] === "]";
    // "-SIG", "-NUM": a placeholder for a value, not an option.
    if (!tok.startsWith("--") && tok.length > 2 && /^-[A-Z]+$/.test(tok)) continue;
    if (!tok.startsWith("--") && tok.length > 2 && bracketed) for (const c of tok.slice(1)) out.add(`-${c}`);
    else out.add(tok);
  }
  return [...out];
}

function usage_of(name: string): string | null {
  if (name === "sh") return SH_USAGE;
  return BUILTINS.get(name)?.usage ?? COMMANDS.find((c) => c.name === name)?.usage ?? null;
}

function interfaces(sh: ShellState): string[] {
  const links = sh.sys.getlinks();
  return typeof links === "number" ? [] : links.map((l) => l.name);
}

function text_file(sh: ShellState, path: string): string | null {
  const r = sh.sys.read_file(path);
  return typeof r === "number" ? null : new TextDecoder().decode(r);
}

/** Loaded modules: /proc/modules' first column. */
export function loaded_modules(sh: ShellState): string[] {
  return (text_file(sh, "/proc/modules") ?? "").split("\n").filter((l) => l !== "").map((l) => l.split(" ")[0]!);
}

/** Modules that can be loaded: modules.dep's names (as modprobe reads them), less the loaded ones. */
export function available_modules(sh: ShellState): string[] {
  const dep = text_file(sh, `/lib/modules/${sh.sys.uname().release}/modules.dep`);
  if (dep === null) return [];
  const loaded = new Set(loaded_modules(sh));
  const out: string[] = [];
  for (const line of dep.split("\n")) {
    const path = line.split(":")[0]!.trim();
    if (path === "") continue;
    const name = path.slice(path.lastIndexOf("/") + 1).replace(/\.ko(\.[a-z]+)?$/, "");
    if (!loaded.has(name)) out.push(name);
  }
  return out;
}

/** Does this word want an interface name (given the command's words before it)? */
function wants_interface(words: readonly string[]): boolean {
  const cmd = words[0]!;
  const prev = words[words.length - 1]!;
  if (cmd === "tcpdump") return prev === "-i";
  if (cmd === "ping") return prev === "-I";
  if (IFACE_COMMANDS.has(cmd)) {
    // ethtool -X DEV, ifconfig DEV, dhclient DEV: the first word that is not an option.
    return words.slice(1).every((w) => w.startsWith("-"));
  }
  if (cmd === "ip") {
    if (prev === "dev") return true;
    const args = words.slice(1).filter((w) => !w.startsWith("-"));
    return args[0] === "link" && args.length === 2 && ["set", "show", "del"].includes(args[1]!);
  }
  return false;
}

function candidates(sh: ShellState, s: Scan): string[] {
  const w = s.value;
  if (s.redirect) return paths(sh, w, "all");
  if (w.startsWith("$") && s.quote !== "'") {
    const specials = w.startsWith("${") ? "${" : "$";
    const prefix = w.slice(specials.length);
    return [...sh.vars.keys()].filter((n) => n.startsWith(prefix)).map((n) => `${specials}${n}${specials === "${" ? "}" : ""}`);
  }
  if (s.words.length === 0) {
    if (w.includes("/") || w.startsWith(".") || w.startsWith("~")) return paths(sh, w, "exec");
    const bins = sh.sys.readdir("/bin");
    const names = new Set([...BUILTINS.keys(), ...(typeof bins === "number" ? [] : bins)]);
    return [...names].filter((n) => n.startsWith(w));
  }
  const cmd = s.words[0]!;
  if (w.startsWith("-")) {
    const usage = usage_of(cmd);
    const opts = usage === null ? [] : usage_options(usage);
    if (COMMANDS.some((c) => c.name === cmd)) opts.push("--help");
    return [...new Set(opts)].filter((o) => o.startsWith(w));
  }
  if (cmd === "rmmod" || (cmd === "modprobe" && s.words.includes("-r"))) return loaded_modules(sh).filter((m) => m.startsWith(w));
  if (cmd === "insmod" || cmd === "modprobe") return available_modules(sh).filter((m) => m.startsWith(w));
  if (wants_interface(s.words)) return interfaces(sh).filter((n) => n.startsWith(w));
  if (cmd === "help") return [...new Set([...BUILTINS.keys(), ...COMMANDS.map((c) => c.name), "sh"])].filter((n) => n.startsWith(w));
  if (cmd === "cd") return paths(sh, w, "dirs");
  return paths(sh, w, "all");
}

/** readline's completer: the word before `cursor` and what it may become. */
export async function complete(sh: ShellState, line: string, cursor: number): Promise<Completion> {
  const s = scan(line, cursor);
  const found = candidates(sh, s);
  // Variables are inserted as typed ($ must stay a $); everything else is quoted for the shell.
  const render_one = (c: string): string => (c.startsWith("$") ? c : render(c, s.quote));
  return { start: s.start, candidates: found.sort().map(render_one) };
}
