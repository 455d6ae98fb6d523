/**
 * TCP input (net/ipv4/tcp_input.c, reduced): RFC 9293 §3.10.7.4's "SEGMENT ARRIVES" for every
 * state but LISTEN and TIME_WAIT (tcp_ipv4.ts and tcp_minisocks.ts take those), with RFC 7323
 * PAWS, RFC 5961's RST / SYN / ACK checks and challenge ACKs, ACK processing (window update, RTT
 * per RFC 6298, the retransmit queue, congestion control), in-order and out-of-order data, FIN, and
 * the delayed-ACK engine.
 *
 * Buffers: the segment's packet buffer belongs to tcp_v4_rcv, which puts it after this returns;
 * payload is copied into the socket's receive ring. Context: softirq. Never sleeps.
 */
import { __tcp_select_window, tcp_sync_mss } from "./tcp_window.ts";
import { ECONNREFUSED, ECONNRESET, EPIPE } from "../../include/linux/errno.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { tcp_done, tcp_set_state, tcp_init_transfer, sk_data_ready, sk_state_change } from "./tcp.ts";

import { tcp_v4_send_reset } from "./tcp_ipv4.ts";
import { inet_csk_complete_hashdance, tcp_time_wait } from "./tcp_minisocks.ts";
import { tcp_push_pending_frames, tcp_retransmit_skb, tcp_send_ack, tcp_send_delayed_ack } from "./tcp_output.ts";
import { FLAG_NO_CHALLENGE_ACK, tcp_ack } from "./tcp_ack.ts";
import { inet_csk_reset_keepalive_timer, tcp_fin_time_ns } from "./tcp_timer.ts";
import {
  after,
  before,
  ICSK_ACK_NOW,
  ICSK_ACK_SCHED,
  RCV_SHUTDOWN,
  SEND_SHUTDOWN,
  seq_add,
  seq_diff,
  TCP_ATO_MIN_NS,
  TCP_CLOSE,
  TCP_CLOSE_WAIT,
  TCP_CLOSING,
  TCP_ESTABLISHED,
  TCP_FIN_WAIT1,
  TCP_FIN_WAIT2,
  TCP_LAST_ACK,
  TCP_MAX_QUICKACKS,
  TCP_MIN_MSS,
  TCP_MSS_DEFAULT,
  TCP_SYN_RECV,
  TCP_SYN_SENT,
  TCP_TIME_WAIT,
  TCPHDR_ACK,
  TCPHDR_FIN,
  TCPHDR_RST,
  TCPHDR_SYN,
  tcp_receive_window,
  type TcpSkb,
  type TcpSock,
} from "./tcp_sock.ts";
import { tcp_ext } from "./tcp_net.ts";
import { tcp_apply_syn_options, tcp_time_stamp } from "./tcp_options.ts";

/** net.ipv4.tcp_invalid_ratelimit: one out-of-window ACK or challenge ACK per 500 ms per socket. */
const TCP_INVALID_RATELIMIT_NS = 500_000_000;
/** RFC 7323 §5.5: a timestamp older than 24 days no longer protects against wrapped sequence numbers. */
const TCP_PAWS_24DAYS_NS = 24 * 86400 * 1e9;

/* ---- out-of-window answers ---- */

/** __tcp_oow_rate_limited(): true (and counted) when an ACK of this kind went out less than 500 ms ago. */
function tcp_oow_rate_limited(tp: TcpSock, skb: TcpSkb, counter: "TCPACKSkippedSeq" | "TCPACKSkippedChallenge", exempt_data: boolean): boolean {
  // Data segments without SYN are not part of an ACK loop (tcp_oow_rate_limited).
  if (exempt_data && skb.len > 0 && (skb.flags & TCPHDR_SYN) === 0) return false;
  const now = ktime_get_ns();
  if (now - tp.last_oow_ack_ns < TCP_INVALID_RATELIMIT_NS) {
    tcp_ext()[counter]++;
    return true;
  }
  tp.last_oow_ack_ns = now;
  return false;
}

/** tcp_send_challenge_ack(): RFC 5961 §3.2/§4.2/§5.2: an ACK that tells a blind attacker nothing but a real peer what we expect. */
export function tcp_send_challenge_ack(tp: TcpSock, skb: TcpSkb): void {
  if (tcp_oow_rate_limited(tp, skb, "TCPACKSkippedChallenge", false)) return;
  tcp_ext().TCPChallengeACK++;
  tcp_send_ack(tp);
}

