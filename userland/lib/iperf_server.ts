/**
 * The iperf3 server (src/iperf_server_api.c): listen, take one client's control connection
 * (others get ACCESS_DENIED), read its parameters, accept its data streams by cookie, run the
 * test, report at TEST_END, exchange results. One call serves one test; the caller loops.
 */
import { EBADF, EINTR } from "../../include/linux/errno.ts";
import { SOL_TCP, TCP_NODELAY } from "../../include/uapi/in.ts";
import {
  ACCESS_DENIED,
  BIDIRECTIONAL,
  close_streams,
  COOKIE_SIZE,
  get_system_info,
  cookie_text,
  CREATE_STREAMS,
  DISPLAY_RESULTS,
  EXCHANGE_RESULTS,
  IPERF_DONE,
  IPERF_START,
  iperf_new_stream,
  iperf_set_send_state,
  Nread,
  now_us,
  Nwrite,
  PARAM_EXCHANGE,
  RECEIVER,
  SENDER,
  SERVER_GRACE_S,
  CLIENT_TERMINATE,
  set_errno,
  state_of_byte,
  TEST_END,
  TEST_RUNNING,
  TEST_START,
  type IperfTest,
} from "./iperf_api.ts";
import { IE } from "./iperf_error.ts";
import { get_parameters, iperf_exchange_results } from "./iperf_exchange.ts";
import { IPERF_VERSION_STRING, server_banner_rule } from "./iperf_locale.ts";
import { connect_msg, iperf_err, iperf_json_finish, iperf_on_connect, iperf_printf, iperf_create_report_timers, iperf_reporter_callback, iperf_stats_callback } from "./iperf_reporter.ts";
import { data_direction, iperf_create_send_timers, json_bufsizes, iperf_init_test, iperf_recv, iperf_send, iperf_tcp_accept, iperf_tcp_listen, poll_set, ready_set, setnonblocking } from "./iperf_tcp.ts";

/** What one server run ended with (iperf_run_server's return). */
export const SERVER_OK = 0;
export const SERVER_FAILED = -1;
/** The listener could not be opened: the server exits. */
export const SERVER_FATAL = -2;
/** --idle-timeout expired with nobody connecting: restart quietly. */
export const SERVER_IDLE_RESTART = 2;

/** Whether the client asked for socket options the listener must carry for its streams. */
const wants_options = (test: IperfTest): boolean => test.no_delay || test.mss !== 0 || test.socket_bufsize !== 0;

/** iperf_accept(): the first connection becomes the control channel; later ones are turned away. */
async function iperf_accept(test: IperfTest): Promise<number> {
  const sys = test.sys;
  const a = await sys.accept(test.listener);
  if (typeof a === "number") {
    test.i_errno = IE.ACCEPT;
    set_errno(test, a);
    return -1;
  }
  if (test.ctrl_sck >= 0) {
    // Busy: say so without reading (that could stall the running test), and close.
    await Nwrite(test, a.fd, Uint8Array.of(ACCESS_DENIED & 0xff));
    sys.close(a.fd);
    return 0;
  }
  test.ctrl_sck = a.fd;
  if (sys.setsockopt(a.fd, SOL_TCP, TCP_NODELAY, 1) < 0) {
    test.i_errno = IE.SETNODELAY;
    return -1;
  }
  const cookie = new Uint8Array(COOKIE_SIZE);
  if ((await Nread(test, a.fd, cookie, test.rcv_timeout_ms)) !== COOKIE_SIZE) {
    test.i_errno = IE.RECVCOOKIE;
    return -1;
  }
  test.cookie = cookie_text(cookie);
  if ((await iperf_set_send_state(test, PARAM_EXCHANGE)) < 0) return -1;
  // iperf_exchange_parameters(), server side: the parameters, the stream listener, CREATE_STREAMS.
  if ((await get_parameters(test)) < 0) return -1;
  if (wants_options(test)) {
    sys.close(test.listener);
    test.listener = iperf_tcp_listen(test, true);
    if (test.listener < 0) return -1;
  } else json_bufsizes(test, test.listener);
  if ((await iperf_set_send_state(test, CREATE_STREAMS)) < 0) return -1;
  iperf_on_connect(test, a);
  return 0;
}

