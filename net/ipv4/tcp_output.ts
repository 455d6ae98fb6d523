/**
 * TCP output (net/ipv4/tcp_output.c, reduced): building segments with their options, the send
 * loop under the receive window, cwnd, sender SWS avoidance and Nagle, retransmission, ACKs (now
 * and delayed; the window they offer is tcp_window.ts's), SYN / SYN-ACK / FIN / RST, and probes. Several full segments
 * go as one GSO frame when the NIC segments (tcp_offload.ts).
 *
 * Buffers: every segment is built in a fresh packet buffer from the pool and handed to ip_output,
 * which owns it from then on; payload bytes are copied from the socket's send ring, which keeps them
 * until they are acknowledged. The checksum is left to the NIC (CHECKSUM_PARTIAL) or to the core's
 * software fallback when the device cannot.
 *
 * Context: process (send, connect, close), softirq (ACK processing, timers). Never sleeps.
 */
import { netif_tx_any_waiting, netif_tx_must_wait, netif_tx_wait } from "../../drivers/net/netdev_queue.ts";
import { EAGAIN, ENOBUFS } from "../../include/linux/errno.ts";
import { type NetDevice, TxWaiter } from "../../include/net/netdevice.ts";
import { IPPROTO_TCP, IP_PMTUDISC_WANT } from "../../include/uapi/in.ts";
import { pbuf_alloc } from "../../kernel/mm/pbuf.ts";
import { del_timer, mod_timer_ns } from "../../kernel/time/timer.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { ip_l4_csum, ip_output, L4_OFF } from "./ip.ts";
import { ip_route_output } from "./route.ts";
import { tcp_init_cwnd } from "./tcp_cong.ts";
import { inet_csk_reset_xmit_timer, tcp_probe0_base } from "./tcp_timer.ts";
import { tcp_gso_ok, tcp_send_new_gso, TCP_GSO_MAX_PAYLOAD } from "./tcp_offload.ts";
import {
  after,
  before,
  ICSK_ACK_PUSHED,
  ICSK_ACK_SCHED,
  ICSK_ACK_TIMER,
  ICSK_TIME_PROBE0,
  ICSK_TIME_RETRANS,
  MAX_TCP_WINDOW,
  seq_add,
  seq_diff,
  TCP_CA_CWR,
  TCP_CA_Loss,
  TCP_CA_Recovery,
  TCP_DELACK_MAX_NS,
  TCP_DELACK_MIN_NS,
  TCP_HLEN,
  TCP_SYN_SENT,
  TCPCB_EVER_RETRANS,
  TCPCB_LOST,
  TCPCB_SACKED_ACKED,
  TCPCB_SACKED_RETRANS,
  TCPHDR_ACK,
  TCPHDR_FIN,
  TCPHDR_PSH,
  TCPHDR_RST,
  TCPHDR_SYN,
  tcp_packets_in_flight,
  TCPOPT_NOP,
  TCPOPT_TIMESTAMP,
  TcpSegment,
  type TcpSock,
} from "./tcp_sock.ts";
import { tcp_ext, tcp_mib } from "./tcp_net.ts";
import { tcp_options_write } from "./tcp_options.ts";
import { tcp_select_window } from "./tcp_window.ts";

/**
 * tcp_transmit_skb(): build and send one segment of the connection: `len` payload bytes from the
 * send ring starting at `seq`, with `flags`. Returns ip_output's result (0 or -errno; the buffer is
 * consumed either way).
 */
