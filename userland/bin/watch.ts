import { EINTR, strerror } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import { O_CLOEXEC } from "../../include/uapi/fcntl.ts";
import { CLOCK_MONOTONIC, CLOCK_REALTIME, type Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { localtime, strftime } from "../lib/time.ts";

/**
 * watch [-bcegptwx] [-n SECS] [-q CYCLES] COMMAND (procps-ng 4.0.2 src/watch.c): run COMMAND
 * through `sh -c` (or directly with -x) every SECS seconds (default 2, at least 0.1), its stdout
 * and stderr through a pipe onto a cleared screen under the header "Every 2.0s: CMD" with
 * "HOST: Wed Dec  2 20:30:11 2026" at the right edge — the screen procps draws with curses, drawn
 * here with ESC[H ESC[J and the text. The screen is COLUMNS×LINES (80×24 by default). Until ^C
 * (exit 0), -g (output changed), -q (unchanged for CYCLES rounds) or -e (non-zero status, exit 8).
 */
const USAGE = `
Usage:
 watch [options] command

Options:
  -b, --beep             beep if command has a non-zero exit
  -e, --errexit          exit if command has a non-zero exit
  -g, --chgexit          exit when output from command changes
  -q, --equexit <cycles>
                         exit when output from command does not change
  -n, --interval <secs>  seconds to wait between updates
  -p, --precise          attempt run command in precise intervals
  -t, --no-title         turn off header
  -w, --no-wrap          turn off line wrapping
  -x, --exec             pass command to exec instead of "sh -c"

 -h, --help     display this help and exit

For more details see watch(1).
`;

const LONG: Readonly<Record<string, string>> = {
  "--beep": "b",
  "--errexit": "e",
  "--chgexit": "g",
  "--equexit": "q",
  "--interval": "n",
  "--precise": "p",
  "--no-title": "t",
  "--no-wrap": "w",
  "--exec": "x",
  "--help": "h",
};

/**
 * output_header(): the first screen row — "Every N.Ns: CMD" at the left, "HOST: ctime" ending at
 * the last column (ctime's newline counted, as procps counts it), the command cut with "..." when
 * the row is too narrow.
 */
export function watch_header(width: number, interval: number, command: string, host: string, now_s: number): string {
  const tm = localtime(now_s)!;
  const header = `Every ${interval.toFixed(1)}s: `;
  const right = `${host}: ${strftime("%a %b %e %H:%M:%S %Y", tm)}\n`;
  const hlen = header.length;
  const rhlen = right.length;
  const row = new Array<string>(width).fill(" ");
  const put = (x: number, s: string): void => {
    for (let i = 0; i < s.length && x + i < width; i++) if (x + i >= 0) row[x + i] = s[i]!;
  };
  if (width < rhlen) return "";
  if (rhlen + hlen + 1 <= width) {
    put(0, header);
    if (rhlen + hlen + 2 <= width) {
      if (width < rhlen + hlen + 4) put(width - rhlen - 4, "... ");
      else {
        let cols = command.length;
        if (width < rhlen + hlen + cols) {
          cols = width - rhlen - hlen - 4;
          put(width - rhlen - 4, "... ");
        }
        put(hlen, command.slice(0, Math.max(0, cols)));
      }
    }
  }
  put(width - rhlen + 1, right.slice(0, -1));
  return row.join("").replace(/ +$/, "");
}

/** The screen rows run_command() fills from the command's output (printable text, tabs to 8). */
export class ScreenBuilder {
  readonly rows: string[] = [];
  private line = "";
  private readonly width: number;
  private readonly height: number;
  private readonly wrap: boolean;
  /** A line cut at the right edge with -w: the rest up to its newline is dropped. */
  private skipping = false;

  constructor(width: number, height: number, wrap: boolean) {
    this.width = width;
    this.height = height;
    this.wrap = wrap;
  }

  get full(): boolean {
    return this.rows.length >= this.height;
  }

  private end_row(): void {
    if (!this.full) this.rows.push(this.line);
    this.line = "";
  }

  feed(text: string): void {
    for (const ch of text) {
      if (this.full) return;
      if (ch === "\n") {
        if (this.skipping) this.skipping = false;
        else this.end_row();
        continue;
      }
      if (this.skipping) continue;
      if (ch === "\t") {
        do this.add(" ");
        while (this.line.length % 8 !== 0 && this.line.length > 0 && !this.skipping);
        continue;
      }
      const code = ch.codePointAt(0)!;
      if (code < 0x20 || code === 0x7f) continue; // not printable: curses never sees it
      this.add(ch);
    }
  }

  private add(ch: string): void {
    this.line += ch;
    if (this.line.length >= this.width) {
      this.end_row();
      if (!this.wrap) this.skipping = true;
    }
  }

  finish(): string[] {
    if (this.line !== "") this.end_row();
    return this.rows.map((r) => r.replace(/ +$/, ""));
  }
}

function env_number(sys: Syscalls, name: string, def: number): number {
  const v = Number(sys.environ().find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1));
  return Number.isInteger(v) && v > 0 ? v : def;
}

/** strtod_nol_or_err(). */
function parse_secs(v: string): number | null {
  const n = Number(v.trim());
  return v.trim() !== "" && Number.isFinite(n) ? n : null;
}

