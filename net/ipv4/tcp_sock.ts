/**
 * TCP's data structures and constants (include/linux/tcp.h, include/net/tcp.h,
 * include/net/inet_connection_sock.h, reduced): the states with Linux's numbers (/proc/net/tcp
 * prints them), header flags and options, times and sizes, sequence arithmetic, the byte rings and
 * the retransmit queue, and struct tcp_sock. The per-kernel state (sysctls, counters, tables) is in
 * tcp_net.ts.
 *
 * Buffers. Linux keeps sent-but-unacknowledged data as sk_buffs on a retransmit queue and
 * out-of-order data as sk_buffs in an rbtree. Here both directions keep their bytes in a ring
 * (ByteRing) sized from SO_SNDBUF / SO_RCVBUF and allocated once per connection:
 *  - the send ring holds the stream from snd_una's first data byte to write_seq; a segment is
 *    copied from it into a fresh packet buffer each time it is (re)sent, and a small ring of
 *    TcpSegment records (seq, end_seq, flags, SACK state, send time — the skb control block)
 *    describes what is in flight;
 *  - the receive ring holds the stream from copied_seq (the reader's position) on; in-order bytes
 *    end at rcv_nxt, and out-of-order segments are written straight to their place further on,
 *    with a short list of [start, end) ranges saying which places hold data (the ofo queue, and the
 *    source of SACK blocks). The advertised window never reaches past the ring's end (the ring has
 *    one window-scale unit to spare for a window rounded up), so every acceptable segment has its
 *    place.
 * Nothing on the data path allocates: packet buffers come from the pool, records are reused.
 */
import type { TxWaiter } from "../../include/net/netdevice.ts";
import type { WaitQueueHead } from "../../kernel/sched/wait.ts";
import { TimerList } from "../../kernel/time/timer.ts";
import type { Sock } from "../socket.ts";

/* ---- states (include/net/tcp_states.h) ---- */
export const TCP_ESTABLISHED = 1;
export const TCP_SYN_SENT = 2;
export const TCP_SYN_RECV = 3;
export const TCP_FIN_WAIT1 = 4;
export const TCP_FIN_WAIT2 = 5;
export const TCP_TIME_WAIT = 6;
export const TCP_CLOSE = 7;
export const TCP_CLOSE_WAIT = 8;
export const TCP_LAST_ACK = 9;
export const TCP_LISTEN = 10;
export const TCP_CLOSING = 11;

/* ---- header ---- */
export const TCP_HLEN = 20;
export const TCPHDR_FIN = 0x01;
export const TCPHDR_SYN = 0x02;
export const TCPHDR_RST = 0x04;
export const TCPHDR_PSH = 0x08;
export const TCPHDR_ACK = 0x10;
export const TCPHDR_URG = 0x20;

/* Options (RFC 9293 §3.2, RFC 7323, RFC 2018). */
export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WINDOW = 3;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;
export const TCPOLEN_TSTAMP_ALIGNED = 12;
/** Most SACK blocks in one segment: 4, or 3 beside a timestamp (RFC 2018 §3). */
export const TCP_NUM_SACKS = 4;

/* ---- sizes and times (include/net/tcp.h) ---- */
/** RFC 9293 §3.7.1: the MSS assumed when the peer sends none. */
export const TCP_MSS_DEFAULT = 536;
export const TCP_MIN_MSS = 88;
export const TCP_MAX_WSCALE = 14;
export const MAX_TCP_WINDOW = 65535;
/** RFC 6928: ten segments. */
export const TCP_INIT_CWND = 10;
/** RFC 6298 (2.1): the RTO before any RTT sample. */
export const TCP_TIMEOUT_INIT_NS = 1_000_000_000;
export const TCP_RTO_MIN_NS = 200_000_000;
export const TCP_RTO_MAX_NS = 120_000_000_000;
export const TCP_DELACK_MIN_NS = 40_000_000;
export const TCP_DELACK_MAX_NS = 200_000_000;
export const TCP_ATO_MIN_NS = 40_000_000;
export const TCP_TIMEWAIT_LEN_NS = 60_000_000_000;
/** Resend budget for a zero-window probe timer that finds the queue empty, and TCP_RESOURCE_PROBE_INTERVAL. */
export const TCP_RESOURCE_PROBE_INTERVAL_NS = 500_000_000;
/** The most segments Linux ACKs at once in quick-ack mode. */
export const TCP_MAX_QUICKACKS = 16;
/** Header room besides the payload, per segment, for tcp_sndbuf_expand (Linux's MAX_TCP_HEADER). */
export const MAX_TCP_HEADER = 320;
/** Per-buffer overhead Linux charges a socket (SKB_TRUESIZE's struct sizes, x86_64). */
export const SKB_TRUESIZE_OVERHEAD = 576;
/** SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF (include/net/sock.h, x86_64 values). */
export const SOCK_MIN_SNDBUF = 4608;
export const SOCK_MIN_RCVBUF = 2304;
/** net.core.somaxconn: the listen backlog cap. */
export const SOMAXCONN = 4096;