/** tcp_send_dupack(): a duplicate of data we have: ACK at once (RFC 9293 §3.10.7.4 "send an acknowledgment"). */
function tcp_send_dupack(tp: TcpSock, skb: TcpSkb): void {
  if (skb.len > 0 && before(skb.seq, tp.rcv_nxt)) {
    tcp_ext().DelayedACKLost++;
    tcp_enter_quickack_mode(tp);
  }
  tcp_send_ack(tp);
}

/* ---- delayed ACK engine (include/net/inet_connection_sock.h icsk_ack) ---- */

function tcp_incr_quickack(tp: TcpSock, max: number): void {
  let quickacks = Math.floor(tp.rcv_wnd / (2 * tp.rcv_mss));
  if (quickacks === 0) quickacks = 2;
  quickacks = Math.min(quickacks, max);
  if (quickacks > tp.ack_quick) tp.ack_quick = quickacks;
}

/** tcp_enter_quickack_mode(): ACK every segment for a while (loss suspected, or the connection is young). */
export function tcp_enter_quickack_mode(tp: TcpSock): void {
  tcp_incr_quickack(tp, TCP_MAX_QUICKACKS);
  tp.ack_pingpong = false;
  tp.ack_ato_ns = TCP_ATO_MIN_NS;
}

function tcp_in_quickack_mode(tp: TcpSock): boolean {
  return tp.ack_quick > 0 && !tp.ack_pingpong;
}

/**
 * tcp_event_data_recv(): data arrived. Learns the peer's segment size (rcv_mss) and adapts the
 * ACK timeout to the arrival spacing, as Linux; the first data starts in quick-ACK mode.
 */
function tcp_event_data_recv(tp: TcpSock, skb: TcpSkb): void {
  const now = ktime_get_ns();
  if (skb.len >= tp.rcv_mss) tp.rcv_mss = Math.min(skb.len, tp.advmss);
  if (tp.ack_lrcvtime_ns === 0) {
    tcp_incr_quickack(tp, TCP_MAX_QUICKACKS);
    tp.ack_ato_ns = TCP_ATO_MIN_NS;
  } else {
    const m = now - tp.ack_lrcvtime_ns;
    if (m <= TCP_ATO_MIN_NS / 2) tp.ack_ato_ns = Math.floor(tp.ack_ato_ns / 2) + TCP_ATO_MIN_NS / 2;
    else if (m < tp.ack_ato_ns) tp.ack_ato_ns = Math.min(Math.floor(tp.ack_ato_ns / 2) + m, tp.icsk_rto_ns);
    else if (m > tp.icsk_rto_ns) tcp_incr_quickack(tp, TCP_MAX_QUICKACKS);
  }
  tp.ack_lrcvtime_ns = now;
}

/**
 * __tcp_ack_snd_check(): an ACK is owed. It goes now after more than one full segment since the
 * last ACK (RFC 5681 §4.2: at least every second full-sized segment), in quick-ACK mode, when
 * asked (a gap was filled), or while out-of-order data is held (RFC 5681 §4.2: immediate duplicate
 * ACKs); otherwise it is delayed.
 */
function tcp_ack_snd_check(tp: TcpSock): void {
  if ((tp.ack_pending & ICSK_ACK_SCHED) === 0) return;
  if (
    (seq_diff(tp.rcv_nxt, tp.rcv_wup) > tp.rcv_mss && __tcp_select_window(tp) >= tp.rcv_wnd) ||
    tcp_in_quickack_mode(tp) ||
    (tp.ack_pending & ICSK_ACK_NOW) !== 0 ||
    tp.ofo.length > 0
  ) {
    tcp_send_ack(tp);
  } else {
    tcp_send_delayed_ack(tp);
  }
}

/* ---- data ---- */

/** Record [start, end) as held out of order, merging with neighbours; returns the index of its range. */
function tcp_ofo_insert(tp: TcpSock, start: number, end: number): number {
  const ofo = tp.ofo;
  let i = 0;
  while (i < ofo.length && before(ofo[i + 1]!, start)) i += 2;
  // ofo[i..] ends at or after start: merge every range that overlaps or touches [start, end).
  let j = i;
  while (j < ofo.length && !after(ofo[j]!, end)) {
    if (before(ofo[j]!, start)) start = ofo[j]!;
    if (after(ofo[j + 1]!, end)) end = ofo[j + 1]!;
    j += 2;
  }
  if (j > i) tcp_ext().TCPOFOMerge += (j - i) >> 1;
  ofo.splice(i, j - i, start, end);
  return i >> 1;
}

