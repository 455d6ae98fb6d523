/**
 * Loss detection and recovery (net/ipv4/tcp_input.c's scoreboard and tcp_fastretrans_alert,
 * reduced; Linux keeps RACK in tcp_recovery.c): SACK tagging (RFC 2018), fast retransmit and fast
 * recovery with NewReno's partial-ACK rule (RFC 5681 §3.2, RFC 6582), SACK-based loss marking
 * (RFC 6675's IsLost with DupThresh = tcp_reordering), and the RTO's loss state.
 *
 * Like Linux, a connection without SACK treats each duplicate ACK as one SACKed segment
 * (tcp_add_reno_sack), so one accounting serves both: the pipe is
 * packets_out - (sacked_out + lost_out) + retrans_out (tcp_packets_in_flight), and segments are
 * (re)sent while it is under cwnd.
 *
 * Departures from Linux: no RACK-TLP (loss is detected by DupThresh and the RTO), no PRR (cwnd
 * drops to ssthresh when recovery starts, as RFC 6675 §5 step 4.3 does), no undo of spurious
 * recoveries (no F-RTO, no Eifel, no D-SACK), no SACK reneging detection.
 *
 * Context: softirq (ACK processing) and timers. Never sleeps.
 */
import { tcp_reno_ssthresh } from "./tcp_cong.ts";
import { tcp_xmit_retransmit_queue } from "./tcp_output.ts";
import {
  after,
  before,
  TCP_CA_Disorder,
  TCP_CA_Loss,
  TCP_CA_Open,
  TCP_CA_Recovery,
  TCPCB_LOST,
  TCPCB_SACKED_ACKED,
  TCPCB_SACKED_RETRANS,
  type TcpSkb,
  type TcpSock,
} from "./tcp_sock.ts";
import { tcp_ext, tcp_net } from "./tcp_net.ts";

/**
 * tcp_sacktag_write_queue(): mark the segments the SACK blocks cover (RFC 2018). A block must lie
 * above snd_una and at or below snd_nxt; a block below the cumulative ACK is a D-SACK (RFC 2883),
 * which is ignored. Returns the segments newly SACKed.
 */
export function tcp_sacktag_write_queue(tp: TcpSock, skb: TcpSkb): number {
  const opt = skb.opt;
  const ext = tcp_ext();
  let newly = 0;
  for (let b = 0; b < opt.num_sacks; b++) {
    const start = opt.sack[2 * b]!;
    const end = opt.sack[2 * b + 1]!;
    if (!after(end, start) || after(end, tp.snd_nxt) || !after(end, tp.snd_una)) {
      if (b !== 0 || !before(start, skb.ack_seq)) ext.TCPSACKDiscard++;
      continue;
    }
    for (let i = 0; i < tp.rtx.count; i++) {
      const rec = tp.rtx.at(i);
      if (!before(rec.seq, end)) break;
      if (before(rec.seq, start) || after(rec.end_seq, end) || rec.sacked & TCPCB_SACKED_ACKED) continue;
      if (rec.sacked & TCPCB_SACKED_RETRANS) {
        rec.sacked &= ~TCPCB_SACKED_RETRANS;
        tp.retrans_out--;
      }
      if (rec.sacked & TCPCB_LOST) {
        rec.sacked &= ~TCPCB_LOST;
        tp.lost_out--;
      }
      rec.sacked |= TCPCB_SACKED_ACKED;
      tp.sacked_out++;
      newly++;
      if (after(rec.end_seq, tp.highest_sack)) tp.highest_sack = rec.end_seq;
    }
  }
  tp.delivered += newly;
  return newly;
}

/** tcp_add_reno_sack(): without SACK, a duplicate ACK stands for one segment that left the network. */
export function tcp_add_reno_sack(tp: TcpSock): void {
  tp.sacked_out++;
  tp.delivered++;
  // tcp_limit_reno_sacked: the holes (at least one) are not among them.
  const holes = Math.min(Math.max(tp.lost_out, 1), tp.packets_out);
  if (tp.sacked_out + holes > tp.packets_out) tp.sacked_out = tp.packets_out - holes;
}

/** tcp_remove_reno_sacks(): a cumulative ACK of `acked` segments: one filled the hole, the rest were the dupacks' segments. */
export function tcp_remove_reno_sacks(tp: TcpSock, acked: number): void {
  if (acked <= 0) return;
  tp.delivered += Math.max(acked - tp.sacked_out, 1);
  tp.sacked_out = acked - 1 >= tp.sacked_out ? 0 : tp.sacked_out - (acked - 1);
}

function tcp_mark_skb_lost(tp: TcpSock, i: number): void {
  const rec = tp.rtx.at(i);
  if (rec.sacked & (TCPCB_LOST | TCPCB_SACKED_ACKED | TCPCB_SACKED_RETRANS)) return;
  rec.sacked |= TCPCB_LOST;
  tp.lost_out++;
}

/**
 * RFC 6675 §4 IsLost(): an unSACKed segment with at least DupThresh SACKed segments above it is
 * lost. Walks the queue from the top, counting SACKed segments.
 */
