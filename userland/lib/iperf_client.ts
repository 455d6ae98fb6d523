/**
 * The iperf3 client (src/iperf_client_api.c): connect the control channel, follow the server's
 * state bytes, run the data streams and the timers in one poll() loop, end the test by time,
 * bytes or blocks with TEST_END, exchange results, print, IPERF_DONE.
 */
import { EINTR } from "../../include/linux/errno.ts";
import { AF_INET, POLLERR, POLLHUP, POLLIN, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, SOL_TCP, TCP_MAXSEG, TCP_NODELAY } from "../../include/uapi/in.ts";
import { EAI_INTR, gai_strerror, getaddrinfo } from "./resolv.ts";
import {
  ACCESS_DENIED,
  cookie_bytes,
  CREATE_STREAMS,
  DISPLAY_RESULTS,
  EXCHANGE_RESULTS,
  IPERF_DONE,
  iperf_set_send_state,
  make_cookie,
  Nread,
  now_us,
  Nwrite,
  PARAM_EXCHANGE,
  RECEIVER,
  SENDER,
  SERVER_ERROR,
  SERVER_TERMINATE,
  set_errno,
  state_of_byte,
  TEST_END,
  TEST_RUNNING,
  TEST_START,
  close_streams,
  get_system_info,
  type IperfTest,
} from "./iperf_api.ts";
import { IE, iperf_strerror } from "./iperf_error.ts";
import { iperf_exchange_results, send_parameters } from "./iperf_exchange.ts";
import { IPERF_VERSION_STRING, report_done } from "./iperf_locale.ts";
import { iperf_json_finish, iperf_on_connect, iperf_printf, iperf_create_report_timers, iperf_reporter_callback, iperf_stats_callback } from "./iperf_reporter.ts";
import { data_direction, iperf_create_send_timers, iperf_create_streams, iperf_init_test, iperf_recv, iperf_send, poll_set, ready_set, setnonblocking, timeout_connect } from "./iperf_tcp.ts";

/** iperf_connect(): the control connection, the cookie, its MSS. */
async function iperf_connect(test: IperfTest): Promise<number> {
  const sys = test.sys;
  test.cookie = await make_cookie(sys);
  const addrs = await getaddrinfo(sys, test.server_hostname);
  if (typeof addrs === "number") {
    test.i_errno = IE.CONNECT;
    test.errno = 0;
    test.connect_error = gai_strerror(addrs);
    if (addrs === EAI_INTR) test.sigend = true; // ^C while resolving
    return -1;
  }
  test.server_addr = addrs[0]!;
  const s = sys.socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) {
    test.i_errno = IE.CONNECT;
    set_errno(test, s);
    return -1;
  }
  if (test.bind_addr !== 0) {
    sys.setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1);
    const b = sys.bind(s, test.bind_addr, 0);
    if (b < 0) {
      sys.close(s);
      test.i_errno = IE.CONNECT;
      set_errno(test, b);
      return -1;
    }
  }
  const c = await timeout_connect(test, s, test.server_addr, test.server_port, test.connect_timeout_ms);
  if (c < 0) {
    sys.close(s);
    test.i_errno = IE.CONNECT;
    set_errno(test, c);
    return -1;
  }
  test.ctrl_sck = s;
  if (sys.setsockopt(s, SOL_TCP, TCP_NODELAY, 1) < 0) {
    test.i_errno = IE.SETNODELAY;
    return -1;
  }
  if ((await Nwrite(test, s, cookie_bytes(test.cookie))) < 0) {
    test.i_errno = IE.SENDCOOKIE;
    return -1;
  }
  const mss = sys.getsockopt(s, SOL_TCP, TCP_MAXSEG);
  test.ctrl_sck_mss = typeof mss === "number" && mss > 0 && mss <= 65535 - 8 - 20 ? mss : 0;
  if (test.verbose && !test.json_output) sys.write(1, `Control connection MSS ${test.ctrl_sck_mss}\n`);
  return 0;
}

