/**
 * The data path and the sockets of an iperf3 TCP test: src/iperf_tcp.c (iperf_tcp_send/recv,
 * iperf_tcp_connect, iperf_tcp_accept, iperf_tcp_listen), net.c (timeout_connect, netannounce,
 * setnonblocking), and from iperf_api.c the loop steps both ends share (iperf_send, iperf_recv,
 * iperf_check_throttle, iperf_init_test, iperf_create_send_timers) and the poll set that stands
 * in for iperf3's select() fd_sets.
 */
import { EAGAIN, EINPROGRESS, EINTR, ENOBUFS, ETIMEDOUT } from "../../include/linux/errno.ts";
import {
  AF_INET,
  F_GETFL,
  F_SETFL,
  MSG_DONTWAIT,
  O_NONBLOCK,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  type PollFd,
  SO_ERROR,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_SNDBUF,
  SOCK_STREAM,
  SOL_SOCKET,
  SOL_TCP,
  TCP_MAXSEG,
  TCP_NODELAY,
} from "../../include/uapi/in.ts";
import {
  ACCESS_DENIED,
  COOKIE_SIZE,
  cookie_bytes,
  cookie_text,
  diff_secs,
  iperf_new_stream,
  Nread,
  now_us,
  Nwrite,
  SENDER,
  set_errno,
  TEST_RUNNING,
  type IperfStream,
  type IperfTest,
} from "./iperf_api.ts";
import { IE } from "./iperf_error.ts";
import { connect_msg, iperf_on_test_start } from "./iperf_reporter.ts";

/** setnonblocking(). */
export function setnonblocking(test: IperfTest, fd: number, on: boolean): void {
  const flags = test.sys.fcntl(fd, F_GETFL);
  if (flags >= 0) test.sys.fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

/** timeout_connect(): connect, bounded by `timeout_ms` unless it is -1. 0 or a negative errno. */
export async function timeout_connect(test: IperfTest, fd: number, addr: number, port: number, timeout_ms: number): Promise<number> {
  const sys = test.sys;
  if (timeout_ms === -1) return sys.connect(fd, addr, port);
  const flags = sys.fcntl(fd, F_GETFL);
  sys.fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  let r = await sys.connect(fd, addr, port);
  if (r === -EINPROGRESS) {
    const p: PollFd[] = [{ fd, events: POLLOUT, revents: 0 }];
    const n = await sys.poll(p, timeout_ms);
    if (n < 0) r = n;
    else if (n === 0) r = -ETIMEDOUT;
    else {
      const e = sys.getsockopt(fd, SOL_SOCKET, SO_ERROR);
      r = typeof e === "number" && e > 0 ? -e : 0;
    }
  }
  sys.fcntl(fd, F_SETFL, flags);
  return r;
}

/** The socket options -N, -M and -w ask for (on a stream, or on the listener its streams inherit from). */
function set_stream_options(test: IperfTest, fd: number): number {
  const sys = test.sys;
  let r: number;
  if (test.no_delay && (r = sys.setsockopt(fd, SOL_TCP, TCP_NODELAY, 1)) < 0) return fail(test, IE.SETNODELAY, r);
  if (test.mss !== 0 && (r = sys.setsockopt(fd, SOL_TCP, TCP_MAXSEG, test.mss)) < 0) return fail(test, IE.SETMSS, r);
  if (test.socket_bufsize !== 0) {
    if ((r = sys.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, test.socket_bufsize)) < 0) return fail(test, IE.SETBUF, r);
    if ((r = sys.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, test.socket_bufsize)) < 0) return fail(test, IE.SETBUF, r);
  }
  return 0;
}

function fail(test: IperfTest, i_errno: number, r: number): number {
  test.i_errno = i_errno;
  set_errno(test, r);
  return -1;
}

/** The socket buffer sizes in -J's start object (sock_bufsize, sndbuf_actual, rcvbuf_actual). */
export function json_bufsizes(test: IperfTest, fd: number): void {
  if (!test.json_output) return;
  const snd = test.sys.getsockopt(fd, SOL_SOCKET, SO_SNDBUF);
  const rcv = test.sys.getsockopt(fd, SOL_SOCKET, SO_RCVBUF);
  test.json_start.sock_bufsize = test.socket_bufsize;
  test.json_start.sndbuf_actual = typeof snd === "number" ? snd : 0;
  test.json_start.rcvbuf_actual = typeof rcv === "number" ? rcv : 0;
}

/**
 * netannounce() + iperf_tcp_listen(): a listening socket on the test's port with SO_REUSEADDR,
 * carrying -N/-M/-w when the client asked for them so that the accepted streams inherit them.
 * The descriptor, or -1 with i_errno set.
 */
