import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";

/**
 * icmpmibmap (net/ipv4/proc.c): the ICMP types /proc/net/snmp's Icmp group names, in its order.
 * Linux keeps no separate counters for them: the columns are the ICMPMSG counters of these types.
 */
export const ICMP_MIB_MAP = [
  ["DestUnreachs", 3],
  ["TimeExcds", 11],
  ["ParmProbs", 12],
  ["SrcQuenchs", 4],
  ["Redirects", 5],
  ["Echos", 8],
  ["EchoReps", 0],
  ["Timestamps", 13],
  ["TimestampReps", 14],
  ["AddrMasks", 17],
  ["AddrMaskReps", 18],
] as const;

/** ICMPMSG_MIB_MAX: one counter per type received (0..255) and sent (256..511). */
export const ICMPMSG_MIB_MAX = 512;

/** The Icmp group: five counters of its own, the per-type ones read from the ICMPMSG counters. */
function icmp_mib(msg: Float64Array) {
  return {
    InMsgs: 0,
    InErrors: 0,
    InCsumErrors: 0,
    OutMsgs: 0,
    OutErrors: 0,
    get InDestUnreachs(): number { return msg[3]!; },
    get InTimeExcds(): number { return msg[11]!; },
    get InParmProbs(): number { return msg[12]!; },
    get InEchos(): number { return msg[8]!; },
    get InEchoReps(): number { return msg[0]!; },
    get OutDestUnreachs(): number { return msg[256 + 3]!; },
    get OutTimeExcds(): number { return msg[256 + 11]!; },
    get OutParmProbs(): number { return msg[256 + 12]!; },
    get OutEchos(): number { return msg[256 + 8]!; },
    get OutEchoReps(): number { return msg[256 + 0]!; },
  };
}

/**
 * Protocol counters (include/uapi/linux/snmp.h), named as /proc/net/snmp and /proc/net/netstat
 * show them (net/ipv4/proc.ts prints them in Linux's columns). Every place the stack drops a
 * packet counts it here.
 */
export class Snmp {
  /*
   * IPSTATS_MIB, in Linux's order. Reassembly as ip_fragment.c counts it: ReasmReqds every fragment
   * received, ReasmOKs every datagram rebuilt, ReasmFails once per datagram given up (overlap,
   * invalid, timeout, too long) — and once per fragment refused while fragment memory is over
   * ipfrag_high_thresh — ReasmTimeout per datagram that timed out. Fragmentation: FragOKs per
   * datagram fragmented, FragCreates per fragment sent, FragFails per datagram that could not be.
   * From InCsumErrors on they are IpExt (/proc/net/netstat). Octets as Linux counts them: InOctets
   * every datagram as it arrives (with any link padding), OutOctets every datagram handed to IP
   * (before fragmentation). Not kept, so always 0: ForwDatagrams and InNoRoutes (no forwarding),
   * In/OutMcastPkts and their octets (no multicast).
   */
  readonly Ip = {
    InReceives: 0, InHdrErrors: 0, InAddrErrors: 0, ForwDatagrams: 0, InUnknownProtos: 0, InDiscards: 0, InDelivers: 0,
    OutRequests: 0, OutDiscards: 0, OutNoRoutes: 0, ReasmTimeout: 0, ReasmReqds: 0, ReasmOKs: 0, ReasmFails: 0,
    FragOKs: 0, FragFails: 0, FragCreates: 0,
    InCsumErrors: 0, InTruncatedPkts: 0, ReasmOverlaps: 0,
    InBcastPkts: 0, OutBcastPkts: 0, InOctets: 0, OutOctets: 0, InBcastOctets: 0, OutBcastOctets: 0,
    InNoECTPkts: 0, InECT1Pkts: 0, InECT0Pkts: 0, InCEPkts: 0,
  };
  /** ICMPMSG_MIB: messages by type, received at [type], sent at [256 + type] (icmp_in_count / icmp_out_count). */
  readonly IcmpMsg = new Float64Array(ICMPMSG_MIB_MAX);
  /** ICMP_MIB. OutErrors (icmp_xmit_lock failures) is never counted here. */
  readonly Icmp = icmp_mib(this.IcmpMsg);
  /** UDP_MIB. SndbufErrors, IgnoredMulti and MemErrors are not kept (0). */
  readonly Udp = { InDatagrams: 0, NoPorts: 0, InErrors: 0, OutDatagrams: 0, RcvbufErrors: 0, SndbufErrors: 0, InCsumErrors: 0, IgnoredMulti: 0, MemErrors: 0 };
  /** UDP-Lite's MIB: there is no UDP-Lite, so all 0. */
  readonly UdpLite = { InDatagrams: 0, NoPorts: 0, InErrors: 0, OutDatagrams: 0, RcvbufErrors: 0, SndbufErrors: 0, InCsumErrors: 0, IgnoredMulti: 0, MemErrors: 0 };
  /**
   * ringzero's ARP counters (Linux keeps its own in /proc/net/stat/arp_cache): not in /proc/net/snmp,
   * only in the snmp() call the frame accounting reads.
   */
  readonly Arp = { InRequests: 0, InReplies: 0, OutRequests: 0, OutReplies: 0, InErrors: 0, Unresolved: 0, Gratuitous: 0 };
}

export const snmp = DEFINE_PER_KERNEL(() => new Snmp());

/** ICMPMSGIN_INC_STATS: one message of `type` received. */
export function icmp_in_count(type: number): void {
  const m = snmp.get().IcmpMsg;
  m[type & 0xff] = m[type & 0xff]! + 1;
}

/** icmp_out_count(): one message of `type` sent (OutMsgs and its ICMPMSG counter). */
export function icmp_out_count(type: number): void {
  const s = snmp.get();
  s.Icmp.OutMsgs++;
  s.IcmpMsg[256 + (type & 0xff)] = s.IcmpMsg[256 + (type & 0xff)]! + 1;
}
