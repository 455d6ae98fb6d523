/**
 * /proc/net/snmp and /proc/net/netstat as Linux 6.1's net/ipv4/proc.c prints them: for each group
 * a line of names and a line of values, every column Linux 6.1 has, in its order. A counter this
 * stack does not keep prints 0 (the Snmp and TcpExtMib classes say which: IP forwarding and
 * multicast, UDP SndbufErrors/IgnoredMulti/MemErrors, UDP-Lite, Icmp OutErrors, and every TcpExt
 * name TcpExtMib lacks). Read-side only: the counters live in snmp.ts and tcp_net.ts.
 */
import { IP_DEFAULT_TTL } from "./ip.ts";
import { ICMP_MIB_MAP, ICMPMSG_MIB_MAX, snmp } from "./snmp.ts";
import { tcp_ext, tcp_mib } from "./tcp_net.ts";

/** snmp4_ipstats_list (Linux 6.1: no OutTransmits, which 6.3 added). */
const SNMP4_IPSTATS_LIST = [
  "InReceives", "InHdrErrors", "InAddrErrors", "ForwDatagrams", "InUnknownProtos", "InDiscards", "InDelivers",
  "OutRequests", "OutDiscards", "OutNoRoutes", "ReasmTimeout", "ReasmReqds", "ReasmOKs", "ReasmFails",
  "FragOKs", "FragFails", "FragCreates",
] as const;

/** snmp4_ipextstats_list: the IpExt group of /proc/net/netstat. */
const SNMP4_IPEXTSTATS_LIST = [
  "InNoRoutes", "InTruncatedPkts", "InMcastPkts", "OutMcastPkts", "InBcastPkts", "OutBcastPkts", "InOctets", "OutOctets",
  "InMcastOctets", "OutMcastOctets", "InBcastOctets", "OutBcastOctets", "InCsumErrors", "InNoECTPkts", "InECT1Pkts",
  "InECT0Pkts", "InCEPkts", "ReasmOverlaps",
] as const;

const SNMP4_TCP_LIST = [
  "RtoAlgorithm", "RtoMin", "RtoMax", "MaxConn", "ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets",
  "CurrEstab", "InSegs", "OutSegs", "RetransSegs", "InErrs", "OutRsts", "InCsumErrors",
] as const;

/** snmp4_udp_list: Udp and UdpLite share it. */
const SNMP4_UDP_LIST = ["InDatagrams", "NoPorts", "InErrors", "OutDatagrams", "RcvbufErrors", "SndbufErrors", "InCsumErrors", "IgnoredMulti", "MemErrors"] as const;

/** snmp4_net_list of Linux 6.1 (the TcpExt group), all 125 names in its order. */
const SNMP4_NET_LIST = [
  "SyncookiesSent", "SyncookiesRecv", "SyncookiesFailed", "EmbryonicRsts", "PruneCalled", "RcvPruned", "OfoPruned",
  "OutOfWindowIcmps", "LockDroppedIcmps", "ArpFilter", "TW", "TWRecycled", "TWKilled", "PAWSActive", "PAWSEstab",
  "DelayedACKs", "DelayedACKLocked", "DelayedACKLost", "ListenOverflows", "ListenDrops", "TCPHPHits", "TCPPureAcks",
  "TCPHPAcks", "TCPRenoRecovery", "TCPSackRecovery", "TCPSACKReneging", "TCPSACKReorder", "TCPRenoReorder",
  "TCPTSReorder", "TCPFullUndo", "TCPPartialUndo", "TCPDSACKUndo", "TCPLossUndo", "TCPLostRetransmit",
  "TCPRenoFailures", "TCPSackFailures", "TCPLossFailures", "TCPFastRetrans", "TCPSlowStartRetrans", "TCPTimeouts",
  "TCPLossProbes", "TCPLossProbeRecovery", "TCPRenoRecoveryFail", "TCPSackRecoveryFail", "TCPRcvCollapsed",
  "TCPBacklogCoalesce", "TCPDSACKOldSent", "TCPDSACKOfoSent", "TCPDSACKRecv", "TCPDSACKOfoRecv", "TCPAbortOnData",
  "TCPAbortOnClose", "TCPAbortOnMemory", "TCPAbortOnTimeout", "TCPAbortOnLinger", "TCPAbortFailed",
  "TCPMemoryPressures", "TCPMemoryPressuresChrono", "TCPSACKDiscard", "TCPDSACKIgnoredOld", "TCPDSACKIgnoredNoUndo",
  "TCPSpuriousRTOs", "TCPMD5NotFound", "TCPMD5Unexpected", "TCPMD5Failure", "TCPSackShifted", "TCPSackMerged",
  "TCPSackShiftFallback", "TCPBacklogDrop", "PFMemallocDrop", "TCPMinTTLDrop", "TCPDeferAcceptDrop",
  "IPReversePathFilter", "TCPTimeWaitOverflow", "TCPReqQFullDoCookies", "TCPReqQFullDrop", "TCPRetransFail",
  "TCPRcvCoalesce", "TCPOFOQueue", "TCPOFODrop", "TCPOFOMerge", "TCPChallengeACK", "TCPSYNChallenge",
  "TCPFastOpenActive", "TCPFastOpenActiveFail", "TCPFastOpenPassive", "TCPFastOpenPassiveFail",
  "TCPFastOpenListenOverflow", "TCPFastOpenCookieReqd", "TCPFastOpenBlackhole", "TCPSpuriousRtxHostQueues",
  "BusyPollRxPackets", "TCPAutoCorking", "TCPFromZeroWindowAdv", "TCPToZeroWindowAdv", "TCPWantZeroWindowAdv",
  "TCPSynRetrans", "TCPOrigDataSent", "TCPHystartTrainDetect", "TCPHystartTrainCwnd", "TCPHystartDelayDetect",
  "TCPHystartDelayCwnd", "TCPACKSkippedSynRecv", "TCPACKSkippedPAWS", "TCPACKSkippedSeq", "TCPACKSkippedFinWait2",
  "TCPACKSkippedTimeWait", "TCPACKSkippedChallenge", "TCPWinProbe", "TCPKeepAlive", "TCPMTUPFail", "TCPMTUPSuccess",
  "TCPDelivered", "TCPDeliveredCE", "TCPAckCompressed", "TCPZeroWindowDrop", "TCPRcvQDrop", "TCPWqueueTooBig",
  "TCPFastOpenPassiveAltKey", "TcpTimeoutRehash", "TcpDuplicateDataRehash", "TCPDSACKRecvSegs",
  "TCPDSACKIgnoredDubious", "TCPMigrateReqSuccess", "TCPMigrateReqFailure",
] as const;