/** tcp_ofo_queue(): rcv_nxt reached out-of-order data: move it in order. */
function tcp_ofo_queue(tp: TcpSock): void {
  const ofo = tp.ofo;
  const ring = tp.rcv_ring!;
  while (ofo.length > 0 && !after(ofo[0]!, tp.rcv_nxt)) {
    const end = ofo[1]!;
    if (after(end, tp.rcv_nxt)) {
      ring.len += seq_diff(end, tp.rcv_nxt);
      tp.rcv_nxt = end;
    }
    ofo.splice(0, 2);
  }
  tp.ofo_last = ofo.length > 0 ? 0 : -1;
  if (tp.ofo_fin && tp.rcv_nxt === tp.ofo_fin_seq) {
    tp.ofo_fin = false;
    tp.rcv_nxt = seq_add(tp.rcv_nxt, 1);
    tcp_fin(tp);
  }
}

/**
 * tcp_fin(): the peer's FIN is in order (RFC 9293 §3.10.7.4 "eighth, check the FIN bit"). The
 * read side ends; the state moves on; an ACK is owed (delayed in CLOSE-WAIT, where it may ride on
 * our own FIN, as Linux's pingpong mode does).
 */
function tcp_fin(tp: TcpSock): void {
  tp.ack_pending |= ICSK_ACK_SCHED;
  tp.sk_shutdown |= RCV_SHUTDOWN;
  switch (tp.state) {
    case TCP_SYN_RECV:
    case TCP_ESTABLISHED:
      tcp_set_state(tp, TCP_CLOSE_WAIT);
      tp.ack_pingpong = true;
      break;
    case TCP_FIN_WAIT1:
      tcp_send_ack(tp);
      tcp_set_state(tp, TCP_CLOSING);
      break;
    case TCP_FIN_WAIT2:
      tcp_send_ack(tp);
      tcp_time_wait(tp);
      break;
    default:
      break;
  }
  tp.ofo.length = 0;
  tp.ofo_fin = false;
  sk_state_change(tp);
}

/**
 * tcp_data_queue(): RFC 9293 §3.10.7.4 "seventh, process the segment text". In-order bytes go to
 * the receive ring (and pull in out-of-order data that now follows); out-of-order bytes go to their
 * place in the ring and are SACKed; duplicates and data outside the window are dropped with an
 * immediate ACK.
 */
function tcp_data_queue(tp: TcpSock, skb: TcpSkb): void {
  const ext = tcp_ext();
  const fin = (skb.flags & TCPHDR_FIN) !== 0;
  if (skb.len === 0 && !fin) return;
  const ring = tp.rcv_ring;
  if (ring === null) return;
  let seq = skb.seq;
  let off = skb.payload;
  let len = skb.len;
  const end = seq_add(seq, len);
  if (!after(seq_add(end, fin ? 1 : 0), tp.rcv_nxt)) {
    // A retransmission of what we have: ACK now, so the sender stops.
    ext.DelayedACKLost++;
    tcp_enter_quickack_mode(tp);
    tp.ack_pending |= ICSK_ACK_SCHED | ICSK_ACK_NOW;
    return;
  }
  if (!before(seq, seq_add(tp.rcv_nxt, tcp_receive_window(tp))) && len > 0) {
    ext.TCPDropOutOfWindow++;
    tcp_enter_quickack_mode(tp);
    tp.ack_pending |= ICSK_ACK_SCHED | ICSK_ACK_NOW;
    return;
  }
  if (before(seq, tp.rcv_nxt)) {
    const skip = seq_diff(tp.rcv_nxt, seq);
    seq = tp.rcv_nxt;
    off += skip;
    len -= skip;
  }
  const at = seq_diff(seq, tp.copied_seq);
  const room = ring.capacity - at;
  if (seq === tp.rcv_nxt) {
    if (tcp_receive_window(tp) === 0 && len > 0) {
      ext.TCPZeroWindowDrop++;
      tcp_enter_quickack_mode(tp);
      tp.ack_pending |= ICSK_ACK_SCHED | ICSK_ACK_NOW;
      return;
    }
    const n = Math.min(len, room);
    if (n > 0) ring.write_at(at, skb.data, off, n);
    ring.len += n;
    tp.rcv_nxt = seq_add(tp.rcv_nxt, n);
    if (len > 0) tcp_event_data_recv(tp, skb);
    tp.ack_pending |= ICSK_ACK_SCHED;
    if (n < len) ext.TCPRcvQDrop++;
    else if (fin) {
      tp.rcv_nxt = seq_add(tp.rcv_nxt, 1);
      tcp_fin(tp);
    }
    if (tp.ofo.length > 0) {
      tcp_ofo_queue(tp);
      // RFC 5681 §4.2: ACK at once when a gap is filled.
      if (tp.ofo.length === 0) tp.ack_pending |= ICSK_ACK_NOW;
    }
    if (n > 0) sk_data_ready(tp);
    return;
  }
  // Out of order (tcp_data_queue_ofo).
  ext.TCPOFOQueue++;
  tcp_event_data_recv(tp, skb);
  tp.ack_pending |= ICSK_ACK_SCHED | ICSK_ACK_NOW;
  const n = Math.min(len, room);
  if (n <= 0) {
    ext.TCPOFODrop++;
    return;
  }
  ring.write_at(at, skb.data, off, n);
  tp.ofo_last = tcp_ofo_insert(tp, seq, seq_add(seq, n));
  if (fin && n === len) {
    tp.ofo_fin = true;
    tp.ofo_fin_seq = seq_add(seq, n);
  }
}

