/**
 * Running what parse.ts built (bash's execute_cmd.c / ash's evaltree, reduced, without fork):
 *
 * - A builtin, an assignment, or a compound command (if/for/while/{ }) in the foreground runs in
 *   the shell's own process, its redirections applied to the shell's descriptors and undone
 *   afterwards (redir.ts).
 * - Any other simple command is a child: spawn(argv, { file_actions, envp }), its redirections
 *   made file actions (redir.ts).
 * - A pipeline is one process per stage, joined by pipe2(O_CLOEXEC) pipes; the shell closes its
 *   copies of each end once the stages using it are started, waits for every stage, and its status
 *   is the last stage's. A stage that is a builtin or compound command becomes `sh -c` with the
 *   stage's text (there is no fork): it gets the shell's variables and positional parameters.
 * - `&` runs the and-or list as a background job (jobs.ts) without waiting.
 *
 * ^C: the console's tty sends SIGINT to every process of its foreground process group (n_tty's
 * isig → kill_pgrp); the shell relays nothing.
 * - An interactive shell does job control, as bash does: each job (a pipeline, a single program, a
 *   background list) gets a process group of its own, led by its first process; a foreground job
 *   gets the terminal (tcsetpgrp(job's group)) as soon as its group exists, and the shell takes the
 *   terminal back once every process of the job has ended. ^C then reaches the job only; if a
 *   process of the job died of it, the shell drops the rest of the command line (bash's
 *   ADDINTERRUPT for a foreground job killed by SIGINT) and ends the "^C" line the tty echoed.
 * - A non-interactive shell (sh -c, a script) does no job control, as bash -c: its foreground
 *   commands stay in the shell's own process group, so ^C reaches the shell and them at once, once
 *   each. The shell (catching SIGINT) waits for the command: if the command died of SIGINT the
 *   shell stops and exits with 130; if it handled it (ping printing its summary, iperf3 its report)
 *   the shell goes on, as bash's wait-and-cooperative-exit does. Background jobs, which POSIX says
 *   run with SIGINT ignored when job control is off, are put in a process group of their own
 *   instead (spawn cannot set a disposition for the child alone, there being no fork): ^C does not
 *   reach them either way.
 */
import { EINTR, ENOENT, EPERM, strerror } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import { O_CLOEXEC } from "../../include/uapi/fcntl.ts";
import { S_ISDIR } from "../../include/uapi/stat.ts";
import type { SpawnFileAction } from "../../include/uapi/syscalls.ts";
import { BUILTINS } from "./builtins.ts";
import { expand_string, expand_words } from "./expand.ts";
import { add_job } from "./jobs.ts";
import { shell_quote } from "./lex.ts";
import { parse, type AndOr, type Command, type List, type Pipeline, type Redir, type SimpleCommand } from "./parse.ts";
import { prepare_redirs, with_redirs } from "./redir.ts";
import { ExpandError, ShellUnwind, SUBSHELL_STATE, type ShellState } from "./state.ts";

const SIGINT_BIT = 1 << SIGINT;
/**
 * What one loop iteration sleeps to give up the processor: short, but long enough that the timer
 * interrupts of a busy loop stay far below an interrupt storm (100,000 a second).
 */
const LOOP_YIELD_NS = 10_000;
/** How a command is to be started as a process. */
interface Launch {
  readonly argv: string[];
  readonly envp: string[];
  readonly actions: SpawnFileAction[];
  /** Descriptors the shell opened for it (closed once it is started). */
  readonly opened: number[];
}

/** A started stage (its pid), or one that ended before it could start (its status; the message is out). */
type Stage = { readonly pid: number } | { readonly status: number };

/**
 * The process group a job's processes go in when they get one of their own (job control, or a
 * background job): `pgid` is 0 until the first process is started (it leads the group). A
 * foreground job's group is given the terminal once it exists.
 */
interface JobGroup {
  pgid: number;
  readonly foreground: boolean;
}

/** The environment and argv of a child shell that runs `src` as a pipeline stage or a background job. */
function subshell(sh: ShellState, src: string): Launch {
  const locals = [...sh.vars].filter(([, v]) => !v.exported).map(([k]) => k);
  const envp = [...sh.vars].map(([k, v]) => `${k}=${v.value}`);
  envp.push(`${SUBSHELL_STATE}=${[sh.pid, sh.status, ...locals].join(" ")}`);
  const opts = sh.errexit || sh.xtrace ? [`-${sh.errexit ? "e" : ""}${sh.xtrace ? "x" : ""}`] : [];
  return { argv: ["sh", ...opts, "-c", src, sh.arg0, ...sh.params], envp, actions: [], opened: [] };
}

