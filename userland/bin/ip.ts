import { strerror } from "../../include/linux/errno.ts";
import { IFF_UP } from "../../include/net/netdevice.ts";
import type { IfChange, IfInfo } from "../../include/uapi/if.ts";
import { inet_aton, inet_ntoa, prefix_mask } from "../../include/uapi/in.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { addr_lines, link_header, link_stats_lines } from "../lib/ipaddress.ts";
import { do_ipneigh } from "../lib/ipneigh.ts";
import { print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/** usage() of ip/ip.c (iproute2 6.1), on stderr with exit status 255. */
const USAGE =
  "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n" +
  "       ip [ -force ] -batch filename\n" +
  "where  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp |\n" +
  "                   link | macsec | maddress | monitor | mptcp | mroute | mrule |\n" +
  "                   neighbor | neighbour | netconf | netns | nexthop | ntable |\n" +
  "                   ntbl | route | rule | sr | tap | tcpmetrics |\n" +
  "                   token | tunnel | tuntap | vrf | xfrm }\n" +
  "       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |\n" +
  "                    -h[uman-readable] | -iec | -j[son] | -p[retty] |\n" +
  "                    -f[amily] { inet | inet6 | mpls | bridge | link } |\n" +
  "                    -4 | -6 | -M | -B | -0 |\n" +
  "                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |\n" +
  "                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |\n" +
  "                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |\n" +
  "                    -c[olor]}\n";

/** One line on stderr, as iproute2 prints its complaints; returns `status`. */
function err(sys: Syscalls, line: string, status: number): number {
  sys.write(2, `${line}\n`);
  return status;
}

/** matches(): `word` is a beginning of `full` (iproute2 lets every keyword be cut short). */
function matches(word: string | undefined, full: string): boolean {
  return word !== undefined && word.length > 0 && full.startsWith(word);
}

function incomplete(sys: Syscalls): number {
  return err(sys, 'Command line is not complete. Try option "help"', 255);
}

/** The links, or the one `dev` names (with iproute2's message when it does not exist). */
function pick_links(sys: Syscalls, dev: string | undefined): IfInfo[] | number {
  const links = sys.getlinks();
  if (typeof links === "number") return err(sys, `Cannot send link get request: ${strerror(links)}`, 1);
  if (dev === undefined) return links;
  const one = links.filter((l) => l.name === dev);
  return one.length === 0 ? err(sys, `Device "${dev}" does not exist.`, 1) : one;
}

/** The device a show command names: `[dev] DEV`, and whether `up` was given. */
function show_args(args: string[]): { dev: string | undefined; up: boolean } {
  let dev: string | undefined;
  let up = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "dev") dev = args[++i];
    else if (args[i] === "up") up = true;
    else dev = args[i];
  }
  return { dev, up };
}

