/**
 * The two JSON exchanges of an iperf3 test (iperf_api.c send_parameters/get_parameters,
 * send_results/get_results, iperf_exchange_parameters/iperf_exchange_results), with the keys and
 * number conventions the real iperf3 writes and reads: the client's parameters (tcp, omit, time,
 * num, blockcount, parallel, reverse, len, pacing_timer, client_version …) and each side's results
 * (cpu_util_*, sender_has_retransmits, congestion_used, streams[{id, bytes, retransmits, jitter,
 * errors, packets, start_time, end_time}]).
 */
import { cjson_double, cjson_int, cjson_uint64, type Json, type JsonObject } from "./iperf_json.ts";
import { IPERF_VERSION } from "./iperf_locale.ts";
import {
  DEFAULT_PACING_TIMER,
  check_sender_has_retransmits,
  diff_secs,
  iperf_set_send_state,
  iperf_set_test_reverse,
  JSON_read,
  JSON_write,
  MAX_BLOCKSIZE,
  MAX_PARAMS_JSON,
  MAX_RESULTS_JSON,
  MAX_STREAMS,
  Nwrite,
  Ptcp,
  Pudp,
  RECEIVER,
  SERVER_ERROR,
  type IperfTest,
} from "./iperf_api.ts";
import { IE } from "./iperf_error.ts";

/** send_parameters(): the client's settings, in iperf3's key order. */
export async function send_parameters(test: IperfTest): Promise<number> {
  const j: JsonObject = {};
  if (test.protocol === Ptcp) j.tcp = true;
  else if (test.protocol === Pudp) j.udp = true;
  j.omit = test.omit;
  j.time = test.duration;
  j.num = test.bytes;
  j.blockcount = test.blocks;
  if (test.mss !== 0) j.MSS = test.mss;
  if (test.no_delay) j.nodelay = true;
  j.parallel = test.num_streams;
  if (test.reverse) j.reverse = true;
  if (test.socket_bufsize !== 0) j.window = test.socket_bufsize;
  if (test.blksize !== 0) j.len = test.blksize;
  if (test.rate !== 0) j.bandwidth = test.rate;
  if (test.pacing_timer !== 0) j.pacing_timer = test.pacing_timer;
  if (test.burst !== 0) j.burst = test.burst;
  if (test.tos !== 0) j.TOS = test.tos;
  if (test.title !== null) j.title = test.title;
  if (test.extra_data !== null) j.extra_data = test.extra_data;
  if (test.congestion_used !== null) j.congestion_used = test.congestion_used;
  if (test.get_server_output) j.get_server_output = 1;
  if (test.repeating_payload) j.repeating_payload = 1;
  j.client_version = IPERF_VERSION;
  if ((await JSON_write(test, test.ctrl_sck, j)) < 0) {
    test.i_errno = IE.SENDPARAMS;
    return -1;
  }
  return 0;
}

/**
 * get_parameters(): the server takes the client's settings. Keys it does not know are ignored,
 * as iperf3 ignores them; values of the wrong type read as cJSON's valueint does (0).
 */
export async function get_parameters(test: IperfTest): Promise<number> {
  const j = await JSON_read(test, test.ctrl_sck, MAX_PARAMS_JSON);
  if (j === null) {
    test.i_errno = IE.RECVPARAMS;
    return -1;
  }
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(j, k);
  const str = (k: string): string | null => (typeof j[k] === "string" ? (j[k] as string) : null);
  if (has("tcp")) test.protocol = Ptcp;
  if (has("udp")) test.protocol = Pudp;
  if (has("sctp")) test.protocol = 12;
  if (has("omit")) test.omit = cjson_int(j.omit);
  if (has("time")) test.duration = cjson_int(j.time);
  test.bytes = has("num") ? cjson_uint64(j.num) : 0;
  test.blocks = has("blockcount") ? cjson_uint64(j.blockcount) : 0;
  if (has("MSS")) test.mss = cjson_int(j.MSS);
  if (has("nodelay")) test.no_delay = true;
  if (has("parallel")) test.num_streams = cjson_int(j.parallel);
  if (has("reverse")) iperf_set_test_reverse(test, true);
  const bidir = has("bidirectional");
  if (has("window")) test.socket_bufsize = cjson_int(j.window);
  if (has("len")) test.blksize = cjson_int(j.len);
  if (has("bandwidth")) test.rate = cjson_uint64(j.bandwidth);
  if (has("pacing_timer")) test.pacing_timer = cjson_int(j.pacing_timer) || DEFAULT_PACING_TIMER; // 0: the default (the timer list also enforces a minimum)
  if (has("burst")) test.burst = cjson_int(j.burst);
  if (has("TOS")) test.tos = cjson_int(j.TOS);
  if (str("title") !== null) test.title = str("title");
  if (str("extra_data") !== null) test.extra_data = str("extra_data");
  if (has("get_server_output")) test.get_server_output = true;
  if (has("repeating_payload")) test.repeating_payload = true;
  test.peer_version = str("client_version");
  check_sender_has_retransmits(test);
  if (test.rate !== 0) test.json_start.target_bitrate = test.rate;
  // What this server cannot run is refused with SERVER_ERROR, as a failed listen is, and the
  // client prints the reason ("an option you are trying to set is not implemented yet" …).
  if (test.protocol !== Ptcp || bidir) test.i_errno = IE.UNIMP;
  else if (test.blksize <= 0 || test.blksize > MAX_BLOCKSIZE) test.i_errno = IE.BLOCKSIZE;
  else if (test.num_streams < 1 || test.num_streams > MAX_STREAMS) test.i_errno = IE.NUMSTREAMS;
  else if (test.duration < 0 || test.omit < 0 || test.pacing_timer < 0) test.i_errno = IE.UNIMP;
  else return 0;
  test.errno = 0;
  await send_server_error(test);
  return -1;
}

