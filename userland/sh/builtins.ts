/**
 * The shell's builtins: commands that must change the shell itself (cd, export, set, exit, read,
 * shift, ., eval, break, continue), that know its jobs (jobs, wait, kill), or that are too small
 * to spawn (true, false, :, pwd, help). Everything else, echo included, is a program in /bin. Each
 * builtin runs in the shell's process with its redirections applied and undone around it (exec.ts).
 */
import { EINTR, strerror } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import { COMMANDS } from "../commands.ts";
import { jobs_builtin, kill_builtin, wait_builtin } from "./jobs.ts";
import { is_name_char, is_name_start, shell_quote } from "./lex.ts";
import { ShellUnwind, type ShellState } from "./state.ts";

export interface Builtin {
  /** One line for `help`'s list. */
  readonly summary: string;
  /** What `help NAME` prints ("Usage: …"); completion takes the options from it. */
  readonly usage: string;
  readonly run: (sh: ShellState, args: readonly string[]) => Promise<number>;
}

/** The shell's own usage (help sh, sh --help). */
export const SH_USAGE = `Usage: sh [-ex] [-c 'SCRIPT' [ARG0 [ARGS]] | FILE [ARGS] | -s [ARGS]]

A POSIX-style shell: pipelines, redirections (< > >> 2> 2>&1), variables and export, quoting,
globbing, if/for/while/until, { }, && ||, & and job control (jobs, wait, kill, ^C).

	-c SCRIPT	Run SCRIPT, then exit
	-e		Exit when a command fails
	-x		Print commands as they run
	-s		Read commands from standard input
`;

function valid_name(s: string): boolean {
  return is_name_start(s[0]) && [...s].every(is_name_char);
}

/** A whole number argument (exit, shift, break), or null. */
function number_arg(s: string | undefined, dflt: number): number | null {
  if (s === undefined) return dflt;
  return /^[0-9]+$/.test(s) ? Number(s) : null;
}

async function cd(sh: ShellState, args: readonly string[]): Promise<number> {
  const a = args[0] === "--" ? args.slice(1) : args;
  let dir = a[0];
  let print = false;
  if (dir === undefined) {
    dir = sh.get("HOME");
    if (dir === undefined) {
      await sh.err("cd: HOME not set");
      return 1;
    }
  } else if (dir === "-") {
    dir = sh.get("OLDPWD");
    if (dir === undefined) {
      await sh.err("cd: OLDPWD not set");
      return 1;
    }
    print = true;
  }
  const r = sh.sys.chdir(dir);
  if (r < 0) {
    await sh.err(`cd: ${dir}: ${strerror(r)}`);
    return 1;
  }
  const old = sh.get("PWD");
  const now = sh.sys.getcwd();
  if (old !== undefined) sh.set("OLDPWD", old);
  if (typeof now === "string") sh.set("PWD", now);
  if (print && typeof now === "string") await sh.out(1, `${now}\n`);
  return 0;
}

async function pwd(sh: ShellState): Promise<number> {
  const cwd = sh.sys.getcwd();
  if (typeof cwd === "number") {
    await sh.err(`pwd: ${strerror(cwd)}`);
    return 1;
  }
  await sh.out(1, `${cwd}\n`);
  return 0;
}

async function export_builtin(sh: ShellState, args: readonly string[]): Promise<number> {
  const names = args.filter((a) => a !== "-p");
  if (names.length === 0) {
    let out = "";
    for (const [k, v] of [...sh.vars].sort(([a], [b]) => (a < b ? -1 : 1))) if (v.exported) out += `export ${k}=${shell_quote(v.value)}\n`;
    await sh.out(1, out);
    return 0;
  }
  let status = 0;
  for (const a of names) {
    const eq = a.indexOf("=");
    const name = eq < 0 ? a : a.slice(0, eq);
    if (!valid_name(name)) {
      await sh.err(`export: \`${a}': not a valid identifier`);
      status = 1;
      continue;
    }
    sh.export(name, eq < 0 ? undefined : a.slice(eq + 1));
  }
  return status;
}