/** IPV4_DEVCONF_ALL(FORWARDING) ? 1 : 2 — this host does not forward. */
const IP_FORWARDING = 2;

/** The named counters of `mib` in `names`' order; a name the MIB does not keep is 0. */
function values(mib: object, names: readonly string[]): number[] {
  const m = mib as Record<string, number | undefined>;
  return names.map((n) => m[n] ?? 0);
}

/** "Group: a b c\nGroup: 1 2 3" — without the final newline, as proc.c builds it. */
function group(name: string, names: readonly string[], vals: readonly number[]): string {
  return `${name}: ${names.join(" ")}\n${name}: ${vals.join(" ")}`;
}

/**
 * icmpmsg_put(): the types with a non-zero count, received ones (InTypeN) before sent ones
 * (OutTypeN), at most 16 to a pair of lines; nothing when every count is 0.
 */
function icmpmsg_put(msg: Float64Array): string {
  let out = "";
  let types: number[] = [];
  const line = (): void => {
    if (types.length === 0) return;
    out += `\nIcmpMsg: ${types.map((t) => `${t & 0x100 ? "Out" : "In"}Type${t & 0xff}`).join(" ")}`;
    out += `\nIcmpMsg: ${types.map((t) => msg[t]!).join(" ")}`;
    types = [];
  };
  for (let i = 0; i < ICMPMSG_MIB_MAX; i++) {
    if (msg[i] !== 0) types.push(i);
    if (types.length === 16) line();
  }
  line();
  return out;
}

/** snmp_seq_show(): /proc/net/snmp. */
export function show_snmp(): string {
  const s = snmp.get();
  let out = group("Ip", ["Forwarding", "DefaultTTL", ...SNMP4_IPSTATS_LIST], [IP_FORWARDING, IP_DEFAULT_TTL, ...values(s.Ip, SNMP4_IPSTATS_LIST)]);
  // icmp_put(): the per-type columns come from the ICMPMSG counters.
  const names = ["InMsgs", "InErrors", "InCsumErrors", ...ICMP_MIB_MAP.map(([n]) => `In${n}`), "OutMsgs", "OutErrors", ...ICMP_MIB_MAP.map(([n]) => `Out${n}`)];
  const vals = [s.Icmp.InMsgs, s.Icmp.InErrors, s.Icmp.InCsumErrors, ...ICMP_MIB_MAP.map(([, t]) => s.IcmpMsg[t]!), s.Icmp.OutMsgs, s.Icmp.OutErrors, ...ICMP_MIB_MAP.map(([, t]) => s.IcmpMsg[256 + t]!)];
  out += `\n${group("Icmp", names, vals)}`;
  out += icmpmsg_put(s.IcmpMsg);
  // MaxConn is signed (-1, RFC 2012); every other value unsigned.
  out += `\n${group("Tcp", SNMP4_TCP_LIST, values(tcp_mib(), SNMP4_TCP_LIST))}`;
  out += `\n${group("Udp", SNMP4_UDP_LIST, values(s.Udp, SNMP4_UDP_LIST))}`;
  out += `\n${group("UdpLite", SNMP4_UDP_LIST, values(s.UdpLite, SNMP4_UDP_LIST))}\n`;
  return out;
}

/** netstat_seq_show(): /proc/net/netstat — TcpExt, then IpExt (no MPTcpExt: there is no MPTCP). */
export function show_netstat(): string {
  const s = snmp.get();
  return `${group("TcpExt", SNMP4_NET_LIST, values(tcp_ext(), SNMP4_NET_LIST))}\n${group("IpExt", SNMP4_IPEXTSTATS_LIST, values(s.Ip, SNMP4_IPEXTSTATS_LIST))}\n`;
}
