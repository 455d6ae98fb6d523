/**
 * VFS test harness: run a body as a real process (its own descriptor table, working directory and
 * umask) on a booted test machine, or run shell commands with the real /bin and read the console.
 */
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import type { Program, Syscalls } from "../../include/uapi/syscalls.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { do_execve } from "../../kernel/process.ts";
import { find_task_by_pid } from "../../kernel/sched/core.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { boot_test_machine, type TestMachine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";

export interface ProcessRun<T> {
  tm: TestMachine;
  value: T;
}

/**
 * Boot a machine (with the inet module when `inet`) and run `body` as process "t". Extra programs
 * (for spawn) may be given. Resolves with the body's value; rethrows what it threw.
 */
export async function in_process<T>(
  body: (sys: Syscalls) => Promise<T> | T,
  opts: { mem_size?: number; inet?: boolean; programs?: [string, Program][] } = {},
): Promise<ProcessRun<T>> {
  let result: { value: T } | { error: unknown } | null = null;
  const prog: Program = async (_argv, sys) => {
    try {
      result = { value: await body(sys) };
    } catch (e) {
      result = { error: e };
    }
    return 0;
  };
  const tm = boot_test_machine({
    mem_size: opts.mem_size,
    boot: {
      programs: new Map<string, Program>([["t", prog], ...(opts.programs ?? [])]),
      modules: MODULES,
      default_modules: opts.inet === true ? ["inet"] : [],
    },
  });
  // pid 1 loads the default modules, then exits (no init program): wait for it.
  await tm.run_until(() => with_kernel(tm.kernel, () => find_task_by_pid(1) === undefined));
  await tm.in_task(() => {
    do_execve(["t"]);
  });
  await tm.run_until(() => result !== null, 60e9);
  const r = result as { value: T } | { error: unknown } | null;
  if (r === null) throw new Error(`process did not finish:\n${tm.dmesg()}`);
  if ("error" in r) throw r.error;
  return { tm, value: r.value };
}

/** Boot to `init -c command` with the real programs; the console output once it powered off. */
export async function run_shell(command: string, opts: { inet?: boolean } = {}): Promise<{ out: string; status: number }> {
  const tm = boot_test_machine({
    boot: {
      initcalls: [serial8250_init],
      programs: PROGRAMS,
      init_argv: ["init", "-c", command],
      modules: MODULES,
      default_modules: opts.inet === true ? ["inet"] : [],
    },
  });
  await tm.run_until(() => tm.machine.powered_off, 60e9);
  if (!tm.machine.powered_off) throw new Error(`shell did not finish:\n${tm.machine.console_output}`);
  return { out: tm.machine.console_output, status: tm.machine.exit_code ?? -1 };
}

export const text = (b: Uint8Array | number): string | number => (typeof b === "number" ? b : new TextDecoder().decode(b));
