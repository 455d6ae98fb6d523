/**
 * TCP segmentation offload, the sending half (net/ipv4/tcp_offload.c's role, seen from
 * tcp_write_xmit): several full segments of new data leave as one GSO frame — headers and payload
 * in a chain of packet buffers, gso_size = MSS — and the NIC's TSO engine cuts it, writing each
 * segment's sequence number, lengths and checksums. Used when the route's device offers NETIF_F_TSO
 * with scatter-gather (`ethtool -K eth0 tso off` turns it off); there is no software GSO, so
 * without it segments are built one by one. Retransmissions always go one segment at a time.
 *
 * Buffers: the chain is fresh from the pool and owned by ip_output once handed over. Context:
 * process or softirq, as tcp_write_xmit. Never sleeps.
 */
import { tcp_select_window } from "./tcp_window.ts";
import { EMSGSIZE, ENOBUFS } from "../../include/linux/errno.ts";
import { NETIF_F_SG, NETIF_F_TSO, PBUF_SIZE, SKB_GSO_TCPV4 } from "../../include/net/netdevice.ts";
import { IPPROTO_TCP, IP_PMTUDISC_WANT } from "../../include/uapi/in.ts";
import { pbuf_add_frag, pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { IP_HLEN, ip_l4_csum, ip_output, L4_OFF } from "./ip.ts";
import { ip_route_output } from "./route.ts";
import { tcp_ext, tcp_mib } from "./tcp_net.ts";
import { tcp_event_ack_sent, tcp_event_data_sent } from "./tcp_output.ts";
import { inet_csk_reset_xmit_timer } from "./tcp_timer.ts";
import { ICSK_TIME_RETRANS, seq_add, seq_diff, TCP_CA_Open, TCP_HLEN, TCPHDR_ACK, TCPHDR_PSH, type TcpSock } from "./tcp_sock.ts";
import { tcp_options_write } from "./tcp_options.ts";

/** The most payload one GSO frame carries (IP's 64 KiB less headers; Linux's gso_max_size 65536). */
export const TCP_GSO_MAX_PAYLOAD = 65535 - IP_HLEN - 60;

/**
 * May new data go out as one GSO frame for the NIC to cut (tcp_tso_autosize's precondition)? The
 * route's device must offer NETIF_F_TSO (with scatter-gather: the frame is a chain of buffers), and
 * the connection must not be repairing losses (retransmissions go one segment at a time).
 */
export function tcp_gso_ok(tp: TcpSock): boolean {
  if (tp.gso_off || tp.ca_state !== TCP_CA_Open) return false;
  const dev = ip_route_output(tp.daddr)?.dev;
  return dev !== undefined && (dev.features & (NETIF_F_TSO | NETIF_F_SG)) === (NETIF_F_TSO | NETIF_F_SG);
}

/**
 * tcp_transmit_skb() for a GSO frame: `len` bytes from `seq` in segments of `mss`. The headers and
 * the first payload bytes are in the head buffer, the rest in fragment buffers (pbuf_add_frag); the
 * NIC's TSO engine writes each segment's sequence number, lengths and checksums. Options are the
 * timestamps only (no SACK blocks ride on a GSO frame). Counts every segment in OutSegs, as Linux
 * counts tcp_skb_pcount.
 */
function tcp_transmit_gso(tp: TcpSock, seq: number, len: number, mss: number): number {
  const p = pbuf_alloc();
  if (p === null) return -ENOBUFS;
  const d = p.data;
  const v = p.view;
  const o = p.head + L4_OFF;
  const hlen = TCP_HLEN + tcp_options_write(tp, d, v, o + TCP_HLEN, TCPHDR_ACK, 0);
  let flags = TCPHDR_ACK;
  if (seq_add(seq, len) === tp.write_seq) flags |= TCPHDR_PSH;
  v.setUint16(o, tp.sport);
  v.setUint16(o + 2, tp.dport);
  v.setUint32(o + 4, seq);
  v.setUint32(o + 8, tp.rcv_nxt);
  d[o + 12] = (hlen >> 2) << 4;
  d[o + 13] = flags;
  v.setUint16(o + 14, tcp_select_window(tp));
  v.setUint32(o + 16, 0);
  const ring = tp.snd_ring!;
  const off = seq_diff(seq, tp.snd_buf_seq);
  const first = Math.min(len, PBUF_SIZE - (o + hlen));
  ring.read_at(off, d, o + hlen, first);
  p.len = L4_OFF + hlen + first;
  for (let at = first; at < len; ) {
    const f = pbuf_alloc();
    if (f === null) {
      pbuf_put(p);
      return -ENOBUFS;
    }
    f.head = 0;
    f.len = Math.min(len - at, PBUF_SIZE);
    ring.read_at(off + at, f.data, 0, f.len);
    pbuf_add_frag(p, f);
    at += f.len;
  }
  p.gso_size = mss;
  p.gso_type = SKB_GSO_TCPV4;
  p.gso_segs = Math.ceil(len / mss);
  ip_l4_csum(p, o, 16, csum_tcpudp_nofold(tp.saddr, tp.daddr, hlen + len, IPPROTO_TCP));
  tcp_mib().OutSegs += p.gso_segs;
  tcp_event_ack_sent(tp);
  tcp_event_data_sent(tp);
  return ip_output(p, hlen + len, IPPROTO_TCP, tp.daddr, tp.saddr, undefined, tp.xmit_error, IP_PMTUDISC_WANT);
}

/**
 * Send `n` full segments of new data as one GSO frame, recording each segment in flight as if sent
 * alone. A stack whose IP output refuses frames above the MTU (-EMSGSIZE) turns GSO off for the
 * connection and the data goes again segment by segment.
 */
export function tcp_send_new_gso(tp: TcpSock, n: number): number {
  const mss = tp.mss_cache;
  const seq = tp.snd_nxt;
  const r = tcp_transmit_gso(tp, seq, n * mss, mss);
  if (r < 0) {
    if (r === -EMSGSIZE) tp.gso_off = true;
    return r;
  }
  const now = ktime_get_ns();
  for (let i = 0; i < n; i++) {
    const rec = tp.rtx.push();
    rec.seq = seq_add(seq, i * mss);
    rec.end_seq = seq_add(rec.seq, mss);
    rec.first_tx_ns = rec.tx_ns = now;
  }
  tcp_ext().TCPOrigDataSent += n;
  tp.snd_nxt = seq_add(seq, n * mss);
  tp.packets_out += n;
  if (tp.icsk_pending !== ICSK_TIME_RETRANS) inet_csk_reset_xmit_timer(tp, ICSK_TIME_RETRANS, tp.icsk_rto_ns);
  return 0;
}
