import { EAGAIN, strerror } from "../include/linux/errno.ts";
import { SIGINT, SIGKILL, SIGTERM } from "../include/linux/sched.ts";
import { WNOHANG, type Syscalls } from "../include/uapi/syscalls.ts";
import { COMMANDS } from "./commands.ts";
import { print } from "./lib/stdio.ts";

/**
 * sh: the shell. Reads lines from the console (or runs `-c "cmd; cmd"`), splits them into commands
 * joined by `;`, `&&`, `||` and `&`, expands `$?`, runs builtins itself and everything else as a
 * child process from /bin, and gives the child the terminal (^C) while it runs. `cmd &` runs in
 * the background without the terminal (^C does not reach it); finished jobs are reported before
 * the next prompt, as bash does.
 *
 * Builtins: help, exit [N], true, false, jobs, wait [PID|%N], kill [-SIG] PID|%N.
 */
export const PROMPT = "ringzero:/# ";
const BUILTINS: Readonly<Record<string, string>> = {
  help: "list commands",
  exit: "leave the shell (and, for the login shell, power off)",
  true: "do nothing, successfully",
  false: "do nothing, unsuccessfully",
  jobs: "list background jobs",
  wait: "wait for background jobs: wait [PID|%N]",
  kill: "send a signal: kill [-INT|-TERM|-KILL] PID|%N",
};

const SIGNALS: Readonly<Record<string, number>> = { INT: SIGINT, KILL: SIGKILL, TERM: SIGTERM, "2": SIGINT, "9": SIGKILL, "15": SIGTERM };

interface Job {
  n: number;
  pid: number;
  cmd: string;
}

/** bash's words for how a job ended. */
function job_state(status: number): string {
  if (status === 0) return "Done";
  if (status === 128 + SIGINT) return "Interrupt";
  if (status === 128 + SIGKILL) return "Killed";
  if (status === 128 + SIGTERM) return "Terminated";
  return `Exit ${status}`;
}

type Token = { word: string } | { op: ";" | "&&" | "||" | "&" };

/** Split a command line into words and operators; quotes and backslashes as in POSIX sh. */
export function tokenize(line: string): Token[] | string {
  const out: Token[] = [];
  let word = "";
  let in_word = false;
  let i = 0;
  const flush = (): void => {
    if (in_word) out.push({ word });
    word = "";
    in_word = false;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) return `unterminated ${c === "'" ? "single" : "double"} quote`;
      word += line.slice(i + 1, end);
      in_word = true;
      i = end + 1;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[i + 1];
      in_word = true;
      i += 2;
    } else if (c === " " || c === "\t" || c === "\n") {
      flush();
      i++;
    } else if (c === ";") {
      flush();
      out.push({ op: ";" });
      i++;
    } else if ((c === "&" || c === "|") && line[i + 1] === c) {
      flush();
      out.push({ op: c === "&" ? "&&" : "||" });
      i += 2;
    } else if (c === "&") {
      flush();
      out.push({ op: "&" });
      i++;
    } else if (c === "|" || c === "<" || c === ">") {
      return `'${c}': pipes and redirection are not supported`;
    } else if (c === "#" && !in_word) {
      break;
    } else {
      word += c;
      in_word = true;
      i++;
    }
  }
  flush();
  return out;
}

class Shell {
  status = 0;
  exiting: number | null = null;
  readonly sys: Syscalls;
  constructor(sys: Syscalls) {
    this.sys = sys;
  }

  readonly jobs: Job[] = [];

  /** `pid` or `%N` → a job, or an error message. */
  private find_job(arg: string): Job | string {
    const j = arg.startsWith("%") ? this.jobs.find((x) => x.n === Number(arg.slice(1))) : this.jobs.find((x) => x.pid === Number(arg));
    return j ?? `${arg}: no such job`;
  }

  /** Reap background jobs that have finished and report them (before a prompt). */
  async report_jobs(): Promise<void> {
    for (const j of [...this.jobs]) {
      const st = await this.sys.waitpid(j.pid, WNOHANG);
      if (st === -EAGAIN) continue; // still running
      this.jobs.splice(this.jobs.indexOf(j), 1);
      print(this.sys, `[${j.n}]+  ${job_state(st).padEnd(24)}${j.cmd}\n`);
    }
  }

  private spawn_background(argv: string[]): number {
    const sys = this.sys;
    const pid = sys.spawn(argv);
    if (pid < 0) {
      sys.write(2, `sh: ${argv[0]}: command not found\n`);
      return 127;
    }
    const n = this.jobs.length === 0 ? 1 : Math.max(...this.jobs.map((j) => j.n)) + 1;
    this.jobs.push({ n, pid, cmd: argv.join(" ") });
    print(sys, `[${n}] ${pid}\n`);
    return 0;
  }

  private async wait_builtin(args: string[]): Promise<number> {
    const targets: Job[] = [];
    for (const a of args) {
      const j = this.find_job(a);
      if (typeof j === "string") {
        this.sys.write(2, `sh: wait: ${j}\n`);
        return 127;
      }
      targets.push(j);
    }
    let status = 0;
    for (const j of args.length > 0 ? targets : [...this.jobs]) {
      const st = await this.sys.waitpid(j.pid);
      if (st === -4) return 128 + SIGINT; // ^C: stop waiting, the jobs run on
      this.jobs.splice(this.jobs.indexOf(j), 1);
      status = st;
    }
    return args.length > 0 ? status : 0;
  }

