import { strerror } from "../../include/linux/errno.ts";
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY } from "../../include/uapi/fcntl.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { getopt, print, read_text } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * mount — with no arguments the mount table, one line per mount as util-linux and busybox print
 * it ("proc on /proc type proc (rw,nosuid,nodev,noexec,relatime)", from /proc/mounts);
 * `mount [-r] -t TYPE [-o OPT,...] SOURCE DIR` mounts a new tmpfs, proc or sysfs.
 */
const USAGE = "Usage: mount [-r] [-t FSTYPE] [-o OPT] DEVICE NODE";
const HELP = `${USAGE}

Mount a filesystem. Without arguments, show the mounted filesystems.

	-r		Read-only mount
	-t FSTYPE[,...]	Filesystem type (tmpfs, proc, sysfs)
	-o OPT		Mount options: ro, rw, nosuid, nodev, noexec, and the filesystem's own (tmpfs: size=N[kmg%], mode=OCTAL, nr_inodes=N)
`;

const FLAG_OPTS: Readonly<Record<string, number>> = { ro: MS_RDONLY, nosuid: MS_NOSUID, nodev: MS_NODEV, noexec: MS_NOEXEC };

/** /proc/mounts escapes spaces, tabs, newlines and backslashes as octal. */
function unmangle(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export async function mount(argv: readonly string[], sys: Syscalls): Promise<number> {
  const p = getopt(argv, "rat:o:");
  if (typeof p === "string") {
    sys.write(2, `mount: ${p}\n${USAGE}\n`);
    return 1;
  }
  if (p.args.length === 0) {
    const t = read_text(sys, "/proc/mounts");
    if (typeof t === "number") {
      sys.write(2, `mount: /proc/mounts: ${strerror(t)}\n`);
      return 1;
    }
    let out = "";
    for (const line of t.split("\n")) {
      const [dev, dir, type, opts] = line.split(" ");
      if (opts === undefined) continue;
      out += `${unmangle(dev!)} on ${unmangle(dir!)} type ${type} (${opts})\n`;
    }
    print(sys, out);
    return 0;
  }
  if (p.args.length !== 2) {
    sys.write(2, `${USAGE}\n`);
    return 1;
  }
  const [source, dir] = p.args as [string, string];
  const type = p.opts.get("t");
  if (typeof type !== "string") {
    sys.write(2, `mount: ${source}: can't find in /etc/fstab (give the type with -t)\n`);
    return 1;
  }
  let flags = p.opts.has("r") ? MS_RDONLY : 0;
  const data: string[] = [];
  const o = p.opts.get("o");
  for (const opt of typeof o === "string" ? o.split(",") : []) {
    if (opt === "" || opt === "defaults") continue;
    if (opt === "rw") flags &= ~MS_RDONLY;
    else if (Object.hasOwn(FLAG_OPTS, opt)) flags |= FLAG_OPTS[opt]!;
    else data.push(opt);
  }
  const r = sys.mount(source, dir, type, flags, data.join(","));
  if (r < 0) {
    sys.write(2, `mount: mounting ${source} on ${dir} failed: ${strerror(r)}\n`);
    return 1;
  }
  return 0;
}

export const mount_command: Command = {
  name: "mount",
  summary: "list mounts, or mount -t tmpfs|proc|sysfs [-o OPTS] SRC DIR",
  usage: HELP,
  main: mount,
};
