/**
 * iperf3 between two in-process machines (10.0.0.1 client, 10.0.0.2 server) on the virtual clock:
 * the reports both ends print (iperf3 3.12's lines), -n and -R and -P, -J's JSON, one test after
 * another with "the server is busy" for a second client, ^C on either end, parameter errors. Two
 * scripted peers written from iperf3's source check the wire protocol itself — what our client
 * sends and reads, what our server sends and reads — byte for byte where iperf3 fixes the bytes.
 * The lines that the real iperf3 3.12 prints in the same situations are quoted where they matter.
 */
import { describe, expect, it } from "vitest";
import { MSG_WAITALL } from "../../include/uapi/in.ts";
import { cjson_int, cjson_number, cjson_parse_object, cjson_print } from "../../userland/lib/iperf_json.ts";
import { MIN_PERIOD_US, TimerList } from "../../userland/lib/iperf_timer.ts";
import { fmt_f, unit_snprintf } from "../../userland/lib/iperf_locale.ts";
import { tcp_listen, tcp_pair, tcp_socket, Y_IP, type Host, type Pair } from "../net/tcp_harness.ts";

const SEP = "- - - - - - - - - - - - - - - - - - - - - - - - -";
const HEADER = "[ ID] Interval           Transfer     Bitrate";
const RULE = "-----------------------------------------------------------";

const out = (h: Host): string => h.m.machine.console_output;
const lines = (h: Host): string[] => out(h).split("\n");

/** The JSON document a -J run printed (from its first "{" line to the "}" line that closes it). */
function json_of(text: string): Record<string, any> {
  const start = text.indexOf("{\n");
  const end = text.indexOf("\n}\n", start);
  return JSON.parse(text.slice(start, end + 2)) as Record<string, any>;
}

