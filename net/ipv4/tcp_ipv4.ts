/**
 * TCP over IPv4 (net/ipv4/tcp_ipv4.c, inet_hashtables.c, inet_connection_sock.c's port code,
 * net/core/secure_seq.c, reduced): the receive entry point and its demultiplexing, the lookup
 * tables, port binding, active open, RSTs for segments no connection wants, RFC 6528 initial
 * sequence numbers, and /proc/net/tcp.
 *
 * Context: tcp_v4_rcv runs in softirq and owns the packet buffer it is given (it puts it before
 * returning); the rest is process context unless noted.
 */
import { tcp_advmss, tcp_select_initial_window, tcp_sync_mss } from "./tcp_window.ts";
import { EADDRINUSE, EADDRNOTAVAIL, EHOSTUNREACH, EINVAL, EMSGSIZE, ENETUNREACH, EPROTO } from "../../include/linux/errno.ts";
import { CHECKSUM_UNNECESSARY, type PBuf } from "../../include/net/netdevice.ts";
import { IPPROTO_TCP, type InetDiagSock } from "../../include/uapi/in.ts";
import { pbuf_put } from "../../kernel/mm/pbuf.ts";
import { timer_pending } from "../../kernel/time/timer.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { ICMP_DEST_UNREACH, icmp_err_convert, ICMP_FRAG_NEEDED, ICMP_HOST_UNREACH, ICMP_NET_UNREACH, ICMP_PARAMETERPROB, ICMP_TIME_EXCEEDED, NR_ICMP_UNREACH } from "./icmp.ts";
import { ip_mtu_locked, ip_route_mtu, ip_route_output, ip_rt_update_pmtu } from "./route.ts";
import type { IpInfo } from "./ip.ts";
import type { IcmpErrInfo } from "./protocol.ts";
import { tcp_alloc_buffers, tcp_done, tcp_set_state } from "./tcp.ts";
import { tcp_rcv_state_process } from "./tcp_input.ts";
import { inet_twsk_kill, tcp_conn_request, tcp_timewait_state_process } from "./tcp_minisocks.ts";
import { tcp_send_syn, tcp_simple_retransmit, tcp_v4_send_ctl } from "./tcp_output.ts";
import {
  ICSK_TIME_PROBE0,
  ICSK_TIME_RETRANS,
  after,
  before,
  seq_add,
  seq_diff,
  TCP_HLEN,
  TCP_CLOSE,
  TCP_LISTEN,
  TCP_MIN_MSS,
  TCP_MSS_DEFAULT,
  TCP_SYN_RECV,
  TCP_SYN_SENT,
  TCP_TIME_WAIT,
  TCPHDR_ACK,
  TCPHDR_FIN,
  TCPHDR_RST,
  TCPHDR_SYN,
  tcp_inq,
  TcpSkb,
  type TcpSock,
} from "./tcp_sock.ts";
import { tcp_ext, tcp_mib, tcp_net } from "./tcp_net.ts";
import { snmp } from "./snmp.ts";
import { tcp_parse_options } from "./tcp_options.ts";
import { secure_tcp_seq, secure_tcp_ts_off } from "./secure_seq.ts";

/* ---- tables (inet_hashtables.c) ---- */

function ehash_key(lport: number, rport: number): number {
  return lport * 65536 + rport;
}

/** inet_ehash_insert(): a connection (or child, or TIME_WAIT) becomes findable by its 4-tuple. */
export function inet_ehash_insert(tp: TcpSock): void {
  const t = tcp_net.get().ehash;
  const k = ehash_key(tp.sport, tp.dport);
  const b = t.get(k);
  if (b === undefined) t.set(k, [tp]);
  else if (!b.includes(tp)) b.push(tp);
}

export function inet_ehash_remove(tp: TcpSock): void {
  const t = tcp_net.get().ehash;
  const k = ehash_key(tp.sport, tp.dport);
  const b = t.get(k);
  if (b === undefined) return;
  const i = b.indexOf(tp);
  if (i >= 0) b.splice(i, 1);
  if (b.length === 0) t.delete(k);
}

