/**
 * What `ip link` and `ip addr` print, as iproute2 6.1's ip/ipaddress.c prints it: print_linkinfo
 * (with print_link_flags and print_link_stats64) and print_addrinfo.
 */
import { IFF_ALLMULTI, IFF_BROADCAST, IFF_LOOPBACK, IFF_LOWER_UP, IFF_MULTICAST, IFF_PROMISC, IFF_RUNNING, IFF_UP } from "../../include/net/netdevice.ts";
import { IFA_F_DEPRECATED, IFA_F_PERMANENT, IFA_F_SECONDARY, INFINITY_LIFE_TIME, RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, type IfAddrInfo, type IfInfo } from "../../include/uapi/if.ts";
import { inet_ntoa, type IfAddr } from "../../include/uapi/in.ts";

/** DEFAULT_TX_QUEUE_LEN: IFLA_TXQLEN of Ethernet and loopback devices alike. */
const TX_QUEUE_LEN = 1000;

/**
 * print_link_flags(): "<NO-CARRIER,BROADCAST,MULTICAST,UP>" — NO-CARRIER first (up without
 * IFF_RUNNING), then the set flags in iproute2's order.
 */
export function link_flags_text(flags: number): string {
  const f: string[] = [];
  if (flags & IFF_UP && !(flags & IFF_RUNNING)) f.push("NO-CARRIER");
  const order: [number, string][] = [
    [IFF_LOOPBACK, "LOOPBACK"],
    [IFF_BROADCAST, "BROADCAST"],
    [0x10, "POINTOPOINT"],
    [IFF_MULTICAST, "MULTICAST"],
    [0x80, "NOARP"],
    [IFF_ALLMULTI, "ALLMULTI"],
    [IFF_PROMISC, "PROMISC"],
    [0x400, "MASTER"],
    [0x800, "SLAVE"],
    [0x4, "DEBUG"],
    [0x8000, "DYNAMIC"],
    [0x4000, "AUTOMEDIA"],
    [0x2000, "PORTSEL"],
    [0x20, "NOTRAILERS"],
    [IFF_UP, "UP"],
    [IFF_LOWER_UP, "LOWER_UP"],
  ];
  for (const [bit, name] of order) if (flags & bit) f.push(name);
  return `<${f.join(",")}>`;
}

/** IFLA_OPERSTATE as `ip link` names it: UNKNOWN for loopback, DOWN without carrier. */
export function link_operstate(i: IfInfo): string {
  if (!(i.flags & IFF_UP)) return "DOWN";
  if (i.type === "loopback") return "UNKNOWN";
  return i.carrier ? "UP" : "DOWN";
}

/** print_num(): "%*llu " */
function num(width: number, v: number): string {
  return `${String(v).padStart(width)} `;
}

/**
 * print_link_stats64() for `-s` (level 1) and `-s -s` (level 2): every column starts at the width
 * of its header ("*X errors:", "packets", "errors", "dropped", "heartbt", "overrun", "compressed",
 * "otherhost") and grows to fit the numbers shown. The error rows' extra columns (nohandler) are
 * printed only when non-zero; "transns" is the carrier change count (IFLA_CARRIER_CHANGES).
 */