/* ---- inet_connection_sock timers ---- */
export const ICSK_TIME_RETRANS = 1;
export const ICSK_TIME_DACK = 2;
export const ICSK_TIME_PROBE0 = 3;

/* icsk_ack.pending bits */
export const ICSK_ACK_SCHED = 1;
export const ICSK_ACK_TIMER = 2;
export const ICSK_ACK_PUSHED = 4;
export const ICSK_ACK_NOW = 16;

/* sk_shutdown bits */
export const RCV_SHUTDOWN = 1;
export const SEND_SHUTDOWN = 2;
export const SHUTDOWN_MASK = 3;

/* Congestion-control states (include/net/tcp.h enum tcp_ca_state), as `as const` numbers. */
export const TCP_CA_Open = 0;
export const TCP_CA_Disorder = 1;
export const TCP_CA_CWR = 2;
export const TCP_CA_Recovery = 3;
export const TCP_CA_Loss = 4;

/* TcpSegment.sacked bits (TCPCB_*). */
export const TCPCB_SACKED_ACKED = 0x01;
export const TCPCB_SACKED_RETRANS = 0x02;
export const TCPCB_LOST = 0x04;
export const TCPCB_EVER_RETRANS = 0x80;

/* ---- sequence arithmetic (RFC 9293 §3.4: modulo 2^32) ---- */
export function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
export function after(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}
export function seq_add(a: number, n: number): number {
  return (a + n) >>> 0;
}
/** b - a as a signed 32-bit distance. */
export function seq_diff(b: number, a: number): number {
  return (b - a) | 0;
}

/** A byte ring: a window of a byte stream, `len` bytes starting at index `head`. */
export class ByteRing {
  buf: Uint8Array;
  head = 0;
  len = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }

  get capacity(): number {
    return this.buf.length;
  }

  get free(): number {
    return this.buf.length - this.len;
  }

  /** Append up to free bytes of src[off, off+n). Returns the bytes taken. */
  push(src: Uint8Array, off: number, n: number): number {
    n = Math.min(n, this.free);
    this.write_at(this.len, src, off, n);
    this.len += n;
    return n;
  }

  /** Write n bytes at stream offset `at` from the head (within capacity; len unchanged). */
  write_at(at: number, src: Uint8Array, off: number, n: number): void {
    const cap = this.buf.length;
    const i = (this.head + at) % cap;
    const first = Math.min(n, cap - i);
    this.buf.set(src.subarray(off, off + first), i);
    if (first < n) this.buf.set(src.subarray(off + first, off + n), 0);
  }

  /** Copy n bytes at stream offset `at` from the head into dst[doff…). */
  read_at(at: number, dst: Uint8Array, doff: number, n: number): void {
    const cap = this.buf.length;
    const i = (this.head + at) % cap;
    const first = Math.min(n, cap - i);
    dst.set(this.buf.subarray(i, i + first), doff);
    if (first < n) dst.set(this.buf.subarray(0, n - first), doff + first);
  }

  /** Drop n bytes from the head (bytes stored past len keep their places). */
  consume(n: number): void {
    this.head = (this.head + n) % this.buf.length;
    this.len -= n;
  }

  /** A new capacity, keeping the bytes (and anything stored past len up to `keep`). */
  resize(capacity: number, keep = this.len): void {
    if (capacity === this.buf.length || capacity < keep) return;
    const nb = new Uint8Array(capacity);
    this.read_at(0, nb, 0, keep);
    this.buf = nb;
    this.head = 0;
  }
}

