import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { PosixRegex } from "../lib/regex.ts";
import { BufWriter, close_input, fail, fopen_or_warn_stdin, getopt_ordered, reader_for, show_usage, utf8_to_bstr, xatoi_positive } from "../lib/stdio.ts";

/**
 * cut (busybox coreutils/cut.c): from each line of FILEs (or standard input) print the bytes
 * (-b LIST; -c is the same, bytes, as busybox) or the fields (-f LIST) split at -d's first byte
 * (default TAB; -d with a newline selects whole lines), joined by -O SEP (default the -d text);
 * -F LIST splits at matches of the extended regex -d (default "[[:space:]]+", joined by a space).
 * LIST is N, N-M, N- or -M, comma separated, sorted unless -D. A line without the delimiter is
 * printed whole, or dropped with -s. -n is accepted and ignored.
 */
const USAGE = `Usage: cut [OPTIONS] [FILE]...

Print selected fields from FILEs to stdout

\t-b LIST\tOutput only bytes from LIST
\t-c LIST\tOutput only characters from LIST
\t-d SEP\tField delimiter for input (default -f TAB, -F run of whitespace)
\t-O SEP\tField delimeter for output (default = -d for -f, one space for -F)
\t-D\tDon't sort/collate sections or match -fF lines without delimeter
\t-f LIST\tPrint only these fields (-d is single char)
\t-F LIST\tPrint only these fields (-d is regex)
\t-s\tOutput only lines containing delimiter
\t-n\tIgnored
`;

const INT_MAX = 0x7fffffff;

interface Range {
  start: number;
  end: number;
}

interface Cut {
  readonly bytes: boolean;
  readonly delim: string;
  readonly odelim: string;
  readonly re: PosixRegex | null;
  readonly lists: Range[];
  readonly suppress: boolean;
  readonly nosort: boolean;
  /** Line number (0-based) for cutting by lines. */
  linenum: number;
}

/** cut_file() on one line (without its newline): the text to print, or null for none. */
function cut_line(c: Cut, line: string): string | null {
  const lists = c.lists;
  const n = lists.length;
  const linelen = line.length;
  if (c.bytes) {
    const printed = new Uint8Array(linelen + 1);
    let s = "";
    for (const l of lists) {
      for (let spos = l.start; spos < linelen; ) {
        if (printed[spos] === 0) {
          printed[spos] = 1;
          s += line[spos];
        }
        if (++spos > l.end) break;
      }
    }
    return `${s}\n`;
  }
  if (c.delim[0] === "\n") {
    // Cut by lines: -d '\n' -f LIST picks line numbers.
    const linenum = c.linenum++;
    let cl = 0;
    let spos = lists[0]!.start;
    if (linenum < spos) return null;
    while (spos < linenum) {
      spos++;
      if (spos > lists[cl]!.end) {
        if (++cl >= n) return null;
        spos = lists[cl]!.start;
        if (linenum < spos) return null;
      }
    }
    return `${line}\n`;
  }
  const shoe = c.re !== null;
  let uu = 0;
  let start = 0;
  let end = 0;
  let out = 0;
  let dcount = 0;
  let cl = 0;
  let s = "";
  for (;;) {
    if (end === linelen || dcount > lists[cl]!.end) {
      if (++cl >= n) break;
      if (c.nosort) start = dcount = uu = 0;
      end = 0;
    }
    if (uu === linelen) {
      if (cl === 0 && dcount === 0 && !shoe) {
        if (c.suppress) return null;
      } else if (dcount < lists[cl]!.start) start = linelen;
      end = linelen;
    } else {
      if (shoe) {
        const m = c.re!.exec(line, uu);
        if (m === null) {
          uu = linelen;
          continue;
        }
        end = m.start;
        uu = m.end > m.start ? m.end : Math.min(linelen, m.end + 1); // an empty match would never advance
      } else if (line[(end = uu++)] !== c.delim[0]) continue;
      if (dcount++ < lists[cl]!.start) {
        start = uu;
        continue;
      }
    }
    if (end !== start || !shoe) s += (out++ > 0 ? c.odelim : "") + line.slice(start, end);
    start = uu;
    if (dcount === 0) break;
  }
  return `${s}\n`;
}

/** LIST: N, N-M, N-, -M, comma separated; 0-based ranges, or busybox's complaint. */
function parse_list(spec: string): Range[] | string {
  const lists: Range[] = [];
  for (const tok of spec.split(",")) {
    if (tok === "") continue;
    const dash = tok.indexOf("-");
    const a = dash < 0 ? tok : tok.slice(0, dash);
    let s = 0;
    if (a !== "") {
      const v = xatoi_positive(a);
      if (typeof v === "string") return v;
      s = v === 0 ? 0 : v - 1;
    }
    let e: number;
    if (dash < 0) e = s;
    else if (tok.slice(dash + 1) === "") e = INT_MAX;
    else {
      const v = xatoi_positive(tok.slice(dash + 1));
      if (typeof v === "string") return v;
      if (v < s) return `${v}<${s}`;
      e = v - 1;
    }
    lists.push({ start: s, end: e });
  }
  if (lists.length === 0) return "missing list of positions";
  return lists;
}

export async function cut(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt_ordered(argv, "b:c:f:d:O:sDF:n");
  if (typeof o === "string") return show_usage(sys, "cut", USAGE, o);
  const kinds = o.list.filter(([k]) => "bcfF".includes(k)).map(([k]) => k);
  if (new Set(kinds).size > 1) return show_usage(sys, "cut", USAGE, null);
  const kind = kinds[0];
  const regex = kind === "F";
  let delim = utf8_to_bstr(o.value("d") ?? "");
  if (delim === "") delim = regex ? "[[:space:]]+" : "\t";
  const odelim = o.value("O") !== undefined ? utf8_to_bstr(o.value("O")!) : regex ? " " : delim;
  if (kind === undefined) return fail(sys, "cut", "expected a list of bytes, characters, or fields");
  if (kind === "b" || kind === "c") {
    if (o.has("s")) return fail(sys, "cut", "suppressing non-delimited lines makes sense only when operating on fields");
    if (o.has("d")) return fail(sys, "cut", "a delimiter may be specified only when operating on fields");
  }
  const lists = parse_list(o.value(kind)!);
  if (typeof lists === "string") return fail(sys, "cut", lists);
  if (!o.has("D")) lists.sort((a, b) => a.start - b.start);
  let re: PosixRegex | null = null;
  if (regex) {
    const r = PosixRegex.compile(delim, { extended: true });
    if (typeof r === "string") return fail(sys, "cut", `bad regex '${o.value("d") ?? delim}': ${r}`);
    re = r;
  }
  const c: Cut = { bytes: kind === "b" || kind === "c", delim, odelim, re, lists, suppress: o.has("s"), nosort: o.has("D"), linenum: 0 };
  const out = new BufWriter(sys);
  let status = 0;
  for (const file of o.args.length > 0 ? o.args : ["-"]) {
    const fd = fopen_or_warn_stdin(sys, "cut", file);
    if (fd < 0) {
      status = 1;
      continue;
    }
    const r = reader_for(sys, fd, out);
    c.linenum = 0;
    for (let l = await r.read_line(); l !== null && !out.failed; l = await r.read_line()) {
      const s = cut_line(c, l.endsWith("\n") ? l.slice(0, -1) : l);
      if (s !== null) await out.write(s);
    }
    close_input(sys, fd);
    if (out.failed) break;
  }
  return (await out.finish("cut")) || status;
}

export const cut_command: Command = {
  name: "cut",
  summary: "print selected parts of lines",
  usage: USAGE,
  main: cut,
};