/** __inet_lookup_established(): the connection a segment from raddr:rport to laddr:lport belongs to. */
export function __inet_lookup_established(raddr: number, rport: number, laddr: number, lport: number): TcpSock | undefined {
  const b = tcp_net.get().ehash.get(ehash_key(lport, rport));
  if (b === undefined) return undefined;
  for (let i = 0; i < b.length; i++) {
    const tp = b[i]!;
    if (tp.daddr === raddr && tp.saddr === laddr) return tp;
  }
  return undefined;
}

/** __inet_lookup_listener(): a listener on lport bound to laddr, else one bound to INADDR_ANY. */
export function __inet_lookup_listener(laddr: number, lport: number): TcpSock | undefined {
  const b = tcp_net.get().lhash.get(lport);
  if (b === undefined) return undefined;
  let any: TcpSock | undefined;
  for (const tp of b) {
    if (tp.rcv_saddr === laddr) return tp;
    if (tp.rcv_saddr === 0) any = tp;
  }
  return any;
}

export function inet_listen_hash(tp: TcpSock): void {
  const t = tcp_net.get().lhash;
  const b = t.get(tp.sport);
  if (b === undefined) t.set(tp.sport, [tp]);
  else if (!b.includes(tp)) b.push(tp);
}

export function inet_listen_unhash(tp: TcpSock): void {
  const t = tcp_net.get().lhash;
  const b = t.get(tp.sport);
  if (b === undefined) return;
  const i = b.indexOf(tp);
  if (i >= 0) b.splice(i, 1);
  if (b.length === 0) t.delete(tp.sport);
}

/** inet_bind_add(): `tp` holds its local port (inet_bind_hash / inet_inherit_port). */
export function inet_bind_add(tp: TcpSock): void {
  if (tp.bound) return;
  const t = tcp_net.get().bhash;
  const b = t.get(tp.sport);
  if (b === undefined) t.set(tp.sport, [tp]);
  else b.push(tp);
  tp.bound = true;
}

/**
 * inet_put_port(): `tp` lets its local port go (Linux clears inet_num: `bound` here; the port
 * number stays in the header fields, inet_sport, for what is still sent).
 */
export function inet_put_port(tp: TcpSock): void {
  if (!tp.bound) return;
  tp.bound = false;
  const t = tcp_net.get().bhash;
  const b = t.get(tp.sport);
  if (b !== undefined) {
    const i = b.indexOf(tp);
    if (i >= 0) b.splice(i, 1);
    if (b.length === 0) t.delete(tp.sport);
  }
}

/**
 * inet_csk_bind_conflict(): another socket holds `port` on an overlapping address, unless both set
 * SO_REUSEADDR and the other is not listening (so a restarted server can bind over its old
 * connections in TIME-WAIT, but two servers cannot listen on one port).
 */
function inet_csk_bind_conflict(tp: TcpSock, addr: number, port: number): boolean {
  const b = tcp_net.get().bhash.get(port);
  if (b === undefined) return false;
  for (const sk2 of b) {
    if (sk2 === tp) continue;
    if (addr !== 0 && sk2.rcv_saddr !== 0 && addr !== sk2.rcv_saddr) continue;
    if (tp.reuse && sk2.reuse && sk2.state !== TCP_LISTEN) continue;
    return true;
  }
  return false;
}

/** A free port from net.ipv4.ip_local_port_range, searched from a hash of the destination. */
function inet_pick_port(hint: number): number {
  const n = tcp_net.get();
  const [lo, hi] = n.sysctl.ip_local_port_range;
  const range = hi - lo + 1;
  const start = (hint + n.port_offset++) % range;
  for (let i = 0; i < range; i++) {
    const port = lo + ((start + i) % range);
    if (!n.bhash.has(port)) return port;
  }
  return 0;
}

