/**
 * iperf3's statistics and reports (iperf_api.c iperf_stats_callback, iperf_reset_stats,
 * iperf_print_intermediate, print_interval_results, iperf_print_results, iperf_reporter_callback,
 * iperf_on_connect, iperf_on_test_start, connect_msg, iperf_json_finish, iperf_printf, iperf_err):
 * the text lines and the -J JSON objects, field for field, for TCP tests in one direction.
 */
import { inet_ntoa } from "../../include/uapi/in.ts";
import { cjson_print, type JsonObject } from "./iperf_json.ts";
import {
  fmt_d,
  report_accepted,
  report_bw_format,
  report_bw_header,
  report_bw_retrans_cwnd_header,
  report_bw_retrans_format,
  report_bw_retrans_header,
  report_bw_separator,
  report_connected,
  report_connecting,
  report_cookie,
  report_cpu,
  report_omitted,
  report_receiver,
  report_reverse,
  report_sender,
  report_summary,
  report_time,
  rfc1123_time,
  stream_tag,
  test_start_blocks,
  test_start_bytes,
  test_start_time,
  unit_snprintf,
  report_omit_done,
} from "./iperf_locale.ts";
import { diff_secs, DISPLAY_RESULTS, now_us, Ptcp, SENDER, TEST_END, TEST_RUNNING, time_now_secs, type IperfStream, type IperfTest } from "./iperf_api.ts";

/** iperf_printf(): the client prefixes its title; the server keeps a copy for --get-server-output. */
export function iperf_printf(test: IperfTest, text: string): void {
  if (test.role === "c") {
    test.sys.write(1, test.title !== null ? `${test.title}:  ${text}` : text);
    return;
  }
  test.sys.write(1, text);
  if (test.get_server_output) test.server_output_list.push(text);
}

/** iperf_err(): "iperf3: MESSAGE" on stderr, or the JSON's "error" in -J mode. */
export function iperf_err(test: IperfTest, msg: string): void {
  if (test.json_output) test.json_top.error = msg;
  else test.sys.write(2, `iperf3: ${msg}\n`);
}

/** iperf_json_finish(): print the whole JSON document. */
export function iperf_json_finish(test: IperfTest): void {
  if (test.title !== null) test.json_top.title = test.title;
  if (test.extra_data !== null) test.json_top.extra_data = test.extra_data;
  if (test.json_server_output !== null) test.json_top.server_output_json = test.json_server_output;
  if (test.server_output_text !== null) test.json_top.server_output_text = test.server_output_text;
  test.sys.write(1, `${cjson_print(test.json_top)}\n`);
}

/** connect_msg(): "[  5] local A port P connected to B port Q", or an entry of start.connected. */
export function connect_msg(test: IperfTest, sp: IperfStream): void {
  const lh = inet_ntoa(sp.local.addr);
  const rh = inet_ntoa(sp.remote.addr);
  if (test.json_output) test.json_connected.push({ socket: sp.fd, local_host: lh, local_port: sp.local.port, remote_host: rh, remote_port: sp.remote.port });
  else iperf_printf(test, report_connected(sp.fd, lh, sp.local.port, rh, sp.remote.port));
}

