import { EINTR } from "../../include/linux/errno.ts";
import { SIGINT, SIGTERM } from "../../include/linux/sched.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import {
  CLIENT_TERMINATE,
  close_streams,
  DISPLAY_RESULTS,
  get_system_info,
  iperf_new_test,
  SERVER_TERMINATE,
  TEST_RUNNING,
  type IperfTest,
} from "../lib/iperf_api.ts";
import { IE, iperf_strerror } from "../lib/iperf_error.ts";
import { iperf_parse_arguments } from "../lib/iperf_args.ts";
import { client_strerror, iperf_run_client } from "../lib/iperf_client.ts";
import { IPERF_VERSION_STRING } from "../lib/iperf_locale.ts";
import { iperf_err, iperf_json_finish, iperf_reporter_callback, iperf_stats_callback } from "../lib/iperf_reporter.ts";
import { iperf_run_server, SERVER_FATAL, SERVER_IDLE_RESTART } from "../lib/iperf_server.ts";
import type { Command } from "../lib/command.ts";

const SIGHUP = 1;
const SIGPIPE = 13;

/**
 * iperf3, the network throughput tester (esnet/iperf 3.x, src/main.c), TCP over IPv4:
 *   iperf3 -s [-p PORT] [-1] [-J] [-i SECS]          serve tests one after another (^C ends; -1: one test)
 *   iperf3 -c HOST [-p PORT] [-t SECS | -n BYTES | -k BLOCKS] [-l LEN] [-P N] [-R] [-i SECS] [-J] [-N] …
 * It speaks iperf3's control protocol (version 3.12), so either end can be the real iperf3; the
 * output is iperf3's, line for line, and -J prints iperf3's JSON. `iperf3 --help` lists the options.
 *
 * Departures from 3.12, so that one quiet or hostile peer cannot wedge a single-threaded server
 * (or client) for ever:
 *  - JSON_read, the client's SERVER_ERROR read and the cookie reads give up after --rcv-timeout
 *    (default 120 s) for the whole message; the server's poll loop applies it in CREATE_STREAMS
 *    also in reverse mode, and the client's outside TEST_RUNNING too ("idle timeout").
 *  - JSON nested deeper than cJSON's 1000 levels does not parse (read as a failed exchange).
 *  - The client's drain after TEST_END reads with MSG_DONTWAIT (3.12 makes the streams blocking)
 *    and only the server's messages count against --rcv-timeout meanwhile.
 *  - A stream connection with a short or late cookie is sent ACCESS_DENIED and closed; the test
 *    carries on waiting for its streams.
 *  - A peer's pacing_timer of 0 means the default; periodic timers run at most every 1 ms, and one
 *    that has fallen behind skips to its next expiry after now instead of firing once per period.
 */
export async function iperf3(argv: readonly string[], sys: Syscalls): Promise<number> {
  const version_text = (): string => {
    const t = iperf_new_test(sys, "c");
    return `${IPERF_VERSION_STRING} (ringzero)\n${get_system_info(t)}\nOptional features available: none (TCP over IPv4 only)\n`;
  };
  const parsed = iperf_parse_arguments(argv, sys, version_text);
  if ("exit" in parsed) return parsed.exit;
  const template = parsed.test;
  // Termination signals end a test with a last report (iperf_catch_sigend); SIGPIPE is ignored
  // so that a peer that went away shows as an error on the write.
  for (const sig of [SIGINT, SIGTERM, SIGHUP]) sys.sigaction(sig, "catch");
  sys.sigaction(SIGPIPE, "ignore");
  if (template.role === "c") {
    const rc = await iperf_run_client(template);
    if (template.sigend) return iperf_got_sigend(template);
    if (rc < 0) return iperf_errexit(template, `error - ${client_strerror(template)}`);
    return 0;
  }
  return run_server(template);
}

/** main.c's server loop: one iperf_run_server() after another, until a signal or -1's single test. */
async function run_server(template: IperfTest): Promise<number> {
  const sys = template.sys;
  let test_number = 0;
  let last_rc = 0;
  for (;;) {
    const test = server_test(template);
    if (last_rc !== SERVER_IDLE_RESTART) test_number++;
    const rc = await iperf_run_server(test, test_number, last_rc !== SERVER_IDLE_RESTART);
    if (test.sigend || (sys.sigpending() & ((1 << SIGINT) | (1 << SIGTERM) | (1 << SIGHUP))) !== 0) {
      test.sigend = true;
      return iperf_got_sigend(test);
    }
    if (rc < 0) {
      iperf_err(test, `error - ${iperf_strerror(test.i_errno, test.errno)}`);
      if (test.json_output) iperf_json_finish(test);
      if (rc === SERVER_FATAL) return iperf_errexit(null, "exiting", sys);
    }
    if (test.one_off) return 0; // one test (an idle restart in one-off mode exits too)
    last_rc = rc;
  }
}

/** iperf_reset_test(): a fresh test that keeps the server's own settings. */
function server_test(template: IperfTest): IperfTest {
  const t = iperf_new_test(template.sys, "s");
  t.server_port = template.server_port;
  t.bind_addr = template.bind_addr;
  t.json_output = template.json_output;
  t.verbose = template.verbose;
  t.one_off = template.one_off;
  t.stats_interval = template.stats_interval;
  t.reporter_interval = template.reporter_interval;
  t.unit_format = template.unit_format;
  t.idle_timeout_s = template.idle_timeout_s;
  t.rcv_timeout_ms = template.rcv_timeout_ms;
  return t;
}

/**
 * iperf_got_sigend(): a client, or a server in the middle of a test, prints what it has; the
 * peer hears CLIENT_TERMINATE / SERVER_TERMINATE; "interrupt - the client has terminated".
 */
async function iperf_got_sigend(test: IperfTest): Promise<number> {
  const sys = test.sys;
  sys.sigpending(); // consume the signal, so the calls below are not interrupted too
  if (test.role === "c" || test.state === TEST_RUNNING) {
    test.done = true;
    iperf_stats_callback(test);
    test.state = DISPLAY_RESULTS;
    iperf_reporter_callback(test);
  }
  if (test.ctrl_sck >= 0) {
    test.state = test.role === "c" ? CLIENT_TERMINATE : SERVER_TERMINATE;
    const r = await sys.send(test.ctrl_sck, Uint8Array.of(test.state));
    if (r === -EINTR) sys.sigpending();
  }
  close_streams(test);
  if (test.ctrl_sck >= 0) sys.close(test.ctrl_sck);
  if (test.listener >= 0) sys.close(test.listener);
  test.timers.clear();
  return iperf_errexit(test, `interrupt - ${iperf_strerror(test.role === "c" ? IE.CLIENTTERM : IE.SERVERTERM, 0)}`);
}

/** iperf_errexit(): "iperf3: MESSAGE" (or the JSON with its "error"), status 1. */
function iperf_errexit(test: IperfTest | null, msg: string, sys?: Syscalls): number {
  if (test !== null && test.json_output) {
    test.json_top.error = msg;
    iperf_json_finish(test);
  } else (test?.sys ?? sys)!.write(2, `iperf3: ${msg}\n`);
  return 1;
}

export const iperf3_command: Command = {
  name: "iperf3",
  summary: "TCP throughput, compatible with iperf3: iperf3 -s [-1] | iperf3 -c HOST [-t S|-n BYTES] [-P N] [-R] [-J]",
  usage: "Usage: iperf3 -s [-1]\n       iperf3 -c HOST [-t S|-n BYTES] [-P N] [-R] [-J]\n\nTCP throughput, compatible with iperf3.\n",
  main: iperf3,
};