describe("iperf3 client and server", () => {
  it("a timed test: both ends print iperf3's report, and the byte counts agree", async () => {
    const p = await tcp_pair({ cmd_y: "iperf3 -s; echo y-rc=$?", cmd_x: "sleep 0.2; iperf3 -c 10.0.0.2 -t 1; echo rc=$?" });
    await p.step(3e9);
    const x = lines(p.x);
    expect(x[0]).toBe("Connecting to host 10.0.0.2, port 5201");
    const conn = /^\[  (\d)\] local 10\.0\.0\.1 port (\d+) connected to 10\.0\.0\.2 port 5201$/.exec(x[1]!)!;
    expect(conn).not.toBeNull();
    const id = conn[1]!;
    expect(x[2]).toBe(HEADER);
    // Full speed over the 1 Gb/s wire: 941 Mbit/s of payload.
    expect(x[3]).toMatch(new RegExp(`^\\[  ${id}\\]   0\\.00-1\\.00   sec   11\\d MBytes   9[34]\\d Mbits/sec                  $`));
    expect(x[4]).toBe(SEP);
    expect(x[5]).toBe(HEADER);
    const sent = new RegExp(`^\\[  ${id}\\]   0\\.00-1\\.00   sec  (.{4} \\S+)  (.{4} \\S+)                  sender$`).exec(x[6]!);
    const recd = new RegExp(`^\\[  ${id}\\]   0\\.00-1\\.00   sec  (.{4} \\S+)  (.{4} \\S+)                  receiver$`).exec(x[7]!);
    expect(sent).not.toBeNull();
    expect(recd).not.toBeNull();
    expect(x.slice(8, 11)).toEqual(["", "iperf Done.", "rc=0"]);

    const y = lines(p.y);
    expect(y.slice(0, 3)).toEqual([RULE, "Server listening on 5201 (test #1)", RULE]);
    expect(y[3]).toMatch(/^Accepted connection from 10\.0\.0\.1, port \d+$/);
    expect(y[4]).toBe(`[  5] local 10.0.0.2 port 5201 connected to 10.0.0.1 port ${conn[2]}`);
    expect(y[5]).toBe(HEADER);
    expect(y[6]).toMatch(/^\[  5\]   0\.00-1\.00   sec   11\d MBytes   9[34]\d Mbits\/sec                  $/);
    // The server's own total is what the client printed as the receiver's.
    const summary = y.indexOf(SEP);
    expect(y[summary + 1]).toBe(HEADER);
    expect(y[summary + 2]).toMatch(new RegExp(`^\\[  5\\]   0\\.00-1\\.00   sec  ${recd![1]}  .{4} \\S+                  receiver$`));
    // …and it serves the next test.
    expect(y.slice(summary + 3, summary + 6)).toEqual([RULE, "Server listening on 5201 (test #2)", RULE]);
  });

  it("-n: the client sends exactly that many bytes; -J prints iperf3's JSON on both ends", async () => {
    const p = await tcp_pair({ cmd_y: "iperf3 -s -1 -J; echo y-rc=$?", cmd_x: "sleep 0.2; iperf3 -c 10.0.0.2 -n 3M -J; echo rc=$?" });
    await p.step(2e9);
    expect(out(p.x)).toMatch(/\n}\nrc=0\n$/);
    expect(out(p.y)).toMatch(/\n}\ny-rc=0\n$/);
    const c = json_of(out(p.x));
    const s = json_of(out(p.y));
    expect(Object.keys(c)).toEqual(["start", "intervals", "end"]);
    expect(Object.keys(c.start)).toEqual(["connected", "version", "system_info", "timestamp", "connecting_to", "cookie", "tcp_mss_default", "target_bitrate", "sock_bufsize", "sndbuf_actual", "rcvbuf_actual", "test_start"]);
    expect(c.start.version).toBe("iperf 3.12");
    expect(c.start.connecting_to).toEqual({ host: "10.0.0.2", port: 5201 });
    expect(c.start.cookie).toMatch(/^[a-z2-7]{36}$/);
    expect(s.start.cookie).toBe(c.start.cookie);
    expect(c.start.tcp_mss_default).toBe(1448);
    expect(c.start.test_start).toEqual({ protocol: "TCP", num_streams: 1, blksize: 131072, omit: 0, duration: 0, bytes: 3145728, blocks: 0, reverse: 0, tos: 0, target_bitrate: 0 });
    const cs = c.start.connected[0];
    expect(Object.keys(cs)).toEqual(["socket", "local_host", "local_port", "remote_host", "remote_port"]);
    expect(s.start.connected[0]).toMatchObject({ local_host: "10.0.0.2", local_port: 5201, remote_host: "10.0.0.1", remote_port: cs.local_port });
    expect(s.start.accepted_connection.host).toBe("10.0.0.1");
    // The sender wrote exactly -n bytes (24 blocks of 128 KiB); what the receiver counted before
    // TEST_END reached it is what both ends report as received.
    expect(c.end.sum_sent).toMatchObject({ start: 0, bytes: 3145728, sender: true });
    expect(c.end.streams[0].sender.bytes).toBe(3145728);
    expect(c.intervals.reduce((n: number, i: any) => n + i.sum.bytes, 0)).toBe(3145728);
    const received = s.end.sum_received.bytes as number;
    expect(received).toBeGreaterThan(2_000_000);
    expect(received).toBeLessThanOrEqual(3145728);
    expect(c.end.sum_received.bytes).toBe(received);
    expect(c.end.streams[0].receiver.bytes).toBe(received);
    expect(s.end.sum_sent.bytes).toBe(0); // the server prints before the results exchange, as iperf3
    expect(Object.keys(c.end)).toEqual(["streams", "sum_sent", "sum_received", "cpu_utilization_percent"]);
    expect(Object.keys(c.end.streams[0].sender)).toEqual(["socket", "start", "end", "seconds", "bytes", "bits_per_second", "sender"]);
    expect(Object.keys(c.intervals[0].streams[0])).toEqual(["socket", "start", "end", "seconds", "bytes", "bits_per_second", "omitted", "sender"]);
    // cJSON_Print's layout: tabs, "key":<TAB>value, arrays of objects as [{ … }].
    expect(out(p.x)).toContain('{\n\t"start":\t{\n\t\t"connected":\t[{\n\t\t\t\t"socket":\t');
  });

  it("-R -P 2: the server sends on two streams; both ends print per-stream and [SUM] lines", async () => {
    const p = await tcp_pair({ cmd_y: "iperf3 -s -1; echo y-rc=$?", cmd_x: "sleep 0.2; iperf3 -c 10.0.0.2 -R -P 2 -t 2 -b 8M; echo rc=$?" });
    await p.step(4e9);
    const x = lines(p.x);
    expect(x.slice(0, 2)).toEqual(["Connecting to host 10.0.0.2, port 5201", "Reverse mode, remote host 10.0.0.2 is sending"]);
    const ids = [x[2]!, x[3]!].map((l) => /^\[  (\d)\] local 10\.0\.0\.1 port \d+ connected to 10\.0\.0\.2 port 5201$/.exec(l)![1]!);
    const row = (id: string, span: string, tail: string): RegExp => new RegExp(`^\\[${id === "SUM" ? "SUM" : `  ${id}`}\\]   ${span.replace(/\./g, "\\.")}   sec  .{4} \\S+  .{4} \\S+                  ${tail}$`);
    expect(x[4]).toBe(HEADER);
    expect(x[5]).toMatch(row(ids[0]!, "0.00-1.00", ""));
    expect(x[6]).toMatch(row(ids[1]!, "0.00-1.00", ""));
    expect(x[7]).toMatch(row("SUM", "0.00-1.00", ""));
    expect(x[8]).toBe(SEP);
    expect(x[9]).toMatch(row(ids[0]!, "1.00-2.00", ""));
    expect(x[11]).toMatch(row("SUM", "1.00-2.00", ""));
    expect(x[12]).toBe(SEP);
    expect(x[13]).toBe(HEADER);
    expect(x[14]).toMatch(row(ids[0]!, "0.00-2.00", "sender"));
    expect(x[15]).toMatch(row(ids[0]!, "0.00-2.00", "receiver"));
    expect(x[16]).toMatch(row(ids[1]!, "0.00-2.00", "sender"));
    expect(x[17]).toMatch(row(ids[1]!, "0.00-2.00", "receiver"));
    expect(x[18]).toMatch(row("SUM", "0.00-2.00", "sender"));
    expect(x[19]).toMatch(row("SUM", "0.00-2.00", "receiver"));
    expect(x.slice(20, 23)).toEqual(["", "iperf Done.", "rc=0"]);
    // 8 Mbit/s per stream, paced in 128 KiB blocks.
    expect(x[18]).toContain("  4.00 MBytes  16.8 Mbits/sec");
    // The server is the sender: its summary has the sender lines only (the receiver's are the client's).
    const y = lines(p.y);
    const summary = y.lastIndexOf(SEP);
    expect(y.slice(summary + 1, summary + 5).map((l) => l.replace(/^\[  \d\]/, "[  n]").replace(/sec  .*sec/, "sec …"))).toEqual([
      HEADER,
      "[  n]   0.00-2.00   sec …                  sender",
      "[  n]   0.00-2.00   sec …                  sender",
      "[SUM]   0.00-2.00   sec …                  sender",
    ]);
    // What each stream's sender line says on the client came from the server's results.
    expect(y[summary + 4]!.slice(5)).toBe(x[18]!.slice(5));
    expect(y.slice(summary + 5)).toEqual(["y-rc=0", ""]);
  });

  it("-R -n -J: the client stops once it has received -n bytes; the server's results give the sender's side", async () => {
    const p = await tcp_pair({ cmd_y: "iperf3 -s -1 -J; echo y-rc=$?", cmd_x: "sleep 0.2; iperf3 -c 10.0.0.2 -R -n 2M -l 64K -J; echo rc=$?" });
    await p.step(2e9);
    const c = json_of(out(p.x));
    const s = json_of(out(p.y));
    expect(c.start.test_start).toMatchObject({ blksize: 65536, bytes: 2097152, reverse: 1 });
    expect(c.end.sum_received.sender).toBe(false);
    expect(c.end.sum_received.bytes).toBeGreaterThanOrEqual(2097152);
    expect(c.end.sum_received.bytes).toBeLessThan(2097152 + 65536);
    expect(s.end.sum_sent.bytes % 65536).toBe(0); // whole blocks
    expect(s.end.sum_sent.bytes).toBeGreaterThanOrEqual(c.end.sum_received.bytes);
    expect(c.end.sum_sent.bytes).toBe(s.end.sum_sent.bytes);
  });

  it("serves one test at a time: a second client hears the server is busy; -1 exits after one test", async () => {
    const p = await tcp_pair({
      // (y stays up after its server exits: a machine whose command has finished is off.)
      cmd_y: "iperf3 -s -1; echo y-rc=$?; sleep 1000",
      cmd_x: "sleep 0.2; iperf3 -c 10.0.0.2 -t 2 -b 10M & sleep 0.5; iperf3 -c 10.0.0.2 -t 1; echo busy-rc=$?; sleep 3; iperf3 -c 10.0.0.2 -t 1; echo late-rc=$?",
    });
    await p.step(6e9);
    expect(out(p.x)).toContain("\niperf3: error - the server is busy running a test. try again later\nbusy-rc=1\n");
    expect(out(p.x)).toContain("\niperf Done.\n");
    expect(out(p.x)).toMatch(/iperf3: error - unable to connect to server: Connection refused\nlate-rc=1\n$/);
    expect(out(p.y)).toMatch(/receiver\ny-rc=0\n$/);
    expect(out(p.y)).not.toContain("test #2");
    expect(out(p.y).match(/Accepted connection/g)).toHaveLength(1);
  });

  it("^C on the client: it reports what it has and tells the server, which goes on; ^C on the server ends the client's test", async () => {
    const p = await tcp_pair({ cmd_y: "iperf3 -s; echo y-rc=$?", cmd_x: "sleep 0.2; iperf3 -c 10.0.0.2 -t 10 -b 10M; echo rc=$?; iperf3 -c 10.0.0.2 -t 10 -b 10M -R; echo rc=$?" });
    await p.step(1.5e9);
    p.x.m.machine.uart.receive("\x03");
    await p.step(1e9);
    // As iperf3 3.12 (checked against it): the partial interval, then the summary — with nothing
    // received as far as the client knows, since the results were never exchanged. No "^C" before
    // it: a -c run's console does not echo (ECHO off), where a terminal would show one. The shell goes on with
    // the next command, since iperf3 handled the SIGINT rather than dying of it (as bash -c does).
    expect(out(p.x)).toMatch(
      /\[  \d\]   1\.00-2\.00   sec  1\.25 MBytes  10\.5 Mbits\/sec {18}\n\[  \d\]   2\.00-2\.\d\d   sec   \d{3} KBytes  .{4} Mbits\/sec {18}\n- - - - - - - - - - - - - - - - - - - - - - - - -\n\[ ID\] Interval {11}Transfer {5}Bitrate\n\[  \d\]   0\.00-2\.\d\d   sec  .{4} MBytes  .{4} Mbits\/sec {18}sender\n\[  \d\]   0\.00-2\.\d\d   sec  0\.00 Bytes  0\.00 bits\/sec {18}receiver\niperf3: interrupt - the client has terminated\nrc=1\n/,
    );
    // The server prints its summary (its last interval again, as iperf3 does) and waits for the next test.
    expect(out(p.y)).toMatch(/receiver\niperf3: the client has terminated\n-{59}\nServer listening on 5201 \(test #2\)\n/);
    await p.step(2e9);
    p.y.m.machine.uart.receive("\x03");
    await p.step(1e9);
    expect(out(p.y)).toMatch(/\n\[  \d\]   \d\.\d\d-\d\.\d\d   sec  .{4} MBytes  .{4} Mbits\/sec {18}\n- - - - - - - - - - - - - - - - - - - - - - - - -\n\[ ID\] Interval {11}Transfer {5}Bitrate\n\[  \d\]   0\.00-\d\.\d\d   sec  .{4} MBytes  .{4} Mbits\/sec {18}sender\niperf3: interrupt - the server has terminated\ny-rc=1\n$/);
    expect(out(p.x)).toMatch(/receiver\niperf3: error - the server has terminated\nrc=1\n$/);
  });

  it("refuses what it does not do, and iperf3's parameter errors", async () => {
    const p = await tcp_pair({
      cmd_x: "iperf3 -c 10.0.0.2 -p 5999; echo rc=$?; iperf3 -c 10.0.0.2 -u; echo rc=$?; iperf3 -c 10.0.0.2 --bidir; echo rc=$?; iperf3 -x; echo rc=$?; iperf3 -c 10.0.0.2 -t 1 -n 1M; echo rc=$?; iperf3 -s -R; echo rc=$?; iperf3 -c 10.0.0.2 -P 200; echo rc=$?; iperf3; echo rc=$?; iperf3 -c nosuch.invalid; echo rc=$?; iperf3 -c 10.0.0.9 --connect-timeout 500; echo rc=$?; cat /proc/uptime",
    });
    await p.step(15e9);
    const errors = lines(p.x).filter((l) => l.startsWith("iperf3:") || l.startsWith("rc="));
    expect(errors).toEqual([
      "iperf3: error - unable to connect to server: Connection refused",
      "rc=1",
      "iperf3: parameter error - UDP (-u) is not supported by this iperf3 (it runs TCP tests over IPv4)",
      "rc=1",
      "iperf3: parameter error - --bidir is not supported by this iperf3 (it runs TCP tests over IPv4)",
      "rc=1",
      "iperf3: invalid option -- 'x'",
      "rc=1",
      "iperf3: parameter error - only one test end condition (-t, -n, -k) may be specified",
      "rc=1",
      "iperf3: parameter error - some option you are trying to set is client only",
      "rc=1",
      "iperf3: parameter error - number of parallel streams too large (maximum = 128)",
      "rc=1",
      "iperf3: parameter error - must either be a client (-c) or server (-s)",
      "rc=1",
      "iperf3: error - unable to connect to server: Temporary failure in name resolution",
      "rc=1",
      // Nobody at 10.0.0.9: --connect-timeout gives up before ARP does (3 s).
      "iperf3: error - unable to connect to server: Connection timed out",
      "rc=1",
    ]);
    expect(out(p.x)).toContain("Usage: iperf3 [-s|-c host] [options]\n");
    expect(out(p.x)).toMatch(/\n0\.5\d /); // /proc/uptime: all of it took the half second of --connect-timeout
  });
});

