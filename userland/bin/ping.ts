import { EMSGSIZE, ENETUNREACH, strerror } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import { AF_INET, inet_ntoa, IP_MTU_DISCOVER, IP_PMTUDISC_DO, IP_PMTUDISC_DONT, IP_PMTUDISC_PROBE, IP_PMTUDISC_WANT, IPPROTO_ICMP, IPPROTO_IP, SOCK_DGRAM } from "../../include/uapi/in.ts";
import { gai_strerror, getaddrinfo } from "../lib/resolv.ts";
import { CLOCK_MONOTONIC, type Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * ping (iputils): ICMP echo through a ping socket. -c COUNT, -i INTERVAL (s), -s SIZE (payload
 * bytes, up to 65507: requests longer than the path MTU are fragmented by the kernel), -M
 * do|dont|want|probe (IP_MTU_DISCOVER: with do, a request longer than the MTU is refused and
 * "local error: message too long, mtu=N" printed), -W TIMEOUT (s to wait after the last request),
 * -q. Output is iputils 20221126's: a reply is timed only when the request had room (16 bytes,
 * -s 16 or more) for the send time, which comes back in the reply and is subtracted from the
 * kernel's receive timestamp; smaller requests get reply lines without time= and no rtt line.
 * Exit status: 0 if any reply came, 1 if none, 2 on errors. Ctrl-C stops it and prints the
 * statistics.
 */
const USAGE = "Usage: ping [-q] [-c count] [-i interval] [-s packetsize] [-M pmtudisc_option] [-W timeout] destination";

const PMTUDISC: Readonly<Record<string, number>> = { dont: IP_PMTUDISC_DONT, want: IP_PMTUDISC_WANT, do: IP_PMTUDISC_DO, probe: IP_PMTUDISC_PROBE };

/** struct timeval on x86_64: what a request must carry for its reply to be timed. */
const TIMEVAL_SIZE = 16;

/**
 * A round-trip time as iputils prints it (gather_statistics): `us` whole microseconds, shown with
 * three significant digits of milliseconds, rounding as iputils' integer arithmetic does.
 */
export function format_rtt(us: number): string {
  const t = Math.floor(us);
  if (t >= 100_000 - 50) return `${Math.floor((t + 500) / 1000)}`;
  if (t >= 10_000 - 5) return `${Math.floor((t + 50) / 1000)}.${Math.floor(((t + 50) % 1000) / 100)}`;
  if (t >= 1000) return `${Math.floor((t + 5) / 1000)}.${String(Math.floor(((t + 5) % 1000) / 10)).padStart(2, "0")}`;
  return `${Math.floor(t / 1000)}.${String(t % 1000).padStart(3, "0")}`;
}

/** printf's %g (six significant digits, no trailing zeros) of a C float, for the loss percentage. */
function percent_g(v: number): string {
  return String(Number(Math.fround(v).toPrecision(6)));
}

/** "%ld.%03ld" of microseconds, as the rtt line prints each value. */
function ms3(us: number): string {
  return `${Math.trunc(us / 1000)}.${String(Math.trunc(us % 1000)).padStart(3, "0")}`;
}

/** iputils' llsqrt: the integer square root by Newton's method (floor). */
function llsqrt(a: number): number {
  let prev = Infinity;
  let x = a;
  if (x > 0) {
    while (x < prev) {
      prev = x;
      x = Math.floor((x + Math.floor(a / x)) / 2);
    }
  }
  return x;
}

/**
 * The statistics block iputils' finish() prints: transmitted, received, duplicates, errors, loss
 * (a float printed with %g), the time from the start to the last request sent, then the rtt line
 * when replies were timed — else an empty line, as iputils ends with a bare newline either way.
 */
export interface PingStats {
  ntransmitted: number;
  nreceived: number;
  nrepeats: number;
  nerrors: number;
  /** Milliseconds from the start to the last transmission (rounded as iputils rounds). */
  time_ms: number;
  /** Replies (duplicates included) were timed: the request carried a timestamp. */
  timing: boolean;
  /** Round-trip times in whole microseconds: min, max, sum and sum of squares. */
  tmin: number;
  tmax: number;
  tsum: number;
  tsum2: number;
}

