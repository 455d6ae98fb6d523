/**
 * TCP's socket layer (net/ipv4/tcp.c and af_inet.c's stream calls, reduced): creating and
 * releasing connections, the state bookkeeping every transition goes through, send and receive
 * with their buffers and back-pressure, connect/listen/accept, shutdown and close, poll, socket
 * options, and the module's set-up.
 *
 * Who calls what: net/inet.ts maps descriptors to TcpSocks and calls the process-context functions
 * here (those returning promises may sleep, interruptibly; they return -ERESTARTSYS on a signal);
 * the protocol (tcp_input/tcp_timer, softirq) calls tcp_set_state, tcp_done and the wakers.
 * Every call returns 0, a count, or -errno; nothing throws.
 */
import { __tcp_select_window } from "./tcp_window.ts";
import { EAGAIN, EINVAL, ENOTCONN, ECONNABORTED, ECONNRESET, EISCONN, EPIPE } from "../../include/linux/errno.ts";
import { IPPROTO_TCP, MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM, type SockAddrIn } from "../../include/uapi/in.ts";
import { EALREADY, EINPROGRESS } from "../../include/linux/errno.ts";
import { proc_create, proc_remove } from "../../kernel/fs/proc.ts";
import { init_waitqueue_head, wait_event_interruptible, wait_event_interruptible_timeout, wake_up_all } from "../../kernel/sched/wait.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { sock_release } from "../socket.ts";
import { inet_add_protocol, inet_del_protocol } from "./protocol.ts";
import { tcp_init_cwnd } from "./tcp_cong.ts";
import {
  inet_csk_get_port,
  inet_csk_listen_check,
  inet_ehash_remove,
  inet_listen_hash,
  inet_listen_unhash,
  inet_put_port,
  tcp4_seq_show,
  tcp_sockets,
  tcp_v4_connect,
  tcp_v4_err,
  tcp_v4_rcv,
} from "./tcp_ipv4.ts";
import { inet_csk_unlink_child } from "./tcp_minisocks.ts";
import { tcp_push_pending_frames, tcp_send_ack, tcp_send_active_reset, tcp_send_fin } from "./tcp_output.ts";
import {
  inet_csk_clear_xmit_timers,
  inet_csk_reset_keepalive_timer,
  tcp_delack_timer,
  tcp_fin_time_ns,
  tcp_keepalive_timer,
  tcp_set_keepalive,
  tcp_write_timer,
} from "./tcp_timer.ts";
import {
  ByteRing,
  ICSK_ACK_SCHED,
  MAX_TCP_HEADER,
  RCV_SHUTDOWN,
  SEND_SHUTDOWN,
  seq_add,
  seq_diff,
  SHUTDOWN_MASK,
  SKB_TRUESIZE_OVERHEAD,
  SOCK_MIN_RCVBUF,
  SOCK_MIN_SNDBUF,
  SOMAXCONN,
  TCP_CLOSE,
  TCP_CLOSE_WAIT,
  TCP_CLOSING,
  TCP_ESTABLISHED,
  TCP_FIN_WAIT1,
  TCP_FIN_WAIT2,
  TCP_INIT_CWND,
  TCP_LAST_ACK,
  TCP_LISTEN,
  TCP_SYN_RECV,
  TCP_SYN_SENT,
  TCP_TIME_WAIT,
  tcp_inq,
  tcp_receive_window,
  TcpSock,
} from "./tcp_sock.ts";
import { tcp_ext, tcp_mib, tcp_net, tcp_sysctl_register, tcp_sysctl_unregister } from "./tcp_net.ts";
import { net_secret_init } from "./secure_seq.ts";

/** RFC 6298 (5.7): the RTO once data flows, if the SYN had to be retransmitted and no RTT was measured. */
const TCP_TIMEOUT_FALLBACK_NS = 3_000_000_000;

/** struct socket's state for connect() (SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED). */
export const SS_UNCONNECTED = 0;
export const SS_CONNECTING = 1;
export const SS_CONNECTED = 2;

/* ---- life cycle ---- */