export function iperf_tcp_listen(test: IperfTest, with_options: boolean): number {
  const sys = test.sys;
  const s = sys.socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return fail(test, IE.LISTEN, s);
  sys.setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1);
  let r = with_options ? set_stream_options(test, s) : 0;
  if (r === 0 && (r = sys.bind(s, test.bind_addr, test.server_port)) < 0) fail(test, IE.LISTEN, r);
  if (r === 0 && (r = sys.listen(s, 128)) < 0) fail(test, IE.LISTEN, r);
  if (r < 0) {
    sys.close(s);
    return -1;
  }
  if (with_options) json_bufsizes(test, s);
  return s;
}

/**
 * iperf_tcp_connect(): one data stream to the server — options, connect, the cookie. The
 * connected descriptor, or -1 with i_errno set.
 */
export async function iperf_tcp_connect(test: IperfTest): Promise<number> {
  const sys = test.sys;
  const s = sys.socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return fail(test, IE.STREAMCONNECT, s);
  let ok = false;
  try {
    if (test.bind_addr !== 0 || test.bind_port !== 0) {
      sys.setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1);
      const b = sys.bind(s, test.bind_addr, test.bind_port);
      if (b < 0) return fail(test, IE.STREAMCONNECT, b);
    }
    if (set_stream_options(test, s) < 0) return -1;
    json_bufsizes(test, s);
    const c = await timeout_connect(test, s, test.server_addr, test.server_port, test.connect_timeout_ms);
    if (c < 0) return fail(test, IE.STREAMCONNECT, c);
    if ((await Nwrite(test, s, cookie_bytes(test.cookie))) < 0) {
      test.i_errno = IE.SENDCOOKIE;
      return -1;
    }
    ok = true;
    return s;
  } finally {
    if (!ok) sys.close(s);
  }
}

/**
 * iperf_tcp_accept(): a data stream arrives; its cookie must be this test's. The descriptor;
 * null when it was turned away (ACCESS_DENIED and closed, as iperf3 does); -1 on an error.
 */
export async function iperf_tcp_accept(test: IperfTest): Promise<number | null> {
  const sys = test.sys;
  const a = await sys.accept(test.listener);
  if (typeof a === "number") return fail(test, IE.STREAMACCEPT, a);
  const buf = new Uint8Array(COOKIE_SIZE);
  const r = await Nread(test, a.fd, buf, test.rcv_timeout_ms);
  if (test.sigend) {
    sys.close(a.fd);
    return -1;
  }
  // A short or late cookie is a stray connection, not the test's: turned away like a wrong one.
  if (r !== COOKIE_SIZE || cookie_text(buf) !== test.cookie) {
    await Nwrite(test, a.fd, Uint8Array.of(ACCESS_DENIED & 0xff));
    sys.close(a.fd);
    return null;
  }
  return a.fd;
}

/** iperf_create_streams() + the on_new_stream callback: the client's data connections. */
export async function iperf_create_streams(test: IperfTest, sender: boolean): Promise<number> {
  for (let i = 0; i < test.num_streams; i++) {
    const s = await iperf_tcp_connect(test);
    if (s < 0) return -1;
    const sp = await iperf_new_stream(test, s, sender);
    if (sp === null) {
      test.sys.close(s);
      return -1;
    }
    connect_msg(test, sp);
  }
  return 0;
}

/** iperf_init_test(): every stream's clock starts now; the test_start report. */
export function iperf_init_test(test: IperfTest): void {
  const now = now_us(test.sys);
  for (const sp of test.streams) sp.start_us = sp.start_fixed_us = now;
  iperf_on_test_start(test);
}

/** iperf_check_throttle(): -b pacing — a stream may send while its average is under the rate. */
export function iperf_check_throttle(test: IperfTest, sp: IperfStream, now: number): void {
  if (test.done || test.rate === 0) return;
  const seconds = diff_secs(sp.start_fixed_us, now);
  sp.green_light = seconds === 0 || (sp.bytes_sent * 8) / seconds < test.rate;
}

/** iperf_create_send_timers(): green light everywhere, and a pacing timer per stream with -b. */
export function iperf_create_send_timers(test: IperfTest): void {
  const now = now_us(test.sys);
  for (const sp of test.streams) {
    sp.green_light = true;
    if (test.rate !== 0 && sp.sender) sp.send_timer = test.timers.create(now, (t) => iperf_check_throttle(test, sp, t), test.pacing_timer, true);
  }
}

/** NET_SOFTERROR: the write made no progress for a transient reason (ENOBUFS). */
const NET_SOFTERROR = -2;

/** iperf_tcp_send(): write (what fits of) the current block. Bytes written, or < 0. */
async function iperf_tcp_send(test: IperfTest, sp: IperfStream): Promise<number> {
  if (sp.pending_size === 0) sp.pending_size = test.blksize;
  let r = await test.sys.send(sp.fd, sp.buffer.subarray(0, sp.pending_size));
  if (r === -EAGAIN) r = 0;
  else if (r === -EINTR) {
    set_errno(test, r);
    return -1;
  } else if (r < 0) {
    set_errno(test, r);
    return r === -ENOBUFS ? NET_SOFTERROR : -1;
  }
  sp.pending_size -= r;
  sp.bytes_sent += r;
  sp.bytes_sent_this_interval += r;
  return r;
}