/**
 * One segment in flight (Linux's tcp_skb_cb on the retransmit queue): what it covers, SYN/FIN
 * flags it carries, its SACK state and when it was sent. Records live in a ring owned by the socket
 * and are reused.
 */
export class TcpSegment {
  seq = 0;
  end_seq = 0;
  /** TCPHDR_SYN / TCPHDR_FIN it carries. */
  tcp_flags = 0;
  /** TCPCB_* bits. */
  sacked = 0;
  /** Clock (ns) of the first and of the latest transmission. */
  first_tx_ns = 0;
  tx_ns = 0;
}

/** The retransmit queue: TcpSegment records oldest first, in a ring that grows and never shrinks. */
export class RtxQueue {
  recs: TcpSegment[] = [];
  head = 0;
  count = 0;

  at(i: number): TcpSegment {
    return this.recs[(this.head + i) % this.recs.length]!;
  }

  /** A record at the tail, for the caller to fill. */
  push(): TcpSegment {
    if (this.count === this.recs.length) {
      const bigger: TcpSegment[] = [];
      for (let i = 0; i < this.count; i++) bigger.push(this.at(i));
      const n = Math.max(16, this.recs.length * 2);
      for (let i = this.count; i < n; i++) bigger.push(new TcpSegment());
      this.recs = bigger;
      this.head = 0;
    }
    const r = this.recs[(this.head + this.count) % this.recs.length]!;
    r.sacked = 0;
    r.tcp_flags = 0;
    this.count++;
    return r;
  }

  shift(): void {
    this.head = (this.head + 1) % this.recs.length;
    this.count--;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}

/** Options of the segment being processed (tcp_options_received, reduced). */
export class TcpOptionsReceived {
  saw_tstamp = false;
  rcv_tsval = 0;
  rcv_tsecr = 0;
  /** SYN options: MSS (0 = none), window scale (-1 = none), SACK permitted. */
  mss_clamp = 0;
  wscale = -1;
  sack_ok = false;
  /** SACK blocks: [start, end) pairs. */
  num_sacks = 0;
  readonly sack: Uint32Array = new Uint32Array(2 * TCP_NUM_SACKS);
}

/**
 * The segment being processed (the skb and its tcp_skb_cb): where the header and payload are in
 * the packet buffer, and the fields in host order. One object serves every segment: tcp_v4_rcv
 * fills it and finishes with it before it returns, and no segment is processed inside another.
 */
export class TcpSkb {
  data: Uint8Array = new Uint8Array(0);
  /** Offsets into `data`: the TCP header and the payload. */
  th = 0;
  doff = 0;
  payload = 0;
  len = 0;
  seq = 0;
  /** seq + len + SYN + FIN. */
  end_seq = 0;
  ack_seq = 0;
  flags = 0;
  window = 0;
  saddr = 0;
  daddr = 0;
  sport = 0;
  dport = 0;
  readonly opt = new TcpOptionsReceived();
}

/**
 * struct tcp_sock (with inet_sock, inet_connection_sock and struct sock folded in). Field names are
 * Linux's; `_ns` fields hold times on the kernel clock.
 */
export class TcpSock {
  state = TCP_CLOSE;
  /** The descriptor (struct socket) this sock belongs to; null while in an accept queue or orphaned. */
  sock: Sock | null = null;
  /** Woken for readers, writers, pollers and connect/accept sleepers. */
  readonly wq: WaitQueueHead;
  /** inet_sock: addresses and ports (host order). */
  saddr = 0;
  rcv_saddr = 0;
  sport = 0;
  daddr = 0;
  dport = 0;
  /** Socket flags. */
  reuse = false;
  keepalive = false;
  nonagle = false;
  sk_shutdown = 0;
  /** sk_err: the error the next call reports (positive errno, 0 = none). sk_err_soft: a remembered ICMP/ARP error. */
  sk_err = 0;
  sk_err_soft = 0;
  /** SO_RCVBUF / SO_SNDBUF as Linux stores them (doubled from setsockopt), and whether they were set. */
  sk_rcvbuf = 0;
  sk_sndbuf = 0;
  rcvbuf_locked = false;
  sndbuf_locked = false;
  /** Closed by its owner: nobody will read; it lives on only to finish the protocol. */
  dead = false;
  /** struct socket's state for connect(): SS_UNCONNECTED (0), SS_CONNECTING (1), SS_CONNECTED (2). */
  ss_state = 0;
  /** Socket inode number (for /proc/net/tcp). */
  ino = 0;
  /** The local port was chosen by bind() (SOCK_BINDPORT_LOCK): it stays bound after the connection ends. */
  bind_locked = false;
  /** In the bind table. */
  bound = false;