/** inet_csk_get_port(): bind(): `port` (0: an ephemeral one) on `addr`. Returns 0 or -EADDRINUSE. */
export function inet_csk_get_port(tp: TcpSock, addr: number, port: number): number {
  if (tp.bound) return -EINVAL;
  if (port === 0) {
    port = inet_pick_port(addr);
    if (port === 0) return -EADDRINUSE;
  } else {
    if (port < 1 || port > 65535) return -EINVAL;
    if (inet_csk_bind_conflict(tp, addr, port)) return -EADDRINUSE;
    tp.bind_locked = true;
  }
  tp.rcv_saddr = tp.saddr = addr;
  tp.sport = port;
  inet_bind_add(tp);
  return 0;
}

/** listen()'s port check (inet_csk_listen_start → get_port): no other socket may listen there. */
export function inet_csk_listen_check(tp: TcpSock): number {
  if (!tp.bound) return inet_csk_get_port(tp, tp.rcv_saddr, 0);
  return inet_csk_bind_conflict(tp, tp.rcv_saddr, tp.sport) ? -EADDRINUSE : 0;
}

/* ---- active open ---- */

/**
 * tcp_twsk_unique(): may a connect() from an explicitly bound port reuse a 4-tuple still in
 * TIME-WAIT? With net.ipv4.tcp_tw_reuse = 2 (Linux's default) only over loopback, and with 1 when
 * timestamps protect it (the TIME-WAIT's last timestamp is more than a second old). Returns the
 * ISN to use, or -1.
 */
function tcp_twsk_unique(tw: TcpSock): number {
  const reuse = tcp_net.get().sysctl.tcp_tw_reuse;
  const loopback = tw.daddr >>> 24 === 127 || tw.daddr === tw.saddr;
  const ok = (reuse === 2 && loopback) || (reuse === 1 && tw.tstamp_ok && ktime_get_ns() - tw.ts_recent_stamp_ns > 1e9);
  if (!ok) return -1;
  const isn = seq_add(tw.snd_nxt, 65535 + 2);
  return isn === 0 ? 1 : isn;
}

/**
 * tcp_v4_connect(): route, source address, local port (ephemeral unless bound), options to offer,
 * buffers, MSS and window, ISN; then SYN-SENT and the SYN. Returns 0 or -errno.
 */
export function tcp_v4_connect(tp: TcpSock, daddr: number, dport: number): number {
  const n = tcp_net.get();
  const rt = ip_route_output(daddr);
  if (rt === null) return -ENETUNREACH;
  if (dport < 1 || dport > 65535) return -EINVAL;
  const saddr = tp.rcv_saddr !== 0 ? tp.rcv_saddr : rt.src;
  let isn = -1;
  if (!tp.bound) {
    const port = inet_pick_port(daddr ^ dport);
    if (port === 0) return -EADDRNOTAVAIL;
    tp.sport = port;
    inet_bind_add(tp);
  } else {
    const old = __inet_lookup_established(daddr, dport, saddr, tp.sport);
    if (old !== undefined) {
      if (old.state !== TCP_TIME_WAIT || (isn = tcp_twsk_unique(old)) < 0) return -EADDRNOTAVAIL;
      tcp_ext().TWRecycled++;
      inet_twsk_kill(old);
    }
  }
  tp.saddr = saddr;
  tp.daddr = daddr;
  tp.dport = dport;
  tp.tstamp_ok = n.sysctl.tcp_timestamps !== 0;
  tp.sack_ok = n.sysctl.tcp_sack !== 0;
  tp.wscale_ok = n.sysctl.tcp_window_scaling !== 0;
  tp.tcp_header_len = TCP_HLEN;
  tcp_alloc_buffers(tp);
  tp.advmss = tcp_advmss(tp);
  tp.rx_mss_clamp = TCP_MSS_DEFAULT;
  tcp_sync_mss(tp);
  tp.rcv_mss = Math.max(Math.min(tp.advmss, TCP_MSS_DEFAULT), TCP_MIN_MSS);
  tcp_select_initial_window(tp, tp.advmss);
  tp.iss = isn >= 0 ? isn : secure_tcp_seq(saddr, daddr, tp.sport, dport);
  tp.ts_offset = secure_tcp_ts_off(saddr, daddr);
  tcp_set_state(tp, TCP_SYN_SENT);
  inet_ehash_insert(tp);
  tcp_mib().ActiveOpens++;
  tcp_send_syn(tp, TCPHDR_SYN);
  return 0;
}

