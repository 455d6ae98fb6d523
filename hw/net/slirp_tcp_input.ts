/**
 * The NAT's TCP, receiving side (libslirp's tcp_input.c): a segment from the guest is checked
 * (header, checksum), matched to its connection and run through the state machine — the
 * handshake either way, ACK processing (RTT, congestion window, duplicate ACKs and fast
 * retransmit, the guest's window), in-order data handed towards the host socket, data beyond a
 * hole kept until the hole is filled, FIN and RST.
 *
 * Context: the NIC's transmit (UserNet.receive_frame), synchronously; nothing is sent from here
 * except through the user network's slots. The frame belongs to the caller: what is kept is copied.
 */
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { get16, get32 } from "./slirp.ts";
import type { SlirpTcp } from "./slirp_tcp.ts";
import { tcp_arm_rexmt, tcp_output, tcp_retransmit_one, tcp_send } from "./slirp_tcp_output.ts";
import {
  SLIRP_MSS,
  SLIRP_SNDLOWAT,
  TCP_MSS_DEFAULT,
  TCP_RTO_MAX_NS,
  TCP_RTO_MIN_NS,
  TCPOPT_EOL,
  TCPOPT_MAXSEG,
  TCPOPT_NOP,
  TCPOPT_WINDOW,
  TCPS,
  TH_ACK,
  TH_FIN,
  TH_PUSH,
  TH_RST,
  TH_SYN,
  seq_geq,
  seq_gt,
  seq_leq,
  seq_lt,
  type TcpConn,
} from "./slirp_tcp_subr.ts";

/** MSS and window scale of a SYN's options (-1 when absent). Malformed options end the parse. */
export interface SynOptions {
  mss: number;
  wscale: number;
}

export function tcp_syn_options(f: Uint8Array, opt: number, end: number, out: SynOptions): void {
  out.mss = -1;
  out.wscale = -1;
  let i = opt;
  while (i < end) {
    const kind = f[i]!;
    if (kind === TCPOPT_EOL) break;
    if (kind === TCPOPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) break;
    const len = f[i + 1]!;
    if (len < 2 || i + len > end) break;
    if (kind === TCPOPT_MAXSEG && len === 4) out.mss = get16(f, i + 2);
    else if (kind === TCPOPT_WINDOW && len === 3) out.wscale = Math.min(f[i + 2]!, 14);
    i += len;
  }
}

const syn_opts: SynOptions = { mss: -1, wscale: -1 };