async function link(args: string[], sys: Syscalls, stats: number): Promise<number> {
  const sub = args[0];
  if (sub === undefined || matches(sub, "show") || matches(sub, "lst") || matches(sub, "list")) {
    const a = show_args(args.slice(1));
    const links = pick_links(sys, a.dev);
    if (typeof links === "number") return links;
    let out = "";
    for (const l of links) if (!a.up || l.flags & IFF_UP) out += link_header(l, true) + (stats > 0 ? link_stats_lines(l, stats) : "");
    await print(sys, out);
    return 0;
  }
  if (matches(sub, "set") || matches(sub, "change")) {
    let dev = args[1];
    let rest = args.slice(2);
    if (dev === "dev") {
      dev = args[2];
      rest = args.slice(3);
    }
    if (dev === undefined) return err(sys, 'Not enough information: "dev" argument is required.', 255);
    const change: IfChange = {};
    for (let k = 0; k < rest.length; k++) {
      const w = rest[k]!;
      if (w === "up") change.up = true;
      else if (w === "down") change.up = false;
      else if (w === "mtu") {
        const n = Number(rest[++k]);
        if (!Number.isInteger(n)) return err(sys, `Error: argument "${rest[k] ?? ""}" is wrong: Invalid "mtu" value`, 255);
        change.mtu = n;
      } else if (matches(w, "address")) {
        const mac = rest[++k];
        if (mac === undefined || !/^([0-9a-f]{1,2}:){5}[0-9a-f]{1,2}$/i.test(mac)) return err(sys, `"${mac ?? ""}" is invalid lladdr.`, 255);
        change.mac = mac;
      } else if (w === "promisc" || w === "allmulticast") {
        const v = rest[++k];
        if (v !== "on" && v !== "off") return err(sys, `Error: argument of "${w}" must be "on" or "off", not "${v ?? ""}"`, 255);
        if (w === "promisc") change.promisc = v === "on";
        else change.allmulti = v === "on";
      } else return err(sys, `Error: either "dev" is duplicate, or "${w}" is a garbage.`, 255);
    }
    const r = await sys.setlink(dev, change);
    if (r === -19) return err(sys, `Cannot find device "${dev}"`, 1);
    if (r < 0) return err(sys, `RTNETLINK answers: ${strerror(r)}`, 2);
    return 0;
  }
  return err(sys, `Command "${sub}" is unknown, try "ip link help".`, 255);
}

/** get_prefix(): "10.0.2.15/24" (or a bare address, /32), or null. */
function parse_prefix(s: string): [number, number] | null {
  if (s === "default" || s === "all" || s === "any") return [0, 0];
  const m = /^([\d.]+)(?:\/(\d+))?$/.exec(s);
  const a = m ? inet_aton(m[1]!) : null;
  const p = m?.[2] === undefined ? 32 : Number(m[2]);
  return a === null || p > 32 ? null : [a, p];
}

/** addr_add with RTM_NEWADDR's IFA_BROADCAST (0: none) — a kernel without it picks SIOCSIFADDR's. */
type AddrAdd = (ifname: string, addr: number, prefix: number, broadcast?: number) => number;

async function addr(args: string[], sys: Syscalls, stats: number): Promise<number> {
  const sub = args[0];
  if (sub === undefined || matches(sub, "show") || matches(sub, "lst") || matches(sub, "list")) {
    const a = show_args(args.slice(1));
    const links = pick_links(sys, a.dev);
    if (typeof links === "number") return links;
    const addrs = sys.addr_list();
    const inet = typeof addrs === "number" ? [] : addrs;
    let out = "";
    for (const l of links) {
      if (a.up && !(l.flags & IFF_UP)) continue;
      out += link_header(l, false);
      for (const x of inet.filter((y) => y.ifname === l.name)) out += addr_lines(x);
      if (stats > 0) out += link_stats_lines(l, stats);
    }
    await print(sys, out);
    return 0;
  }
  const del = matches(sub, "delete");
  if (matches(sub, "add") || del) {
    let local: [number, number] | null = null;
    let dev: string | null = null;
    let brd: number | "+" | null = null;
    for (let i = 1; i < args.length; i++) {
      const w = args[i]!;
      if (w === "dev") {
        const v = args[++i];
        if (v === undefined) return incomplete(sys);
        dev = v;
      } else if (matches(w, "broadcast") || w === "brd") {
        const v = args[++i];
        if (v === undefined) return incomplete(sys);
        const b = v === "+" ? "+" : v === "-" ? 0 : inet_aton(v);
        if (b === null) return err(sys, `Error: inet address is expected rather than "${v}".`, 1);
        brd = b;
      } else {
        const v = w === "local" ? args[++i] : w;
        if (v === undefined) return incomplete(sys);
        if (local !== null) return err(sys, `Error: either "local" is duplicate, or "${v}" is a garbage.`, 255);
        local = parse_prefix(v);
        if (local === null) return err(sys, `Error: any valid prefix is expected rather than "${v}".`, 1);
      }
    }
    if (dev === null) return err(sys, 'Not enough information: "dev" argument is required.', 255);
    if (local === null) return err(sys, "Not enough information: address argument is required.", 255);
    const links = sys.getlinks();
    if (typeof links !== "number" && !links.some((l) => l.name === dev)) return err(sys, `Cannot find device "${dev}"`, 1);
    const [a, p] = local;
    let r: number;
    if (del) r = sys.addr_del(dev, a, p);
    else {
      // `brd +`: the subnet's all-ones address; no brd: none.
      const b = brd === "+" ? (p < 31 ? ((a & prefix_mask(p)) | (~prefix_mask(p) >>> 0)) >>> 0 : 0) : (brd ?? 0);
      r = (sys.addr_add as AddrAdd)(dev, a, p, b);
    }
    if (r === -19) return err(sys, `Cannot find device "${dev}"`, 1);
    if (r < 0) return err(sys, `RTNETLINK answers: ${strerror(r)}`, 2);
    return 0;
  }
  return err(sys, `Command "${sub}" is unknown, try "ip address help".`, 255);
}

