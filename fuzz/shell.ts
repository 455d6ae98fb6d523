/**
 * Phase (c): random input to the shell through the console (the UART, as a terminal types it):
 * random bytes, control characters (^C, ^D, ^Z, DEL, escape sequences), command lines made of
 * tokens from /bin and the builtins with plausible and implausible arguments, operators, quotes,
 * redirections and expansions, the grammar's constructs (if/for/while/until, { }, pipelines, lists,
 * deep nesting, endless loops, constructs cut short so the shell waits at PS2), and very long lines. After each input the fuzzer types ^C and `echo alive_N`; the shell must
 * print alive_N within the budget, or it is a hang. A shell that exited (exit, ^D, poweroff) powers
 * the machine off, which is not a failure: a fresh guest is booted.
 */
import { performance } from "node:perf_hooks";
import { PROGRAMS } from "../userland/programs.ts";
import type { Failure } from "./frames.ts";
import { boot_guest, type Guest } from "./machine.ts";
import { PHASE, Rng } from "./rng.ts";

const MAC = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
const COMMANDS = [
  ...PROGRAMS.keys(), "help", "exit", "true", "false", "jobs", "wait", "kill", "cd", "pwd", "export", "unset", "set", "read", "shift", ".", "source", "eval", "break", "continue", ":",
];
const ARGS = [
  "-c", "1", "-c", "3", "-i", "0.2", "-s", "1400", "-s", "70000", "-W", "1", "-q", "-n", "-e", "-a", "-S", "-d", "-g", "-G", "rx", "4096", "-C", "rx-usecs", "-t",
  "eth0", "eth1", "lo", "up", "down", "link", "addr", "route", "neigh", "show", "set", "add", "del", "dev", "via", "default", "-s", "-s",
  "10.0.9.2", "10.0.9.1", "127.0.0.1", "255.255.255.255", "0.0.0.0", "999.1.1.1", "10.0.9.0/24", "e1000", "inet", "netdev", "edu", "RxDescriptors=abc",
  "/proc/net/snmp", "/proc/net/dev", "/proc/net/arp", "/proc/interrupts", "/sys/class/net/eth0/statistics/rx_packets", "/nonexistent", "-u", "-l", "1234", "hello",
  "%1", "%9", "-9", "-INT", "1", "2", "0", "-1", "99999", "4294967296", "$?", "''", '""', "\\", "~", "*", "-", "--", "--help", "1s", "0.01",
  "/tmp/*", "/proc/[0-9]*", "/*/*", "?", "[a-", "$x", '"$@"', "$#", "$$", "$!", "${x:-y}", "${x:=1}", "${#x}", "${x%/*}", "${x?}", "${", "$(", "`",
  ">", ">>", "<", "2>&1", "2>&-", ">&9", "<&0", "|", "/dev/null", "/tmp/f", ">/tmp/f", "</tmp/f", ">/proc/version", "x=1", "IFS=:",
];

/** Words that make up shell constructs for the grammar inputs. */
const WORDS = ["a", "b c", "'q r'", '"$x"', "$x", "*", "/tmp/*", "${x:-d}", "1", "2", "$?", "$1", "\\$"];

/** A simple command: a name, a few arguments, maybe a redirection. */
function simple(r: Rng): string {
  const w = [r.pick(["echo", "true", "false", ":", "cat /proc/version", "ls /tmp", "pwd", "read x", "sleep 0.01", "x=$x.", "sh -c 'echo $0'", r.pick(COMMANDS)])];
  for (let i = r.range(0, 3); i > 0; i--) w.push(r.pick(WORDS));
  if (r.chance(0.2)) w.push(r.pick([">/tmp/o", ">>/tmp/o", "2>&1", "</tmp/o", "2>/dev/null", ">&2", "<&-"]));
  return w.join(" ");
}