/**
 * Resolve a command name with a "/" in it: a program in /bin runs by its name; another regular,
 * executable, non-empty file is a script for sh (as a shell does when execve says ENOEXEC).
 * Returns argv to spawn, or [message, status].
 */
function resolve_path(sh: ShellState, argv: readonly string[]): string[] | [string, number] {
  const path = argv[0]!;
  const st = sh.sys.stat(path);
  if (typeof st === "number") return [`${path}: ${strerror(st)}`, 127];
  if (S_ISDIR(st.st_mode)) return [`${path}: Is a directory`, 126];
  if ((st.st_mode & 0o111) === 0) return [`${path}: Permission denied`, 126];
  const slash = path.lastIndexOf("/");
  const dir = slash === 0 ? "/" : path.slice(0, slash);
  const base = path.slice(slash + 1);
  const bin = sh.sys.stat("/bin");
  if (st.st_size === 0 && typeof bin !== "number") {
    const d = sh.sys.stat(dir);
    if (typeof d !== "number" && d.st_ino === bin.st_ino && d.st_dev === bin.st_dev) return [base, ...argv.slice(1)];
  }
  return ["sh", path, ...argv.slice(1)];
}

function xtrace_line(argv: readonly string[], assigns: readonly [string, string][] = []): string {
  const q = (s: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : shell_quote(s));
  return `+ ${[...assigns.map(([k, v]) => `${k}=${q(v)}`), ...argv.map(q)].join(" ")}\n`;
}

export class Executor {
  readonly sh: ShellState;
  constructor(sh: ShellState) {
    this.sh = sh;
    sh.run_text = (src, name) => this.run_text(src, name);
  }

  /**
   * Run a script's text as sh reads a file: a command at a time, each run as soon as it is
   * complete, so a syntax error further down does not stop what came before it.
   */
  async run_text(src: string, name: string | null): Promise<number> {
    const sh = this.sh;
    const lines = src.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    let buf = "";
    let first_line = 0;
    for (let n = 0; n < lines.length; n++) {
      if (buf === "") first_line = n + 1;
      buf += lines[n] + "\n";
      const r = parse(buf);
      if ("incomplete" in r && n < lines.length - 1) continue;
      buf = "";
      if ("list" in r) {
        await this.run_list(r.list);
        continue;
      }
      const msg = "incomplete" in r ? `syntax error: ${r.incomplete}` : r.error;
      await sh.err(name === null ? msg : `${name}: line ${"incomplete" in r ? n + 1 : first_line}: ${msg}`);
      sh.status = 2;
      return 2;
    }
    return sh.status;
  }

  async run_list(list: List): Promise<number> {
    const sh = this.sh;
    for (const item of list.items) {
      if (item.bg) {
        await this.run_background(item);
        sh.status = 0;
      } else sh.status = await this.run_and_or(item);
    }
    return sh.status;
  }

  private async run_and_or(ao: AndOr): Promise<number> {
    const sh = this.sh;
    const all = [{ op: null as "&&" | "||" | null, pipeline: ao.first }, ...ao.rest];
    let status = 0;
    let ran_last = false;
    let bang = false;
    for (let i = 0; i < all.length; i++) {
      const { op, pipeline } = all[i]!;
      if (op === "&&" && status !== 0) continue;
      if (op === "||" && status === 0) continue;
      const last = i === all.length - 1;
      // set -e does not look at a command whose status a && or || tests.
      if (!last) sh.errexit_off++;
      try {
        status = await this.run_pipeline(pipeline);
      } finally {
        if (!last) sh.errexit_off--;
      }
      sh.status = status;
      ran_last = last;
      bang = pipeline.bang;
    }
    if (sh.errexit && sh.errexit_off === 0 && ran_last && !bang && status !== 0) throw new ShellUnwind("exit", status);
    return status;
  }

