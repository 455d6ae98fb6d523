/**
 * One NAT'd TCP connection (libslirp's struct socket + struct tcpcb, tcp_subr.c): the guest's TCP
 * is terminated here, by a small TCP of the user network's own, and the byte stream is carried
 * over a host socket (host_net.ts). This file has the connection's state and its send queue;
 * slirp_tcp_input.ts, slirp_tcp_output.ts and slirp_tcp.ts drive it.
 *
 * Sequence space: `snd_*` count the bytes the NAT sends to the guest (what the host sent), `rcv_*`
 * what the guest sends. The send queue holds the host's bytes from snd_una on (sent and not yet
 * acknowledged, then unsent), as the host's own buffers (never copied until a segment is built).
 */
import { ClockEvent } from "../clock.ts";
import type { HostTcpHandle } from "./host_net.ts";

/** Connection states, BSD's numbering (tcp_fsm.h). */
export const TCPS = {
  CLOSED: 0,
  LISTEN: 1,
  SYN_SENT: 2,
  SYN_RECEIVED: 3,
  ESTABLISHED: 4,
  CLOSE_WAIT: 5,
  FIN_WAIT_1: 6,
  CLOSING: 7,
  LAST_ACK: 8,
  FIN_WAIT_2: 9,
  TIME_WAIT: 10,
} as const;

export const TCP_STATE_NAMES = ["CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT_1", "CLOSING", "LAST_ACK", "FIN_WAIT_2", "TIME_WAIT"] as const;

export const TH_FIN = 0x01;
export const TH_SYN = 0x02;
export const TH_RST = 0x04;
export const TH_PUSH = 0x08;
export const TH_ACK = 0x10;

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MAXSEG = 2;
export const TCPOPT_WINDOW = 3;

/** The MSS the NAT announces (an Ethernet MTU of 1500); what it sends is at most the guest's. */
export const SLIRP_MSS = 1460;
/** Default MSS when the guest's SYN has none (RFC 9293 §3.7.1). */
export const TCP_MSS_DEFAULT = 536;
/** Guest → host bytes the NAT holds for a host socket that has not taken them (the window it opens). */
export const SLIRP_RCVBUF = 1 << 20;
/** Window scale the NAT offers (2^5 × 65535 ≥ SLIRP_RCVBUF). */
export const SLIRP_WSCALE = 5;
/** Host → guest bytes queued per connection above which the host socket is paused … */
export const SLIRP_SNDBUF = 512 * 1024;
/** … and below which it reads again. */
export const SLIRP_SNDLOWAT = 256 * 1024;
/** Initial congestion window, segments (RFC 6928). */
export const TCP_INIT_CWND = 10;

/** Retransmission timeout: initial (RFC 6298), floor and ceiling (Linux's TCP_RTO_MIN/MAX). */
export const TCP_RTO_INIT_NS = 1e9;
export const TCP_RTO_MIN_NS = 200e6;
export const TCP_RTO_MAX_NS = 60e9;
/**
 * A lone in-order segment is acknowledged this late at most (a second full segment, a PSH or the
 * end of the guest's burst usually makes it sooner); RFC 1122 allows 500 ms, Linux waits 40 ms,
 * the NAT far less: it sits next to the guest.
 */
export const TCP_DELACK_NS = 500_000;
/** Retransmissions of one segment before the connection is given up (BSD's TCP_MAXRXTSHIFT). */
export const TCP_MAXRXTSHIFT = 12;
/** SYNs sent to the guest for a forwarded connection before it is given up (Linux's tcp_syn_retries). */
export const TCP_SYN_RETRIES = 6;
/** Unanswered zero-window probes, or time without a segment from the guest while probing, before the connection is given up (BSD's TCP_MAXPERSISTIDLE). */
export const TCP_MAX_PERSIST_PROBES = 12;
export const TCP_MAXPERSISTIDLE_NS = 600e9;
/** Segments, and bytes, kept beyond a hole per connection at most (more are dropped: the guest sends them again). */
export const TCP_OOO_MAX_SEGS = 64;
/** Connections per user network at most (a SYN beyond gets an RST, a forwarded connection is closed). */
export const TCP_MAX_CONNS = 1024;
/** An abort's RST that found no output slot is tried again this often, this many times. */
export const TCP_RST_RETRY_NS = 1e6;
export const TCP_RST_RETRIES = 100;

