/**
 * TCP's per-kernel state (Linux keeps it per network namespace: net->ipv4.sysctl_tcp_*, the
 * TCP_MIB_* and LINUX_MIB_* counters, inet_hashinfo's tables, net_secret): the sysctls with Linux's
 * defaults and their /proc/sys/net/ipv4 files, the Tcp and TcpExt counters, the lookup tables.
 */
import { EINVAL } from "../../include/linux/errno.ts";
import { kernfs_create, kernfs_remove } from "../../kernel/fs/kernfs.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import type { TcpSock } from "./tcp_sock.ts";

/* ---- sysctls (net.ipv4.tcp_*), Linux's defaults ---- */
export class TcpSysctl {
  tcp_syn_retries = 6;
  tcp_synack_retries = 5;
  tcp_retries1 = 3;
  tcp_retries2 = 15;
  tcp_orphan_retries = 0;
  tcp_fin_timeout = 60;
  tcp_keepalive_time = 7200;
  tcp_keepalive_intvl = 75;
  tcp_keepalive_probes = 9;
  tcp_timestamps = 1;
  tcp_window_scaling = 1;
  tcp_sack = 1;
  tcp_rfc1337 = 0;
  /** 2: reuse TIME_WAIT 4-tuples for new connections over loopback only (Linux's default). */
  tcp_tw_reuse = 2;
  tcp_reordering = 3;
  tcp_rmem: [number, number, number] = [4096, 131072, 6291456];
  tcp_wmem: [number, number, number] = [4096, 16384, 4194304];
  ip_local_port_range: [number, number] = [32768, 60999];
}

/**
 * The Tcp group of /proc/net/snmp (RFC 4022's tcpMIB as Linux counts it) and the TcpExt counters
 * of /proc/net/netstat that this stack keeps, in Linux's order. Every received segment counts in
 * InSegs and, if it is dropped, in one of InErrs or a TcpExt counter named after the reason.
 */
export class TcpMib {
  RtoAlgorithm = 1;
  RtoMin = 200;
  RtoMax = 120000;
  MaxConn = -1;
  ActiveOpens = 0;
  PassiveOpens = 0;
  AttemptFails = 0;
  EstabResets = 0;
  CurrEstab = 0;
  InSegs = 0;
  OutSegs = 0;
  RetransSegs = 0;
  InErrs = 0;
  OutRsts = 0;
  InCsumErrors = 0;
}

export class TcpExtMib {
  EmbryonicRsts = 0;
  TW = 0;
  TWRecycled = 0;
  TWKilled = 0;
  PAWSActive = 0;
  PAWSEstab = 0;
  DelayedACKs = 0;
  DelayedACKLost = 0;
  ListenOverflows = 0;
  ListenDrops = 0;
  TCPPureAcks = 0;
  TCPHPAcks = 0;
  TCPRenoRecovery = 0;
  TCPSackRecovery = 0;
  TCPRenoFailures = 0;
  TCPSackFailures = 0;
  TCPLossFailures = 0;
  TCPFastRetrans = 0;
  TCPSlowStartRetrans = 0;
  TCPTimeouts = 0;
  TCPAbortOnData = 0;
  TCPAbortOnClose = 0;
  TCPAbortOnMemory = 0;
  TCPAbortOnTimeout = 0;
  TCPAbortOnLinger = 0;
  TCPAbortFailed = 0;
  TCPSACKReneging = 0;
  TCPSACKDiscard = 0;
  TCPRcvCoalesce = 0;
  TCPOFOQueue = 0;
  TCPOFODrop = 0;
  TCPOFOMerge = 0;
  TCPChallengeACK = 0;
  TCPSYNChallenge = 0;
  TCPSpuriousRtxHostQueues = 0;
  TCPReqQFullDrop = 0;
  TCPRetransFail = 0;
  TCPRcvQDrop = 0;
  TCPZeroWindowDrop = 0;
  TCPWantZeroWindowAdv = 0;
  TCPToZeroWindowAdv = 0;
  TCPFromZeroWindowAdv = 0;
  TCPOrigDataSent = 0;
  TCPKeepAlive = 0;
  TCPDelivered = 0;
  TCPACKSkippedSeq = 0;
  TCPACKSkippedChallenge = 0;
  TCPACKSkippedTimeWait = 0;
  TCPWinProbe = 0;
  /** ICMP errors quoting a sequence number outside snd_una … snd_nxt (tcp_v4_err). Linux lists it after EmbryonicRsts. */
  OutOfWindowIcmps = 0;
  /*
   * ringzero's, for drops Linux reports only as skb drop reasons (include/net/dropreason-core.h),
   * so that every received segment ends in a counter: TCP_INVALID_SEQUENCE / TCP_OLD_SEQUENCE
   * (outside the window), NO_SOCKET answered or not, TCP_FLAGS (no ACK, or nonsense flags),
   * TCP_OLD_ACK / TCP_TOO_OLD_ACK / TCP_ACK_UNSENT_DATA, TCP_RESET ignored, TCP_CLOSE (data after
   * close), and TIME_WAIT segments absorbed.
   */
  TCPDropOutOfWindow = 0;
  TCPDropNoSocket = 0;
  TCPDropFlags = 0;
  TCPDropBadAck = 0;
  TCPDropRstIgnored = 0;
  TCPDropAfterClose = 0;
  TCPTimeWaitSegs = 0;
}

