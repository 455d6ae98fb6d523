import { strerror } from "../../include/linux/errno.ts";
import type { IfInfo } from "../../include/uapi/if.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { if_flags_text, if_state } from "../lib/net.ts";
import { fail, print } from "../lib/stdio.ts";

/**
 * ip (iproute2), the link object: `ip link [show [DEV]]`, `ip -s link`, and
 * `ip link set DEV up|down|mtu N|address MAC`.
 */
const USAGE = "Usage: ip [-s] link [show [DEV]] | ip link set DEV { up | down | mtu N | address LLADDR }";

function link_lines(i: IfInfo, stats: boolean): string {
  const brd = i.type === "loopback" ? "00:00:00:00:00:00" : "ff:ff:ff:ff:ff:ff";
  let out = `${i.ifindex}: ${i.name}: ${if_flags_text(i)} mtu ${i.mtu} qdisc noqueue state ${if_state(i)} mode DEFAULT group default\n`;
  out += `    link/${i.type} ${i.mac} brd ${brd}\n`;
  if (stats) {
    const s = i.stats;
    out += "    RX:  bytes packets errors dropped  missed   mcast\n";
    out += `    ${[s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed_errors, s.multicast].map((v, k) => String(v).padStart(k === 0 ? 10 : 7)).join(" ")}\n`;
    out += "    TX:  bytes packets errors dropped carrier collsns\n";
    out += `    ${[s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, s.tx_carrier_errors, s.collisions].map((v, k) => String(v).padStart(k === 0 ? 10 : 7)).join(" ")}\n`;
  }
  return out;
}

async function link(args: string[], sys: Syscalls, stats: boolean): Promise<number> {
  const sub = args[0] ?? "show";
  if (sub === "show" || sub === "list" || sub === "ls") {
    const links = sys.getlinks();
    if (typeof links === "number") return fail(sys, "ip", `cannot list links: ${strerror(links)}`);
    const dev = args[1] === "dev" ? args[2] : args[1];
    const shown = dev === undefined ? links : links.filter((l) => l.name === dev);
    if (dev !== undefined && shown.length === 0) return fail(sys, "ip", `Device "${dev}" does not exist.`);
    print(sys, shown.map((l) => link_lines(l, stats)).join(""));
    return 0;
  }
  if (sub === "set") {
    let dev = args[1];
    let rest = args.slice(2);
    if (dev === "dev") {
      dev = args[2];
      rest = args.slice(3);
    }
    if (dev === undefined || rest.length === 0) return fail(sys, "ip", USAGE, 255);
    const change: { up?: boolean; mtu?: number; mac?: string } = {};
    for (let k = 0; k < rest.length; k++) {
      const w = rest[k]!;
      if (w === "up") change.up = true;
      else if (w === "down") change.up = false;
      else if (w === "mtu") {
        const n = Number(rest[++k]);
        if (!Number.isInteger(n)) return fail(sys, "ip", `Error: argument "${rest[k] ?? ""}" is wrong: Invalid "mtu" value`, 255);
        change.mtu = n;
      } else if (w === "address") {
        const mac = rest[++k];
        if (mac === undefined || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) return fail(sys, "ip", `Error: "${mac ?? ""}" is not a valid link-layer address.`, 255);
        change.mac = mac;
      } else return fail(sys, "ip", `Error: either "dev" is duplicate, or "${w}" is a garbage.`, 255);
    }
    const r = await sys.setlink(dev, change);
    if (r === -19) return fail(sys, "ip", `Cannot find device "${dev}"`, 1);
    if (r < 0) return fail(sys, "ip", `RTNETLINK answers: ${strerror(r)}`, 2);
    return 0;
  }
  return fail(sys, "ip", `Command "${sub}" is unknown, try "ip link help".`, 255);
}

export async function ip(argv: readonly string[], sys: Syscalls): Promise<number> {
  let args = argv.slice(1);
  let stats = false;
  while (args[0]?.startsWith("-")) {
    if (args[0] === "-s" || args[0] === "-stats") stats = true;
    else return fail(sys, "ip", `Option "${args[0]}" is unknown, try "ip -help".`, 255);
    args = args.slice(1);
  }
  const obj = args[0];
  if (obj === undefined) return fail(sys, "ip", USAGE, 255);
  if ("link".startsWith(obj)) return link(args.slice(1), sys, stats);
  return fail(sys, "ip", `Object "${obj}" is unknown, try "ip help".`, 255);
}
