/**
 * iperf3's command line (iperf_api.c iperf_parse_arguments, getopt_long as glibc's): the options
 * this iperf3 runs, iperf3's checks and messages for their values, and a clear refusal for the
 * ones it does not (UDP, SCTP, --bidir, IPv6 …).
 */
import { inet_aton } from "../../include/uapi/in.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import {
  DEFAULT_TCP_BLKSIZE,
  iperf_new_test,
  iperf_set_test_reverse,
  MAX_BLOCKSIZE,
  MAX_INTERVAL,
  MAX_MSS,
  MAX_STREAMS,
  MAX_TCP_BUFFER,
  MAX_TIME,
  MIN_INTERVAL,
  type IperfTest,
} from "./iperf_api.ts";
import { IE, iperf_strerror } from "./iperf_error.ts";
import { atof, atoi, unit_atof_rate, unit_atoi } from "./iperf_locale.ts";

/** 0 = no argument, 1 = required, 2 = optional (only as --name=value). */
type HasArg = 0 | 1 | 2;

const LONGOPTS: readonly [string, HasArg, string][] = [
  ["port", 1, "p"],
  ["format", 1, "f"],
  ["interval", 1, "i"],
  ["daemon", 0, "D"],
  ["one-off", 0, "1"],
  ["verbose", 0, "V"],
  ["json", 0, "J"],
  ["version", 0, "v"],
  ["server", 0, "s"],
  ["client", 1, "c"],
  ["udp", 0, "u"],
  ["bitrate", 1, "b"],
  ["bandwidth", 1, "b"],
  ["server-bitrate-limit", 1, "unimp"],
  ["time", 1, "t"],
  ["bytes", 1, "n"],
  ["blockcount", 1, "k"],
  ["length", 1, "l"],
  ["parallel", 1, "P"],
  ["reverse", 0, "R"],
  ["bidir", 0, "bidir"],
  ["window", 1, "w"],
  ["bind", 1, "B"],
  ["bind-dev", 1, "unimp"],
  ["cport", 1, "cport"],
  ["set-mss", 1, "M"],
  ["no-delay", 0, "N"],
  ["version4", 0, "4"],
  ["version6", 0, "6"],
  ["tos", 1, "S"],
  ["dscp", 1, "unimp"],
  ["extra-data", 1, "extra-data"],
  ["flowlabel", 1, "L"],
  ["zerocopy", 0, "Z"],
  ["omit", 1, "O"],
  ["file", 1, "F"],
  ["repeating-payload", 0, "repeating-payload"],
  ["timestamps", 2, "unimp"],
  ["affinity", 1, "A"],
  ["title", 1, "T"],
  ["congestion", 1, "C"],
  ["linux-congestion", 1, "C"],
  ["sctp", 0, "unimp"],
  ["nstreams", 1, "unimp"],
  ["xbind", 1, "X"],
  ["pidfile", 1, "I"],
  ["logfile", 1, "unimp"],
  ["forceflush", 0, "unimp"],
  ["get-server-output", 0, "get-server-output"],
  ["udp-counters-64bit", 0, "unimp"],
  ["no-fq-socket-pacing", 0, "unimp"],
  ["dont-fragment", 0, "unimp"],
  ["fq-rate", 1, "unimp"],
  ["pacing-timer", 1, "pacing-timer"],
  ["connect-timeout", 1, "connect-timeout"],
  ["idle-timeout", 1, "idle-timeout"],
  ["rcv-timeout", 1, "rcv-timeout"],
  ["snd-timeout", 1, "unimp"],
  ["debug", 2, "d"],
  ["help", 0, "h"],
];
const SHORTOPTS = "p:f:i:D1VJvsc:ub:t:n:k:l:P:Rw:B:M:N46S:L:ZO:F:A:T:C:dI:hX:";

export const usage_shortstr = "Usage: iperf3 [-s|-c host] [options]\nTry `iperf3 --help' for more information.\n";

