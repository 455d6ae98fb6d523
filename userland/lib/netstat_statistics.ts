/**
 * `netstat -s` as net-tools 2.10 prints it (statistics.c): /proc/net/snmp, then /proc/net/netstat,
 * each a names line and a values line per group, turned into prose by the tables below. The
 * tables are net-tools 2.10's, entry for entry and in its order — which is not quite sorted, and
 * it is looked up with bsearch(3) all the same: a name the search misses (Forwarding, TCPTimeouts,
 * TCPDSACKOldSent …) falls back to "Name: value" when non-zero, exactly as the real tool shows it.
 * Groups with no table (IcmpMsg, UdpLite, IpExt) print that way too, indented as the group before
 * them left off. OPT_NUMBER entries are left out when 0, histogram entries (ICMP) likewise.
 */

/* enum State, I_STATIC, I_TITLE. */
const NUMBER = 0;
const OPT_NUMBER = 1;
const I_FORWARD = 2;
const I_INP_ICMP = 3;
const I_OUTP_ICMP = 4;
const I_RTO_ALG = 5;
const I_STATIC = 1 << 16;
const I_TITLE = 1 << 17;

/** states[]: indent, and the title a histogram opens with (i_rto_alg has no entry: indent 0). */
const STATES: readonly { indent: number; title: string | null }[] = [
  { indent: 4, title: null },
  { indent: 4, title: null },
  { indent: 4, title: null },
  { indent: 8, title: "ICMP input histogram:" },
  { indent: 8, title: "ICMP output histogram:" },
  { indent: 0, title: null },
];

/** struct entry: the MIB name, the printf format (one %d or %s), the State with its flags. */
type Entry = readonly [title: string, out: string, type: number];