async function unset(sh: ShellState, args: readonly string[]): Promise<number> {
  let status = 0;
  for (const a of args) {
    if (a === "-v") continue;
    if (!valid_name(a)) {
      await sh.err(`unset: \`${a}': not a valid identifier`);
      status = 1;
      continue;
    }
    sh.unset(a);
  }
  return status;
}

async function set(sh: ShellState, args: readonly string[]): Promise<number> {
  if (args.length === 0) {
    let out = "";
    for (const [k, v] of [...sh.vars].sort(([a], [b]) => (a < b ? -1 : 1))) out += `${k}=${shell_quote(v.value)}\n`;
    await sh.out(1, out);
    return 0;
  }
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      i++;
      sh.params = args.slice(i);
      return 0;
    }
    if (!/^[-+][ex]+$/.test(a)) break;
    for (const c of a.slice(1)) {
      if (c === "e") sh.errexit = a[0] === "-";
      else sh.xtrace = a[0] === "-";
    }
  }
  if (i < args.length) {
    if (/^[-+]/.test(args[i]!)) {
      await sh.err(`set: ${args[i]}: invalid option`);
      return 2;
    }
    sh.params = args.slice(i);
  }
  return 0;
}

async function exit(sh: ShellState, args: readonly string[]): Promise<number> {
  const code = number_arg(args[0], sh.status);
  if (code === null || code > 255) {
    await sh.err(`exit: ${args[0]}: numeric argument required`);
    return 2;
  }
  throw new ShellUnwind("exit", code);
}

/** read [-r] [-p PROMPT] [NAME…]: one line from standard input, split on $IFS over the names (REPLY by default). */
async function read(sh: ShellState, args: readonly string[]): Promise<number> {
  let raw = false;
  let prompt = "";
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-r") raw = true;
    else if (a === "-p") prompt = args[++i] ?? "";
    else if (!valid_name(a)) {
      await sh.err(`read: \`${a}': not a valid identifier`);
      return 2;
    } else names.push(a);
  }
  if (names.length === 0) names.push("REPLY");
  if (prompt !== "") await sh.out(2, prompt);
  // One byte at a time, as sh does: what follows the line stays for the next reader of the descriptor.
  const buf = new Uint8Array(1);
  const bytes: number[] = [];
  let eof = false;
  for (;;) {
    const n = await sh.sys.read(0, buf);
    // ^C: the read fails with EINTR, or (more input was there already) the signal is pending.
    if (n === -EINTR || (sh.sys.sigpending() & (1 << SIGINT)) !== 0) throw new ShellUnwind("interrupt", 128 + SIGINT);
    if (n < 0) {
      await sh.err(`read: read error: ${strerror(n)}`);
      return 1;
    }
    if (n === 0) {
      eof = true;
      break;
    }
    if (buf[0] === 0x0a) {
      if (!raw && bytes[bytes.length - 1] === 0x5c) {
        bytes.pop(); // backslash-newline: the line goes on
        continue;
      }
      break;
    }
    bytes.push(buf[0]!);
  }
  // Backslash removal (unless -r): an escaped character is never a separator.
  const text = new TextDecoder().decode(new Uint8Array(bytes));
  const chars: { c: string; esc: boolean }[] = [];
  for (let k = 0; k < text.length; k++) {
    if (!raw && text[k] === "\\" && k + 1 < text.length) chars.push({ c: text[++k]!, esc: true });
    else chars.push({ c: text[k]!, esc: false });
  }
  // Split on $IFS: each name but the last takes one field, the last takes the rest of the line.
  const ifs = sh.get("IFS") ?? " \t\n";
  const sep = (k: number): boolean => k < chars.length && !chars[k]!.esc && ifs.includes(chars[k]!.c);
  const white = (k: number): boolean => sep(k) && " \t\n".includes(chars[k]!.c);
  const fields: string[] = [];
  let k = 0;
  while (white(k)) k++;
  for (let f = 0; f < names.length - 1 && k < chars.length; f++) {
    let cur = "";
    while (k < chars.length && !sep(k)) cur += chars[k++]!.c;
    fields.push(cur);
    while (white(k)) k++;
    if (sep(k)) {
      k++;
      while (white(k)) k++;
    }
  }
  let end = chars.length;
  while (end > k && white(end - 1)) end--;
  fields.push(chars.slice(k, end).map((x) => x.c).join(""));
  names.forEach((n, k) => sh.set(n, fields[k] ?? ""));
  return eof ? 1 : 0;
}