/* ---- the wire protocol, against peers scripted from iperf3's source ---- */

const enc = new TextEncoder();
const dec = new TextDecoder();

async function recv_exact(h: Host, fd: number, n: number): Promise<Uint8Array> {
  const b = new Uint8Array(n);
  const r = n === 0 ? 0 : await h.ctl().recv(fd, b, MSG_WAITALL);
  if (r !== n) throw new Error(`recv ${n}: ${r}`);
  return b;
}
const send = (h: Host, fd: number, b: Uint8Array): Promise<number> => h.ctl().send(fd, b);
async function recv_json(h: Host, fd: number): Promise<string> {
  const head = await recv_exact(h, fd, 4);
  return dec.decode(await recv_exact(h, fd, new DataView(head.buffer).getUint32(0)));
}
function json_msg(text: string): Uint8Array {
  const t = enc.encode(text);
  const m = new Uint8Array(4 + t.length);
  new DataView(m.buffer).setUint32(0, t.length);
  m.set(t, 4);
  return m;
}
/** Read a stream until its end, counting. */
async function drain(h: Host, fd: number): Promise<number> {
  const b = new Uint8Array(65536);
  let n = 0;
  for (;;) {
    const r = await h.ctl().recv(fd, b);
    if (r <= 0) return n;
    n += r;
  }
}
async function run(p: Pair, what: { done: boolean; error?: unknown }, ns: number): Promise<void> {
  await p.until(() => what.done, ns);
  if (what.error !== undefined) throw what.error;
  expect(what.done).toBe(true);
}