/* ---- state machine ---- */

/**
 * tcp_reset(): an acceptable RST (RFC 9293 §3.10.7.4 "second, check the RST bit"): the error the
 * owner sees depends on the state, as Linux reports it.
 */
export function tcp_reset(tp: TcpSock): void {
  switch (tp.state) {
    case TCP_SYN_SENT:
      tp.sk_err = ECONNREFUSED;
      break;
    case TCP_CLOSE_WAIT:
      tp.sk_err = EPIPE;
      break;
    case TCP_CLOSE:
      return;
    default:
      tp.sk_err = ECONNRESET;
  }
  tcp_done(tp);
}

/** RFC 7323 §5.3 PAWS: a timestamp older than the last one accepted marks an old duplicate. */
function tcp_paws_discard(tp: TcpSock, skb: TcpSkb): boolean {
  if (!skb.opt.saw_tstamp || !tp.tstamp_ok || tp.ts_recent === 0) return false;
  if ((tp.ts_recent - skb.opt.rcv_tsval) | 0) {
    if (((tp.ts_recent - skb.opt.rcv_tsval) | 0) <= 1) return false;
    return ktime_get_ns() - tp.ts_recent_stamp_ns < TCP_PAWS_24DAYS_NS;
  }
  return false;
}

/**
 * tcp_sequence(): RFC 9293 §3.10.7.4 "first, check sequence number", in Linux's form: the segment
 * must not end before the left edge we last advertised and must begin within the window.
 */
function tcp_sequence(tp: TcpSock, skb: TcpSkb): boolean {
  return !before(skb.end_seq, tp.rcv_wup) && !after(skb.seq, seq_add(tp.rcv_nxt, tcp_receive_window(tp)));
}

/**
 * tcp_validate_incoming(): PAWS, the sequence check, RST (RFC 5961 §3: exactly rcv_nxt resets,
 * elsewhere in the window draws a challenge ACK), the timestamp to echo (RFC 7323 §4.3), and a
 * SYN in a synchronized state (RFC 5961 §4: challenge ACK). Returns false when the segment is done.
 */
