/**
 * The short-lived halves of a connection (net/ipv4/tcp_minisocks.c, and tcp_conn_request from
 * tcp_input.c): children of a listener in SYN-RECEIVED and their move to the accept queue, and
 * TIME-WAIT.
 *
 * Linux keeps a SYN_RECV child as a small request_sock and a TIME_WAIT connection as a
 * tcp_timewait_sock. Here both are TcpSocks (a child gets its receive and send rings when its
 * SYN arrives; a TIME_WAIT sock has none): simpler, at the price of memory per pending handshake.
 * There are no SYN cookies (Linux's tcp_syncookies = 1): a full request queue drops the SYN.
 *
 * Context: softirq. Never sleeps.
 */
import { tcp_advmss, tcp_select_initial_window, tcp_sync_mss } from "./tcp_window.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { tcp_done, tcp_alloc_buffers, tcp_sock_alloc, sk_data_ready } from "./tcp.ts";
import { inet_bind_add, inet_ehash_insert, inet_ehash_remove, inet_put_port } from "./tcp_ipv4.ts";
import { secure_tcp_seq, secure_tcp_ts_off } from "./secure_seq.ts";
import { tcp_send_syn, tcp_v4_send_ctl } from "./tcp_output.ts";
import { inet_csk_clear_xmit_timers, inet_csk_reset_keepalive_timer, tcp_timewait_len_ns } from "./tcp_timer.ts";
import {
  after,
  seq_add,
  TCP_LISTEN,
  TCP_MIN_MSS,
  TCP_MSS_DEFAULT,
  TCP_SYN_RECV,
  TCP_TIME_WAIT,
  TCPHDR_ACK,
  TCPHDR_RST,
  TCPHDR_SYN,
  tcp_receive_window,
  type TcpSkb,
  type TcpSock,
} from "./tcp_sock.ts";
import { tcp_ext, tcp_mib, tcp_net } from "./tcp_net.ts";
import { tcp_apply_syn_options, tcp_time_stamp } from "./tcp_options.ts";

/** net.ipv4.tcp_invalid_ratelimit, for TIME-WAIT's answers. */
const TCP_TW_OOW_RATELIMIT_NS = 500_000_000;

/* ---- SYN-RECEIVED ---- */

/**
 * tcp_create_openreq_child(): a connection for a SYN that reached listener `l`: addresses from
 * the segment, options negotiated with what the SYN offered (RFC 7323, RFC 2018), ISN per RFC 6528
 * (or `isn` when a TIME-WAIT connection is reused), buffers, MSS and window. Socket options of the
 * listener are inherited, as accept()ed sockets inherit them in Linux.
 */
function tcp_create_openreq_child(l: TcpSock, skb: TcpSkb, isn: number): TcpSock {
  const sysctl = tcp_net.get().sysctl;
  const c = tcp_sock_alloc();
  c.state = TCP_SYN_RECV;
  c.parent = l;
  c.saddr = c.rcv_saddr = skb.daddr;
  c.sport = skb.dport;
  c.daddr = skb.saddr;
  c.dport = skb.sport;
  c.reuse = l.reuse;
  c.keepalive = l.keepalive;
  c.nonagle = l.nonagle;
  c.sk_rcvbuf = l.sk_rcvbuf;
  c.sk_sndbuf = l.sk_sndbuf;
  c.rcvbuf_locked = l.rcvbuf_locked;
  c.sndbuf_locked = l.sndbuf_locked;
  c.user_mss = l.user_mss;
  c.keepalive_time_s = l.keepalive_time_s;
  c.keepalive_intvl_s = l.keepalive_intvl_s;
  c.keepalive_probes = l.keepalive_probes;
  c.tstamp_ok = sysctl.tcp_timestamps !== 0;
  c.sack_ok = sysctl.tcp_sack !== 0;
  c.wscale_ok = sysctl.tcp_window_scaling !== 0;
  tcp_apply_syn_options(c, skb);
  c.irs = skb.seq;
  c.rcv_nxt = c.rcv_wup = c.copied_seq = seq_add(skb.seq, 1);
  c.iss = isn >= 0 ? isn : secure_tcp_seq(c.saddr, c.daddr, c.sport, c.dport);
  c.ts_offset = secure_tcp_ts_off(c.saddr, c.daddr);
  c.snd_wnd = c.max_window = skb.window;
  c.snd_wl1 = skb.seq;
  tcp_alloc_buffers(c);
  c.advmss = tcp_advmss(c);
  tcp_sync_mss(c);
  c.rcv_mss = Math.max(Math.min(c.advmss, c.mss_cache, TCP_MSS_DEFAULT), TCP_MIN_MSS);
  tcp_select_initial_window(c, c.advmss - (c.tcp_header_len - 20));
  c.rcv_tstamp_ns = c.ack_lrcvtime_ns = 0;
  inet_ehash_insert(c);
  inet_bind_add(c);
  return c;
}

