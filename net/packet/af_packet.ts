/**
 * Packet sockets (net/packet/af_packet.c, reduced): socket(AF_PACKET, SOCK_RAW, ETH_P_ALL) sees
 * every frame that crosses an interface, both directions, as tcpdump uses it. Each received item
 * is a Datagram whose `data` is the whole Ethernet frame, `addr` the ifindex and `port` the packet
 * type (PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST, PACKET_OUTGOING), with
 * the time the frame crossed the stack in `tstamp_ns`.
 *
 * The tap on the netdev core is registered only while a packet socket is open, so the packet path
 * stays allocation-free otherwise; with one open each frame is copied once (Linux clones the skb).
 */
import { EINVAL, ENODEV } from "../../include/linux/errno.ts";
import { ETH_P_ALL, type NetDevice, type PBuf } from "../../include/net/netdevice.ts";
import { PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST, PACKET_OUTGOING } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { pbuf_copy_bits } from "../../kernel/mm/pbuf.ts";
import { dev_add_tap, netdev_list } from "../../drivers/net/netdev.ts";
import type { Datagram } from "../../include/uapi/in.ts";
import { sock_alloc, sock_queue_rcv, sock_release, type Sock } from "../socket.ts";

/** The frame's bytes as one array: a fragmented (scatter-gather) frame is gathered. */
function packet_bytes(p: PBuf): Uint8Array {
  if (p.data_len === 0) return p.data.slice(p.head, p.head + p.len);
  const buf = new Uint8Array(p.len);
  pbuf_copy_bits(p, 0, buf, 0, p.len);
  return buf;
}


class PacketTable {
  readonly socks = new Set<Sock>();
  untap: (() => void) | null = null;
}
const packet_table = DEFINE_PER_KERNEL(() => new PacketTable());

function pkttype(p: PBuf, dev: NetDevice, outgoing: boolean): number {
  if (outgoing) return PACKET_OUTGOING;
  const d = p.data;
  const h = p.head;
  if ((d[h]! & 1) !== 0) {
    for (let i = 0; i < 6; i++) if (d[h + i] !== 0xff) return PACKET_MULTICAST;
    return PACKET_BROADCAST;
  }
  for (let i = 0; i < 6; i++) if (d[h + i] !== dev.dev_addr[i]) return PACKET_OTHERHOST;
  return PACKET_HOST;
}

/** The tap: copy the frame to every packet socket bound to this device (or to all). Softirq or process context. */
function packet_rcv(p: PBuf, dev: NetDevice, outgoing: boolean): void {
  let d: Datagram | null = null;
  for (const sk of packet_table.get().socks) {
    if (sk.addr !== 0 && sk.addr !== dev.ifindex) continue;
    sk.rx_packets++;
    // One copy of the frame, shared read-only by every socket that wants it (as Linux clones the skb).
    d ??= { data: packet_bytes(p), addr: dev.ifindex, port: pkttype(p, dev, outgoing), ttl: 0, tstamp_ns: outgoing || p.tstamp === 0 ? ktime_get_ns() : p.tstamp };
    sock_queue_rcv(sk, d);
  }
}

/** socket(AF_PACKET, SOCK_RAW, protocol): only ETH_P_ALL (every frame) is offered. */
export function packet_socket(protocol: number): Sock | number {
  if (protocol !== ETH_P_ALL) return -EINVAL;
  const t = packet_table.get();
  const sk = sock_alloc("packet");
  t.socks.add(sk);
  t.untap ??= dev_add_tap(packet_rcv);
  return sk;
}

/** bind() to one interface by ifindex (0 = all). */
export function packet_bind(sk: Sock, ifindex: number): number {
  if (ifindex !== 0 && !netdev_list().some((d) => d.ifindex === ifindex)) return -ENODEV;
  sk.addr = ifindex;
  return 0;
}

export function packet_close(sk: Sock): void {
  const t = packet_table.get();
  t.socks.delete(sk);
  if (t.socks.size === 0) {
    t.untap?.();
    t.untap = null;
  }
  sock_release(sk);
}

/** getsockopt(SOL_PACKET, PACKET_STATISTICS): frames seen and dropped since the last call. */
export function packet_statistics(sk: Sock): { tp_packets: number; tp_drops: number } {
  const r = { tp_packets: sk.rx_packets, tp_drops: sk.drops };
  sk.rx_packets = 0;
  sk.drops = 0;
  return r;
}

export function packet_release_all(): void {
  for (const sk of [...packet_table.get().socks]) packet_close(sk);
}
