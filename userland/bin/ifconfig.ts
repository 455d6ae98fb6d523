import { strerror } from "../../include/linux/errno.ts";
import { IFF_ALLMULTI, IFF_BROADCAST, IFF_LOOPBACK, IFF_MULTICAST, IFF_PROMISC, IFF_RUNNING, IFF_UP } from "../../include/net/netdevice.ts";
import type { IfInfo } from "../../include/uapi/if.ts";
import { inet_aton, inet_ntoa, prefix_mask, type IfAddr } from "../../include/uapi/in.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print, read_text } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * The flag names of net-tools' ife_print_long, in its order (the numeric flags are SIOCGIFFLAGS':
 * the low 16 bits, so LOWER_UP is never among them).
 */
const IFF_NAMES: readonly [number, string][] = [
  [IFF_UP, "UP"],
  [IFF_BROADCAST, "BROADCAST"],
  [0x4, "DEBUG"],
  [IFF_LOOPBACK, "LOOPBACK"],
  [0x10, "POINTOPOINT"],
  [0x20, "NOTRAILERS"],
  [IFF_RUNNING, "RUNNING"],
  [0x80, "NOARP"],
  [IFF_PROMISC, "PROMISC"],
  [IFF_ALLMULTI, "ALLMULTI"],
  [0x800, "SLAVE"],
  [0x400, "MASTER"],
  [IFF_MULTICAST, "MULTICAST"],
  [0x8000, "DYNAMIC"],
];

/** DEFAULT_TX_QUEUE_LEN: what SIOCGIFTXQLEN reports for Ethernet and loopback devices alike. */
const TXQUEUELEN = 1000;

/** The statistics ifconfig reads from /proc/net/dev (get_dev_fields), by column. */
interface DevStats {
  rx_bytes: bigint;
  rx_packets: bigint;
  rx_errors: bigint;
  rx_dropped: bigint;
  rx_fifo_errors: bigint;
  rx_frame_errors: bigint;
  tx_bytes: bigint;
  tx_packets: bigint;
  tx_errors: bigint;
  tx_dropped: bigint;
  tx_fifo_errors: bigint;
  collisions: bigint;
  tx_carrier_errors: bigint;
}

/** if_readlist_proc(): the interfaces of /proc/net/dev and their counters, in its order. */
function read_proc_net_dev(text: string): Map<string, DevStats> {
  const out = new Map<string, DevStats>();
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const v = line.slice(colon + 1).trim().split(/\s+/).map((x) => (/^\d+$/.test(x) ? BigInt(x) : 0n));
    const at = (i: number): bigint => v[i] ?? 0n;
    out.set(line.slice(0, colon).trim(), {
      rx_bytes: at(0), rx_packets: at(1), rx_errors: at(2), rx_dropped: at(3), rx_fifo_errors: at(4), rx_frame_errors: at(5),
      tx_bytes: at(8), tx_packets: at(9), tx_errors: at(10), tx_dropped: at(11), tx_fifo_errors: at(12), collisions: at(13), tx_carrier_errors: at(14),
    });
  }
  return out;
}

/** nstrcmp(): names compared with their digit runs as numbers (eth2 before eth10). */
function nstrcmp(a: string, b: string): number {
  const ra = a.match(/\d+|\D+/g) ?? [];
  const rb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i]!;
    const y = rb[i]!;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return ra.length - rb.length;
}

/** "(940.0 B)", "(61.9 MiB)": ife_print_long's scaling, a tenth truncated, 1024-based. */
function bytes_scaled(n: bigint): string {
  const units: [bigint, string][] = [
    [1125899906842624n, "PiB"],
    [1099511627776n, "TiB"],
    [1073741824n, "GiB"],
    [1048576n, "MiB"],
    [1024n, "KiB"],
  ];
  let short = n * 10n;
  let unit = "B";
  if (n > 1152921504606846976n) {
    short = n / 115292150460684697n;
    unit = "EiB";
  } else {
    for (const [size, name] of units) {
      if (n > size) {
        short /= size;
        unit = name;
        break;
      }
    }
  }
  return `${short / 10n}.${short % 10n} ${unit}`;
}

/** ife_print_long(): one interface, its primary IPv4 address (SIOCGIFADDR) and counters, then a blank line. */
function ife_print_long(l: IfInfo, addr: IfAddr | undefined, s: DevStats | undefined): string {
  const flags = l.flags & 0xffff;
  const names = IFF_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
  let out = `${l.name}: flags=${flags}<${names.join(",")}>  mtu ${l.mtu}\n`;
  if (addr !== undefined) {
    out += `        inet ${inet_ntoa(addr.addr)}  netmask ${inet_ntoa(prefix_mask(addr.prefix))}`;
    if (flags & IFF_BROADCAST) out += `  broadcast ${inet_ntoa(addr.broadcast)}`;
    out += "\n";
  }
  out += l.type === "loopback" ? `        loop  txqueuelen ${TXQUEUELEN}  (Local Loopback)\n` : `        ether ${l.mac}  txqueuelen ${TXQUEUELEN}  (Ethernet)\n`;
  if (s !== undefined) {
    out += `        RX packets ${s.rx_packets}  bytes ${s.rx_bytes} (${bytes_scaled(s.rx_bytes)})\n`;
    out += `        RX errors ${s.rx_errors}  dropped ${s.rx_dropped}  overruns ${s.rx_fifo_errors}  frame ${s.rx_frame_errors}\n`;
    out += `        TX packets ${s.tx_packets}  bytes ${s.tx_bytes} (${bytes_scaled(s.tx_bytes)})\n`;
    out += `        TX errors ${s.tx_errors}  dropped ${s.tx_dropped} overruns ${s.tx_fifo_errors}  carrier ${s.tx_carrier_errors}  collisions ${s.collisions}\n`;
  }
  return `${out}\n`;
}