/** A new TcpSock with Linux's defaults (tcp_init_sock): buffers from tcp_rmem/tcp_wmem[1], timers bound. */
export function tcp_sock_alloc(): TcpSock {
  const n = tcp_net.get();
  const tp = new TcpSock(init_waitqueue_head("tcp_sk"), tcp_write_timer, tcp_delack_timer, tcp_keepalive_timer, tcp_xmit_error);
  tp.sk_rcvbuf = n.sysctl.tcp_rmem[1];
  tp.sk_sndbuf = n.sysctl.tcp_wmem[1];
  tp.ino = n.next_ino++;
  return tp;
}

/**
 * The buffers a connection needs from its first segment on. The receive ring holds what the
 * window may offer: half of sk_rcvbuf (Linux's tcp_win_from_space with tcp_adv_win_scale = 1, so
 * the default 131072 gives the familiar 64 KiB, 64240 bytes on the SYN). The send ring holds half
 * of sk_sndbuf in payload, as Linux's accounting charges each buffer about twice its payload.
 */
export function tcp_alloc_buffers(tp: TcpSock): void {
  const rcv = Math.max(tp.sk_rcvbuf >> 1, SOCK_MIN_RCVBUF >> 1);
  const snd = Math.max(tp.sk_sndbuf >> 1, SOCK_MIN_SNDBUF >> 1);
  if (tp.rcv_ring === null) {
    tp.rcv_ring = new ByteRing(rcv);
    tp.rcv_space = rcv;
  }
  if (tp.snd_ring === null) tp.snd_ring = new ByteRing(snd);
}

/**
 * tcp_sndbuf_expand(): once established, a socket whose SO_SNDBUF was not set gets room for two
 * windows of the initial cwnd (Linux: 2 × max(10, cwnd, reordering + 1) × the truesize of a segment).
 */
export function tcp_sndbuf_expand(tp: TcpSock): void {
  if (tp.sndbuf_locked || tp.snd_ring === null) return;
  const n = tcp_net.get();
  const per_mss = 2 ** Math.ceil(Math.log2(tp.mss_cache + MAX_TCP_HEADER + SKB_TRUESIZE_OVERHEAD));
  const nr_segs = Math.max(TCP_INIT_CWND, tp.snd_cwnd, n.sysctl.tcp_reordering + 1);
  const sndmem = Math.min(2 * nr_segs * per_mss, n.sysctl.tcp_wmem[2]);
  if (tp.sk_sndbuf < sndmem) {
    tp.sk_sndbuf = sndmem;
    // The ring grows in powers of two, so a window that grows by one segment per ACK does not
    // copy the ring on every ACK.
    const want = sndmem >> 1;
    if (want > tp.snd_ring.capacity) tp.snd_ring.resize(Math.min(2 ** Math.ceil(Math.log2(want)), n.sysctl.tcp_wmem[2] >> 1));
  }
}

/** Wake whoever waits on the socket (sk_state_change, sk_data_ready, sk_write_space: one wait queue). */
export function sk_state_change(tp: TcpSock): void {
  wake_up_all(tp.wq);
}
export const sk_data_ready = sk_state_change;

/**
 * sk_write_space() after an ACK freed send space (tcp_new_space): the send buffer first grows with
 * cwnd (tcp_should_expand_sndbuf: room for two windows, as Linux), then writers are woken once a
 * third of it is free (sk_stream_write_space's rule).
 */
export function sk_write_space(tp: TcpSock): void {
  tcp_sndbuf_expand(tp);
  if (tcp_stream_is_writeable(tp)) wake_up_all(tp.wq);
}

function tcp_stream_is_writeable(tp: TcpSock): boolean {
  const r = tp.snd_ring;
  return r === null || r.free >= r.len >> 1;
}

/**
 * tcp_set_state(): every transition goes through here for its MIB bookkeeping (CurrEstab,
 * EstabResets), and a connection that reaches CLOSE leaves the lookup tables and, unless bind()
 * chose its port, gives the port back.
 */