export function tcp_transmit_skb(tp: TcpSock, seq: number, len: number, flags: number): number {
  const p = pbuf_alloc();
  if (p === null) return -ENOBUFS;
  const d = p.data;
  const v = p.view;
  const o = p.head + L4_OFF;
  // Options may not push a data segment past the MSS the payload was sized for.
  const room = len > 0 ? tp.mss_cache + tp.tcp_header_len - TCP_HLEN - len : 40;
  const hlen = TCP_HLEN + tcp_options_write(tp, d, v, o + TCP_HLEN, flags, room);
  v.setUint16(o, tp.sport);
  v.setUint16(o + 2, tp.dport);
  v.setUint32(o + 4, seq);
  v.setUint32(o + 8, flags & TCPHDR_ACK ? tp.rcv_nxt : 0);
  d[o + 12] = (hlen >> 2) << 4;
  d[o + 13] = flags;
  v.setUint16(o + 14, flags & TCPHDR_SYN ? Math.min(tp.rcv_wnd, MAX_TCP_WINDOW) : tcp_select_window(tp));
  v.setUint32(o + 16, 0); // checksum, urgent pointer
  if (len > 0) tp.snd_ring!.read_at(seq_diff(seq, tp.snd_buf_seq), d, o + hlen, len);
  ip_l4_csum(p, o, 16, csum_tcpudp_nofold(tp.saddr, tp.daddr, hlen + len, IPPROTO_TCP));
  tcp_mib().OutSegs++;
  if (flags & TCPHDR_ACK) tcp_event_ack_sent(tp);
  if (len > 0 || flags & (TCPHDR_SYN | TCPHDR_FIN)) tcp_event_data_sent(tp);
  // IP_PMTUDISC_WANT (a TCP socket's default): DF on every segment that fits the path MTU, so a
  // smaller link on the way answers with "fragmentation needed" (RFC 1191) and tcp_v4_err shrinks
  // the MSS.
  return ip_output(p, hlen + len, IPPROTO_TCP, tp.daddr, tp.saddr, undefined, tp.xmit_error, IP_PMTUDISC_WANT);
}

/**
 * tcp_v4_send_ctl(): a segment that belongs to no socket — a RST answering a segment (RFC 9293
 * §3.10.7.1) or a TIME_WAIT ACK — from the addresses and numbers given, with a timestamp when
 * `tsval` >= 0. Softirq context.
 */
export function tcp_v4_send_ctl(saddr: number, daddr: number, sport: number, dport: number, seq: number, ack: number, flags: number, window: number, tsval = -1, tsecr = 0): void {
  const p = pbuf_alloc();
  if (p === null) return;
  const d = p.data;
  const v = p.view;
  const o = p.head + L4_OFF;
  let hlen = TCP_HLEN;
  if (tsval >= 0) {
    d[o + 20] = TCPOPT_NOP;
    d[o + 21] = TCPOPT_NOP;
    d[o + 22] = TCPOPT_TIMESTAMP;
    d[o + 23] = 10;
    v.setUint32(o + 24, tsval);
    v.setUint32(o + 28, tsecr);
    hlen += 12;
  }
  v.setUint16(o, sport);
  v.setUint16(o + 2, dport);
  v.setUint32(o + 4, seq);
  v.setUint32(o + 8, ack);
  d[o + 12] = (hlen >> 2) << 4;
  d[o + 13] = flags;
  v.setUint16(o + 14, window);
  v.setUint32(o + 16, 0);
  ip_l4_csum(p, o, 16, csum_tcpudp_nofold(saddr, daddr, hlen, IPPROTO_TCP));
  const mib = tcp_mib();
  mib.OutSegs++;
  if (flags & TCPHDR_RST) mib.OutRsts++;
  ip_output(p, hlen, IPPROTO_TCP, daddr, saddr);
}

/** tcp_event_ack_sent(): an ACK went out, so the delayed one is no longer owed. */
export function tcp_event_ack_sent(tp: TcpSock): void {
  if (tp.ack_pending & ICSK_ACK_SCHED && tp.ack_quick > 0) {
    tp.ack_quick--;
    if (tp.ack_quick === 0) tp.ack_ato_ns = TCP_DELACK_MIN_NS;
  }
  tp.ack_pending = 0;
  tp.rcv_segs_since_ack = 0;
  del_timer(tp.delack_timer);
}

