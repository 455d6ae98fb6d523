import { strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print, read_text } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/* ATF_* (include/uapi/linux/if_arp.h): the Flags column of /proc/net/arp. */
const ATF_COM = 0x02;
const ATF_PERM = 0x04;
const ATF_PUBL = 0x08;
const ATF_USETRAILERS = 0x10;
const ATF_NETMASK = 0x20;
const ATF_DONTPUB = 0x40;
const ATF_MAGIC = 0x80;

/** net-tools' hardware types by ARPHRD_* number: the name arp prints ([ether]). */
const HW_NAMES: Readonly<Record<number, string>> = { 1: "ether", 772: "loop" };

/** One line of /proc/net/arp, as arp_show's sscanf("%s 0x%x 0x%x %99s %99s %99s") takes it. */
interface ArpLine {
  ip: string;
  type: number;
  flags: number;
  hwa: string;
  mask: string;
  dev: string;
}

/** printf("%-W.Ps") */
function col(s: string, w: number): string {
  return s.slice(0, w).padEnd(w);
}

/** arp_disp_2(): the table (default, -e, -n). `title` says whether the header is still due. */
function arp_disp_2(e: ArpLine, title: boolean): string {
  let out = title ? "Address                  HWtype  HWaddress           Flags Mask            Iface\n" : "";
  let flags = "";
  if (e.flags & ATF_COM) flags += "C";
  if (e.flags & ATF_PERM) flags += "M";
  if (e.flags & ATF_PUBL) flags += "P";
  if (e.flags & ATF_MAGIC) flags += "A";
  if (e.flags & ATF_DONTPUB) flags += "!";
  if (e.flags & ATF_USETRAILERS) flags += "T";
  const mask = e.flags & ATF_NETMASK ? e.mask : "";
  out += `${col(e.ip, 23)}  `;
  if (!(e.flags & ATF_COM)) out += e.flags & ATF_PUBL ? `${col("*", 8)}${col("<from_interface>", 20)}` : `${col("", 8)}${col("(incomplete)", 20)}`;
  else out += `${col(HW_NAMES[e.type] ?? "ether", 8)}${col(e.hwa, 20)}`;
  return `${out}${col(flags, 6)}${col(mask, 15)} ${e.dev}\n`;
}

/** arp_disp(): the BSD style of -a, "? (10.0.2.2) at 52:55:0a:00:02:02 [ether] on eth0". */
function arp_disp(e: ArpLine): string {
  let out = `? (${e.ip}) at `;
  if (!(e.flags & ATF_COM)) out += e.flags & ATF_PUBL ? "<from_interface> " : "<incomplete> ";
  else out += `${e.hwa} [${HW_NAMES[e.type] ?? "ether"}] `;
  if (e.flags & ATF_NETMASK) out += `netmask ${e.mask} `;
  if (e.flags & ATF_PERM) out += "PERM ";
  if (e.flags & ATF_PUBL) out += "PUB ";
  if (e.flags & ATF_MAGIC) out += "AUTO ";
  if (e.flags & ATF_DONTPUB) out += "DONTPUB ";
  if (e.flags & ATF_USETRAILERS) out += "TRAILERS ";
  return `${out}on ${e.dev}\n`;
}

/**
 * arp (net-tools 2.10), the showing half: the kernel's ARP cache read from /proc/net/arp, as
 * arp_show does. `arp` / `arp -e` / `arp -n`: the table; `arp -a`: BSD style. `-i IF` keeps one
 * interface's entries, a host operand one address. Names are not looked up (as with -n), so the
 * table shows addresses and -a shows "?". No header is printed for an empty cache; a filter that
 * matches nothing says so.
 */
export async function arp(argv: readonly string[], sys: Syscalls): Promise<number> {
  let bsd = false;
  let device = "";
  let host = "";
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-i" || a === "--device") {
      const v = args[++i];
      if (v === undefined) return fail(sys, "arp", "option requires an argument -- 'i'");
      device = v;
    } else if (/^-[aenv]+$/.test(a)) {
      if (a.includes("a")) bsd = true;
      if (a.includes("e")) bsd = false;
    } else if (a.startsWith("-")) return fail(sys, "arp", `invalid option -- '${a.slice(1, 2)}'`);
    else if (host === "") host = a;
    else return fail(sys, "arp", `invalid argument '${a}'`);
  }
  const text = read_text(sys, "/proc/net/arp");
  if (typeof text === "number") return fail(sys, "/proc/net/arp", strerror(text));
  const lines = text.split("\n");
  let out = "";
  let entries = 0;
  let showed = 0;
  for (const line of lines.slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^0x[0-9a-f]+$/i.test(f[1]!) || !/^0x[0-9a-f]+$/i.test(f[2]!)) break;
    const e: ArpLine = { ip: f[0]!, type: parseInt(f[1]!, 16), flags: parseInt(f[2]!, 16), hwa: f[3]!, mask: f[4] ?? "-", dev: f[5] ?? "-" };
    entries++;
    if (host !== "" && e.ip !== host) continue;
    if (device !== "" && e.dev !== device) continue;
    out += bsd ? arp_disp(e) : arp_disp_2(e, showed === 0);
    showed++;
  }
  if (showed === 0) {
    if (host !== "" && !bsd) out += `${host} (${host}) -- no entry\n`;
    else if (host !== "" || device !== "") out += `arp: in ${entries} entries no match found.\n`;
  }
  await print(sys, out);
  return 0;
}

export const arp_command: Command = {
  name: "arp",
  summary: "the ARP cache (-a BSD style, -n numeric, -i IF)",
  usage: "Usage: arp [-a|-e] [-n] [-i IF] [HOST]\n\nShow the ARP cache from /proc/net/arp: a table (default), or -a in BSD style.\n",
  main: arp,
};