export function tcp_set_state(tp: TcpSock, state: number): void {
  const mib = tcp_mib();
  const old = tp.state;
  if (state === TCP_ESTABLISHED && old !== TCP_ESTABLISHED) mib.CurrEstab++;
  if (state === TCP_CLOSE) {
    if (old === TCP_CLOSE_WAIT || old === TCP_ESTABLISHED) mib.EstabResets++;
    inet_ehash_remove(tp);
    if (old === TCP_LISTEN) inet_listen_unhash(tp);
    if (!tp.bind_locked) inet_put_port(tp);
  }
  if (old === TCP_ESTABLISHED && state !== TCP_ESTABLISHED) mib.CurrEstab--;
  tp.state = state;
}

/** Release what a finished connection holds (inet_csk_destroy_sock). */
function tcp_v4_destroy_sock(tp: TcpSock): void {
  inet_csk_clear_xmit_timers(tp);
  inet_ehash_remove(tp);
  if (tp.state === TCP_LISTEN) inet_listen_unhash(tp);
  inet_put_port(tp);
  tp.rtx.clear();
  tp.snd_ring = null;
  tp.rcv_ring = null;
  tp.sock = null;
}

/**
 * tcp_done(): the connection is over (reset, timeout, or the end of the close handshake). Its
 * owner is woken to see it; an orphan, or a child nobody accepted, is released.
 */
export function tcp_done(tp: TcpSock): void {
  if (tp.state === TCP_SYN_SENT || tp.state === TCP_SYN_RECV) tcp_mib().AttemptFails++;
  tcp_set_state(tp, TCP_CLOSE);
  inet_csk_clear_xmit_timers(tp);
  tp.sk_shutdown = SHUTDOWN_MASK;
  tp.packets_out = tp.sacked_out = tp.lost_out = tp.retrans_out = 0;
  tp.rtx.clear();
  if (tp.parent !== null) {
    inet_csk_unlink_child(tp);
    tcp_v4_destroy_sock(tp);
  } else if (tp.dead) {
    tcp_v4_destroy_sock(tp);
  } else {
    sk_state_change(tp);
  }
}

/** The ip_output error callback: ARP found no host. A SYN fails the connect (as Linux's tcp_v4_err); data keeps trying (a soft error). */
function tcp_xmit_error(tp: TcpSock, err: number): void {
  if (tp.state === TCP_SYN_SENT) {
    tp.sk_err = -err;
    tcp_done(tp);
  } else if (tp.state !== TCP_CLOSE) {
    tp.sk_err_soft = -err;
  }
}

/**
 * tcp_init_transfer(): the connection is established: the initial window (RFC 6928; 1 if the
 * handshake needed more than one retransmission, as Linux), RFC 6298 (5.7)'s 3 s RTO when the SYN
 * was retransmitted and no RTT was taken, the send buffer's size, keepalive.
 */
export function tcp_init_transfer(tp: TcpSock): void {
  const now = ktime_get_ns();
  tp.snd_cwnd = tp.total_retrans > 1 ? 1 : tcp_init_cwnd();
  tp.snd_cwnd_cnt = 0;
  if (tp.srtt_us === 0 && tp.total_retrans > 0) tp.icsk_rto_ns = TCP_TIMEOUT_FALLBACK_NS;
  tp.cwnd_usage_seq = tp.snd_nxt;
  tp.rcv_tstamp_ns = now;
  tp.lsndtime_ns = now;
  tcp_sndbuf_expand(tp);
  if (tp.keepalive) tcp_set_keepalive(tp, true);
}

/* ---- socket calls ---- */

/** sock_error(): the pending error, cleared (SO_ERROR semantics). Positive errno or 0. */
export function sock_error(tp: TcpSock): number {
  const e = tp.sk_err;
  tp.sk_err = 0;
  return e;
}

/** bind(). */
export function inet_bind(tp: TcpSock, addr: number, port: number): number {
  if (tp.state !== TCP_CLOSE) return -EINVAL;
  return inet_csk_get_port(tp, addr, port);
}

/** listen(): LISTEN with a backlog capped at net.core.somaxconn; a second call only changes the backlog. */
export function inet_listen(tp: TcpSock, backlog: number): number {
  if (tp.ss_state !== SS_UNCONNECTED || (tp.state !== TCP_CLOSE && tp.state !== TCP_LISTEN)) return -EINVAL;
  const max = backlog < 0 || backlog > SOMAXCONN ? SOMAXCONN : backlog;
  if (tp.state === TCP_LISTEN) {
    tp.max_ack_backlog = max;
    return 0;
  }
  const r = inet_csk_listen_check(tp);
  if (r < 0) return r;
  tp.max_ack_backlog = max;
  tp.state = TCP_LISTEN;
  inet_listen_hash(tp);
  return 0;
}