/**
 * tcp_event_data_sent(): data left. After an idle period longer than the RTO the window restarts
 * (RFC 5681 §4.1, tcp_cwnd_restart: halved per RTO idle, not below the initial window); a reply
 * within the ATO of the last segment received means an interactive exchange (pingpong: ACKs are
 * delayed so they ride on the replies).
 */
export function tcp_event_data_sent(tp: TcpSock): void {
  const now = ktime_get_ns();
  if (tp.packets_out === 0 && tp.lsndtime_ns !== 0 && now - tp.lsndtime_ns > tp.icsk_rto_ns) {
    const restart = Math.min(tcp_init_cwnd(), tp.snd_cwnd);
    let cwnd = tp.snd_cwnd;
    for (let delta = now - tp.lsndtime_ns - tp.icsk_rto_ns; delta > 0 && cwnd > restart; delta -= tp.icsk_rto_ns) cwnd >>= 1;
    tp.snd_cwnd = Math.max(cwnd, restart);
    tp.snd_cwnd_cnt = 0;
  }
  tp.lsndtime_ns = now;
  if (now - tp.ack_lrcvtime_ns < tp.ack_ato_ns) tp.ack_pingpong = true;
}

/** tcp_minshall_check(): a small segment is still unacknowledged (Minshall's variant of Nagle). */
function tcp_minshall_check(tp: TcpSock): boolean {
  return after(tp.snd_sml, tp.snd_una) && !after(tp.snd_sml, tp.snd_nxt);
}

/** Send new data [snd_nxt, snd_nxt + len) (with FIN if `fin`), record it in flight. */
function tcp_send_new(tp: TcpSock, len: number, fin: boolean): number {
  const seq = tp.snd_nxt;
  const end = seq_add(seq, len + (fin ? 1 : 0));
  let flags = TCPHDR_ACK;
  if (fin) flags |= TCPHDR_FIN;
  if (seq_add(seq, len) === tp.write_seq) flags |= TCPHDR_PSH;
  const r = tcp_transmit_skb(tp, seq, len, flags);
  // A local failure (device queue full, no route, no buffer): nothing left, so the data stays
  // unsent and is tried again on the next ACK or probe, as Linux's tcp_write_xmit leaves it.
  if (r < 0) return r;
  const now = ktime_get_ns();
  const rec = tp.rtx.push();
  rec.seq = seq;
  rec.end_seq = end;
  rec.tcp_flags = fin ? TCPHDR_FIN : 0;
  rec.first_tx_ns = rec.tx_ns = now;
  if (len > 0) tcp_ext().TCPOrigDataSent++;
  if (len < tp.mss_cache) tp.snd_sml = end;
  tp.snd_nxt = end;
  tp.packets_out++;
  if (tp.icsk_pending !== ICSK_TIME_RETRANS) inet_csk_reset_xmit_timer(tp, ICSK_TIME_RETRANS, tp.icsk_rto_ns);
  return 0;
}

/**
 * tcp_write_xmit(): send what the windows allow. A segment goes out when cwnd has room (pipe <
 * cwnd) and the peer's window takes it; a segment smaller than the MSS waits when it is not the end
 * of the queued data and the window is under half the largest window seen (sender SWS avoidance,
 * RFC 9293 §3.8.6.2.1), or, at the end of the data, under Nagle (RFC 896, Minshall's variant as
 * Linux) unless TCP_NODELAY or `push`. A FIN rides on the last data segment or goes alone.
 * Returns true when data is left unsent with nothing in flight (the caller arms the probe timer).
 */
