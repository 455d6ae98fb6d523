import { strerror } from "../../include/linux/errno.ts";
import type { IfChange, IfInfo } from "../../include/uapi/if.ts";
import { inet_aton, inet_ntoa } from "../../include/uapi/in.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { if_flags_text, if_state } from "../lib/net.ts";
import { fail, print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * ip (iproute2): `ip link [show [DEV]]`, `ip -s link`, `ip link set DEV up|down|mtu N|address MAC|promisc on|off|allmulticast on|off`;
 * `ip addr [show [DEV]]`, `ip addr add|del ADDR/PREFIX dev DEV`; `ip route [show]`,
 * `ip route add PREFIX|default [via GW] [dev DEV]`, `ip route del PREFIX|default`; `ip neigh`.
 */
const USAGE = "Usage: ip [-s] { link | addr | route | neigh } [ COMMAND ]";

/**
 * print_link_stats64() of iproute2 6.x: columns start at the width of their header (10 for bytes,
 * "packets", "errors", "dropped", "heartbt", "overrun", "compressed") and grow to fit every number
 * shown; each number is followed by one space. `level` 2 (-s -s) adds the error breakdown lines,
 * with "nohandler" only when it is non-zero, and "transns" (carrier changes).
 */
export function link_stats_lines(i: IfInfo, level: number): string {
  const s = i.stats;
  const cols = [10, 7, 6, 7, 7, 7, 10];
  const size = (...v: number[]): void => v.forEach((n, k) => (cols[k] = Math.max(cols[k]!, String(n).length)));
  size(s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed_errors, s.multicast, 0);
  size(s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, s.tx_carrier_errors, s.collisions, 0);
  if (level > 1) {
    size(0, s.rx_length_errors, s.rx_crc_errors, s.rx_frame_errors, s.rx_fifo_errors, s.rx_over_errors, s.rx_nohandler);
    size(0, s.tx_aborted_errors, s.tx_fifo_errors, s.tx_window_errors, s.tx_heartbeat_errors, i.carrier_changes, 0);
  }
  const c = (k: number): number => cols[k]!;
  const num = (k: number, v: number): string => `${String(v).padStart(c(k))} `;
  const hdr = (labels: string[]): string => labels.map((l, k) => l.padStart(k === 0 ? c(0) - 4 : c(k))).join(" ");
  let out = `    RX: ${hdr(["bytes", "packets", "errors", "dropped", "missed", "mcast", ""])}\n`;
  out += `    ${[s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed_errors, s.multicast].map((v, k) => num(k, v)).join("")}\n`;
  if (level > 1) {
    const nh = s.rx_nohandler !== 0;
    out += `    RX errors:${"".padStart(c(0) - 10)} ${["length", "crc", "frame", "fifo", "overrun"].map((l, k) => l.padStart(c(k + 1))).join(" ")} ${nh ? " nohandler".padStart(c(6) + 1) : ""}\n`;
    out += `${"".padStart(c(0) + 5)}${[s.rx_length_errors, s.rx_crc_errors, s.rx_frame_errors, s.rx_fifo_errors, s.rx_over_errors].map((v, k) => num(k + 1, v)).join("")}${nh ? num(6, s.rx_nohandler) : ""}\n`;
  }
  out += `    TX: ${hdr(["bytes", "packets", "errors", "dropped", "carrier", "collsns", ""])}\n`;
  out += `    ${[s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, s.tx_carrier_errors, s.collisions].map((v, k) => num(k, v)).join("")}\n`;
  if (level > 1) {
    out += `    TX errors:${"".padStart(c(0) - 10)} ${["aborted", "fifo", "window", "heartbt"].map((l, k) => l.padStart(c(k + 1))).join(" ")} ${"transns".padStart(c(5))}\n`;
    out += `${"".padStart(c(0) + 5)}${[s.tx_aborted_errors, s.tx_fifo_errors, s.tx_window_errors, s.tx_heartbeat_errors, i.carrier_changes].map((v, k) => num(k + 1, v)).join("")}\n`;
  }
  return out;
}

function link_lines(i: IfInfo, stats: number): string {
  const brd = i.type === "loopback" ? "00:00:00:00:00:00" : "ff:ff:ff:ff:ff:ff";
  let out = `${i.ifindex}: ${i.name}: ${if_flags_text(i)} mtu ${i.mtu} qdisc noqueue state ${if_state(i)} mode DEFAULT group default\n`;
  out += `    link/${i.type} ${i.mac} brd ${brd}\n`;
  if (stats > 0) out += link_stats_lines(i, stats);
  return out;
}

async function link(args: string[], sys: Syscalls, stats: number): Promise<number> {
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
    const change: IfChange = {};
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
      } else if (w === "promisc" || w === "allmulticast") {
        const v = rest[++k];
        if (v !== "on" && v !== "off") return fail(sys, "ip", `Error: argument of "${w}" must be "on" or "off", not "${v ?? ""}".`, 255);
        if (w === "promisc") change.promisc = v === "on";
        else change.allmulti = v === "on";
      } else return fail(sys, "ip", `Error: either "dev" is duplicate, or "${w}" is a garbage.`, 255);
    }
    const r = await sys.setlink(dev, change);
    if (r === -19) return fail(sys, "ip", `Cannot find device "${dev}"`, 1);
    if (r < 0) return fail(sys, "ip", `RTNETLINK answers: ${strerror(r)}`, 2);
    return 0;
  }
  return fail(sys, "ip", `Command "${sub}" is unknown, try "ip link help".`, 255);
}