/** iperf_on_connect(): who we talk to, the cookie, the MSS. */
export function iperf_on_connect(test: IperfTest, peer: { addr: number; port: number } | null): void {
  const secs = time_now_secs(test.sys);
  const now_str = rfc1123_time(secs);
  if (test.json_output) test.json_start.timestamp = { time: now_str, timesecs: secs };
  else if (test.verbose) iperf_printf(test, report_time(now_str));
  if (test.role === "c") {
    if (test.json_output) test.json_start.connecting_to = { host: test.server_hostname, port: test.server_port };
    else {
      iperf_printf(test, report_connecting(test.server_hostname, test.server_port));
      if (test.reverse) iperf_printf(test, report_reverse(test.server_hostname));
    }
  } else if (peer !== null) {
    if (test.json_output) test.json_start.accepted_connection = { host: inet_ntoa(peer.addr), port: peer.port };
    else iperf_printf(test, report_accepted(inet_ntoa(peer.addr), peer.port));
  }
  if (test.json_output) {
    test.json_start.cookie = test.cookie;
    if (test.mss !== 0) test.json_start.tcp_mss = test.mss;
    else test.json_start.tcp_mss_default = test.ctrl_sck_mss;
    test.json_start.target_bitrate = test.rate;
  } else if (test.verbose) {
    iperf_printf(test, report_cookie(test.cookie));
    iperf_printf(test, test.mss !== 0 ? `      TCP MSS: ${test.mss}\n` : `      TCP MSS: ${test.ctrl_sck_mss} (default)\n`);
    if (test.rate !== 0) iperf_printf(test, `      Target Bitrate: ${test.rate}\n`);
  }
}

/** iperf_on_test_start(): the "test_start" object, or -V's "Starting Test" line. */
export function iperf_on_test_start(test: IperfTest): void {
  if (test.json_output) {
    test.json_start.test_start = {
      protocol: "TCP",
      num_streams: test.num_streams,
      blksize: test.blksize,
      omit: test.omit,
      duration: test.duration,
      bytes: test.bytes,
      blocks: test.blocks,
      reverse: test.reverse ? 1 : 0,
      tos: test.tos,
      target_bitrate: test.rate,
    };
  } else if (test.verbose) {
    if (test.bytes !== 0) iperf_printf(test, test_start_bytes("TCP", test.num_streams, test.blksize, test.omit, test.bytes, test.tos));
    else if (test.blocks !== 0) iperf_printf(test, test_start_blocks("TCP", test.num_streams, test.blksize, test.omit, test.blocks, test.tos));
    else iperf_printf(test, test_start_time("TCP", test.num_streams, test.blksize, test.omit, test.duration, test.tos));
  }
}

/** iperf_stats_callback(): close the current interval of every stream. */
export function iperf_stats_callback(test: IperfTest): void {
  const now = now_us(test.sys);
  for (const sp of test.streams) {
    const bytes = sp.sender ? sp.bytes_sent_this_interval : sp.bytes_received_this_interval;
    const start = sp.intervals.length > 0 ? sp.end_us : sp.start_us;
    sp.end_us = now;
    sp.intervals.push({ bytes_transferred: bytes, start_us: start, end_us: now, duration: Math.fround(diff_secs(start, now)), omitted: test.omitting, interval_retrans: 0 });
    sp.bytes_sent_this_interval = 0;
    sp.bytes_received_this_interval = 0;
  }
}

/** iperf_reset_stats(): the omitted pre-test is over; counting starts again from now. */
export function iperf_reset_stats(test: IperfTest): void {
  const now = now_us(test.sys);
  test.bytes_sent = 0;
  test.blocks_sent = 0;
  for (const sp of test.streams) {
    sp.bytes_sent_omit = sp.bytes_sent;
    sp.bytes_received = 0;
    sp.bytes_sent_this_interval = 0;
    sp.bytes_received_this_interval = 0;
    sp.stream_retrans = 0;
    sp.start_us = now;
  }
}

/** iperf_reporter_callback(): intervals while running; the last interval and the summary at the end. */
export function iperf_reporter_callback(test: IperfTest): void {
  if (test.state === TEST_RUNNING) iperf_print_intermediate(test);
  else if (test.state === TEST_END || test.state === DISPLAY_RESULTS) {
    iperf_print_intermediate(test);
    iperf_print_results(test);
  }
}

const mine = (test: IperfTest, sp: IperfStream): boolean => sp.sender === (test.mode === SENDER);

