/**
 * TCP timers (net/ipv4/tcp_timer.c, reduced): the retransmission timer (RFC 6298 §5, with the
 * zero-window probe sharing it as ICSK_TIME_PROBE0), the delayed-ACK timer, and sk_timer for
 * keepalive (RFC 1122 4.2.3.6), the orphaned FIN-WAIT-2 timeout and TIME-WAIT.
 *
 * All are kernel timers on the virtual clock, owned by the socket and re-armed in place. Callbacks
 * run in softirq context and never sleep.
 */
import { tcp_sync_mss } from "./tcp_window.ts";
import { ETIMEDOUT } from "../../include/linux/errno.ts";
import { del_timer, mod_timer_ns } from "../../kernel/time/timer.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { tcp_done } from "./tcp.ts";
import { tcp_tw_expire } from "./tcp_minisocks.ts";
import { tcp_retransmit_skb, tcp_send_active_reset, tcp_send_ack, tcp_write_wakeup, tcp_xmit_retransmit_queue } from "./tcp_output.ts";
import { tcp_enter_loss } from "./tcp_recovery.ts";
import {
  ICSK_ACK_SCHED,
  ICSK_ACK_TIMER,
  ICSK_TIME_PROBE0,
  ICSK_TIME_RETRANS,
  seq_diff,
  TCP_ATO_MIN_NS,
  TCP_CA_Disorder,
  TCP_CA_Loss,
  TCP_CA_Recovery,
  TCP_CLOSE,
  TCP_FIN_WAIT2,
  TCP_LISTEN,
  TCP_RESOURCE_PROBE_INTERVAL_NS,
  TCP_RTO_MAX_NS,
  TCP_RTO_MIN_NS,
  TCP_SYN_RECV,
  TCP_SYN_SENT,
  TCP_TIMEWAIT_LEN_NS,
  type TcpSock,
} from "./tcp_sock.ts";
import { tcp_ext, tcp_net } from "./tcp_net.ts";

/* ---- arming (include/net/inet_connection_sock.h) ---- */

/**
 * inet_csk_reset_xmit_timer(): arm the retransmission timer for `what` (ICSK_TIME_RETRANS or
 * ICSK_TIME_PROBE0) `when_ns` from now, at most TCP_RTO_MAX; `what` = 0 stops it.
 */
export function inet_csk_reset_xmit_timer(tp: TcpSock, what: number, when_ns: number): void {
  if (what === 0) {
    tp.icsk_pending = 0;
    del_timer(tp.retransmit_timer);
    return;
  }
  tp.icsk_pending = what;
  tp.icsk_timeout_ns = ktime_get_ns() + Math.min(when_ns, TCP_RTO_MAX_NS);
  mod_timer_ns(tp.retransmit_timer, tp.icsk_timeout_ns);
}

/** inet_csk_reset_keepalive_timer(): arm sk_timer for one of its three uses. */
export function inet_csk_reset_keepalive_timer(tp: TcpSock, kind: "keepalive" | "fin_wait2" | "time_wait", when_ns: number): void {
  tp.sk_timer_kind = kind;
  mod_timer_ns(tp.keepalive_timer, ktime_get_ns() + when_ns);
}

export function inet_csk_delete_keepalive_timer(tp: TcpSock): void {
  tp.sk_timer_kind = "none";
  del_timer(tp.keepalive_timer);
}

/** inet_csk_clear_xmit_timers(): stop all three (the socket is going away or into TIME_WAIT). */
export function inet_csk_clear_xmit_timers(tp: TcpSock): void {
  tp.icsk_pending = 0;
  tp.ack_pending = 0;
  del_timer(tp.retransmit_timer);
  del_timer(tp.delack_timer);
  inet_csk_delete_keepalive_timer(tp);
}

/** tcp_rearm_rto(): RFC 6298 (5.2)/(5.3): stop the timer when nothing is outstanding, else restart it. */
export function tcp_rearm_rto(tp: TcpSock): void {
  if (tp.packets_out === 0) {
    if (tp.icsk_pending === ICSK_TIME_RETRANS) inet_csk_reset_xmit_timer(tp, 0, 0);
    return;
  }
  inet_csk_reset_xmit_timer(tp, ICSK_TIME_RETRANS, tp.icsk_rto_ns);
}

