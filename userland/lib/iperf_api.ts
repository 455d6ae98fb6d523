/**
 * The iperf3 test: its state, settings and streams (src/iperf.h, iperf_api.h), the error codes and
 * messages (iperf_error.c), and the control-connection primitives both ends use (net.c Nread and
 * Nwrite, iperf_api.c iperf_set_send_state, JSON_write/JSON_read, make_cookie). The parameter and
 * result exchanges are in iperf_exchange.ts, the reports in iperf_reporter.ts, the two ends'
 * loops in iperf_client.ts and iperf_server.ts.
 *
 * Wire protocol (what the real iperf3 speaks, verified against esnet/iperf 3.12): a control TCP
 * connection to port 5201 opens with a 37-byte cookie (36 characters of [a-z2-7] and a NUL);
 * the server drives the test with one signed byte per state (PARAM_EXCHANGE, CREATE_STREAMS,
 * TEST_START, TEST_RUNNING, EXCHANGE_RESULTS, DISPLAY_RESULTS; the client sends TEST_END and
 * IPERF_DONE); parameters and results are JSON objects sent as a 4-byte big-endian length and the
 * text; each data stream is another TCP connection to the same port that opens with the cookie.
 */
import { EAGAIN, EINTR } from "../../include/linux/errno.ts";
import type { SockAddrIn } from "../../include/uapi/in.ts";
import { POLLIN, type PollFd } from "../../include/uapi/in.ts";
import { O_RDONLY } from "../../include/uapi/fcntl.ts";
import { CLOCK_MONOTONIC, CLOCK_REALTIME, type Syscalls } from "../../include/uapi/syscalls.ts";
import { cjson_parse_object, cjson_print_unformatted, type JsonObject } from "./iperf_json.ts";
import { IE } from "./iperf_error.ts";
import { TimerList, type Timer } from "./iperf_timer.ts";

/* states (iperf_api.h) */
export const TEST_START = 1;
export const TEST_RUNNING = 2;
export const TEST_END = 4;
export const PARAM_EXCHANGE = 9;
export const CREATE_STREAMS = 10;
export const SERVER_TERMINATE = 11;
export const CLIENT_TERMINATE = 12;
export const EXCHANGE_RESULTS = 13;
export const DISPLAY_RESULTS = 14;
export const IPERF_START = 15;
export const IPERF_DONE = 16;
export const ACCESS_DENIED = -1;
export const SERVER_ERROR = -2;

/* protocols and modes */
export const Ptcp = 1; // SOCK_STREAM
export const Pudp = 2; // SOCK_DGRAM
export const SENDER = 1;
export const RECEIVER = 0;
export const BIDIRECTIONAL = -1;

/* defaults and limits (iperf.h, iperf_api.h) */
export const PORT = 5201;
export const COOKIE_SIZE = 37;
export const DURATION = 10;
export const DEFAULT_TCP_BLKSIZE = 128 * 1024;
export const DEFAULT_PACING_TIMER = 1000;
export const DEFAULT_NO_MSG_RCVD_TIMEOUT_MS = 120000;
export const MAX_BLOCKSIZE = 1024 * 1024;
export const MAX_TIME = 86400;
export const MAX_STREAMS = 128;
export const MAX_INTERVAL = 60;
export const MIN_INTERVAL = 0.1;
export const MAX_MSS = 9 * 1024;
export const MAX_TCP_BUFFER = 512 * 1024 * 1024;
/** The server's parameter JSON is bounded (iperf 3.16's MAX_PARAMS_JSON_STRING); results are not, up to this. */
export const MAX_PARAMS_JSON = 8 * 1024;
export const MAX_RESULTS_JSON = 16 * 1024 * 1024;
/** Seconds the server allows beyond the test's length before giving up on it (create_server_timers). */
export const SERVER_GRACE_S = 4 * 10;

/** One interval's record (struct iperf_interval_results). Times in microseconds of CLOCK_MONOTONIC. */
export interface IntervalResult {
  bytes_transferred: number;
  start_us: number;
  end_us: number;
  /** A C float in iperf3: kept at single precision so rates and JSON read the same. */
  duration: number;
  omitted: boolean;
  interval_retrans: number;
}