/**
 * inet_csk_accept(): the next established child (waiting for one unless `nonblock`: -EAGAIN).
 * The child leaves the listener; the caller gives it a descriptor.
 */
export async function inet_csk_accept(tp: TcpSock, nonblock: boolean): Promise<TcpSock | number> {
  if (tp.state !== TCP_LISTEN) return -EINVAL;
  if (tp.accept_queue.length === 0) {
    if (nonblock) return -EAGAIN;
    const r = await wait_event_interruptible(tp.wq, () => tp.accept_queue.length > 0 || tp.state !== TCP_LISTEN);
    if (r < 0) return r;
    if (tp.state !== TCP_LISTEN) return -EINVAL;
  }
  const child = tp.accept_queue.shift()!;
  child.parent = null;
  child.ss_state = SS_CONNECTED;
  return child;
}

/**
 * inet_stream_connect(): start the handshake and, unless `nonblock`, wait for its outcome, as
 * Linux's state machine of struct socket does: -EINPROGRESS (non-blocking), then -EALREADY while it
 * runs; 0 once established (a second call after a non-blocking success also returns 0, a third
 * -EISCONN); the failure's errno (ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH) if it ended.
 */
export async function inet_stream_connect(tp: TcpSock, addr: number, port: number, nonblock: boolean): Promise<number> {
  let err: number;
  switch (tp.ss_state) {
    case SS_CONNECTED:
      return -EISCONN;
    case SS_CONNECTING:
      err = -EALREADY;
      break;
    default: {
      if (tp.state !== TCP_CLOSE) return -EISCONN;
      const r = tcp_v4_connect(tp, addr, port);
      if (r < 0) return r;
      tp.ss_state = SS_CONNECTING;
      err = -EINPROGRESS;
    }
  }
  if (tp.state === TCP_SYN_SENT || tp.state === TCP_SYN_RECV) {
    if (nonblock) return err;
    const r = await wait_event_interruptible(tp.wq, () => tp.state !== TCP_SYN_SENT && tp.state !== TCP_SYN_RECV);
    if (r < 0) return r;
  }
  if (tp.state === TCP_CLOSE) {
    tp.ss_state = SS_UNCONNECTED;
    return -(sock_error(tp) || ECONNABORTED);
  }
  tp.ss_state = SS_CONNECTED;
  return 0;
}

/**
 * tcp_sendmsg(): copy `data` into the send ring and push. A blocking send waits for room until all
 * of it is queued (back-pressure: the writer sleeps while the peer's window and the ring are full);
 * a non-blocking one queues what fits (-EAGAIN if nothing). While the handshake runs it waits for
 * it. Errors: the connection's error (ECONNRESET …), EPIPE once the sending side is shut.
 */
export async function tcp_sendmsg(tp: TcpSock, data: Uint8Array, flags: number, nonblock: boolean): Promise<number> {
  nonblock ||= (flags & MSG_DONTWAIT) !== 0;
  let copied = 0;
  for (;;) {
    if (tp.sk_err !== 0) return copied > 0 ? copied : -sock_error(tp);
    if (tp.sk_shutdown & SEND_SHUTDOWN) return copied > 0 ? copied : -EPIPE;
    if (tp.state === TCP_SYN_SENT || tp.state === TCP_SYN_RECV) {
      if (nonblock) return copied > 0 ? copied : -EAGAIN;
      const r = await wait_event_interruptible(tp.wq, () => tp.state !== TCP_SYN_SENT && tp.state !== TCP_SYN_RECV);
      if (r < 0) return r;
      continue;
    }
    if (tp.state !== TCP_ESTABLISHED && tp.state !== TCP_CLOSE_WAIT) return copied > 0 ? copied : -EPIPE;
    if (copied === data.length) return copied;
    const ring = tp.snd_ring!;
    const n = ring.push(data, copied, data.length - copied);
    if (n > 0) {
      tp.write_seq = seq_add(tp.write_seq, n);
      copied += n;
      tcp_push_pending_frames(tp);
      continue;
    }
    if (nonblock) return copied > 0 ? copied : -EAGAIN;
    // sk_stream_wait_memory(): push what is queued (Nagle aside) and sleep until a third is free.
    tcp_push_pending_frames(tp, true);
    const r = await wait_event_interruptible(tp.wq, () => tcp_stream_is_writeable(tp) || tp.sk_err !== 0 || (tp.sk_shutdown & SEND_SHUTDOWN) !== 0 || (tp.state !== TCP_ESTABLISHED && tp.state !== TCP_CLOSE_WAIT));
    if (r < 0) return copied > 0 ? copied : r;
  }
}

