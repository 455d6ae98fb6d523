/**
 * Socket options of a stream socket (net/core/sock.c's sk_setsockopt and net/ipv4/tcp.c's
 * do_tcp_setsockopt / do_tcp_getsockopt, reduced): SO_REUSEADDR, SO_KEEPALIVE, SO_SNDBUF,
 * SO_RCVBUF, SO_ERROR, SO_TYPE; TCP_NODELAY, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT.
 * Values are integers; calls return 0, the value (get) or -errno. Process context.
 */
import { EINVAL, ENOPROTOOPT } from "../../include/linux/errno.ts";
import {
  SO_ERROR,
  SO_KEEPALIVE,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_STREAM,
  SOL_SOCKET,
  SOL_TCP,
  TCP_KEEPCNT,
  TCP_KEEPIDLE,
  TCP_KEEPINTVL,
  TCP_MAXSEG,
  TCP_NODELAY,
} from "../../include/uapi/in.ts";
import { sk_write_space, sock_error } from "./tcp.ts";
import { tcp_net } from "./tcp_net.ts";
import { tcp_push_pending_frames } from "./tcp_output.ts";
import { tcp_set_keepalive } from "./tcp_timer.ts";
import { seq_diff, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF, TCP_CLOSE, TCP_LISTEN, TCP_MIN_MSS, type ByteRing, type TcpSock } from "./tcp_sock.ts";

/** net.core.rmem_max / wmem_max: the most SO_RCVBUF / SO_SNDBUF may ask for (before doubling). */
const SYSCTL_RMEM_MAX = 212992;
const SYSCTL_WMEM_MAX = 212992;

/** Resize a ring that already holds a connection's bytes: it may grow, never lose what it holds. */
function tcp_resize_ring(ring: ByteRing | null, capacity: number, keep: number): void {
  if (ring !== null && capacity >= keep) ring.resize(capacity, keep);
}

/** setsockopt() at SOL_SOCKET and SOL_TCP. */
export function tcp_setsockopt(tp: TcpSock, level: number, optname: number, val: number): number {
  if (!Number.isInteger(val)) return -EINVAL;
  if (level === SOL_SOCKET) {
    switch (optname) {
      case SO_REUSEADDR:
        tp.reuse = val !== 0;
        return 0;
      case SO_KEEPALIVE:
        tp.keepalive = val !== 0;
        tcp_set_keepalive(tp, tp.keepalive);
        return 0;
      case SO_SNDBUF:
        tp.sk_sndbuf = Math.max(Math.min(Math.max(val, 0), SYSCTL_WMEM_MAX) * 2, SOCK_MIN_SNDBUF);
        tp.sndbuf_locked = true;
        tcp_resize_ring(tp.snd_ring, tp.sk_sndbuf >> 1, tp.snd_ring?.len ?? 0);
        sk_write_space(tp);
        return 0;
      case SO_RCVBUF: {
        tp.sk_rcvbuf = Math.max(Math.min(Math.max(val, 0), SYSCTL_RMEM_MAX) * 2, SOCK_MIN_RCVBUF);
        tp.rcvbuf_locked = true;
        const r = tp.rcv_ring;
        const space = tp.sk_rcvbuf >> 1;
        if (r !== null && space > tp.rcv_space) {
          // Only growing: a window already offered is never taken back.
          const extent = tp.ofo.length > 0 ? seq_diff(tp.ofo[tp.ofo.length - 1]!, tp.copied_seq) : r.len;
          tcp_resize_ring(r, space + (r.capacity - tp.rcv_space), Math.max(extent, r.len));
          tp.rcv_space = tp.window_clamp = space;
        }
        return 0;
      }
      default:
        return -ENOPROTOOPT;
    }
  }
  if (level !== SOL_TCP) return -ENOPROTOOPT;
  switch (optname) {
    case TCP_NODELAY:
      tp.nonagle = val !== 0;
      if (tp.nonagle && tp.state !== TCP_CLOSE && tp.state !== TCP_LISTEN) tcp_push_pending_frames(tp, true);
      return 0;
    case TCP_MAXSEG:
      if (val !== 0 && (val < TCP_MIN_MSS || val > 32767)) return -EINVAL;
      tp.user_mss = val;
      return 0;
    case TCP_KEEPIDLE:
      if (val < 1 || val > 32767) return -EINVAL;
      tp.keepalive_time_s = val;
      if (tp.keepalive) tcp_set_keepalive(tp, true);
      return 0;
    case TCP_KEEPINTVL:
      if (val < 1 || val > 32767) return -EINVAL;
      tp.keepalive_intvl_s = val;
      return 0;
    case TCP_KEEPCNT:
      if (val < 1 || val > 127) return -EINVAL;
      tp.keepalive_probes = val;
      return 0;
    default:
      return -ENOPROTOOPT;
  }
}

/** getsockopt() at SOL_SOCKET and SOL_TCP: the value (>= 0) or -errno. */
export function tcp_getsockopt(tp: TcpSock, level: number, optname: number): number {
  const sysctl = tcp_net.get().sysctl;
  if (level === SOL_SOCKET) {
    switch (optname) {
      case SO_ERROR:
        return sock_error(tp) || (tp.sk_err_soft !== 0 && tp.state === TCP_CLOSE ? tp.sk_err_soft : 0);
      case SO_TYPE:
        return SOCK_STREAM;
      case SO_REUSEADDR:
        return tp.reuse ? 1 : 0;
      case SO_KEEPALIVE:
        return tp.keepalive ? 1 : 0;
      case SO_SNDBUF:
        return tp.sk_sndbuf;
      case SO_RCVBUF:
        return tp.sk_rcvbuf;
      default:
        return -ENOPROTOOPT;
    }
  }
  if (level !== SOL_TCP) return -ENOPROTOOPT;
  switch (optname) {
    case TCP_NODELAY:
      return tp.nonagle ? 1 : 0;
    case TCP_MAXSEG:
      return tp.user_mss !== 0 && (tp.state === TCP_CLOSE || tp.state === TCP_LISTEN) ? tp.user_mss : tp.mss_cache;
    case TCP_KEEPIDLE:
      return tp.keepalive_time_s || sysctl.tcp_keepalive_time;
    case TCP_KEEPINTVL:
      return tp.keepalive_intvl_s || sysctl.tcp_keepalive_intvl;
    case TCP_KEEPCNT:
      return tp.keepalive_probes || sysctl.tcp_keepalive_probes;
    default:
      return -ENOPROTOOPT;
  }
}