export function tcp_probe0_base(tp: TcpSock): number {
  return Math.max(tp.icsk_rto_ns, TCP_RTO_MIN_NS);
}

/** The zero-window probe interval: the RTO, doubled per unanswered probe (RFC 9293 §3.8.6.1), at most `max`. */
export function tcp_probe0_when(tp: TcpSock, max: number): number {
  return Math.min(tcp_probe0_base(tp) * 2 ** tp.icsk_backoff, max);
}

/** tcp_fin_time(): how long an orphaned FIN-WAIT-2 waits for the peer's FIN (net.ipv4.tcp_fin_timeout). */
export function tcp_fin_time_ns(tp: TcpSock): number {
  const fin_timeout = tcp_net.get().sysctl.tcp_fin_timeout * 1e9;
  const rto3 = 3.5 * tp.icsk_rto_ns; // Linux: at least 3.5 RTO, so the FIN has a chance to be retransmitted
  return Math.max(fin_timeout, rto3);
}

function keepalive_time_ns(tp: TcpSock): number {
  return (tp.keepalive_time_s || tcp_net.get().sysctl.tcp_keepalive_time) * 1e9;
}

function keepalive_intvl_ns(tp: TcpSock): number {
  return (tp.keepalive_intvl_s || tcp_net.get().sysctl.tcp_keepalive_intvl) * 1e9;
}

function keepalive_probes(tp: TcpSock): number {
  return tp.keepalive_probes || tcp_net.get().sysctl.tcp_keepalive_probes;
}

/** tcp_set_keepalive(): SO_KEEPALIVE switched on or off on a connected socket. */
export function tcp_set_keepalive(tp: TcpSock, on: boolean): void {
  if (tp.state === TCP_CLOSE || tp.state === TCP_LISTEN) return;
  if (on) {
    if (tp.sk_timer_kind === "none" || tp.sk_timer_kind === "keepalive") inet_csk_reset_keepalive_timer(tp, "keepalive", keepalive_time_ns(tp));
  } else if (tp.sk_timer_kind === "keepalive") {
    inet_csk_delete_keepalive_timer(tp);
  }
}

/* ---- giving up ---- */

/** tcp_write_err(): the connection timed out; the owner sees the last soft error (unreachable) or ETIMEDOUT. */
function tcp_write_err(tp: TcpSock): void {
  tp.sk_err = tp.sk_err_soft !== 0 ? tp.sk_err_soft : ETIMEDOUT;
  tcp_ext().TCPAbortOnTimeout++;
  tcp_done(tp);
}

/**
 * tcp_model_timeout(): how long `boundary` retransmissions take when the RTO starts at `rto_base`
 * and doubles up to TCP_RTO_MAX (924.6 s for tcp_retries2 = 15 from 200 ms, as Linux computes it).
 */
function tcp_model_timeout(boundary: number, rto_base: number): number {
  const linear_backoff_thresh = Math.floor(Math.log2(TCP_RTO_MAX_NS / rto_base));
  if (boundary <= linear_backoff_thresh) return (2 ** (boundary + 1) - 1) * rto_base;
  return (2 ** (linear_backoff_thresh + 1) - 1) * rto_base + (boundary - linear_backoff_thresh) * TCP_RTO_MAX_NS;
}

/** retransmits_timed_out(): has the current episode of retransmissions lasted the model time of `boundary` tries? */
function retransmits_timed_out(tp: TcpSock, boundary: number): boolean {
  if (tp.icsk_retransmits === 0) return false;
  const start = tp.retrans_stamp_ns !== 0 ? tp.retrans_stamp_ns : tp.rtx.count > 0 ? tp.rtx.at(0).first_tx_ns : ktime_get_ns();
  return ktime_get_ns() - start >= tcp_model_timeout(boundary, TCP_RTO_MIN_NS);
}

/** tcp_orphan_retries(): an orphan gives up sooner (tcp_orphan_retries, 0 meaning 8). */
function tcp_orphan_retries(): number {
  return tcp_net.get().sysctl.tcp_orphan_retries || 8;
}