const IPTAB: readonly Entry[] = [
  ["DefaultTTL", "Default TTL is %d", NUMBER | I_STATIC],
  ["Forwarding", "Forwarding is %s", I_FORWARD | I_STATIC],
  ["ForwDatagrams", "%d forwarded", NUMBER],
  ["FragCreates", "%d fragments created", OPT_NUMBER],
  ["FragFails", "%d outgoing packets failed fragmentation", OPT_NUMBER],
  ["FragOKs", "%d outgoing packets fragmented ok", OPT_NUMBER],
  ["InAddrErrors", "%d with invalid addresses", OPT_NUMBER],
  ["InDelivers", "%d incoming packets delivered", NUMBER],
  ["InDiscards", "%d incoming packets discarded", NUMBER],
  ["InHdrErrors", "%d with invalid headers", OPT_NUMBER],
  ["InReceives", "%d total packets received", NUMBER],
  ["InUnknownProtos", "%d with unknown protocol", OPT_NUMBER],
  ["OutDiscards", "%d outgoing packets dropped", OPT_NUMBER],
  ["OutNoRoutes", "%d dropped because of missing route", OPT_NUMBER],
  ["OutRequests", "%d requests sent out", NUMBER],
  ["ReasmFails", "%d packet reassemblies failed", OPT_NUMBER],
  ["ReasmOKs", "%d packets reassembled ok", OPT_NUMBER],
  ["ReasmReqds", "%d reassemblies required", OPT_NUMBER],
  ["ReasmTimeout", "%d fragments dropped after timeout", OPT_NUMBER],
];
const ICMPTAB: readonly Entry[] = [
  ["InAddrMaskReps", "address mask replies: %d", I_INP_ICMP | I_TITLE],
  ["InAddrMasks", "address mask request: %d", I_INP_ICMP | I_TITLE],
  ["InDestUnreachs", "destination unreachable: %d", I_INP_ICMP | I_TITLE],
  ["InEchoReps", "echo replies: %d", I_INP_ICMP | I_TITLE],
  ["InEchos", "echo requests: %d", I_INP_ICMP | I_TITLE],
  ["InErrors", "%d input ICMP message failed", NUMBER],
  ["InMsgs", "%d ICMP messages received", NUMBER],
  ["InParmProbs", "wrong parameters: %d", I_INP_ICMP | I_TITLE],
  ["InRedirects", "redirects: %d", I_INP_ICMP | I_TITLE],
  ["InSrcQuenchs", "source quenches: %d", I_INP_ICMP | I_TITLE],
  ["InTimeExcds", "timeout in transit: %d", I_INP_ICMP | I_TITLE],
  ["InTimestampReps", "timestamp reply: %d", I_INP_ICMP | I_TITLE],
  ["InTimestamps", "timestamp request: %d", I_INP_ICMP | I_TITLE],
  ["OutAddrMaskReps", "address mask replies: %d", I_OUTP_ICMP | I_TITLE],
  ["OutAddrMasks", "address mask requests: %d", I_OUTP_ICMP | I_TITLE],
  ["OutDestUnreachs", "destination unreachable: %d", I_OUTP_ICMP | I_TITLE],
  ["OutEchoReps", "echo replies: %d", I_OUTP_ICMP | I_TITLE],
  ["OutEchos", "echo requests: %d", I_OUTP_ICMP | I_TITLE],
  ["OutErrors", "%d ICMP messages failed", NUMBER],
  ["OutMsgs", "%d ICMP messages sent", NUMBER],
  ["OutParmProbs", "wrong parameters: %d", I_OUTP_ICMP | I_TITLE],
  ["OutRedirects", "redirect: %d", I_OUTP_ICMP | I_TITLE],
  ["OutSrcQuenchs", "source quench: %d", I_OUTP_ICMP | I_TITLE],
  ["OutTimeExcds", "time exceeded: %d", I_OUTP_ICMP | I_TITLE],
  ["OutTimestampReps", "timestamp replies: %d", I_OUTP_ICMP | I_TITLE],
  ["OutTimestamps", "timestamp requests: %d", I_OUTP_ICMP | I_TITLE],
];
const TCPTAB: readonly Entry[] = [
  ["ActiveOpens", "%d active connection openings", NUMBER],
  ["AttemptFails", "%d failed connection attempts", NUMBER],
  ["CurrEstab", "%d connections established", NUMBER],
  ["EstabResets", "%d connection resets received", NUMBER],
  ["InErrs", "%d bad segments received", NUMBER],
  ["InSegs", "%d segments received", NUMBER],
  ["MaxConn", "", NUMBER],
  ["OutRsts", "%d resets sent", NUMBER],
  ["OutSegs", "%d segments sent out", NUMBER],
  ["PassiveOpens", "%d passive connection openings", NUMBER],
  ["RetransSegs", "%d segments retransmitted", NUMBER],
  ["RtoAlgorithm", "RTO algorithm is %s", I_RTO_ALG | I_STATIC],
  ["RtoMax", "", NUMBER],
  ["RtoMin", "", NUMBER],
];
const UDPTAB: readonly Entry[] = [
  ["InDatagrams", "%d packets received", NUMBER],
  ["InErrors", "%d packet receive errors", NUMBER],
  ["NoPorts", "%d packets to unknown port received", NUMBER],
  ["OutDatagrams", "%d packets sent", NUMBER],
  ["RcvbufErrors", "%d receive buffer errors", NUMBER],
  ["SndbufErrors", "%d send buffer errors", NUMBER],
];
const TCPEXTTAB: readonly Entry[] = [
  ["DelayedACKLocked", "%d delayed acks further delayed because of locked socket", OPT_NUMBER],
  ["DelayedACKLost", "Quick ack mode was activated %d times", OPT_NUMBER],
  ["DelayedACKs", "%d delayed acks sent", OPT_NUMBER],
  ["EmbryonicRsts", "%d resets received for embryonic SYN_RECV sockets", OPT_NUMBER],
  ["ListenDrops", "%d SYNs to LISTEN sockets dropped", OPT_NUMBER],
  ["ListenOverflows", "%d times the listen queue of a socket overflowed", OPT_NUMBER],
  ["LockDroppedIcmps", "%d ICMP packets dropped because socket was locked", OPT_NUMBER],
  ["OfoPruned", "%d packets dropped from out-of-order queue because of socket buffer overrun", OPT_NUMBER],
  ["OutOfWindowIcmps", "%d ICMP packets dropped because they were out-of-window", OPT_NUMBER],
  ["PAWSActive", "%d active connections rejected because of time stamp", OPT_NUMBER],
  ["PAWSEstab", "%d packets rejected in established connections because of timestamp", OPT_NUMBER],
  ["PAWSPassive", "%d passive connections rejected because of time stamp", OPT_NUMBER],
  ["PruneCalled", "%d packets pruned from receive queue because of socket buffer overrun", OPT_NUMBER],
  ["RcvPruned", "%d packets pruned from receive queue", OPT_NUMBER],
  ["SockMallocOOM", "Ran %d times out of system memory during packet sending", OPT_NUMBER],
  ["SyncookiesFailed", "%d invalid SYN cookies received", OPT_NUMBER],
  ["SyncookiesRecv", "%d SYN cookies received", OPT_NUMBER],
  ["SyncookiesSent", "%d SYN cookies sent", OPT_NUMBER],
  ["TCPAbortFailed", "%d times unable to send RST due to no memory", OPT_NUMBER],
  ["TCPAbortOnClose", "%d connections reset due to early user close", OPT_NUMBER],
  ["TCPAbortOnData", "%d connections reset due to unexpected data", OPT_NUMBER],
  ["TCPAbortOnLinger", "%d connections aborted after user close in linger timeout", OPT_NUMBER],
  ["TCPAbortOnMemory", "%d connections aborted due to memory pressure", OPT_NUMBER],
  ["TCPAbortOnSyn", "%d connections reset due to unexpected SYN", OPT_NUMBER],
  ["TCPAbortOnTimeout", "%d connections aborted due to timeout", OPT_NUMBER],
  ["TCPDirectCopyFromBacklog", "%d bytes directly in process context from backlog", OPT_NUMBER],
  ["TCPDirectCopyFromPrequeue", "%d bytes directly received in process context from prequeue", OPT_NUMBER],
  ["TCPDSACKOfoRecv", "%d DSACKs for out of order packets received", OPT_NUMBER],
  ["TCPDSACKOfoSent", "%d DSACKs sent for out of order packets", OPT_NUMBER],
  ["TCPDSACKOldSent", "%d DSACKs sent for old packets", OPT_NUMBER],
  ["TCPDSACKRecv", "%d DSACKs received", OPT_NUMBER],
  ["TCPDSackUndo", "%d congestion window recovered without slow start using DSACK", OPT_NUMBER],
  ["TCPDSACKUndo", "%d congestion windows recovered without slow start by DSACK", OPT_NUMBER],
  ["TCPFACKReorder", "Detected reordering %d times using FACK", OPT_NUMBER],
  ["TCPFastRetrans", "%d fast retransmits", OPT_NUMBER],
  ["TCPForwardRetrans", "%d forward retransmits", OPT_NUMBER],
  ["TCPFullUndo", "%d congestion windows fully recovered without slow start", OPT_NUMBER],
  ["TCPHPAcks", "%d predicted acknowledgments", OPT_NUMBER],
  ["TCPHPHits", "%d packet headers predicted", NUMBER],
  ["TCPHPHitsToUser", "%d packet headers predicted and directly queued to user", OPT_NUMBER],
  ["TCPLossFailures", "%d timeouts in loss state", OPT_NUMBER],
  ["TCPLoss", "%d TCP data loss events", OPT_NUMBER],
  ["TCPLossUndo", "%d congestion windows recovered without slow start after partial ack", OPT_NUMBER],
  ["TCPLostRetransmits", "%d retransmits lost", OPT_NUMBER],
  ["TCPMemoryPressures", "TCP ran low on memory %d times", OPT_NUMBER],
  ["TCPPartialUndo", "%d congestion windows partially recovered using Hoe heuristic", OPT_NUMBER],
  ["TCPPrequeued", "%d packets directly queued to recvmsg prequeue", OPT_NUMBER],
  ["TCPPrequeueDropped", "%d packets dropped from prequeue", OPT_NUMBER],
  ["TCPPureAcks", "%d acknowledgments not containing data payload received", OPT_NUMBER],
  ["TCPRcvCollapsed", "%d packets collapsed in receive queue due to low socket buffer", OPT_NUMBER],
  ["TCPRenoFailures", "%d timeouts after reno fast retransmit", OPT_NUMBER],
  ["TCPRenoRecoveryFailed", "%d reno fast retransmits failed", OPT_NUMBER],
  ["TCPRenoRecoveryFail", "%d classic Reno fast retransmits failed", OPT_NUMBER],
  ["TCPRenoRecovery", "%d times recovered from packet loss due to fast retransmit", OPT_NUMBER],
  ["TCPRenoReorder", "Detected reordering %d times using reno fast retransmit", OPT_NUMBER],
  ["TCPSackFailures", "%d timeouts after SACK recovery", OPT_NUMBER],
  ["TCPSackRecoveryFail", "%d SACK retransmits failed", OPT_NUMBER],
  ["TCPSackRecovery", "%d times recovered from packet loss by selective acknowledgements", OPT_NUMBER],
  ["TCPSACKReneging", "%d bad SACK blocks received", OPT_NUMBER],
  ["TCPSACKReorder", "Detected reordering %d times using SACK", OPT_NUMBER],
  ["TCPSchedulerFailed", "%d times receiver scheduled too late for direct processing", OPT_NUMBER],
  ["TCPSlowStartRetrans", "%d retransmits in slow start", OPT_NUMBER],
  ["TCPTimeouts", "%d other TCP timeouts", OPT_NUMBER],
  ["TCPTSReorder", "Detected reordering %d times using time stamp", OPT_NUMBER],
  ["TWKilled", "%d TCP sockets finished time wait in slow timer", OPT_NUMBER],
  ["TW", "%d TCP sockets finished time wait in fast timer", OPT_NUMBER],
  ["TWRecycled", "%d time wait sockets recycled by time stamp", OPT_NUMBER],
];