export function tcp_write_xmit(tp: TcpSock, push = false): boolean {
  // Already waiting for the device's queue: the callback will send. Others waiting before us: join
  // them, in order, as segments queue in a qdisc (else the flow with the ACK clock always refills
  // the ring first and a flow that met it full starves).
  if (tp.tx_waiter !== null && tp.tx_waiter.queued) return false;
  // (The route lookup is only made while someone waits: not on every ACK.)
  if (netif_tx_any_waiting() && (seq_diff(tp.write_seq, tp.snd_nxt) > 0 || tp.fin_queued)) {
    const dev = ip_route_output(tp.daddr)?.dev;
    if (dev !== undefined && netif_tx_must_wait(dev)) {
      tcp_xmit_blocked_on(tp, dev);
      return false;
    }
  }
  const mss = tp.mss_cache;
  let is_cwnd_limited = false;
  let gso: boolean | null = null;
  for (;;) {
    const unsent = seq_diff(tp.write_seq, tp.snd_nxt);
    const fin_left = tp.fin_queued && unsent <= 0 && tp.snd_nxt === tp.write_seq;
    if (unsent <= 0 && !fin_left) break;
    if (tcp_packets_in_flight(tp) >= tp.snd_cwnd) {
      is_cwnd_limited = true;
      break;
    }
    const wnd_left = seq_diff(seq_add(tp.snd_una, tp.snd_wnd), tp.snd_nxt);
    let len = Math.min(unsent > 0 ? unsent : 0, mss);
    // Several full segments allowed at once: one GSO frame (checked once per call: a route lookup).
    if (gso === null && unsent >= 2 * mss) gso = tcp_gso_ok(tp);
    if (gso === true) {
      const n = Math.min(Math.floor(Math.min(unsent, wnd_left) / mss), tp.snd_cwnd - tcp_packets_in_flight(tp), Math.floor(TCP_GSO_MAX_PAYLOAD / mss));
      if (n >= 2) {
        const r = tcp_send_new_gso(tp, n);
        if (r < 0) {
          if (r === -EAGAIN) tcp_xmit_blocked(tp);
          break;
        }
        continue;
      }
    }
    if (len > 0) {
      if (len > wnd_left) {
        if (wnd_left <= 0 || wnd_left < tp.max_window >> 1) break;
        len = wnd_left;
      }
      const fin = tp.fin_queued && len === unsent;
      if (len < mss && len === unsent && !fin && !push && !tp.nonagle && tp.packets_out > 0 && tcp_minshall_check(tp)) break;
      const r = tcp_send_new(tp, len, fin);
      if (r < 0) {
        if (r === -EAGAIN) tcp_xmit_blocked(tp);
        break;
      }
    } else {
      // A FIN alone takes one unit of window, as in Linux's tcp_snd_wnd_test.
      if (wnd_left < 1) break;
      const r = tcp_send_new(tp, 0, true);
      if (r < 0) {
        if (r === -EAGAIN) tcp_xmit_blocked(tp);
        break;
      }
    }
  }
  tcp_cwnd_validate(tp, is_cwnd_limited);
  return tp.packets_out === 0 && (seq_diff(tp.write_seq, tp.snd_nxt) > 0 || (tp.fin_queued && tp.snd_nxt === tp.write_seq));
}

/**
 * tcp_cwnd_validate(): remember, per window of data, the most packets in flight and whether cwnd
 * held a send back, so that an application-limited flow does not grow cwnd (RFC 7661).
 */
function tcp_cwnd_validate(tp: TcpSock, is_cwnd_limited: boolean): void {
  if (!before(tp.snd_una, tp.cwnd_usage_seq) || is_cwnd_limited || tp.packets_out > tp.max_packets_out) {
    tp.max_packets_out = tp.packets_out;
    tp.cwnd_usage_seq = tp.snd_nxt;
    tp.is_cwnd_limited = is_cwnd_limited;
  }
}

/**
 * The device's queue was stopped (-EAGAIN): be called when it wakes. In Linux the segment would
 * wait in the qdisc and leave from NET_TX_SOFTIRQ; ringzero has no qdisc, so the socket asks to
 * send again then (netif_tx_wait). Without it, a socket with nothing in flight would retry only
 * on its probe timer while other flows refill the ring on every ACK. Process or softirq context.
 */
function tcp_xmit_blocked(tp: TcpSock): void {
  const dev = ip_route_output(tp.daddr)?.dev;
  if (dev !== undefined) tcp_xmit_blocked_on(tp, dev);
}