/**
 * tcp_write_timeout(): should the connection give up? SYN-SENT and SYN-RECEIVED count
 * retransmissions (tcp_syn_retries 6: SYNs at 0, 1, 3, 7, 15, 31, 63 s, failure at 127 s); data
 * counts time against the model of tcp_retries2 (15). Returns true when it gave up.
 */
function tcp_write_timeout(tp: TcpSock): boolean {
  const sysctl = tcp_net.get().sysctl;
  let expired: boolean;
  if (tp.state === TCP_SYN_SENT || tp.state === TCP_SYN_RECV) {
    expired = tp.icsk_retransmits >= (tp.parent !== null ? sysctl.tcp_synack_retries : sysctl.tcp_syn_retries);
  } else {
    expired = retransmits_timed_out(tp, tp.dead ? tcp_orphan_retries() : sysctl.tcp_retries2);
  }
  if (expired) tcp_write_err(tp);
  return expired;
}

/* ---- the retransmission timer ---- */

/**
 * tcp_retransmit_timer(): RFC 6298 (5.4)–(5.6): resend the earliest unacknowledged segment, double
 * the RTO (exponential backoff, at most 120 s), restart the timer. The congestion state goes to
 * Loss (RFC 5681 §3.1: cwnd = 1). A SYN or SYN-ACK is simply resent.
 */
export function tcp_retransmit_timer(tp: TcpSock): void {
  const ext = tcp_ext();
  if (tp.packets_out === 0 || tp.rtx.count === 0) return;
  if (tcp_write_timeout(tp)) return;
  ext.TCPTimeouts++;
  if (tp.state === TCP_SYN_SENT || tp.state === TCP_SYN_RECV) {
    tcp_retransmit_skb(tp, tp.rtx.at(0));
    if (tp.parent !== null) tp.num_timeout++;
  } else {
    if (tp.icsk_retransmits === 0) {
      if (tp.ca_state === TCP_CA_Recovery) {
        if (tp.sack_ok) ext.TCPSackFailures++;
        else ext.TCPRenoFailures++;
      } else if (tp.ca_state === TCP_CA_Loss) ext.TCPLossFailures++;
      else if (tp.ca_state === TCP_CA_Disorder || tp.sacked_out > 0) {
        if (tp.sack_ok) ext.TCPSackFailures++;
        else ext.TCPRenoFailures++;
      }
    }
    // The path may have shrunk (a path MTU learned from ICMP): new segments take the new size
    // (the queued ones are fragmented by IP, as they are sent without DF).
    tcp_sync_mss(tp);
    tcp_enter_loss(tp);
    tcp_xmit_retransmit_queue(tp, true);
  }
  tp.icsk_retransmits++;
  tp.icsk_backoff++;
  tp.icsk_rto_ns = Math.min(tp.icsk_rto_ns * 2, TCP_RTO_MAX_NS);
  inet_csk_reset_xmit_timer(tp, ICSK_TIME_RETRANS, tp.icsk_rto_ns);
}

/**
 * tcp_probe_timer(): the peer's window is zero and data waits (RFC 9293 §3.8.6.1): probe, with
 * the interval backing off; an orphan, or a peer that stops answering for tcp_retries2 probes, is
 * given up. A peer that keeps answering with a zero window is probed forever, as RFC 1122
 * 4.2.2.17 requires.
 */
function tcp_probe_timer(tp: TcpSock): void {
  const sysctl = tcp_net.get().sysctl;
  const unsent = seq_diff(tp.write_seq, tp.snd_nxt) > 0 || (tp.fin_queued && tp.snd_nxt === tp.write_seq);
  if (tp.packets_out > 0 || !unsent) {
    tp.icsk_probes_out = 0;
    tp.icsk_backoff = 0;
    return;
  }
  const max_probes = tp.dead ? tcp_orphan_retries() : sysctl.tcp_retries2;
  if (tp.icsk_probes_out >= max_probes) {
    tcp_write_err(tp);
    return;
  }
  // tcp_send_probe0()
  const err = tcp_write_wakeup(tp);
  tcp_ext().TCPWinProbe++;
  if (tp.packets_out > 0) {
    tp.icsk_probes_out = 0;
    tp.icsk_backoff = 0;
    return;
  }
  tp.icsk_probes_out++;
  let timeout: number;
  if (err === 0) {
    if (tp.icsk_backoff < sysctl.tcp_retries2) tp.icsk_backoff++;
    timeout = tcp_probe0_when(tp, TCP_RTO_MAX_NS);
  } else {
    timeout = TCP_RESOURCE_PROBE_INTERVAL_NS;
  }
  inet_csk_reset_xmit_timer(tp, ICSK_TIME_PROBE0, timeout);
}