  private async run_background(ao: AndOr): Promise<void> {
    const sh = this.sh;
    // A pipeline of programs starts as it is; anything else runs in a child shell.
    const direct = ao.rest.length === 0 && !ao.first.bang && ao.first.cmds.every((c) => c.kind === "simple" && !this.is_builtin(c));
    // A group of its own even without job control: ^C (the foreground group's) must not reach it.
    const group: JobGroup = { pgid: 0, foreground: false };
    const stages = direct ? await this.launch_pipeline(ao.first.cmds, group) : [await this.spawn_one(subshell(sh, ao.src), group)];
    if (stages === null) return;
    await add_job(sh, stages.map((s) => ("pid" in s ? s.pid : -1)), ao.src);
  }

  /** A simple command whose name is written as a builtin's (it runs in the shell, or as `sh -c` in a pipeline). */
  private is_builtin(c: Command): boolean {
    if (c.kind !== "simple") return false;
    const w = c.words[0];
    const p = w !== undefined && w.parts.length === 1 ? w.parts[0]! : null;
    // The name as written decides; a builtin's name made by an expansion ("$cmd") is rare enough to spawn.
    return p !== null && p.k === "lit" && BUILTINS.has(p.s);
  }

  private async run_pipeline(p: Pipeline): Promise<number> {
    let status: number;
    if (p.cmds.length === 1) status = await this.run_in_shell(p.cmds[0]!);
    else {
      const group = this.foreground_group();
      const stages = await this.launch_pipeline(p.cmds, group);
      status = stages === null ? 1 : await this.wait_foreground(stages, group);
    }
    return p.bang ? (status === 0 ? 1 : 0) : status;
  }

  /**
   * Start every stage of a pipeline: pipes between them, then each stage's own redirections (in
   * that order, as POSIX says). null if a pipe could not be made (what started is waited for).
   */
  private async launch_pipeline(cmds: readonly Command[], group: JobGroup | null): Promise<Stage[] | null> {
    const sh = this.sh;
    const sys = sh.sys;
    const out: Stage[] = [];
    let prev_read = -1;
    for (let i = 0; i < cmds.length; i++) {
      const c = cmds[i]!;
      let pipe: [number, number] | null = null;
      if (i < cmds.length - 1) {
        const r = sys.pipe2(O_CLOEXEC);
        if (typeof r === "number") {
          await sh.err(`pipe: ${strerror(r)}`);
          if (prev_read >= 0) sys.close(prev_read);
          await this.wait_foreground(out, group);
          return null;
        }
        pipe = r;
      }
      const io: SpawnFileAction[] = [];
      if (prev_read >= 0) io.push({ action: "dup2", fd: prev_read, newfd: 0 });
      if (pipe !== null) io.push({ action: "dup2", fd: pipe[1], newfd: 1 });
      const l = c.kind !== "simple" || this.is_builtin(c) ? subshell(sh, c.src) : await this.prepare_simple(c);
      const st: Stage = typeof l === "number" ? { status: l } : await this.spawn_one({ ...l, actions: [...io, ...l.actions] }, group);
      out.push(st);
      // The shell's copies go as soon as the stages that use them have theirs.
      if (prev_read >= 0) sys.close(prev_read);
      if (pipe !== null) {
        sys.close(pipe[1]);
        prev_read = pipe[0];
      }
    }
    return out;
  }

  /**
   * The group of a foreground job: one of its own with the terminal when the shell does job
   * control (interactive), else none (the shell's group, see the file comment).
   */
  private foreground_group(): JobGroup | null {
    return this.sh.interactive ? { pgid: 0, foreground: true } : null;
  }

  /**
   * Start one process; a stage that failed to start says why (127: no such command). With a
   * `group` the process joins it, or leads it if it has no process yet; a foreground group gets
   * the terminal the moment it is made, before anything is awaited, so a ^C typed from then on is
   * the job's. Without one the process stays in the shell's group.
   */
  private async spawn_one(l: Launch, group: JobGroup | null = null): Promise<Stage> {
    const sh = this.sh;
    const attr = { file_actions: l.actions, envp: l.envp, ...(group !== null ? { pgroup: group.pgid } : {}) };
    let pid = sh.sys.spawn(l.argv, attr);
    let leads = group?.pgid === 0;
    // Every process of the group may be gone already (stages that ended at once): lead a new one then.
    if (pid === -EPERM && group !== null && group.pgid !== 0) {
      pid = sh.sys.spawn(l.argv, { ...attr, pgroup: 0 });
      leads = true;
    }
    if (group !== null && leads && pid >= 0) {
      group.pgid = pid;
      if (group.foreground) sh.sys.tcsetpgrp(pid);
    }
    for (const fd of l.opened) sh.sys.close(fd);
    if (pid >= 0) return { pid };
    const name = l.argv[0] ?? "";
    await sh.err(pid === -ENOENT ? `${name}: command not found` : `${name}: ${strerror(pid)}`);
    return { status: pid === -ENOENT ? 127 : 126 };
  }

