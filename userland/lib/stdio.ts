import { strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";

/** Small libc-style helpers over the system calls. */

export function print(sys: Syscalls, text: string): void {
  sys.write(1, text);
}

/** "prog: message" on stderr; returns `status` so callers can `return fail(...)`. */
export function fail(sys: Syscalls, prog: string, message: string, status = 1): number {
  sys.write(2, `${prog}: ${message}\n`);
  return status;
}

/** The whole of a /proc or /sys file as text, or a negative errno. */
export function read_text(sys: Syscalls, path: string): string | number {
  const r = sys.read_file(path);
  return typeof r === "number" ? r : new TextDecoder().decode(r);
}

/** "cat: /proc/nope: No such file or directory" style message for an errno. */
export function errno_text(err: number): string {
  return strerror(err);
}

/**
 * Parse short options: `spec` lists flags ("nvx") and flags that take a value ("c:i:").
 * Returns the options, the operands, or an error message for an unknown/incomplete option.
 */
export function getopt(argv: readonly string[], spec: string): { opts: Map<string, string | true>; args: string[] } | string {
  const opts = new Map<string, string | true>();
  const args: string[] = [];
  const takes = new Set<string>();
  const flags = new Set<string>();
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (spec[i + 1] === ":") {
      takes.add(c);
      i++;
    } else flags.add(c);
  }
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      args.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (takes.has(c)) {
        const rest = a.slice(j + 1);
        const v = rest !== "" ? rest : argv[++i];
        if (v === undefined) return `option requires an argument -- '${c}'`;
        opts.set(c, v);
        break;
      }
      if (!flags.has(c)) return `invalid option -- '${c}'`;
      opts.set(c, opts.has(c) ? `${Number(opts.get(c) === true ? 1 : opts.get(c)) + 1}` : true);
    }
  }
  return { opts, args };
}

/** How many times a repeatable flag was given (-x, -xx, -xxx). */
export function count_flag(opts: Map<string, string | true>, c: string): number {
  const v = opts.get(c);
  return v === undefined ? 0 : v === true ? 1 : Number(v);
}