/** tcp_write_timer(): the icsk_retransmit_timer callback. */
export function tcp_write_timer(tp: TcpSock): void {
  if (tp.state === TCP_CLOSE || tp.state === TCP_LISTEN) return;
  const what = tp.icsk_pending;
  tp.icsk_pending = 0;
  if (what === ICSK_TIME_RETRANS) tcp_retransmit_timer(tp);
  else if (what === ICSK_TIME_PROBE0) tcp_probe_timer(tp);
}

/**
 * tcp_delack_timer(): the delayed ACK is due. If it is still owed it goes out; outside interactive
 * mode the ATO doubles (up to the RTO), in interactive mode that mode ends (Linux's handler).
 */
export function tcp_delack_timer(tp: TcpSock): void {
  if (tp.state === TCP_CLOSE || tp.state === TCP_LISTEN || (tp.ack_pending & ICSK_ACK_TIMER) === 0) return;
  tp.ack_pending &= ~ICSK_ACK_TIMER;
  if ((tp.ack_pending & ICSK_ACK_SCHED) === 0) return;
  if (!tp.ack_pingpong) tp.ack_ato_ns = Math.min(tp.ack_ato_ns * 2, tp.icsk_rto_ns);
  else {
    tp.ack_pingpong = false;
    tp.ack_ato_ns = TCP_ATO_MIN_NS;
  }
  tcp_send_ack(tp);
  tcp_ext().DelayedACKs++;
}

/**
 * tcp_keepalive_timer(): sk_timer. TIME-WAIT ends; an orphaned FIN-WAIT-2 that waited
 * tcp_fin_timeout is reset; keepalive (RFC 1122 4.2.3.6): after keepalive_time idle, a probe every
 * keepalive_intvl, and after keepalive_probes unanswered ones the connection is reset with
 * ETIMEDOUT. No probe is sent while data is outstanding (the retransmission timer covers that).
 */
export function tcp_keepalive_timer(tp: TcpSock): void {
  const kind = tp.sk_timer_kind;
  tp.sk_timer_kind = "none";
  if (kind === "time_wait") {
    tcp_tw_expire(tp);
    return;
  }
  if (kind === "fin_wait2") {
    if (tp.state === TCP_FIN_WAIT2 && tp.dead) {
      tcp_send_active_reset(tp);
      tcp_done(tp);
    }
    return;
  }
  if (kind !== "keepalive" || !tp.keepalive || tp.state === TCP_CLOSE || tp.state === TCP_LISTEN || tp.state === TCP_SYN_SENT) return;
  const now = ktime_get_ns();
  let when = keepalive_time_ns(tp);
  if (tp.packets_out === 0 && seq_diff(tp.write_seq, tp.snd_nxt) <= 0) {
    const idle = Math.min(now - tp.ack_lrcvtime_ns, now - tp.rcv_tstamp_ns);
    if (idle >= when) {
      if (tp.icsk_probes_out >= keepalive_probes(tp)) {
        tcp_send_active_reset(tp);
        tcp_write_err(tp);
        return;
      }
      if (tcp_write_wakeup(tp) === 0) {
        tp.icsk_probes_out++;
        when = keepalive_intvl_ns(tp);
      } else {
        when = TCP_RESOURCE_PROBE_INTERVAL_NS;
      }
      tcp_ext().TCPKeepAlive++;
    } else {
      when -= idle;
    }
  }
  inet_csk_reset_keepalive_timer(tp, "keepalive", when);
}

/** TIME-WAIT's length (TCP_TIMEWAIT_LEN, 60 s as Linux; RFC 9293 asks 2·MSL). */
export function tcp_timewait_len_ns(): number {
  return TCP_TIMEWAIT_LEN_NS;
}
