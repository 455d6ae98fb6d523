/**
 * The accounting identity of the wire fuzzer, as one function:
 *
 *   frames offered by the wire (+ frames the guest looped back to itself on lo)
 *     = frames delivered to a protocol or socket + Σ per-reason drop counters
 *
 * computed only from counters the guest or the machine's monitor can display: the back-end's line
 * in `~info network` (and, for virtio-net, the NIC's line there: the device has no statistics
 * its driver can read), `ethtool -S eth0`, the netdev statistics (`ip -s -s link`,
 * /proc/net/dev) and /proc/net/snmp (`netstat -s`). Nothing here reads a device model's or
 * driver's private state.
 *
 * Every end state of a received frame and the counter that records it:
 *   back-end    record < 14 bytes → runt; queue full → overflow; length > 69632 → oversize;
 *               connection cut mid-record → truncated; (any other rx-side "dropped:" counter)
 *   NIC model   e1000 (its statistics registers, `ethtool -S`): RCTL.EN clear / address or VLAN
 *               filter → rx_filtered (TPR − GPRC − errors); ring full → rx_missed_errors (MPC);
 *               > 1518 without LPE → rx_long_length_errors (ROC); rx_short_length_errors (RUC);
 *               PHY link down → the back-end's no_link.
 *               virtio-net (no statistics the driver can read: the device's line in `~info
 *               network`, "rx: frames=… not_ready=… no_buffers=… too_big=… errors=… filtered=…"):
 *               before DRIVER_OK / queue off / Bus Master off → rx_not_ready; no buffer posted →
 *               rx_no_buffers; larger than the buffers or 65553 → rx_too_big; malformed ring →
 *               rx_errors; receive mode / MAC table → rx_filtered; else rx_frames (used buffers).
 *   driver      e1000: frame spanning buffers → rx_multi_desc_dropped; left in the ring at
 *               reset/down → rx_reset_dropped; otherwise rx_packets → netdev_receive.
 *               virtio_net: each frame the device completed (rx_frames) ends in exactly one of
 *               the netdev counters rx_packets (→ netdev_receive) or rx_dropped (bad length or
 *               header, merge failure; rx_length_errors / rx_frame_errors say which; rx_errors
 *               is counted too, should a driver use it).
 *   netdev      no handler for the EtherType → rx_nohandler
 *   ARP         malformed / unknown op → Arp.InErrors; else InRequests / InReplies (delivered)
 *   IPv4        InHdrErrors (incl. InCsumErrors), InTruncatedPkts, fragments taken in by
 *               reassembly that did not become a datagram (ReasmReqds − ReasmOKs), InAddrErrors,
 *               InUnknownProtos, InDiscards; else InDelivers → ICMP, UDP or TCP
 *   ICMP        Icmp.InErrors; else consumed by icmp_rcv (delivered: InMsgs − InErrors)
 *   UDP         Udp.InErrors (incl. InCsumErrors, RcvbufErrors); else InDatagrams (a socket) or
 *               NoPorts (answered with port unreachable): both delivered
 *   TCP         Tcp.InErrs (bad checksum or header); else InSegs − InErrs: every other segment is
 *               taken by TCP (delivered, answered with a RST, or counted in a TcpExt drop).
 *
 * Each layer's own balance is checked too, so an unaccounted frame is pinned to the layer that
 * lost it.
 */

/** The NIC under test: which counters stand for its model and driver layers. */
export type NicModel = "e1000" | "virtio-net";

export interface GuestCounters {
  /** key=value pairs from the back-end's `~info network` line (rx=, tx=, and after "dropped:"). */
  backend: Record<string, number>;
  /** Names of the back-end's counters that stand after "dropped:" (rx-side ones are drops). */
  backend_drop_names: string[];
  /** `ethtool -S` of the NIC under test. */
  ethtool: Record<string, number>;
  /** The NIC model (default e1000). */
  nic_model?: NicModel;
  /**
   * The NIC's own line in `~info network` (parse_nic_line: rx_frames, rx_no_buffers, …); what
   * the virtio-net layer is read from, as its device has no statistics the guest can read.
   */
  nic?: Record<string, number>;
  /** netdev statistics by interface name (eth0, lo, …). */
  netdev: Record<string, Record<string, number>>;
  /** /proc/net/snmp groups. */
  snmp: Record<string, Record<string, number>>;
}

export interface Accounting {
  offered_wire: number;
  /** Frames the guest sent to itself (lo rx_packets): they enter ip_rcv as well. */
  offered_lo: number;
  offered: number;
  delivered: [string, number][];
  drops: [string, number][];
  delivered_total: number;
  drops_total: number;
  /** offered − delivered − drops: must be 0. */
  unaccounted: number;
  /** Per-layer balances: [layer, frames in, frames out (counted), in − out]. Non-zero = lost there. */
  layers: [string, number, number, number][];
}