/**
 * print_route() for the main table: "default via 10.0.2.2 dev eth0 proto dhcp " — a /32 without
 * its length, proto left out when it is boot (what `ip route add` gives), scope link for routes
 * without a gateway, src for the connected ones, linkdown when the device has no carrier. Every
 * line ends in a space, as iproute2's does. Routes on a device that is down are not in the table.
 */
function route_line(r: { dst: number; prefix: number; gateway: number; ifname: string; src: number; proto: string }, link: IfInfo | undefined): string {
  let out = r.prefix === 0 ? "default " : r.prefix === 32 ? `${inet_ntoa(r.dst)} ` : `${inet_ntoa(r.dst)}/${r.prefix} `;
  if (r.gateway !== 0) out += `via ${inet_ntoa(r.gateway)} `;
  out += `dev ${r.ifname} `;
  if (r.proto !== "boot") out += `proto ${r.proto} `;
  if (r.gateway === 0) out += "scope link ";
  if (r.proto === "kernel" && r.src !== 0) out += `src ${inet_ntoa(r.src)} `;
  if (link !== undefined && link.type !== "loopback" && !link.carrier) out += "linkdown ";
  return `${out}\n`;
}

async function route(args: string[], sys: Syscalls): Promise<number> {
  const sub = args[0];
  if (sub === undefined || matches(sub, "list") || matches(sub, "show") || matches(sub, "lst")) {
    const routes = sys.route_list();
    if (typeof routes === "number") return err(sys, `Cannot send dump request: ${strerror(routes)}`, 1);
    const links = sys.getlinks();
    const all = typeof links === "number" ? [] : links;
    let out = "";
    for (const r of routes) {
      const l = all.find((x) => x.name === r.ifname);
      if (l !== undefined && !(l.flags & IFF_UP)) continue;
      out += route_line(r, l);
    }
    await print(sys, out);
    return 0;
  }
  const del = matches(sub, "delete");
  if (matches(sub, "add") || del) {
    const p = args[1] === undefined ? null : parse_prefix(args[1] === "to" ? (args[2] ?? "") : args[1]);
    if (args[1] === undefined) return incomplete(sys);
    if (p === null) return err(sys, `Error: any valid prefix is expected rather than "${args[1]}".`, 1);
    if (del) {
      const r = sys.route_del(p[0], p[1]);
      return r < 0 ? err(sys, `RTNETLINK answers: ${r === -3 ? "No such process" : strerror(r)}`, 2) : 0;
    }
    let gw = 0;
    let dev: string | null = null;
    for (let i = args[1] === "to" ? 3 : 2; i < args.length; i += 2) {
      if (args[i] === "via") {
        const g = inet_aton(args[i + 1] ?? "");
        if (g === null) return err(sys, `Error: inet address is expected rather than "${args[i + 1] ?? ""}".`, 1);
        gw = g;
      } else if (args[i] === "dev" && args[i + 1] !== undefined) dev = args[i + 1]!;
      else return err(sys, `Error: either "to" is duplicate, or "${args[i]}" is a garbage.`, 255);
    }
    const r = sys.route_add(p[0], p[1], gw, dev);
    if (r === -19) return err(sys, `Cannot find device "${dev}"`, 1);
    if (r < 0) return err(sys, `RTNETLINK answers: ${strerror(r)}`, 2);
    return 0;
  }
  return err(sys, `Command "${sub}" is unknown, try "ip route help".`, 255);
}

