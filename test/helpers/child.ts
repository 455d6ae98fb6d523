/**
 * A ringzero process driven like a terminal: send lines to its console, wait for output. For the
 * tests that join several processes by real sockets; those machines run on the realtime clock, so
 * waits are bounded by wall time (a generous deadline, never a sleep).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { ENTRY, ROOT } from "./run_entry.ts";

export class RingzeroProcess {
  readonly args: readonly string[];
  private readonly child: ChildProcessWithoutNullStreams;
  /** stdout and stderr interleaved as they arrived. */
  output = "";
  /** Where the next wait_for starts looking. */
  private cursor = 0;
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  /** `wrap` runs it under another command (e.g. `ip netns exec NS`, which execs in place). */
  constructor(args: readonly string[], opts: { wrap?: readonly string[] } = {}) {
    this.args = args;
    const cmd = [...(opts.wrap ?? []), process.execPath, ENTRY, ...args];
    this.child = spawn(cmd[0]!, cmd.slice(1), { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    const take = (d: Buffer): void => {
      this.output += d.toString();
      for (const w of this.waiters.splice(0)) w();
    };
    this.child.stdout.on("data", take);
    this.child.stderr.on("data", take);
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code) => {
        for (const w of this.waiters.splice(0)) w();
        resolve(code);
      }),
    );
  }

  send(line: string): void {
    this.child.stdin.write(line + "\n");
  }

  /** Resolve with the first match of `re` in output not yet consumed; consume through it. */
  wait_for(re: RegExp, timeout_ms = 20_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeout_ms;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const rest = this.output.slice(this.cursor);
        const m = re.exec(rest);
        if (m !== null) {
          this.cursor += m.index + m[0].length;
          resolve(m);
          return;
        }
        if (this.child.exitCode !== null || Date.now() > deadline) {
          reject(new Error(`ringzero ${this.args.join(" ")}: no ${re} within ${timeout_ms} ms (exit ${this.child.exitCode}); output since last match:\n${rest}`));
          return;
        }
        this.waiters.push(check);
        setTimeout(() => {
          const i = this.waiters.indexOf(check);
          if (i >= 0) {
            this.waiters.splice(i, 1);
            check();
          }
        }, Math.max(0, deadline - Date.now()) + 1);
      };
      check();
    });
  }

  /** Wait for the shell's first prompt. */
  async ready(timeout_ms = 20_000): Promise<void> {
    await this.wait_for(PROMPT, timeout_ms);
  }

  /**
   * Run one shell command and wait for the next prompt; returns what the command printed. (The
   * interactive shell echoes the line it reads, as on a terminal, piped or not: that echo is left
   * out.) Call ready() first.
   */
  async run(cmd: string, timeout_ms = 20_000): Promise<string> {
    this.send(cmd);
    const m = await this.wait_for(new RegExp(`([\\s\\S]*?)${PROMPT.source}`), timeout_ms);
    const out = m[1]!;
    return out.startsWith(`${cmd}\n`) ? out.slice(cmd.length + 1) : out;
  }

  /** Send a signal to the process (not the whole group). */
  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  kill(): Promise<number | null> {
    this.child.kill("SIGKILL");
    return this.exited;
  }

  async quit(): Promise<number | null> {
    this.send("poweroff");
    this.child.stdin.end();
    return this.exited;
  }
}

const PROMPT = /ringzero:\/# /;
