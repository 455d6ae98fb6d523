import { strerror } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import { ETH_P_ALL, IFF_UP } from "../../include/net/netdevice.ts";
import { AF_PACKET, PACKET_OUTGOING, PACKET_STATISTICS, SOCK_RAW, SOL_PACKET } from "../../include/uapi/in.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { ether_print, tcp_seq_state, ts_format } from "../lib/netdissect.ts";
import { fail, getopt, print } from "../lib/stdio.ts";

/**
 * tcpdump: print every frame crossing an interface, through a packet socket (AF_PACKET,
 * ETH_P_ALL). -i IFACE (default: the first interface that is up and not loopback), -c COUNT, -n
 * (addresses are always numeric here: there is no resolver), -e (print the link-level header).
 * Stops after COUNT frames or on Ctrl-C, then prints the capture statistics as tcpdump does.
 * Timestamps are the kernel clock's time since boot, the same clock --pcap files are stamped with.
 *
 * -w FILE is refused: the guest's tcpdump does not write pcap files yet (issue 16). Capture to a
 * file from the machine side instead (--pcap FILE, or -object filter-dump,…), which sees the same frames on the wire.
 */
const USAGE = "Usage: tcpdump [-enS] [-c count] [-i interface] [-w file]";

export async function tcpdump(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt(argv, "enSc:i:w:");
  if (typeof o === "string") return fail(sys, "tcpdump", `${o}\n${USAGE}`, 1);
  // Relative TCP sequence numbers per conversation of this capture, as tcpdump; -S prints them absolute.
  const tcp_seq = tcp_seq_state(o.opts.has("S"));
  if (o.args.length > 0) return fail(sys, "tcpdump", `filter expressions are not supported ('${o.args.join(" ")}')`, 1);
  if (o.opts.has("w")) {
    return fail(sys, "tcpdump", `${o.opts.get("w")}: writing captures inside the machine is not supported yet; capture from the host with --pcap FILE or -object filter-dump,id=ID,netdev=NETDEV,file=FILE`, 1);
  }
  let count = Infinity;
  if (o.opts.has("c")) {
    const c = Number(o.opts.get("c"));
    if (!Number.isInteger(c) || c < 1) return fail(sys, "tcpdump", `invalid packet count ${o.opts.get("c")}`, 1);
    count = c;
  }
  const link_header = o.opts.has("e");
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
  sys.write(2, `tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\nlistening on ${dev.name}, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n`);
  let captured = 0;
  while (captured < count) {
    const d = await sys.recvfrom(fd, null);
    if (typeof d === "number") break; // -EINTR (^C) or the socket went away
    // libpcap: on loopback every frame is seen going out and coming back in; keep the incoming one.
    if (dev.type === "loopback" && d.port === PACKET_OUTGOING) continue;
    print(sys, `${ts_format(d.tstamp_ns)} ${ether_print(d.data, d.data.length, link_header, tcp_seq)}\n`);
    captured++;
  }
  const st = sys.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS);
  sys.close(fd);
  const seen = typeof st === "number" ? captured : st.tp_packets;
  const dropped = typeof st === "number" ? 0 : st.tp_drops;
  const plural = (n: number): string => `${n} packet${n === 1 ? "" : "s"}`;
  sys.write(2, `${captured === count ? "" : "\n"}${plural(captured)} captured\n${plural(seen)} received by filter\n${plural(dropped)} dropped by kernel\n`);
  return 0;
}