/** iperf_handle_message_server(): the client's TEST_END, IPERF_DONE or CLIENT_TERMINATE. */
async function iperf_handle_message_server(test: IperfTest): Promise<number> {
  const b = new Uint8Array(1);
  const r = await Nread(test, test.ctrl_sck, b);
  if (r <= 0) {
    if (r === 0) {
      iperf_err(test, "the client has unexpectedly closed the connection");
      test.i_errno = IE.CTRLCLOSE;
      test.state = IPERF_DONE;
      return 0;
    }
    test.i_errno = IE.RECVMESSAGE;
    return -1;
  }
  test.state = state_of_byte(b[0]!);
  switch (test.state) {
    case TEST_START:
    case IPERF_DONE:
      return 0;
    case TEST_END:
      test.done = true;
      iperf_stats_callback(test);
      test.timers.clear(); // with `done` set they have nothing left to do
      close_streams(test);
      iperf_reporter_callback(test);
      if ((await iperf_set_send_state(test, EXCHANGE_RESULTS)) < 0) return -1;
      if ((await iperf_exchange_results(test)) < 0) return -1;
      return (await iperf_set_send_state(test, DISPLAY_RESULTS)) < 0 ? -1 : 0;
    case CLIENT_TERMINATE: {
      test.i_errno = IE.CLIENTTERM;
      const old = test.state;
      test.state = DISPLAY_RESULTS;
      iperf_reporter_callback(test);
      test.state = old;
      iperf_err(test, "the client has terminated");
      close_streams(test);
      test.state = IPERF_DONE;
      return 0;
    }
    default:
      test.i_errno = IE.MESSAGE;
      return -1;
  }
}

/** create_server_timers() and create_server_omit_timer(), once every stream is in. */
function create_server_timers(test: IperfTest): void {
  const now = now_us(test.sys);
  const t = test.timers;
  if (test.duration !== 0) {
    test.done = false;
    // The test may run this much longer than asked (control messages in flight) before the
    // server gives up on it and closes everything (server_timer_proc).
    test.timer = t.create(now, () => {
      test.timer = null;
      if (test.done) return;
      test.done = true;
      close_streams(test);
      if (test.ctrl_sck >= 0) test.sys.close(test.ctrl_sck);
      test.ctrl_sck = -1;
    }, (test.duration + test.omit + SERVER_GRACE_S) * 1e6, false);
  }
  iperf_create_report_timers(test, now);
}

/** cleanup_server(): close everything this run opened (after a signal, iperf_got_sigend does). */
function cleanup_server(test: IperfTest): void {
  if (test.sigend) return;
  close_streams(test);
  if (test.ctrl_sck >= 0) test.sys.close(test.ctrl_sck);
  test.ctrl_sck = -1;
  if (test.listener >= 0) test.sys.close(test.listener);
  test.listener = -1;
  test.timers.clear();
}

/**
 * iperf_run_server(): serve one test on a fresh listener. `test_number` is the "(test #N)" of
 * the banner (the caller counts; an idle restart keeps the number and prints no banner).
 */