/** One data connection (struct iperf_stream with its iperf_stream_result). */
export interface IperfStream {
  fd: number;
  /** 1, 3, 4, 5 … in creation order (iperf_add_stream's numbering, kept for compatibility). */
  id: number;
  sender: boolean;
  local: SockAddrIn;
  remote: SockAddrIn;
  /** The block written or read (blksize bytes); owned by the stream. */
  buffer: Uint8Array;
  /** Bytes of the current block still to write. */
  pending_size: number;
  green_light: boolean;
  /** The peer closed its end (a receiver stops polling it). */
  eof: boolean;
  /** The socket was closed (fd stays: the reports print it, as iperf3 prints sp->socket). */
  closed: boolean;
  bytes_sent: number;
  bytes_received: number;
  bytes_sent_this_interval: number;
  bytes_received_this_interval: number;
  bytes_sent_omit: number;
  stream_retrans: number;
  start_us: number;
  end_us: number;
  start_fixed_us: number;
  sender_time: number;
  receiver_time: number;
  intervals: IntervalResult[];
  /** Pacing (-b): re-checks green_light every pacing_timer microseconds. */
  send_timer: Timer | null;
}

/** The test (struct iperf_test), one per run: the client's, or each of the server's tests. */
export interface IperfTest {
  sys: Syscalls;
  role: "c" | "s";
  mode: number;
  reverse: boolean;
  protocol: number;
  server_hostname: string;
  server_addr: number;
  server_port: number;
  bind_addr: number;
  bind_port: number;
  duration: number;
  omit: number;
  num_streams: number;
  stats_interval: number;
  reporter_interval: number;
  blksize: number;
  socket_bufsize: number;
  rate: number;
  pacing_timer: number;
  burst: number;
  mss: number;
  tos: number;
  bytes: number;
  blocks: number;
  unit_format: string;
  connect_timeout_ms: number;
  rcv_timeout_ms: number;
  idle_timeout_s: number;
  no_delay: boolean;
  json_output: boolean;
  verbose: boolean;
  one_off: boolean;
  get_server_output: boolean;
  repeating_payload: boolean;
  title: string | null;
  extra_data: string | null;
  congestion_used: string | null;
  remote_congestion_used: string | null;
  /** The peer's client_version parameter, if it sent one. */
  peer_version: string | null;
  state: number;
  ctrl_sck: number;
  listener: number;
  cookie: string;
  ctrl_sck_mss: number;
  streams: IperfStream[];
  done: boolean;
  omitting: boolean;
  bytes_sent: number;
  blocks_sent: number;
  bytes_received: number;
  blocks_received: number;
  sender_has_retransmits: number;
  other_side_has_retransmits: number;
  cpu_util: [number, number, number];
  remote_cpu_util: [number, number, number];
  json_top: JsonObject;
  json_start: JsonObject;
  json_connected: JsonObject[];
  json_intervals: JsonObject[];
  json_end: JsonObject;
  json_server_output: JsonObject | null;
  server_output_text: string | null;
  /** What the server printed, for a client that asked --get-server-output. */
  server_output_list: string[];
  /* timers (iperf_timer.ts) */
  timers: TimerList;
  /** The end of the test (-t), or on the server the limit of its length. */
  timer: Timer | null;
  stats_timer: Timer | null;
  reporter_timer: Timer | null;
  omit_timer: Timer | null;
  /** When something last arrived (--rcv-timeout, the server's idle restart). */
  last_receive_us: number;
  i_errno: number;
  errno: number;
  /** Why the server's name did not resolve (gai_strerror), for "unable to connect to server: …". */
  connect_error: string | null;
  /** A caught SIGINT/SIGTERM/SIGHUP interrupted a call: the caller runs iperf_got_sigend. */
  sigend: boolean;
  multisend: number;
}

