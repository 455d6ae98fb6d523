/**
 * ACK processing on the sending side (net/ipv4/tcp_input.c's tcp_ack and what it calls, split out):
 * RFC 5961 §5.2's acceptable range, the send-window update (RFC 9293 §3.10.7.4 "fifth"), the
 * retransmit queue and send ring giving back what was acknowledged, the RTT sample (RFC 6298, with
 * Karn's algorithm and RFC 7323 timestamps), congestion control, the hand-over to loss recovery,
 * the retransmission timer's restart, and the zero-window probe's.
 *
 * Context: softirq (segment processing). Never sleeps; allocates nothing.
 */
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { sk_write_space } from "./tcp.ts";
import { tcp_reno_cong_avoid } from "./tcp_cong.ts";
import { tcp_send_challenge_ack } from "./tcp_input.ts";
import { tcp_ext } from "./tcp_net.ts";
import { tcp_fastretrans_alert, tcp_remove_reno_sacks, tcp_sacktag_write_queue } from "./tcp_recovery.ts";
import { inet_csk_reset_xmit_timer, tcp_probe0_when, tcp_rearm_rto } from "./tcp_timer.ts";
import {
  after,
  before,
  ICSK_TIME_PROBE0,
  seq_add,
  seq_diff,
  TCP_CA_Open,
  TCP_CA_Recovery,
  TCP_RTO_MAX_NS,
  TCP_RTO_MIN_NS,
  TCPCB_EVER_RETRANS,
  TCPCB_LOST,
  TCPCB_SACKED_ACKED,
  TCPCB_SACKED_RETRANS,
  TCPHDR_SYN,
  type TcpSkb,
  type TcpSock,
} from "./tcp_sock.ts";
import { tcp_time_stamp } from "./tcp_options.ts";

const FLAG_DATA = 0x01;
const FLAG_WIN_UPDATE = 0x02;
const FLAG_DATA_ACKED = 0x04;
const FLAG_RETRANS_DATA_ACKED = 0x08;
const FLAG_SYN_ACKED = 0x10;
const FLAG_DATA_SACKED = 0x20;
const FLAG_SND_UNA_ADVANCED = 0x400;
/** Do not answer an unacceptable ACK with a challenge ACK (the handshake's own ACK processing). */
export const FLAG_NO_CHALLENGE_ACK = 0x8000;
const FLAG_ACKED = FLAG_DATA_ACKED | FLAG_SYN_ACKED;
const FLAG_NOT_DUP = FLAG_DATA | FLAG_WIN_UPDATE | FLAG_ACKED;

/* ---- RTT (RFC 6298) ---- */

/**
 * tcp_rtt_estimator(): RFC 6298 §2 in Linux's fixed point (srtt_us × 8, mdev_us × 4), with Linux's
 * refinement: RTTVAR is the largest mean deviation seen over the last window, never below
 * TCP_RTO_MIN, and decays once per window.
 */
function tcp_rtt_estimator(tp: TcpSock, mrtt_us: number): void {
  const rto_min_us = TCP_RTO_MIN_NS / 1000;
  let m = mrtt_us;
  let srtt = tp.srtt_us;
  if (srtt !== 0) {
    m -= srtt >> 3;
    srtt += m;
    if (m < 0) {
      m = -m;
      m -= tp.mdev_us >> 2;
      if (m > 0) m >>= 3;
    } else {
      m -= tp.mdev_us >> 2;
    }
    tp.mdev_us += m;
    if (tp.mdev_us > tp.mdev_max_us) {
      tp.mdev_max_us = tp.mdev_us;
      if (tp.mdev_max_us > tp.rttvar_us) tp.rttvar_us = tp.mdev_max_us;
    }
    if (after(tp.snd_una, tp.rtt_seq)) {
      if (tp.mdev_max_us < tp.rttvar_us) tp.rttvar_us -= (tp.rttvar_us - tp.mdev_max_us) >> 2;
      tp.rtt_seq = tp.snd_nxt;
      tp.mdev_max_us = rto_min_us;
    }
  } else {
    srtt = m << 3;
    tp.mdev_us = m << 1;
    tp.rttvar_us = Math.max(tp.mdev_us, rto_min_us);
    tp.mdev_max_us = tp.rttvar_us;
    tp.rtt_seq = tp.snd_nxt;
  }
  tp.srtt_us = Math.max(1, srtt);
}

/** tcp_set_rto(): RTO = SRTT + max(TCP_RTO_MIN, 4·RTTVAR) (RFC 6298 (2.3), G replaced by RTO_min), at most 120 s. */
export function tcp_set_rto(tp: TcpSock): void {
  tp.icsk_rto_ns = Math.min(((tp.srtt_us >> 3) + tp.rttvar_us) * 1000, TCP_RTO_MAX_NS);
}

