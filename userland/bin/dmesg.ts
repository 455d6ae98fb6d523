import { strerror } from "../../include/linux/errno.ts";
import { SYSLOG_ACTION_CLEAR, SYSLOG_ACTION_CONSOLE_LEVEL, SYSLOG_ACTION_READ_ALL, SYSLOG_ACTION_READ_CLEAR, SYSLOG_ACTION_SIZE_BUFFER, type Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";

/**
 * dmesg [-cCr] [-n LEVEL] [-s SIZE] (busybox util-linux/dmesg.c over syslog(2)): the kernel log
 * since the last clear, without the "<level>" prefixes unless -r. -c reads and clears, -C (as
 * util-linux's) clears without printing, -n sets the console log level.
 */
const USAGE = `Usage: dmesg [-cCr] [-n LEVEL] [-s SIZE]

Print or control the kernel ring buffer

	-c		Clear ring buffer after printing
	-C		Clear ring buffer without printing
	-n LEVEL	Set console logging level
	-s SIZE		Buffer size
	-r		Print raw message buffer
`;

/** xatoi_positive(): a decimal number ≥ 0, or null. */
function positive(s: string): number | null {
  return /^\d+$/.test(s) && Number(s) <= 0x7fffffff ? Number(s) : null;
}

async function usage_error(sys: Syscalls, msg: string): Promise<number> {
  await sys.write(2, `dmesg: ${msg}\n${USAGE}`);
  return 1;
}

/** bb_simple_perror_msg_and_die("klogctl"). */
async function klogctl_failed(sys: Syscalls, r: number): Promise<number> {
  await sys.write(2, `dmesg: klogctl: ${strerror(r)}\n`);
  return 1;
}

export async function dmesg(argv: readonly string[], sys: Syscalls): Promise<number> {
  let clear = false;
  let clear_only = false;
  let raw = false;
  let level: number | null = null;
  let size: number | null = null;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-") || a === "-") continue; // busybox ignores operands
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (c === "c") clear = true;
      else if (c === "C") clear_only = true;
      else if (c === "r") raw = true;
      else if (c === "n" || c === "s") {
        const v = a.length > j + 1 ? a.slice(j + 1) : argv[++i];
        if (v === undefined) return usage_error(sys, `option requires an argument -- '${c}'`);
        const n = positive(v);
        if (n === null) {
          await sys.write(2, `dmesg: invalid number '${v}'\n`);
          return 1;
        }
        if (c === "n") level = n;
        else size = n;
        break;
      } else return usage_error(sys, `invalid option -- '${c}'`);
    }
  }
  if (level !== null) {
    const r = sys.syslog(SYSLOG_ACTION_CONSOLE_LEVEL, level);
    return typeof r === "number" && r < 0 ? klogctl_failed(sys, r) : 0;
  }
  if (clear_only) {
    const r = sys.syslog(SYSLOG_ACTION_CLEAR);
    return typeof r === "number" && r < 0 ? klogctl_failed(sys, r) : 0;
  }
  let len = size ?? sys.syslog(SYSLOG_ACTION_SIZE_BUFFER);
  if (typeof len !== "number" || len < 16 * 1024) len = 16 * 1024;
  len = Math.min(len, 16 * 1024 * 1024);
  const buf = sys.syslog(clear ? SYSLOG_ACTION_READ_CLEAR : SYSLOG_ACTION_READ_ALL, len);
  if (typeof buf === "number") return buf < 0 ? klogctl_failed(sys, buf) : 0;
  if (buf === "") return 0;
  // Skip "<N>" at the start of each line (FEATURE_DMESG_PRETTY).
  const text = raw ? buf : buf.replace(/^<[^>\n]*>/gm, "");
  await sys.write(1, text.endsWith("\n") ? text : `${text}\n`);
  return 0;
}

export const dmesg_command: Command = {
  name: "dmesg",
  summary: "print or control the kernel ring buffer",
  usage: USAGE,
  main: dmesg,
};
