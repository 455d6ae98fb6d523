import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";

/**
 * Protocol counters (include/uapi/linux/snmp.h), named as /proc/net/snmp and `netstat -s` show
 * them. Every place the stack drops a packet counts it here.
 */
export class Snmp {
  /*
   * In Linux's order. Reassembly as ip_fragment.c counts it: ReasmReqds every fragment received,
   * ReasmOKs every datagram rebuilt, ReasmFails once per datagram given up (overlap, invalid,
   * timeout, too long) — and once per fragment refused while fragment memory is over
   * ipfrag_high_thresh — ReasmTimeout per datagram that timed out. Fragmentation: FragOKs per
   * datagram fragmented, FragCreates per fragment sent, FragFails per datagram that could not be.
   * The last three are IpExt in Linux (/proc/net/netstat).
   */
  readonly Ip = {
    InReceives: 0, InHdrErrors: 0, InAddrErrors: 0, InUnknownProtos: 0, InDiscards: 0, InDelivers: 0,
    OutRequests: 0, OutDiscards: 0, OutNoRoutes: 0, ReasmTimeout: 0, ReasmReqds: 0, ReasmOKs: 0, ReasmFails: 0,
    FragOKs: 0, FragFails: 0, FragCreates: 0, InCsumErrors: 0, InTruncatedPkts: 0, ReasmOverlaps: 0,
  };
  readonly Icmp = {
    InMsgs: 0, InErrors: 0, InCsumErrors: 0, InDestUnreachs: 0, InTimeExcds: 0, InEchos: 0, InEchoReps: 0,
    OutMsgs: 0, OutErrors: 0, OutDestUnreachs: 0, OutTimeExcds: 0, OutEchos: 0, OutEchoReps: 0,
  };
  readonly Udp = { InDatagrams: 0, NoPorts: 0, InErrors: 0, OutDatagrams: 0, RcvbufErrors: 0, InCsumErrors: 0 };
  readonly Arp = { InRequests: 0, InReplies: 0, OutRequests: 0, OutReplies: 0, InErrors: 0, Unresolved: 0, Gratuitous: 0 };
}

export const snmp = DEFINE_PER_KERNEL(() => new Snmp());

/** /proc/net/snmp: a header line and a value line per group, as Linux prints it. */
export function show_snmp(): string {
  const s = snmp.get();
  let out = "";
  for (const [group, counters] of Object.entries(s) as [string, Record<string, number>][]) {
    out += `${group}: ${Object.keys(counters).join(" ")}\n${group}: ${Object.values(counters).join(" ")}\n`;
  }
  return out;
}