/** A construct of the grammar (if/for/while/until, { }, pipelines, lists, expansions), maybe cut short. */
function construct(r: Rng, depth = 0): string {
  const body = (): string => (depth < 3 && r.chance(0.3) ? construct(r, depth + 1) : simple(r));
  const text = r.pick([
    () => `if ${body()}; then ${body()}; elif ${body()}; then ${body()}; else ${body()}; fi`,
    () => `for v in ${r.pick(WORDS)} ${r.pick(WORDS)}; do ${body()}; done`,
    () => `while ${body()}; do ${body()}; break; done`,
    () => `until ${body()}; do ${body()}; break; done`,
    () => `${body()} | ${body()} | ${body()}`,
    () => `{ ${body()}; ${body()}; } > /tmp/g 2>&1`,
    () => `${body()} && ${body()} || ${body()} &`,
    () => `x=${r.pick(WORDS)}; echo "$x" $x '$x' \${x} \${x:-d} \${#x} \${x#*/}`,
    () => `cd ${r.pick(["/tmp", "/proc", "/nonexistent", "-", ""])}; pwd; cd /`,
    () => `export V=${r.pick(WORDS)}; sh -c 'echo "$V"'; unset V`,
    () => `set -- ${r.pick(WORDS)} ${r.pick(WORDS)}; shift; echo $# "$@"`,
    () => "while :; do :; done",
    () => "for i in 1 2 3 4 5 6 7 8 9; do sleep 1; done",
    () => "cat | cat | cat",
    () => `${"{ ".repeat(r.range(1, 400))}echo deep${"; }".repeat(r.range(0, 400))}`,
    () => `${"if true; then ".repeat(r.range(1, 300))}echo deep`,
    () => `echo '${"$".repeat(r.range(1, 50))}' "\${x:-\${y:-\${z:-w}}}"`,
  ])();
  // Cut short: the shell waits at PS2 until the fuzzer's ^C.
  return depth === 0 && r.chance(0.15) ? text.slice(0, r.int(text.length)) : text;
}

const KINDS = [[35, "tokens"], [12, "bytes"], [10, "control"], [8, "long"], [10, "operators"], [10, "known"], [15, "grammar"]] as const;
export type InputKind = (typeof KINDS)[number][1];

/** One input for the console; `kinds` limits it to some kinds (by their usual weights). */
export function line(r: Rng, kinds?: readonly InputKind[]): string {
  const kind = r.weighted(kinds === undefined ? KINDS : KINDS.filter(([, k]) => kinds.includes(k)));
  switch (kind) {
    case "tokens": {
      const n = r.range(1, 8);
      const w = [r.pick(COMMANDS)];
      for (let i = 1; i < n; i++) w.push(r.chance(0.8) ? r.pick(ARGS) : r.pick(COMMANDS));
      return w.join(" ") + (r.chance(0.1) ? " &" : "") + "\n";
    }
    case "bytes": {
      let s = "";
      const n = r.range(1, 200);
      for (let i = 0; i < n; i++) s += String.fromCharCode(r.chance(0.8) ? r.range(0x20, 0x7e) : r.int(256));
      return s + "\n";
    }
    case "control":
      return r.pick(["\x03", "\x04", "\x1a", "\x7f\x7f\x7f", "\x1b[A\x1b[B\n", "\x00\n", "\x08\n", "\r", "\x1b\n", "\x04\x04"]);
    case "long": {
      const unit = r.pick(["a", "echo x; ", "'", '"', "\\", "&& ", "; ", "ping ", "x ".repeat(3)]);
      return unit.repeat(r.range(1000, 20000)) + "\n";
    }
    case "operators": {
      const parts: string[] = [];
      const n = r.range(2, 6);
      for (let i = 0; i < n; i++) parts.push(`${r.pick(COMMANDS)} ${r.chance(0.5) ? r.pick(ARGS) : ""}`, r.pick([";", "&&", "||", "&", ";;", "&&&", "|", "'", "\""]));
      return parts.join(" ") + "\n";
    }
    case "grammar": {
      // Several lines at once sometimes: a construct spread over lines is continued at PS2.
      const parts = [construct(r)];
      while (r.chance(0.2)) parts.push(construct(r));
      return parts.join(r.chance(0.5) ? "\n" : "; ") + "\n";
    }
    case "known":
      return r.pick([
        "ping -c 2 10.0.9.2\n", "ping 127.0.0.1\n", "sleep 5\n", "sleep 1000 &\n", "wait\n", "tcpdump -c 1\n", "nc -u -l 1234\n", "cat\n",
        "rmmod e1000\n", "insmod e1000\n", "rmmod inet\n", "modprobe inet\n", "ip link set eth0 down\n", "ip link set eth0 up\n", "ethtool -t eth0\n",
        "ethtool -G eth0 rx 80\n", "ethtool -C eth0 rx-usecs 0\n", "dhclient eth0\n", "kill -9 1\n", "kill 1\n", "kill %1\n", "sh -c 'sleep 2; echo x'\n", "sh\n", "cd /tmp\n", "if true\n", "for i in 1\n",
        "sleep 100 | cat\n", "ls /proc | cat > /tmp/l\n", "echo $$ $? '$?'\n", "read x\n", "while read l; do echo $l; done < /proc/version\n",
        "ifconfig eth0 10.0.9.1 netmask 255.255.255.0\n", "ip neigh\n", "netstat -s\n", "arp -n\n", "ps\n", "free -h\n", "dmesg\n", "poweroff\n", "exit 3\n",
      ]);
  }
}

