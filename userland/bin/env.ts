import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { spawn_or_report, wait_forwarding_sigint } from "../lib/spawn_wait.ts";

/**
 * env [-i0] [-u NAME]... [-] [NAME=VALUE]... [PROG ARGS] (busybox coreutils/env.c): print the
 * environment, or run PROG with a changed one (spawn's envp; the exec busybox does becomes
 * spawn + wait, and env exits with PROG's status: 127 when it is not there, 126 when it cannot run).
 */
const USAGE = `Usage: env [-i0] [-u NAME]... [-] [NAME=VALUE]... [PROG ARGS]

Print current environment or run PROG after setting up environment

	-, -i	Start with empty environment
	-0	NUL terminated output
	-u NAME	Remove variable from environment
`;

/** putenv(): "NAME=VALUE" replaces NAME; a bare "NAME" removes it (busybox's -u relies on this). */
function putenv(env: string[], entry: string): void {
  const eq = entry.indexOf("=");
  const name = eq < 0 ? entry : entry.slice(0, eq);
  const i = env.findIndex((e) => e === name || e.startsWith(`${name}=`));
  if (eq < 0) {
    if (i >= 0) env.splice(i, 1);
    return;
  }
  if (i >= 0) env[i] = entry;
  else env.push(entry);
}

export async function env(argv: readonly string[], sys: Syscalls): Promise<number> {
  let clear = false;
  let nul = false;
  const unset: string[] = [];
  let i = 1;
  // getopt32 "+i0u:*": options up to the first operand.
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (a === "--ignore-environment") clear = true;
    else if (a === "--null") nul = true;
    else if (a.startsWith("--unset=")) unset.push(a.slice(8));
    else if (a === "--unset") {
      const v = argv[++i];
      if (v === undefined) return usage_error(sys, "option '--unset' requires an argument");
      unset.push(v);
    } else if (a.startsWith("-") && a.length > 1 && !a.startsWith("--")) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (c === "i") clear = true;
        else if (c === "0") nul = true;
        else if (c === "u") {
          const v = a.length > j + 1 ? a.slice(j + 1) : argv[++i];
          if (v === undefined) return usage_error(sys, "option requires an argument -- 'u'");
          unset.push(v);
          break;
        } else return usage_error(sys, `invalid option -- '${c}'`);
      }
    } else if (a.startsWith("--")) return usage_error(sys, `unrecognized option '${a}'`);
    else break;
  }
  if (argv[i] === "-") {
    clear = true;
    i++;
  }
  const envp = clear ? [] : [...sys.environ()];
  for (const name of unset) putenv(envp, name);
  for (; i < argv.length && argv[i]!.includes("="); i++) putenv(envp, argv[i]!);

  const cmd = argv.slice(i);
  if (cmd.length > 0) {
    const pid = await spawn_or_report(sys, "env", cmd, { envp });
    if (pid < 0) return -pid;
    const status = await wait_forwarding_sigint(sys, pid);
    return status < 0 ? 1 : status;
  }
  const end = nul ? "\0" : "\n";
  await sys.write(1, envp.map((e) => e + end).join(""));
  return 0;
}

async function usage_error(sys: Syscalls, msg: string): Promise<number> {
  await sys.write(2, `env: ${msg}\n${USAGE}`);
  return 1;
}

export const env_command: Command = {
  name: "env",
  summary: "print the environment or run a program in a changed one",
  usage: USAGE,
  main: env,
};