  /* listening socket */
  max_ack_backlog = 0;
  /** Children in SYN_RECV (the request queue) and established, waiting for accept() (the accept queue). */
  readonly syn_queue: TcpSock[] = [];
  readonly accept_queue: TcpSock[] = [];
  /** For a child: the listener it belongs to until accepted. */
  parent: TcpSock | null = null;

  /* send sequence space (RFC 9293 §3.3.1) */
  iss = 0;
  snd_una = 0;
  snd_nxt = 0;
  snd_wnd = 0;
  snd_wl1 = 0;
  max_window = 0;
  /** The sequence number after the last byte the application wrote (and the FIN's, once queued). */
  write_seq = 0;
  /** Sequence number of the send ring's head byte. */
  snd_buf_seq = 0;
  /** Our FIN has been queued (write_seq counts it). */
  fin_queued = false;
  /** Nagle/Minshall: end of the last small segment sent. */
  snd_sml = 0;
  /* receive sequence space */
  irs = 0;
  rcv_nxt = 0;
  rcv_wnd = 0;
  rcv_wup = 0;
  /** The reader's position: everything before it has been read. */
  copied_seq = 0;
  /**
   * The receive space the window is computed from (bytes). The receive ring is one window-scale
   * unit larger: an offered window is rounded up to that unit when it may not shrink, and the
   * bytes that rounding lets the peer send still have their place.
   */
  rcv_space = 0;
  window_clamp = 0;
  rcv_ssthresh = 0;
  /** Out-of-order ranges present in the receive ring, sorted, as [start, end) pairs (sequence numbers). */
  readonly ofo: number[] = [];
  /** A FIN seen out of order: its sequence number (valid when ofo_fin). */
  ofo_fin = false;
  ofo_fin_seq = 0;
  /** The ofo range that changed last (for the first SACK block, RFC 2018 §4). */
  ofo_last = -1;

  /* MSS and options (tcp_options_received, tcp_sock) */
  advmss = 0;
  mss_cache = TCP_MSS_DEFAULT;
  /** User's TCP_MAXSEG (0 = none). */
  user_mss = 0;
  /** Peer's MSS option (TCP_MSS_DEFAULT without one). */
  rx_mss_clamp = TCP_MSS_DEFAULT;
  tstamp_ok = false;
  sack_ok = false;
  wscale_ok = false;
  snd_wscale = 0;
  rcv_wscale = 0;
  ts_recent = 0;
  ts_recent_stamp_ns = 0;
  /** Per-connection offset of our timestamp clock (RFC 7323 §7.1, Linux's tsoffset). */
  ts_offset = 0;
  /** GSO refused by the IP output (it returned EMSGSIZE): send single segments. */
  gso_off = false;
  /** Bytes of options on every non-SYN segment (12 with timestamps). */
  tcp_header_len = TCP_HLEN;
  /** The received segment carried these (valid while it is processed). */
  rcv_mss = TCP_MSS_DEFAULT;

  /* RTT and RTO (RFC 6298), in µs and ns */
  srtt_us = 0;
  mdev_us = 0;
  rttvar_us = 0;
  icsk_rto_ns = TCP_TIMEOUT_INIT_NS;
  icsk_backoff = 0;
  icsk_retransmits = 0;
  icsk_probes_out = 0;
  /** Time of the first retransmission of the current episode's head (retransmits_timed_out). */
  retrans_stamp_ns = 0;
  total_retrans = 0;
  /** What the retransmit timer is armed for: ICSK_TIME_RETRANS, ICSK_TIME_PROBE0 or 0. */
  icsk_pending = 0;
  icsk_timeout_ns = 0;
  /** SYN-ACKs retransmitted by a SYN_RECV child (req->num_timeout). */
  num_timeout = 0;