function parse_prefix(s: string): [number, number] | null {
  if (s === "default") return [0, 0];
  const m = /^([\d.]+)(?:\/(\d+))?$/.exec(s);
  const a = m ? inet_aton(m[1]!) : null;
  const p = m?.[2] === undefined ? 32 : Number(m[2]);
  return a === null || p > 32 ? null : [a, p];
}

function addr(args: string[], sys: Syscalls): number | Promise<number> {
  const sub = args[0] ?? "show";
  if (sub === "show" || sub === "list" || sub === "ls") {
    const links = sys.getlinks();
    const addrs = sys.addr_list();
    if (typeof links === "number" || typeof addrs === "number") return fail(sys, "ip", `cannot list addresses: ${strerror(typeof links === "number" ? links : (addrs as number))}`);
    const dev = args[1] === "dev" ? args[2] : args[1];
    if (dev !== undefined && !links.some((l) => l.name === dev)) return fail(sys, "ip", `Device "${dev}" does not exist.`);
    let out = "";
    for (const l of links.filter((x) => dev === undefined || x.name === dev)) {
      out += link_lines(l, 0).replace(" mode DEFAULT group default", " group default qlen 1000");
      for (const a of addrs.filter((x) => x.ifname === l.name)) {
        const scope = (a.addr >>> 24) === 127 ? "host" : "global";
        out += `    inet ${inet_ntoa(a.addr)}/${a.prefix}${scope === "global" ? ` brd ${inet_ntoa(a.broadcast)}` : ""} scope ${scope} ${l.name}\n`;
      }
    }
    print(sys, out);
    return 0;
  }
  if (sub === "add" || sub === "del") {
    const p = args[1] === undefined ? null : parse_prefix(args[1]);
    const dev = args[2] === "dev" ? args[3] : undefined;
    if (p === null || dev === undefined) return fail(sys, "ip", `Usage: ip addr ${sub} ADDR/PREFIX dev DEV`, 255);
    const r = sub === "add" ? sys.addr_add(dev, p[0], p[1]) : sys.addr_del(dev, p[0], p[1]);
    if (r === -19) return fail(sys, "ip", `Cannot find device "${dev}"`, 1);
    if (r < 0) return fail(sys, "ip", `RTNETLINK answers: ${strerror(r)}`, 2);
    return 0;
  }
  return fail(sys, "ip", `Command "${sub}" is unknown, try "ip addr help".`, 255);
}

