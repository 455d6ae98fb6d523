import { SIGINT } from "../include/linux/sched.ts";
import type { Syscalls } from "../include/uapi/syscalls.ts";
import { COMMAND_HELP } from "./commands.ts";
import { print } from "./lib/stdio.ts";

/**
 * sh: the shell. Reads lines from the console (or runs `-c "cmd; cmd"`), splits them into commands
 * joined by `;`, `&&` and `||`, expands `$?`, runs builtins itself and everything else as a child
 * process from /bin, and gives the child the terminal (^C) while it runs.
 *
 * Builtins: help, exit [N], true, false.
 */
export const PROMPT = "ringzero:/# ";
const BUILTINS: Readonly<Record<string, string>> = {
  help: "list commands",
  exit: "leave the shell (and, for the login shell, power off)",
  true: "do nothing, successfully",
  false: "do nothing, unsuccessfully",
};

type Token = { word: string } | { op: ";" | "&&" | "||" };

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
    } else if (c === "&" || c === "|" || c === "<" || c === ">") {
      return `'${c}': pipes, redirection and background jobs are not supported`;
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

  async run_command(words: string[]): Promise<number> {
    const sys = this.sys;
    const argv = words.map((w) => w.replaceAll("$?", String(this.status)));
    const name = argv[0]!;
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
    }
    const pid = sys.spawn(argv);
    if (pid < 0) {
      sys.write(2, `sh: ${name}: command not found\n`);
      return 127;
    }
    sys.tcsetpgrp(pid);
    let status = await sys.waitpid(pid);
    while (status === -4) status = await sys.waitpid(pid); // ^C reached us too; the child decides
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
    for (const n of names) out += `  ${n.padEnd(10)} ${COMMAND_HELP[n] ?? ""}\n`;
    out += "Separate commands with ; && ||. Ctrl-C stops the running command.\n";
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
    const finish = async (): Promise<void> => {
      if (words.length > 0 && !skip) this.status = await this.run_command(words);
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
      await finish();
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