function iperf_print_intermediate(test: IperfTest): void {
  // Leave out a very short last interval with nothing in it (the control messages that end a test
  // can trail the data by a little): under 10% of the interval and no bytes.
  let interval_ok = false;
  for (const sp of test.streams) {
    const irp = sp.intervals[sp.intervals.length - 1];
    if (irp !== undefined && (diff_secs(irp.start_us, irp.end_us) >= test.stats_interval * 0.1 || irp.bytes_transferred > 0)) interval_ok = true;
  }
  if (!interval_ok) return;
  let json_streams: JsonObject[] | null = null;
  let json_interval: JsonObject | null = null;
  if (test.json_output) {
    json_streams = [];
    json_interval = { streams: json_streams };
    test.json_intervals.push(json_interval);
  }
  let bytes = 0;
  for (const sp of test.streams) {
    if (!mine(test, sp)) continue;
    print_interval_results(test, sp, json_streams);
    bytes += sp.intervals[sp.intervals.length - 1]!.bytes_transferred;
  }
  if (test.num_streams > 1 || test.json_output) {
    const sp = test.streams[0];
    if (sp === undefined) return;
    const irp = sp.intervals[sp.intervals.length - 1]!;
    const bandwidth = bytes / irp.duration;
    const start = diff_secs(sp.start_us, irp.start_us);
    const end = diff_secs(sp.start_us, irp.end_us);
    if (json_interval !== null) {
      json_interval.sum = { start, end, seconds: irp.duration, bytes, bits_per_second: bandwidth * 8, omitted: test.omitting, sender: test.mode === SENDER };
    } else {
      iperf_printf(test, report_bw_format("SUM", "", start, end, unit_snprintf(bytes, "A"), unit_snprintf(bandwidth, test.unit_format), test.omitting ? report_omitted : ""));
    }
  }
}

function print_interval_results(test: IperfTest, sp: IperfStream, json_streams: JsonObject[] | null): void {
  const irp = sp.intervals[sp.intervals.length - 1]!;
  if (!test.json_output && sp === test.streams[0]) {
    // The first interval gets the header; later ones a separator when there are several streams.
    // (iperf3 compares the stream's start with the interval's; after -O's reset the two can only
    // be equal on a virtual clock, where it would print the header twice.)
    if (sp.intervals.length === 1) iperf_printf(test, test.sender_has_retransmits === 1 ? report_bw_retrans_cwnd_header : report_bw_header);
    else if (test.num_streams > 1) iperf_printf(test, report_bw_separator);
  }
  const bandwidth = irp.duration > 0 ? irp.bytes_transferred / irp.duration : 0;
  const st = diff_secs(sp.start_us, irp.start_us);
  const et = diff_secs(sp.start_us, irp.end_us);
  if (json_streams !== null) {
    json_streams.push({ socket: sp.fd, start: st, end: et, seconds: irp.duration, bytes: irp.bytes_transferred, bits_per_second: bandwidth * 8, omitted: irp.omitted, sender: sp.sender });
  } else {
    iperf_printf(test, report_bw_format(stream_tag(sp.fd), "", st, et, unit_snprintf(irp.bytes_transferred, "A"), unit_snprintf(bandwidth, test.unit_format), irp.omitted ? report_omitted : ""));
  }
}