export function ping_statistics(target: string, s: PingStats): string {
  let out = `\n--- ${target} ping statistics ---\n${s.ntransmitted} packets transmitted, ${s.nreceived} received`;
  if (s.nrepeats > 0) out += `, +${s.nrepeats} duplicates`;
  if (s.nerrors > 0) out += `, +${s.nerrors} errors`;
  if (s.ntransmitted > 0) out += `, ${percent_g(((s.ntransmitted - s.nreceived) * 100) / s.ntransmitted)}% packet loss, time ${s.time_ms}ms`;
  out += "\n";
  if (s.nreceived > 0 && s.timing) {
    const total = s.nreceived + s.nrepeats;
    const tmavg = Math.trunc(s.tsum / total);
    const tmvar = s.tsum < 2 ** 31 - 1 ? Math.trunc((s.tsum2 - (s.tsum * s.tsum) / total) / total) : Math.trunc(s.tsum2 / total - tmavg * tmavg);
    out += `rtt min/avg/max/mdev = ${ms3(s.tmin)}/${ms3(tmavg)}/${ms3(s.tmax)}/${ms3(llsqrt(tmvar))} ms`;
  }
  return out + "\n";
}

function number_arg(v: string, int: boolean, min: number, max: number): number | null {
  const n = Number(v);
  if (v === "" || !Number.isFinite(n) || (int && !Number.isInteger(n)) || n < min || n > max) return null;
  return n;
}