type ObjectFn = (args: string[], sys: Syscalls, stats: number) => Promise<number>;

/** ip.c's cmds[], in its order (an abbreviation takes the first it begins); null: not here. */
const OBJECTS: readonly [string, ObjectFn | null][] = [
  ["address", addr],
  ["addrlabel", null],
  ["maddress", null],
  ["route", (a, s) => route(a, s)],
  ["rule", null],
  ["neighbor", do_ipneigh],
  ["neighbour", do_ipneigh],
  ["ntable", null],
  ["ntbl", null],
  ["link", link],
  ["l2tp", null],
  ["fou", null],
  ["ila", null],
  ["macsec", null],
  ["tunnel", null],
  ["tunl", null],
  ["tuntap", null],
  ["tap", null],
  ["token", null],
  ["tcpmetrics", null],
  ["tcp_metrics", null],
  ["monitor", null],
  ["xfrm", null],
  ["mroute", null],
  ["mrule", null],
  ["netns", null],
  ["netconf", null],
  ["vrf", null],
  ["sr", null],
  ["nexthop", null],
  ["mptcp", null],
  ["ioam", null],
  ["help", async (_a, s) => err(s, USAGE.slice(0, -1), 255)],
];

/**
 * ip (iproute2 6.1): `ip [-s [-s]] link [show [dev] DEV]`, `ip link set DEV up|down|mtu N|address
 * MAC|promisc on|off|allmulticast on|off`; `ip [-s] addr [show [dev] DEV]`, `ip addr add|del
 * ADDR/PREFIX [brd ADDR|+] dev DEV`; `ip route [show]`, `ip route add PREFIX|default [via GW] [dev
 * DEV]`, `ip route del PREFIX|default`; `ip [-s] neigh [show|flush] [dev DEV] [nud STATE] [PREFIX]`,
 * `ip neigh add|change|replace|del ADDR [lladdr MAC] [nud STATE] dev DEV`, `ip neigh get ADDR dev
 * DEV`; `ip help`, `ip -V`.
 */
export async function ip(argv: readonly string[], sys: Syscalls): Promise<number> {
  let args = argv.slice(1);
  let stats = 0;
  while (args[0]?.startsWith("-")) {
    const opt = args[0].startsWith("--") ? args[0].slice(1) : args[0];
    if (opt === "--") {
      args = args.slice(1);
      break;
    }
    if (matches(opt, "-stats") || matches(opt, "-statistics")) stats++;
    else if (opt === "-4") {
      // IPv4 is the only family there is.
    } else if (matches(opt, "-Version")) {
      await print(sys, "ip utility, iproute2-6.1.0\n");
      return 0;
    } else if (matches(opt, "-help")) return err(sys, USAGE.slice(0, -1), 255);
    else return err(sys, `Option "${args[0]}" is unknown, try "ip -help".`, 255);
    args = args.slice(1);
  }
  const obj = args[0];
  if (obj === undefined) return err(sys, USAGE.slice(0, -1), 255);
  const hit = OBJECTS.find(([name]) => matches(obj, name));
  if (hit === undefined || hit[1] === null) return err(sys, `Object "${obj}" is unknown, try "ip help".`, 1);
  return hit[1](args.slice(1), sys, stats);
}

export const ip_command: Command = {
  name: "ip",
  summary: "ip [-s] link | addr | route | neigh (show, set, add, del, flush)",
  usage: USAGE,
  main: ip,
};