/**
 * tcp_cleanup_rbuf(): the reader made room; if the window we could offer is now at least twice
 * what the peer was last told (or it was zero), tell it at once (RFC 9293 §3.8.6.2.2 window update).
 */
function tcp_cleanup_rbuf(tp: TcpSock, copied: number): void {
  if (copied <= 0 || tp.state === TCP_CLOSE || tp.state === TCP_LISTEN || tp.state === TCP_SYN_SENT) return;
  let time_to_ack = (tp.ack_pending & ICSK_ACK_SCHED) !== 0 && seq_diff(tp.rcv_nxt, tp.rcv_wup) > tp.rcv_mss;
  if (!time_to_ack && (tp.sk_shutdown & RCV_SHUTDOWN) === 0) {
    const now_wnd = tcp_receive_window(tp);
    if (2 * now_wnd <= tp.window_clamp) {
      const new_wnd = __tcp_select_window(tp);
      if (new_wnd !== 0 && new_wnd >= 2 * now_wnd) time_to_ack = true;
    }
  }
  if (time_to_ack) tcp_send_ack(tp);
}

/**
 * tcp_recvmsg(): copy received bytes into `buf`. Waits (unless non-blocking: -EAGAIN) until at
 * least one byte is there (all of `buf` with MSG_WAITALL), the peer finished (0), or an error.
 * MSG_PEEK leaves the bytes queued. Reading reopens the window.
 */
export async function tcp_recvmsg(tp: TcpSock, buf: Uint8Array, flags: number, nonblock: boolean, timeout_ms: number | null = null): Promise<number> {
  const deadline = timeout_ms === null ? Infinity : ktime_get_ns() + timeout_ms * 1e6;
  nonblock ||= (flags & MSG_DONTWAIT) !== 0;
  if (tp.state === TCP_LISTEN) return -ENOTCONN;
  const peek = (flags & MSG_PEEK) !== 0;
  const target = flags & MSG_WAITALL && !peek ? buf.length : Math.min(1, buf.length);
  let copied = 0;
  for (;;) {
    const ring = tp.rcv_ring;
    const avail = ring === null ? 0 : ring.len;
    if (avail > 0 && copied < buf.length) {
      const n = Math.min(avail, buf.length - copied);
      ring!.read_at(0, buf, copied, n);
      if (!peek) {
        ring!.consume(n);
        tp.copied_seq = seq_add(tp.copied_seq, n);
      }
      copied += n;
      if (!peek) tcp_cleanup_rbuf(tp, n);
    }
    if (copied >= target || peek) break;
    if (tp.sk_err !== 0) return copied > 0 ? copied : -sock_error(tp);
    if (tp.sk_shutdown & RCV_SHUTDOWN) break;
    if (tp.state === TCP_CLOSE) {
      if (copied === 0 && tp.ss_state !== SS_CONNECTED) return -ENOTCONN;
      break;
    }
    const left = deadline - ktime_get_ns();
    if (nonblock || left <= 0) return copied > 0 ? copied : -EAGAIN;
    const ready = (): boolean => (tp.rcv_ring?.len ?? 0) > 0 || tp.sk_err !== 0 || (tp.sk_shutdown & RCV_SHUTDOWN) !== 0 || tp.state === TCP_CLOSE;
    const r = deadline === Infinity ? await wait_event_interruptible(tp.wq, ready) : await wait_event_interruptible_timeout(tp.wq, ready, Math.max(1, Math.ceil(left / 1e6)));
    if (r < 0) return copied > 0 ? copied : r;
  }
  return copied;
}

