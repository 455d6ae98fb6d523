import { S_ISDIR, S_ISLNK, S_ISREG } from "../../include/uapi/stat.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { PosixRegex, type ReMatch } from "../lib/regex.ts";
import { is_word } from "../lib/regex_tree.ts";
import { BufReader, BufWriter, bstr_to_utf8, close_input, fail, getopt_ordered, reader_for, show_usage, utf8_to_bstr, xatoi_positive } from "../lib/stdio.ts";
import { O_RDONLY } from "../../include/uapi/fcntl.ts";
import { strerror } from "../../include/linux/errno.ts";

/**
 * grep (busybox findutils/grep.c): search FILEs (or standard input) for lines matching PATTERN,
 * a POSIX basic (or with -E extended) regular expression (userland/lib/regex.ts), or a fixed
 * string with -F. Exit status 0 when a line was selected, 1 when none, 2 on an error (a file that
 * could not be opened, a bad pattern), even with matches — busybox's rule; -q exits 0 at the first
 * match.
 *
 * As busybox: -w takes the leftmost-longest match and, when a word character touches it, searches
 * again from its end (so "grep -w ^" selects nothing); -x wants a match of the whole line; context
 * groups are separated by "--"; -c, -q, -l and -L turn off -n and context; "-ov" prints only the
 * prefixes; a directory given without -r reads as empty; -e/-f patterns with newlines are several
 * patterns, and -o prints the matches of the first pattern that selected the line. -r and -R
 * read only regular files below a directory (a device such as /proc/self/fd/0 is skipped, as GNU
 * grep does; busybox would read it) and never enter a directory twice on one path.
 * Where busybox cuts a corner and GNU grep does not, this one follows GNU: with -o, every match
 * printed passes the -w test (busybox tests only the first), and -F -o prints each occurrence as
 * it appears in the line (busybox prints the pattern once).
 */
const USAGE = `Usage: grep [-HhnlLoqvsrRiwFEz] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...

Search for PATTERN in FILEs (or stdin)

\t-H\tAdd 'filename:' prefix
\t-h\tDo not add 'filename:' prefix
\t-n\tAdd 'line_no:' prefix
\t-l\tShow only names of files that match
\t-L\tShow only names of files that don't match
\t-c\tShow only count of matching lines
\t-o\tShow only the matching part of line
\t-q\tQuiet. Return 0 if PATTERN is found, 1 otherwise
\t-v\tSelect non-matching lines
\t-s\tSuppress open and read errors
\t-r\tRecurse
\t-R\tRecurse and dereference symlinks
\t-i\tIgnore case
\t-w\tMatch whole words only
\t-x\tMatch whole lines only
\t-F\tPATTERN is a literal (not regexp)
\t-E\tPATTERN is an extended regexp
\t-z\tNUL terminated input
\t-m N\tMatch up to N times per file
\t-A N\tPrint N lines of trailing context
\t-B N\tPrint N lines of leading context
\t-C N\tSame as '-A N -B N'
\t-e PTRN\tPattern to match
\t-f FILE\tRead pattern from file
`;

interface Pattern {
  /** The pattern as given (a byte string). */
  readonly text: string;
  readonly re: PosixRegex;
}

/** What one run of grep was asked to do. */
interface Grep {
  readonly sys: Syscalls;
  readonly out: BufWriter;
  readonly patterns: Pattern[];
  readonly o: Set<string>;
  readonly fixed: boolean;
  invert: boolean;
  print_filename: boolean;
  readonly max_matches: number;
  readonly lines_before: number;
  readonly lines_after: number;
  readonly sep: number;
  readonly line_numbers: boolean;
  /** The current file's name as printed (a byte string). State across files: was a line printed, and which (for "--"). */
  did_print_line: boolean;
  last_line_printed: number;
  open_errors: boolean;
  cur_file: string;
  /** Directories (dev:ino) being walked by -r/-R. */
  readonly walking: Set<string>;
}

/** A match of `p` in `line` at or after `from`, with busybox's -w rule (retry from a failed match's end). */
function find(g: Grep, p: Pattern, line: string, from: number): ReMatch | null {
  let start_pos = from;
  for (;;) {
    const m = p.re.exec(line, start_pos);
    if (m === null || !g.o.has("w")) return m;
    const before = m.start > 0 ? line.charCodeAt(m.start - 1) : 0x20;
    const after = m.end < line.length ? line.charCodeAt(m.end) : 0;
    if (!is_word(before) && !is_word(after)) return m;
    // -F retries one byte further (strstr from match + 1), a regex from the match's end.
    const next = g.fixed ? m.start + 1 : m.end;
    if (next <= start_pos || next > line.length) return null;
    start_pos = next;
  }
}