/** SERVER_ERROR, then i_errno and errno as big-endian 32-bit integers. */
export async function send_server_error(test: IperfTest): Promise<void> {
  const i_errno = test.i_errno;
  const errno = test.errno;
  if ((await iperf_set_send_state(test, SERVER_ERROR)) < 0) return;
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setInt32(0, i_errno);
  v.setInt32(4, errno);
  await Nwrite(test, test.ctrl_sck, b);
  test.i_errno = i_errno;
  test.errno = errno;
}

/** send_results(): this side's counts per stream. */
export async function send_results(test: IperfTest): Promise<number> {
  const j: JsonObject = {
    cpu_util_total: test.cpu_util[0],
    cpu_util_user: test.cpu_util[1],
    cpu_util_system: test.cpu_util[2],
    sender_has_retransmits: test.mode === RECEIVER ? -1 : test.sender_has_retransmits,
  };
  if (test.congestion_used !== null) j.congestion_used = test.congestion_used;
  if (test.role === "s" && test.get_server_output) {
    if (test.json_output) j.server_output_json = test.json_top;
    else j.server_output_text = test.server_output_list.join("");
  }
  const streams: JsonObject[] = [];
  j.streams = streams;
  for (const sp of test.streams) {
    streams.push({
      id: sp.id,
      bytes: sp.sender ? sp.bytes_sent - sp.bytes_sent_omit : sp.bytes_received,
      retransmits: sp.sender && test.sender_has_retransmits ? sp.stream_retrans : -1,
      jitter: 0,
      errors: 0,
      packets: 0,
      start_time: 0,
      end_time: diff_secs(sp.start_us, sp.end_us),
    });
  }
  if ((await JSON_write(test, test.ctrl_sck, j)) < 0) {
    test.i_errno = IE.SENDRESULTS;
    return -1;
  }
  return 0;
}

/** get_results(): the peer's counts, matched to our streams by id. */
export async function get_results(test: IperfTest): Promise<number> {
  const j = await JSON_read(test, test.ctrl_sck, MAX_RESULTS_JSON);
  if (j === null) {
    test.i_errno = IE.RECVRESULTS;
    return -1;
  }
  const num = (o: JsonObject, k: string): Json | undefined => (typeof o[k] === "number" ? o[k] : undefined);
  if (num(j, "cpu_util_total") === undefined || num(j, "cpu_util_user") === undefined || num(j, "cpu_util_system") === undefined || num(j, "sender_has_retransmits") === undefined) {
    test.i_errno = IE.RECVRESULTS;
    return -1;
  }
  test.remote_cpu_util = [cjson_double(j.cpu_util_total), cjson_double(j.cpu_util_user), cjson_double(j.cpu_util_system)];
  const result_has_retransmits = cjson_int(j.sender_has_retransmits);
  if (test.mode === RECEIVER) {
    test.sender_has_retransmits = result_has_retransmits;
    test.other_side_has_retransmits = 0;
  }
  let r = 0;
  const streams = j.streams;
  if (!Array.isArray(streams)) {
    test.i_errno = IE.RECVRESULTS;
    return -1;
  }
  for (const js of streams) {
    if (typeof js !== "object" || js === null || Array.isArray(js)) {
      test.i_errno = IE.RECVRESULTS;
      r = -1;
      continue;
    }
    if (["id", "bytes", "retransmits", "jitter", "errors", "packets"].some((k) => !(k in js))) {
      test.i_errno = IE.RECVRESULTS;
      r = -1;
      continue;
    }
    const sid = cjson_int(js.id);
    const sp = test.streams.find((s) => s.id === sid);
    if (sp === undefined) {
      test.i_errno = IE.STREAMID;
      r = -1;
      continue;
    }
    const times = "start_time" in js && "end_time" in js;
    const span = times ? cjson_double(js.end_time) - cjson_double(js.start_time) : 0;
    if (sp.sender) {
      sp.bytes_received = cjson_uint64(js.bytes);
      sp.receiver_time = span;
    } else {
      sp.bytes_sent = cjson_uint64(js.bytes);
      sp.stream_retrans = cjson_int(js.retransmits);
      sp.sender_time = span;
    }
  }
  if (test.role === "c" && test.get_server_output) {
    const sj = j.server_output_json;
    if (typeof sj === "object" && sj !== null && !Array.isArray(sj)) test.json_server_output = sj;
    else if (typeof j.server_output_text === "string") test.server_output_text = j.server_output_text;
  }
  if (typeof j.congestion_used === "string") test.remote_congestion_used = j.congestion_used;
  return r;
}

/** iperf_exchange_results(): the client sends first, the server answers. */
export async function iperf_exchange_results(test: IperfTest): Promise<number> {
  if (test.role === "c") {
    if ((await send_results(test)) < 0) return -1;
    return get_results(test);
  }
  if ((await get_results(test)) < 0) return -1;
  return send_results(test);
}
