/**
 * The user network's TCP NAT (libslirp's tcp_subr.c and socket.c): the table of connections, the
 * host sockets behind them, the timers and the tick that flushes work, host forwarding's accepted
 * connections, and the counters.
 *
 * Guest → outside (tcp_input.c, tcp_fconnect): a SYN to a carried address (slirp.ts) starts a host
 * connect; the guest gets its SYN-ACK only once the host connection is up. If the host fails:
 *   ECONNREFUSED                  RST|ACK (the guest's connect() fails with ECONNREFUSED) — slirp;
 *   EHOSTUNREACH / ENETUNREACH    ICMP destination unreachable, host / net (EHOSTUNREACH /
 *                                 ENETUNREACH in the guest) — slirp;
 *   anything else (ETIMEDOUT …)   RST|ACK (slirp sends ICMP net unreachable here; an RST tells
 *                                 the guest at once without a misleading "network unreachable").
 * TCP to the DNS address's port 53 is refused with an RST (the name server answers UDP only), and
 * so is TCP to port 0.
 *
 * Host → guest (hostfwd, tcp_connect in tcp_subr.c): an accepted host connection becomes a
 * connection from the host's address as the guest sees it (10.0.2.2 for the host's loopback) and
 * the host client's port, to the rule's guest address and port; the NAT sends the SYN (ARPing
 * for the guest first if its MAC is not known yet). The host socket reads nothing until the guest
 * has answered; a guest RST, or no answer after TCP_SYN_RETRIES, closes the host connection.
 *
 * Closing: FIN each way on its own (half-close: the host socket's end() after the guest's FIN; our
 * FIN to the guest after the host's 'end' and the last queued byte). There is no TIME_WAIT: the
 * connection is forgotten once both FINs are acknowledged; a late segment for it gets an RST.
 * An RST from the guest resets the host socket; a reset or error of the host socket sends the
 * guest an RST.
 *
 * Work from the guest's segments (bytes for the host, ACKs, data for the guest) is collected and
 * done at the "tick", a clock event at the current time: a burst of segments from the NIC
 * becomes one write to the host socket. In-order data is acknowledged at the tick once two full
 * segments (or a PSH) arrived since the last ACK, else after TCP_DELACK_NS; anything out of
 * order is answered at once.
 *
 * Back-pressure: the window offered to the guest is SLIRP_RCVBUF less what the host socket has
 * not taken (slirp_tcp_output.ts tcp_rcv_window); the host socket is paused while more than
 * SLIRP_SNDBUF of its bytes wait for the guest, and resumed below SLIRP_SNDLOWAT.
 */
import { ClockEvent } from "../clock.ts";
import type { HostNet, HostTcpEvents, HostTcpHandle, HostTcpListener } from "./host_net.ts";
import { inet_ntoa } from "../../include/uapi/in.ts";
import { ICMP_UNREACH_HOST, ICMP_UNREACH_NET, slirp_translate_in, slirp_translate_out, type SlirpIf } from "./slirp.ts";
import type { HostFwdRule } from "./slirp_hostfwd.ts";
import type { SynOptions } from "./slirp_tcp_input.ts";
import { tcp_arm_rexmt, tcp_output, tcp_rcv_window, tcp_respond, tcp_send } from "./slirp_tcp_output.ts";
import {
  SLIRP_MSS,
  SLIRP_SNDBUF,
  SLIRP_WSCALE,
  TCP_INIT_CWND,
  TCP_MAX_CONNS,
  TCP_MAX_PERSIST_PROBES,
  TCP_MAXPERSISTIDLE_NS,
  TCP_MAXRXTSHIFT,
  TCP_RST_RETRIES,
  TCP_RST_RETRY_NS,
  TCP_MSS_DEFAULT,
  TCP_STATE_NAMES,
  TCP_SYN_RETRIES,
  TCPS,
  TH_ACK,
  TH_FIN,
  TH_RST,
  TH_SYN,
  TcpConn,
  seq_gt,
  seq_lt,
  tcp_stats_zero,
  type TcpStats,
} from "./slirp_tcp_subr.ts";

/** The guest's bytes are gathered in blocks of this size before they go to the host socket. */
const WBUF_SIZE = 65536;

