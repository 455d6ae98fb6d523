import type { PBuf } from "../../include/net/netdevice.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import type { IpInfo } from "./ip.ts";

/**
 * The IPv4 protocol table (net/ipv4/protocol.c: inet_protos, inet_add_protocol): transport
 * protocols that register a receive handler by IP protocol number, so ip_local_deliver reaches
 * them without importing them. ICMP and UDP are called directly by ip.ts; protocols that load
 * later (TCP) register here from their init.
 *
 * The handler owns `p` (it must put it) and runs in softirq context.
 */
export type NetProtocolHandler = (p: PBuf, info: IpInfo) => void;

const inet_protos = DEFINE_PER_KERNEL(() => new Map<number, NetProtocolHandler>());

/** inet_add_protocol(): 0, or -1 if `protocol` is taken (Linux returns -1 too). */
export function inet_add_protocol(protocol: number, handler: NetProtocolHandler): number {
  const t = inet_protos.get();
  if (t.has(protocol)) return -1;
  t.set(protocol, handler);
  return 0;
}

/** inet_del_protocol(): 0, or -1 if `handler` was not the one registered. */
export function inet_del_protocol(protocol: number, handler: NetProtocolHandler): number {
  const t = inet_protos.get();
  if (t.get(protocol) !== handler) return -1;
  t.delete(protocol);
  return 0;
}

/** The handler registered for `protocol`, if any (ip_local_deliver's lookup). */
export function inet_protocol(protocol: number): NetProtocolHandler | undefined {
  return inet_protos.get().get(protocol);
}