/**
 * tcp_conn_request(): a SYN for listener `l` (RFC 9293 §3.10.7.2 "third, check for a SYN"). With
 * the accept queue full the SYN is dropped (ListenOverflows, ListenDrops); with
 * sk_max_ack_backlog handshakes already pending (at least one) too (TCPReqQFullDrop, ListenDrops).
 * Otherwise a child answers with a SYN-ACK.
 */
export function tcp_conn_request(l: TcpSock, skb: TcpSkb, isn: number): void {
  const ext = tcp_ext();
  if (l.accept_queue.length > l.max_ack_backlog) {
    ext.ListenOverflows++;
    ext.ListenDrops++;
    return;
  }
  if (l.syn_queue.length >= Math.max(l.max_ack_backlog, 1)) {
    ext.TCPReqQFullDrop++;
    ext.ListenDrops++;
    return;
  }
  const c = tcp_create_openreq_child(l, skb, isn);
  l.syn_queue.push(c);
  tcp_send_syn(c, TCPHDR_SYN | TCPHDR_ACK);
}

/**
 * inet_csk_complete_hashdance(): the handshake's last ACK reached child `c`: it moves from its
 * listener's request queue to the accept queue, or, if that is full, the ACK is dropped and the
 * child stays in SYN-RECEIVED (tcp_abort_on_overflow = 0: the client's retransmission or our
 * SYN-ACK's will try again). Returns false when the ACK was dropped.
 */
export function inet_csk_complete_hashdance(c: TcpSock): boolean {
  const l = c.parent;
  if (l === null || l.state !== TCP_LISTEN) return true;
  if (l.accept_queue.length > l.max_ack_backlog) {
    const ext = tcp_ext();
    ext.ListenOverflows++;
    ext.ListenDrops++;
    return false;
  }
  const i = l.syn_queue.indexOf(c);
  if (i >= 0) l.syn_queue.splice(i, 1);
  l.accept_queue.push(c);
  tcp_mib().PassiveOpens++;
  sk_data_ready(l);
  return true;
}

/** A child leaves its listener's queues (it failed, or was accepted). */
export function inet_csk_unlink_child(c: TcpSock): void {
  const l = c.parent;
  if (l === null) return;
  let i = l.syn_queue.indexOf(c);
  if (i >= 0) l.syn_queue.splice(i, 1);
  i = l.accept_queue.indexOf(c);
  if (i >= 0) l.accept_queue.splice(i, 1);
  c.parent = null;
}

/* ---- TIME-WAIT ---- */

/**
 * tcp_time_wait(): the connection enters TIME-WAIT (RFC 9293 §3.6). A timewait sock with what
 * TIME-WAIT needs — the 4-tuple, the sequence numbers to ACK a retransmitted FIN, the last
 * timestamp for PAWS — takes its place in the tables for TCP_TIMEWAIT_LEN (60 s), and the
 * connection itself is done (its owner sees it closed, as in Linux).
 */
export function tcp_time_wait(tp: TcpSock): void {
  const tw = tcp_sock_alloc();
  tw.state = TCP_TIME_WAIT;
  tw.dead = true;
  tw.saddr = tp.saddr;
  tw.rcv_saddr = tp.rcv_saddr;
  tw.sport = tp.sport;
  tw.daddr = tp.daddr;
  tw.dport = tp.dport;
  tw.reuse = tp.reuse;
  tw.snd_nxt = tw.snd_una = tp.snd_nxt;
  tw.rcv_nxt = tp.rcv_nxt;
  tw.rcv_wnd = tcp_receive_window(tp);
  tw.rcv_wscale = tp.rcv_wscale;
  tw.tstamp_ok = tp.tstamp_ok;
  tw.ts_recent = tp.ts_recent;
  tw.ts_recent_stamp_ns = tp.ts_recent_stamp_ns;
  tw.ts_offset = tp.ts_offset;
  tw.ino = 0;
  inet_ehash_remove(tp);
  inet_ehash_insert(tw);
  inet_bind_add(tw);
  inet_csk_reset_keepalive_timer(tw, "time_wait", tcp_timewait_len_ns());
  tcp_done(tp);
}