/** inet_abc_len(): the classful prefix SIOCSIFADDR gives an address; -1 for class D (multicast). */
function inet_abc_len(a: number): number {
  if (a === 0 || a === 0xffffffff) return 0;
  if (a >>> 31 === 0) return 8;
  if (a >>> 30 === 2) return 16;
  if (a >>> 29 === 6) return 24;
  if (a >>> 28 === 15) return 32;
  return -1;
}

/** "NAME: Unknown host" and net-tools' pointer to --help; status 1. */
function unknown_host(sys: Syscalls, name: string): number {
  sys.write(2, `${name}: Unknown host\nifconfig: \`--help' gives usage information.\n`);
  return 1;
}

/** Set the primary address of `name` (SIOCSIFADDR, then SIOCSIFNETMASK when given), and bring it up. */
async function set_address(sys: Syscalls, name: string, addrs: IfAddr[], what: string, args: string[]): Promise<number> {
  const addr = inet_aton(what);
  if (addr === null) return unknown_host(sys, what);
  let prefix = inet_abc_len(addr);
  if (prefix < 0) return fail(sys, "SIOCSIFADDR", strerror(-22));
  let up = true;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w === "netmask") {
      const m = inet_aton(args[++i] ?? "");
      if (m === null) return unknown_host(sys, args[i] ?? "netmask");
      prefix = 0;
      while (prefix < 32 && (m & (0x80000000 >>> prefix)) !== 0) prefix++;
      if (prefix_mask(prefix) !== m) return fail(sys, "SIOCSIFNETMASK", strerror(-22));
    } else if (w === "up") up = true;
    else if (w === "down") up = false;
    else return unknown_host(sys, w);
  }
  const old = addrs.find((a) => a.ifname === name);
  if (old !== undefined && (old.addr !== addr || old.prefix !== prefix)) sys.addr_del(name, old.addr, old.prefix);
  if (old === undefined || old.addr !== addr || old.prefix !== prefix) {
    const r = sys.addr_add(name, addr, prefix);
    if (r < 0) return fail(sys, "SIOCSIFADDR", strerror(r));
  }
  const r = await sys.setlink(name, { up });
  return r < 0 ? fail(sys, "SIOCSIFFLAGS", strerror(r)) : 0;
}

/**
 * ifconfig (net-tools 2.10): `ifconfig` shows the interfaces that are up, `-a` all of them, `ifconfig
 * IF` that one, in ife_print_long's layout; interfaces come from /proc/net/dev (with its counters)
 * in name order. `ifconfig IF up|down`, `ifconfig IF mtu N`, `ifconfig IF ADDR [netmask M] [up|down]`
 * configure (an address gets its classful netmask unless one is given, as SIOCSIFADDR does).
 */
export async function ifconfig(argv: readonly string[], sys: Syscalls): Promise<number> {
  let args = argv.slice(1);
  let all = false;
  while (args[0]?.startsWith("-")) {
    if (args[0] === "-a") all = true;
    else if (args[0] !== "-v") {
      sys.write(2, `ifconfig: option \`${args[0]}' not recognised.\nifconfig: \`--help' gives usage information.\n`);
      return 1;
    }
    args = args.slice(1);
  }
  const links = sys.getlinks();
  const addrs = sys.addr_list();
  if (typeof links === "number") return fail(sys, "ifconfig", strerror(links));
  const inet = typeof addrs === "number" ? [] : addrs;
  const name = args[0];
  const link = links.find((l) => l.name === name);
  if (name !== undefined && link === undefined) return fail(sys, name, "error fetching interface information: Device not found");
  if (name !== undefined && args.length >= 2) {
    const what = args[1]!;
    if (what === "up" || what === "down") {
      const r = await sys.setlink(name, { up: what === "up" });
      return r < 0 ? fail(sys, "SIOCSIFFLAGS", strerror(r)) : 0;
    }
    if (what === "mtu") {
      // atoi(): what is not a number is 0, which SIOCSIFMTU refuses.
      const r = await sys.setlink(name, { mtu: parseInt(args[2] ?? "", 10) || 0 });
      return r < 0 ? fail(sys, "SIOCSIFMTU", strerror(r)) : 0;
    }
    return set_address(sys, name, inet, what, args.slice(2));
  }
  const dev_text = read_text(sys, "/proc/net/dev");
  const stats = typeof dev_text === "number" ? new Map<string, DevStats>() : read_proc_net_dev(dev_text);
  // The interfaces /proc/net/dev lists, then any it does not, sorted as add_interface sorts them.
  const names = [...new Set([...stats.keys(), ...links.map((l) => l.name)])].sort(nstrcmp);
  let out = "";
  for (const n of names) {
    const l = links.find((x) => x.name === n);
    if (l === undefined || (name !== undefined && n !== name)) continue;
    if (name === undefined && !all && !(l.flags & IFF_UP)) continue;
    out += ife_print_long(l, inet.find((a) => a.ifname === n), stats.get(n));
  }
  await print(sys, out);
  return 0;
}

export const ifconfig_command: Command = {
  name: "ifconfig",
  summary: "interfaces (-a: all); ifconfig IF up|down|mtu N|ADDR [netmask M]",
  usage: "Usage: ifconfig [-a] [IF]\n       ifconfig IF up|down|mtu N|ADDR [netmask M] [up|down]\n\nShow network interfaces (the ones that are up; -a: all), or configure one.\n",
  main: ifconfig,
};