const n = (r: Record<string, number> | undefined, k: string): number => r?.[k] ?? 0;

/** Back-end counters after "dropped:" that concern frames going out (not offered by the wire). */
function is_tx_side(name: string): boolean {
  return name.startsWith("tx") || name === "no_peer";
}

/**
 * The identity. `offered_wire` is what the fuzzer wrote onto the wire (records, including ones
 * the back-end refused). Pure: tests feed it counters directly.
 */
export function account(offered_wire: number, c: GuestCounters, ifname = "eth0"): Accounting {
  const ip = c.snmp["Ip"];
  const icmp = c.snmp["Icmp"];
  const udp = c.snmp["Udp"];
  const arp = c.snmp["Arp"];
  const tcp = c.snmp["Tcp"];
  const e = c.ethtool;
  const lo_rx = n(c.netdev["lo"], "rx_packets");
  const dev = c.netdev[ifname];
  const to_nic = n(c.backend, "rx");
  const nic = (c.nic_model ?? "e1000") === "virtio-net" ? virtio_net_layers(c.nic, dev, to_nic) : e1000_layers(e, dev, to_nic);
  const drops: [string, number][] = [];
  for (const k of c.backend_drop_names) if (!is_tx_side(k)) drops.push([`backend ${k}`, n(c.backend, k)]);
  drops.push(...nic.drops);
  let nohandler = 0;
  for (const s of Object.values(c.netdev)) nohandler += n(s, "rx_nohandler");
  drops.push(
    ["netdev rx_nohandler", nohandler],
    ["Arp.InErrors", n(arp, "InErrors")],
    ["Ip.InHdrErrors", n(ip, "InHdrErrors")],
    ["Ip.InTruncatedPkts", n(ip, "InTruncatedPkts")],
    // Fragments reassembly took in and did not turn into datagrams (each datagram's last fragment
    // is the one ReasmOKs counts; the rest are absorbed, or dropped with the queue).
    ["Ip.ReasmReqds-ReasmOKs", n(ip, "ReasmReqds") - n(ip, "ReasmOKs")],
    ["Ip.InAddrErrors", n(ip, "InAddrErrors")],
    ["Ip.InUnknownProtos", n(ip, "InUnknownProtos")],
    ["Ip.InDiscards", n(ip, "InDiscards")],
    ["Icmp.InErrors", n(icmp, "InErrors")],
    ["Udp.InErrors", n(udp, "InErrors")],
    ["Tcp.InErrs", n(tcp, "InErrs")],
  );
  const delivered: [string, number][] = [
    ["Arp.InRequests", n(arp, "InRequests")],
    ["Arp.InReplies", n(arp, "InReplies")],
    ["Icmp (InMsgs-InErrors)", n(icmp, "InMsgs") - n(icmp, "InErrors")],
    ["Udp.InDatagrams", n(udp, "InDatagrams")],
    ["Udp.NoPorts", n(udp, "NoPorts")],
    // Segments TCP took (answered with a RST, queued, acknowledged or dropped by a TcpExt reason).
    ["Tcp (InSegs-InErrs)", n(tcp, "InSegs") - n(tcp, "InErrs")],
  ];
  const delivered_total = delivered.reduce((a, [, v]) => a + v, 0);
  const drops_total = drops.reduce((a, [, v]) => a + v, 0);
  const offered = offered_wire + lo_rx;

  // Layer by layer.
  const backend_drops = c.backend_drop_names.filter((k) => !is_tx_side(k)).reduce((a, k) => a + n(c.backend, k), 0);
  const rx_packets = n(dev, "rx_packets") + lo_rx;
  const arp_in = n(arp, "InErrors") + n(arp, "InRequests") + n(arp, "InReplies");
  const ip_drops = ["InHdrErrors", "InTruncatedPkts", "InAddrErrors", "InUnknownProtos", "InDiscards"].reduce((a, k) => a + n(ip, k), 0) + n(ip, "ReasmReqds") - n(ip, "ReasmOKs");
  const udp_in = n(udp, "InErrors") + n(udp, "InDatagrams") + n(udp, "NoPorts");
  const layers: [string, number, number][] = [
    ["wire → back-end", offered_wire, to_nic + backend_drops],
    ...nic.layers,
    ["netdev: rx_packets (+lo) = handlers", rx_packets, nohandler + arp_in + n(ip, "InReceives")],
    ["IPv4: InReceives = InDelivers + drops", n(ip, "InReceives"), n(ip, "InDelivers") + ip_drops],
    ["IPv4 → ICMP + UDP + TCP", n(ip, "InDelivers"), n(icmp, "InMsgs") + udp_in + n(tcp, "InSegs")],
  ];
  return {
    offered_wire,
    offered_lo: lo_rx,
    offered,
    delivered,
    drops,
    delivered_total,
    drops_total,
    unaccounted: offered - delivered_total - drops_total,
    layers: layers.map(([name, a, b]) => [name, a, b, a - b]),
  };
}

