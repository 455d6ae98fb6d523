/**
 * An in-memory host for the user network's NAT (a HostNet without Node's sockets), for
 * deterministic tests: every hop between the NAT and the fake host's applications takes
 * `latency_ns` of virtual time and is delivered by one ClockEvent, in order.
 *
 * The host's applications are FakePeer objects (one end of a connection each):
 *   serve(addr, port, on_conn)      a TCP server the guest reaches through the NAT;
 *   connect(port)                   a host client of a hostfwd listener;
 *   udp_serve / udp_client          UDP endpoints.
 * Connecting to an address:port nobody serves is refused (ECONNREFUSED); addresses in
 * `unreachable` fail with EHOSTUNREACH, in `blackhole` with ETIMEDOUT after `connect_timeout_ns`.
 *
 * Back-pressure as a socket has it: bytes the NAT writes stay in the connection's backlog until
 * the peer reads them (at once while `reading`, else when read() or reading is set again), and
 * what the peer writes waits while the NAT has paused the connection.
 */
import { ClockEvent, type VirtualClock } from "../clock.ts";
import { INADDR_LOOPBACK, type HostNet, type HostTcpAccept, type HostTcpEvents, type HostTcpHandle, type HostTcpListener, type HostUdpEvents, type HostUdpSocket } from "./host_net.ts";

interface Pending {
  due: number;
  fn: () => void;
}

/** The host application's end of one TCP connection. */
export class FakePeer {
  /** The host address and port of the other end as the peer sees it. */
  readonly remote_addr: number;
  readonly remote_port: number;
  /** What arrived from the guest, in order. */
  readonly chunks: Uint8Array[] = [];
  bytes_received = 0;
  /** The NAT's FIN arrived (after all its data). */
  got_end = false;
  /** The NAT reset the connection. */
  got_reset = false;
  /** connect() only: the listener was there (or the connection was refused). */
  state: "connecting" | "open" | "refused" | "closed" = "connecting";
  /** Largest backlog (bytes written by the NAT, not yet read) seen. */
  max_backlog = 0;
  on_data: ((bytes: Uint8Array) => void) | null = null;
  on_end: (() => void) | null = null;
  /** @internal the connection the peer belongs to. */
  conn: FakeConn | null = null;
  private _reading = true;

  constructor(remote_addr: number, remote_port: number) {
    this.remote_addr = remote_addr;
    this.remote_port = remote_port;
  }

  /** Read at once what arrives (true), or leave it in the connection's backlog (false). */
  get reading(): boolean {
    return this._reading;
  }
  set reading(on: boolean) {
    this._reading = on;
    if (on) this.conn?.take();
  }

  /** Everything received, joined. */
  data(): Uint8Array {
    const out = new Uint8Array(this.bytes_received);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  text(): string {
    return new TextDecoder().decode(this.data());
  }

  write(bytes: Uint8Array | string): void {
    this.conn?.peer_write(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes.slice());
  }

  /** Shut the peer's write side (a FIN towards the guest). */
  end(): void {
    this.conn?.peer_end();
  }

  /** Reset the connection (an RST towards the guest). */
  reset(): void {
    this.conn?.peer_reset();
  }
}

/** One connection: the NAT's handle on one side, the FakePeer on the other. */
class FakeConn implements HostTcpHandle {
  private readonly host: FakeHostNet;
  readonly peer: FakePeer;
  ev: HostTcpEvents | null;
  /** NAT → peer bytes not read yet (the host socket's send buffer plus the peer's receive buffer). */
  private readonly backlog_q: Uint8Array[] = [];
  private backlog_bytes = 0;
  private nat_end_sent = false;
  private nat_end_arrived = false;
  /** Peer → NAT deliveries held while the NAT is paused (in order). */
  private readonly held: (() => void)[] = [];
  private paused: boolean;
  private peer_ended = false;
  private peer_end_delivered = false;
  closed = false;

  constructor(host: FakeHostNet, peer: FakePeer, ev: HostTcpEvents | null, paused: boolean) {
    this.host = host;
    this.peer = peer;
    this.ev = ev;
    this.paused = paused;
    peer.conn = this;
    host.open_sockets++;
  }

  // --- the NAT's side (HostTcpHandle) ---

  write(bytes: Uint8Array): void {
    if (this.closed || this.nat_end_sent) return;
    this.backlog_q.push(bytes);
    this.backlog_bytes += bytes.length;
    if (this.backlog_bytes > this.peer.max_backlog) this.peer.max_backlog = this.backlog_bytes;
    this.host.later(() => this.take());
  }

  backlog(): number {
    return this.backlog_bytes;
  }

  end(): void {
    if (this.closed || this.nat_end_sent) return;
    this.nat_end_sent = true;
    this.host.later(() => {
      this.nat_end_arrived = true;
      this.take();
    });
  }

  destroy(reset: boolean): void {
    if (this.closed) return;
    this.close_now();
    this.host.later(() => {
      if (reset) this.peer.got_reset = true;
      else this.peer.got_end = true;
      this.peer.state = "closed";
    });
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    // Never from inside the caller's own call: held data follows on the clock.
    this.host.later(() => {
      while (this.held.length > 0 && !this.paused && !this.closed) this.held.shift()!();
    }, 0);
  }