export async function iperf_run_server(test: IperfTest, test_number: number, banner: boolean): Promise<number> {
  const sys = test.sys;
  if (test.json_output) {
    test.json_start.version = IPERF_VERSION_STRING;
    test.json_start.system_info = get_system_info(test);
  } else if (test.verbose) {
    iperf_printf(test, `${IPERF_VERSION_STRING}\n`);
    iperf_printf(test, ""); // as iperf3 does: with -T, the title once more
    iperf_printf(test, `${get_system_info(test)}\n`);
  }
  test.listener = iperf_tcp_listen(test, false);
  if (test.listener < 0) {
    cleanup_server(test);
    return SERVER_FATAL;
  }
  if (!test.json_output && banner) iperf_printf(test, `${server_banner_rule}Server listening on ${test.server_port} (test #${test_number})\n${server_banner_rule}`);
  test.last_receive_us = now_us(sys);
  test.state = IPERF_START;
  let send_accepted = 0;
  let rec_accepted = 0;
  let streams_to_send = 0;
  let streams_to_rec = 0;
  const rcv_timeout_us = test.rcv_timeout_ms * 1000;
  while (test.state !== IPERF_DONE) {
    if (test.state !== IPERF_START && test.ctrl_sck < 0) {
      // The server's own limit on the test's length closed everything (server_timer_proc);
      // iperf3's select() then fails on the closed descriptors.
      test.i_errno = IE.SELECT;
      test.errno = EBADF;
      cleanup_server(test);
      return SERVER_FAILED;
    }
    const running = test.state === TEST_RUNNING;
    const fds = poll_set(test, [test.listener, test.ctrl_sck], running ? data_direction(test) : "none");
    const now = now_us(sys);
    let timeout = test.timers.timeout_ms(now);
    if (test.state === IPERF_START) {
      if (timeout < 0 && test.idle_timeout_s > 0) timeout = test.idle_timeout_s * 1000;
    } else if ((test.mode !== SENDER || !running) && (timeout < 0 || timeout > rcv_timeout_us / 1000)) timeout = rcv_timeout_us / 1000;
    const n = await sys.poll(fds, timeout);
    if (n < 0) {
      set_errno(test, n);
      if (n !== -EINTR) test.i_errno = IE.SELECT;
      cleanup_server(test);
      return SERVER_FAILED;
    }
    if (n === 0) {
      const idle = now_us(sys) - test.last_receive_us;
      if (test.state === IPERF_START) {
        if (test.idle_timeout_s > 0 && idle >= test.idle_timeout_s * 1e6) {
          cleanup_server(test);
          return SERVER_IDLE_RESTART;
        }
      } else if ((test.mode !== SENDER || !running) && idle > rcv_timeout_us) {
        test.i_errno = IE.NOMSG;
        cleanup_server(test);
        return SERVER_FAILED;
      }
    }
    if (n > 0) {
      test.last_receive_us = now_us(sys);
      const ready = ready_set(fds);
      const listener_ready = ready.has(test.listener);
      let accepted_ctrl = false;
      if (listener_ready && test.state !== CREATE_STREAMS) {
        if ((await iperf_accept(test)) < 0) {
          cleanup_server(test);
          return SERVER_FAILED;
        }
        accepted_ctrl = true;
        streams_to_rec = test.mode === RECEIVER || test.mode === BIDIRECTIONAL ? test.num_streams : 0;
        streams_to_send = test.mode === SENDER || test.mode === BIDIRECTIONAL ? test.num_streams : 0;
      }
      if (test.ctrl_sck >= 0 && ready.has(test.ctrl_sck)) {
        if ((await iperf_handle_message_server(test)) < 0) {
          cleanup_server(test);
          return SERVER_FAILED;
        }
        ready.delete(test.ctrl_sck);
      }
      if (test.state === CREATE_STREAMS && listener_ready && !accepted_ctrl) {
        const s = await iperf_tcp_accept(test);
        if (s === -1) {
          cleanup_server(test);
          return SERVER_FAILED;
        }
        if (s !== null) {
          const sender = rec_accepted === streams_to_rec ? (send_accepted++, true) : (rec_accepted++, false);
          const sp = await iperf_new_stream(test, s, sender);
          if (sp === null) {
            sys.close(s);
            cleanup_server(test);
            return SERVER_FAILED;
          }
          setnonblocking(test, s, true);
          connect_msg(test, sp);
        }
        if (rec_accepted === streams_to_rec && send_accepted === streams_to_send) {
          if (wants_options(test)) {
            // The streams are in: back to a listener without the test's options.
            sys.close(test.listener);
            test.listener = iperf_tcp_listen(test, false);
            if (test.listener < 0) {
              cleanup_server(test);
              return SERVER_FAILED;
            }
          }
          if ((await iperf_set_send_state(test, TEST_START)) < 0) {
            cleanup_server(test);
            return SERVER_FAILED;
          }
          iperf_init_test(test);
          create_server_timers(test);
          if (test.mode !== RECEIVER) iperf_create_send_timers(test);
          if ((await iperf_set_send_state(test, TEST_RUNNING)) < 0) {
            cleanup_server(test);
            return SERVER_FAILED;
          }
        }
      }
      if (test.state === TEST_RUNNING) {
        const r = test.mode === SENDER ? await iperf_send(test, ready) : await iperf_recv(test, ready);
        if (r < 0) {
          cleanup_server(test);
          return SERVER_FAILED;
        }
      }
    }
    test.timers.run(now_us(sys));
  }
  if (test.json_output) iperf_json_finish(test);
  cleanup_server(test);
  return SERVER_OK;
}
