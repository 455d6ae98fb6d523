import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { errno_text, print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * sysctl (procps-ng): read and write kernel parameters under /proc/sys.
 *   sysctl NAME...            print "NAME = value"
 *   sysctl [-w] NAME=VALUE    set it
 *   sysctl -a                 every parameter
 * NAME uses dots or slashes (kernel.watchdog_thresh, net/ipv4/neigh/default/gc_thresh3).
 * Exit status 255 when a key is missing or a value is refused, as procps-ng.
 */
function key_path(name: string): string {
  return `/proc/sys/${name.replace(/\./g, "/")}`;
}

function walk(sys: Syscalls, dir: string, out: string[]): void {
  const entries = sys.readdir(dir);
  if (typeof entries === "number") {
    out.push(dir);
    return;
  }
  for (const e of [...entries].sort()) walk(sys, `${dir}/${e}`, out);
}

export async function sysctl(argv: readonly string[], sys: Syscalls): Promise<number> {
  const args = argv.slice(1).filter((a) => a !== "-w" && a !== "-q");
  const quiet = argv.includes("-q");
  if (argv.includes("-a")) {
    const files: string[] = [];
    walk(sys, "/proc/sys", files);
    for (const f of files) {
      const r = sys.read_file(f);
      if (typeof r !== "number") print(sys, `${f.slice("/proc/sys/".length).replace(/\//g, ".")} = ${new TextDecoder().decode(r).trim()}\n`);
    }
    return 0;
  }
  if (args.length === 0) {
    sys.write(2, "Usage: sysctl [-w] [-q] [-a] NAME[=VALUE]...\n");
    return 255;
  }
  let status = 0;
  for (const arg of args) {
    if (arg.startsWith("-")) {
      sys.write(2, `sysctl: unknown option '${arg}'\n`);
      return 255;
    }
    const eq = arg.indexOf("=");
    const name = (eq >= 0 ? arg.slice(0, eq) : arg).trim();
    const path = key_path(name);
    if (eq >= 0) {
      const value = arg.slice(eq + 1).trim();
      const r = await sys.write_file(path, value);
      if (r < 0) {
        sys.write(2, r === -2 ? `sysctl: cannot stat ${path}: No such file or directory\n` : `sysctl: setting key "${name}": ${errno_text(r)}\n`);
        status = 255;
        continue;
      }
      if (!quiet) print(sys, `${name} = ${value}\n`);
      continue;
    }
    const r = sys.read_file(path);
    if (typeof r === "number") {
      sys.write(2, `sysctl: cannot stat ${path}: ${errno_text(r)}\n`);
      status = 255;
      continue;
    }
    print(sys, `${name} = ${new TextDecoder().decode(r).trim()}\n`);
  }
  return status;
}

export const sysctl_command: Command = {
  name: "sysctl",
  summary: "read and set kernel parameters (/proc/sys)",
  usage: "Usage: sysctl\n\nRead and set kernel parameters (/proc/sys).\n",
  main: sysctl,
};
