/**
 * The NAT's TCP, sending side (libslirp's tcp_output.c, tcp_timer.c): segments to the guest are
 * built straight into the user network's output slots — headers, then the host's bytes copied
 * once from the send queue — with their checksum computed. Data goes out within the guest's
 * window and a congestion window (slow start, congestion avoidance, NewReno fast recovery,
 * go-back-N after a timeout), at most the guest's MSS per segment, and leaves a few slots free
 * for ACKs, ARP and ICMP.
 *
 * Context: called from the user network's clock events and host callbacks, never from inside a
 * guest CPU slice's own stack except through the NIC's transmit (which only queues to slots).
 */
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { put16, put32, type SlirpIf } from "./slirp.ts";
import {
  SLIRP_MSS,
  SLIRP_RCVBUF,
  TCP_DELACK_NS,
  TCP_RTO_MAX_NS,
  TCPOPT_MAXSEG,
  TCPOPT_NOP,
  TCPOPT_WINDOW,
  TCPS,
  TH_ACK,
  TH_FIN,
  TH_PUSH,
  TH_SYN,
  seq_gt,
  seq_lt,
  type TcpConn,
  type TcpStats,
} from "./slirp_tcp_subr.ts";

/** Output slots the data path leaves for ACKs, ARP and ICMP. */
export const SLOT_RESERVE = 8;

/**
 * The window offered to the guest now, in bytes: what the host socket has not yet taken counts
 * against SLIRP_RCVBUF (so the window shrinks while the host's write side is backed up), but the
 * right edge already advertised is never taken back (RFC 9293 §3.8.6.2.2). A multiple of the
 * scale unit, at most what the header can say.
 */
export function tcp_rcv_window(c: TcpConn): number {
  const backlog = (c.host !== null ? c.host.backlog() : 0) + c.wbuf_pending();
  const unit = 1 << c.rcv_wscale;
  const max = 65535 * unit;
  let w = SLIRP_RCVBUF - backlog;
  if (w < 0) w = 0;
  if (w > max) w = max;
  w -= w & (unit - 1);
  // Never left of the edge already advertised: rounded up to the unit, so the scaled value
  // the guest sees still reaches it (max is a multiple of the unit, so this stays within it).
  const edge = (c.rcv_adv - c.rcv_nxt) | 0;
  if (w < edge) w = edge + ((unit - (edge & (unit - 1))) & (unit - 1));
  return w;
}

/**
 * Build and queue one segment of `c` to the guest: `len` bytes of the send queue from `seq`
 * (queue offset seq - snd_una), `flags`; a SYN carries MSS and (when in use) window-scale options.
 * False when no slot was free (nothing sent; counted in no_slot).
 */
export function tcp_send(ifc: SlirpIf, st: TcpStats, c: TcpConn, seq: number, len: number, flags: number): boolean {
  const syn = (flags & TH_SYN) !== 0;
  const optlen = syn ? (c.rcv_wscale > 0 ? 8 : 4) : 0;
  const l4len = 20 + optlen + len;
  const b = c.mac === null ? null : ifc.ip_begin(c.mac, c.faddr, c.gaddr, 6, l4len);
  if (b === null) {
    st.no_slot++;
    return false;
  }
  put16(b, 34, c.fport);
  put16(b, 36, c.gport);
  put32(b, 38, seq);
  put32(b, 42, (flags & TH_ACK) !== 0 ? c.rcv_nxt : 0);
  b[46] = ((20 + optlen) >> 2) << 4;
  b[47] = flags;
  const wnd = tcp_rcv_window(c);
  if (syn) {
    const w = wnd > 65535 ? 65535 : wnd;
    put16(b, 48, w);
    c.rcv_adv = (c.rcv_nxt + w) >>> 0;
  } else {
    put16(b, 48, wnd >>> c.rcv_wscale);
    if ((flags & TH_ACK) !== 0) c.rcv_adv = (c.rcv_nxt + wnd) >>> 0;
  }
  b[50] = 0;
  b[51] = 0;
  b[52] = 0;
  b[53] = 0;
  if (syn) {
    b[54] = TCPOPT_MAXSEG;
    b[55] = 4;
    put16(b, 56, SLIRP_MSS);
    if (c.rcv_wscale > 0) {
      b[58] = TCPOPT_NOP;
      b[59] = TCPOPT_WINDOW;
      b[60] = 3;
      b[61] = c.rcv_wscale;
    }
  }
  if (len > 0) {
    c.sq_copy(b, 54 + optlen, (seq - c.snd_una) >>> 0, len);
    st.bytes_to_guest += len;
  }
  put16(b, 50, csum_fold(csum_partial(b, 34, l4len, csum_tcpudp_nofold(c.faddr, c.gaddr, l4len, 6))));
  ifc.ip_commit(l4len);
  st.segs_out++;
  if ((flags & TH_ACK) !== 0) {
    c.ack_pending = c.ack_now = false;
    c.rcv_acked = c.rcv_nxt;
  }
  return true;
}

/**
 * An RST (or RST|ACK) to the guest for a segment that has no connection (tcp_respond). `mac` is
 * the guest's; src/sport are the address and port the guest sent to.
 */
export function tcp_respond(ifc: SlirpIf, st: TcpStats, mac: Uint8Array, src: number, dst: number, sport: number, dport: number, seq: number, ack: number, flags: number): void {
  const b = ifc.ip_begin(mac, src, dst, 6, 20);
  if (b === null) {
    st.no_slot++;
    return;
  }
  put16(b, 34, sport);
  put16(b, 36, dport);
  put32(b, 38, seq);
  put32(b, 42, ack);
  b[46] = 5 << 4;
  b[47] = flags;
  put16(b, 48, 0);
  put32(b, 50, 0);
  put16(b, 50, csum_fold(csum_partial(b, 34, 20, csum_tcpudp_nofold(src, dst, 20, 6))));
  ifc.ip_commit(20);
  st.segs_out++;
}

