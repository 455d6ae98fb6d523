import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";

/**
 * uname [-amnrspvio] (busybox coreutils/uname.c, coreutils' flags and order): the fields of
 * uname(2) in the order s n r v m p i o. -p and -i are "unknown" (the kernel does not say), and -a
 * leaves them out, as coreutils and busybox do; -o is the operating system's name, this system's
 * own (busybox's CONFIG_UNAME_OSNAME is "GNU/Linux" on Linux).
 */
const USAGE = `Usage: uname [-amnrspvio]

Print system information

	-a	Print all
	-m	Machine (hardware) type
	-n	Hostname
	-r	Kernel release
	-s	Kernel name (default)
	-p	Processor type
	-v	Kernel version
	-i	Hardware platform
	-o	OS name
`;

/** The operating system's name for -o: no GNU and no Linux here. */
export const UNAME_OSNAME = "ringzero";

const ORDER = "snrvmpio";
const LONG: Readonly<Record<string, string>> = {
  all: "a",
  "kernel-name": "s",
  nodename: "n",
  "kernel-release": "r",
  release: "r",
  "kernel-version": "v",
  machine: "m",
  processor: "p",
  "hardware-platform": "i",
  "operating-system": "o",
};

export async function uname(argv: readonly string[], sys: Syscalls): Promise<number> {
  const want = new Set<string>();
  for (const a of argv.slice(1)) {
    if (a.startsWith("--")) {
      const c = LONG[a.slice(2)];
      if (c === undefined) {
        await sys.write(2, `uname: unrecognized option '${a}'\n${USAGE}`);
        return 1;
      }
      want.add(c);
      continue;
    }
    if (!a.startsWith("-") || a === "-") {
      // coreutils 6.9 compat: no operands.
      await sys.write(2, USAGE);
      return 1;
    }
    for (const c of a.slice(1)) {
      if (!"a".concat(ORDER).includes(c)) {
        await sys.write(2, `uname: invalid option -- '${c}'\n${USAGE}`);
        return 1;
      }
      want.add(c);
    }
  }
  const all = want.has("a");
  if (want.size === 0) want.add("s");
  const u = sys.uname();
  const unknown = all ? "" : "unknown";
  const field: Readonly<Record<string, string>> = { s: u.sysname, n: u.nodename, r: u.release, v: u.version, m: u.machine, p: unknown, i: unknown, o: UNAME_OSNAME };
  const parts = [...ORDER].filter((c) => all || want.has(c)).map((c) => field[c]!).filter((v) => v !== "");
  await sys.write(1, parts.join(" ") + "\n");
  return 0;
}

export const uname_command: Command = {
  name: "uname",
  summary: "print system information (-a)",
  usage: USAGE,
  main: uname,
};