describe("iperf3's wire protocol", () => {
  it("our client: cookie, parameters, streams, TEST_END, results, IPERF_DONE — as iperf3 3.12's server sees them", async () => {
    // (the client starts once the scripted server listens: tcp_pair has run a second already)
    const p = await tcp_pair({ cmd_x: "sleep 1.5; iperf3 -c 10.0.0.2 -t 1 -b 16M -J; echo rc=$?" });
    const y = p.y;
    const seen: Record<string, unknown> = {};
    // The results a 3.12 server sends as the receiver: its -1s printed as uint64 (cJSON's PRIu64).
    const server_results =
      '{"cpu_util_total":41.055513712108649,"cpu_util_user":0,"cpu_util_system":41.05531392907303,"sender_has_retransmits":18446744073709551615,"congestion_used":"cubic","streams":[{"id":1,"bytes":2000000,"retransmits":18446744073709551615,"jitter":0,"errors":0,"packets":0,"start_time":0,"end_time":1.000123}]}';
    const server = y.spawn(async () => {
      const lfd = tcp_listen(y, 5201);
      const ctrl = (await y.ctl().accept(y.owner, lfd, 0)) as { fd: number };
      seen.cookie = dec.decode(await recv_exact(y, ctrl.fd, 37));
      await send(y, ctrl.fd, Uint8Array.of(9)); // PARAM_EXCHANGE
      seen.params = await recv_json(y, ctrl.fd);
      await send(y, ctrl.fd, Uint8Array.of(10)); // CREATE_STREAMS
      const data = (await y.ctl().accept(y.owner, lfd, 0)) as { fd: number };
      seen.stream_cookie = dec.decode(await recv_exact(y, data.fd, 37));
      await send(y, ctrl.fd, Uint8Array.of(1, 2)); // TEST_START, TEST_RUNNING
      const counted = y.spawn(() => drain(y, data.fd));
      seen.test_end = (await recv_exact(y, ctrl.fd, 1))[0];
      await send(y, ctrl.fd, Uint8Array.of(13)); // EXCHANGE_RESULTS
      seen.results = await recv_json(y, ctrl.fd);
      await send(y, ctrl.fd, json_msg(server_results));
      await send(y, ctrl.fd, Uint8Array.of(14)); // DISPLAY_RESULTS
      seen.done = (await recv_exact(y, ctrl.fd, 1))[0];
      seen.eof = await y.ctl().recv(ctrl.fd, new Uint8Array(1));
      return counted;
    });
    await run(p, server, 4e9);
    await p.until(() => server.value!.done, 1e9);
    seen.counted = server.value!.value;
    expect(seen.cookie).toMatch(/^[a-z2-7]{36}\0$/);
    expect(seen.stream_cookie).toBe(seen.cookie);
    // Exactly what iperf3 3.12's client sends for -t 1 -b 16M (key order included).
    expect(seen.params).toBe('{"tcp":true,"omit":0,"time":1,"num":0,"blockcount":0,"parallel":1,"len":131072,"bandwidth":16000000,"pacing_timer":1000,"client_version":"3.12"}');
    expect(seen.test_end).toBe(4);
    expect(seen.done).toBe(16);
    expect(seen.eof).toBe(0);
    const r = JSON.parse(seen.results as string);
    expect(Object.keys(r)).toEqual(["cpu_util_total", "cpu_util_user", "cpu_util_system", "sender_has_retransmits", "streams"]);
    expect(r.sender_has_retransmits).toBe(0); // a sender without TCP_INFO
    expect(Object.keys(r.streams[0])).toEqual(["id", "bytes", "retransmits", "jitter", "errors", "packets", "start_time", "end_time"]);
    expect(r.streams[0]).toMatchObject({ id: 1, retransmits: -1, jitter: 0, errors: 0, packets: 0, start_time: 0, end_time: 1 });
    expect(r.streams[0].bytes).toBe(16 * 131072); // 16 Mbit/s for 1 s in whole 128 KiB blocks
    expect(seen.counted).toBe(r.streams[0].bytes);
    // The client took the server's figures, -1 as 18446744073709551615 included.
    await p.step(0.2e9);
    const c = json_of(out(p.x));
    expect(c.end.sum_received).toEqual({ start: 0, end: 1.000123, seconds: 1.000123, bytes: 2000000, bits_per_second: 2000000 * 8 / 1.000123, sender: true });
    expect(c.end.cpu_utilization_percent.remote_total).toBe(41.055513712108649);
    expect(c.end.receiver_tcp_congestion).toBe("cubic");
    expect(out(p.x)).toMatch(/\n}\nrc=0\n$/);
  });

  it("our server: stream cookies checked, reverse mode, results both ways — as iperf3 3.12's client sees them", async () => {
    const p = await tcp_pair({ cmd_y: "iperf3 -s -1; echo y-rc=$?; sleep 1000" });
    const x = p.x;
    const cookie = "abcdefghijklmnopqrstuvwxyz234567abcd";
    const seen: Record<string, unknown> = {};
    const client = x.spawn(async () => {
      const ctrl = tcp_socket(x);
      if ((await x.ctl().connect(ctrl, Y_IP, 5201)) !== 0) throw new Error("connect");
      await send(x, ctrl, enc.encode(cookie + "\0"));
      seen.param_exchange = (await recv_exact(x, ctrl, 1))[0];
      await send(x, ctrl, json_msg('{"tcp":true,"omit":0,"time":1,"num":0,"blockcount":0,"parallel":1,"reverse":true,"len":65536,"pacing_timer":1000,"client_version":"3.12"}'));
      seen.create_streams = (await recv_exact(x, ctrl, 1))[0];
      // A stream with somebody else's cookie is turned away (ACCESS_DENIED, then closed).
      const intruder = tcp_socket(x);
      await x.ctl().connect(intruder, Y_IP, 5201);
      await send(x, intruder, enc.encode("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\0"));
      seen.denied = [...(await recv_exact(x, intruder, 1))];
      seen.denied_eof = await x.ctl().recv(intruder, new Uint8Array(1));
      const data = tcp_socket(x);
      await x.ctl().connect(data, Y_IP, 5201);
      await send(x, data, enc.encode(cookie + "\0"));
      seen.start = [...(await recv_exact(x, ctrl, 2))];
      return { ctrl, counted: x.spawn(() => drain(x, data)) };
    });
    await run(p, client, 2e9);
    expect(seen).toMatchObject({ param_exchange: 9, create_streams: 10, denied: [255], denied_eof: 0, start: [1, 2] });
    await p.step(1e9); // the server sends for a second
    const { ctrl, counted } = client.value!;
    const end = x.spawn(async () => {
      await send(x, ctrl, Uint8Array.of(4)); // TEST_END
      seen.exchange = (await recv_exact(x, ctrl, 1))[0];
      await send(x, ctrl, json_msg('{"cpu_util_total":1.5,"cpu_util_user":0.5,"cpu_util_system":1,"sender_has_retransmits":18446744073709551615,"streams":[{"id":1,"bytes":1000,"retransmits":18446744073709551615,"jitter":0,"errors":0,"packets":0,"start_time":0,"end_time":1}]}'));
      seen.results = await recv_json(x, ctrl);
      seen.display = (await recv_exact(x, ctrl, 1))[0];
      await send(x, ctrl, Uint8Array.of(16)); // IPERF_DONE
      x.ctl().close(ctrl);
      return 0;
    });
    await run(p, end, 2e9);
    await p.until(() => counted.done, 1e9);
    expect(seen.exchange).toBe(13);
    expect(seen.display).toBe(14);
    const r = JSON.parse(seen.results as string);
    expect(Object.keys(r)).toEqual(["cpu_util_total", "cpu_util_user", "cpu_util_system", "sender_has_retransmits", "streams"]);
    expect(r.sender_has_retransmits).toBe(0);
    expect(r.streams[0]).toMatchObject({ id: 1, retransmits: -1, jitter: 0, errors: 0, packets: 0, start_time: 0 });
    expect(r.streams[0].bytes).toBeGreaterThan(100e6); // a second at full speed
    expect(counted.value).toBe(r.streams[0].bytes);
    const y = out(p.y);
    expect(y).toContain("Accepted connection from 10.0.0.1, port ");
    expect(y).toMatch(/\[ ID\] Interval {11}Transfer {5}Bitrate\n\[  \d\]   0\.00-1\.00   sec   1\d\d MBytes   9\d\d Mbits\/sec {18}sender\ny-rc=0\n$/);
  });
});