export async function ping(argv: readonly string[], sys: Syscalls): Promise<number> {
  let count = Infinity;
  let interval = 1;
  let size = 56;
  let linger = 10;
  let quiet = false;
  let pmtudisc = -1;
  let target: string | undefined;
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-q") {
      quiet = true;
      continue;
    }
    const mm = /^-M(.*)$/.exec(a);
    if (mm !== null) {
      const v = mm[1] !== "" ? mm[1]! : args[++i];
      if (v === undefined) return fail(sys, "ping", `option requires an argument -- 'M'\n${USAGE}`, 2);
      const mode = PMTUDISC[v];
      if (mode === undefined) return fail(sys, "ping", `invalid -M argument: ${v}`, 2);
      pmtudisc = mode;
      continue;
    }
    const m = /^-([ciWs])(.*)$/.exec(a);
    if (m !== null) {
      const v = m[2] !== "" ? m[2]! : args[++i];
      if (v === undefined) return fail(sys, "ping", `option requires an argument -- '${m[1]}'\n${USAGE}`, 2);
      const n = m[1] === "c" ? number_arg(v, true, 1, 1e9) : m[1] === "s" ? number_arg(v, true, 0, 65507) : number_arg(v, false, 0.002, 3600);
      if (n === null) return fail(sys, "ping", `invalid argument: '${v}'`, 2);
      if (m[1] === "c") count = n;
      else if (m[1] === "i") interval = n;
      else if (m[1] === "s") size = n;
      else linger = n;
      continue;
    }
    if (a.startsWith("-")) return fail(sys, "ping", `invalid option -- '${a.slice(1, 2)}'\n${USAGE}`, 2);
    if (target !== undefined) return fail(sys, "ping", `extra argument '${a}'\n${USAGE}`, 2);
    target = a;
  }
  if (target === undefined) return fail(sys, "ping", "usage error: Destination address required", 2);
  const addrs = await getaddrinfo(sys, target);
  if (typeof addrs === "number") return fail(sys, "ping", `${target}: ${gai_strerror(addrs)}`, 2);
  const dst = addrs[0]!;
  const fd = sys.socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  if (fd < 0) return fail(sys, "ping", `socket: ${strerror(fd)}`, 2);
  if (pmtudisc >= 0) {
    const r = sys.setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, pmtudisc);
    if (r < 0) {
      sys.close(fd);
      return fail(sys, "ping", `IP_MTU_DISCOVER: ${strerror(r)}`, 2);
    }
  }
  sys.sigaction(SIGINT, "catch");
  const now = (): number => sys.clock_gettime(CLOCK_MONOTONIC);
  const host = inet_ntoa(dst);
  print(sys, `PING ${target} (${host}) ${size}(${size + 28}) bytes of data.\n`);
  // iputils' bookkeeping (struct ping_rts): the echo data is the bytes 0, 1, 2, … and, when it
  // has room for one (timing), starts with the send time as a struct timeval; a reply is timed
  // from the timestamp it carries back. The clock is the kernel's monotonic one, which the
  // receive timestamp (SO_TIMESTAMP) is taken on.
  const timing = size >= TIMEVAL_SIZE;
  const received_seqs = new Set<number>();
  const st: PingStats = { ntransmitted: 0, nreceived: 0, nrepeats: 0, nerrors: 0, time_ms: 0, timing, tmin: Infinity, tmax: 0, tsum: 0, tsum2: 0 };
  /** Sends refused with EMSGSIZE whose local error has not been read yet. */
  let pending_local = 0;
  const start = now();
  let next_send = start;
  let last_send = start;
  const pkt = new Uint8Array(8 + size);
  const pv = new DataView(pkt.buffer);
  for (let i = 0; i < size; i++) pkt[8 + i] = i & 0xff;
  for (;;) {
    if (st.ntransmitted < count && now() >= next_send) {
      const seq = (st.ntransmitted + 1) & 0xffff;
      pkt[0] = 8;
      pkt[1] = 0;
      pkt[6] = seq >> 8;
      pkt[7] = seq & 0xff;
      received_seqs.delete(seq);
      const t = now();
      if (timing) {
        const us = Math.floor(t / 1000);
        pv.setBigInt64(8, BigInt(Math.floor(us / 1e6)), true);
        pv.setBigInt64(16, BigInt(us % 1e6), true);
      }
      const r = await sys.sendto(fd, pkt, dst, 0);
      if (r === -4) break; // ^C
      if (r === -ENETUNREACH && st.ntransmitted === 0) {
        sys.close(fd);
        return fail(sys, "ping", "connect: Network is unreachable", 2);
      }
      st.ntransmitted++;
      last_send = t;
      if (r < 0) {
        st.nerrors++;
        // EMSGSIZE comes with a local error on the socket, printed when it is read below.
        if (r === -EMSGSIZE) pending_local++;
        else if (!quiet) print(sys, `ping: sendmsg: ${strerror(r)}\n`);
      }
      next_send = t + interval * 1e9;
    }
    if (st.ntransmitted >= count && st.nreceived + st.nerrors >= count && pending_local === 0) break;
    const until = st.ntransmitted < count ? next_send : last_send + linger * 1e9;
    const wait_ms = pending_local > 0 ? 0 : Math.max(0, Math.ceil((until - now()) / 1e6));
    if (st.ntransmitted >= count && wait_ms === 0 && pending_local === 0) break;
    const d = await sys.recvfrom(fd, wait_ms);
    if (d === -4) break; // ^C
    if (typeof d === "number") {
      // -EAGAIN: time to send the next one (and no local error is left to read).
      if (wait_ms === 0) pending_local = 0;
      continue;
    }
    const seq = d.data.length >= 8 ? (d.data[6]! << 8) | d.data[7]! : 0;
    if (d.error !== undefined && d.error.from === 0) {
      // A local error (SO_EE_ORIGIN_LOCAL), already counted when its send failed.
      if (pending_local > 0) pending_local--;
      if (!quiet) sys.write(2, `ping: local error: ${d.error.text}\n`);
      continue;
    }
    if (d.error !== undefined) {
      st.nerrors++;
      if (!quiet) print(sys, `From ${inet_ntoa(d.error.from)} icmp_seq=${seq} ${d.error.text}\n`);
      continue;
    }
    if (d.data.length < 8 || d.data[0] !== 0) continue; // not an echo reply
    // gather_statistics(): time it from the timestamp it carries, then count it once per sequence.
    const cc = d.data.length;
    let triptime = 0;
    const timed = timing && cc >= 8 + TIMEVAL_SIZE;
    if (timed) {
      const rv = new DataView(d.data.buffer, d.data.byteOffset, d.data.byteLength);
      const sent_us = Number(rv.getBigInt64(8, true)) * 1e6 + Number(rv.getBigInt64(16, true));
      triptime = Math.max(0, Math.floor(d.tstamp_ns / 1000) - sent_us);
      st.tsum += triptime;
      st.tsum2 += triptime * triptime;
      st.tmin = Math.min(st.tmin, triptime);
      st.tmax = Math.max(st.tmax, triptime);
    }
    const dup = received_seqs.has(seq);
    if (dup) st.nrepeats++;
    else {
      st.nreceived++;
      received_seqs.add(seq);
    }
    if (quiet) continue;
    let line = `${cc} bytes from ${inet_ntoa(d.addr)}: icmp_seq=${seq} ttl=${d.ttl}`;
    if (cc < size + 8) {
      print(sys, `${line} (truncated)\n`);
      continue;
    }
    if (timing) line += ` time=${format_rtt(triptime)} ms`;
    if (dup) line += " (DUP!)";
    print(sys, line + "\n");
  }
  sys.close(fd);
  // finish(): the time runs to the last request sent (iputils' cur_time), rounded to the ms.
  st.time_ms = Math.floor((last_send - start + 500_000) / 1e6);
  print(sys, ping_statistics(target, st));
  return st.nreceived > 0 ? 0 : 1;
}

export const ping_command: Command = {
  name: "ping",
  summary: "send ICMP echo requests: ping [-c N] [-i S] [-s N] [-W S] [-q] ADDRESS",
  usage: `${USAGE}\n`,
  main: ping,
};