  /**
   * A simple command that is a program: expand it, resolve its name, prepare its redirections.
   * A number when it ends before starting (the message is out; that is its status).
   */
  private async prepare_simple(c: SimpleCommand): Promise<Launch | number> {
    const sh = this.sh;
    let argv: string[];
    const env: [string, string][] = [];
    try {
      for (const a of c.assigns) env.push([a.name, expand_string(sh, a.value)]);
      argv = expand_words(sh, c.words);
    } catch (e) {
      if (!(e instanceof ExpandError)) throw e;
      await sh.err(e.msg);
      return 1;
    }
    if (argv.length === 0) {
      // Nothing to run (a stage like `>f` or `$empty`): the redirections still happen.
      const p = await prepare_redirs(sh, c.redirs);
      for (const fd of p?.opened ?? []) sh.sys.close(fd);
      return p === null ? 1 : 0;
    }
    return this.prepare_program(argv, env, c.redirs);
  }

  private async prepare_program(argv: string[], env: [string, string][], redirs: readonly Redir[]): Promise<Launch | number> {
    const sh = this.sh;
    if (sh.xtrace) await sh.out(2, xtrace_line(argv, env));
    if (argv[0]!.includes("/")) {
      const r = resolve_path(sh, argv);
      if (typeof r[1] === "number") {
        await sh.err(r[0]);
        return r[1];
      }
      argv = r as string[];
    }
    const p = await prepare_redirs(sh, redirs);
    if (p === null) return 1;
    return { argv, envp: sh.envp(env), actions: p.actions, opened: p.opened };
  }

  /**
   * Wait for a foreground job's stages and return the last one's status; with a job-control group,
   * the shell takes the terminal back afterwards. If a stage died of SIGINT from the terminal the
   * shell unwinds (see the file comment): under job control that the job died of it is enough (the
   * shell, outside the foreground group, got nothing); without, the shell got the same ^C.
   */
  private async wait_foreground(stages: readonly Stage[], group: JobGroup | null): Promise<number> {
    const sh = this.sh;
    const sys = sh.sys;
    const statuses: (number | null)[] = stages.map((s) => ("status" in s ? s.status : null));
    let got_sigint = false;
    for (let i = 0; i < stages.length; i++) {
      const s = stages[i]!;
      if (!("pid" in s)) continue;
      for (;;) {
        const st = await sys.waitpid(s.pid);
        // A ^C: the stages got it too (they are in the foreground group); nothing to pass on.
        if (st === -EINTR) {
          if ((sys.sigpending() & SIGINT_BIT) !== 0) got_sigint = true;
          continue;
        }
        statuses[i] = st < 0 ? 127 : st;
        break;
      }
    }
    // A SIGINT that came while the shell was not asleep in waitpid is still pending.
    if ((sys.sigpending() & SIGINT_BIT) !== 0) got_sigint = true;
    const job_control = group?.foreground === true;
    if (job_control) sys.tcsetpgrp(sys.getpgid(0));
    const interrupted = job_control || got_sigint;
    const died_of_sigint = statuses.some((s) => s === 128 + SIGINT);
    if (statuses.some((s) => s === 128 + 11)) await sys.write(2, "Segmentation fault\n");
    // The tty echoed "^C" and no newline: an interactive shell ends that line for the job that died
    // of it, as bash does (a job that handled SIGINT prints what it wants).
    else if (sh.interactive && died_of_sigint) await sys.write(1, "\n");
    const status = statuses[statuses.length - 1] ?? 0;
    if (interrupted && died_of_sigint) {
      sh.status = status;
      throw new ShellUnwind("interrupt", status, sh.interactive);
    }
    return status;
  }