async function print_line(g: Grep, line: string, linenum: number, decoration: string): Promise<void> {
  if (linenum < 1) return;
  if ((g.lines_before > 0 || g.lines_after > 0) && g.did_print_line && g.last_line_printed !== linenum - 1) await g.out.write("--\n");
  g.did_print_line = true;
  g.last_line_printed = linenum;
  let prefix = "";
  if (g.print_filename) prefix += g.cur_file + decoration;
  if (g.line_numbers) prefix += `${linenum}${decoration}`;
  await g.out.write(prefix);
  if (!(g.o.has("o") && g.invert)) await g.out.write(line + String.fromCharCode(g.sep));
}

/** grep_file(): true when the file "matched" (for -L: when its name was printed). */
async function grep_file(g: Grep, r: BufReader): Promise<boolean | "quit"> {
  const o = g.o;
  let linenum = 0;
  let nmatches = 0;
  let print_n_lines_after = 0;
  const before: { line: string; num: number }[] = [];
  for (;;) {
    let line = await r.read_line(g.sep);
    if (line === null) break;
    if (line.charCodeAt(line.length - 1) === g.sep) line = line.slice(0, -1);
    linenum++;
    let hit: { p: Pattern; m: ReMatch } | null = null;
    for (const p of g.patterns) {
      const m = find(g, p, line, 0);
      if (m !== null) {
        hit = { p, m };
        break;
      }
    }
    if ((hit !== null) !== g.invert) {
      nmatches++;
      if (o.has("q")) return "quit";
      if (o.has("l")) {
        await g.out.write(`${g.cur_file}\n`);
        return true;
      }
      if (o.has("L")) return false;
      if (o.has("m") && nmatches > g.max_matches) break;
      if (!o.has("c")) {
        for (const b of before.splice(0)) await print_line(g, b.line, b.num, "-");
        print_n_lines_after = g.lines_after;
        if (o.has("o")) {
          if (g.invert) await print_line(g, line, linenum, ":");
          else {
            let m: ReMatch | null = hit!.m;
            while (m !== null) {
              if (m.end > m.start) await print_line(g, line.slice(m.start, m.end), linenum, ":");
              if (m.end >= line.length) break;
              m = find(g, hit!.p, line, m.end > m.start ? m.end : m.end + 1);
            }
          }
        } else await print_line(g, line, linenum, ":");
      }
    } else if (print_n_lines_after > 0) {
      await print_line(g, line, linenum, "-");
      print_n_lines_after--;
    } else if (g.lines_before > 0) {
      before.push({ line, num: linenum });
      if (before.length > g.lines_before) before.shift();
    }
    if (g.out.failed) break;
    if (o.has("m") && print_n_lines_after === 0 && nmatches === g.max_matches) break;
  }
  if (o.has("c")) await g.out.write(`${g.print_filename ? `${g.cur_file}:` : ""}${nmatches}\n`);
  if (o.has("L")) {
    await g.out.write(`${g.cur_file}\n`);
    return true;
  }
  return nmatches !== 0;
}

/** Open and grep one file (file_action_grep); `path` is text (UTF-16), as open() takes it. */
async function grep_path(g: Grep, path: string): Promise<boolean | "quit"> {
  const fd = g.sys.open(path, O_RDONLY);
  if (fd < 0) {
    if (!g.o.has("s")) g.sys.write(2, `grep: ${path}: ${strerror(fd)}\n`);
    g.open_errors = true;
    return false;
  }
  g.cur_file = utf8_to_bstr(path);
  const r = await grep_file(g, reader_for(g.sys, fd, g.out));
  close_input(g.sys, fd);
  return r;
}

/** recursive_action() over a directory, depth first, following symlinks only with -R. */
async function grep_dir(g: Grep, dir: string): Promise<boolean | "quit"> {
  const names = g.sys.readdir(dir);
  if (typeof names === "number") {
    if (!g.o.has("s")) g.sys.write(2, `grep: ${dir}: ${strerror(names)}\n`);
    return false;
  }
  let matched = false;
  for (const name of names) {
    const path = dir.endsWith("/") ? dir + name : `${dir}/${name}`;
    const st = g.o.has("R") ? g.sys.stat(path) : g.sys.lstat(path);
    if (typeof st === "number") continue;
    let r: boolean | "quit";
    if (S_ISDIR(st.st_mode)) {
      // -R follows links: a directory already on the way down (/proc/self/cwd …) is not entered again.
      const id = `${st.st_dev}:${st.st_ino}`;
      if (g.walking.has(id)) continue;
      g.walking.add(id);
      r = await grep_dir(g, path);
      g.walking.delete(id);
    } else if (S_ISLNK(st.st_mode)) {
      const target = g.sys.stat(path);
      if (typeof target === "number") {
        if (!g.o.has("s")) g.sys.write(2, `grep: ${path}: ${strerror(target)}\n`);
        continue;
      }
      if (!S_ISREG(target.st_mode)) continue;
      r = await grep_path(g, path);
    } else if (S_ISREG(st.st_mode)) r = await grep_path(g, path);
    else continue; // devices, FIFOs and sockets met on the way down are skipped (GNU's rule)
    if (r === "quit") return r;
    matched ||= r;
  }
  return matched;
}