export function link_stats_lines(i: IfInfo, level: number): string {
  const s = i.stats;
  const cols = [10, 7, 6, 7, 7, 7, 10, 9];
  const size = (...v: number[]): void => v.forEach((n, k) => (cols[k] = Math.max(cols[k]!, String(n).length)));
  size(s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed_errors, s.multicast, 0);
  if (level > 1) size(0, s.rx_length_errors, s.rx_crc_errors, s.rx_frame_errors, s.rx_fifo_errors, s.rx_over_errors, s.rx_nohandler, 0);
  size(s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, s.tx_carrier_errors, s.collisions, 0);
  if (level > 1) size(0, s.tx_aborted_errors, s.tx_fifo_errors, s.tx_window_errors, s.tx_heartbeat_errors, i.carrier_changes);
  const c = (k: number): number => cols[k]!;
  const header = (labels: string[]): string => `${"bytes".padStart(c(0) - 4)} ${labels.map((l, k) => l.padStart(c(k + 1))).join(" ")} ${"".padStart(c(6))}`;
  let out = `    RX: ${header(["packets", "errors", "dropped", "missed", "mcast"])}\n`;
  out += `    ${[s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed_errors, s.multicast].map((v, k) => num(c(k), v)).join("")}\n`;
  if (level > 1) {
    const nh = s.rx_nohandler !== 0;
    out += `    RX errors:${"".padStart(c(0) - 10)} ${["length", "crc", "frame", "fifo", "overrun"].map((l, k) => l.padStart(c(k + 1))).join(" ")}${nh ? " nohandler".padStart(c(6) + 1) : ""}\n`;
    out += `${"".padStart(c(0) + 5)}${[s.rx_length_errors, s.rx_crc_errors, s.rx_frame_errors, s.rx_fifo_errors, s.rx_over_errors].map((v, k) => num(c(k + 1), v)).join("")}${nh ? num(c(6), s.rx_nohandler) : ""}\n`;
  }
  out += `    TX: ${header(["packets", "errors", "dropped", "carrier", "collsns"])}\n`;
  out += `    ${[s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, s.tx_carrier_errors, s.collisions].map((v, k) => num(c(k), v)).join("")}\n`;
  if (level > 1) {
    out += `    TX errors:${"".padStart(c(0) - 10)} ${["aborted", "fifo", "window", "heartbt", "transns"].map((l, k) => l.padStart(c(k + 1))).join(" ")}\n`;
    out += `${"".padStart(c(0) + 5)}${[s.tx_aborted_errors, s.tx_fifo_errors, s.tx_window_errors, s.tx_heartbeat_errors, i.carrier_changes].map((v, k) => num(c(k + 1), v)).join("")}\n`;
  }
  return out;
}

/**
 * print_linkinfo(): "2: eth0: <…> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen
 * 1000" and the link/ether line. `mode` is `ip link`'s (not `ip addr`'s). The qdisc is noqueue —
 * this kernel queues nothing in front of its drivers — or noop while the device is down.
 */
export function link_header(i: IfInfo, mode: boolean): string {
  const qdisc = i.flags & IFF_UP ? "noqueue" : "noop";
  const brd = i.type === "loopback" ? "00:00:00:00:00:00" : "ff:ff:ff:ff:ff:ff";
  return (
    `${i.ifindex}: ${i.name}: ${link_flags_text(i.flags)} mtu ${i.mtu} qdisc ${qdisc} state ${link_operstate(i)} ${mode ? "mode DEFAULT " : ""}group default qlen ${TX_QUEUE_LEN}\n` +
    `    link/${i.type} ${i.mac} brd ${brd}\n`
  );
}

/** The IfAddrInfo the kernel sends with each address (a permanent, universe-scope one if absent). */
export function addr_info(a: IfAddr): IfAddrInfo {
  const x = a as IfAddr & Partial<IfAddrInfo>;
  return {
    flags: x.flags ?? IFA_F_PERMANENT,
    scope: x.scope ?? (a.addr >>> 24 === 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE),
    valid_lft: x.valid_lft ?? INFINITY_LIFE_TIME,
    preferred_lft: x.preferred_lft ?? INFINITY_LIFE_TIME,
  };
}

/** rtnl_rtscope_n2a() */
export function scope_name(scope: number): string {
  return scope === RT_SCOPE_UNIVERSE ? "global" : scope === RT_SCOPE_LINK ? "link" : scope === RT_SCOPE_HOST ? "host" : scope === 255 ? "nowhere" : scope === 200 ? "site" : String(scope);
}

/**
 * print_addrinfo() for an IPv4 address: "    inet 10.0.2.15/24 brd 10.0.2.255 scope global
 * dynamic eth0" and "       valid_lft 86391sec preferred_lft 86391sec" (or forever).
 */
export function addr_lines(a: IfAddr): string {
  const x = addr_info(a);
  let out = `    inet ${inet_ntoa(a.addr)}/${a.prefix} `;
  if (a.broadcast !== 0) out += `brd ${inet_ntoa(a.broadcast)} `;
  out += `scope ${scope_name(x.scope)} `;
  if (x.flags & IFA_F_SECONDARY) out += "secondary ";
  if (!(x.flags & IFA_F_PERMANENT)) out += "dynamic ";
  if (x.flags & IFA_F_DEPRECATED) out += "deprecated ";
  out += `${a.ifname}\n`;
  const lft = (v: number): string => (v === INFINITY_LIFE_TIME ? "forever" : `${v}sec`);
  return `${out}       valid_lft ${lft(x.valid_lft)} preferred_lft ${lft(x.preferred_lft)}\n`;
}