/** create_client_timers() and create_client_omit_timer(), at TEST_START. */
function create_client_timers(test: IperfTest): void {
  const now = now_us(test.sys);
  const t = test.timers;
  if (test.duration !== 0) {
    test.done = false;
    test.timer = t.create(now, () => {
      test.timer = null;
      test.done = true;
    }, (test.duration + test.omit) * 1e6, false);
  }
  iperf_create_report_timers(test, now);
}

/** iperf_client_end(): close the streams, print the summary, IPERF_DONE, close the control connection. */
async function iperf_client_end(test: IperfTest): Promise<number> {
  close_streams(test);
  iperf_reporter_callback(test);
  let r = 0;
  if (test.state > 0 && test.ctrl_sck >= 0) r = await iperf_set_send_state(test, IPERF_DONE);
  if (test.ctrl_sck >= 0) test.sys.close(test.ctrl_sck);
  test.ctrl_sck = -1;
  return r < 0 ? -1 : 0;
}

/** iperf_handle_message_client(): act on one state byte from the server. */
async function iperf_handle_message_client(test: IperfTest): Promise<number> {
  const b = new Uint8Array(1);
  const r = await test.sys.recv(test.ctrl_sck, b);
  if (r <= 0) {
    if (r < 0) set_errno(test, r);
    test.i_errno = r === 0 ? IE.CTRLCLOSE : IE.RECVMESSAGE;
    return -1;
  }
  test.state = state_of_byte(b[0]!);
  switch (test.state) {
    case PARAM_EXCHANGE:
      if ((await send_parameters(test)) < 0) return -1;
      iperf_on_connect(test, null);
      return 0;
    case CREATE_STREAMS:
      return iperf_create_streams(test, test.mode === SENDER);
    case TEST_START:
      iperf_init_test(test);
      create_client_timers(test);
      if (test.mode !== RECEIVER) iperf_create_send_timers(test);
      return 0;
    case TEST_RUNNING:
    case IPERF_DONE:
      return 0;
    case EXCHANGE_RESULTS:
      return iperf_exchange_results(test);
    case DISPLAY_RESULTS:
      return iperf_client_end(test);
    case SERVER_TERMINATE: {
      // Print what we have, as if the results were in, then fail with "the server has terminated".
      test.i_errno = IE.SERVERTERM;
      const old = test.state;
      test.state = DISPLAY_RESULTS;
      iperf_reporter_callback(test);
      test.state = old;
      return -1;
    }
    case ACCESS_DENIED:
      test.i_errno = IE.ACCESSDENIED;
      return -1;
    case SERVER_ERROR: {
      const e = new Uint8Array(8);
      if ((await Nread(test, test.ctrl_sck, e, test.rcv_timeout_ms)) !== 8) {
        test.i_errno = IE.CTRLREAD;
        return -1;
      }
      const v = new DataView(e.buffer);
      test.i_errno = v.getInt32(0);
      test.errno = v.getInt32(4);
      return -1;
    }
    default:
      test.i_errno = IE.MESSAGE;
      return -1;
  }
}

/**
 * iperf_run_client(): 0 when the test ran (or, with -J, when the error went into the JSON);
 * -1 with i_errno set otherwise. A caught signal leaves test.sigend set for the caller.
 */