/** A segment from the guest: `f` is the frame, the TCP header at `l4`, `l4len` bytes of it. */
export function tcp_input(t: SlirpTcp, f: Uint8Array, l4: number, l4len: number, src: number, dst: number): void {
  const st = t.stats;
  st.segs_in++;
  const doff = l4len >= 20 ? (f[l4 + 12]! >> 4) << 2 : 0;
  if (doff < 20 || doff > l4len) {
    st.bad_hdr++;
    return;
  }
  if (csum_fold(csum_partial(f, l4, l4len, csum_tcpudp_nofold(src, dst, l4len, 6))) !== 0) {
    st.bad_csum++;
    return;
  }
  const sport = get16(f, l4);
  const dport = get16(f, l4 + 2);
  const seq = get32(f, l4 + 4);
  const ack = get32(f, l4 + 8);
  const flags = f[l4 + 13]! & 0x3f;
  const win = get16(f, l4 + 14);
  const dlen = l4len - doff;
  const c = t.lookup(src, sport, dst, dport);
  if (c === null) {
    if ((flags & TH_RST) !== 0) {
      st.dropped++;
      return;
    }
    if ((flags & (TH_SYN | TH_ACK)) === TH_SYN) {
      tcp_syn_options(f, l4 + 20, l4 + doff, syn_opts);
      t.syn_in(f, l4, src, sport, dst, dport, seq, syn_opts);
      return;
    }
    st.no_conn++;
    t.reset_unknown(f, src, sport, dst, dport, seq, ack, flags, dlen);
    return;
  }

  if (c.rst_pending) {
    st.dropped++; // aborted: only its RST is still to go
    return;
  }
  c.rcv_time = t.ifc.clock.now_ns();
  c.persist_probes = 0;
  if ((flags & TH_RST) !== 0) {
    if (c.state === TCPS.SYN_SENT) {
      // The guest refused a forwarded connection (nobody listens on the port).
      if ((flags & TH_ACK) !== 0 && ack === ((c.iss + 1) >>> 0)) t.fwd_refused(c);
      else st.dropped++;
      return;
    }
    // Acceptable only within the window (RFC 9293 §3.10.7.4; exact match not required).
    if (seq_geq(seq, c.rcv_nxt) && seq_leq(seq, c.rcv_adv)) {
      st.reset_by_guest++;
      t.abort(c, true, false);
    } else st.dropped++;
    return;
  }

  if (c.state === TCPS.SYN_SENT) {
    if ((flags & TH_ACK) === 0 || ack !== ((c.iss + 1) >>> 0) || (flags & TH_SYN) === 0) {
      st.dropped++;
      return;
    }
    tcp_syn_options(f, l4 + 20, l4 + doff, syn_opts);
    c.irs = seq;
    c.rcv_nxt = (seq + 1) >>> 0;
    c.rcv_adv = c.rcv_nxt;
    c.mss = syn_opts.mss > 0 ? Math.min(syn_opts.mss, t.max_mss()) : TCP_MSS_DEFAULT;
    if (syn_opts.wscale >= 0) c.snd_wscale = syn_opts.wscale;
    else c.snd_wscale = c.rcv_wscale = 0;
    c.snd_una = ack;
    c.snd_nxt = ack;
    c.snd_wnd = win; // a SYN's window is never scaled
    c.snd_wl1 = seq;
    c.snd_wl2 = ack;
    t.established(c);
    c.ack_pending = c.ack_now = true;
    t.mark(c);
    return;
  }

  if (c.state === TCPS.SYN_RECEIVED) {
    if (c.fconnecting) {
      st.dropped++; // the guest's SYN again while the host connects: it waits for the SYN-ACK
      return;
    }
    if ((flags & TH_SYN) !== 0) {
      if (seq === c.irs) {
        c.snd_nxt = c.iss; // its SYN again: our SYN-ACK was lost
        tcp_output(t.ifc, st, c);
      } else st.dropped++;
      return;
    }
    if ((flags & TH_ACK) === 0 || ack !== ((c.iss + 1) >>> 0)) {
      st.dropped++;
      if ((flags & TH_ACK) !== 0 && c.mac !== null) t.reset_unknown(f, src, sport, dst, dport, seq, ack, flags, dlen);
      return;
    }
    c.snd_una = ack;
    c.snd_wnd = win * (1 << c.snd_wscale);
    c.snd_wl1 = seq;
    c.snd_wl2 = ack;
    t.established(c);
  } else if ((flags & TH_SYN) !== 0) {
    // A SYN on a synchronized connection: answer with a challenge ACK (RFC 5961 §4).
    st.dropped++;
    tcp_send(t.ifc, st, c, c.snd_nxt, 0, TH_ACK);
    return;
  }
  if ((flags & TH_ACK) === 0) {
    st.dropped++;
    return;
  }
  if (seq_gt(ack, c.snd_max)) {
    st.dropped++; // acknowledges what was never sent
    tcp_send(t.ifc, st, c, c.snd_nxt, 0, TH_ACK);
    return;
  }
  tcp_ack(t, c, seq, ack, win, dlen, flags);
  if (c.dead) return;
  if (dlen > 0 || (flags & TH_FIN) !== 0) tcp_data(t, c, f, l4 + doff, seq, dlen, (flags & TH_FIN) !== 0, (flags & TH_PUSH) !== 0);
  if (!c.dead) t.mark(c);
}

/** An RTT sample (RFC 6298 §2). */
function tcp_rtt(c: TcpConn, r: number): void {
  if (c.srtt < 0) {
    c.srtt = r;
    c.rttvar = r / 2;
  } else {
    c.rttvar = 0.75 * c.rttvar + 0.25 * Math.abs(c.srtt - r);
    c.srtt = 0.875 * c.srtt + 0.125 * r;
  }
  let rto = c.srtt + Math.max(1e6, 4 * c.rttvar);
  if (rto < TCP_RTO_MIN_NS) rto = TCP_RTO_MIN_NS;
  if (rto > TCP_RTO_MAX_NS) rto = TCP_RTO_MAX_NS;
  c.rto = rto;
}

