import { strerror } from "../../include/linux/errno.ts";
import { IFF_UP } from "../../include/net/netdevice.ts";
import { inet_aton, inet_ntoa, prefix_mask } from "../../include/uapi/in.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { if_flags_text } from "../lib/net.ts";
import { fail, print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * ifconfig (net-tools): show interfaces; `ifconfig DEV up|down`; `ifconfig DEV ADDR [netmask M]`.
 */
export async function ifconfig(argv: readonly string[], sys: Syscalls): Promise<number> {
  const links = sys.getlinks();
  const addrs = sys.addr_list();
  if (typeof links === "number" || typeof addrs === "number") return fail(sys, "ifconfig", strerror(typeof links === "number" ? links : (addrs as number)));
  const args = argv.slice(1);
  const name = args[0];
  if (name !== undefined && !links.some((l) => l.name === name)) return fail(sys, "ifconfig", `${name}: error fetching interface information: Device not found`);
  if (args.length >= 2) {
    const what = args[1]!;
    if (what === "up" || what === "down") {
      const r = await sys.setlink(name!, { up: what === "up" });
      return r < 0 ? fail(sys, "ifconfig", `SIOCSIFFLAGS: ${strerror(r)}`) : 0;
    }
    const addr = inet_aton(what);
    if (addr === null) return fail(sys, "ifconfig", `${what}: Unknown host`);
    let prefix = 24;
    if (args[2] === "netmask") {
      const m = inet_aton(args[3] ?? "");
      if (m === null) return fail(sys, "ifconfig", `${args[3] ?? ""}: Unknown host`);
      prefix = 0;
      while (prefix < 32 && (m & (0x80000000 >>> prefix)) !== 0) prefix++;
      if (prefix_mask(prefix) !== m) return fail(sys, "ifconfig", `${args[3]}: not a contiguous netmask`);
    }
    for (const a of addrs.filter((x) => x.ifname === name)) sys.addr_del(name!, a.addr, a.prefix);
    const r = sys.addr_add(name!, addr, prefix);
    if (r < 0) return fail(sys, "ifconfig", `SIOCSIFADDR: ${strerror(r)}`);
    return (await sys.setlink(name!, { up: true })) < 0 ? 1 : 0;
  }
  let out = "";
  for (const l of links.filter((x) => name === undefined || x.name === name)) {
    if (name === undefined && !(l.flags & IFF_UP)) continue;
    out += `${l.name}: flags=${l.flags & 0xffff}${if_flags_text(l)}  mtu ${l.mtu}\n`;
    for (const a of addrs.filter((x) => x.ifname === l.name)) out += `        inet ${inet_ntoa(a.addr)}  netmask ${inet_ntoa(prefix_mask(a.prefix))}${(a.addr >>> 24) === 127 ? "" : `  broadcast ${inet_ntoa(a.broadcast)}`}\n`;
    out += l.type === "loopback" ? "        loop  txqueuelen 1000  (Local Loopback)\n" : `        ether ${l.mac}  txqueuelen 1000  (Ethernet)\n`;
    const s = l.stats;
    out += `        RX packets ${s.rx_packets}  bytes ${s.rx_bytes}\n        RX errors ${s.rx_errors}  dropped ${s.rx_dropped}  overruns ${s.rx_over_errors}  frame ${s.rx_frame_errors}\n`;
    out += `        TX packets ${s.tx_packets}  bytes ${s.tx_bytes}\n        TX errors ${s.tx_errors}  dropped ${s.tx_dropped} overruns 0  carrier ${s.tx_carrier_errors}  collisions ${s.collisions}\n\n`;
  }
  print(sys, out);
  return 0;
}

export const ifconfig_command: Command = {
  name: "ifconfig",
  summary: "interfaces; ifconfig DEV up|down|ADDR [netmask M]",
  usage: "Usage: ifconfig\n\nInterfaces; ifconfig DEV up|down|ADDR [netmask M].\n",
  main: ifconfig,
};