function tcp_xmit_blocked_on(tp: TcpSock, dev: NetDevice): void {
  tp.tx_waiter ??= new TxWaiter(() => tcp_push_pending_frames(tp));
  netif_tx_wait(dev, tp.tx_waiter);
}

/** tcp_push_pending_frames(): send, and if nothing can move, keep a probe timer running (tcp_check_probe_timer). */
export function tcp_push_pending_frames(tp: TcpSock, push = false): void {
  if (tp.snd_ring === null) return;
  if (tcp_write_xmit(tp, push) && tp.icsk_pending === 0) inet_csk_reset_xmit_timer(tp, ICSK_TIME_PROBE0, tcp_probe0_base(tp));
}

/**
 * tcp_retransmit_skb(): send again what `rec` covers and the peer has not acknowledged (a head
 * partly acknowledged is trimmed, Linux's tcp_trim_head). Counts RetransSegs.
 */
export function tcp_retransmit_skb(tp: TcpSock, rec: TcpSegment): number {
  let seq = rec.seq;
  const syn = (rec.tcp_flags & TCPHDR_SYN) !== 0;
  const fin = (rec.tcp_flags & TCPHDR_FIN) !== 0;
  if (!syn && before(seq, tp.snd_una)) seq = tp.snd_una;
  const len = Math.max(0, seq_diff(rec.end_seq, seq) - (syn ? 1 : 0) - (fin ? 1 : 0));
  let flags = tp.state === TCP_SYN_SENT && syn ? TCPHDR_SYN : TCPHDR_ACK | (rec.tcp_flags & (TCPHDR_SYN | TCPHDR_FIN));
  if (len > 0 && seq_add(seq, len) === tp.write_seq) flags |= TCPHDR_PSH;
  if (tp.retrans_stamp_ns === 0) tp.retrans_stamp_ns = rec.tx_ns;
  const r = tcp_transmit_skb(tp, seq, len, flags);
  tcp_mib().RetransSegs++;
  tp.total_retrans++;
  if ((rec.sacked & TCPCB_SACKED_RETRANS) === 0) {
    rec.sacked |= TCPCB_SACKED_RETRANS;
    tp.retrans_out++;
  }
  rec.sacked |= TCPCB_EVER_RETRANS;
  rec.tx_ns = ktime_get_ns();
  if (r < 0) tcp_ext().TCPRetransFail++;
  return r;
}

/**
 * tcp_xmit_retransmit_queue(): resend the segments the scoreboard marks lost, while the pipe is
 * under cwnd (RFC 6675 §5 step (C), RFC 6582 for the NewReno case). `fast_rexmit`: the first one
 * goes regardless (RFC 5681 §3.2 step 4, the fast retransmit itself).
 */
export function tcp_xmit_retransmit_queue(tp: TcpSock, fast_rexmit = false): void {
  const ext = tcp_ext();
  for (let i = 0; i < tp.rtx.count; i++) {
    const rec = tp.rtx.at(i);
    if ((rec.sacked & TCPCB_LOST) === 0 || (rec.sacked & (TCPCB_SACKED_ACKED | TCPCB_SACKED_RETRANS)) !== 0) continue;
    if (!fast_rexmit && tcp_packets_in_flight(tp) >= tp.snd_cwnd) break;
    fast_rexmit = false;
    tcp_retransmit_skb(tp, rec);
    if (tp.ca_state === TCP_CA_Loss) ext.TCPSlowStartRetrans++;
    else ext.TCPFastRetrans++;
    if (i === 0) inet_csk_reset_xmit_timer(tp, ICSK_TIME_RETRANS, tp.icsk_rto_ns);
  }
}

/**
 * tcp_simple_retransmit() (with tcp_fragment's split of the queue): the path MTU fell and the MSS
 * with it (tcp_v4_mtu_reduced). Every segment in flight, not SACKed, longer than the new MSS is
 * lost: it is split into MSS-sized records, each marked lost (any retransmission of the oversized
 * one is forgotten), and if anything is lost the connection enters Loss without touching cwnd
 * (the units changed, not the amount of data in flight: ssthresh = tcp_current_ssthresh), then
 * the lost segments go again as the pipe allows. Softirq context.
 */