function tcp_validate_incoming(tp: TcpSock, skb: TcpSkb): boolean {
  const ext = tcp_ext();
  const rst = (skb.flags & TCPHDR_RST) !== 0;
  const syn = (skb.flags & TCPHDR_SYN) !== 0;
  if (tcp_paws_discard(tp, skb) && !rst) {
    ext.PAWSEstab++;
    if (!tcp_oow_rate_limited(tp, skb, "TCPACKSkippedSeq", true)) tcp_send_dupack(tp, skb);
    return false;
  }
  if (!tcp_sequence(tp, skb)) {
    ext.TCPDropOutOfWindow++;
    if (!rst) {
      if (syn) {
        ext.TCPSYNChallenge++;
        tcp_send_challenge_ack(tp, skb);
      } else if (!tcp_oow_rate_limited(tp, skb, "TCPACKSkippedSeq", true)) tcp_send_dupack(tp, skb);
    }
    return false;
  }
  if (rst) {
    // Linux also takes rcv_nxt - 1 after our FIN was answered with a FIN (tcp_reset_check).
    const late = (tp.state === TCP_CLOSE_WAIT || tp.state === TCP_LAST_ACK || tp.state === TCP_CLOSING) && skb.seq === seq_add(tp.rcv_nxt, -1);
    if (skb.seq === tp.rcv_nxt || late) tcp_reset(tp);
    else tcp_send_challenge_ack(tp, skb);
    return false;
  }
  // RFC 7323 §4.3: remember the timestamp of a segment that covers Last.ACK.sent.
  if (skb.opt.saw_tstamp && tp.tstamp_ok && !after(skb.seq, tp.rcv_wup) && ((skb.opt.rcv_tsval - tp.ts_recent) | 0) >= 0) {
    tp.ts_recent = skb.opt.rcv_tsval;
    tp.ts_recent_stamp_ns = ktime_get_ns();
  }
  if (syn) {
    // Our SYN-ACK crossed the peer's in a simultaneous open: it completes the handshake.
    if (tp.state === TCP_SYN_RECV && skb.flags & TCPHDR_ACK && seq_add(skb.seq, 1) === tp.rcv_nxt && skb.ack_seq === tp.snd_nxt) return true;
    // A retransmitted SYN for a passive open: the SYN-ACK was lost, send it again.
    if (tp.state === TCP_SYN_RECV && (skb.flags & TCPHDR_ACK) === 0 && skb.seq === tp.irs && tp.rtx.count > 0) {
      tcp_retransmit_skb(tp, tp.rtx.at(0));
      return false;
    }
    ext.TCPSYNChallenge++;
    tcp_send_challenge_ack(tp, skb);
    return false;
  }
  return true;
}

/**
 * tcp_rcv_synsent_state_process(): RFC 9293 §3.10.7.3, SYN-SENT. An ACK must cover our SYN (else
 * RST); a RST with such an ACK refuses the connection; a SYN-ACK establishes it; a SYN alone is a
 * simultaneous open (→ SYN-RECEIVED, SYN-ACK).
 */
function tcp_rcv_synsent_state_process(tp: TcpSock, skb: TcpSkb): void {
  const ext = tcp_ext();
  const f = skb.flags;
  if (f & TCPHDR_ACK) {
    if (!after(skb.ack_seq, tp.iss) || after(skb.ack_seq, tp.snd_nxt)) {
      if ((f & TCPHDR_RST) === 0) tcp_v4_send_reset(skb);
      else ext.TCPDropRstIgnored++;
      return;
    }
    if (skb.opt.saw_tstamp && tp.tstamp_ok && skb.opt.rcv_tsecr !== 0 && after(skb.opt.rcv_tsecr, tcp_time_stamp(tp))) {
      ext.PAWSActive++;
      return;
    }
  }
  if (f & TCPHDR_RST) {
    if (f & TCPHDR_ACK) tcp_reset(tp);
    else ext.TCPDropRstIgnored++;
    return;
  }
  if ((f & TCPHDR_SYN) === 0) {
    ext.TCPDropFlags++;
    return;
  }
  tcp_apply_syn_options(tp, skb);
  tp.irs = skb.seq;
  tp.rcv_nxt = tp.rcv_wup = tp.copied_seq = seq_add(skb.seq, 1);
  tp.snd_wl1 = skb.seq;
  tp.snd_wnd = tp.max_window = skb.window;
  tcp_sync_mss(tp);
  tp.rcv_mss = Math.max(Math.min(tp.advmss, tp.mss_cache, TCP_MSS_DEFAULT), TCP_MIN_MSS);
  if (f & TCPHDR_ACK) {
    tcp_ack(tp, skb, FLAG_NO_CHALLENGE_ACK);
    tcp_set_state(tp, TCP_ESTABLISHED);
    tcp_init_transfer(tp);
    sk_state_change(tp);
    tcp_send_ack(tp);
    tcp_push_pending_frames(tp);
    return;
  }
  tcp_set_state(tp, TCP_SYN_RECV);
  if (tp.rtx.count > 0) tcp_retransmit_skb(tp, tp.rtx.at(0));
}