/**
 * tcp_ack_update_rtt(): take an RTT sample. Karn's algorithm (RFC 6298 §3): a segment that was
 * retransmitted gives no sample; then, with timestamps, the echoed TSval measures (RFC 7323 §4).
 * A valid sample ends the exponential backoff (RFC 6298 (5.7)).
 */
function tcp_ack_update_rtt(tp: TcpSock, skb: TcpSkb, flag: number, seq_rtt_us: number): void {
  if (seq_rtt_us < 0 && skb.opt.saw_tstamp && skb.opt.rcv_tsecr !== 0 && tp.tstamp_ok && flag & FLAG_ACKED) {
    const delta = (tcp_time_stamp(tp) - skb.opt.rcv_tsecr) >>> 0;
    if (delta < 0x7fffffff / 1000) seq_rtt_us = Math.max(delta, 1) * 1000;
  }
  if (seq_rtt_us < 0) return;
  // A sample beyond TCP_RTO_MAX says nothing more (and keeps the fixed point within 32 bits).
  tcp_rtt_estimator(tp, Math.min(seq_rtt_us, TCP_RTO_MAX_NS / 1000));
  tcp_set_rto(tp);
  tp.icsk_backoff = 0;
}

/* ---- ACK processing ---- */

/**
 * tcp_clean_rtx_queue(): drop what `ack` covers from the retransmit queue and the send ring, keep
 * the scoreboard counts right, count what was delivered, and take the RTT sample. Returns the
 * FLAG_* bits that describe what was acknowledged.
 */
function tcp_clean_rtx_queue(tp: TcpSock, skb: TcpSkb, ack: number, now: number): number {
  let acked = 0;
  let flag = 0;
  let first_ackt = -1;
  let sacked_before = 0;
  while (tp.rtx.count > 0) {
    const rec = tp.rtx.at(0);
    if (after(rec.end_seq, ack)) {
      if ((rec.tcp_flags & TCPHDR_SYN) === 0 && after(ack, rec.seq)) {
        rec.seq = ack; // the head is partly acknowledged (tcp_trim_head)
        flag |= FLAG_DATA_ACKED;
      }
      break;
    }
    const s = rec.sacked;
    if (s & TCPCB_SACKED_RETRANS) tp.retrans_out--;
    if (s & TCPCB_EVER_RETRANS) flag |= FLAG_RETRANS_DATA_ACKED;
    else if (first_ackt < 0) first_ackt = rec.first_tx_ns;
    if (s & TCPCB_SACKED_ACKED) {
      tp.sacked_out--;
      sacked_before++;
    } else if (s & TCPCB_LOST) tp.lost_out--;
    flag |= rec.tcp_flags & TCPHDR_SYN ? FLAG_SYN_ACKED : FLAG_DATA_ACKED;
    tp.packets_out--;
    acked++;
    tp.rtx.shift();
  }
  // Acknowledged bytes leave the send ring (a SYN or FIN has no bytes there).
  const ring = tp.snd_ring;
  if (ring !== null) {
    const data_end = before(ack, tp.write_seq) ? ack : tp.write_seq;
    const n = seq_diff(data_end, tp.snd_buf_seq);
    if (n > 0) {
      ring.consume(n);
      tp.snd_buf_seq = data_end;
    }
  }
  if (tp.sack_ok) tp.delivered += acked - sacked_before;
  else tcp_remove_reno_sacks(tp, acked);
  const seq_rtt_us = first_ackt >= 0 && (flag & FLAG_RETRANS_DATA_ACKED) === 0 ? Math.max(1, Math.round((now - first_ackt) / 1000)) : -1;
  tcp_ack_update_rtt(tp, skb, flag, seq_rtt_us);
  return flag;
}

/**
 * tcp_ack_update_window(): RFC 9293 §3.10.7.4 "fifth, check the ACK field": the send window is
 * updated from a segment newer than the last one used (SND.WL1/WL2).
 */
function tcp_ack_update_window(tp: TcpSock, skb: TcpSkb, ack: number): number {
  const nwin = (skb.flags & TCPHDR_SYN ? skb.window : skb.window << tp.snd_wscale) >>> 0;
  if (after(ack, tp.snd_una) || after(skb.seq, tp.snd_wl1) || (skb.seq === tp.snd_wl1 && (nwin > tp.snd_wnd || nwin === 0))) {
    tp.snd_wl1 = skb.seq;
    if (tp.snd_wnd !== nwin) {
      tp.snd_wnd = nwin;
      if (nwin > tp.max_window) tp.max_window = nwin;
    }
    return FLAG_WIN_UPDATE;
  }
  return 0;
}