export async function iperf_run_client(test: IperfTest): Promise<number> {
  const sys = test.sys;
  if (test.json_output) {
    test.json_start.version = IPERF_VERSION_STRING;
    test.json_start.system_info = get_system_info(test);
  } else if (test.verbose) {
    iperf_printf(test, `${IPERF_VERSION_STRING}\n`);
    iperf_printf(test, ""); // as iperf3 does: with -T, the title once more
    iperf_printf(test, `${get_system_info(test)}\n`);
  }
  let ok = (await iperf_connect(test)) === 0;
  let startup = true;
  const rcv_timeout_us = test.mode !== SENDER ? test.rcv_timeout_ms * 1000 : 0;
  test.last_receive_us = now_us(sys);
  while (ok && test.state !== IPERF_DONE) {
    const running = test.state === TEST_RUNNING;
    const draining = test.mode === RECEIVER && test.state === TEST_END;
    const fds = poll_set(test, [test.ctrl_sck], running ? data_direction(test) : draining ? "recv" : "none");
    const now = now_us(sys);
    // The timers run while the test runs (iperf3 runs them only then too); in the other states the
    // loop does not look at them, where iperf3's select() would spin on an expired timer — on a
    // virtual clock that would stop time.
    let timeout = running ? test.timers.timeout_ms(now) : -1;
    // In reverse mode the client makes sure data keeps arriving (--rcv-timeout); outside
    // TEST_RUNNING it waits that long for the server's next message (3.12 waits for ever).
    const limit_us = running ? rcv_timeout_us : test.rcv_timeout_ms * 1000;
    if (limit_us > 0 && (timeout < 0 || timeout > limit_us / 1000)) timeout = limit_us / 1000;
    const n = await sys.poll(fds, timeout);
    if (n < 0) {
      set_errno(test, n);
      if (n === -EINTR) return -1;
      test.i_errno = IE.SELECT;
      ok = false;
      break;
    }
    if ((n === 0 || draining) && limit_us > 0 && now_us(sys) - test.last_receive_us > limit_us) {
      test.i_errno = IE.NOMSG;
      ok = false;
      break;
    }
    const ready = ready_set(fds);
    // While draining, only the server's message counts as hearing from it: a server that streams
    // on and never answers TEST_END still meets --rcv-timeout.
    if (n > 0 && (!draining || fds[0]!.revents !== 0)) test.last_receive_us = now_us(sys);
    if (n > 0) {
      if (fds[0]!.revents & (POLLIN | POLLERR | POLLHUP)) {
        ready.delete(test.ctrl_sck);
        if ((await iperf_handle_message_client(test)) < 0) {
          ok = false;
          break;
        }
      }
    }
    if (test.state === TEST_RUNNING) {
      if (startup) {
        startup = false;
        for (const sp of test.streams) setnonblocking(test, sp.fd, true);
      }
      const r = test.mode === SENDER ? await iperf_send(test, ready) : await iperf_recv(test, ready);
      if (r < 0) {
        ok = false;
        break;
      }
      test.timers.run(now_us(sys));
      const by_bytes = test.bytes !== 0 && (test.bytes_sent >= test.bytes || test.bytes_received >= test.bytes);
      const by_blocks = test.blocks !== 0 && (test.blocks_sent >= test.blocks || test.blocks_received >= test.blocks);
      if (!test.omitting && (test.done || by_bytes || by_blocks)) {
        // The streams stay non-blocking (3.12 makes them blocking here): the drain below must not
        // wait on them.
        test.done = true;
        iperf_stats_callback(test);
        test.timers.clear(); // every timer's work is done once the test is (their procs check `done`)
        if ((await iperf_set_send_state(test, TEST_END)) < 0) {
          ok = false;
          break;
        }
      }
    } else if (draining) {
      // Keep reading after TEST_END so that a server blocked on a full pipe can see our message.
      if ((await iperf_recv(test, ready)) < 0) {
        ok = false;
        break;
      }
    }
  }
  test.timers.clear();
  if (ok) {
    if (test.json_output) iperf_json_finish(test);
    else {
      iperf_printf(test, "\n");
      iperf_printf(test, report_done);
    }
    return 0;
  }
  if (test.sigend) return -1;
  await iperf_client_end(test);
  if (test.json_output) {
    test.json_top.error = client_strerror(test);
    iperf_json_finish(test);
    return 0;
  }
  return -1;
}

/** The error text of a failed client: iperf_strerror(), or the resolver's reason for a bad name. */
export function client_strerror(test: IperfTest): string {
  if (test.i_errno === IE.CONNECT && test.connect_error !== null) return `unable to connect to server: ${test.connect_error}`;
  return iperf_strerror(test.i_errno, test.errno);
}
