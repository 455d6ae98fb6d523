import { strerror } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print } from "../lib/stdio.ts";

/** dhclient [DEV]: bring DEV (default eth0) up and obtain a lease by DHCP. */
export async function dhclient(argv: readonly string[], sys: Syscalls): Promise<number> {
  const dev = argv[1] ?? "eth0";
  if (argv.length > 2 || dev.startsWith("-")) return fail(sys, "dhclient", "usage: dhclient [DEV]");
  const up = await sys.setlink(dev, { up: true });
  if (up < 0) return fail(sys, "dhclient", up === -19 ? `${dev}: no such interface` : `${dev}: ${strerror(up)}`);
  print(sys, `DHCPDISCOVER on ${dev} to 255.255.255.255 port 67\n`);
  const r = await sys.dhcp(dev);
  if (r < 0) return fail(sys, "dhclient", r === -110 ? "No DHCPOFFERS received." : strerror(r), 2);
  const a = sys.addr_list();
  const mine = typeof a === "number" ? undefined : a.find((x) => x.ifname === dev);
  if (mine !== undefined) print(sys, `bound to ${[mine.addr >>> 24, (mine.addr >>> 16) & 255, (mine.addr >>> 8) & 255, mine.addr & 255].join(".")}\n`);
  return 0;
}