  private kill_builtin(args: string[]): number {
    let sig = SIGTERM;
    if (args[0]?.startsWith("-")) {
      const s = SIGNALS[args.shift()!.slice(1).replace(/^SIG/, "")];
      if (s === undefined) {
        this.sys.write(2, "sh: kill: invalid signal (INT, TERM or KILL)\n");
        return 2;
      }
      sig = s;
    }
    if (args.length === 0) {
      this.sys.write(2, "sh: kill: usage: kill [-INT|-TERM|-KILL] PID|%N\n");
      return 2;
    }
    let status = 0;
    for (const a of args) {
      const j = a.startsWith("%") ? this.find_job(a) : null;
      if (typeof j === "string") {
        this.sys.write(2, `sh: kill: ${j}\n`);
        status = 1;
        continue;
      }
      const pid = j?.pid ?? Number(a);
      if (!Number.isInteger(pid) || pid <= 0) {
        this.sys.write(2, `sh: kill: ${a}: arguments must be process or job IDs\n`);
        status = 1;
        continue;
      }
      const r = this.sys.kill(pid, sig);
      if (r < 0) {
        this.sys.write(2, `sh: kill: (${pid}) - ${strerror(r)}\n`);
        status = 1;
      }
    }
    return status;
  }

  async run_command(words: string[], background = false): Promise<number> {
    const sys = this.sys;
    const argv = words.map((w) => w.replaceAll("$?", String(this.status)));
    const name = argv[0]!;
    if (background) return this.spawn_background(argv);
    switch (name) {
      case "exit": {
        const code = argv[1] === undefined ? this.status : Number(argv[1]);
        if (!Number.isInteger(code) || code < 0 || code > 255) {
          sys.write(2, `sh: exit: ${argv[1]}: numeric argument required\n`);
          return 2;
        }
        this.exiting = code;
        return code;
      }
      case "true":
        return 0;
      case "false":
        return 1;
      case "help":
        return this.help();
      case "jobs":
        for (const j of this.jobs) print(sys, `[${j.n}]   Running                 ${j.cmd} &\n`);
        return 0;
      case "wait":
        return this.wait_builtin(argv.slice(1));
      case "kill":
        return this.kill_builtin(argv.slice(1));
    }
    const pid = sys.spawn(argv);
    if (pid < 0) {
      sys.write(2, `sh: ${name}: command not found\n`);
      return 127;
    }
    sys.tcsetpgrp(pid);
    let status = await sys.waitpid(pid);
    // ^C reached us too; the child decides. Take the signal off our pending set before waiting
    // again: a caught signal stays pending, and waitpid would return -EINTR at once, forever
    // (a ^C typed ahead of a command line made the shell spin without yielding).
    while (status === -4) {
      sys.sigpending();
      status = await sys.waitpid(pid);
    }
    sys.tcsetpgrp(sys.getpid());
    sys.sigpending();
    if (status === 139) sys.write(2, "Segmentation fault\n");
    return status;
  }

  help(): number {
    const bins = this.sys.readdir("/bin");
    const names = typeof bins === "number" ? [] : bins;
    let out = "ringzero shell. Commands:\n";
    for (const [n, d] of Object.entries(BUILTINS)) out += `  ${n.padEnd(10)} ${d}\n`;
    for (const n of names) out += `  ${n.padEnd(10)} ${COMMANDS.find((c) => c.name === n)?.summary ?? (n === "sh" ? "the shell (sh -c \"cmds\")" : n === "init" ? "pid 1" : "")}\n`;
    out += "Separate commands with ; && || and end one with & to run it in the background. Ctrl-C stops the running command.\n";
    print(this.sys, out);
    return 0;
  }

  /** Run one line; returns the status of the last command that ran. */
  async run_line(line: string): Promise<number> {
    const toks = tokenize(line);
    if (typeof toks === "string") {
      this.sys.write(2, `sh: syntax error: ${toks}\n`);
      return (this.status = 2);
    }
    let words: string[] = [];
    let skip = false;
    const finish = async (background = false): Promise<void> => {
      if (words.length > 0 && !skip) this.status = await this.run_command(words, background);
      words = [];
    };
    for (const t of toks) {
      if ("word" in t) {
        words.push(t.word);
        continue;
      }
      if (words.length === 0) {
        this.sys.write(2, `sh: syntax error near unexpected token '${t.op}'\n`);
        return (this.status = 2);
      }
      await finish(t.op === "&");
      if (this.exiting !== null) return this.status;
      skip = t.op === "&&" ? this.status !== 0 : t.op === "||" ? this.status === 0 : false;
    }
    await finish();
    return this.status;
  }
}

export async function sh(argv: readonly string[], sys: Syscalls): Promise<number> {
  const shell = new Shell(sys);
  sys.sigaction(SIGINT, "catch");
  if (argv[1] === "-c") {
    if (argv[2] === undefined) {
      sys.write(2, "sh: -c: option requires an argument\n");
      return 2;
    }
    await shell.run_line(argv[2]);
    return shell.exiting ?? shell.status;
  }
  if (argv.length > 1) {
    sys.write(2, `sh: ${argv[1]}: scripts are not supported (use -c)\n`);
    return 2;
  }
  for (;;) {
    await shell.report_jobs();
    print(sys, PROMPT);
    const line = await sys.read_line();
    if (line === null) {
      print(sys, "exit\n");
      return shell.status;
    }
    if (typeof line === "number") {
      sys.sigpending();
      continue; // ^C at the prompt: a fresh prompt
    }
    await shell.run_line(line);
    if (shell.exiting !== null) return shell.exiting;
  }
}
