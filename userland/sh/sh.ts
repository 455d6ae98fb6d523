/**
 * sh: the shell's entry point (/bin/sh).
 *
 *   sh                 interactive when standard input is a terminal: prompt PS1 (default
 *                      '\h:\w\$ ', busybox's: "ringzero:/tmp# "), line editing, history and Tab
 *                      completion (readline), PS2 "> " while a command is incomplete
 *   sh -c CMDS [ARG0 [ARGS]]   run CMDS
 *   sh FILE [ARGS]     run a script ($0 is FILE, $1… the ARGS)
 *   sh [-s] / sh -     read commands from standard input without prompts
 *
 * Options -e (exit on failure) and -x (trace) may come first. Variables start as the environment
 * (all exported). The grammar is in parse.ts, expansion in expand.ts, running in exec.ts.
 */
import { EACCES, EINTR, EISDIR, strerror } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { readline } from "../lib/readline.ts";
import { SH_USAGE } from "./builtins.ts";
import { complete } from "./complete.ts";
import { Executor } from "./exec.ts";
import { report_jobs } from "./jobs.ts";
import { parse } from "./parse.ts";
import { ShellState, ShellUnwind, SUBSHELL_STATE } from "./state.ts";

/** The prompt in / (the default PS1 expanded there). */
export const PROMPT = "ringzero:/# ";
const DEFAULT_PS1 = "\\h:\\w\\$ ";
const DEFAULT_PS2 = "> ";
/** Lines kept for Up/Down (bash's HISTSIZE default). */
const HISTSIZE = 500;

/** Expand PS1's backslash escapes (bash's decode_prompt_string, the common ones). */
export function expand_prompt(sh: ShellState, ps: string): string {
  const cwd = sh.sys.getcwd();
  const dir = typeof cwd === "string" ? cwd : (sh.get("PWD") ?? "?");
  const home = sh.get("HOME");
  const w = home !== undefined && home !== "/" && (dir === home || dir.startsWith(`${home}/`)) ? `~${dir.slice(home.length)}` : dir;
  const node = sh.sys.uname().nodename;
  return ps.replace(/\\(.)/g, (_, c: string) => {
    switch (c) {
      case "h":
        return node.split(".")[0]!;
      case "H":
        return node;
      case "w":
        return w;
      case "W":
        return w === "/" ? "/" : w.slice(w.lastIndexOf("/") + 1);
      case "u":
        return sh.get("USER") ?? "root";
      case "$":
        return "#"; // uid 0
      case "s":
        return "sh";
      case "n":
        return "\n";
      case "\\":
        return "\\";
      default:
        return `\\${c}`;
    }
  });
}

/** Variables from the environment: exported, except those a parent shell marked as its unexported ones. */
function import_environ(sh: ShellState): void {
  for (const e of sh.sys.environ()) {
    const eq = e.indexOf("=");
    if (eq > 0) sh.vars.set(e.slice(0, eq), { value: e.slice(eq + 1), exported: true });
  }
  const sub = sh.get(SUBSHELL_STATE);
  if (sub !== undefined) {
    sh.unset(SUBSHELL_STATE);
    const [pid, status, ...locals] = sub.split(" ");
    if (/^[0-9]+$/.test(pid ?? "")) sh.pid = Number(pid);
    if (/^[0-9]+$/.test(status ?? "")) sh.status = Number(status);
    for (const n of locals) {
      const v = sh.vars.get(n);
      if (v !== undefined) v.exported = false;
    }
  }
  const cwd = sh.sys.getcwd();
  if (typeof cwd === "string") sh.set("PWD", cwd);
}

/**
 * Run `list` source at the top level: the status, with exit and ^C handled. Returns the exit
 * status when the shell is to exit (exit builtin, set -e, or ^C in a non-interactive shell).
 */
async function run_top(sh: ShellState, f: () => Promise<number>): Promise<number | null> {
  try {
    sh.status = await f();
    return null;
  } catch (e) {
    if (!(e instanceof ShellUnwind)) throw e;
    if (e.kind === "exit") return e.n;
    if (e.kind === "interrupt") {
      sh.status = e.n;
      if (!sh.interactive) return e.n;
      // ^C stopped the shell itself (a loop, wait, read): end the "^C" line the tty echoed.
      if (!e.line_ended) await sh.out(1, "\n");
      return null;
    }
    return null; // break/continue outside a loop: nothing more to do
  }
}