function tcp_mark_lost_sack(tp: TcpSock, dupthresh: number): void {
  let above = 0;
  for (let i = tp.rtx.count - 1; i >= 0; i--) {
    const rec = tp.rtx.at(i);
    if (rec.sacked & TCPCB_SACKED_ACKED) above++;
    else if (above >= dupthresh) tcp_mark_skb_lost(tp, i);
  }
}

/**
 * tcp_enter_recovery(): fast retransmit begins (RFC 5681 §3.2 step 2–4, RFC 6675 §5 step 4):
 * ssthresh = max(cwnd/2, 2), cwnd = ssthresh, and the recovery point is snd_nxt (RFC 6582's
 * "recover", Linux's high_seq).
 */
export function tcp_enter_recovery(tp: TcpSock): void {
  const ext = tcp_ext();
  if (tp.sack_ok) ext.TCPSackRecovery++;
  else ext.TCPRenoRecovery++;
  tp.high_seq = tp.snd_nxt;
  tp.snd_ssthresh = tcp_reno_ssthresh(tp);
  tp.snd_cwnd = tp.snd_ssthresh;
  tp.snd_cwnd_cnt = 0;
  tp.ca_state = TCP_CA_Recovery;
}

/**
 * tcp_enter_loss(): the retransmission timer fired (RFC 5681 §3.1 equation 4 and "LW"): ssthresh
 * halves (once per episode), cwnd = 1, and every segment not SACKed is taken as lost, to be resent
 * in order as the window opens again (slow start).
 */
export function tcp_enter_loss(tp: TcpSock): void {
  if (tp.ca_state <= TCP_CA_Disorder || !after(tp.high_seq, tp.snd_una) || (tp.ca_state === TCP_CA_Loss && tp.icsk_retransmits === 0)) {
    tp.snd_ssthresh = tcp_reno_ssthresh(tp);
  }
  tp.snd_cwnd = 1;
  tp.snd_cwnd_cnt = 0;
  if (!tp.sack_ok) tp.sacked_out = 0;
  tp.retrans_out = 0;
  tp.lost_out = 0;
  for (let i = 0; i < tp.rtx.count; i++) {
    const rec = tp.rtx.at(i);
    rec.sacked &= ~(TCPCB_SACKED_RETRANS | TCPCB_LOST);
    if (!tp.sack_ok) rec.sacked &= ~TCPCB_SACKED_ACKED;
    if ((rec.sacked & TCPCB_SACKED_ACKED) === 0) {
      rec.sacked |= TCPCB_LOST;
      tp.lost_out++;
    }
  }
  tp.high_seq = tp.snd_nxt;
  tp.ca_state = TCP_CA_Loss;
}

/** tcp_time_to_recover(): enough evidence of loss — a segment already marked lost, or DupThresh duplicate/SACKed segments. */
function tcp_time_to_recover(tp: TcpSock, dupthresh: number): boolean {
  return tp.lost_out > 0 || tp.sacked_out + 1 > dupthresh;
}

/**
 * tcp_fastretrans_alert(): the loss-recovery state machine, run for every ACK that is a duplicate,
 * carries SACK news, or arrives while not in the Open state.
 *  - A cumulative ACK at or past the recovery point ends Recovery (cwnd = ssthresh, RFC 6582 §3.2
 *    step 3 "full acknowledgment") or Loss.
 *  - In Recovery, a partial ACK (RFC 6582 §3.2 step 3) makes the new first unacknowledged segment
 *    lost, so it is retransmitted at once.
 *  - In Open/Disorder, DupThresh duplicates (or SACKed segments) start Recovery with a fast
 *    retransmit of the first lost segment.
 * Then the lost segments are resent as the pipe allows.
 */
export function tcp_fastretrans_alert(tp: TcpSock, is_dupack: boolean, snd_una_advanced: boolean): void {
  const dupthresh = tcp_net.get().sysctl.tcp_reordering;
  if (!tp.sack_ok && is_dupack) tcp_add_reno_sack(tp);

  if (tp.ca_state >= TCP_CA_Recovery && !before(tp.snd_una, tp.high_seq)) {
    if (tp.ca_state === TCP_CA_Recovery) tp.snd_cwnd = Math.max(tp.snd_ssthresh, 1);
    tp.ca_state = TCP_CA_Open;
    if (!tp.sack_ok) tp.sacked_out = 0;
  }

  let fast_rexmit = false;
  switch (tp.ca_state) {
    case TCP_CA_Recovery:
      if (snd_una_advanced && tp.rtx.count > 0) tcp_mark_skb_lost(tp, 0);
      break;
    case TCP_CA_Loss:
      break;
    default:
      if (!tcp_time_to_recover(tp, dupthresh)) {
        tp.ca_state = tp.sacked_out > 0 ? TCP_CA_Disorder : TCP_CA_Open;
        return;
      }
      tcp_enter_recovery(tp);
      if (tp.rtx.count > 0) tcp_mark_skb_lost(tp, 0);
      fast_rexmit = true;
      break;
  }
  if (tp.sack_ok) tcp_mark_lost_sack(tp, dupthresh);
  tcp_xmit_retransmit_queue(tp, fast_rexmit);
}