/**
 * tcp_ack_probe(): nothing in flight and data waiting: if the window takes the next segment the
 * probe timer stops, else it keeps running with backoff.
 */
function tcp_ack_probe(tp: TcpSock): void {
  const unsent = seq_diff(tp.write_seq, tp.snd_nxt);
  if (unsent <= 0 && !(tp.fin_queued && tp.snd_nxt === tp.write_seq)) return;
  if (!after(seq_add(tp.snd_nxt, Math.min(Math.max(unsent, 1), tp.mss_cache)), seq_add(tp.snd_una, tp.snd_wnd))) {
    tp.icsk_backoff = 0;
    tp.icsk_probes_out = 0;
    if (tp.icsk_pending === ICSK_TIME_PROBE0) inet_csk_reset_xmit_timer(tp, 0, 0);
  } else if (tp.icsk_pending === 0) {
    inet_csk_reset_xmit_timer(tp, ICSK_TIME_PROBE0, tcp_probe0_when(tp, TCP_RTO_MAX_NS));
  }
}

/**
 * tcp_ack(): process the ACK field. Returns -1 for an unacceptable ACK (RFC 5961 §5.2: outside
 * [SND.UNA − MAX.SND.WND, SND.NXT]; a challenge ACK is sent), 0 for an old duplicate, 1 otherwise.
 */
export function tcp_ack(tp: TcpSock, skb: TcpSkb, flag: number): number {
  const ack = skb.ack_seq;
  const prior_snd_una = tp.snd_una;
  const ext = tcp_ext();
  if (before(ack, prior_snd_una)) {
    if (before(ack, seq_add(prior_snd_una, -tp.max_window))) {
      if ((flag & FLAG_NO_CHALLENGE_ACK) === 0) tcp_send_challenge_ack(tp, skb);
      ext.TCPDropBadAck++;
      return -1;
    }
    return 0;
  }
  if (after(ack, tp.snd_nxt)) {
    if ((flag & FLAG_NO_CHALLENGE_ACK) === 0) tcp_send_challenge_ack(tp, skb);
    ext.TCPDropBadAck++;
    return -1;
  }
  const now = ktime_get_ns();
  if (after(ack, prior_snd_una)) {
    flag |= FLAG_SND_UNA_ADVANCED;
    tp.icsk_retransmits = 0;
  }
  if (skb.seq !== skb.end_seq) flag |= FLAG_DATA;
  else ext.TCPPureAcks++;
  flag |= tcp_ack_update_window(tp, skb, ack);
  tp.sk_err_soft = 0;
  tp.icsk_probes_out = 0;
  tp.rcv_tstamp_ns = now;
  if (tp.packets_out === 0) {
    tcp_ack_probe(tp);
    return 1;
  }
  const prior_delivered = tp.delivered;
  if (tp.sack_ok && skb.opt.num_sacks > 0 && tcp_sacktag_write_queue(tp, skb) > 0) flag |= FLAG_DATA_SACKED;
  flag |= tcp_clean_rtx_queue(tp, skb, ack, now);
  tp.snd_una = ack;
  if (before(tp.highest_sack, ack)) tp.highest_sack = ack;
  if (flag & FLAG_SND_UNA_ADVANCED && tp.retrans_out === 0) tp.retrans_stamp_ns = 0;

  const is_dupack = (flag & (FLAG_SND_UNA_ADVANCED | FLAG_NOT_DUP)) === 0;
  if (is_dupack || flag & FLAG_DATA_SACKED || tp.ca_state !== TCP_CA_Open) tcp_fastretrans_alert(tp, is_dupack, (flag & FLAG_SND_UNA_ADVANCED) !== 0);
  // Congestion control (tcp_cong_control): no growth while the window is being reduced
  // (Recovery), and only for an ACK that moved snd_una (tcp_may_raise_cwnd); growth counts every
  // segment this ACK delivered, SACKed ones included.
  const delivered = tp.delivered - prior_delivered;
  ext.TCPDelivered += delivered;
  if (delivered > 0 && flag & FLAG_DATA_ACKED && tp.ca_state !== TCP_CA_Recovery) tcp_reno_cong_avoid(tp, delivered);
  if (flag & FLAG_ACKED) {
    tcp_rearm_rto(tp);
    sk_write_space(tp);
  }
  if (tp.packets_out === 0) tcp_ack_probe(tp);
  return 1;
}