/** Which of -t, -u, -w (raw: Ip and Icmp) were asked for; groups without a table always print. */
export interface StatFlags {
  raw: boolean;
  tcp: boolean;
  udp: boolean;
}

interface TabTab {
  title: string;
  tab: readonly Entry[] | null;
  flag: keyof StatFlags | null;
}

const SNMPTABS: readonly TabTab[] = [
  { title: "Ip", tab: IPTAB, flag: "raw" },
  { title: "Icmp", tab: ICMPTAB, flag: "raw" },
  { title: "Tcp", tab: TCPTAB, flag: "tcp" },
  { title: "Udp", tab: UDPTAB, flag: "udp" },
  { title: "TcpExt", tab: TCPEXTTAB, flag: "tcp" },
];

/** strcmp(3) on these ASCII names. */
function strcmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** glibc's bsearch(3), step for step: on a table that is not sorted it misses what it misses. */
function bsearch(key: string, tab: readonly Entry[]): Entry | null {
  let l = 0;
  let u = tab.length;
  while (l < u) {
    const idx = (l + u) >>> 1;
    const c = strcmp(key, tab[idx]![0]);
    if (c < 0) u = idx;
    else if (c > 0) l = idx + 1;
    else return tab[idx]!;
  }
  return null;
}

/** strtoull(3) of one value: a negative number wraps modulo 2^64 (MaxConn's -1); no digits gives 0. */
function strtoull(s: string | undefined): bigint {
  const m = /^[+-]?\d+/.exec(s ?? "");
  return m === null ? 0n : BigInt.asUintN(64, BigInt(m[0]));
}