/** inet_twsk_kill(): a TIME-WAIT sock leaves the tables (timer expired, RST, or reused). */
export function inet_twsk_kill(tw: TcpSock): void {
  inet_csk_clear_xmit_timers(tw);
  inet_ehash_remove(tw);
  inet_put_port(tw);
}

/** The TIME-WAIT timer expired (Linux counts TW). */
export function tcp_tw_expire(tw: TcpSock): void {
  if (tw.state !== TCP_TIME_WAIT) return;
  tcp_ext().TW++;
  inet_twsk_kill(tw);
}

/** tcp_v4_timewait_ack(): re-ACK from TIME-WAIT (the peer's FIN, or anything out of window). */
function tcp_v4_timewait_ack(tw: TcpSock): void {
  tcp_v4_send_ctl(tw.saddr, tw.daddr, tw.sport, tw.dport, tw.snd_nxt, tw.rcv_nxt, TCPHDR_ACK, tw.rcv_wnd >>> tw.rcv_wscale, tw.tstamp_ok ? tcp_time_stamp(tw) : -1, tw.ts_recent);
}

/**
 * tcp_timewait_state_process(): a segment for a connection in TIME-WAIT (RFC 9293 §3.10.7.4 for
 * TIME-WAIT, with RFC 7323 PAWS and Linux's rules):
 *  - a RST in sequence ends TIME-WAIT at once (Linux's default, tcp_rfc1337 = 0);
 *  - a new SYN beyond what we received (or with a newer timestamp) may reuse the 4-tuple
 *    (RFC 9293 §3.10.7.4 / RFC 6191): returns the ISN for the new connection, above our old snd_nxt;
 *  - a retransmitted FIN (anything out of window) is ACKed again and the 60 s restart;
 *  - an in-sequence bare ACK is absorbed.
 * Returns the ISN to use for a reusing SYN, or -1 when the segment was consumed here.
 */
export function tcp_timewait_state_process(tw: TcpSock, skb: TcpSkb): number {
  const ext = tcp_ext();
  ext.TCPTimeWaitSegs++;
  const f = skb.flags;
  const opt = skb.opt;
  const paws_reject = opt.saw_tstamp && tw.tstamp_ok && tw.ts_recent !== 0 && ((tw.ts_recent - opt.rcv_tsval) | 0) > 1;
  if (!paws_reject && skb.seq === tw.rcv_nxt && (skb.seq === skb.end_seq || f & TCPHDR_RST)) {
    if (f & TCPHDR_RST) {
      if (tcp_net.get().sysctl.tcp_rfc1337 === 0) {
        ext.TWKilled++;
        inet_twsk_kill(tw);
        return -1;
      }
    }
    inet_csk_reset_keepalive_timer(tw, "time_wait", tcp_timewait_len_ns());
    if (opt.saw_tstamp && tw.tstamp_ok) tw.ts_recent = opt.rcv_tsval;
    return -1;
  }
  if (f & TCPHDR_SYN && !(f & (TCPHDR_RST | TCPHDR_ACK)) && !paws_reject && (after(skb.seq, tw.rcv_nxt) || (opt.saw_tstamp && tw.tstamp_ok && ((tw.ts_recent - opt.rcv_tsval) | 0) < 0))) {
    const isn = seq_add(tw.snd_nxt, 65535 + 2);
    ext.TWRecycled++;
    return isn === 0 ? 1 : isn;
  }
  if (paws_reject) ext.PAWSEstab++;
  if ((f & TCPHDR_RST) === 0) {
    if (paws_reject || f & TCPHDR_ACK) inet_csk_reset_keepalive_timer(tw, "time_wait", tcp_timewait_len_ns());
    // tcp_timewait_check_oow_rate_limit(): pure ACKs and SYNs get one answer per 500 ms.
    if (skb.len === 0 || f & TCPHDR_SYN) {
      const now = ktime_get_ns();
      if (now - tw.last_oow_ack_ns < TCP_TW_OOW_RATELIMIT_NS) {
        ext.TCPACKSkippedTimeWait++;
        return -1;
      }
      tw.last_oow_ack_ns = now;
    }
    tcp_v4_timewait_ack(tw);
  }
  return -1;
}