export class SlirpTcp {
  readonly ifc: SlirpIf;
  readonly host: HostNet;
  readonly stats: TcpStats = tcp_stats_zero();
  /** Connections by a hash of the guest's and the far end's port and address (chained by hnext). */
  private readonly table = new Map<number, TcpConn>();
  /** Connections now. */
  count = 0;
  /** Connections with work for the tick; two lists swapped so the tick allocates nothing. */
  private dirty: TcpConn[] = [];
  private spare: TcpConn[] = [];
  /** Connections that stopped for want of an output slot. */
  private readonly blocked: TcpConn[] = [];
  private readonly tick: ClockEvent;
  private iss_count = 0;
  private readonly listeners: HostTcpListener[] = [];

  constructor(ifc: SlirpIf, host: HostNet) {
    this.ifc = ifc;
    this.host = host;
    this.tick = new ClockEvent("slirp-tcp-tick", () => this.run_tick());
  }

  /** The largest segment the NAT sends (a 1514-byte frame). */
  max_mss(): number {
    return SLIRP_MSS;
  }

  private static hash(gaddr: number, gport: number, faddr: number, fport: number): number {
    return ((gport << 14) ^ fport ^ ((faddr ^ gaddr) & 0xffff) ^ ((faddr >>> 16) << 3)) & 0x3fffffff;
  }

  lookup(gaddr: number, gport: number, faddr: number, fport: number): TcpConn | null {
    let c = this.table.get(SlirpTcp.hash(gaddr, gport, faddr, fport)) ?? null;
    while (c !== null && (c.gport !== gport || c.fport !== fport || c.gaddr !== gaddr || c.faddr !== faddr)) c = c.hnext;
    return c;
  }

  private insert(c: TcpConn): void {
    const h = SlirpTcp.hash(c.gaddr, c.gport, c.faddr, c.fport);
    c.hnext = this.table.get(h) ?? null;
    this.table.set(h, c);
    this.count++;
  }

  /** Forget `c` (its host socket is left as it is). */
  private remove(c: TcpConn): void {
    if (c.dead) return;
    c.dead = true;
    this.ifc.clock.disarm(c.timer);
    this.ifc.clock.disarm(c.delack);
    const h = SlirpTcp.hash(c.gaddr, c.gport, c.faddr, c.fport);
    let p = this.table.get(h) ?? null;
    if (p === c) {
      if (c.hnext === null) this.table.delete(h);
      else this.table.set(h, c.hnext);
    } else {
      while (p !== null && p.hnext !== c) p = p.hnext;
      if (p !== null) p.hnext = c.hnext;
    }
    c.hnext = null;
    c.sq.length = 0;
    c.ooo_clear();
    this.count--;
  }

  /** Every connection (for describe and tests). */
  conns(): TcpConn[] {
    const out: TcpConn[] = [];
    for (const head of this.table.values()) for (let c: TcpConn | null = head; c !== null; c = c.hnext) out.push(c);
    return out;
  }

  private new_iss(): number {
    // RFC 793's 4 µs clock plus a step per connection: deterministic on the virtual clock.
    return (Math.floor(this.ifc.clock.now_ns() / 4000) + ++this.iss_count * 64000) >>> 0;
  }

  /** `c` has work for the tick. */
  mark(c: TcpConn): void {
    if (!c.dirty) {
      c.dirty = true;
      this.dirty.push(c);
    }
    if (!this.tick.armed) this.ifc.clock.arm(this.tick, this.ifc.clock.now_ns());
  }

  /** The user network's output slots were freed: connections that waited for one go on. */
  slots_freed(): void {
    if (this.blocked.length === 0) return;
    for (const c of this.blocked) this.dirty.push(c);
    this.blocked.length = 0;
    if (!this.tick.armed) this.ifc.clock.arm(this.tick, this.ifc.clock.now_ns());
  }