/* ---- receive ---- */

/** The segment being processed (see TcpSkb). */
const skb = new TcpSkb();

/**
 * tcp_v4_send_reset(): answer `s` with a RST (RFC 9293 §3.10.7.1): if it carried an ACK, the RST
 * takes that number as its sequence; otherwise sequence 0 and an ACK of everything it occupied.
 * Never answers a RST.
 */
export function tcp_v4_send_reset(s: TcpSkb): void {
  if (s.flags & TCPHDR_RST) return;
  if (s.flags & TCPHDR_ACK) tcp_v4_send_ctl(s.daddr, s.saddr, s.dport, s.sport, s.ack_seq, 0, TCPHDR_RST, 0);
  else tcp_v4_send_ctl(s.daddr, s.saddr, s.dport, s.sport, 0, s.end_seq, TCPHDR_RST | TCPHDR_ACK, 0);
}

/** A segment for a listener (RFC 9293 §3.10.7.2): RSTs are ignored, ACKs reset, SYNs open. */
function tcp_v4_listen_rcv(l: TcpSock, s: TcpSkb, isn: number): void {
  const ext = tcp_ext();
  if (s.flags & TCPHDR_RST) ext.TCPDropRstIgnored++;
  else if (s.flags & TCPHDR_ACK) tcp_v4_send_reset(s);
  else if (s.flags & TCPHDR_SYN && (s.flags & TCPHDR_FIN) === 0) tcp_conn_request(l, s, isn);
  else ext.TCPDropFlags++;
}

/**
 * tcp_v4_rcv(): the IPv4 protocol handler for TCP. Every segment counts in InSegs; a short or
 * malformed header, or a bad checksum, in InErrs (and InCsumErrors); then it goes to its
 * connection, TIME-WAIT sock or listener, or is answered with a RST (TCPDropNoSocket). The
 * checksum is not computed again when the NIC verified it (CHECKSUM_UNNECESSARY). Softirq; owns `p`.
 */
export function tcp_v4_rcv(p: PBuf, ip: IpInfo): void {
  const mib = tcp_mib();
  const ext = tcp_ext();
  const d = p.data;
  const v = p.view;
  const o = ip.iph + ip.ihl;
  const len = ip.tot_len - ip.ihl;
  mib.InSegs++;
  const doff = len >= TCP_HLEN ? (d[o + 12]! >> 4) * 4 : 0;
  if (len < TCP_HLEN || doff < TCP_HLEN || doff > len) {
    mib.InErrs++;
    pbuf_put(p);
    return;
  }
  if (p.ip_summed !== CHECKSUM_UNNECESSARY && csum_fold(csum_partial(d, o, len, csum_tcpudp_nofold(ip.saddr, ip.daddr, len, IPPROTO_TCP))) !== 0) {
    mib.InCsumErrors++;
    mib.InErrs++;
    pbuf_put(p);
    return;
  }
  if (ip.bcast) {
    ext.TCPDropNoSocket++; // TCP is unicast only (Linux drops pkt_type != PACKET_HOST)
    pbuf_put(p);
    return;
  }
  skb.data = d;
  skb.th = o;
  skb.doff = doff;
  skb.payload = o + doff;
  skb.len = len - doff;
  skb.sport = v.getUint16(o);
  skb.dport = v.getUint16(o + 2);
  skb.seq = v.getUint32(o + 4);
  skb.ack_seq = v.getUint32(o + 8);
  skb.flags = d[o + 13]! & 0x3f;
  skb.window = v.getUint16(o + 14);
  skb.saddr = ip.saddr;
  skb.daddr = ip.daddr;
  skb.end_seq = seq_add(skb.seq, skb.len + (skb.flags & TCPHDR_SYN ? 1 : 0) + (skb.flags & TCPHDR_FIN ? 1 : 0));
  tcp_parse_options(skb);
  let isn = -1;
  let tp = __inet_lookup_established(skb.saddr, skb.sport, skb.daddr, skb.dport);
  if (tp !== undefined && tp.state === TCP_TIME_WAIT) {
    isn = tcp_timewait_state_process(tp, skb);
    if (isn < 0) {
      pbuf_put(p);
      return;
    }
    inet_twsk_kill(tp);
    tp = undefined;
  }
  if (tp !== undefined) tcp_rcv_state_process(tp, skb);
  else {
    const l = __inet_lookup_listener(skb.daddr, skb.dport);
    if (l !== undefined) tcp_v4_listen_rcv(l, skb, isn);
    else {
      ext.TCPDropNoSocket++;
      tcp_v4_send_reset(skb);
    }
  }
  skb.data = EMPTY;
  pbuf_put(p);
}