  // --- the peer's side ---

  /** The peer reads what waits for it (if it is reading), and the NAT's FIN after it. */
  take(): void {
    if (!this.peer.reading || this.closed) return;
    const had = this.backlog_bytes;
    while (this.backlog_q.length > 0) {
      const b = this.backlog_q.shift()!;
      this.backlog_bytes -= b.length;
      this.peer.chunks.push(b);
      this.peer.bytes_received += b.length;
      this.peer.on_data?.(b);
    }
    if (had > 0) this.to_nat(() => this.ev?.drain(), false);
    if (this.nat_end_arrived && !this.peer.got_end) {
      this.peer.got_end = true;
      this.peer.on_end?.();
      this.maybe_closed();
    }
  }

  /** Deliver to the NAT after the latency; data and FIN wait while it is paused. */
  private to_nat(fn: () => void, stream: boolean): void {
    this.host.later(() => {
      if (this.closed) return;
      if (stream && (this.paused || this.held.length > 0)) this.held.push(fn);
      else fn();
    });
  }

  peer_write(bytes: Uint8Array): void {
    if (this.closed || this.peer_ended) return;
    this.to_nat(() => this.ev?.data(bytes), true);
  }

  peer_end(): void {
    if (this.closed || this.peer_ended) return;
    this.peer_ended = true;
    this.to_nat(() => {
      this.peer_end_delivered = true;
      this.ev?.end();
      this.maybe_closed();
    }, true);
  }

  peer_reset(): void {
    if (this.closed) return;
    this.host.later(() => {
      if (this.closed) return;
      this.close_now();
      this.peer.state = "closed";
      this.ev?.closed("ECONNRESET");
    });
  }

  /** Both FINs arrived: the host closes the socket (an orderly close). */
  private maybe_closed(): void {
    if (!this.peer.got_end || !this.peer_end_delivered || this.closed) return;
    this.close_now();
    this.peer.state = "closed";
    const ev = this.ev;
    this.host.later(() => ev?.closed(null));
  }

  /** @internal The connection never came up (the fake host refused it). */
  abort(): void {
    this.close_now();
  }

  private close_now(): void {
    if (this.closed) return;
    this.closed = true;
    this.backlog_q.length = 0;
    this.backlog_bytes = 0;
    this.held.length = 0;
    this.host.open_sockets--;
  }
}

class FakeUdp implements HostUdpSocket {
  private readonly host: FakeHostNet;
  readonly ev: HostUdpEvents;
  readonly addr: number;
  port: number;
  closed = false;

  constructor(host: FakeHostNet, ev: HostUdpEvents, addr: number, port: number) {
    this.host = host;
    this.ev = ev;
    this.addr = addr;
    this.port = port;
    host.open_sockets++;
  }

  local_port(): number {
    return this.port;
  }

  send(bytes: Uint8Array, addr: number, port: number): void {
    if (this.closed) return;
    this.host.udp_sent++;
    const from = this.port;
    this.host.later(() => this.host.udp_deliver(bytes, addr, port, from, this));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.open_sockets--;
    this.host.udp_close(this);
  }
}

/** A UDP endpoint of a host application. */
export interface FakeUdpClient {
  readonly port: number;
  /** Datagrams received: bytes, from port. */
  readonly received: [Uint8Array, number][];
  send(to_port: number, bytes: Uint8Array | string): void;
}

export class FakeHostNet implements HostNet {
  readonly clock: VirtualClock;
  latency_ns: number;
  connect_timeout_ns = 20e9;
  readonly unreachable = new Set<number>();
  readonly blackhole = new Set<number>();
  /** Every tcp_connect asked for: [addr, port]. */
  readonly connects: [number, number][] = [];
  /** Ports a listener cannot bind (another program has them). */
  readonly ports_in_use = new Set<number>();
  /** Sockets open now (connections, listeners, UDP sockets). */
  open_sockets = 0;
  udp_sent = 0;
  private readonly servers = new Map<string, (p: FakePeer) => void>();
  private readonly listeners = new Map<number, HostTcpAccept>();
  private readonly udp_by_port = new Map<number, FakeUdp>();
  private readonly udp_services = new Map<string, (bytes: Uint8Array, from_port: number, reply: (b: Uint8Array) => void) => void>();
  private next_port = 40000;
  private readonly queue: Pending[] = [];
  private readonly event: ClockEvent;

  constructor(clock: VirtualClock, latency_ns = 20_000) {
    this.clock = clock;
    this.latency_ns = latency_ns;
    this.event = new ClockEvent("fake-host", () => this.run());
  }

  /** @internal Run `fn` one latency from now (in order with everything else). */
  later(fn: () => void, delay = this.latency_ns): void {
    const due = this.clock.now_ns() + delay;
    const q = this.queue;
    let i = q.length;
    while (i > 0 && q[i - 1]!.due > due) i--;
    q.splice(i, 0, { due, fn });
    if (!this.event.armed || this.event.when > q[0]!.due) this.clock.arm(this.event, q[0]!.due);
  }