export interface ShellResult {
  ops: number;
  hangs: number;
  escapes: number;
  reboots: number;
  failures: Failure[];
  wall_ms: number;
  kernel_reports: string[];
}

export async function run_shell(opts: { seed: number; ops: number; kinds?: readonly InputKind[]; progress?: (done: number) => void }): Promise<ShellResult> {
  const t0 = performance.now();
  const failures: Failure[] = [];
  const reports: string[] = [];
  let hangs = 0;
  let escapes = 0;
  let reboots = 0;
  const replay = (i: number): string => `--seed ${opts.seed} --frames 0 --ops 0 --shell ${i + 1}`;
  let g: Guest | null = null;
  const boot = async (): Promise<Guest> => {
    if (g !== null) reports.push(...g.reports);
    const ng = boot_guest({ mac: MAC, ip: "10.0.9.1/24" });
    await ng.world.run({ for_ns: 3e9 }).catch(() => {});
    ng.take_console();
    return ng;
  };
  /** Run until `cond` or the budgets run out; false = budget exhausted. */
  const run_until = async (gg: Guest, cond: () => boolean, virt_ns: number, wall_ms: number, i: number): Promise<boolean> => {
    const wall = performance.now() + wall_ms;
    try {
      await gg.world.run({ for_ns: virt_ns, until: () => cond() || performance.now() > wall || gg.machine.powered_off });
    } catch (e) {
      escapes++;
      if (failures.length < 50) failures.push({ kind: "escape", phase: "shell", index: i, what: (e as Error)?.stack ?? String(e), replay: replay(i) });
    }
    return cond();
  };
  let seen = "";
  for (let i = 0; i < opts.ops; i++) {
    if (g === null || g.machine.powered_off) {
      if (g !== null) reboots++;
      g = await boot();
    }
    const r = Rng.for_op(opts.seed, PHASE.shell, i);
    const input = line(r, opts.kinds);
    g.machine.uart.receive(input);
    // Give the command a moment (virtual), then take the terminal back and ask for a sign of life.
    // (Its output is taken as it comes: the guest's console buffer stays small, as a terminal's would.)
    await run_until(g, () => (g!.take_console(), false), r.chance(0.2) ? 2e9 : 50e6, 5000, i);
    if (g.machine.powered_off) continue;
    const tag = `alive_${i}`;
    g.machine.uart.receive("\x03\x03\necho al''ive_" + i + "\n");
    seen = "";
    const ok = await run_until(
      g,
      () => {
        seen = (seen + g!.take_console()).slice(-4096);
        return new RegExp(`(^|\\n|# )${tag}\\n`).test(seen);
      },
      30e9,
      // The terminal echoes a long line a byte at a time (readline, as on Linux): give it time.
      10_000 + input.length / 10,
      i,
    );
    if (!ok && !g.machine.powered_off) {
      hangs++;
      if (failures.length < 50) failures.push({ kind: "hang", phase: "shell", index: i, what: `no '${tag}' after input ${JSON.stringify(input.slice(0, 120))}${input.length > 120 ? "…" : ""}; console tail: ${JSON.stringify(seen.slice(-300))}`, replay: replay(i) });
      g = null; // start over with a fresh guest
    }
    if (i % 10 === 0) opts.progress?.(i);
  }
  if (g !== null) reports.push(...g.reports);
  for (const rep of reports) failures.push({ kind: "oops", phase: "shell", index: opts.ops - 1, what: rep, replay: replay(opts.ops - 1) });
  return { ops: opts.ops, hangs, escapes, reboots, failures, wall_ms: performance.now() - t0, kernel_reports: reports };
}