/* tcp_close_state()'s table: the next state, and whether a FIN goes out. */
const TCP_ACTION_FIN = 0x100;
const new_state: Readonly<Record<number, number>> = {
  [TCP_ESTABLISHED]: TCP_FIN_WAIT1 | TCP_ACTION_FIN,
  [TCP_SYN_SENT]: TCP_CLOSE,
  [TCP_SYN_RECV]: TCP_FIN_WAIT1 | TCP_ACTION_FIN,
  [TCP_FIN_WAIT1]: TCP_FIN_WAIT1,
  [TCP_FIN_WAIT2]: TCP_FIN_WAIT2,
  [TCP_TIME_WAIT]: TCP_CLOSE,
  [TCP_CLOSE]: TCP_CLOSE,
  [TCP_CLOSE_WAIT]: TCP_LAST_ACK | TCP_ACTION_FIN,
  [TCP_LAST_ACK]: TCP_LAST_ACK,
  [TCP_LISTEN]: TCP_CLOSE,
  [TCP_CLOSING]: TCP_CLOSING,
};

/** tcp_close_state(): RFC 9293 §3.10.4 CLOSE, the transition; true when a FIN must be sent. */
function tcp_close_state(tp: TcpSock): boolean {
  const next = new_state[tp.state]!;
  const st = next & 0xff;
  if (st === TCP_CLOSE && (tp.state === TCP_SYN_SENT || tp.state === TCP_SYN_RECV)) tcp_mib().AttemptFails++;
  tcp_set_state(tp, st);
  return (next & TCP_ACTION_FIN) !== 0;
}

/** shutdown(): SHUT_RD (how 0), SHUT_WR (1), SHUT_RDWR (2). Sending side: our FIN after the queued data. */
export function tcp_shutdown(tp: TcpSock, how: number): number {
  if (how < 0 || how > 2) return -EINVAL;
  const mask = how + 1;
  let err = 0;
  if (tp.state === TCP_CLOSE) err = -ENOTCONN;
  if (tp.state === TCP_LISTEN) {
    if (mask & RCV_SHUTDOWN) inet_csk_listen_stop(tp);
    wake_up_all(tp.wq);
    return 0;
  }
  if (tp.state === TCP_SYN_SENT) {
    tcp_set_state(tp, TCP_CLOSE);
    inet_csk_clear_xmit_timers(tp);
    tp.ss_state = SS_UNCONNECTED;
    wake_up_all(tp.wq);
    return 0;
  }
  tp.sk_shutdown |= mask;
  if (mask & SEND_SHUTDOWN && (tp.state === TCP_ESTABLISHED || tp.state === TCP_SYN_RECV || tp.state === TCP_CLOSE_WAIT)) {
    if (tcp_close_state(tp)) tcp_send_fin(tp);
  }
  wake_up_all(tp.wq);
  return err;
}

/**
 * inet_csk_listen_stop(): a listener closes. Handshakes in progress are dropped; connections that
 * were established but never accepted are reset (tcp_disconnect).
 */
function inet_csk_listen_stop(l: TcpSock): void {
  for (const c of l.syn_queue.splice(0)) {
    c.parent = null;
    c.dead = true;
    tcp_set_state(c, TCP_CLOSE);
    tcp_v4_destroy_sock(c);
  }
  for (const c of l.accept_queue.splice(0)) {
    c.parent = null;
    c.dead = true;
    tcp_send_active_reset(c);
    c.sk_err = ECONNRESET;
    tcp_set_state(c, TCP_CLOSE);
    tcp_v4_destroy_sock(c);
  }
  inet_listen_unhash(l);
  l.state = TCP_CLOSE;
}

/**
 * tcp_close(): the owner closed its descriptor. Unread data aborts with a RST (RFC 2525 §2.17,
 * TCPAbortOnClose); otherwise the close handshake runs on without an owner (the socket is orphaned
 * and released when it reaches CLOSED; an orphan in FIN-WAIT-2 waits tcp_fin_timeout for the peer).
 */
