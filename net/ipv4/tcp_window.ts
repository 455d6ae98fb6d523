/**
 * What a connection offers its peer (net/ipv4/tcp_output.c's MSS and window half): the path MTU as
 * TCP uses it and the MSS it gives (tcp_sync_mss, tcp_advmss), the initial receive window and its
 * scale, and the window field of each outgoing segment, never taken back. Any context; never sleeps.
 */
import { ETH_HLEN, PBUF_HEADROOM, PBUF_SIZE } from "../../include/net/netdevice.ts";
import { ip_route_mtu } from "./route.ts";
import { IP_HLEN } from "./ip.ts";
import { MAX_TCP_WINDOW, TCP_HLEN, TCP_MIN_MSS, tcp_receive_window, type TcpSock } from "./tcp_sock.ts";
import { tcp_ext, tcp_net } from "./tcp_net.ts";

/**
 * The largest IP packet one packet buffer holds (2 KiB less headroom and the Ethernet header).
 * TCP caps the path MTU at it: a device with a larger MTU (lo's 65536) still gets segments of at
 * most this size, until segments can span buffer chains (Linux's lo MSS is 65483).
 */
export const TCP_MAX_PMTU = PBUF_SIZE - PBUF_HEADROOM - ETH_HLEN;

/**
 * The MTU towards `daddr` as TCP uses it: the route's, lowered by a path MTU learned from ICMP
 * (ip_route_mtu), capped at what one packet buffer holds; 576 (RFC 9293's minimum) without a route.
 */
export function tcp_pmtu(daddr: number): number {
  return Math.min(ip_route_mtu(daddr) || 576, TCP_MAX_PMTU);
}

/**
 * tcp_sync_mss(): the payload per segment, from the path MTU, the peer's MSS option, TCP_MAXSEG,
 * less the options every segment carries (12 bytes of timestamps: 1460 becomes 1448).
 */
export function tcp_sync_mss(tp: TcpSock): number {
  let mss = tcp_pmtu(tp.daddr) - IP_HLEN - TCP_HLEN;
  mss = Math.min(mss, tp.rx_mss_clamp);
  if (tp.user_mss !== 0) mss = Math.min(mss, tp.user_mss);
  mss -= tp.tcp_header_len - TCP_HLEN;
  tp.mss_cache = Math.max(mss, TCP_MIN_MSS - (tp.tcp_header_len - TCP_HLEN));
  return tp.mss_cache;
}

/** The MSS we announce in our SYN (tcp_advertise_mss): what our device can receive, capped by TCP_MAXSEG. */
export function tcp_advmss(tp: TcpSock): number {
  const mss = tcp_pmtu(tp.daddr) - IP_HLEN - TCP_HLEN;
  return tp.user_mss !== 0 ? Math.min(mss, tp.user_mss) : mss;
}

/**
 * tcp_select_initial_window(): the SYN's window and our window scale. The window is the receive
 * space rounded down to whole segments (64240 for 64 KiB and MSS 1460, as Linux offers); the scale
 * is chosen, as Linux does, for the largest buffer the socket could grow to (tcp_rmem[2], 6 MiB: a
 * shift of 7) unless SO_RCVBUF fixed the size.
 */
export function tcp_select_initial_window(tp: TcpSock, mss: number): void {
  const full = tp.rcv_space;
  let space = full;
  if (space > mss) space -= space % mss;
  tp.rcv_wnd = space;
  tp.window_clamp = full;
  tp.rcv_wscale = 0;
  if (tp.wscale_ok) {
    let s = tp.rcvbuf_locked ? full : Math.max(full, tcp_net.get().sysctl.tcp_rmem[2]);
    s = Math.min(s, MAX_TCP_WINDOW << 14);
    tp.rcv_wscale = Math.min(14, Math.max(0, Math.floor(Math.log2(s)) - 15));
  }
  // Room for one scale unit beyond the space (see TcpSock.rcv_space); the ring is still empty.
  const ring = tp.rcv_ring!;
  if (tp.rcv_wscale > 0 && ring.capacity === full) ring.resize(full + (1 << tp.rcv_wscale), 0);
}

/**
 * __tcp_select_window(): the window the free receive space allows. Receiver SWS avoidance
 * (RFC 9293 §3.8.6.2.2): below half the buffer, a window smaller than one segment is offered as 0.
 * With a scale the window is rounded *down* to the scale's unit (Linux rounds up, trusting slack in
 * its memory accounting; a ring has none).
 */
export function __tcp_select_window(tp: TcpSock): number {
  const ring = tp.rcv_ring;
  if (ring === null) return 0;
  const full = Math.min(tp.rcv_space, tp.window_clamp);
  const free = Math.max(0, Math.min(tp.rcv_space - ring.len, full));
  const mss = Math.min(tp.rcv_mss, full);
  if (free < full >> 1 && free < mss) return 0;
  if (tp.rcv_wscale !== 0) return free - (free % (1 << tp.rcv_wscale));
  let window = tp.rcv_wnd;
  if (window <= free - mss || window > free) window = free - (free % mss);
  else if (mss === full && free > window + (full >> 1)) window = free;
  return window;
}

/**
 * tcp_select_window(): the window field for an outgoing segment. An offered window is never taken
 * back (RFC 9293 §3.8.6.2.2: the right edge does not move left). Records what was offered.
 */
export function tcp_select_window(tp: TcpSock): number {
  const ext = tcp_ext();
  const old_win = tp.rcv_wnd;
  const cur_win = tcp_receive_window(tp);
  let new_win = __tcp_select_window(tp);
  const unit = 1 << tp.rcv_wscale;
  let field: number;
  if (new_win < cur_win) {
    // Never taken back: the edge stays where it was; the field rounds up to the scale's unit
    // (those few bytes beyond the edge fit in the ring's spare unit).
    if (new_win === 0) ext.TCPWantZeroWindowAdv++;
    new_win = cur_win;
    field = Math.ceil(cur_win / unit);
  } else {
    field = new_win >>> tp.rcv_wscale;
  }
  tp.rcv_wnd = new_win;
  tp.rcv_wup = tp.rcv_nxt;
  field = Math.min(field, MAX_TCP_WINDOW);
  if (field === 0) {
    if (old_win !== 0) ext.TCPToZeroWindowAdv++;
    tp.rcv_zero_wnd = true;
  } else if (tp.rcv_zero_wnd) {
    ext.TCPFromZeroWindowAdv++;
    tp.rcv_zero_wnd = false;
  }
  return field;
}