export function seq_lt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
export function seq_leq(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}
export function seq_gt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
export function seq_geq(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** A guest segment that arrived ahead of a hole (kept until the hole is filled). */
export interface OooSeg {
  seq: number;
  bytes: Uint8Array;
  fin: boolean;
}

export class TcpConn {
  // --- who (as the guest sees the connection) ---
  readonly gaddr: number;
  readonly gport: number;
  readonly faddr: number;
  readonly fport: number;
  /** The guest's MAC (null for a forwarded connection until ARP finds it). */
  mac: Uint8Array | null;
  /** Hash chain (slirp_tcp.ts's table). */
  hnext: TcpConn | null = null;
  /** Where it goes on the host (for describe). */
  readonly host_addr: number;
  readonly host_port: number;
  /** The host socket; null once it is gone. */
  host: HostTcpHandle | null = null;
  /** The host connect is under way (the guest's SYN waits for it: no SYN-ACK yet). */
  fconnecting = false;
  /** A hostfwd connection: the NAT sent the SYN. */
  readonly fwd: boolean;
  /** The guest's SYN: its IPv4 header and 8 bytes, quoted in an ICMP error if the host fails. */
  syn_quote: Uint8Array | null = null;

  state: number = TCPS.CLOSED;

  // --- send side (host → guest) ---
  iss = 0;
  snd_una = 0;
  snd_nxt = 0;
  /** Highest sequence sent + 1. */
  snd_max = 0;
  /** The guest's window (scaled), and its shift (-1 until known, 0 when not negotiated). */
  snd_wnd = 0;
  /** The segment that last updated snd_wnd (RFC 9293 §3.10.7.4 SND.WL1/WL2). */
  snd_wl1 = 0;
  snd_wl2 = 0;
  snd_wscale = 0;
  /** Our shift for the windows we advertise (0 when not negotiated). */
  rcv_wscale = 0;
  /** Largest segment the guest takes. */
  mss = TCP_MSS_DEFAULT;
  cwnd = 0;
  ssthresh = 0x7fffffff;
  dupacks = 0;
  /** NewReno (RFC 6582): in fast recovery until snd_una passes `recover`. */
  in_recovery = false;
  recover = 0;
  /** RTT estimate (RFC 6298), ns; srtt < 0 until the first sample. */
  srtt = -1;
  rttvar = 0;
  rto = TCP_RTO_INIT_NS;
  /** The segment being timed (Karn: none while retransmitting), and when it left. */
  rtt_seq = 0;
  rtt_t = -1;
  /** Consecutive timeouts (the backoff). */
  rxt_shift = 0;
  /** The timer runs as the persist timer (a zero window), not as the retransmission timer. */
  persist = false;
  /** Zero-window probes sent since the guest last sent a segment, and when it last did. */
  persist_probes = 0;
  rcv_time = 0;
  /** Aborted, its RST to the guest waiting for an output slot (the timer retries it); nothing else is done for it. */
  rst_pending = false;
  rst_tries = 0;

  /** Host bytes from snd_una on: chunks, how much of the first one is gone, and the total. */
  readonly sq: Uint8Array[] = [];
  sq_off = 0;
  sq_bytes = 0;
  /** The host sent its FIN: the guest gets ours after the queue. */
  host_eof = false;
  /** Our FIN went out (it is snd_max - 1 while unacknowledged). */
  fin_sent = false;
  fin_acked = false;
  /** Host reading is paused (too much queued for the guest). */
  paused = false;

  // --- receive side (guest → host) ---
  irs = 0;
  rcv_nxt = 0;
  /** Right edge of the window last advertised. */
  rcv_adv = 0;
  /** The guest's FIN arrived (in order). */
  guest_fin = false;
  /** The guest's bytes not yet handed to the host socket: wbuf[wbuf_start..wbuf_end). */
  wbuf: Uint8Array | null = null;
  wbuf_start = 0;
  wbuf_end = 0;
  /** Segments beyond a hole, in sequence order, not overlapping; and their bytes. */
  readonly ooo: OooSeg[] = [];
  ooo_bytes = 0;

  // --- bookkeeping ---
  /** An ACK is owed to the guest (sent at the next tick unless a segment carries it) … */
  ack_pending = false;
  /** … at once (two full segments unacknowledged, a PSH, a window update), else after TCP_DELACK_NS. */
  ack_now = false;
  /** rcv_nxt as the last ACK sent said it. */
  rcv_acked = 0;
  /** On the tick list. */
  dirty = false;
  /** Removed from the table. */
  dead = false;
  readonly timer: ClockEvent;
  /** The delayed-ACK timer. */
  readonly delack: ClockEvent;

  constructor(gaddr: number, gport: number, faddr: number, fport: number, mac: Uint8Array | null, host_addr: number, host_port: number, fwd: boolean, on_timer: (c: TcpConn) => void, on_delack: (c: TcpConn) => void) {
    this.gaddr = gaddr;
    this.gport = gport;
    this.faddr = faddr;
    this.fport = fport;
    this.mac = mac;
    this.host_addr = host_addr;
    this.host_port = host_port;
    this.fwd = fwd;
    this.timer = new ClockEvent("slirp-tcp", () => on_timer(this));
    this.delack = new ClockEvent("slirp-tcp-delack", () => on_delack(this));
  }

  /** Append host bytes (ownership passes to the queue). */
  sq_append(b: Uint8Array): void {
    if (b.length === 0) return;
    this.sq.push(b);
    this.sq_bytes += b.length;
  }

  /** The guest acknowledged `n` bytes from the front. */
  sq_drop(n: number): void {
    this.sq_bytes -= n;
    while (n > 0) {
      const first = this.sq[0]!;
      const left = first.length - this.sq_off;
      if (n < left) {
        this.sq_off += n;
        return;
      }
      n -= left;
      this.sq.shift();
      this.sq_off = 0;
    }
  }

  /** Copy `len` queued bytes from queue offset `from` into dst[at..). */
  sq_copy(dst: Uint8Array, at: number, from: number, len: number): void {
    let i = 0;
    let off = this.sq_off + from;
    while (off >= this.sq[i]!.length) {
      off -= this.sq[i]!.length;
      i++;
    }
    while (len > 0) {
      const c = this.sq[i++]!;
      const n = Math.min(len, c.length - off);
      dst.set(n === c.length ? c : c.subarray(off, off + n), at);
      at += n;
      len -= n;
      off = 0;
    }
  }

  /**
   * Keep a segment that arrived beyond a hole: the queue stays sorted and free of overlaps (what
   * the segments before it hold is cut from its front, segments it covers are replaced, and it is
   * cut short of the next one), at most TCP_OOO_MAX_SEGS segments and SLIRP_RCVBUF bytes (beyond, it
   * is dropped and counted in ooo_dropped; the guest sends it again). `bytes` is the caller's
   * frame: what is kept is copied.
   */
  ooo_insert(st: TcpStats, seq: number, bytes: Uint8Array, fin: boolean): void {
    const q = this.ooo;
    let i = q.length;
    while (i > 0 && seq_gt(q[i - 1]!.seq, seq)) i--;
    if (i > 0) {
      const p = q[i - 1]!;
      const pend = (p.seq + p.bytes.length) >>> 0;
      const over = (pend - seq) | 0;
      if (over >= bytes.length) {
        if (fin && pend === ((seq + bytes.length) >>> 0)) p.fin = true;
        st.dup_segs++;
        return;
      }
      if (over > 0) {
        bytes = bytes.subarray(over);
        seq = pend;
      }
    }
    let end = (seq + bytes.length) >>> 0;
    let j = i;
    let freed = 0;
    while (j < q.length && seq_leq((q[j]!.seq + q[j]!.bytes.length) >>> 0, end)) {
      if (q[j]!.fin && ((q[j]!.seq + q[j]!.bytes.length) >>> 0) === end) fin = true;
      freed += q[j]!.bytes.length;
      j++;
    }
    if (j < q.length && seq_lt(q[j]!.seq, end)) {
      bytes = bytes.subarray(0, (q[j]!.seq - seq) >>> 0);
      end = q[j]!.seq;
      fin = false;
    }
    if (bytes.length === 0 && !fin) {
      st.dup_segs++;
      return;
    }
    if (q.length - (j - i) >= TCP_OOO_MAX_SEGS || this.ooo_bytes - freed + bytes.length > SLIRP_RCVBUF) {
      st.ooo_dropped++;
      return;
    }
    q.splice(i, j - i, { seq, bytes: bytes.slice(), fin });
    this.ooo_bytes += bytes.length - freed;
    st.ooo_queued++;
  }

  /** Take the first segment beyond the hole. */
  ooo_shift(): OooSeg | undefined {
    const s = this.ooo.shift();
    if (s !== undefined) this.ooo_bytes -= s.bytes.length;
    return s;
  }

  ooo_clear(): void {
    this.ooo.length = 0;
    this.ooo_bytes = 0;
  }

  /** Guest bytes waiting in wbuf for the host. */
  wbuf_pending(): number {
    return this.wbuf_end - this.wbuf_start;
  }

  /** Bytes in flight to the guest (sent, not acknowledged), the FIN aside. */
  flight(): number {
    return (this.snd_nxt - this.snd_una) >>> 0;
  }
}

/**
 * The NAT's TCP counters (`~info network`). Every guest segment counted in segs_in ends delivered
 * to a connection or in exactly one of bad_hdr, bad_csum, no_conn (answered with an RST), dropped
 * (not acceptable in the connection's state: an old ACK, a SYN while the host connects, a bad RST).
 * dup_segs, ooo_queued and beyond_window describe segments a connection took.
 */
export interface TcpStats {
  /** Guest connections carried to a host socket (SYN-ACK sent). */
  opened: number;
  /** … that the host refused (RST to the guest), found unreachable (ICMP), or failed otherwise (RST). */
  refused: number;
  unreachable: number;
  failed: number;
  /** Connections that ended with a FIN each way. */
  closed: number;
  /** … ended by an RST from the guest, or by a reset / error of the host socket (RST to the guest). */
  reset_by_guest: number;
  reset_by_host: number;
  /** … given up after too many retransmissions. */
  timedout: number;
  /** hostfwd: host connections taken, then established with the guest, or refused by it (RST or no answer). */
  fwd_accepted: number;
  fwd_established: number;
  fwd_refused: number;
  segs_in: number;
  segs_out: number;
  /** Segments sent again (timeouts and fast retransmits), retransmission timeouts, fast retransmits. */
  retransmits: number;
  timeouts: number;
  fast_retransmits: number;
  bad_csum: number;
  bad_hdr: number;
  no_conn: number;
  dropped: number;
  /** Segments wholly old (already received), queued beyond a hole, or cut at the window's edge. */
  dup_segs: number;
  ooo_queued: number;
  beyond_window: number;
  /** Segments not sent for want of an output slot (sent later). */
  no_slot: number;
  /** Segments beyond a hole not kept (TCP_OOO_MAX_SEGS or the byte limit reached). */
  ooo_dropped: number;
  /** Connections given up after TCP_MAX_PERSIST_PROBES unanswered probes / TCP_MAXPERSISTIDLE_NS of silence. */
  persist_timedout: number;
  /** SYNs refused, and forwarded connections closed, at TCP_MAX_CONNS. */
  conn_limit: number;
  /** Abort RSTs that had to wait for an output slot, and those never sent (TCP_RST_RETRIES). */
  rst_deferred: number;
  rst_lost: number;
  /** Stream bytes carried each way. */
  bytes_to_host: number;
  bytes_to_guest: number;
}

export function tcp_stats_zero(): TcpStats {
  return {
    opened: 0,
    refused: 0,
    unreachable: 0,
    failed: 0,
    closed: 0,
    reset_by_guest: 0,
    reset_by_host: 0,
    timedout: 0,
    fwd_accepted: 0,
    fwd_established: 0,
    fwd_refused: 0,
    segs_in: 0,
    segs_out: 0,
    retransmits: 0,
    timeouts: 0,
    fast_retransmits: 0,
    bad_csum: 0,
    bad_hdr: 0,
    no_conn: 0,
    dropped: 0,
    dup_segs: 0,
    ooo_queued: 0,
    beyond_window: 0,
    no_slot: 0,
    ooo_dropped: 0,
    persist_timedout: 0,
    conn_limit: 0,
    rst_deferred: 0,
    rst_lost: 0,
    bytes_to_host: 0,
    bytes_to_guest: 0,
  };
}