export function tcp_close(tp: TcpSock): void {
  tp.sk_shutdown = SHUTDOWN_MASK;
  tp.sock = null;
  if (tp.state === TCP_LISTEN) {
    inet_csk_listen_stop(tp);
    tp.dead = true;
    tcp_v4_destroy_sock(tp);
    return;
  }
  const unread = tcp_inq(tp);
  if (tp.state === TCP_CLOSE) {
    // nothing on the wire
  } else if (unread > 0) {
    tcp_ext().TCPAbortOnClose++;
    tcp_set_state(tp, TCP_CLOSE);
    tcp_send_active_reset(tp);
  } else if (tcp_close_state(tp)) {
    tcp_send_fin(tp);
  }
  tp.dead = true;
  wake_up_all(tp.wq);
  if (tp.state === TCP_FIN_WAIT2) inet_csk_reset_keepalive_timer(tp, "fin_wait2", tcp_fin_time_ns(tp));
  if (tp.state === TCP_CLOSE) tcp_v4_destroy_sock(tp);
}

/**
 * tcp_poll(): the events a poll() sees, by Linux's rules: LISTEN is readable with a connection to
 * accept; POLLHUP when both directions are shut or the socket is closed; POLLIN|POLLRDHUP after the
 * peer's FIN; readable with data; writable with a third of the send buffer free; POLLERR with an
 * error pending. Nothing but errors while the handshake runs.
 */
export function tcp_poll(tp: TcpSock): number {
  if (tp.state === TCP_LISTEN) return tp.accept_queue.length > 0 ? POLLIN | POLLRDNORM : 0;
  let mask = 0;
  if (tp.sk_shutdown === SHUTDOWN_MASK || tp.state === TCP_CLOSE) mask |= POLLHUP;
  if (tp.sk_shutdown & RCV_SHUTDOWN) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
  if (tp.state !== TCP_SYN_SENT && tp.state !== TCP_SYN_RECV) {
    if (tcp_inq(tp) > 0) mask |= POLLIN | POLLRDNORM;
    if ((tp.sk_shutdown & SEND_SHUTDOWN) === 0) {
      if (tcp_stream_is_writeable(tp)) mask |= POLLOUT | POLLWRNORM;
    } else {
      mask |= POLLOUT | POLLWRNORM;
    }
  }
  if (tp.sk_err !== 0) mask |= POLLERR;
  return mask;
}

/** getsockname / getpeername. */
export function tcp_getname(tp: TcpSock, peer: boolean): SockAddrIn | number {
  if (peer) {
    if (tp.dport === 0 || tp.state === TCP_CLOSE || tp.state === TCP_SYN_SENT || tp.state === TCP_LISTEN) return -ENOTCONN;
    return { addr: tp.daddr, port: tp.dport };
  }
  return { addr: tp.state === TCP_LISTEN || tp.daddr === 0 ? tp.rcv_saddr : tp.saddr, port: tp.sport };
}

/* ---- module ---- */

/** tcp_init(): called by the inet module: the per-boot secret, the protocol handler, /proc/net/tcp, the sysctls. */
export function tcp_init(): number {
  net_secret_init();
  if (inet_add_protocol(IPPROTO_TCP, tcp_v4_rcv, tcp_v4_err) < 0) return -EINVAL;
  proc_create("net/tcp", tcp4_seq_show);
  tcp_sysctl_register();
  return 0;
}

/** tcp_exit(): every connection goes (timers stopped, nothing sent), and the handler with it. */
export function tcp_exit(): void {
  inet_del_protocol(IPPROTO_TCP, tcp_v4_rcv);
  proc_remove("net/tcp");
  tcp_sysctl_unregister();
  for (const tp of tcp_sockets()) {
    for (const c of [...tp.syn_queue, ...tp.accept_queue]) tcp_v4_destroy_sock(c);
    const sk = tp.sock;
    tp.state = TCP_CLOSE;
    tcp_v4_destroy_sock(tp);
    wake_up_all(tp.wq);
    if (sk !== null) sock_release(sk); // the descriptor goes too, as udp_release_all does
  }
  const n = tcp_net.get();
  n.ehash.clear();
  n.lhash.clear();
  n.bhash.clear();
}