/** Commands from a source of lines (the terminal or standard input), each run once it is complete. */
async function run_lines(sh: ShellState, ex: Executor, next_line: (continuation: boolean) => Promise<string | null | number>): Promise<number> {
  const sys = sh.sys;
  let buf = "";
  for (;;) {
    if (sh.interactive && buf === "") {
      await report_jobs(sh);
      sys.tcsetpgrp(sys.getpgid(0)); // the terminal is the shell's while it reads (exec.ts gives it to jobs)
    }
    // A ^C from while the last command ran was for it, not for the line about to be read.
    sys.sigpending();
    let line = await next_line(buf !== "");
    // A ^C that came while the line was being read (the terminal had more to read, so the read did
    // not fail with EINTR) cancels it, as it cancels a line at the prompt: the line and the
    // unfinished command of the lines before it (PS2) are dropped, and it is not for what runs next.
    if ((sys.sigpending() & (1 << SIGINT)) !== 0 && typeof line === "string") line = -EINTR;
    if (line === null) {
      if (buf !== "") {
        await sh.err("syntax error: unexpected end of file");
        sh.status = 2;
      }
      if (sh.interactive) await sh.out(1, "exit\n");
      return sh.status;
    }
    if (typeof line === "number") {
      if (line !== -EINTR) return sh.status; // the input is gone
      if (!sh.interactive) return 128 + SIGINT; // ^C ends a shell reading commands from a pipe or file
      buf = ""; // ^C: drop the half-typed command, prompt afresh
      sh.status = 128 + SIGINT;
      continue;
    }
    buf += `${line}\n`;
    const r = parse(buf);
    if ("incomplete" in r) continue;
    buf = "";
    if ("error" in r) {
      await sh.err(r.error);
      sh.status = 2;
      if (!sh.interactive) return 2;
      continue;
    }
    const code = await run_top(sh, () => ex.run_list(r.list));
    if (code !== null) return code;
  }
}

export async function sh(argv: readonly string[], sys: Syscalls): Promise<number> {
  const shell = new ShellState(sys);
  const ex = new Executor(shell);
  import_environ(shell);
  sys.sigaction(SIGINT, "catch");
  let i = 1;
  let command: string | null = null;
  let from_stdin = false;
  let force_interactive = false;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help") {
      await sys.write(1, SH_USAGE);
      return 0;
    }
    if (a === "-" || a === "--") {
      i++;
      from_stdin = a === "-";
      break;
    }
    if (!/^[-+][cesix]+$/.test(a)) break;
    for (const c of a.slice(1)) {
      if (c === "c") command = "";
      else if (c === "e") shell.errexit = a[0] === "-";
      else if (c === "x") shell.xtrace = a[0] === "-";
      else if (c === "s") from_stdin = true;
      else force_interactive = true;
    }
  }
  if (command !== null) {
    const cmds = argv[i];
    if (cmds === undefined) {
      await shell.err("-c: option requires an argument");
      return 2;
    }
    shell.arg0 = argv[i + 1] ?? "sh";
    shell.params = argv.slice(i + 2);
    const code = await run_top(shell, () => ex.run_text(cmds, "-c"));
    return code ?? shell.status;
  }
  if (!from_stdin && i < argv.length) {
    const file = argv[i]!;
    shell.arg0 = file;
    shell.params = argv.slice(i + 1);
    const data = sys.read_file(file);
    if (typeof data === "number") {
      await shell.err(`${file}: ${strerror(data)}`);
      return data === -EISDIR || data === -EACCES ? 126 : 127;
    }
    const code = await run_top(shell, () => ex.run_text(new TextDecoder().decode(data), file));
    return code ?? shell.status;
  }
  shell.params = argv.slice(i);
  shell.interactive = force_interactive || sys.isatty(0) === 1;
  if (!shell.interactive) {
    return run_lines(shell, ex, async () => {
      const l = await sys.read_line();
      return typeof l === "string" && l.endsWith("\n") ? l.slice(0, -1) : l;
    });
  }
  // Job control (exec.ts): the shell leads a process group of its own, which takes the terminal
  // at each prompt (bash's initialize_job_control; a login shell from init leads one already).
  if (sys.getpgid(0) !== sys.getpid()) sys.setpgid(0, 0);
  const history: string[] = [];
  return run_lines(shell, ex, async (continuation) => {
    const ps = continuation ? (shell.get("PS2") ?? DEFAULT_PS2) : expand_prompt(shell, shell.get("PS1") ?? DEFAULT_PS1);
    const line = await readline(sys, ps, { history, complete: (l, c) => complete(shell, l, c) });
    if (typeof line === "string" && line.trim() !== "" && history[history.length - 1] !== line) {
      history.push(line);
      if (history.length > HISTSIZE) history.shift();
    }
    return line;
  });
}
