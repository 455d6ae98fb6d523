/**
 * The shell's state: variables (and which are exported), positional parameters, $?, $!, options,
 * the job table, and the ways a command can end a construct early (break, continue, exit, ^C),
 * which unwind as ShellUnwind through the executor's try/finally blocks.
 */
import type { Syscalls } from "../../include/uapi/syscalls.ts";

export interface Var {
  value: string;
  exported: boolean;
}

/** A background job: its processes (a pipeline has several) and the text it was started with. */
export interface Job {
  readonly n: number;
  readonly pids: readonly number[];
  /** Exit status of each pid once reaped, null while it runs. */
  readonly statuses: (number | null)[];
  readonly cmd: string;
}

/**
 * Environment variable by which a shell hands what a subshell inherits to a child shell that runs
 * a pipeline stage or a background list (a builtin or compound command: there is no fork, so it
 * runs in a new `sh -c`). The child gets every variable in its envp, and this one says
 * "PID STATUS NAME…": the parent's $$ and $? (a subshell keeps both) and the names of the
 * variables that were not exported. The child takes it out of its variables at startup; its own
 * children never see it.
 */
export const SUBSHELL_STATE = "RZ_SH_SUBSHELL";

/** How a construct ends early. Caught by loops (break/continue), by the top level (exit, interrupt). */
export class ShellUnwind {
  readonly kind: "break" | "continue" | "exit" | "interrupt";
  /** Loop levels for break/continue; the status for exit. */
  readonly n: number;
  /** An interrupt whose "^C" line the shell ended already (for a job that died of it). */
  readonly line_ended: boolean;
  constructor(kind: "break" | "continue" | "exit" | "interrupt", n: number, line_ended = false) {
    this.kind = kind;
    this.n = n;
    this.line_ended = line_ended;
  }
}

/** An expansion that fails (${x?}, a bad substitution): the command does not run, status 1 (2 for syntax). */
export class ExpandError {
  readonly msg: string;
  /** POSIX: a non-interactive shell exits on it. */
  readonly fatal: boolean;
  constructor(msg: string, fatal: boolean) {
    this.msg = msg;
    this.fatal = fatal;
  }
}

export class ShellState {
  readonly sys: Syscalls;
  readonly vars = new Map<string, Var>();
  /** $0 */
  arg0 = "sh";
  /** $1 … */
  params: string[] = [];
  /** $? */
  status = 0;
  /** $! (0: none yet) */
  last_bg = 0;
  /** $$: the shell's pid (a subshell keeps its parent's). */
  pid = 0;
  interactive = false;
  /** set -e, set -x */
  errexit = false;
  xtrace = false;
  readonly jobs: Job[] = [];
  /** Nesting of `.`/source/eval (bounded: a file that sources itself must not exhaust the stack). */
  source_depth = 0;
  /** Enclosing loops (break/continue outside one are errors). */
  loop_depth = 0;
  /** Inside an if/while condition or a && || chain: set -e does not apply there. */
  errexit_off = 0;

  /**
   * Run shell source in this shell, line by line as a script runs (`.` and `eval` use it); `name`
   * is the file for error messages. Set by exec.ts, so builtins need not import the executor.
   */
  run_text: (src: string, name: string | null) => Promise<number> = () => Promise.resolve(2);

  constructor(sys: Syscalls) {
    this.sys = sys;
    this.pid = sys.getpid();
  }

  get(name: string): string | undefined {
    return this.vars.get(name)?.value;
  }

  set(name: string, value: string): void {
    const v = this.vars.get(name);
    if (v !== undefined) v.value = value;
    else this.vars.set(name, { value, exported: false });
  }

  export(name: string, value?: string): void {
    const v = this.vars.get(name);
    if (v !== undefined) {
      v.exported = true;
      if (value !== undefined) v.value = value;
    } else if (value !== undefined) this.vars.set(name, { value, exported: true });
    else this.vars.set(name, { value: "", exported: true });
  }

  unset(name: string): void {
    this.vars.delete(name);
  }

  /** The environment a child gets: the exported variables, plus `extra` (NAME=value prefixes of one command). */
  envp(extra: readonly [string, string][] = []): string[] {
    const env = new Map<string, string>();
    for (const [k, v] of this.vars) if (v.exported) env.set(k, v.value);
    for (const [k, v] of extra) env.set(k, v);
    return [...env].map(([k, v]) => `${k}=${v}`);
  }

  /** $- : the options in effect. */
  flags(): string {
    return (this.errexit ? "e" : "") + (this.interactive ? "i" : "") + (this.xtrace ? "x" : "");
  }

  /** Write text to a descriptor, waiting for it (a pipe or a slow console pushes back). */
  async out(fd: number, text: string): Promise<number> {
    return this.sys.write(fd, text);
  }

  /** "sh: message" on standard error. */
  async err(message: string): Promise<void> {
    await this.sys.write(2, `sh: ${message}\n`);
  }
}