const EMPTY = new Uint8Array(0);

/* ---- ICMP errors (tcp_v4_err) ---- */

/**
 * tcp_v4_err() (Linux 6.1): TCP's err_handler in the protocol table, for an ICMP error quoting a
 * segment we sent (the embedded IP header and the TCP header's first 8 bytes at `info`). The
 * connection is found by the quoted 4-tuple; none, or a closed one: ignored (Icmp InErrors when
 * none, as Linux). TIME_WAIT: ignored. A quoted sequence number outside snd_una … snd_nxt is
 * ignored and counted (TcpExt OutOfWindowIcmps) — a blind attacker does not know it. Then:
 *  - "fragmentation needed": the path MTU falls (ip_rt_update_pmtu), and tcp_v4_mtu_reduced
 *    resyncs the MSS and resends at once what no longer fits (tcp_simple_retransmit);
 *  - other destination unreachables map through icmp_err_convert, time exceeded to EHOSTUNREACH,
 *    parameter problem to EPROTO; codes past NR_ICMP_UNREACH and other types are ignored.
 * In SYN_SENT, or SYN_RECV of a simultaneous open, the error aborts the connection (sk_err, the
 * connect() sleeper woken); a handshake still in its listener's queue is dropped (tcp_req_err)
 * only for net/host unreachable, time exceeded and parameter problem. Otherwise it is a soft error
 * (sk_err_soft): a connection keeps trying, and should it time out the owner sees this error
 * instead of ETIMEDOUT (tcp_write_err). IP_RECVERR, which would make it a hard error, is not
 * offered on TCP sockets. Softirq context; `p` stays ICMP's. Never throws.
 */
export function tcp_v4_err(p: PBuf, info: IcmpErrInfo, type: number, code: number, mtu_or_info: number): void {
  const v = p.view;
  const sport = v.getUint16(info.l4);
  const dport = v.getUint16(info.l4 + 2);
  const seq = v.getUint32(info.l4 + 4);
  const tp = __inet_lookup_established(info.daddr, dport, info.saddr, sport);
  if (tp === undefined) {
    snmp.get().Icmp.InErrors++;
    return;
  }
  if (tp.state === TCP_TIME_WAIT) return;
  if (tp.state === TCP_SYN_RECV && tp.parent !== null) {
    tcp_req_err(tp, seq, type === ICMP_PARAMETERPROB || type === ICMP_TIME_EXCEEDED || (type === ICMP_DEST_UNREACH && (code === ICMP_NET_UNREACH || code === ICMP_HOST_UNREACH)));
    return;
  }
  if (tp.state === TCP_CLOSE) return;
  // between(seq, snd_una, snd_nxt), both ends included.
  if (before(seq, tp.snd_una) || after(seq, tp.snd_nxt)) {
    tcp_ext().OutOfWindowIcmps++;
    return;
  }
  let err: number;
  switch (type) {
    case ICMP_PARAMETERPROB:
      err = EPROTO;
      break;
    case ICMP_DEST_UNREACH:
      if (code > NR_ICMP_UNREACH) return;
      if (code === ICMP_FRAG_NEEDED) {
        // SYN-ACKs a listener sends are small; it has no interest (Linux: "goto out" for LISTEN).
        tcp_v4_mtu_reduced(tp, mtu_or_info);
        return;
      }
      err = icmp_err_convert[code]!.errno;
      break;
    case ICMP_TIME_EXCEEDED:
      err = EHOSTUNREACH;
      break;
    default:
      return;
  }
  if (tp.state === TCP_SYN_SENT || tp.state === TCP_SYN_RECV) {
    tp.sk_err = err;
    tcp_done(tp);
    return;
  }
  tp.sk_err_soft = err;
}