function iperf_print_results(test: IperfTest): void {
  const json_streams: JsonObject[] = [];
  const must_be_sender = test.mode === SENDER;
  const retrans = test.sender_has_retransmits !== 0;
  if (test.json_output) test.json_end.streams = json_streams;
  else {
    iperf_printf(test, report_bw_separator);
    if (test.verbose) iperf_printf(test, report_summary);
    iperf_printf(test, retrans || test.other_side_has_retransmits !== 0 ? report_bw_retrans_header : report_bw_header);
  }
  let total_retransmits = 0;
  let total_sent = 0;
  let total_received = 0;
  let sender_time = 0;
  let receiver_time = 0;
  const start_time = 0;
  const first = test.streams[0];
  if (first !== undefined) {
    // Each side's duration: ours, and the peer's from its results (iperf 3.1 and older sent none).
    const end_time = diff_secs(first.start_us, first.end_us);
    if (first.sender) {
      first.sender_time = end_time;
      if (first.receiver_time === 0) first.receiver_time = first.sender_time;
    } else {
      first.receiver_time = end_time;
      if (first.sender_time === 0) first.sender_time = first.receiver_time;
    }
    sender_time = first.sender_time;
    receiver_time = first.receiver_time;
    for (const sp of test.streams) {
      if (!mine(test, sp)) continue;
      const bytes_sent = sp.bytes_sent - sp.bytes_sent_omit;
      const bytes_received = sp.bytes_received;
      total_sent += bytes_sent;
      total_received += bytes_received;
      if (retrans) total_retransmits += sp.stream_retrans;
      const tag = stream_tag(sp.fd);
      let bandwidth = sender_time > 0 ? bytes_sent / sender_time : 0;
      let ubuf = unit_snprintf(bytes_sent, "A");
      let nbuf = unit_snprintf(bandwidth, test.unit_format);
      const js: JsonObject = {};
      if (test.json_output) json_streams.push(js);
      if (test.json_output) {
        js.sender = retrans
          ? { socket: sp.fd, start: start_time, end: sender_time, seconds: sender_time, bytes: bytes_sent, bits_per_second: bandwidth * 8, retransmits: sp.stream_retrans, max_snd_cwnd: 0, max_snd_wnd: 0, max_rtt: 0, min_rtt: 0, mean_rtt: 0, sender: must_be_sender }
          : { socket: sp.fd, start: start_time, end: sender_time, seconds: sender_time, bytes: bytes_sent, bits_per_second: bandwidth * 8, sender: must_be_sender };
      } else if (test.role === "s" && !sp.sender) {
        if (test.verbose) iperf_printf(test, `[${fmt_d(sp.fd, 3)}] (sender statistics not available)\n`);
      } else if (retrans) iperf_printf(test, report_bw_retrans_format(tag, "", start_time, sender_time, ubuf, nbuf, sp.stream_retrans, report_sender));
      else iperf_printf(test, report_bw_format(tag, "", start_time, sender_time, ubuf, nbuf, report_sender));
      ubuf = unit_snprintf(bytes_received, "A");
      bandwidth = receiver_time > 0 ? bytes_received / receiver_time : 0;
      nbuf = unit_snprintf(bandwidth, test.unit_format);
      if (test.json_output) {
        js.receiver = { socket: sp.fd, start: start_time, end: receiver_time, seconds: end_time, bytes: bytes_received, bits_per_second: bandwidth * 8, sender: must_be_sender };
      } else if (test.role === "s" && sp.sender) {
        if (test.verbose) iperf_printf(test, `[${fmt_d(sp.fd, 3)}] (receiver statistics not available)\n`);
      } else iperf_printf(test, report_bw_format(tag, "", start_time, receiver_time, ubuf, nbuf, report_receiver));
    }
  }
  if (test.num_streams > 1 || test.json_output) {
    let bandwidth = sender_time > 0 ? total_sent / sender_time : 0;
    const ubuf = unit_snprintf(total_sent, "A");
    const nbuf = unit_snprintf(bandwidth, test.unit_format);
    if (test.json_output) {
      test.json_end.sum_sent = retrans
        ? { start: start_time, end: sender_time, seconds: sender_time, bytes: total_sent, bits_per_second: bandwidth * 8, retransmits: total_retransmits, sender: must_be_sender }
        : { start: start_time, end: sender_time, seconds: sender_time, bytes: total_sent, bits_per_second: bandwidth * 8, sender: must_be_sender };
    } else if (test.role === "s" && !must_be_sender) {
      if (test.verbose) iperf_printf(test, "[SUM] (sender statistics not available)\n");
    } else if (retrans) iperf_printf(test, report_bw_retrans_format("SUM", "", start_time, sender_time, ubuf, nbuf, total_retransmits, report_sender));
    else iperf_printf(test, report_bw_format("SUM", "", start_time, sender_time, ubuf, nbuf, report_sender));
    bandwidth = receiver_time > 0 ? total_received / receiver_time : 0;
    const rbuf = unit_snprintf(total_received, "A");
    const rnbuf = unit_snprintf(bandwidth, test.unit_format);
    if (test.json_output) {
      test.json_end.sum_received = { start: start_time, end: receiver_time, seconds: receiver_time, bytes: total_received, bits_per_second: bandwidth * 8, sender: must_be_sender };
    } else if (test.role === "s" && must_be_sender) {
      if (test.verbose) iperf_printf(test, "[SUM] (receiver statistics not available)\n");
    } else iperf_printf(test, report_bw_format("SUM", "", start_time, receiver_time, rbuf, rnbuf, report_receiver));
  }
  const snd_cong = must_be_sender ? test.congestion_used : test.remote_congestion_used;
  const rcv_cong = must_be_sender ? test.remote_congestion_used : test.congestion_used;
  if (test.json_output) {
    const [ht, hu, hs] = test.cpu_util;
    const [rt, ru, rs] = test.remote_cpu_util;
    test.json_end.cpu_utilization_percent = { host_total: ht, host_user: hu, host_system: hs, remote_total: rt, remote_user: ru, remote_system: rs };
    if (test.protocol === Ptcp) {
      if (snd_cong !== null) test.json_end.sender_tcp_congestion = snd_cong;
      if (rcv_cong !== null) test.json_end.receiver_tcp_congestion = rcv_cong;
    }
    return;
  }
  if (test.verbose) {
    if (must_be_sender) {
      iperf_printf(test, report_cpu(report_sender, test.cpu_util[0], test.cpu_util[1], test.cpu_util[2], report_receiver, test.remote_cpu_util[0], test.remote_cpu_util[1], test.remote_cpu_util[2]));
    }
    if (snd_cong !== null) iperf_printf(test, `snd_tcp_congestion ${snd_cong}\n`);
    if (rcv_cong !== null) iperf_printf(test, `rcv_tcp_congestion ${rcv_cong}\n`);
  }
  if (test.role === "c" && test.get_server_output) {
    if (test.json_server_output !== null) {
      iperf_printf(test, `\nServer JSON output:\n${cjson_print(test.json_server_output)}\n`);
      test.json_server_output = null;
    }
    if (test.server_output_text !== null) {
      iperf_printf(test, `\nServer output:\n${test.server_output_text}\n`);
      test.server_output_text = null;
    }
  }
}

/**
 * The timers both ends make at TEST_START (iperf_client_api.c's and iperf_server_api.c's
 * create_*_timers share them): interval statistics, interval reports, and the end of the -O omit
 * period, which starts the counts and both interval timers afresh.
 */
export function iperf_create_report_timers(test: IperfTest, now: number): void {
  const t = test.timers;
  if (test.stats_interval !== 0) test.stats_timer = t.create(now, () => !test.done && iperf_stats_callback(test), Math.round(test.stats_interval * 1e6), true);
  if (test.reporter_interval !== 0) test.reporter_timer = t.create(now, () => !test.done && iperf_reporter_callback(test), Math.round(test.reporter_interval * 1e6), true);
  if (test.omit === 0) test.omitting = false;
  else {
    test.omitting = true;
    test.omit_timer = t.create(now, (at) => {
      test.omit_timer = null;
      test.omitting = false;
      iperf_reset_stats(test);
      if (test.verbose && !test.json_output && test.reporter_interval === 0) iperf_printf(test, report_omit_done);
      if (test.stats_timer !== null) t.reset(at, test.stats_timer);
      if (test.reporter_timer !== null) t.reset(at, test.reporter_timer);
    }, test.omit * 1e6, false);
  }
}