export function tcp_simple_retransmit(tp: TcpSock): void {
  const mss = tp.mss_cache;
  const q = tp.rtx;
  let split = false;
  for (let i = 0; i < q.count && !split; i++) {
    const rec = q.at(i);
    if ((rec.sacked & TCPCB_SACKED_ACKED) === 0 && tcp_skb_seglen(rec) > mss) split = true;
  }
  if (split) {
    const out: TcpSegment[] = [];
    for (let i = 0; i < q.count; i++) {
      const rec = q.at(i);
      const seglen = tcp_skb_seglen(rec);
      if ((rec.sacked & TCPCB_SACKED_ACKED) !== 0 || seglen <= mss) {
        out.push(rec);
        continue;
      }
      // tcp_mark_skb_lost on the whole record, then tcp_fragment into pieces of `mss`.
      if (rec.sacked & TCPCB_SACKED_RETRANS) tp.retrans_out--;
      if (rec.sacked & TCPCB_LOST) tp.lost_out--;
      const syn = rec.tcp_flags & TCPHDR_SYN;
      const fin = rec.tcp_flags & TCPHDR_FIN;
      let seq = rec.seq;
      const n = Math.ceil(seglen / mss);
      for (let k = 0; k < n; k++) {
        const piece = k === 0 ? rec : new TcpSegment();
        const len = Math.min(mss, seglen - k * mss);
        piece.seq = seq;
        piece.end_seq = seq_add(seq, len + (k === 0 && syn ? 1 : 0) + (k === n - 1 && fin ? 1 : 0));
        piece.tcp_flags = (k === 0 ? syn : 0) | (k === n - 1 ? fin : 0);
        piece.sacked = (rec.sacked & TCPCB_EVER_RETRANS) | TCPCB_LOST;
        piece.first_tx_ns = rec.first_tx_ns;
        piece.tx_ns = rec.tx_ns;
        seq = piece.end_seq;
        out.push(piece);
      }
      tp.lost_out += n;
      tp.packets_out += n - 1;
    }
    // The ring, rebuilt in order with spare records after the live ones.
    const count = out.length;
    for (let i = count; i < Math.max(16, q.recs.length); i++) out.push(new TcpSegment());
    q.recs = out;
    q.head = 0;
    q.count = count;
  }
  if (tp.lost_out === 0) return;
  if (tp.ca_state !== TCP_CA_Loss) {
    tp.high_seq = tp.snd_nxt;
    tp.snd_ssthresh = tcp_current_ssthresh(tp);
    tp.ca_state = TCP_CA_Loss;
  }
  tcp_xmit_retransmit_queue(tp);
}

/** tcp_skb_seglen(): the payload bytes a record covers (its SYN and FIN not counted). */
function tcp_skb_seglen(rec: TcpSegment): number {
  return seq_diff(rec.end_seq, rec.seq) - (rec.tcp_flags & TCPHDR_SYN ? 1 : 0) - (rec.tcp_flags & TCPHDR_FIN ? 1 : 0);
}

/** tcp_current_ssthresh(): ssthresh in CWR/Recovery, else at least three quarters of cwnd. */
function tcp_current_ssthresh(tp: TcpSock): number {
  if (tp.ca_state === TCP_CA_CWR || tp.ca_state === TCP_CA_Recovery) return tp.snd_ssthresh;
  return Math.max(tp.snd_ssthresh, (tp.snd_cwnd >> 1) + (tp.snd_cwnd >> 2));
}

/** tcp_send_ack(): a pure ACK now (with SACK blocks and the current window). */
export function tcp_send_ack(tp: TcpSock): void {
  tcp_transmit_skb(tp, tp.snd_nxt, 0, TCPHDR_ACK);
}

/**
 * tcp_send_delayed_ack(): ACK within the ATO (40 ms at first; bounded by the RTT and by 200 ms, or
 * 500 ms in interactive mode, as Linux). An ACK already due within a quarter of the ATO goes now.
 */
