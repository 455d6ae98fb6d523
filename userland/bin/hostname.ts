import { strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { read_text } from "../lib/stdio.ts";

/**
 * hostname [-sidf] [HOSTNAME | -F FILE] (busybox networking/hostname.c): print uname's nodename,
 * or set it with sethostname(2). -f, -d and -i look the name up as gethostbyname() does here: in
 * /etc/hosts (the machine has no other source for its own name).
 */
const USAGE = `Usage: hostname [-sidf] [HOSTNAME | -F FILE]

Show or set hostname or DNS domain name

	-s	Short
	-i	Addresses for the hostname
	-d	DNS domain name
	-f	Fully qualified domain name
	-F FILE	Use FILE's content as hostname
`;

/** gethostbyname() from /etc/hosts: the canonical name (first on the line) and every address. */
function hosts_lookup(sys: Syscalls, name: string): { h_name: string; addrs: string[] } | null {
  const text = read_text(sys, "/etc/hosts");
  if (typeof text === "number") return null;
  let h_name: string | null = null;
  const addrs: string[] = [];
  for (const raw of text.split("\n")) {
    const f = raw.replace(/#.*/, "").trim().split(/\s+/);
    if (f.length < 2 || !/^\d+\.\d+\.\d+\.\d+$/.test(f[0]!)) continue;
    if (!f.slice(1).includes(name)) continue;
    h_name ??= f[1]!;
    addrs.push(f[0]!);
  }
  return h_name === null ? null : { h_name, addrs };
}

async function set_hostname(sys: Syscalls, name: string): Promise<number> {
  const r = sys.sethostname(name);
  if (r < 0) {
    await sys.write(2, `hostname: sethostname: ${strerror(r)}\n`);
    return 1;
  }
  return 0;
}

export async function hostname(argv: readonly string[], sys: Syscalls): Promise<number> {
  const LONG: Readonly<Record<string, string>> = { "--domain": "d", "--fqdn": "f", "--ip-address": "i", "--short": "s", "--verbose": "v" };
  const opts = new Set<string>();
  let file: string | null = null;
  const args: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--file" || a.startsWith("--file=")) {
      file = a.includes("=") ? a.slice(7) : (argv[++i] ?? null);
      if (file === null) return usage_error(sys, "option '--file' requires an argument");
      continue;
    }
    if (a.startsWith("--")) {
      const c = LONG[a];
      if (c === undefined) return usage_error(sys, `unrecognized option '${a}'`);
      opts.add(c);
      continue;
    }
    if (!a.startsWith("-") || a === "-") {
      args.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (c === "F") {
        file = a.length > j + 1 ? a.slice(j + 1) : (argv[++i] ?? null);
        if (file === null) return usage_error(sys, "option requires an argument -- 'F'");
        break;
      }
      if (!"dfisv".includes(c)) return usage_error(sys, `invalid option -- '${c}'`);
      opts.add(c);
    }
  }
  const buf = sys.uname().nodename;
  if (opts.has("d") || opts.has("f") || opts.has("i")) {
    const hp = hosts_lookup(sys, buf);
    if (hp === null) {
      await sys.write(2, `hostname: bad address '${buf}'\n`);
      return 1;
    }
    const dot = hp.h_name.indexOf(".");
    let out: string | null;
    if (opts.has("f")) out = hp.h_name;
    else if (opts.has("s")) out = dot < 0 ? hp.h_name : hp.h_name.slice(0, dot);
    else if (opts.has("d")) out = dot < 0 ? null : hp.h_name.slice(dot + 1);
    else out = hp.addrs.join(" ");
    if (out !== null) await sys.write(1, `${out}\n`);
    return 0;
  }
  if (opts.has("s")) {
    const dot = buf.indexOf(".");
    await sys.write(1, `${dot < 0 ? buf : buf.slice(0, dot)}\n`);
    return 0;
  }
  if (file !== null) {
    const text = read_text(sys, file);
    if (typeof text === "number") {
      await sys.write(2, `hostname: can't open '${file}': ${strerror(text)}\n`);
      return 1;
    }
    // config_read: each line's first word, comments and blank lines skipped.
    for (const line of text.split("\n")) {
      const w = line.replace(/#.*/, "").trim().split(/[ \t]+/)[0] ?? "";
      if (w !== "" && (await set_hostname(sys, w)) !== 0) return 1;
    }
    return 0;
  }
  if (args[0] !== undefined) return set_hostname(sys, args[0]);
  await sys.write(1, `${buf}\n`);
  return 0;
}

async function usage_error(sys: Syscalls, msg: string): Promise<number> {
  await sys.write(2, `hostname: ${msg}\n${USAGE}`);
  return 1;
}

export const hostname_command: Command = {
  name: "hostname",
  summary: "show or set the system's host name",
  usage: USAGE,
  main: hostname,
};