/**
 * tcp_req_err(): an ICMP error about a SYN-ACK of a handshake still in its listener's queue. The
 * quoted sequence must be the SYN-ACK's (our ISN), else OutOfWindowIcmps; `abort` drops the
 * handshake (ListenDrops), as inet_csk_reqsk_queue_drop.
 */
function tcp_req_err(tp: TcpSock, seq: number, abort: boolean): void {
  if (seq !== tp.iss) {
    tcp_ext().OutOfWindowIcmps++;
    return;
  }
  if (!abort) return;
  tcp_ext().ListenDrops++;
  tcp_done(tp);
}

/**
 * tcp_v4_mtu_reduced(): "fragmentation needed" with next-hop MTU `mtu` for a connection: the path
 * MTU cache learns it (inet_csk_update_pmtu → ip_rt_update_pmtu; never raised, clamped to
 * min_pmtu and locked below it). If the path MTU is now under what the segments were sized for,
 * EMSGSIZE is remembered as a soft error when DF is still set (the path cannot take even that),
 * and when the MSS shrinks (tcp_sync_mss) what is in flight and too long goes again at once
 * (tcp_simple_retransmit); otherwise the retransmission timer deals with it.
 */
function tcp_v4_mtu_reduced(tp: TcpSock, mtu: number): void {
  if (tp.state === TCP_LISTEN || tp.state === TCP_CLOSE) return;
  ip_rt_update_pmtu(tp.daddr, mtu);
  const dst_mtu = ip_route_mtu(tp.daddr);
  if (dst_mtu === 0) return;
  if (mtu < dst_mtu && !ip_mtu_locked(tp.daddr)) tp.sk_err_soft = EMSGSIZE;
  const old_mss = tp.mss_cache;
  if (tcp_sync_mss(tp) < old_mss) tcp_simple_retransmit(tp);
}

/* ---- /proc/net/tcp (tcp4_seq_show) ---- */

/** TMPSZ - 1: every line of /proc/net/tcp is padded to this width. */
const TCP_SEQ_WIDTH = 149;

function hex_addr(a: number): string {
  return ((((a & 0xff) << 24) | (((a >>> 8) & 0xff) << 16) | (((a >>> 16) & 0xff) << 8) | (a >>> 24)) >>> 0).toString(16).toUpperCase().padStart(8, "0");
}

function hex(n: number, w: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(w, "0");
}

/** jiffies_delta_to_clock_t(): a time left in USER_HZ (100 per second) ticks, never negative. */
function clock_t_left(deadline_ns: number, now: number): number {
  return Math.max(0, Math.floor((deadline_ns - now) / 10_000_000));
}

function pad(line: string): string {
  return line.padEnd(TCP_SEQ_WIDTH) + "\n";
}

function addr_port(a: number, p: number): string {
  return `${hex_addr(a)}:${hex(p, 4)}`;
}