describe("iperf3 against a quiet or hostile peer (departures from 3.12)", () => {
  const cookie = "abcdefghijklmnopqrstuvwxyz234567abcd";

  it("our server: gives up on a client that sends its cookie and goes quiet; turns away a stray stream and carries on; a pacing_timer of 0 does not spin", async () => {
    const p = await tcp_pair({ cmd_y: "iperf3 -s --rcv-timeout 2000; echo y-rc=$?; sleep 1000" });
    const x = p.x;
    const seen: Record<string, unknown> = {};
    const quiet = x.spawn(async () => {
      const ctrl = tcp_socket(x);
      if ((await x.ctl().connect(ctrl, Y_IP, 5201)) !== 0) throw new Error("connect");
      await send(x, ctrl, enc.encode(cookie + "\0"));
      seen.quiet_param_exchange = (await recv_exact(x, ctrl, 1))[0];
      seen.quiet_eof = await x.ctl().recv(ctrl, new Uint8Array(1)); // and nothing more from us
      return 0;
    });
    await p.step(1.9e9);
    expect(quiet.done).toBe(false);
    await run(p, quiet, 1e9); // the server closed the quiet client after --rcv-timeout
    expect(seen).toMatchObject({ quiet_param_exchange: 9, quiet_eof: 0 });
    expect(out(p.y)).toContain("Server listening on 5201 (test #2)");

    const client = x.spawn(async () => {
      const ctrl = tcp_socket(x);
      if ((await x.ctl().connect(ctrl, Y_IP, 5201)) !== 0) throw new Error("connect");
      await send(x, ctrl, enc.encode(cookie + "\0"));
      seen.param_exchange = (await recv_exact(x, ctrl, 1))[0];
      await send(x, ctrl, json_msg('{"tcp":true,"omit":0,"time":1,"num":0,"blockcount":0,"parallel":1,"reverse":true,"len":1024,"bandwidth":8000000,"pacing_timer":0,"client_version":"3.12"}'));
      seen.create_streams = (await recv_exact(x, ctrl, 1))[0];
      // A stray connection with a short cookie: turned away, and the test goes on.
      const stray = tcp_socket(x);
      await x.ctl().connect(stray, Y_IP, 5201);
      await send(x, stray, enc.encode("short"));
      x.ctl().shutdown(stray, 1);
      seen.stray = [...(await recv_exact(x, stray, 1))];
      x.ctl().close(stray);
      const data = tcp_socket(x);
      await x.ctl().connect(data, Y_IP, 5201);
      await send(x, data, enc.encode(cookie + "\0"));
      seen.start = [...(await recv_exact(x, ctrl, 2))];
      return { ctrl, counted: x.spawn(() => drain(x, data)) };
    });
    await run(p, client, 2e9);
    expect(seen).toMatchObject({ param_exchange: 9, create_streams: 10, stray: [255], start: [1, 2] });
    await p.step(1e9); // the server paces 8 Mbit/s with its timer at the 1 ms minimum
    const { ctrl, counted } = client.value!;
    x.ctl().close(ctrl);
    await p.until(() => counted.done, 2e9);
    expect(counted.value).toBeGreaterThan(0.8e6);
    expect(counted.value).toBeLessThan(1.3e6);
    expect(out(p.y)).toContain("Server listening on 5201 (test #3)");
  });

  it("our client: gives up on a server that goes quiet before the test, and on one that never answers TEST_END while its stream stalls", async () => {
    const p = await tcp_pair({ cmd_x: "sleep 1.5; iperf3 -c 10.0.0.2 --rcv-timeout 1000; echo rc=$?; iperf3 -c 10.0.0.2 -R -n 100K --rcv-timeout 1000; echo rc=$?" });
    const y = p.y;
    const server = y.spawn(async () => {
      const lfd = tcp_listen(y, 5201);
      const quiet = (await y.ctl().accept(y.owner, lfd, 0)) as { fd: number };
      await recv_exact(y, quiet.fd, 37); // and silence
      const ctrl = (await y.ctl().accept(y.owner, lfd, 0)) as { fd: number };
      await recv_exact(y, ctrl.fd, 37);
      await send(y, ctrl.fd, Uint8Array.of(9)); // PARAM_EXCHANGE
      await recv_json(y, ctrl.fd);
      await send(y, ctrl.fd, Uint8Array.of(10)); // CREATE_STREAMS
      const data = (await y.ctl().accept(y.owner, lfd, 0)) as { fd: number };
      await recv_exact(y, data.fd, 37);
      await send(y, ctrl.fd, Uint8Array.of(1, 2)); // TEST_START, TEST_RUNNING
      await send(y, data.fd, new Uint8Array(150_000)); // past -n, and short of a whole block: then silence
      return (await recv_exact(y, ctrl.fd, 1))[0]; // TEST_END, unanswered
    });
    await p.step(4e9);
    expect(server.value).toBe(4);
    expect(out(p.x)).toMatch(/^iperf3: error - idle timeout for receiving data\nrc=1\nConnecting to host 10\.0\.0\.2, port 5201\nReverse mode[^]*iperf3: error - idle timeout for receiving data\nrc=1\n$/);
  });
});