export const usage_longstr = `Usage: iperf3 [-s|-c host] [options]
       iperf3 [-h|--help] [-v|--version]

Server or Client:
  -p, --port      #         server port to listen on/connect to
  -f, --format   [kmgtKMGT] format to report: Kbits, Mbits, Gbits, Tbits
  -i, --interval  #         seconds between periodic throughput reports
  -B, --bind      <host>    bind to the interface associated with the address <host>
  -V, --verbose             more detailed output
  -J, --json                output in JSON format
  --rcv-timeout #           idle timeout for receiving data (default 120000 ms)
  -v, --version             show version information and quit
  -h, --help                show this message and quit
Server specific:
  -s, --server              run in server mode
  -1, --one-off             handle one client connection then exit
  --idle-timeout #          restart idle server after # seconds in case it
                            got stuck (default - no timeout)
Client specific:
  -c, --client    <host>    run in client mode, connecting to <host>
  --connect-timeout #       timeout for control connection setup (ms)
  -b, --bitrate #[KMG][/#]  target bitrate in bits/sec (0 for unlimited)
                            (default unlimited for TCP)
                            (optional slash and packet count for burst mode)
  --pacing-timer #[KMG]     set the timing for pacing, in microseconds (default 1000)
  -t, --time      #         time in seconds to transmit for (default 10 secs)
  -n, --bytes     #[KMG]    number of bytes to transmit (instead of -t)
  -k, --blockcount #[KMG]   number of blocks (packets) to transmit (instead of -t or -n)
  -l, --length    #[KMG]    length of buffer to read or write (default 128 KB)
  --cport         <port>    bind to a specific client port (default: ephemeral port)
  -P, --parallel  #         number of parallel client streams to run
  -R, --reverse             run in reverse mode (server sends, client receives)
  -w, --window    #[KMG]    set send/receive socket buffer sizes
                            (indirectly sets TCP window size)
  -M, --set-mss   #         set TCP maximum segment size (MTU - 40 bytes)
  -N, --no-delay            set TCP no delay, disabling Nagle's Algorithm
  -4, --version4            only use IPv4
  -O, --omit N              perform pre-test for N seconds and omit the pre-test statistics
  -T, --title str           prefix every output line with this string
  --extra-data str          data string to include in client and server JSON
  --get-server-output       get results from server
  --repeating-payload       use repeating pattern in payload, instead of
                            randomized payload (like in iperf2)

[KMG] indicates options that support a K/M/G suffix for kilo-, mega-, or giga-

This iperf3 runs TCP tests over IPv4 (no UDP, SCTP, --bidir or IPv6); it speaks the protocol of
iperf 3.12, so either end may be the real iperf3.
`;

/** What parsing decided: run the test, or exit now with this status (help, version, an error). */
export type ParseResult = { test: IperfTest } | { exit: number };

/** glibc getopt_long over argv: [option letter or long name, argument] pairs, or an error line. */
function getopt_long(argv: readonly string[]): { opts: [string, string | null][] } | { error: string } {
  const opts: [string, string | null][] = [];
  const takes = new Map<string, boolean>();
  for (let i = 0; i < SHORTOPTS.length; i++) {
    const c = SHORTOPTS[i]!;
    const arg = SHORTOPTS[i + 1] === ":";
    takes.set(c, arg);
    if (arg) i++;
  }
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") break;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const exact = LONGOPTS.find((o) => o[0] === name);
      const prefix = LONGOPTS.filter((o) => o[0].startsWith(name));
      const distinct = new Set(prefix.map((o) => o[2]));
      const o = exact ?? (distinct.size === 1 ? prefix[0] : undefined);
      if (o === undefined) return { error: distinct.size > 1 ? `option '${a}' is ambiguous` : `unrecognized option '${a}'` };
      let val: string | null = eq < 0 ? null : a.slice(eq + 1);
      if (o[1] === 0 && val !== null) return { error: `option '--${o[0]}' doesn't allow an argument` };
      if (o[1] === 1 && val === null) {
        if (i + 1 >= argv.length) return { error: `option '--${o[0]}' requires an argument` };
        val = argv[++i]!;
      }
      opts.push([o[2], val]);
      continue;
    }
    if (!a.startsWith("-") || a === "-") continue; // operands: iperf3 ignores them
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      const arg = takes.get(c);
      if (arg === undefined) return { error: `invalid option -- '${c}'` };
      if (!arg) {
        opts.push([c, null]);
        continue;
      }
      const rest = a.slice(j + 1);
      if (rest !== "") opts.push([c, rest]);
      else if (i + 1 < argv.length) opts.push([c, argv[++i]!]);
      else return { error: `option requires an argument -- '${c}'` };
      break;
    }
  }
  return { opts };
}

