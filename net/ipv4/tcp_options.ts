/**
 * TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018; Linux's tcp_parse_options in tcp_input.c and
 * tcp_options_write in tcp_output.c): reading them from a received segment, what a SYN exchange
 * negotiates, writing them into an outgoing one, and the timestamp clock they carry.
 */
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import {
  TCP_HLEN,
  TCP_MAX_WSCALE,
  TCP_MSS_DEFAULT,
  TCPHDR_ACK,
  TCPHDR_SYN,
  TCPOLEN_TSTAMP_ALIGNED,
  TCPOPT_EOL,
  TCPOPT_MSS,
  TCPOPT_NOP,
  TCPOPT_SACK,
  TCPOPT_SACK_PERM,
  TCPOPT_TIMESTAMP,
  TCPOPT_WINDOW,
  type TcpSkb,
  type TcpSock,
} from "./tcp_sock.ts";

/** Our timestamp clock (RFC 7323 §5.4): milliseconds, offset per connection. */
export function tcp_time_stamp(tp: TcpSock): number {
  return (Math.floor(ktime_get_ns() / 1_000_000) + tp.ts_offset) >>> 0;
}

/**
 * tcp_parse_options(): the options of `skb` (RFC 9293 §3.2). MSS, window scale and SACK-permitted
 * count only on a SYN. A malformed option ends the parse; what was read so far stands.
 */
export function tcp_parse_options(skb: TcpSkb): void {
  const opt = skb.opt;
  const d = skb.data;
  const syn = (skb.flags & TCPHDR_SYN) !== 0;
  opt.saw_tstamp = false;
  opt.num_sacks = 0;
  opt.mss_clamp = 0;
  opt.wscale = -1;
  opt.sack_ok = false;
  const end = skb.th + skb.doff;
  let i = skb.th + TCP_HLEN;
  while (i < end) {
    const kind = d[i]!;
    if (kind === TCPOPT_EOL) break;
    if (kind === TCPOPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) break;
    const len = d[i + 1]!;
    if (len < 2 || i + len > end) break;
    if (kind === TCPOPT_MSS && len === 4 && syn) {
      const mss = (d[i + 2]! << 8) | d[i + 3]!;
      if (mss !== 0) opt.mss_clamp = mss;
    } else if (kind === TCPOPT_WINDOW && len === 3 && syn) {
      opt.wscale = Math.min(d[i + 2]!, TCP_MAX_WSCALE);
    } else if (kind === TCPOPT_SACK_PERM && len === 2 && syn) {
      opt.sack_ok = true;
    } else if (kind === TCPOPT_TIMESTAMP && len === 10) {
      opt.saw_tstamp = true;
      opt.rcv_tsval = ((d[i + 2]! << 24) | (d[i + 3]! << 16) | (d[i + 4]! << 8) | d[i + 5]!) >>> 0;
      opt.rcv_tsecr = ((d[i + 6]! << 24) | (d[i + 7]! << 16) | (d[i + 8]! << 8) | d[i + 9]!) >>> 0;
    } else if (kind === TCPOPT_SACK && len >= 10 && (len - 2) % 8 === 0 && !syn) {
      const n = Math.min((len - 2) >> 3, opt.sack.length >> 1);
      for (let b = 0; b < n; b++) {
        const o = i + 2 + 8 * b;
        opt.sack[2 * b] = ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
        opt.sack[2 * b + 1] = ((d[o + 4]! << 24) | (d[o + 5]! << 16) | (d[o + 6]! << 8) | d[o + 7]!) >>> 0;
      }
      opt.num_sacks = n;
    }
    i += len;
  }
}