  private run_tick(): void {
    const list = this.dirty;
    this.dirty = this.spare;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      if (c.dead) {
        c.dirty = false;
        continue;
      }
      this.flush(c);
      if (tcp_output(this.ifc, this.stats, c)) c.dirty = false;
      else this.blocked.push(c);
    }
    list.length = 0;
    this.spare = list;
  }

  // --- the guest's side ---

  /** A SYN from the guest for no connection: a new NAT'd connection (tcp_input's LISTEN case). */
  syn_in(f: Uint8Array, l4: number, src: number, sport: number, dst: number, dport: number, seq: number, opts: SynOptions): void {
    const cfg = this.ifc.cfg;
    const to = slirp_translate_out(cfg, dst);
    if (to === null) {
      this.stats.dropped++;
      return;
    }
    const full = this.count >= TCP_MAX_CONNS;
    if ((dst === cfg.dns && dport === 53) || dport === 0 || full) {
      if (full) this.stats.conn_limit++;
      else this.stats.refused++;
      tcp_respond(this.ifc, this.stats, f.subarray(6, 12), dst, src, dport, sport, 0, (seq + 1) >>> 0, TH_RST | TH_ACK);
      return;
    }
    const c = new TcpConn(src, sport, dst, dport, f.slice(6, 12), to, dport, false, (x) => this.timeout(x), (x) => this.delayed_ack(x));
    c.state = TCPS.SYN_RECEIVED;
    c.fconnecting = true;
    c.irs = seq;
    c.rcv_nxt = c.rcv_adv = (seq + 1) >>> 0;
    c.mss = opts.mss > 0 ? Math.min(opts.mss, SLIRP_MSS) : TCP_MSS_DEFAULT;
    if (opts.wscale >= 0) {
      c.snd_wscale = opts.wscale;
      c.rcv_wscale = SLIRP_WSCALE;
    }
    c.syn_quote = f.slice(14, l4 + 8);
    c.rcv_time = this.ifc.clock.now_ns();
    this.insert(c);
    c.host = this.host.tcp_connect(to, dport, this.events(c));
  }

  /** An RST for a segment that has no connection (only for addresses the NAT carries). */
  reset_unknown(f: Uint8Array, src: number, sport: number, dst: number, dport: number, seq: number, ack: number, flags: number, dlen: number): void {
    if (slirp_translate_out(this.ifc.cfg, dst) === null) return;
    const mac = f.subarray(6, 12);
    if ((flags & TH_ACK) !== 0) tcp_respond(this.ifc, this.stats, mac, dst, src, dport, sport, ack, 0, TH_RST);
    else {
      const len = dlen + ((flags & TH_SYN) !== 0 ? 1 : 0) + ((flags & TH_FIN) !== 0 ? 1 : 0);
      tcp_respond(this.ifc, this.stats, mac, dst, src, dport, sport, 0, (seq + len) >>> 0, TH_RST | TH_ACK);
    }
  }

  /** The handshake is done (either way). */
  established(c: TcpConn): void {
    c.state = TCPS.ESTABLISHED;
    c.cwnd = TCP_INIT_CWND * c.mss;
    c.rxt_shift = 0;
    this.ifc.clock.disarm(c.timer);
    if (c.fwd) {
      this.stats.fwd_established++;
      c.host?.resume();
    }
  }

  /** In-order bytes from the guest: gathered for the host socket (written at the tick, or when a block fills). */
  deliver(c: TcpConn, src: Uint8Array, off: number, len: number): void {
    c.rcv_nxt = (c.rcv_nxt + len) >>> 0;
    this.stats.bytes_to_host += len;
    while (len > 0) {
      if (c.wbuf === null || c.wbuf_end === WBUF_SIZE) {
        this.flush(c);
        c.wbuf = new Uint8Array(WBUF_SIZE);
        c.wbuf_start = c.wbuf_end = 0;
      }
      const n = Math.min(len, WBUF_SIZE - c.wbuf_end);
      c.wbuf.set(src.subarray(off, off + n), c.wbuf_end);
      c.wbuf_end += n;
      off += n;
      len -= n;
    }
  }

  /** Hand the gathered bytes to the host socket (they are never written to again: ownership passes). */
  private flush(c: TcpConn): void {
    if (c.wbuf === null || c.wbuf_end === c.wbuf_start) return;
    const b = c.wbuf.subarray(c.wbuf_start, c.wbuf_end);
    c.wbuf_start = c.wbuf_end;
    if (c.host !== null) c.host.write(b);
  }

  /** The guest's FIN, in order: the host socket's write side ends after the bytes before it. */
  guest_fin(c: TcpConn): void {
    c.guest_fin = true;
    this.flush(c);
    c.host?.end();
    tcp_send(this.ifc, this.stats, c, c.snd_nxt, 0, TH_ACK);
    if (c.state === TCPS.ESTABLISHED) c.state = TCPS.CLOSE_WAIT;
    else if (c.state === TCPS.FIN_WAIT_1) c.state = TCPS.CLOSING;
    else if (c.state === TCPS.FIN_WAIT_2) this.finish(c);
    if (!c.dead) this.mark(c);
  }

  /** Both FINs acknowledged: the connection is forgotten (no TIME_WAIT). */
  finish(c: TcpConn): void {
    this.flush(c);
    this.stats.closed++;
    this.remove(c);
  }

  /** Drop `c`: an RST to the guest (rst_guest), the host socket reset (reset_host) or closed. */
  abort(c: TcpConn, reset_host: boolean, rst_guest: boolean): void {
    const h = c.host;
    c.host = null;
    h?.destroy(reset_host);
    // The RST carries snd_max (the highest sequence sent, which the guest's window accepts). With
    // no slot free the connection stays (rst_pending: deaf to everything) until its timer sends it.
    if (rst_guest && !c.fconnecting && c.state !== TCPS.SYN_SENT && !this.send_rst(c)) {
      if (!c.rst_pending) this.stats.rst_deferred++;
      c.rst_pending = true;
      c.persist = false;
      this.ifc.clock.disarm(c.delack);
      this.ifc.clock.arm_in(c.timer, TCP_RST_RETRY_NS);
      return;
    }
    this.remove(c);
  }

  private send_rst(c: TcpConn): boolean {
    c.snd_nxt = c.snd_max;
    return tcp_send(this.ifc, this.stats, c, c.snd_max, 0, TH_RST | TH_ACK);
  }

  /** The guest answered a forwarded connection's SYN with an RST (or never answered). */
  fwd_refused(c: TcpConn): void {
    this.stats.fwd_refused++;
    this.abort(c, false, false);
  }

  // --- the host's side ---

  /** The host socket's events for `c` (they are ignored once `c` is gone). */
  private events(c: TcpConn): HostTcpEvents {
    return {
      connected: () => {
        if (c.dead) return;
        c.fconnecting = false;
        c.syn_quote = null;
        this.stats.opened++;
        c.iss = this.new_iss();
        c.snd_una = c.snd_nxt = c.snd_max = c.iss;
        if (!tcp_output(this.ifc, this.stats, c)) this.mark(c);
      },
      data: (b) => {
        if (c.dead) return;
        c.sq_append(b);
        if (!c.paused && c.sq_bytes > SLIRP_SNDBUF && c.host !== null) {
          c.paused = true;
          c.host.pause();
        }
        this.mark(c);
      },
      end: () => {
        if (c.dead) return;
        c.host_eof = true;
        this.mark(c);
      },
      drain: () => {
        if (c.dead) return;
        // The host took the backlog: tell the guest the window is open again.
        if (seq_gt((c.rcv_nxt + tcp_rcv_window(c)) >>> 0, (c.rcv_adv + 2 * SLIRP_MSS) >>> 0)) {
          c.ack_pending = c.ack_now = true;
          this.mark(c);
        }
      },
      closed: (err) => {
        c.host = null;
        if (!c.dead && !c.rst_pending) this.host_closed(c, err);
      },
    };
  }

  private host_closed(c: TcpConn, err: string | null): void {
    const st = this.stats;
    if (c.fconnecting) {
      const q = c.syn_quote;
      const mac = c.mac!;
      this.remove(c);
      if ((err === "EHOSTUNREACH" || err === "ENETUNREACH") && q !== null) {
        st.unreachable++;
        this.ifc.icmp_unreach(mac, q, err === "EHOSTUNREACH" ? ICMP_UNREACH_HOST : ICMP_UNREACH_NET);
        return;
      }
      if (err === "ECONNREFUSED") st.refused++;
      else st.failed++;
      tcp_respond(this.ifc, st, mac, c.faddr, c.gaddr, c.fport, c.gport, 0, c.rcv_nxt, TH_RST | TH_ACK);
      return;
    }
    if (err === null) {
      // An orderly close (both ends had shut): whatever is queued still goes to the guest.
      if (!c.host_eof) {
        c.host_eof = true;
        this.mark(c);
      }
      return;
    }
    // A reset: what the host sent before it goes first (as far as the guest's window allows).
    st.reset_by_host++;
    this.flush(c);
    tcp_output(this.ifc, st, c);
    this.abort(c, false, true);
  }

  /** The delayed ACK is due. */
  private delayed_ack(c: TcpConn): void {
    if (c.dead || !c.ack_pending) return;
    c.ack_now = true;
    this.mark(c);
  }

  /** The retransmission / persist timer of `c` (tcp_timer.c). */
  private timeout(c: TcpConn): void {
    if (c.dead) return;
    const st = this.stats;
    const ifc = this.ifc;
    if (c.rst_pending) {
      if (this.send_rst(c)) this.remove(c);
      else if (++c.rst_tries >= TCP_RST_RETRIES) {
        st.rst_lost++;
        this.remove(c);
      } else ifc.clock.arm_in(c.timer, TCP_RST_RETRY_NS);
      return;
    }
    if (c.state === TCPS.SYN_SENT || c.state === TCPS.SYN_RECEIVED) {
      if (c.fconnecting) return;
      if (++c.rxt_shift > TCP_SYN_RETRIES) {
        if (c.fwd) this.fwd_refused(c);
        else {
          st.timedout++;
          this.abort(c, true, true);
        }
        return;
      }
      if (c.mac === null) ifc.arp_request(c.gaddr);
      else st.retransmits++;
      c.snd_nxt = c.iss;
      tcp_output(ifc, st, c);
      tcp_arm_rexmt(ifc, c);
      return;
    }
    if (c.persist) {
      // Probe the zero window with the next byte (accepted if the window opened meanwhile); a
      // guest that answers none of TCP_MAX_PERSIST_PROBES, or sends nothing for
      // TCP_MAXPERSISTIDLE_NS, is given up (BSD's tcp_timer_persist).
      c.persist = false;
      if (c.persist_probes >= TCP_MAX_PERSIST_PROBES || ifc.clock.now_ns() - c.rcv_time >= TCP_MAXPERSISTIDLE_NS) {
        st.persist_timedout++;
        this.abort(c, true, true);
        return;
      }
      c.persist_probes++;
      if (((c.snd_nxt - c.snd_una) >>> 0) < c.sq_bytes && c.snd_wnd === 0 && tcp_send(ifc, st, c, c.snd_nxt, 1, TH_ACK)) {
        if (seq_gt((c.snd_nxt + 1) >>> 0, c.snd_max)) c.snd_max = (c.snd_nxt + 1) >>> 0;
      }
      c.rxt_shift = Math.min(c.rxt_shift + 1, 16);
      tcp_output(ifc, st, c);
      return;
    }
    if (!seq_lt(c.snd_una, c.snd_nxt)) return;
    if (++c.rxt_shift > TCP_MAXRXTSHIFT) {
      st.timedout++;
      this.abort(c, true, true);
      return;
    }
    st.timeouts++;
    // Go back N: everything from snd_una again, from a congestion window of one segment.
    const flight = (c.snd_max - c.snd_una) >>> 0;
    c.ssthresh = Math.max(flight >>> 1, 2 * c.mss);
    c.cwnd = c.mss;
    c.in_recovery = false;
    c.dupacks = 0;
    c.snd_nxt = c.snd_una;
    c.rtt_t = -1;
    if (!tcp_output(ifc, st, c)) this.mark(c);
    if (!c.timer.armed) tcp_arm_rexmt(ifc, c);
  }

  // --- host forwarding ---

  /** Listen for a tcp hostfwd rule. Null, or the host's error (EADDRINUSE …). */
  async listen(rule: HostFwdRule): Promise<string | null> {
    const l = await this.host.tcp_listen(rule.host_addr, rule.host_port, (h, pa, pp) => this.fwd_accept(rule, h, pa, pp));
    if (typeof l === "string") return l;
    rule.bound_port = l.port;
    this.listeners.push(l);
    return null;
  }

  private fwd_accept(rule: HostFwdRule, h: HostTcpHandle, peer_addr: number, peer_port: number): HostTcpEvents | null {
    const cfg = this.ifc.cfg;
    if (this.count >= TCP_MAX_CONNS) {
      this.stats.conn_limit++;
      h.destroy(true);
      return null;
    }
    const gaddr = rule.guest_addr !== 0 ? rule.guest_addr : cfg.dhcp_start;
    const faddr = slirp_translate_in(cfg, peer_addr, cfg.host);
    let fport = peer_port;
    while (this.lookup(gaddr, rule.guest_port, faddr, fport) !== null) fport = fport >= 65535 ? 1024 : fport + 1;
    const c = new TcpConn(gaddr, rule.guest_port, faddr, fport, this.ifc.neigh_lookup(gaddr), peer_addr, peer_port, true, (x) => this.timeout(x), (x) => this.delayed_ack(x));
    c.state = TCPS.SYN_SENT;
    c.rcv_wscale = SLIRP_WSCALE;
    c.snd_wscale = 0;
    c.mss = SLIRP_MSS;
    c.iss = this.new_iss();
    c.snd_una = c.snd_nxt = c.snd_max = c.iss;
    c.host = h;
    c.rcv_time = this.ifc.clock.now_ns();
    this.insert(c);
    this.stats.fwd_accepted++;
    rule.accepted++;
    if (c.mac === null) {
      this.ifc.arp_request(gaddr);
      tcp_arm_rexmt(this.ifc, c);
    } else if (!tcp_output(this.ifc, this.stats, c)) this.mark(c);
    return this.events(c);
  }

  /** The guest's MAC for `ip` is known now: forwarded connections waiting for it send their SYN. */
  neigh_learned(ip: number, mac: Uint8Array): void {
    if (this.count === 0) return;
    for (const c of this.conns()) {
      if (c.mac === null && c.gaddr === ip) {
        c.mac = mac;
        this.mark(c);
      }
    }
  }

  /** The machine stops: listeners closed, host sockets closed, connections forgotten. */
  stop(): void {
    for (const l of this.listeners) l.close();
    this.listeners.length = 0;
    for (const c of this.conns()) this.abort(c, false, false);
  }

  describe(): string {
    const s = this.stats;
    const lines = [
      `tcp: conns=${this.count} opened=${s.opened} refused=${s.refused} unreachable=${s.unreachable} failed=${s.failed} closed=${s.closed} reset_by_guest=${s.reset_by_guest} reset_by_host=${s.reset_by_host} timedout=${s.timedout}` +
        ` fwd_accepted=${s.fwd_accepted} fwd_established=${s.fwd_established} fwd_refused=${s.fwd_refused}`,
      `tcp: segs_in=${s.segs_in} segs_out=${s.segs_out} retransmits=${s.retransmits} timeouts=${s.timeouts} fast_retransmits=${s.fast_retransmits} bad_csum=${s.bad_csum} bad_hdr=${s.bad_hdr} no_conn=${s.no_conn} dropped=${s.dropped}` +
        ` dup_segs=${s.dup_segs} ooo_queued=${s.ooo_queued} beyond_window=${s.beyond_window} no_slot=${s.no_slot} ooo_dropped=${s.ooo_dropped} persist_timedout=${s.persist_timedout} conn_limit=${s.conn_limit} rst_deferred=${s.rst_deferred} rst_lost=${s.rst_lost} bytes_to_host=${s.bytes_to_host} bytes_to_guest=${s.bytes_to_guest}`,
    ];
    for (const c of this.conns().slice(0, 32)) {
      lines.push(`tcp ${inet_ntoa(c.gaddr)}:${c.gport} ${c.fwd ? "<-" : "->"} ${inet_ntoa(c.faddr)}:${c.fport} (host ${inet_ntoa(c.host_addr)}:${c.host_port}) ${c.fconnecting ? "CONNECTING" : TCP_STATE_NAMES[c.state]} sendq=${c.sq_bytes}${c.paused ? " paused" : ""}`);
    }
    return lines.join("\n   ");
  }
}