/** iperf_new_test() + iperf_defaults(), for `role`. */
export function iperf_new_test(sys: Syscalls, role: "c" | "s"): IperfTest {
  const json_connected: JsonObject[] = [];
  const json_start: JsonObject = { connected: json_connected };
  const json_intervals: JsonObject[] = [];
  const json_end: JsonObject = {};
  return {
    sys,
    role,
    mode: role === "c" ? SENDER : RECEIVER,
    reverse: false,
    protocol: Ptcp,
    server_hostname: "",
    server_addr: 0,
    server_port: PORT,
    bind_addr: 0,
    bind_port: 0,
    duration: DURATION,
    omit: 0,
    num_streams: 1,
    stats_interval: 1,
    reporter_interval: 1,
    blksize: DEFAULT_TCP_BLKSIZE,
    socket_bufsize: 0,
    rate: 0,
    pacing_timer: DEFAULT_PACING_TIMER,
    burst: 0,
    mss: 0,
    tos: 0,
    bytes: 0,
    blocks: 0,
    unit_format: "a",
    connect_timeout_ms: -1,
    rcv_timeout_ms: DEFAULT_NO_MSG_RCVD_TIMEOUT_MS,
    idle_timeout_s: 0,
    no_delay: false,
    json_output: false,
    verbose: false,
    one_off: false,
    get_server_output: false,
    repeating_payload: false,
    title: null,
    extra_data: null,
    congestion_used: null,
    remote_congestion_used: null,
    peer_version: null,
    state: 0,
    ctrl_sck: -1,
    listener: -1,
    cookie: "",
    ctrl_sck_mss: 0,
    streams: [],
    done: false,
    omitting: false,
    bytes_sent: 0,
    blocks_sent: 0,
    bytes_received: 0,
    blocks_received: 0,
    sender_has_retransmits: 0,
    other_side_has_retransmits: 0,
    cpu_util: [0, 0, 0],
    remote_cpu_util: [0, 0, 0],
    json_top: { start: json_start, intervals: json_intervals, end: json_end },
    json_start,
    json_connected,
    json_intervals,
    json_end,
    json_server_output: null,
    server_output_text: null,
    server_output_list: [],
    timers: new TimerList(),
    timer: null,
    stats_timer: null,
    reporter_timer: null,
    omit_timer: null,
    last_receive_us: 0,
    i_errno: 0,
    errno: 0,
    connect_error: null,
    sigend: false,
    multisend: 10,
  };
}

/** get_system_info() (iperf_util.c): uname's five fields. */
export function get_system_info(test: IperfTest): string {
  const u = test.sys.uname();
  return `${u.sysname} ${u.nodename} ${u.release} ${u.version} ${u.machine}`;
}

/** iperf_set_test_reverse(): the mode follows the role and the direction. */
export function iperf_set_test_reverse(test: IperfTest, reverse: boolean): void {
  test.reverse = reverse;
  test.mode = (test.role === "c") !== reverse ? SENDER : RECEIVER;
}

/**
 * has_tcpinfo_retransmits(): whether the sender can count its retransmissions per stream. Linux
 * reads them from getsockopt(TCP_INFO); ringzero's socket calls have no TCP_INFO yet, so this end
 * reports none and prints no Retr column, as iperf3 does on systems without it. A peer that has
 * them still shows them in our summary (sender_has_retransmits comes with its results).
 */
export function has_tcpinfo_retransmits(): boolean {
  return false;
}

/** check_sender_has_retransmits(). */
export function check_sender_has_retransmits(test: IperfTest): void {
  test.sender_has_retransmits = test.mode !== RECEIVER && test.protocol === Ptcp && has_tcpinfo_retransmits() ? 1 : 0;
}

/** iperf_time_now(), in whole microseconds as iperf3's struct iperf_time keeps it. */
export function now_us(sys: Syscalls): number {
  return Math.floor(sys.clock_gettime(CLOCK_MONOTONIC) / 1000);
}

/** iperf_time_diff() then iperf_time_in_secs(): seconds from `a` to `b` (never negative). */
export function diff_secs(a_us: number, b_us: number): number {
  const d = Math.abs(b_us - a_us);
  return Math.floor(d / 1e6) + (d % 1e6) / 1000000.0;
}