async function shift(sh: ShellState, args: readonly string[]): Promise<number> {
  const n = number_arg(args[0], 1);
  if (n === null) {
    await sh.err(`shift: ${args[0]}: numeric argument required`);
    return 2;
  }
  if (n > sh.params.length) return 1;
  sh.params = sh.params.slice(n);
  return 0;
}

/** . FILE [ARGS]: run FILE's commands in this shell (with ARGS as $1… while it runs). */
async function source(sh: ShellState, args: readonly string[]): Promise<number> {
  const file = args[0];
  if (file === undefined) {
    await sh.err(".: filename argument required");
    return 2;
  }
  const data = sh.sys.read_file(file);
  if (typeof data === "number") {
    await sh.err(`${file}: ${strerror(data)}`);
    return 1;
  }
  if (sh.source_depth >= 64) {
    await sh.err(`${file}: maximum source nesting level exceeded`);
    return 2;
  }
  const saved = sh.params;
  if (args.length > 1) sh.params = args.slice(1);
  sh.source_depth++;
  try {
    return await sh.run_text(new TextDecoder().decode(data), file);
  } finally {
    sh.source_depth--;
    if (args.length > 1) sh.params = saved;
  }
}

async function eval_builtin(sh: ShellState, args: readonly string[]): Promise<number> {
  if (sh.source_depth >= 64) {
    await sh.err("eval: maximum nesting level exceeded");
    return 2;
  }
  sh.source_depth++;
  try {
    return await sh.run_text(args.join(" "), "eval");
  } finally {
    sh.source_depth--;
  }
}

function loop_control(kind: "break" | "continue"): (sh: ShellState, args: readonly string[]) => Promise<number> {
  return async (sh, args) => {
    const n = number_arg(args[0], 1);
    if (n === null || n === 0) {
      await sh.err(`${kind}: ${args[0]}: loop count out of range`);
      return 1;
    }
    if (sh.loop_depth === 0) return 0; // bash: meaningful only in a loop, and harmless outside
    throw new ShellUnwind(kind, Math.min(n, sh.loop_depth));
  };
}

async function help(sh: ShellState, args: readonly string[]): Promise<number> {
  if (args.length > 0) {
    let status = 0;
    for (const name of args) {
      const text = BUILTINS.get(name)?.usage ?? COMMANDS.find((c) => c.name === name)?.usage ?? (name === "sh" ? SH_USAGE : null);
      if (text === null) {
        await sh.err(`help: no help topics match \`${name}'.  Try \`help' to see the commands.`);
        status = 1;
      } else await sh.out(1, text);
    }
    return status;
  }
  const bins = sh.sys.readdir("/bin");
  const names = typeof bins === "number" ? [] : bins;
  let out = "ringzero shell. Builtins:\n";
  for (const [n, b] of BUILTINS) out += `  ${n.padEnd(10)} ${b.summary}\n`;
  out += "Commands in /bin:\n";
  for (const n of names) out += `  ${n.padEnd(10)} ${COMMANDS.find((c) => c.name === n)?.summary ?? (n === "sh" ? "the shell (sh -c 'cmds', sh FILE)" : n === "init" ? "pid 1" : "")}\n`;
  out += "Pipe with |, redirect with < > >> 2> 2>&1, chain with ; && ||, end with & to run in the background.\n";
  out += "Tab completes names, paths and options; Ctrl-C stops the running command. `help NAME` shows its usage.\n";
  await sh.out(1, out);
  return 0;
}

const ok = (status: number) => (): Promise<number> => Promise.resolve(status);