/** The command's rows and exit status, or an errno and a watch exit code when it could not run. */
async function run_command(sys: Syscalls, argv: readonly string[], width: number, rows: number, wrap: boolean): Promise<{ rows: string[]; status: number } | { exit: number; message: string }> {
  const p = sys.pipe2(O_CLOEXEC);
  if (typeof p === "number") return { exit: 7, message: `unable to create IPC pipes: ${strerror(p)}` };
  const [rfd, wfd] = p;
  const pid = sys.spawn(argv, {
    file_actions: [
      { action: "dup2", fd: wfd, newfd: 1 },
      { action: "dup2", fd: wfd, newfd: 2 },
    ],
  });
  sys.close(wfd);
  if (pid < 0) {
    sys.close(rfd);
    return { exit: 4, message: `unable to execute '${argv[0]}': ${strerror(pid)}` };
  }
  const screen = new ScreenBuilder(width, rows, wrap);
  const dec = new TextDecoder();
  const buf = new Uint8Array(4096);
  while (!screen.full) {
    const n = await sys.read(rfd, buf);
    if (n === -EINTR) {
      sys.close(rfd);
      sys.kill(pid, SIGINT);
      return { exit: 0, message: "" };
    }
    if (n <= 0) break;
    screen.feed(dec.decode(buf.subarray(0, n), { stream: true }));
  }
  // A screen that filled up stops the reading: the command gets EPIPE (SIGPIPE) on its next write.
  sys.close(rfd);
  const status = await sys.waitpid(pid);
  if (status === -EINTR) return { exit: 0, message: "" };
  return { rows: screen.finish(), status };
}

export async function watch(argv: readonly string[], sys: Syscalls): Promise<number> {
  let interval = 2;
  const env_interval = sys.environ().find((e) => e.startsWith("WATCH_INTERVAL="));
  if (env_interval !== undefined) {
    const v = parse_secs(env_interval.slice(15));
    if (v === null) return fail(sys, `Could not parse interval from WATCH_INTERVAL: '${env_interval.slice(15)}'`);
    interval = v;
  }
  const f = new Set<string>();
  let max_cycles = 1;
  let i = 1;
  // "+": options stop at the command.
  for (; i < argv.length; i++) {
    let a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break;
    let val: string | undefined;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq >= 0) val = a.slice(eq + 1);
      const c = LONG[eq >= 0 ? a.slice(0, eq) : a];
      if (c === undefined) return usage_error(sys, `unrecognized option '${a}'`);
      a = `-${c}`;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (c === "n" || c === "q") {
        const v = val ?? (a.length > j + 1 ? a.slice(j + 1) : argv[++i]);
        if (v === undefined) return usage_error(sys, `option requires an argument -- '${c}'`);
        const n = parse_secs(v);
        if (n === null) return fail(sys, `failed to parse argument: '${v}'`);
        if (c === "n") interval = n;
        else {
          f.add("q");
          max_cycles = Math.trunc(n);
        }
        break;
      }
      if (c === "h") {
        await sys.write(1, USAGE);
        return 0;
      }
      if (!"begptwx".includes(c)) return usage_error(sys, `invalid option -- '${c}'`);
      f.add(c);
    }
  }
  interval = Math.min(Math.max(interval, 0.1), 0xffffffff);
  const cmd_argv = argv.slice(i);
  if (cmd_argv.length === 0) {
    await sys.write(2, USAGE);
    return 1;
  }
  const command = cmd_argv.join(" ");
  const run_argv = f.has("x") ? cmd_argv : ["sh", "-c", command];
  const width = env_number(sys, "COLUMNS", 80);
  const height = env_number(sys, "LINES", 24);
  const title = !f.has("t");
  const host = sys.uname().nodename;

  sys.sigaction(SIGINT, "catch");
  let previous: string[] | null = null;
  let cycle_count = 0;
  let next_loop = sys.clock_gettime(CLOCK_MONOTONIC);
  for (;;) {
    const now = Math.floor(sys.clock_gettime(CLOCK_REALTIME) / 1e9);
    const r = await run_command(sys, run_argv, width, height - (title ? 2 : 0), !f.has("w"));
    if ("exit" in r) {
      if (r.message !== "") await fail(sys, r.message);
      return r.exit;
    }
    let screen = "\x1b[H\x1b[J";
    if (title) screen += `${watch_header(width, interval, command, host, now)}\n\n`;
    screen += r.rows.join("\n");
    if (r.status !== 0 && f.has("b")) screen += "\x07";
    await sys.write(1, screen);
    if (r.status !== 0 && f.has("e")) {
      await sys.write(1, `\x1b[${height};1Hcommand exit with a non-zero status, press a key to exit`);
      await sys.read_line();
      await sys.write(1, "\n");
      return 8;
    }
    const changed = previous !== null && previous.join("\n") !== r.rows.join("\n");
    if (f.has("g") && changed) break;
    if (f.has("q") && previous !== null) {
      if (!changed) {
        if (cycle_count === max_cycles) break;
        cycle_count++;
      } else cycle_count = 0;
    }
    previous = r.rows;
    let wait_ns = interval * 1e9;
    if (f.has("p")) {
      next_loop += wait_ns;
      wait_ns = Math.max(0, next_loop - sys.clock_gettime(CLOCK_MONOTONIC));
    }
    if ((await sys.nanosleep(wait_ns)) === -EINTR) break; // ^C: die() → endwin, exit 0
  }
  await sys.write(1, "\n");
  return 0;
}

async function fail(sys: Syscalls, msg: string): Promise<number> {
  await sys.write(2, `watch: ${msg}\n`);
  return 1;
}

async function usage_error(sys: Syscalls, msg: string): Promise<number> {
  await sys.write(2, `watch: ${msg}\n${USAGE}`);
  return 1;
}

export const watch_command: Command = {
  name: "watch",
  summary: "execute a program periodically, showing output fullscreen",
  usage: USAGE,
  main: watch,
};