/** iperf_parse_arguments(): a test ready to run, or the exit status after printing why not. */
export function iperf_parse_arguments(argv: readonly string[], sys: Syscalls, version_text: () => string): ParseResult {
  const g = getopt_long(argv);
  if ("error" in g) {
    sys.write(2, `iperf3: ${g.error}\n${usage_longstr}`);
    return { exit: 1 };
  }
  const test = iperf_new_test(sys, "c");
  let role: "c" | "s" | null = null;
  let server_flag = false;
  let client_flag = false;
  let duration_flag = false;
  let rate_flag = false;
  let blksize = 0;
  let reverse = false;
  const perr = (i_errno: number, text?: string): ParseResult => {
    sys.write(2, `iperf3: parameter error - ${text ?? iperf_strerror(i_errno, 0)}\n\n`);
    sys.write(1, usage_longstr);
    return { exit: 1 };
  };
  const refuse = (what: string): ParseResult => perr(IE.UNIMP, `${what} is not supported by this iperf3 (it runs TCP tests over IPv4)`);
  for (const [opt, val] of g.opts) {
    const v = val ?? "";
    switch (opt) {
      case "p": {
        const port = atoi(v);
        if (port < 1 || port > 65535) return perr(IE.BADPORT);
        test.server_port = port;
        break;
      }
      case "f":
        if (!/^[kmgtKMGT]/.test(v)) return perr(IE.BADFORMAT);
        test.unit_format = v[0]!;
        break;
      case "i":
        test.stats_interval = test.reporter_interval = atof(v);
        if ((test.stats_interval < MIN_INTERVAL || test.stats_interval > MAX_INTERVAL) && test.stats_interval !== 0) return perr(IE.INTERVAL);
        break;
      case "1":
        test.one_off = true;
        server_flag = true;
        break;
      case "V":
        test.verbose = true;
        break;
      case "J":
        test.json_output = true;
        break;
      case "v":
        sys.write(1, version_text());
        return { exit: 0 };
      case "s":
        if (role === "c") return perr(IE.SERVCLIENT);
        role = "s";
        break;
      case "c":
        if (role === "s") return perr(IE.SERVCLIENT);
        role = "c";
        test.server_hostname = v;
        break;
      case "u":
        return refuse("UDP (-u)");
      case "bidir":
        return refuse("--bidir");
      case "6":
        return refuse("IPv6 (-6)");
      case "unimp":
      case "D":
      case "S":
      case "L":
      case "Z":
      case "F":
      case "A":
      case "C":
      case "d":
      case "I":
      case "X":
        return perr(IE.UNIMP);
      case "b": {
        const slash = v.indexOf("/");
        if (slash >= 0) {
          test.burst = atoi(v.slice(slash + 1));
          if (test.burst <= 0 || test.burst > 1000) return perr(IE.UNIMP, "invalid burst count (maximum = 1000)");
        }
        const rate = unit_atof_rate(slash >= 0 ? v.slice(0, slash) : v);
        test.rate = rate === null || rate < 0 ? 0 : Math.trunc(rate);
        rate_flag = true;
        client_flag = true;
        break;
      }
      case "t":
        test.duration = atoi(v);
        if (test.duration > MAX_TIME || test.duration < 0) return perr(IE.DURATION);
        duration_flag = true;
        client_flag = true;
        break;
      case "n":
        test.bytes = Math.max(0, unit_atoi(v) ?? 0);
        client_flag = true;
        break;
      case "k":
        test.blocks = Math.max(0, unit_atoi(v) ?? 0);
        client_flag = true;
        break;
      case "l":
        blksize = unit_atoi(v) ?? 0;
        client_flag = true;
        break;
      case "P":
        test.num_streams = atoi(v);
        if (test.num_streams > MAX_STREAMS || test.num_streams < 1) return perr(IE.NUMSTREAMS);
        client_flag = true;
        break;
      case "R":
        reverse = true;
        client_flag = true;
        break;
      case "w": {
        const w = unit_atoi(v) ?? 0;
        if (w > MAX_TCP_BUFFER || w < 0) return perr(IE.BUFSIZE);
        test.socket_bufsize = w;
        client_flag = true;
        break;
      }
      case "B": {
        const a = inet_aton(v);
        if (a === null) return perr(IE.UNIMP, `bad bind address '${v}' (a dotted-quad IPv4 address is needed)`);
        test.bind_addr = a;
        break;
      }
      case "cport": {
        const port = atoi(v);
        if (port < 1 || port > 65535) return perr(IE.BADPORT);
        test.bind_port = port;
        client_flag = true;
        break;
      }
      case "M":
        test.mss = atoi(v);
        if (test.mss > MAX_MSS || test.mss < 0) return perr(IE.MSS);
        client_flag = true;
        break;
      case "N":
        test.no_delay = true;
        client_flag = true;
        break;
      case "4":
        break;
      case "O":
        test.omit = atoi(v);
        if (test.omit < 0 || test.omit > 60) return perr(IE.OMIT);
        client_flag = true;
        break;
      case "T":
        test.title = v;
        client_flag = true;
        break;
      case "extra-data":
        test.extra_data = v;
        client_flag = true;
        break;
      case "get-server-output":
        test.get_server_output = true;
        client_flag = true;
        break;
      case "repeating-payload":
        test.repeating_payload = true;
        client_flag = true;
        break;
      case "pacing-timer":
        test.pacing_timer = Math.max(0, unit_atoi(v) ?? 0);
        client_flag = true;
        break;
      case "connect-timeout":
        test.connect_timeout_ms = unit_atoi(v) ?? -1;
        client_flag = true;
        break;
      case "idle-timeout":
        test.idle_timeout_s = atoi(v);
        if (test.idle_timeout_s < 1 || test.idle_timeout_s > MAX_TIME) return perr(IE.IDLETIMEOUT);
        server_flag = true;
        break;
      case "rcv-timeout": {
        const ms = unit_atoi(v) ?? 0;
        if (ms < 100 || ms > MAX_TIME * 1000) return perr(IE.RCVTIMEOUT, "receive timeout value is incorrect or not in range");
        test.rcv_timeout_ms = ms;
        break;
      }
      case "h":
        sys.write(1, usage_longstr);
        return { exit: 0 };
    }
  }
  if (role === "c" && server_flag) return perr(IE.SERVERONLY);
  if (role === "s" && client_flag) return perr(IE.CLIENTONLY);
  if (blksize === 0) blksize = DEFAULT_TCP_BLKSIZE;
  if (blksize <= 0 || blksize > MAX_BLOCKSIZE) return perr(IE.BLOCKSIZE);
  test.blksize = blksize;
  if (!rate_flag) test.rate = 0;
  if ((test.bytes !== 0 || test.blocks !== 0) && !duration_flag) test.duration = 0;
  if ((duration_flag && test.bytes !== 0) || (duration_flag && test.blocks !== 0) || (test.bytes !== 0 && test.blocks !== 0)) return perr(IE.ENDCONDITIONS);
  if (role === null) return perr(IE.NOROLE);
  test.role = role;
  iperf_set_test_reverse(test, reverse);
  if (test.json_output && test.unit_format !== "a") sys.write(2, "warning: Report format (-f) flag ignored with JSON output (-J)\n");
  if (test.json_output && test.verbose) sys.write(2, "warning: Verbose output (-v) may interfere with JSON output (-J)\n");
  return { test };
}