function route(args: string[], sys: Syscalls): number {
  const sub = args[0] ?? "show";
  if (sub === "show" || sub === "list" || sub === "ls") {
    const routes = sys.route_list();
    if (typeof routes === "number") return fail(sys, "ip", `cannot list routes: ${strerror(routes)}`);
    let out = "";
    for (const r of [...routes].sort((a, b) => a.prefix - b.prefix)) {
      const dst = r.prefix === 0 ? "default" : `${inet_ntoa(r.dst)}/${r.prefix}`;
      out += r.gateway !== 0 ? `${dst} via ${inet_ntoa(r.gateway)} dev ${r.ifname} proto ${r.proto}\n` : `${dst} dev ${r.ifname} proto kernel scope link src ${inet_ntoa(r.src)}\n`;
    }
    print(sys, out);
    return 0;
  }
  if (sub === "add" || sub === "del") {
    const p = args[1] === undefined ? null : parse_prefix(args[1]);
    if (p === null) return fail(sys, "ip", `Usage: ip route ${sub} PREFIX|default [via GW] [dev DEV]`, 255);
    if (sub === "del") {
      const r = sys.route_del(p[0], p[1]);
      return r < 0 ? fail(sys, "ip", `RTNETLINK answers: ${r === -3 ? "No such process" : strerror(r)}`, 2) : 0;
    }
    let gw = 0;
    let dev: string | null = null;
    for (let i = 2; i < args.length; i += 2) {
      if (args[i] === "via") {
        const g = inet_aton(args[i + 1] ?? "");
        if (g === null) return fail(sys, "ip", `Error: inet address is expected rather than "${args[i + 1] ?? ""}".`, 255);
        gw = g;
      } else if (args[i] === "dev" && args[i + 1] !== undefined) dev = args[i + 1]!;
      else return fail(sys, "ip", `Error: either "to" is duplicate, or "${args[i]}" is a garbage.`, 255);
    }
    const r = sys.route_add(p[0], p[1], gw, dev);
    if (r === -19) return fail(sys, "ip", `Cannot find device "${dev}"`, 1);
    if (r < 0) return fail(sys, "ip", `RTNETLINK answers: ${strerror(r)}`, 2);
    return 0;
  }
  return fail(sys, "ip", `Command "${sub}" is unknown, try "ip route help".`, 255);
}

function neigh(args: string[], sys: Syscalls): number {
  if (args.length > 0 && args[0] !== "show" && args[0] !== "list") return fail(sys, "ip", `Command "${args[0]}" is unknown, try "ip neigh help".`, 255);
  const n = sys.neigh_list();
  if (typeof n === "number") return fail(sys, "ip", `cannot list neighbours: ${strerror(n)}`);
  print(sys, n.map((e) => `${inet_ntoa(e.addr)} dev ${e.ifname} ${e.mac ? `lladdr ${e.mac} ` : ""}${e.state}\n`).join(""));
  return 0;
}

export async function ip(argv: readonly string[], sys: Syscalls): Promise<number> {
  let args = argv.slice(1);
  let stats = 0;
  while (args[0]?.startsWith("-")) {
    if (args[0] === "-s" || args[0] === "-stats" || args[0] === "-statistics") stats++;
    else return fail(sys, "ip", `Option "${args[0]}" is unknown, try "ip -help".`, 255);
    args = args.slice(1);
  }
  const obj = args[0];
  if (obj === undefined) return fail(sys, "ip", USAGE, 255);
  if ("link".startsWith(obj)) return link(args.slice(1), sys, stats);
  if ("address".startsWith(obj)) return addr(args.slice(1), sys);
  if ("route".startsWith(obj)) return route(args.slice(1), sys);
  if ("neighbour".startsWith(obj) || obj === "neighbor") return neigh(args.slice(1), sys);
  return fail(sys, "ip", `Object "${obj}" is unknown, try "ip help".`, 255);
}

export const ip_command: Command = {
  name: "ip",
  summary: "ip link | addr | route | neigh (show, set, add, del)",
  usage: `${USAGE}\n`,
  main: ip,
};