describe("iperf3's number formats", () => {
  it("rounds as glibc's printf (ties to even), scales as unit_snprintf, prints numbers as cJSON", () => {
    expect(fmt_f(1.125, 2)).toBe("1.12");
    expect(fmt_f(1.375, 2)).toBe("1.38");
    expect(fmt_f(2.5, 0)).toBe("2");
    expect(fmt_f(0.005, 2)).toBe("0.01"); // 0.005 is a little above 5/1000 as a double
    expect(fmt_f(1.0, 2, 6)).toBe("  1.00");
    expect(fmt_f(1.0, 2, 6, true)).toBe("1.00  ");
    expect(unit_snprintf(1179648, "A")).toBe("1.12 MByte");
    expect(unit_snprintf(117_637_120, "A")).toBe(" 112 MByte");
    expect(unit_snprintf(941_000_000 / 8, "a")).toBe(" 941 Mbit");
    expect(unit_snprintf(0, "a")).toBe("0.00 bit");
    expect(unit_snprintf(448 * 1024, "A")).toBe(" 448 KByte");
    expect(unit_snprintf(10e6 / 8, "m")).toBe("10.0 Mbit");
    expect(cjson_number(1)).toBe("1");
    expect(cjson_number(1.000198)).toBe("1.000198");
    expect(cjson_number(Math.fround(1.000198))).toBe("1.0001980066299438");
    expect(cjson_number(13093073148.710217)).toBe("13093073148.710217");
    expect(cjson_number(1e300)).toBe("1e+300");
    expect(cjson_int(18446744073709551615)).toBe(-1);
    expect(cjson_int(-1)).toBe(-1);
    expect(cjson_int(true)).toBe(0);
    // cJSON's nesting limit: 1000 levels parse, 1001 do not (brackets inside strings do not count).
    const nest = (n: number): string => `{"a":${"[".repeat(n - 1)}${"]".repeat(n - 1)}}`;
    expect(cjson_parse_object(nest(1000))).not.toBeNull();
    expect(cjson_parse_object(nest(1001))).toBeNull();
    expect(cjson_parse_object(`{"s":"${"[".repeat(5000)}"}`)).toEqual({ s: "[".repeat(5000) });
    expect(cjson_parse_object(`{"b":${"[".repeat(100000)}`)).toBeNull();
    // Timers: a 0 µs period runs every MIN_PERIOD_US; one far behind fires once and moves past now.
    const timers = new TimerList();
    let fired = 0;
    const t = timers.create(0, () => fired++, 0, true);
    expect(t.usecs).toBe(MIN_PERIOD_US);
    timers.run(10_000_500);
    expect([fired, t.time_us]).toEqual([1, 10_001_000]);
    expect(cjson_print({ a: [{ b: 1 }, { c: "x\n" }], d: {}, e: [] })).toBe('{\n\t"a":\t[{\n\t\t\t"b":\t1\n\t\t}, {\n\t\t\t"c":\t"x\\n"\n\t\t}],\n\t"d":\t{\n\t},\n\t"e":\t[]\n}');
  });
});
