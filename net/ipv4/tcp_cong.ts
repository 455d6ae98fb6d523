/**
 * Congestion control (net/ipv4/tcp_cong.c's Reno, the kernel's built-in fallback): NewReno per
 * RFC 5681 (slow start, congestion avoidance) with RFC 6582's recovery rules in tcp_input.ts,
 * initial window 10 (RFC 6928). cwnd and ssthresh count segments, as Linux counts them.
 *
 * Why NewReno and not CUBIC (Linux's default): NewReno is specified completely by RFCs and grows
 * cwnd by ACKs alone, so a run on the virtual clock gives the same cwnd for the same ACK sequence
 * and a test can state what cwnd must be. CUBIC's window is a function of time since the last loss
 * (a cubic in seconds, plus HyStart's delay sampling); its gain is on long fat paths with RTTs of
 * tens of milliseconds, not on an in-process hub whose RTT is microseconds. Another algorithm can
 * be added behind these four calls (tcp_congestion_ops: ssthresh, cong_avoid, undo_cwnd).
 *
 * Context: softirq (ACK processing) or process context; never sleeps.
 */
import { TCP_INIT_CWND, type TcpSock } from "./tcp_sock.ts";

/** tcp_in_slow_start(): cwnd below ssthresh (RFC 5681 §3.1). */
export function tcp_in_slow_start(tp: TcpSock): boolean {
  return tp.snd_cwnd < tp.snd_ssthresh;
}

/**
 * tcp_is_cwnd_limited(): did the sender use its window? RFC 7661: an application-limited flow must
 * not grow cwnd. In slow start, growth is allowed while cwnd < 2 × the most packets in flight
 * lately (Linux's rule); in congestion avoidance only when a send was held back by cwnd.
 */
export function tcp_is_cwnd_limited(tp: TcpSock): boolean {
  if (tcp_in_slow_start(tp)) return tp.snd_cwnd < 2 * tp.max_packets_out;
  return tp.is_cwnd_limited;
}

/** tcp_slow_start(): cwnd grows by the packets acked, up to ssthresh. Returns the acks left over. */
export function tcp_slow_start(tp: TcpSock, acked: number): number {
  const cwnd = Math.min(tp.snd_cwnd + acked, tp.snd_ssthresh);
  acked -= cwnd - tp.snd_cwnd;
  tp.snd_cwnd = cwnd;
  return acked;
}

/** tcp_cong_avoid_ai(): one segment per window of ACKs (RFC 5681 §3.1, equation 3, counted in packets). */
export function tcp_cong_avoid_ai(tp: TcpSock, w: number, acked: number): void {
  if (tp.snd_cwnd_cnt >= w) {
    tp.snd_cwnd_cnt = 0;
    tp.snd_cwnd++;
  }
  tp.snd_cwnd_cnt += acked;
  if (tp.snd_cwnd_cnt >= w) {
    const delta = Math.floor(tp.snd_cwnd_cnt / w);
    tp.snd_cwnd_cnt -= delta * w;
    tp.snd_cwnd += delta;
  }
}

/** tcp_reno_cong_avoid(): the per-ACK window update outside recovery. */
export function tcp_reno_cong_avoid(tp: TcpSock, acked: number): void {
  if (!tcp_is_cwnd_limited(tp)) return;
  if (tcp_in_slow_start(tp)) {
    acked = tcp_slow_start(tp, acked);
    if (acked === 0) return;
  }
  tcp_cong_avoid_ai(tp, tp.snd_cwnd, acked);
}

/** tcp_reno_ssthresh(): half the window at a loss, at least two segments (RFC 5681 equation 4, in packets). */
export function tcp_reno_ssthresh(tp: TcpSock): number {
  return Math.max(tp.snd_cwnd >> 1, 2);
}

/** tcp_init_cwnd(): the window a new connection starts with (RFC 6928). */
export function tcp_init_cwnd(): number {
  return TCP_INIT_CWND;
}