/** ACK processing: what the guest acknowledged, its window, duplicate ACKs. */
function tcp_ack(t: SlirpTcp, c: TcpConn, seq: number, ack: number, win: number, dlen: number, flags: number): void {
  const st = t.stats;
  const ifc = t.ifc;
  const wnd = win * (1 << c.snd_wscale);
  const acked = (ack - c.snd_una) | 0;
  if (acked > 0) {
    let data = acked;
    // Our FIN is the sequence number right after the last queued byte.
    if (c.fin_sent && !c.fin_acked && ack === ((c.snd_una + c.sq_bytes + 1) >>> 0)) {
      c.fin_acked = true;
      data--;
    }
    c.sq_drop(data < c.sq_bytes ? data : c.sq_bytes);
    c.snd_una = ack;
    if (seq_lt(c.snd_nxt, c.snd_una)) c.snd_nxt = c.snd_una;
    if (c.rtt_t >= 0 && seq_gt(ack, c.rtt_seq)) {
      tcp_rtt(c, ifc.clock.now_ns() - c.rtt_t);
      c.rtt_t = -1;
    }
    c.rxt_shift = 0;
    if (c.in_recovery) {
      if (seq_geq(ack, c.recover)) {
        c.in_recovery = false;
        c.cwnd = c.ssthresh;
      } else {
        // A partial ACK (RFC 6582 §3.2): the next hole goes at once.
        tcp_retransmit_one(ifc, st, c);
        c.cwnd = Math.max(c.cwnd - data + c.mss, c.mss);
      }
    } else if (c.cwnd < c.ssthresh) c.cwnd += Math.min(data, 2 * c.mss);
    else c.cwnd += Math.max(1, Math.floor((c.mss * c.mss) / c.cwnd));
    c.dupacks = 0;
    if (seq_lt(c.snd_una, c.snd_nxt)) tcp_arm_rexmt(ifc, c);
    else if (!c.persist) ifc.clock.disarm(c.timer);
    if (c.paused && c.sq_bytes < SLIRP_SNDLOWAT && c.host !== null) {
      c.paused = false;
      c.host.resume();
    }
  } else if (acked === 0 && dlen === 0 && (flags & TH_FIN) === 0 && wnd === c.snd_wnd && wnd > 0 && seq_lt(c.snd_una, c.snd_nxt)) {
    c.dupacks++;
    if (c.dupacks === 3 && !c.in_recovery) {
      const flight = (c.snd_max - c.snd_una) >>> 0;
      c.ssthresh = Math.max(flight >>> 1, 2 * c.mss);
      c.recover = c.snd_max;
      c.in_recovery = true;
      st.fast_retransmits++;
      tcp_retransmit_one(ifc, st, c);
      c.cwnd = c.ssthresh + 3 * c.mss;
      tcp_arm_rexmt(ifc, c);
    } else if (c.in_recovery) c.cwnd += c.mss;
  }
  // The window, from the newest segment only (SND.WL1/WL2).
  if (seq_gt(seq, c.snd_wl1) || (seq === c.snd_wl1 && seq_geq(ack, c.snd_wl2))) {
    const opened = wnd > c.snd_wnd;
    c.snd_wnd = wnd;
    c.snd_wl1 = seq;
    c.snd_wl2 = ack;
    if (opened && c.persist) {
      c.persist = false;
      c.rxt_shift = 0;
      ifc.clock.disarm(c.timer);
    }
  }
  if (c.fin_acked) {
    if (c.state === TCPS.FIN_WAIT_1) c.state = TCPS.FIN_WAIT_2;
    else if (c.state === TCPS.CLOSING || c.state === TCPS.LAST_ACK) t.finish(c);
  }
}

/**
 * The guest's data and FIN: the part already received is cut off, what lies beyond the window is
 * dropped, in-order bytes go towards the host (with whatever waited beyond the hole), bytes
 * beyond a hole are kept, and every out-of-order or old segment is answered at once (a
 * duplicate ACK, so the guest's fast retransmit works); in-order data is acknowledged at the tick.
 */
function tcp_data(t: SlirpTcp, c: TcpConn, f: Uint8Array, off: number, seq: number, len: number, fin: boolean, psh: boolean): void {
  const st = t.stats;
  if (c.guest_fin) {
    st.dup_segs++;
    tcp_send(t.ifc, st, c, c.snd_nxt, 0, TH_ACK);
    return;
  }
  const old = (c.rcv_nxt - seq) | 0;
  if (old > 0) {
    if (old > len || (old === len && !fin)) {
      st.dup_segs++; // all of it arrived before (a retransmission, a window probe)
      tcp_send(t.ifc, st, c, c.snd_nxt, 0, TH_ACK);
      return;
    }
    off += old;
    len -= old;
    seq = c.rcv_nxt;
  }
  const edge = seq_gt(c.rcv_adv, c.rcv_nxt) ? c.rcv_adv : c.rcv_nxt;
  const room = (edge - seq) | 0;
  if (len > room) {
    st.beyond_window++;
    len = room > 0 ? room : 0;
    fin = false;
    c.ack_pending = c.ack_now = true;
    if (len === 0) {
      tcp_send(t.ifc, st, c, c.snd_nxt, 0, TH_ACK);
      return;
    }
  }
  if (seq !== c.rcv_nxt) {
    c.ooo_insert(st, seq, f.subarray(off, off + len), fin);
    tcp_send(t.ifc, st, c, c.snd_nxt, 0, TH_ACK);
    return;
  }
  if (len > 0) t.deliver(c, f, off, len);
  let had_ooo = false;
  while (!fin && c.ooo.length > 0 && seq_leq(c.ooo[0]!.seq, c.rcv_nxt)) {
    const q = c.ooo_shift()!;
    had_ooo = true;
    const skip = (c.rcv_nxt - q.seq) | 0;
    if (skip < q.bytes.length) t.deliver(c, q.bytes, skip, q.bytes.length - skip);
    if (q.fin && skip <= q.bytes.length) fin = true;
  }
  if (fin) {
    c.ooo_clear();
    c.rcv_nxt = (c.rcv_nxt + 1) >>> 0;
    t.guest_fin(c);
    return;
  }
  c.ack_pending = true;
  if (psh || ((c.rcv_nxt - c.rcv_acked) | 0) >= 2 * SLIRP_MSS) c.ack_now = true;
  if (had_ooo) tcp_send(t.ifc, st, c, c.snd_nxt, 0, TH_ACK);
}