export function tcp_send_delayed_ack(tp: TcpSock): void {
  const now = ktime_get_ns();
  let ato = tp.ack_ato_ns;
  if (ato > TCP_DELACK_MIN_NS) {
    let max_ato = tp.ack_pingpong || tp.ack_pending & ICSK_ACK_PUSHED ? 500_000_000 : TCP_DELACK_MAX_NS;
    if (tp.srtt_us !== 0) {
      const rtt = Math.max((tp.srtt_us >> 3) * 1000, TCP_DELACK_MIN_NS);
      if (rtt < max_ato) max_ato = rtt;
    }
    ato = Math.min(ato, max_ato);
  }
  let timeout = now + ato;
  if (tp.ack_pending & ICSK_ACK_TIMER) {
    if (tp.ack_timeout_ns <= now + Math.floor(ato / 4)) {
      tcp_send_ack(tp);
      return;
    }
    if (timeout > tp.ack_timeout_ns) timeout = tp.ack_timeout_ns;
  }
  tp.ack_pending |= ICSK_ACK_SCHED | ICSK_ACK_TIMER;
  tp.ack_timeout_ns = timeout;
  mod_timer_ns(tp.delack_timer, timeout);
}

/** tcp_send_active_reset(): abort the connection on the wire (RST|ACK at snd_nxt). */
export function tcp_send_active_reset(tp: TcpSock): void {
  tcp_transmit_skb(tp, tp.snd_nxt, 0, TCPHDR_RST | TCPHDR_ACK);
  tcp_mib().OutRsts++;
}

/** tcp_send_fin(): queue our FIN after the data and push (Nagle does not hold a FIN). */
export function tcp_send_fin(tp: TcpSock): void {
  if (tp.fin_queued) return;
  tp.fin_queued = true;
  tcp_push_pending_frames(tp, true);
}

/**
 * Start the handshake from `iss`: the SYN (tcp_connect), or for a child of a listener the SYN-ACK
 * (tcp_send_synack), recorded in flight so the retransmit timer resends it.
 */
export function tcp_send_syn(tp: TcpSock, flags: number): void {
  tp.snd_una = tp.iss;
  tp.snd_nxt = tp.iss;
  tp.write_seq = tp.snd_buf_seq = tp.snd_sml = seq_add(tp.iss, 1);
  tp.high_seq = tp.iss;
  const rec = tp.rtx.push();
  rec.seq = tp.iss;
  rec.end_seq = seq_add(tp.iss, 1);
  rec.tcp_flags = TCPHDR_SYN;
  rec.first_tx_ns = rec.tx_ns = ktime_get_ns();
  tp.snd_nxt = rec.end_seq;
  tp.packets_out = 1;
  tcp_transmit_skb(tp, tp.iss, 0, flags);
  inet_csk_reset_xmit_timer(tp, ICSK_TIME_RETRANS, tp.icsk_rto_ns);
}

/**
 * tcp_write_wakeup(): a probe (zero window, keepalive). If the window now takes some unsent data,
 * that data is the probe; otherwise a segment with the sequence number before snd_una and no data
 * (tcp_xmit_probe_skb), which the peer must answer with an ACK (RFC 9293 §3.8.6.1, RFC 1122
 * 4.2.3.6). Returns 0 or -errno.
 */
export function tcp_write_wakeup(tp: TcpSock): number {
  const wnd_end = seq_add(tp.snd_una, tp.snd_wnd);
  const unsent = seq_diff(tp.write_seq, tp.snd_nxt);
  if (unsent > 0 && before(tp.snd_nxt, wnd_end)) {
    const len = Math.min(unsent, tp.mss_cache, seq_diff(wnd_end, tp.snd_nxt));
    return tcp_send_new(tp, len, tp.fin_queued && len === unsent);
  }
  return tcp_transmit_skb(tp, seq_add(tp.snd_una, -1), 0, TCPHDR_ACK);
}