/* ---- per-kernel TCP state (the hash tables of inet_hashinfo, net->ipv4 sysctls, MIBs) ---- */

export class TcpNet {
  readonly sysctl = new TcpSysctl();
  readonly mib = new TcpMib();
  readonly ext = new TcpExtMib();
  /** Connected, SYN_RECV and TIME_WAIT sockets by (local port << 16 | remote port), then by addresses. */
  readonly ehash = new Map<number, TcpSock[]>();
  /** Listening sockets by port. */
  readonly lhash = new Map<number, TcpSock[]>();
  /** Every socket holding a local port (bind(), listen(), connect(), TIME_WAIT), by port. */
  readonly bhash = new Map<number, TcpSock[]>();
  /** The RFC 6528 secret key (net_secret), four 32-bit words. */
  readonly secret = new Uint32Array(4);
  next_ino = 10000;
  /** Where the next ephemeral port search starts. */
  port_offset = 0;
  /** Challenge ACKs sent in the current second (RFC 5961 §7, tcp_challenge_ack_limit). */
  challenge_count = 0;
  challenge_stamp_s = -1;
}
export const tcp_net = DEFINE_PER_KERNEL(() => new TcpNet());
export const tcp_mib = (): TcpMib => tcp_net.get().mib;
export const tcp_ext = (): TcpExtMib => tcp_net.get().ext;

/* ---- /proc/sys/net/ipv4 (net/ipv4/sysctl_net_ipv4.c) ---- */

const TCP_SYSCTLS = [
  "tcp_syn_retries",
  "tcp_synack_retries",
  "tcp_retries1",
  "tcp_retries2",
  "tcp_orphan_retries",
  "tcp_fin_timeout",
  "tcp_keepalive_time",
  "tcp_keepalive_intvl",
  "tcp_keepalive_probes",
  "tcp_timestamps",
  "tcp_window_scaling",
  "tcp_sack",
  "tcp_rfc1337",
  "tcp_tw_reuse",
  "tcp_reordering",
] as const;
const TCP_VECTOR_SYSCTLS = ["tcp_rmem", "tcp_wmem", "ip_local_port_range"] as const;

/** net.ipv4.tcp_* under /proc/sys, readable and writable as in Linux (`sysctl net.ipv4.tcp_sack=0`). */
export function tcp_sysctl_register(): void {
  const s = tcp_net.get().sysctl;
  for (const name of TCP_SYSCTLS) {
    kernfs_create(`/proc/sys/net/ipv4/${name}`, {
      show: () => `${s[name]}\n`,
      store: (data: string) => {
        const v = Number(data.trim());
        if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) return -EINVAL;
        s[name] = v;
        return data.length;
      },
    });
  }
  for (const name of TCP_VECTOR_SYSCTLS) {
    kernfs_create(`/proc/sys/net/ipv4/${name}`, {
      show: () => `${s[name].join("\t")}\n`,
      store: (data: string) => {
        const v = data.trim().split(/\s+/).map(Number);
        if (v.length !== s[name].length || v.some((x) => !Number.isInteger(x) || x < 0 || x > 0x7fffffff)) return -EINVAL;
        if (name === "ip_local_port_range" && (v[0]! > v[1]! || v[0]! < 1 || v[1]! > 65535)) return -EINVAL;
        for (let i = 0; i < v.length; i++) s[name][i] = v[i]!;
        return data.length;
      },
    });
  }
}

export function tcp_sysctl_unregister(): void {
  for (const name of [...TCP_SYSCTLS, ...TCP_VECTOR_SYSCTLS]) kernfs_remove(`/proc/sys/net/ipv4/${name}`);
}