  /* congestion control (packets) */
  snd_cwnd = TCP_INIT_CWND;
  snd_ssthresh = 0x7fffffff;
  snd_cwnd_cnt = 0;
  ca_state = TCP_CA_Open;
  /** NewReno's "recover" (RFC 6582): snd_nxt when recovery began. */
  high_seq = 0;
  packets_out = 0;
  sacked_out = 0;
  lost_out = 0;
  retrans_out = 0;
  /** Highest sequence SACKed so far in this window. */
  highest_sack = 0;
  /** Most packets in flight during the current window, and whether cwnd held a send back (RFC 7661). */
  max_packets_out = 0;
  is_cwnd_limited = false;
  /** snd_nxt when max_packets_out was last reset (one window ago). */
  cwnd_usage_seq = 0;
  /** Segments delivered to the peer (cumulatively ACKed or SACKed): cwnd grows by the change. */
  delivered = 0;
  /** RTT estimator state beyond RFC 6298's: Linux's per-window maximum of mdev, and its window marker. */
  mdev_max_us = 0;
  rtt_seq = 0;
  /** Last ACK sent for an out-of-window or challenged segment (tcp_oow_rate_limited). */
  last_oow_ack_ns = -Infinity;
  readonly rtx: RtxQueue = new RtxQueue();

  /* delayed ACK (icsk_ack) */
  ack_pending = 0;
  ack_quick = 0;
  ack_pingpong = false;
  /** The ACK timeout: 0 until the first data arrives (then TCP_ATO_MIN, adapted), as Linux's icsk_ack.ato. */
  ack_ato_ns = 0;
  ack_timeout_ns = 0;
  ack_lrcvtime_ns = 0;
  /** Full segments received since the last ACK we sent (ACK every second one). */
  rcv_segs_since_ack = 0;
  /** We advertised a zero window (for TCPFromZeroWindowAdv). */
  rcv_zero_wnd = false;

  /* keepalive (tcp_sock) */
  keepalive_time_s = 0;
  keepalive_intvl_s = 0;
  keepalive_probes = 0;
  /** Clock (ns) when the last segment arrived (keepalive idle time). */
  rcv_tstamp_ns = 0;
  /** Last time data (or a SYN) was sent: Linux's lsndtime. */
  lsndtime_ns = 0;

  /* buffers */
  snd_ring: ByteRing | null = null;
  rcv_ring: ByteRing | null = null;

  /* timers (icsk_retransmit_timer, icsk_delack_timer, sk_timer) */
  readonly retransmit_timer: TimerList;
  readonly delack_timer: TimerList;
  readonly keepalive_timer: TimerList;
  /** What sk_timer is armed for now. */
  sk_timer_kind: "none" | "keepalive" | "fin_wait2" | "time_wait" = "none";

  /** The ip_output error callback for this socket, made once. */
  readonly xmit_error: (err: number) => void;
  /** Called back when a stopped device queue wakes (tcp_xmit_blocked); made on first need. */
  tx_waiter: TxWaiter | null = null;

  constructor(wq: WaitQueueHead, on_retransmit: (tp: TcpSock) => void, on_delack: (tp: TcpSock) => void, on_keepalive: (tp: TcpSock) => void, on_xmit_error: (tp: TcpSock, err: number) => void) {
    this.wq = wq;
    this.retransmit_timer = new TimerList(() => on_retransmit(this));
    this.delack_timer = new TimerList(() => on_delack(this));
    this.keepalive_timer = new TimerList(() => on_keepalive(this));
    this.xmit_error = (err: number) => on_xmit_error(this, err);
  }
}

/** tcp_packets_in_flight(): what the network holds by the scoreboard's estimate (RFC 6675 "pipe"). */
export function tcp_packets_in_flight(tp: TcpSock): number {
  return tp.packets_out - (tp.sacked_out + tp.lost_out) + tp.retrans_out;
}

/** tcp_receive_window(): how much of the window we last advertised is still open. */
export function tcp_receive_window(tp: TcpSock): number {
  const w = seq_diff(seq_add(tp.rcv_wup, tp.rcv_wnd), tp.rcv_nxt);
  return w < 0 ? 0 : w;
}

/** Bytes queued for sending that have not been acknowledged (the tx_queue of /proc/net/tcp). */
export function tcp_write_queue_bytes(tp: TcpSock): number {
  return tp.snd_ring?.len ?? 0;
}

/** Bytes received in order and not yet read (the rx_queue of /proc/net/tcp). */
export function tcp_inq(tp: TcpSock): number {
  return tp.rcv_ring?.len ?? 0;
}