/** (Re)start the retransmission timer: the RTO with its backoff. */
export function tcp_arm_rexmt(ifc: SlirpIf, c: TcpConn): void {
  let t = c.rto * (1 << Math.min(c.rxt_shift, 16));
  if (t > TCP_RTO_MAX_NS) t = TCP_RTO_MAX_NS;
  c.persist = false;
  ifc.clock.arm_in(c.timer, t);
}

/** Retransmit the first unacknowledged segment (fast retransmit, NewReno's partial ACK). */
export function tcp_retransmit_one(ifc: SlirpIf, st: TcpStats, c: TcpConn): void {
  const len = Math.min(c.mss, c.sq_bytes);
  let ok: boolean;
  if (len > 0) ok = tcp_send(ifc, st, c, c.snd_una, len, TH_ACK);
  else if (c.fin_sent && !c.fin_acked) ok = tcp_send(ifc, st, c, c.snd_una, 0, TH_FIN | TH_ACK);
  else return;
  if (ok) st.retransmits++;
  c.rtt_t = -1; // Karn: no sample from a retransmitted range
}

/**
 * Send what `c` may send now: its SYN (or SYN-ACK), queued data within min(snd_wnd, cwnd), the
 * FIN after the last byte once the host has ended, else an owed ACK. Arms the retransmission or
 * persist timer as needed. False when it stopped for want of output slots (call again later).
 */
export function tcp_output(ifc: SlirpIf, st: TcpStats, c: TcpConn): boolean {
  if (c.dead || c.mac === null || c.rst_pending) return true;
  const s = c.state;
  if (s === TCPS.SYN_SENT || s === TCPS.SYN_RECEIVED) {
    if (c.fconnecting || c.snd_nxt !== c.iss) return true;
    // Armed first: a SYN that finds no slot is sent again by the timer (and by the caller's retry).
    if (!c.timer.armed) tcp_arm_rexmt(ifc, c);
    if (!tcp_send(ifc, st, c, c.iss, 0, s === TCPS.SYN_SENT ? TH_SYN : TH_SYN | TH_ACK)) return false;
    c.snd_nxt = c.snd_max = (c.iss + 1) >>> 0;
    return true;
  }
  if (s < TCPS.ESTABLISHED) return true;
  const wnd = Math.min(c.snd_wnd, c.cwnd);
  let sent = false;
  for (;;) {
    const off = (c.snd_nxt - c.snd_una) >>> 0;
    if (off >= c.sq_bytes) break;
    const left = c.sq_bytes - off;
    const room = wnd - off;
    let len = left < c.mss ? left : c.mss;
    if (room < len) {
      // Sender-side silly-window avoidance: a short segment only when nothing is in flight.
      if (room <= 0 || off > 0) break;
      len = room;
    }
    if (ifc.free_slots() <= SLOT_RESERVE) {
      st.no_slot++;
      return false;
    }
    const seq = c.snd_nxt;
    if (!tcp_send(ifc, st, c, seq, len, TH_ACK | (len === left ? TH_PUSH : 0))) return false;
    if (seq_lt(seq, c.snd_max)) st.retransmits++;
    else if (c.rtt_t < 0) {
      c.rtt_seq = seq;
      c.rtt_t = ifc.clock.now_ns();
    }
    c.snd_nxt = (seq + len) >>> 0;
    if (seq_gt(c.snd_nxt, c.snd_max)) c.snd_max = c.snd_nxt;
    sent = true;
  }
  // Our FIN follows the host's last byte (sent again after a timeout while unacknowledged).
  if (c.host_eof && !c.fin_acked && ((c.snd_nxt - c.snd_una) >>> 0) === c.sq_bytes) {
    if (!tcp_send(ifc, st, c, c.snd_nxt, 0, TH_FIN | TH_ACK)) return false;
    if (c.fin_sent && seq_lt(c.snd_nxt, c.snd_max)) st.retransmits++;
    c.snd_nxt = (c.snd_nxt + 1) >>> 0;
    if (seq_gt(c.snd_nxt, c.snd_max)) c.snd_max = c.snd_nxt;
    if (!c.fin_sent) {
      c.fin_sent = true;
      if (c.state === TCPS.ESTABLISHED) c.state = TCPS.FIN_WAIT_1;
      else if (c.state === TCPS.CLOSE_WAIT) c.state = TCPS.LAST_ACK;
    }
    sent = true;
  }
  if (seq_lt(c.snd_una, c.snd_nxt)) {
    if (!c.timer.armed || c.persist) tcp_arm_rexmt(ifc, c);
  } else if (c.sq_bytes > 0 && c.snd_wnd === 0 && !c.timer.armed) {
    // A zero window with data waiting: probe it now and then (the persist timer).
    c.persist = true;
    let t = c.rto * (1 << Math.min(c.rxt_shift, 16));
    if (t > TCP_RTO_MAX_NS) t = TCP_RTO_MAX_NS;
    ifc.clock.arm_in(c.timer, t);
  }
  if (c.ack_pending && !sent) {
    if (c.ack_now) {
      if (!tcp_send(ifc, st, c, c.snd_nxt, 0, TH_ACK)) return false;
    } else if (!c.delack.armed) ifc.clock.arm_in(c.delack, TCP_DELACK_NS);
  }
  return true;
}