/** The options a SYN or SYN-ACK negotiates (tcp_openreq_init / the SYN-SENT half of tcp_rcv_synsent_state_process). */
export function tcp_apply_syn_options(tp: TcpSock, skb: TcpSkb): void {
  const opt = skb.opt;
  tp.tstamp_ok = tp.tstamp_ok && opt.saw_tstamp;
  tp.sack_ok = tp.sack_ok && opt.sack_ok;
  tp.wscale_ok = tp.wscale_ok && opt.wscale >= 0;
  tp.snd_wscale = tp.wscale_ok ? opt.wscale : 0;
  if (!tp.wscale_ok) tp.rcv_wscale = 0;
  tp.rx_mss_clamp = opt.mss_clamp !== 0 ? opt.mss_clamp : TCP_MSS_DEFAULT;
  tp.tcp_header_len = TCP_HLEN + (tp.tstamp_ok ? TCPOLEN_TSTAMP_ALIGNED : 0);
  if (tp.tstamp_ok) {
    tp.ts_recent = opt.rcv_tsval;
    tp.ts_recent_stamp_ns = ktime_get_ns();
  }
}

/**
 * Write the options of a segment at d[o…) and return their length (a multiple of 4). SYN and
 * SYN-ACK: MSS, SACK-permitted, timestamps, window scale in Linux's order and packing (20 bytes);
 * the SYN offers what the sysctls allow, the SYN-ACK answers what the peer offered (tp.*_ok hold
 * both). Other segments: timestamps, then up to `room` bytes of SACK blocks for our out-of-order
 * data, the most recently changed range first (RFC 2018 §4).
 */
export function tcp_options_write(tp: TcpSock, d: Uint8Array, v: DataView, o: number, flags: number, room: number): number {
  let n = 0;
  if (flags & TCPHDR_SYN) {
    d[o] = TCPOPT_MSS;
    d[o + 1] = 4;
    v.setUint16(o + 2, tp.advmss);
    n = 4;
    if (tp.tstamp_ok) {
      if (tp.sack_ok) {
        d[o + n] = TCPOPT_SACK_PERM;
        d[o + n + 1] = 2;
      } else {
        d[o + n] = TCPOPT_NOP;
        d[o + n + 1] = TCPOPT_NOP;
      }
      d[o + n + 2] = TCPOPT_TIMESTAMP;
      d[o + n + 3] = 10;
      v.setUint32(o + n + 4, tcp_time_stamp(tp));
      v.setUint32(o + n + 8, flags & TCPHDR_ACK ? tp.ts_recent : 0);
      n += 12;
    } else if (tp.sack_ok) {
      d[o + n] = TCPOPT_NOP;
      d[o + n + 1] = TCPOPT_NOP;
      d[o + n + 2] = TCPOPT_SACK_PERM;
      d[o + n + 3] = 2;
      n += 4;
    }
    if (tp.wscale_ok) {
      d[o + n] = TCPOPT_NOP;
      d[o + n + 1] = TCPOPT_WINDOW;
      d[o + n + 2] = 3;
      d[o + n + 3] = tp.rcv_wscale;
      n += 4;
    }
    return n;
  }
  if (tp.tstamp_ok) {
    d[o] = TCPOPT_NOP;
    d[o + 1] = TCPOPT_NOP;
    d[o + 2] = TCPOPT_TIMESTAMP;
    d[o + 3] = 10;
    v.setUint32(o + 4, tcp_time_stamp(tp));
    v.setUint32(o + 8, tp.ts_recent);
    n = 12;
  }
  const ranges = tp.ofo.length >> 1;
  if (tp.sack_ok && ranges > 0) {
    const blocks = Math.min(ranges, Math.floor((Math.min(room, 40 - n) - 4) / 8));
    if (blocks > 0) {
      d[o + n] = TCPOPT_NOP;
      d[o + n + 1] = TCPOPT_NOP;
      d[o + n + 2] = TCPOPT_SACK;
      d[o + n + 3] = 2 + 8 * blocks;
      let at = o + n + 4;
      const first = tp.ofo_last >= 0 && tp.ofo_last < ranges ? tp.ofo_last : ranges - 1;
      v.setUint32(at, tp.ofo[2 * first]!);
      v.setUint32(at + 4, tp.ofo[2 * first + 1]!);
      at += 8;
      for (let i = ranges - 1, k = 1; i >= 0 && k < blocks; i--) {
        if (i === first) continue;
        v.setUint32(at, tp.ofo[2 * i]!);
        v.setUint32(at + 4, tp.ofo[2 * i + 1]!);
        at += 8;
        k++;
      }
      n += 4 + 8 * blocks;
    }
  }
  return n;
}