/** The printer's state across groups and files, as statistics.c keeps it in statics. */
class Printer {
  out = "";
  state = NUMBER;
  readonly flags: StatFlags;
  constructor(flags: StatFlags) {
    this.flags = flags;
  }

  private line(indent: number, text: string): void {
    this.out += `${" ".repeat(indent)}${text}\n`;
  }

  /** printval() */
  printval(tab: TabTab, title: string, val: bigint): void {
    const ent = tab.tab === null ? null : bsearch(title, tab.tab);
    if (ent === null) {
      // "try our best"
      if (val !== 0n) this.line(STATES[this.state]!.indent, `${title}: ${val}`);
      return;
    }
    let type = ent[2];
    if (type & I_STATIC) return; // print_static is never set
    if (ent[1] === "") return;
    if (type & I_TITLE) {
      type &= ~I_TITLE;
      if (this.state !== type) this.line(STATES[this.state]!.indent, STATES[type]!.title!);
    }
    let buf = "";
    switch (type) {
      case OPT_NUMBER:
        if (val !== 0n) buf = ent[1].replace("%d", String(val));
        break;
      case NUMBER:
        buf = ent[1].replace("%d", String(val));
        break;
      case I_FORWARD:
        type = NUMBER;
        buf = ent[1].replace("%s", val === 2n ? "enabled" : "disabled");
        break;
      case I_OUTP_ICMP:
      case I_INP_ICMP:
        if (val > 0n) buf = ent[1].replace("%d", String(val));
        break;
      case I_RTO_ALG:
        break;
    }
    if (buf !== "") this.line(STATES[type]!.indent, buf);
    this.state = type;
  }