/**
 * tcp_rcv_state_process(): a segment for a connection in any state but LISTEN and TIME_WAIT.
 */
export function tcp_rcv_state_process(tp: TcpSock, skb: TcpSkb): void {
  const ext = tcp_ext();
  if (tp.state === TCP_SYN_SENT) {
    tcp_rcv_synsent_state_process(tp, skb);
    return;
  }
  if (tp.state === TCP_CLOSE) {
    ext.TCPDropAfterClose++;
    if ((skb.flags & TCPHDR_RST) === 0) tcp_v4_send_reset(skb);
    return;
  }
  if (!tcp_validate_incoming(tp, skb)) return;
  if ((skb.flags & TCPHDR_ACK) === 0) {
    ext.TCPDropFlags++;
    return;
  }
  if (tp.state === TCP_SYN_RECV) {
    // The handshake's last ACK must cover our SYN exactly.
    if (skb.ack_seq !== tp.snd_nxt) {
      tcp_v4_send_reset(skb);
      return;
    }
    if (!inet_csk_complete_hashdance(tp)) return; // the listener's accept queue is full: dropped, counted
  }
  const acceptable = tcp_ack(tp, skb, tp.state === TCP_SYN_RECV ? FLAG_NO_CHALLENGE_ACK : 0);
  if (acceptable < 0) return;
  switch (tp.state) {
    case TCP_SYN_RECV:
      tp.snd_wnd = (skb.window << tp.snd_wscale) >>> 0;
      tp.max_window = Math.max(tp.max_window, tp.snd_wnd);
      tp.snd_wl1 = skb.seq;
      tcp_set_state(tp, TCP_ESTABLISHED);
      tcp_init_transfer(tp);
      sk_state_change(tp);
      break;
    case TCP_FIN_WAIT1:
      if (tp.fin_queued && tp.snd_una === seq_add(tp.write_seq, 1)) {
        tcp_set_state(tp, TCP_FIN_WAIT2);
        tp.sk_shutdown |= SEND_SHUTDOWN;
        if (tp.dead) {
          if (skb.end_seq !== skb.seq && after(seq_add(skb.end_seq, skb.flags & TCPHDR_FIN ? -1 : 0), tp.rcv_nxt)) {
            ext.TCPAbortOnData++;
            tcp_done(tp);
            tcp_v4_send_reset(skb);
            return;
          }
          inet_csk_reset_keepalive_timer(tp, "fin_wait2", tcp_fin_time_ns(tp));
        }
        sk_state_change(tp);
      }
      break;
    case TCP_CLOSING:
      if (tp.fin_queued && tp.snd_una === seq_add(tp.write_seq, 1)) {
        tcp_time_wait(tp);
        return;
      }
      break;
    case TCP_LAST_ACK:
      if (tp.fin_queued && tp.snd_una === seq_add(tp.write_seq, 1)) {
        tcp_done(tp);
        return;
      }
      break;
    default:
      break;
  }
  // Seventh, the segment text. After the peer's FIN only retransmissions of old data come (they
  // are answered); after our close() new data is answered with a RST (RFC 1122 4.2.2.13).
  const st = tp.state;
  const after_fin = st === TCP_CLOSE_WAIT || st === TCP_CLOSING || st === TCP_LAST_ACK;
  if (after_fin && !before(skb.seq, tp.rcv_nxt)) {
    // nothing to queue
  } else if (st === TCP_ESTABLISHED || st === TCP_FIN_WAIT1 || st === TCP_FIN_WAIT2 || after_fin) {
    if ((st === TCP_FIN_WAIT1 || st === TCP_FIN_WAIT2) && tp.sk_shutdown & RCV_SHUTDOWN && skb.end_seq !== skb.seq && after(seq_add(skb.end_seq, skb.flags & TCPHDR_FIN ? -1 : 0), tp.rcv_nxt)) {
      ext.TCPAbortOnData++;
      tcp_reset(tp);
      tcp_v4_send_reset(skb);
      return;
    }
    tcp_data_queue(tp, skb);
  }
  if (tp.state !== TCP_CLOSE && tp.state !== TCP_TIME_WAIT) {
    tcp_push_pending_frames(tp);
    tcp_ack_snd_check(tp);
  }
}