/** The builtins, in the order `help` lists them. */
export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ["cd", { summary: "change directory: cd [-|DIR]", usage: "Usage: cd [-|DIR]\n\nChange the working directory to DIR (default $HOME; - is $OLDPWD).\n", run: cd }],
  ["pwd", { summary: "print the working directory", usage: "Usage: pwd\n\nPrint the working directory.\n", run: pwd }],
  ["export", { summary: "export variables to commands: export [NAME[=VALUE]]...", usage: "Usage: export [-p] [NAME[=VALUE]]...\n\nMark NAMEs for the environment of commands run from now on; with none, list them.\n", run: export_builtin }],
  ["unset", { summary: "remove variables: unset NAME...", usage: "Usage: unset [-v] NAME...\n\nRemove the variables NAME.\n", run: unset }],
  ["set", { summary: "list variables, set options (-e -x) or $1...", usage: "Usage: set [-ex] [+ex] [--] [ARG]...\n\nWith no arguments, list the variables. -e: exit when a command fails; -x: print commands as they run. ARGs become $1 $2 ...\n", run: set }],
  ["read", { summary: "read a line into variables: read [-r] NAME...", usage: "Usage: read [-r] [-p PROMPT] [NAME]...\n\nRead a line from standard input and split it into the NAMEs (default REPLY).\n\n\t-r\tBackslashes are not escapes\n\t-p\tPrint PROMPT on standard error first\n", run: read }],
  ["shift", { summary: "shift the positional parameters: shift [N]", usage: "Usage: shift [N]\n\nDrop $1 .. $N and renumber the rest.\n", run: shift }],
  [".", { summary: "run a file in this shell: . FILE [ARGS]", usage: "Usage: . FILE [ARGS]\n\nRun the commands in FILE in the current shell.\n", run: source }],
  ["source", { summary: "same as .", usage: "Usage: source FILE [ARGS]\n\nRun the commands in FILE in the current shell.\n", run: source }],
  ["eval", { summary: "run arguments as a command: eval ARG...", usage: "Usage: eval [ARG]...\n\nJoin the ARGs with spaces and run the result as shell commands.\n", run: eval_builtin }],
  ["break", { summary: "leave a loop: break [N]", usage: "Usage: break [N]\n\nLeave the innermost N loops.\n", run: loop_control("break") }],
  ["continue", { summary: "next loop iteration: continue [N]", usage: "Usage: continue [N]\n\nGo on with the next iteration of the Nth enclosing loop.\n", run: loop_control("continue") }],
  ["exit", { summary: "leave the shell (and, for the login shell, power off)", usage: "Usage: exit [N]\n\nLeave the shell with status N (default: that of the last command).\n", run: exit }],
  ["true", { summary: "do nothing, successfully", usage: "Usage: true\n\nReturn status 0.\n", run: ok(0) }],
  ["false", { summary: "do nothing, unsuccessfully", usage: "Usage: false\n\nReturn status 1.\n", run: ok(1) }],
  [":", { summary: "do nothing, successfully", usage: "Usage: : [ARG]...\n\nReturn status 0.\n", run: ok(0) }],
  ["jobs", { summary: "list background jobs", usage: "Usage: jobs\n\nList the background jobs.\n", run: (sh) => jobs_builtin(sh) }],
  ["wait", { summary: "wait for background jobs: wait [PID|%N]", usage: "Usage: wait [PID|%N]...\n\nWait for the jobs named (default: all) and return the last one's status.\n", run: wait_builtin }],
  ["kill", { summary: "send a signal: kill [-SIG] PID|%N", usage: "Usage: kill [-s SIG | -SIG] PID|%N... or kill -l\n\nSend a signal (default TERM) to processes or jobs.\n\n\t-l\tList the signal names\n\t-s SIG\tSend SIG\n", run: kill_builtin }],
  ["help", { summary: "list commands; help NAME shows its usage", usage: "Usage: help [NAME]...\n\nList the builtins and commands, or show NAME's usage.\n", run: help }],
]);