/**
 * iperf_tcp_recv(): read up to a block, what is there now (MSG_DONTWAIT, whatever the socket's
 * mode: the client's drain after TEST_END must not wait for a block that never comes). Bytes
 * read, or < 0.
 */
async function iperf_tcp_recv(test: IperfTest, sp: IperfStream): Promise<number> {
  let got = 0;
  while (got < sp.buffer.length) {
    const r = await test.sys.recv(sp.fd, sp.buffer.subarray(got), MSG_DONTWAIT);
    if (r === -EAGAIN) break;
    if (r < 0) {
      set_errno(test, r);
      return -1;
    }
    if (r === 0) {
      sp.eof = true;
      break;
    }
    got += r;
  }
  // Only what arrives while the test runs counts ("late receive" otherwise).
  if (test.state === TEST_RUNNING) {
    sp.bytes_received += got;
    sp.bytes_received_this_interval += got;
  }
  return got;
}

/** iperf_send(): up to `multisend` rounds of writes over the streams poll found writable. */
export async function iperf_send(test: IperfTest, writable: ReadonlySet<number>): Promise<number> {
  let multisend = test.burst !== 0 ? test.burst : test.rate === 0 ? test.multisend : 1;
  const no_throttle_check = test.rate !== 0 && test.burst === 0;
  for (; multisend > 0; --multisend) {
    const now = no_throttle_check ? now_us(test.sys) : 0;
    let active = false;
    for (const sp of test.streams) {
      if (!(sp.green_light && sp.sender && writable.has(sp.fd))) continue;
      if (multisend > 1 && test.bytes !== 0 && test.bytes_sent >= test.bytes) break;
      if (multisend > 1 && test.blocks !== 0 && test.blocks_sent >= test.blocks) break;
      const r = await iperf_tcp_send(test, sp);
      if (r < 0) {
        if (r === NET_SOFTERROR) break;
        test.i_errno = IE.STREAMWRITE;
        return -1;
      }
      active = true;
      test.bytes_sent += r;
      if (sp.pending_size === 0) ++test.blocks_sent;
      if (no_throttle_check) iperf_check_throttle(test, sp, now);
      if (r === 0) writable = new Set([...writable].filter((fd) => fd !== sp.fd)); // full: wait for poll
    }
    if (!active) break;
  }
  if (!no_throttle_check) {
    const now = now_us(test.sys);
    for (const sp of test.streams) if (sp.sender) iperf_check_throttle(test, sp, now);
  }
  return 0;
}

/** iperf_recv(): read from each receiving stream poll found readable. */
export async function iperf_recv(test: IperfTest, readable: ReadonlySet<number>): Promise<number> {
  for (const sp of test.streams) {
    if (sp.sender || !readable.has(sp.fd)) continue;
    const r = await iperf_tcp_recv(test, sp);
    if (r < 0) {
      test.i_errno = IE.STREAMREAD;
      return -1;
    }
    test.bytes_received += r;
    ++test.blocks_received;
  }
  return 0;
}

/**
 * The poll set for one turn of the main loop (iperf3's read_set/write_set): the control socket,
 * the listener, and while data flows the streams — writers with a green light, readers that
 * have not seen the end of their stream.
 */
export function poll_set(test: IperfTest, extra: number[], streams: "send" | "recv" | "none"): PollFd[] {
  const fds: PollFd[] = extra.filter((fd) => fd >= 0).map((fd) => ({ fd, events: POLLIN, revents: 0 }));
  if (streams === "none") return fds;
  // A sender that has sent its -n bytes or -k blocks waits for TEST_END without asking for POLLOUT:
  // iperf3's select() spins on the writable socket meanwhile, which here would starve the machine.
  const sent_all = (test.bytes !== 0 && test.bytes_sent >= test.bytes) || (test.blocks !== 0 && test.blocks_sent >= test.blocks);
  for (const sp of test.streams) {
    if (sp.closed) continue;
    if (streams === "send" && sp.sender && sp.green_light && !sent_all) fds.push({ fd: sp.fd, events: POLLOUT, revents: 0 });
    else if (streams === "recv" && !sp.sender && !sp.eof) fds.push({ fd: sp.fd, events: POLLIN, revents: 0 });
  }
  return fds;
}

/** The descriptors poll() reported ready (any event, errors and hang-ups included). */
export function ready_set(fds: readonly PollFd[]): Set<number> {
  const s = new Set<number>();
  for (const f of fds) if (f.revents & (POLLIN | POLLOUT | POLLERR | POLLHUP)) s.add(f.fd);
  return s;
}

/** Which streams this side moves while the test runs. */
export function data_direction(test: IperfTest): "send" | "recv" {
  return test.mode === SENDER ? "send" : "recv";
}