/** Seconds since the epoch (time()). */
export function time_now_secs(sys: Syscalls): number {
  return Math.floor(sys.clock_gettime(CLOCK_REALTIME) / 1e9);
}

/** Record an errno from a call; -EINTR (a caught signal) marks the test for iperf_got_sigend. */
export function set_errno(test: IperfTest, r: number): void {
  test.errno = Math.abs(r);
  if (r === -EINTR) test.sigend = true;
}

/**
 * Nread(): read exactly buf.length bytes, fewer only at end of stream. Returns the count, or a
 * negative errno. With `timeout_ms` >= 0 it gives up (-EAGAIN) when the whole read has not
 * arrived that long after the call (a deadline, so a trickle cannot stretch it).
 */
export async function Nread(test: IperfTest, fd: number, buf: Uint8Array, timeout_ms = -1): Promise<number> {
  const sys = test.sys;
  const deadline_us = timeout_ms >= 0 ? now_us(sys) + timeout_ms * 1000 : 0;
  let got = 0;
  while (got < buf.length) {
    if (timeout_ms >= 0) {
      const p: PollFd[] = [{ fd, events: POLLIN, revents: 0 }];
      const left_ms = Math.max(0, Math.ceil((deadline_us - now_us(sys)) / 1000));
      const n = left_ms === 0 ? 0 : await sys.poll(p, left_ms);
      if (n < 0) {
        set_errno(test, n);
        return n;
      }
      if (n === 0) {
        set_errno(test, -EAGAIN);
        return -EAGAIN;
      }
    }
    const r = await sys.recv(fd, buf.subarray(got));
    if (r < 0) {
      set_errno(test, r);
      return r;
    }
    if (r === 0) break;
    got += r;
  }
  return got;
}

/** Nwrite() on a blocking socket: all of `data`, 0, or a negative errno. */
export async function Nwrite(test: IperfTest, fd: number, data: Uint8Array): Promise<number> {
  let off = 0;
  while (off < data.length) {
    const r = await test.sys.send(fd, data.subarray(off));
    if (r < 0) {
      set_errno(test, r);
      return r;
    }
    off += r;
  }
  return 0;
}

/** iperf_set_send_state(): one state byte to the peer. */
export async function iperf_set_send_state(test: IperfTest, state: number): Promise<number> {
  if (test.ctrl_sck < 0) return 0;
  test.state = state;
  if ((await Nwrite(test, test.ctrl_sck, Uint8Array.of(state & 0xff))) < 0) {
    test.i_errno = IE.SENDMESSAGE;
    return -1;
  }
  return 0;
}

/** A signed state byte as iperf3 reads it into `signed char`. */
export function state_of_byte(b: number): number {
  return b >= 128 ? b - 256 : b;
}

/** JSON_write(): the length (4 bytes, big-endian) and the unformatted JSON, in one write. */
export async function JSON_write(test: IperfTest, fd: number, j: JsonObject): Promise<number> {
  const text = new TextEncoder().encode(cjson_print_unformatted(j));
  const msg = new Uint8Array(4 + text.length);
  new DataView(msg.buffer).setUint32(0, text.length);
  msg.set(text, 4);
  return Nwrite(test, fd, msg);
}

/**
 * JSON_read(): the object, or null (short read, oversized, not a JSON object, or not all in within
 * --rcv-timeout: a departure from 3.12, which waits for ever).
 */
export async function JSON_read(test: IperfTest, fd: number, max_size: number): Promise<JsonObject | null> {
  const head = new Uint8Array(4);
  if ((await Nread(test, fd, head, test.rcv_timeout_ms)) !== 4) return null;
  const size = new DataView(head.buffer).getUint32(0);
  if (size === 0 || size > max_size) return null;
  const body = new Uint8Array(size);
  if ((await Nread(test, fd, body, test.rcv_timeout_ms)) !== size) return null;
  return cjson_parse_object(new TextDecoder().decode(body));
}

const COOKIE_CHARS = "abcdefghijklmnopqrstuvwxyz234567";