/** A NIC's share of the identity: its model's and driver's drop counters, and their balances. */
interface NicLayers {
  drops: [string, number][];
  /** From the back-end's rx to the driver's rx_packets: [layer, in, counted out]. */
  layers: [string, number, number][];
}

/** e1000: the statistics registers as `ethtool -S` names them. */
function e1000_layers(e: Record<string, number>, dev: Record<string, number> | undefined, to_nic: number): NicLayers {
  const tpr = n(e, "hw_rx_total_packets");
  const gprc = n(e, "hw_rx_packets");
  return {
    drops: [
      ["e1000 rx_filtered (TPR-GPRC-errors)", n(e, "rx_filtered")],
      ["e1000 rx_missed_errors (MPC)", n(e, "rx_missed_errors")],
      ["e1000 rx_long_length_errors (ROC)", n(e, "rx_long_length_errors")],
      ["e1000 rx_short_length_errors (RUC)", n(e, "rx_short_length_errors")],
      ["e1000 rx_multi_desc_dropped", n(e, "rx_multi_desc_dropped")],
      ["e1000 rx_reset_dropped", n(e, "rx_reset_dropped")],
    ],
    layers: [
      ["back-end → NIC (TPR)", to_nic, tpr],
      ["NIC: TPR = GPRC + drops", tpr, gprc + n(e, "rx_filtered") + n(e, "rx_missed_errors") + n(e, "rx_long_length_errors") + n(e, "rx_short_length_errors")],
      ["driver: GPRC = rx_packets + drops", gprc, n(dev, "rx_packets") + n(e, "rx_multi_desc_dropped") + n(e, "rx_reset_dropped")],
    ],
  };
}

/** The virtio-net device's receive drop counters (its `~info network` line, section rx:). */
export const VIRTIO_NET_RX_DROPS = ["rx_not_ready", "rx_no_buffers", "rx_too_big", "rx_errors", "rx_filtered"] as const;

/**
 * virtio-net: every frame the back-end hands the device is used (rx_frames) or dropped by a
 * named reason; every used frame is rx_packets, rx_errors or rx_dropped at the driver.
 */
function virtio_net_layers(d: Record<string, number> | undefined, dev: Record<string, number> | undefined, to_nic: number): NicLayers {
  const used = n(d, "rx_frames");
  const device_drops = VIRTIO_NET_RX_DROPS.reduce((a, k) => a + n(d, k), 0);
  return {
    drops: [
      ...VIRTIO_NET_RX_DROPS.map((k): [string, number] => [`virtio-net ${k}`, n(d, k)]),
      ["virtio_net rx_errors (netdev)", n(dev, "rx_errors")],
      ["virtio_net rx_dropped (netdev)", n(dev, "rx_dropped")],
    ],
    layers: [
      ["back-end → virtio-net = used + drops", to_nic, used + device_drops],
      ["driver: used = rx_packets + drops", used, n(dev, "rx_packets") + n(dev, "rx_errors") + n(dev, "rx_dropped")],
    ],
  };
}

/**
 * Parse a NIC's line of `~info network` (virtio-net's `… rx: frames=N not_ready=N … tx: frames=N
 * …`): numeric key=value pairs, each named after the section it stands in, a section lasting to
 * the next "word:" ("rx_frames", "tx_link_down", "ctrl_commands"; keys before any section keep
 * their name).
 */
export function parse_nic_line(line: string): Record<string, number> {
  const out: Record<string, number> = {};
  let section = "";
  for (const tok of line.trim().split(/\s+/)) {
    if (/^[A-Za-z_]+:$/.test(tok)) {
      section = tok.slice(0, -1);
      continue;
    }
    const m = /^([A-Za-z_][\w-]*)=(\d+)$/.exec(tok);
    if (m !== null) out[section === "" ? m[1]! : `${section}_${m[1]}`] = Number(m[2]);
  }
  return out;
}

/** Parse a back-end line of `~info network`: `... rx=N tx=N dropped: runt=N oversize=N …`. */
export function parse_backend_line(line: string): { values: Record<string, number>; drop_names: string[] } {
  const values: Record<string, number> = {};
  const drop_names: string[] = [];
  const at = line.indexOf("dropped:");
  const re = /([A-Za-z_][\w-]*)=(\d+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    values[m[1]!] = Number(m[2]);
    if (at >= 0 && m.index > at && m[1] !== "connects" && m[1] !== "disconnects") drop_names.push(m[1]!);
  }
  return { values, drop_names };
}