  /** newtable(): the group's table; an unknown group gets a table-less one (f_unknown is always set). */
  newtable(title: string): TabTab {
    const t = SNMPTABS.find((x) => x.title === title);
    if (t !== undefined) {
      if (t.flag === null || this.flags[t.flag]) this.out += `${title}:\n`;
      this.state = NUMBER;
      return t;
    }
    this.out += `${title}:\n`;
    return { title, tab: null, flag: null };
  }

  /** process_fd(): pairs of lines, "Group: names" then "Group: values". -1 on a malformed pair. */
  process(text: string): number {
    const lines = text.split("\n");
    let i = 0;
    while (i < lines.length) {
      const names = lines[i++]!;
      if (names === "" && i === lines.length) break; // end of file
      if (names === "") continue; // the empty first line of 2.6 kernels
      if (i >= lines.length) break;
      const vals = lines[i++]!;
      const sp = names.indexOf(":");
      const np = vals.indexOf(":");
      if (sp < 0 || np < 0) return -1;
      const tab = this.newtable(names.slice(0, sp));
      if (tab.flag !== null && !this.flags[tab.flag]) continue;
      const keys = names.slice(sp + 1).split(/[ \t]+/).filter((k) => k !== "");
      const values = vals.slice(np + 1).split(/[ \t]+/).filter((v) => v !== "");
      keys.forEach((k, j) => this.printval(tab, k, strtoull(values[j])));
    }
    return 0;
  }
}

/**
 * parsesnmp(): the prose for `netstat -s` from the text of /proc/net/snmp and of /proc/net/netstat
 * (null when it cannot be read: it is then skipped, as net-tools skips it), and the complaints
 * net-tools would print on stderr.
 */
export function parsesnmp(snmp: string, netstat: string | null, flags: StatFlags): { out: string; errors: string[] } {
  const p = new Printer(flags);
  const errors: string[] = [];
  if (p.process(snmp) < 0) errors.push("Problem while parsing /proc/net/snmp");
  if (netstat !== null && p.process(netstat) < 0) errors.push("Problem while parsing /proc/net/netstat");
  return { out: p.out, errors };
}