export async function grep(argv: readonly string[], sys: Syscalls): Promise<number> {
  const args = argv.filter((a, i) => i === 0 || !/^--colou?r(=.*)?$/.test(a));
  const parsed = getopt_ordered(args, "lnqvscFiHhe:f:LorRm:wxA:B:C:EzaI");
  if (typeof parsed === "string") return show_usage(sys, "grep", USAGE, parsed, 2);
  const o = new Set(parsed.list.map(([c]) => c));
  const num = (c: string): number | string => {
    const v = parsed.value(c);
    return v === undefined ? 0 : xatoi_positive(v);
  };
  const nums: number[] = [];
  for (const c of ["m", "A", "B", "C"]) {
    const v = num(c);
    if (typeof v === "string") return fail(sys, "grep", v, 2);
    nums.push(v);
  }
  const [max_matches, ctx_after, ctx_before, ctx] = nums as [number, number, number, number];
  let after = ctx_after;
  let before = ctx_before;
  // -C sets both unless an -A / -B comes after it.
  const last_ctx = (c: string): number => parsed.list.map(([x]) => x).lastIndexOf(c);
  if (o.has("C")) {
    if (last_ctx("A") < last_ctx("C")) after = ctx;
    if (last_ctx("B") < last_ctx("C")) before = ctx;
  }
  if (o.has("c") || o.has("q") || o.has("l") || o.has("L")) {
    o.delete("n");
    before = after = 0;
  }
  let invert = o.has("v");
  const fixed = o.has("F");
  const icase = o.has("i");

  const texts: string[] = [];
  for (const e of parsed.values("e")) texts.push(...utf8_to_bstr(e).split("\n"));
  for (const f of parsed.values("f")) {
    const fd = f === "-" ? 0 : sys.open(f, O_RDONLY);
    if (fd < 0) {
      sys.write(2, `grep: ${f}: ${strerror(fd)}\n`);
      return 2;
    }
    const r = new BufReader(sys, fd);
    for (let l = await r.read_line(); l !== null; l = await r.read_line()) texts.push(l.endsWith("\n") ? l.slice(0, -1) : l);
    close_input(sys, fd);
  }
  if (o.has("f") && texts.length === 0) {
    // -f EMPTY_FILE: nothing matches (GNU's rule), except with -x.
    texts.push(o.has("x") ? ".*" : "");
    invert = !invert;
  }
  let files = parsed.args;
  if (!o.has("e") && !o.has("f")) {
    if (files.length === 0) return show_usage(sys, "grep", USAGE, null, 2);
    texts.push(...utf8_to_bstr(files[0]!).split("\n"));
    files = files.slice(1);
  }
  const patterns: Pattern[] = [];
  for (const text of texts) {
    const opts = { extended: o.has("E"), icase, line: o.has("x") };
    const re = fixed ? PosixRegex.literal(text, opts) : PosixRegex.compile(text, opts);
    if (typeof re === "string") {
      sys.write(2, `grep: bad regex '${bstr_to_utf8(text)}'\n`);
      return 2;
    }
    patterns.push({ text, re });
  }

  const out = new BufWriter(sys);
  const g: Grep = {
    sys,
    out,
    patterns,
    o,
    fixed,
    invert,
    print_filename: files.length > 1,
    max_matches,
    lines_before: before,
    lines_after: after,
    sep: o.has("z") ? 0 : 0x0a,
    line_numbers: o.has("n"),
    did_print_line: false,
    last_line_printed: 0,
    open_errors: false,
    cur_file: "",
    walking: new Set(),
  };
  const hH = parsed.last_of("Hh");
  if (hH === "H") g.print_filename = true;
  if (hH === "h") g.print_filename = false;

  let matched = false;
  const list = files.length === 0 ? ["-"] : files;
  for (const file of list) {
    let r: boolean | "quit";
    if (file === "-") {
      g.cur_file = "(standard input)";
      r = await grep_file(g, reader_for(sys, 0, out));
    } else {
      const st = o.has("r") || o.has("R") ? sys.stat(file) : -1;
      if (typeof st !== "number" && S_ISDIR(st.st_mode)) {
        if (hH !== "h") g.print_filename = true;
        g.walking.add(`${st.st_dev}:${st.st_ino}`);
        r = await grep_dir(g, file);
        g.walking.clear();
      } else r = await grep_path(g, file);
    }
    if (r === "quit") return 0;
    matched ||= r;
    if (out.failed) break;
  }
  if ((await out.finish("grep")) !== 0) return 2;
  if (g.open_errors) return 2;
  return matched ? 0 : 1;
}

export const grep_command: Command = {
  name: "grep",
  summary: "print lines matching a pattern",
  usage: USAGE,
  main: grep,
};
