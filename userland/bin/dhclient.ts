import { strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * dhclient [DEV]: bring DEV (default eth0) up and obtain a lease by DHCP. With an address on DEV
 * (a lease it holds) the kernel first REQUESTs that address again (INIT-REBOOT), and starts over
 * with DISCOVER if the server refuses or does not answer.
 */
export async function dhclient(argv: readonly string[], sys: Syscalls): Promise<number> {
  const dev = argv[1] ?? "eth0";
  if (argv.length > 2 || dev.startsWith("-")) return fail(sys, "dhclient", "usage: dhclient [DEV]");
  const up = await sys.setlink(dev, { up: true });
  if (up < 0) return fail(sys, "dhclient", up === -19 ? `${dev}: no such interface` : `${dev}: ${strerror(up)}`);
  const dotted = (a: number): string => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join(".");
  const held = addr_on(sys, dev);
  if (held !== undefined) print(sys, `DHCPREQUEST for ${dotted(held)} on ${dev} to 255.255.255.255 port 67\n`);
  else print(sys, `DHCPDISCOVER on ${dev} to 255.255.255.255 port 67\n`);
  const r = await sys.dhcp(dev);
  if (r < 0) return fail(sys, "dhclient", r === -110 ? "No DHCPOFFERS received." : strerror(r), 2);
  const mine = addr_on(sys, dev);
  if (mine !== undefined) print(sys, `bound to ${dotted(mine)}\n`);
  return 0;
}

/** The IPv4 address on `dev`, if it has one. */
function addr_on(sys: Syscalls, dev: string): number | undefined {
  const a = sys.addr_list();
  return typeof a === "number" ? undefined : a.find((x) => x.ifname === dev)?.addr;
}

export const dhclient_command: Command = {
  name: "dhclient",
  summary: "get an address by DHCP: dhclient [DEV]",
  usage: "Usage: dhclient [DEV]\n\nGet an address by DHCP.\n",
  main: dhclient,
};