  /** A command in the shell's own process: a builtin, assignments, or a compound command. */
  private async run_in_shell(c: Command): Promise<number> {
    switch (c.kind) {
      case "simple":
        return this.run_simple_in_shell(c);
      case "group":
        return with_redirs(this.sh, c.redirs, () => this.run_list(c.body));
      case "if":
        return with_redirs(this.sh, c.redirs, async () => {
          for (const cl of c.clauses) {
            if ((await this.run_condition(cl.cond)) === 0) return this.run_list(cl.body);
          }
          return c.else_body === null ? 0 : this.run_list(c.else_body);
        });
      case "for":
        return with_redirs(this.sh, c.redirs, async () => {
          let words: string[];
          try {
            words = c.words === null ? [...this.sh.params] : expand_words(this.sh, c.words);
          } catch (e) {
            if (!(e instanceof ExpandError)) throw e;
            await this.sh.err(e.msg);
            return 1;
          }
          let status = 0;
          await this.loop(async () => {
            const w = words.shift();
            if (w === undefined) return false;
            this.sh.set(c.name, w);
            status = await this.run_list(c.body);
            return true;
          });
          return status;
        });
      case "while":
        return with_redirs(this.sh, c.redirs, async () => {
          let status = 0;
          await this.loop(async () => {
            const cond = await this.run_condition(c.cond);
            if ((cond === 0) === c.until) return false;
            status = await this.run_list(c.body);
            return true;
          });
          return status;
        });
    }
  }

  /** An if/while condition: its status, with set -e off while it runs. */
  private async run_condition(l: List): Promise<number> {
    this.sh.errexit_off++;
    try {
      return await this.run_list(l);
    } finally {
      this.sh.errexit_off--;
    }
  }

  /**
   * Run `iteration` until it returns false, handling break/continue. Each iteration yields the
   * processor with a LOOP_YIELD_NS sleep: a loop of builtins never sleeps by itself and would
   * starve every other task (there is no preemption and no sched_yield system call); the sleep is
   * also where a ^C typed meanwhile is noticed.
   */
  private async loop(iteration: () => Promise<boolean>): Promise<void> {
    const sh = this.sh;
    sh.loop_depth++;
    try {
      for (;;) {
        await sh.sys.nanosleep(LOOP_YIELD_NS);
        if ((sh.sys.sigpending() & SIGINT_BIT) !== 0) throw new ShellUnwind("interrupt", 128 + SIGINT);
        try {
          if (!(await iteration())) return;
        } catch (e) {
          if (!(e instanceof ShellUnwind) || (e.kind !== "break" && e.kind !== "continue")) throw e;
          if (e.n > 1) throw new ShellUnwind(e.kind, e.n - 1);
          if (e.kind === "break") return;
        }
      }
    } finally {
      sh.loop_depth--;
    }
  }

  private async run_simple_in_shell(c: SimpleCommand): Promise<number> {
    const sh = this.sh;
    let argv: string[];
    const assigns: [string, string][] = [];
    try {
      for (const a of c.assigns) assigns.push([a.name, expand_string(sh, a.value)]);
      argv = expand_words(sh, c.words);
    } catch (e) {
      if (!(e instanceof ExpandError)) throw e;
      await sh.err(e.msg);
      if (e.fatal && !sh.interactive) throw new ShellUnwind("exit", 1);
      return 1;
    }
    const name = argv[0];
    if (sh.xtrace && (BUILTINS.has(name ?? "") || name === undefined)) await sh.out(2, xtrace_line(argv, assigns));
    if (name === undefined) {
      for (const [k, v] of assigns) sh.set(k, v);
      return with_redirs(sh, c.redirs, () => Promise.resolve(0));
    }
    const b = BUILTINS.get(name);
    if (b === undefined) {
      const l = await this.prepare_program(argv, assigns, c.redirs);
      if (typeof l === "number") return l;
      const group = this.foreground_group();
      return this.wait_foreground([await this.spawn_one(l, group)], group);
    }
    // NAME=value before a builtin holds for that builtin only.
    const saved = assigns.map(([k]) => [k, sh.vars.get(k) === undefined ? undefined : { ...sh.vars.get(k)! }] as const);
    for (const [k, v] of assigns) sh.set(k, v);
    try {
      return await with_redirs(sh, c.redirs, () => b.run(sh, argv.slice(1)));
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) sh.unset(k);
        else sh.vars.set(k, v);
      }
    }
  }
}
