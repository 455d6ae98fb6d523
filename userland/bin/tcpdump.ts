import { strerror } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import { ETH_P_ALL, IFF_UP } from "../../include/net/netdevice.ts";
import { AF_PACKET, PACKET_OUTGOING, PACKET_STATISTICS, SOCK_RAW, SOL_PACKET } from "../../include/uapi/in.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { ether_print, tcp_seq_state, ts_format, type TcpSeqState } from "../lib/netdissect.ts";
import { LINKTYPE_ETHERNET, pcap_file_header, pcap_parse, pcap_record_header, PCAP_RECORD_HEADER_LEN } from "../../include/uapi/pcap.ts";
import { O_CREAT, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import { fail, getopt, print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * tcpdump: print every frame crossing an interface, through a packet socket (AF_PACKET,
 * ETH_P_ALL). -i IFACE (default: the first interface that is up and not loopback), -c COUNT, -n
 * (addresses are always numeric here: there is no resolver), -e (print the link-level header).
 * Stops after COUNT frames or on Ctrl-C, then prints the capture statistics as tcpdump does.
 * Timestamps are the kernel clock's time since boot, the same clock --pcap files are stamped with.
 *
 * -w FILE writes the frames to a libpcap savefile (include/uapi/pcap.ts) inside the machine instead of
 * printing them, with the same time since boot; -r FILE prints a savefile's frames (one written
 * with -w, or by the machine's --pcap and copied in) as a capture would have.
 */
const USAGE = "Usage: tcpdump [-enS] [-c count] [-i interface] [-r file] [-w file]";
/** tcpdump's default snapshot length (MAXIMUM_SNAPLEN). */
const SNAPLEN = 262144;

export async function tcpdump(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt(argv, "enSc:i:r:w:");
  if (typeof o === "string") return fail(sys, "tcpdump", `${o}\n${USAGE}`, 1);
  // Relative TCP sequence numbers per conversation of this capture, as tcpdump; -S prints them absolute.
  const tcp_seq = tcp_seq_state(o.opts.has("S"));
  if (o.args.length > 0) return fail(sys, "tcpdump", `filter expressions are not supported ('${o.args.join(" ")}')`, 1);
  let count = Infinity;
  if (o.opts.has("c")) {
    const c = Number(o.opts.get("c"));
    if (!Number.isInteger(c) || c < 1) return fail(sys, "tcpdump", `invalid packet count ${o.opts.get("c")}`, 1);
    count = c;
  }
  const link_header = o.opts.has("e");
  if (o.opts.has("r")) return tcpdump_read(sys, String(o.opts.get("r")), count, link_header, tcp_seq);
  // -w: the savefile is opened (and its header written) before the capture starts, as tcpdump does.
  let out = -1;
  if (o.opts.has("w")) {
    const path = String(o.opts.get("w"));
    out = sys.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
    if (out < 0) return fail(sys, "tcpdump", `${path}: ${strerror(out)}`, 1);
    const w = await sys.write(out, pcap_file_header(SNAPLEN));
    if (w < 0) {
      sys.close(out);
      return fail(sys, "tcpdump", `${path}: ${strerror(w)}`, 1);
    }
  }
  const links = sys.getlinks();
  if (typeof links === "number") return fail(sys, "tcpdump", `no network: ${strerror(links)}`, 1);
  const want = o.opts.get("i");
  const dev = typeof want === "string" ? links.find((l) => l.name === want) : links.find((l) => l.type !== "loopback" && (l.flags & IFF_UP) !== 0);
  if (dev === undefined) {
    return fail(sys, "tcpdump", typeof want === "string" ? `${want}: No such device exists` : "no suitable device found (bring one up with ip link set eth0 up)", 1);
  }
  if ((dev.flags & IFF_UP) === 0) return fail(sys, "tcpdump", `${dev.name}: That device is not up`, 1);
  const fd = sys.socket(AF_PACKET, SOCK_RAW, ETH_P_ALL);
  if (fd < 0) return fail(sys, "tcpdump", `socket: ${strerror(fd)}`, 1);
  const r = sys.bind(fd, dev.ifindex, 0);
  if (r < 0) {
    sys.close(fd);
    return fail(sys, "tcpdump", `${dev.name}: ${strerror(r)}`, 1);
  }
  sys.sigaction(SIGINT, "catch");
  if (out < 0) sys.write(2, `tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\nlistening on ${dev.name}, link-type EN10MB (Ethernet), snapshot length ${SNAPLEN} bytes\n`);
  else sys.write(2, `tcpdump: listening on ${dev.name}, link-type EN10MB (Ethernet), snapshot length ${SNAPLEN} bytes\n`);
  let captured = 0;
  let write_error = 0;
  const rec = new Uint8Array(PCAP_RECORD_HEADER_LEN);
  const rec_view = new DataView(rec.buffer);
  while (captured < count) {
    const d = await sys.recvfrom(fd, null);
    if (typeof d === "number") break; // -EINTR (^C) or the socket went away
    // libpcap: on loopback every frame is seen going out and coming back in; keep the incoming one.
    if (dev.type === "loopback" && d.port === PACKET_OUTGOING) continue;
    if (out >= 0) {
      pcap_record_header(rec_view, 0, d.tstamp_ns, d.data.length, d.data.length);
      const a = await sys.write(out, rec);
      const b = a < 0 ? a : await sys.write(out, d.data);
      if (b < 0) {
        write_error = b;
        break;
      }
    } else print(sys, `${ts_format(d.tstamp_ns)} ${ether_print(d.data, d.data.length, link_header, tcp_seq)}\n`);
    captured++;
  }
  const st = sys.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS);
  sys.close(fd);
  if (out >= 0) sys.close(out);
  if (write_error < 0) return fail(sys, "tcpdump", `${String(o.opts.get("w"))}: ${strerror(write_error)}`, 1);
  const seen = typeof st === "number" ? captured : st.tp_packets;
  const dropped = typeof st === "number" ? 0 : st.tp_drops;
  const plural = (n: number): string => `${n} packet${n === 1 ? "" : "s"}`;
  sys.write(2, `${captured === count ? "" : "\n"}${plural(captured)} captured\n${plural(seen)} received by filter\n${plural(dropped)} dropped by kernel\n`);
  return 0;
}

/** -r FILE: print a savefile's frames; the header line and errors as tcpdump prints them. */
async function tcpdump_read(sys: Syscalls, path: string, count: number, link_header: boolean, tcp_seq: TcpSeqState): Promise<number> {
  const buf = sys.read_file(path);
  if (typeof buf === "number") return fail(sys, "tcpdump", `${path}: ${strerror(buf)}`, 1);
  const f = pcap_parse(buf);
  if (typeof f === "string") return fail(sys, "tcpdump", `${path}: ${f}`, 1);
  if (f.linktype !== LINKTYPE_ETHERNET) return fail(sys, "tcpdump", `${path}: link-type ${f.linktype} is not supported (only EN10MB)`, 1);
  sys.write(2, `reading from file ${path}, link-type EN10MB (Ethernet), snapshot length ${f.snaplen}\n`);
  let n = 0;
  for (const r of f.records) {
    if (n >= count) break;
    print(sys, `${ts_format(r.ts_ns)} ${ether_print(r.data, r.data.length, link_header, tcp_seq)}\n`);
    n++;
  }
  if (f.truncated && n < count) return fail(sys, "tcpdump", `pcap_loop: truncated dump file`, 1);
  return 0;
}

export const tcpdump_command: Command = {
  name: "tcpdump",
  summary: "print frames on an interface: tcpdump [-en] [-c N] [-i IFACE] (Ctrl-C stops)",
  usage: `${USAGE}\n`,
  main: tcpdump,
};
