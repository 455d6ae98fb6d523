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
 * -q. Round-trip times are measured on the kernel clock: from the send call to the receive
 * timestamp the driver stamped on the reply. Exit status: 0 if any reply came, 1 if none, 2 on
 * errors. Ctrl-C stops it and prints the statistics.
 */
const USAGE = "Usage: ping [-q] [-c count] [-i interval] [-s packetsize] [-M pmtudisc_option] [-W timeout] destination";

const PMTUDISC: Readonly<Record<string, number>> = { dont: IP_PMTUDISC_DONT, want: IP_PMTUDISC_WANT, do: IP_PMTUDISC_DO, probe: IP_PMTUDISC_PROBE };

/** iputils' format: three significant digits of milliseconds. */
export function format_rtt(us: number): string {
  if (us >= 100_000 - 50) return `${Math.round(us / 1000)}`;
  if (us >= 10_000 - 5) return (us / 1000).toFixed(1);
  if (us >= 1_000) return (us / 1000).toFixed(2);
  return (us / 1000).toFixed(3);
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
  const sent_at = new Map<number, number>();
  const rtts: number[] = [];
  let transmitted = 0;
  let received = 0;
  let errors = 0;
  /** Sends refused with EMSGSIZE whose local error has not been read yet. */
  let pending_local = 0;
  const start = now();
  let next_send = start;
  let last_send = start;
  const pkt = new Uint8Array(8 + size);
  for (let i = 0; i < size; i++) pkt[8 + i] = (i + 8) & 0xff;
  for (;;) {
    if (transmitted < count && now() >= next_send) {
      const seq = (transmitted + 1) & 0xffff;
      pkt[0] = 8;
      pkt[1] = 0;
      pkt[6] = seq >> 8;
      pkt[7] = seq & 0xff;
      const t = now();
      const r = await sys.sendto(fd, pkt, dst, 0);
      if (r === -4) break; // ^C
      if (r === -ENETUNREACH && transmitted === 0) {
        sys.close(fd);
        return fail(sys, "ping", "connect: Network is unreachable", 2);
      }
      transmitted++;
      last_send = t;
      if (r < 0) {
        errors++;
        // EMSGSIZE comes with a local error on the socket, printed when it is read below.
        if (r === -EMSGSIZE) pending_local++;
        else if (!quiet) print(sys, `ping: sendmsg: ${strerror(r)}\n`);
      } else {
        sent_at.set(seq, t);
      }
      next_send = t + interval * 1e9;
    }
    if (transmitted >= count && received + errors >= count && pending_local === 0) break;
    const until = transmitted < count ? next_send : last_send + linger * 1e9;
    const wait_ms = pending_local > 0 ? 0 : Math.max(0, Math.ceil((until - now()) / 1e6));
    if (transmitted >= count && wait_ms === 0 && pending_local === 0) break;
    const d = await sys.recvfrom(fd, wait_ms);
    if (d === -4) break; // ^C
    if (typeof d === "number") {
      // -EAGAIN: time to send the next one (and no local error is left to read).
      if (wait_ms === 0) pending_local = 0;
      continue;
    }
    const seq = (d.data[6]! << 8) | d.data[7]!;
    if (d.error !== undefined && d.error.from === 0) {
      // A local error (SO_EE_ORIGIN_LOCAL), already counted when its send failed.
      if (pending_local > 0) pending_local--;
      if (!quiet) sys.write(2, `ping: local error: ${d.error.text}\n`);
      continue;
    }
    if (d.error !== undefined) {
      errors++;
      if (!quiet) print(sys, `From ${inet_ntoa(d.error.from)} icmp_seq=${seq} ${d.error.text}\n`);
      continue;
    }
    const t0 = sent_at.get(seq);
    if (t0 === undefined) continue;
    const dup = rtts.length > 0 && !sent_at.has(seq);
    const rtt_us = (d.tstamp_ns - t0) / 1000;
    sent_at.delete(seq);
    received++;
    rtts.push(rtt_us);
    if (!quiet) print(sys, `${d.data.length} bytes from ${inet_ntoa(d.addr)}: icmp_seq=${seq} ttl=${d.ttl} time=${format_rtt(rtt_us)} ms${dup ? " (DUP!)" : ""}\n`);
  }
  sys.close(fd);
  const elapsed = Math.round((now() - start) / 1e6);
  const loss = transmitted === 0 ? 0 : Math.round(((transmitted - received) * 100) / transmitted);
  let out = `\n--- ${target} ping statistics ---\n${transmitted} packets transmitted, ${received} received, ${errors > 0 ? `+${errors} errors, ` : ""}${loss}% packet loss, time ${elapsed}ms\n`;
  if (rtts.length > 0) {
    const min = Math.min(...rtts);
    const max = Math.max(...rtts);
    const avg = rtts.reduce((s, x) => s + x, 0) / rtts.length;
    const mdev = Math.sqrt(Math.max(0, rtts.reduce((s, x) => s + x * x, 0) / rtts.length - avg * avg));
    out += `rtt min/avg/max/mdev = ${(min / 1000).toFixed(3)}/${(avg / 1000).toFixed(3)}/${(max / 1000).toFixed(3)}/${(mdev / 1000).toFixed(3)} ms\n`;
  }
  print(sys, out);
  return received > 0 ? 0 : 1;
}

export const ping_command: Command = {
  name: "ping",
  summary: "send ICMP echo requests: ping [-c N] [-i S] [-s N] [-W S] [-q] ADDRESS",
  usage: `${USAGE}\n`,
  main: ping,
};
