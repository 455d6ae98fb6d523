import { strerror } from "../../include/linux/errno.ts";
import { inet_ntoa } from "../../include/uapi/in.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** arp [-n]: the ARP cache in net-tools' layout (addresses are always numeric here). */
export async function arp(argv: readonly string[], sys: Syscalls): Promise<number> {
  for (const a of argv.slice(1)) if (a !== "-n" && a !== "-a") return fail(sys, "arp", `invalid option '${a}' (only -n and -a)`);
  const n = sys.neigh_list();
  if (typeof n === "number") return fail(sys, "arp", strerror(n));
  let out = "Address                  HWtype  HWaddress           Flags Mask            Iface\n";
  for (const e of n) {
    const hw = e.mac === "" ? "(incomplete)" : e.mac;
    out += `${inet_ntoa(e.addr).padEnd(25)}${e.mac === "" ? "".padEnd(8) : "ether   "}${hw.padEnd(20)}${e.mac === "" ? "" : "C"}${"".padEnd(e.mac === "" ? 22 : 21)}${e.ifname}\n`;
  }
  print(sys, out);
  return 0;
}

export const arp_command: Command = {
  name: "arp",
  summary: "the ARP cache (-n)",
  usage: "Usage: arp\n\nThe ARP cache (-n).\n",
  main: arp,
};