  private run(): void {
    const now = this.clock.now_ns();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) this.queue.shift()!.fn();
    if (this.queue.length > 0) this.clock.arm(this.event, this.queue[0]!.due);
  }

  private port(): number {
    while (this.udp_by_port.has(this.next_port) || this.listeners.has(this.next_port)) this.next_port++;
    return this.next_port++;
  }

  /** A TCP server at addr:port (addr 0: any address) on the fake host. */
  serve(addr: number, port: number, on_conn: (p: FakePeer) => void): void {
    this.servers.set(`${addr}:${port}`, on_conn);
  }

  unserve(addr: number, port: number): void {
    this.servers.delete(`${addr}:${port}`);
  }

  tcp_connect(addr: number, port: number, ev: HostTcpEvents): HostTcpHandle {
    this.connects.push([addr, port]);
    const server = this.servers.get(`${addr}:${port}`) ?? this.servers.get(`0:${port}`);
    const peer = new FakePeer(INADDR_LOOPBACK, this.port());
    const conn = new FakeConn(this, peer, ev, false);
    const fail = (err: string, delay = this.latency_ns): void =>
      this.later(() => {
        if (conn.closed) return;
        conn.abort();
        peer.state = "refused";
        ev.closed(err);
      }, delay);
    if (this.unreachable.has(addr)) fail("EHOSTUNREACH");
    else if (this.blackhole.has(addr)) fail("ETIMEDOUT", this.connect_timeout_ns);
    else if (server === undefined) fail("ECONNREFUSED");
    else
      this.later(() => {
        if (conn.closed) return;
        peer.state = "open";
        server(peer);
        ev.connected();
      });
    return conn;
  }

  tcp_listen(_addr: number, port: number, accept: HostTcpAccept): Promise<HostTcpListener | string> {
    if (port !== 0 && (this.listeners.has(port) || this.ports_in_use.has(port))) return Promise.resolve("EADDRINUSE");
    const p = port === 0 ? this.port() : port;
    this.listeners.set(p, accept);
    this.open_sockets++;
    return Promise.resolve({
      port: p,
      close: () => {
        if (this.listeners.delete(p)) this.open_sockets--;
      },
    });
  }

  /**
   * A host client connects to a listener on `port`; the peer is "open" once the NAT took it, and
   * may write at once (its bytes wait, as in a socket's buffers, until the NAT reads).
   */
  connect(port: number, from_port = this.port()): FakePeer {
    const peer = new FakePeer(INADDR_LOOPBACK, port);
    const conn = new FakeConn(this, peer, null, true);
    this.later(() => {
      const accept = this.listeners.get(port);
      if (accept === undefined) {
        conn.abort();
        peer.state = "refused";
        return;
      }
      const ev = accept(conn, INADDR_LOOPBACK, from_port);
      if (ev === null) {
        conn.destroy(false);
        return;
      }
      conn.ev = ev;
      peer.state = "open";
    });
    return peer;
  }

  udp_open(ev: HostUdpEvents): HostUdpSocket {
    const s = new FakeUdp(this, ev, 0, this.port());
    this.udp_by_port.set(s.port, s);
    return s;
  }

  udp_bind(addr: number, port: number, ev: HostUdpEvents): Promise<HostUdpSocket | string> {
    if (port !== 0 && (this.udp_by_port.has(port) || this.ports_in_use.has(port))) return Promise.resolve("EADDRINUSE");
    const s = new FakeUdp(this, ev, addr, port === 0 ? this.port() : port);
    this.udp_by_port.set(s.port, s);
    return Promise.resolve(s);
  }

  /** A UDP service at addr:port: `reply` answers the sender. */
  udp_serve(addr: number, port: number, fn: (bytes: Uint8Array, from_port: number, reply: (b: Uint8Array) => void) => void): void {
    this.udp_services.set(`${addr}:${port}`, fn);
  }

  /** A host application's UDP socket on 127.0.0.1:port (port 0: one is chosen). */
  udp_client(port = 0): FakeUdpClient {
    const p = port === 0 ? this.port() : port;
    const received: [Uint8Array, number][] = [];
    this.udp_serve(INADDR_LOOPBACK, p, (bytes, from) => received.push([bytes, from]));
    return {
      port: p,
      received,
      send: (to_port, bytes) => {
        const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes.slice();
        this.later(() => {
          const s = this.udp_by_port.get(to_port);
          if (s !== undefined && !s.closed) s.ev.datagram(b, INADDR_LOOPBACK, p);
        });
      },
    };
  }

  /** @internal A datagram from a NAT socket arrives at addr:port on the fake host. */
  udp_deliver(bytes: Uint8Array, addr: number, port: number, from_port: number, from: FakeUdp): void {
    const svc = this.udp_services.get(`${addr}:${port}`) ?? this.udp_services.get(`0:${port}`);
    svc?.(bytes, from_port, (b) => this.later(() => !from.closed && from.ev.datagram(b.slice(), addr, port)));
  }

  /** @internal */
  udp_close(s: FakeUdp): void {
    if (this.udp_by_port.get(s.port) === s) this.udp_by_port.delete(s.port);
  }
}
