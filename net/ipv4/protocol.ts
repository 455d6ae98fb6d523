import type { PBuf } from "../../include/net/netdevice.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import type { IpInfo } from "./ip.ts";

/**
 * The IPv4 protocol table (net/ipv4/protocol.c: inet_protos, inet_add_protocol): transport
 * protocols that register a receive handler, and optionally an ICMP error handler
 * (net_protocol.err_handler), by IP protocol number, so ip_local_deliver and icmp_unreach reach
 * them without importing them. ICMP and UDP are called directly by ip.ts and icmp.ts; protocols
 * that load later (TCP) register here from their init.
 *
 * The handler owns `p` (it must put it) and runs in softirq context.
 */
export type NetProtocolHandler = (p: PBuf, info: IpInfo) => void;

/**
 * Where icmp_socket_deliver found the datagram an ICMP error quotes: offsets into p.data of the
 * embedded IP header and of its transport header, whose first 8 bytes are in the head buffer
 * (icmp.ts checked the length, version and IHL), and the embedded header's fields. `saddr` is
 * ours (the datagram's source), `daddr` where it was going; `from` sent the ICMP.
 */
export interface IcmpErrInfo {
  iph: number;
  ihl: number;
  l4: number;
  protocol: number;
  saddr: number;
  daddr: number;
  from: number;
}

/**
 * net_protocol.err_handler: an ICMP destination unreachable, time exceeded or parameter problem
 * about a datagram this protocol sent. `mtu_or_info` is Linux's `info`: the next-hop MTU of a
 * "fragmentation needed", the pointer of a parameter problem, else 0. Softirq context; `p` stays
 * ICMP's (the handler must not keep or put it). Never throws.
 */
export type NetProtocolErrHandler = (p: PBuf, info: IcmpErrInfo, type: number, code: number, mtu_or_info: number) => void;

/** struct net_protocol (reduced). */
export interface NetProtocol {
  readonly handler: NetProtocolHandler;
  readonly err_handler: NetProtocolErrHandler | null;
}

const inet_protos = DEFINE_PER_KERNEL(() => new Map<number, NetProtocol>());

/** inet_add_protocol(): 0, or -1 if `protocol` is taken (Linux returns -1 too). */
export function inet_add_protocol(protocol: number, handler: NetProtocolHandler, err_handler: NetProtocolErrHandler | null = null): number {
  const t = inet_protos.get();
  if (t.has(protocol)) return -1;
  t.set(protocol, { handler, err_handler });
  return 0;
}

/** inet_del_protocol(): 0, or -1 if `handler` was not the one registered. */
export function inet_del_protocol(protocol: number, handler: NetProtocolHandler): number {
  const t = inet_protos.get();
  if (t.get(protocol)?.handler !== handler) return -1;
  t.delete(protocol);
  return 0;
}

/** The handler registered for `protocol`, if any (ip_local_deliver's lookup). */
export function inet_protocol(protocol: number): NetProtocolHandler | undefined {
  return inet_protos.get().get(protocol)?.handler;
}

/** The error handler registered for `protocol`, if any (icmp_socket_deliver's lookup). */
export function inet_protocol_err(protocol: number): NetProtocolErrHandler | undefined {
  return inet_protos.get().get(protocol)?.err_handler ?? undefined;
}