/**
 * readentropy() (iperf_util.c): fill `buf` from /dev/urandom. Where that cannot be read, a
 * xorshift sequence seeded from the clocks and the pid stands in (a cookie only has to tell one
 * test's connections from another's; a payload only has to be there).
 */
export async function readentropy(sys: Syscalls, buf: Uint8Array): Promise<void> {
  const fd = sys.open("/dev/urandom", O_RDONLY);
  let got = 0;
  if (fd >= 0) {
    while (got < buf.length) {
      const r = await sys.read(fd, buf.subarray(got));
      if (r <= 0) break;
      got += r;
    }
    sys.close(fd);
  }
  if (got === buf.length) return;
  let x = (sys.clock_gettime(CLOCK_REALTIME) % 2 ** 31 ^ sys.clock_gettime(CLOCK_MONOTONIC) % 2 ** 31 ^ Math.imul(sys.getpid(), 0x9e3779b1)) >>> 0 || 1;
  for (let i = got; i < buf.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf[i] = x & 0xff;
  }
}

/** make_cookie(): 36 random characters of [a-z2-7] (the wire adds a NUL). */
export async function make_cookie(sys: Syscalls): Promise<string> {
  const r = new Uint8Array(COOKIE_SIZE - 1);
  await readentropy(sys, r);
  let s = "";
  for (const b of r) s += COOKIE_CHARS[b % COOKIE_CHARS.length]!;
  return s;
}

/** The cookie as sent: its characters and a NUL, 37 bytes. */
export function cookie_bytes(cookie: string): Uint8Array {
  const b = new Uint8Array(COOKIE_SIZE);
  b.set(new TextEncoder().encode(cookie.slice(0, COOKIE_SIZE - 1)));
  return b;
}

/** The cookie received (up to its NUL), as strcmp() compares it. */
export function cookie_text(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? b : b.subarray(0, nul));
}

/** fill_with_repeating_pattern() (iperf_util.c): "0123456789" over and over (--repeating-payload). */
function fill_with_repeating_pattern(buf: Uint8Array): void {
  for (let i = 0; i < buf.length; i++) buf[i] = 0x30 + (i % 10);
}

/** A stream for connected socket `fd` (iperf_new_stream + iperf_init_stream + iperf_add_stream). */
export async function iperf_new_stream(test: IperfTest, fd: number, sender: boolean): Promise<IperfStream | null> {
  const local = test.sys.getsockname(fd);
  const remote = test.sys.getpeername(fd);
  if (typeof local === "number" || typeof remote === "number") {
    test.i_errno = IE.INITSTREAM;
    test.errno = Math.abs(typeof local === "number" ? local : (remote as number));
    return null;
  }
  // The block written over and over (random, as iperf3's), or the one read into.
  const buffer = new Uint8Array(test.blksize);
  if (sender) {
    if (test.repeating_payload) fill_with_repeating_pattern(buffer);
    else await readentropy(test.sys, buffer);
  }
  // Ids 1, 3, 4, 5 …: iperf_add_stream() numbers the second stream 3, and peers match results by id.
  const id = test.streams.length === 0 ? 1 : test.streams.length + 2;
  const sp: IperfStream = {
    fd,
    id,
    sender,
    local,
    remote,
    buffer,
    pending_size: 0,
    green_light: true,
    eof: false,
    closed: false,
    bytes_sent: 0,
    bytes_received: 0,
    bytes_sent_this_interval: 0,
    bytes_received_this_interval: 0,
    bytes_sent_omit: 0,
    stream_retrans: 0,
    start_us: 0,
    end_us: 0,
    start_fixed_us: 0,
    sender_time: 0,
    receiver_time: 0,
    intervals: [],
    send_timer: null,
  };
  test.streams.push(sp);
  return sp;
}

/** Close every stream's socket (the streams stay, for the results). */
export function close_streams(test: IperfTest): void {
  for (const sp of test.streams) {
    if (!sp.closed) test.sys.close(sp.fd);
    sp.closed = true;
  }
}