/** One socket's line, as get_tcp4_sock, get_timewait4_sock and get_openreq4 print them. */
function tcp4_line(i: number, tp: TcpSock, now: number): string {
  const sl = String(i).padStart(4);
  const local = addr_port(tp.state === TCP_LISTEN ? tp.rcv_saddr : tp.saddr, tp.sport);
  const rem = addr_port(tp.state === TCP_LISTEN ? 0 : tp.daddr, tp.state === TCP_LISTEN ? 0 : tp.dport);
  const st = hex(tp.state, 2);
  if (tp.state === TCP_TIME_WAIT) {
    return pad(`${sl}: ${local} ${rem} ${st} 00000000:00000000 03:${hex(clock_t_left(tp.keepalive_timer.key, now), 8)} 00000000     0        0 0 3 0000000000000000`);
  }
  if (tp.state === TCP_SYN_RECV && tp.parent !== null) {
    return pad(`${sl}: ${local} ${rem} ${st} 00000000:00000000 01:${hex(clock_t_left(tp.icsk_timeout_ns, now), 8)} ${hex(tp.num_timeout, 8)}     0        0 0 0 0000000000000000`);
  }
  let tr = 0;
  let when = now;
  if (tp.icsk_pending === ICSK_TIME_RETRANS) {
    tr = 1;
    when = tp.icsk_timeout_ns;
  } else if (tp.icsk_pending === ICSK_TIME_PROBE0) {
    tr = 4;
    when = tp.icsk_timeout_ns;
  } else if (timer_pending(tp.keepalive_timer)) {
    tr = 2;
    when = tp.keepalive_timer.key;
  }
  const tx = tp.state === TCP_LISTEN ? 0 : Math.max(0, seq_diff(tp.write_seq, tp.snd_una));
  const rx = tp.state === TCP_LISTEN ? tp.accept_queue.length : tcp_inq(tp);
  const ssthresh = tp.state === TCP_LISTEN ? 0 : tp.snd_ssthresh >= 0x7fffffff ? -1 : tp.snd_ssthresh;
  const quick = (Math.min(tp.ack_quick, 0x7f) << 1) | (tp.ack_pingpong ? 1 : 0);
  return pad(
    `${sl}: ${local} ${rem} ${st} ${hex(tx, 8)}:${hex(rx, 8)} ${hex(tr, 2)}:${hex(clock_t_left(when, now), 8)} ${hex(tp.icsk_retransmits, 8)} ${String(0).padStart(5)} ${String(tp.icsk_probes_out).padStart(8)} ${tp.ino} 1 0000000000000000 ${Math.floor(tp.icsk_rto_ns / 10_000_000)} ${Math.floor(tp.ack_ato_ns / 10_000_000)} ${quick} ${tp.snd_cwnd} ${ssthresh}`,
  );
}

/** Every TCP socket in /proc/net/tcp's order: listeners, then the connection table. */
export function tcp_sockets(): TcpSock[] {
  const n = tcp_net.get();
  const out: TcpSock[] = [];
  for (const b of n.lhash.values()) out.push(...b);
  for (const b of n.ehash.values()) out.push(...b);
  return out;
}

/** inet_diag_dump_icsk(): every socket for ss, in /proc/net/tcp's order. */
export function tcp_diag_dump(): InetDiagSock[] {
  return tcp_sockets().map((tp) => {
    const listen = tp.state === TCP_LISTEN;
    return {
      state: tp.state,
      saddr: listen ? tp.rcv_saddr : tp.saddr,
      sport: tp.sport,
      daddr: listen ? 0 : tp.daddr,
      dport: listen ? 0 : tp.dport,
      rqueue: listen ? tp.accept_queue.length : tp.state === TCP_TIME_WAIT ? 0 : tcp_inq(tp),
      wqueue: listen ? tp.max_ack_backlog : tp.state === TCP_TIME_WAIT ? 0 : Math.max(0, seq_diff(tp.write_seq, tp.snd_una)),
      inode: tp.ino,
    };
  });
}

/** /proc/net/tcp. */
export function tcp4_seq_show(): string {
  const now = ktime_get_ns();
  let out = pad("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode");
  tcp_sockets().forEach((tp, i) => {
    out += tcp4_line(i, tp, now);
  });
  return out;
}
