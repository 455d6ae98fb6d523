import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createHash } from "node:crypto";
import { ClockEvent, type VirtualClock } from "../clock.ts";
import type { Tracer } from "../trace.ts";
import { Hub, type HubPort } from "./hub.ts";
import { net_connect, net_disconnect, RX_NO_LINK, type NetEndpoint } from "./net_endpoint.ts";
import { SocketBackend } from "./netdev_socket.ts";
import { StreamRecordParser } from "./stream_framing.ts";
import { host_strerror } from "./host_errno.ts";
import { WS_CLOSE, WS_GUID, WS_OPCODE, WsParser, ws_close_payload, ws_frame_encode, ws_record_message } from "./websocket_frame.ts";

/**
 * `--ws-relay [HOST:]PORT`: WebSocket clients (a ringzero page, anything speaking the framing)
 * join the wire of the machine's first NIC.
 *
 * The NIC and its back-end are split apart and joined through a hub, as a filter-dump tap is put
 * between them: plug the NIC into `nic_side` and the back-end into `net_side`. Each WebSocket
 * client is one more hub port for as long as it is connected, so it hears what the NIC and the
 * back-end say and they hear it: a page gets DHCP from the user network behind, pings 10.0.2.2 and
 * the machine, or reaches QEMU through a stream back-end. With the hub in between, the NIC's link
 * no longer follows the back-end's carrier (QEMU's hub does the same): the wire stays up for the
 * clients while a stream peer is away.
 *
 * Wire format: binary messages whose payloads, joined, are QEMU's stream framing (4-byte
 * big-endian length, then the frame). The relay sends one record per message; it accepts records
 * merged in a message or split across messages (websockify forwarding a TCP stream does both).
 * Refused: text messages (close 1003), a record over 65535 bytes or any framing error (close 1002),
 * a message over 1 MiB (close 1009). Each refusal is counted on its client, then the client is
 * dropped; nothing here throws.
 *
 * Handshake (RFC 6455 section 4.2): GET with Upgrade: websocket, Connection: Upgrade,
 * Sec-WebSocket-Version: 13 and a 16-byte base64 key; any path. A page's Origin must be a loopback
 * one (http://127.0.0.1:…, http://localhost:…) unless `allow_origin` says otherwise: any web page
 * the user has open can try ws://127.0.0.1:PORT/, and the user network behind the relay reaches
 * the host's own loopback services as 10.0.2.2. Clients without Origin (not browsers) are let in.
 *
 * Contexts: sockets deliver in host context; frames from a client wait in its queue (SocketBackend)
 * and reach the hub when the machine's clock takes them (device context), after `kick` woke the
 * run loop. Frames the hub sends a client are written at once.
 */
export const WS_RELAY_MAX_FRAME = 65535;
export const WS_RELAY_MAX_CLIENTS = 8;
/** A client whose socket holds more than this unsent loses frames (counted as backlog). */
export const WS_SEND_BACKLOG_MAX = 4 << 20;
/** After sending close, how long (host time) a client has to close its end before it is cut. */
export const WS_CLOSE_GRACE_MS = 1000;

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2). */
export function ws_accept_key(key: string): string {
  return createHash("sha1").update(key + WS_GUID).digest("base64");
}

/** The default origin rule: pages served from this host's loopback addresses. */
export function ws_loopback_origin(origin: string): boolean {
  try {
    const h = new URL(origin).hostname;
    return h === "127.0.0.1" || h === "localhost" || h === "[::1]";
  } catch {
    return false;
  }
}

export interface WsRelayOptions {
  host?: string;
  /** 0: any free port (where() then names the one bound). */
  port: number;
  clock: VirtualClock;
  tracer: Tracer;
  /** Wake the run loop: a client's frames are waiting. */
  kick: () => void;
  max_clients?: number;
  /** Which browser origins may connect (a request without Origin always may). */
  allow_origin?: (origin: string) => boolean;
}

/** Per-client counters beyond SocketBackend's (rx = client → wire, tx = wire → client). */
export interface WsClientStats {
  /** Text messages (refused with 1003). */
  text: number;
  /** WebSocket protocol errors: bad mask, reserved bits or opcodes, oversized messages… */
  protocol: number;
  /** Frames not sent because the client was not reading (WS_SEND_BACKLOG_MAX). */
  backlog: number;
  pings: number;
  /** The code of the close that ended it (ours or the client's; 1006: the connection just broke). */
  close_code: number;
}

/** One connected client: a back-end whose peer is its hub port. */
export class WsRelayClient extends SocketBackend {
  readonly remote: string;
  readonly ws: WsClientStats = { text: 0, protocol: 0, backlog: 0, pings: 0, close_code: 0 };
  private readonly sock: Socket;
  private readonly parser = new WsParser({ masked: true });
  private readonly records = new StreamRecordParser(WS_RELAY_MAX_FRAME);
  private open = true;
  private cut: NodeJS.Timeout | null = null;
  private readonly on_closed: (c: WsRelayClient) => void;

  constructor(id: string, clock: VirtualClock, tracer: Tracer, kick: () => void, sock: Socket, on_closed: (c: WsRelayClient) => void) {
    super(id, clock, tracer, kick);
    this.sock = sock;
    this.remote = `${sock.remoteAddress ?? "?"}:${sock.remotePort ?? "?"}`;
    this.on_closed = on_closed;
    this.stats.connects = 1;
  }

  /** Take the socket over (after the 101 was written); `head` is what arrived with the request. */
  attach(head: Uint8Array): void {
    const s = this.sock;
    s.setNoDelay(true);
    s.on("data", (d: Buffer) => this.input(d));
    s.on("end", () => {
      if (this.open) this.ended(WS_CLOSE.ABNORMAL, "connection ended without a close frame");
      s.end();
    });
    s.on("close", () => {
      if (this.cut !== null) clearTimeout(this.cut);
      if (this.open) this.ended(WS_CLOSE.ABNORMAL, "connection broke");
    });
    if (head.length > 0) this.input(head);
  }

  connected(): boolean {
    return this.open;
  }

  start(): Promise<string | null> {
    return Promise.resolve(null);
  }

  /** The relay stops (power-off): close 1001, as a server going away. */
  stop(): void {
    this.close(WS_CLOSE.GOING_AWAY, "ringzero is stopping");
  }

  where(): string {
    return `${this.id} ${this.remote}${this.open ? "" : " (closed)"}`;
  }

  override describe(): string {
    const s = this.stats;
    const w = this.ws;
    return `${this.where()} rx=${s.rx_frames}/${s.rx_bytes}B tx=${s.tx_frames}/${s.tx_bytes}B dropped: runt=${s.runt} oversize=${s.oversize} truncated=${s.truncated} overflow=${s.overflow} no_link=${s.dropped_no_link} backlog=${w.backlog} text=${w.text} protocol=${w.protocol}`;
  }

  /**
   * The hub sends: skipped (and counted) when the frame is over the relay's record limit (the
   * client would refuse it, as the relay refuses one from it) or the client has stopped reading.
   */
  override receive_frame(frame: Uint8Array, len: number): boolean {
    if (this.open && len > WS_RELAY_MAX_FRAME) {
      this.stats.oversize++;
      return true;
    }
    if (this.open && this.sock.writableLength > WS_SEND_BACKLOG_MAX) {
      this.ws.backlog++;
      return true;
    }
    return super.receive_frame(frame, len);
  }

  protected send(frame: Uint8Array, len: number): void {
    this.sock.write(ws_record_message(frame, len));
  }

  /** Bytes from the client (host context): frames are queued for the machine, nothing throws. */
  private input(d: Uint8Array): void {
    if (!this.open) return;
    for (const e of this.parser.feed(d)) {
      if (!this.open) return;
      switch (e.type) {
        case "message": {
          if (e.opcode === WS_OPCODE.TEXT) {
            this.ws.text++;
            this.close(WS_CLOSE.UNSUPPORTED_DATA, "text message refused: frames travel in binary messages");
            break;
          }
          const bad = this.records.feed(e.data, (f) => this.enqueue(f));
          if (bad !== null) {
            this.stats.oversize++;
            this.close(WS_CLOSE.PROTOCOL_ERROR, `record length ${bad} > ${WS_RELAY_MAX_FRAME}`);
          }
          break;
        }
        case "ping":
          // A client that pings without reading gets no pongs past the backlog bound.
          this.ws.pings++;
          if (this.sock.writableLength > WS_SEND_BACKLOG_MAX) this.ws.backlog++;
          else this.sock.write(ws_frame_encode(WS_OPCODE.PONG, e.data));
          break;
        case "pong":
          break;
        case "close":
          // Answer with the same code (none given: 1000), then the connection ends.
          this.close(e.code === WS_CLOSE.NO_STATUS ? WS_CLOSE.NORMAL : e.code, "", e.code);
          break;
        case "error":
          this.ws.protocol++;
          this.close(e.code, e.why);
          break;
      }
    }
  }

  /**
   * Send a close frame, end our side and leave the wire. `why` non-empty: we are refusing the
   * client (a warning line). `peer_code`: the client closed first, with that code.
   */
  private close(code: number, why: string, peer_code?: number): void {
    if (!this.open) return;
    if (why !== "" && code !== WS_CLOSE.GOING_AWAY) this.warn(`${this.remote}: ${why}; closing (${code})`);
    const s = this.sock;
    if (!s.destroyed) {
      s.end(ws_frame_encode(WS_OPCODE.CLOSE, ws_close_payload(code, why)));
      this.cut = setTimeout(() => s.destroy(), WS_CLOSE_GRACE_MS);
      this.cut.unref();
    }
    this.ended(peer_code ?? code, "");
  }

  /** It is over (either side, or the connection broke): off the wire, counted once. */
  private ended(code: number, why: string): void {
    this.open = false;
    this.ws.close_code = code;
    if (this.records.pending() || this.parser.pending()) this.stats.truncated++;
    this.stats.disconnects++;
    if (why !== "") this.log(`${this.remote}: ${why}`);
    else this.log(`${this.remote}: closed (${code})`);
    this.on_closed(this);
  }
}


/** A refusal before the upgrade: a short HTTP answer, then the connection is closed. */
function refuse(sock: Duplex, status: string, body: string, extra = ""): void {
  if (sock.destroyed) return;
  const text = `${body}\n`;
  sock.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n${extra}\r\n${text}`);
  setTimeout(() => sock.destroy(), WS_CLOSE_GRACE_MS).unref();
}

/** The header's comma-separated tokens, lower-cased. */
function tokens(v: string | string[] | undefined): string[] {
  return (Array.isArray(v) ? v.join(",") : (v ?? "")).split(",").map((t) => t.trim().toLowerCase());
}

/** The relay: its listening socket, its hub and the clients on it (see the comment at the top). */
export class WsRelay {
  readonly id = "ws-relay";
  readonly hub = new Hub("ws-relay");
  /** Plug the NIC (or a capture tap in front of it) in here. */
  readonly nic_side: NetEndpoint;
  /** Plug the back-end in here. */
  readonly net_side: HubPort;
  readonly host: string;
  private port: number;
  readonly max_clients: number;
  private readonly allow_origin: (origin: string) => boolean;
  private readonly clock: VirtualClock;
  private readonly tracer: Tracer;
  private readonly kick: () => void;
  private server: Server | null = null;
  private listening = false;
  readonly clients: WsRelayClient[] = [];
  /** Ports of clients that left, for the next ones (the hub's port list does not grow forever). */
  private readonly free_ports: HubPort[] = [];
  /** Clients closed but whose frames the machine has not taken yet: they leave the hub after. */
  private readonly leaving: WsRelayClient[] = [];
  private readonly retire_event: ClockEvent;
  private next_id = 1;
  /** Handshakes accepted and refused; totals of the clients gone. */
  readonly totals = { accepted: 0, refused: 0, gone: 0, rx_frames: 0, tx_frames: 0, dropped: 0 };
  /** The last refusal, for describe(). */
  private last_refusal = "";

  constructor(opts: WsRelayOptions) {
    this.host = opts.host ?? "127.0.0.1";
    this.port = opts.port;
    this.max_clients = opts.max_clients ?? WS_RELAY_MAX_CLIENTS;
    this.allow_origin = opts.allow_origin ?? ws_loopback_origin;
    this.clock = opts.clock;
    this.tracer = opts.tracer;
    this.kick = opts.kick;
    this.retire_event = new ClockEvent("ws-relay-retire", () => this.retire());
    // Port 0 faces the NIC, port 1 the back-end; clients follow.
    const nic_port = this.hub.port();
    this.net_side = this.hub.port();
    const nic_side: NetEndpoint = {
      peer: null,
      receive_frame: (f, len) => nic_port.receive_frame(f, len),
      describe: () => this.describe(),
    };
    // What the hub sends towards the NIC; the NIC's verdict (no link) goes back to the hub's count.
    const to_nic: NetEndpoint = {
      peer: null,
      receive_frame: (f, len) => {
        const nic = nic_side.peer;
        return nic === null ? RX_NO_LINK : nic.receive_frame(f, len);
      },
    };
    net_connect(nic_port, to_nic);
    this.nic_side = nic_side;
  }

  /** The URL clients use. */
  url(): string {
    const h = this.host.includes(":") ? `[${this.host}]` : this.host;
    return `ws://${h}:${this.port}/`;
  }

  /** Bind before boot: null, or one error line ("--ws-relay: Address already in use (H:P)"). */
  start(): Promise<string | null> {
    return new Promise((resolve) => {
      const srv = createServer((req, res) => {
        // A plain HTTP request (someone opened the URL in a browser): say what this is.
        res.writeHead(426, { "Content-Type": "text/plain", Upgrade: "websocket", Connection: "close" });
        res.end("ringzero ws-relay: connect with a WebSocket (binary messages, QEMU stream framing)\n");
        req.resume();
      });
      srv.on("upgrade", (req: IncomingMessage, sock: Duplex, head: Buffer) => this.upgrade(req, sock as Socket, head));
      srv.on("clientError", (_e, sock: Duplex) => refuse(sock, "400 Bad Request", "malformed HTTP request"));
      srv.once("error", (e: NodeJS.ErrnoException) => {
        this.server = null;
        resolve(`--ws-relay: ${host_strerror(e)} (${this.host}:${this.port})`);
      });
      srv.once("listening", () => {
        srv.on("error", (e) => this.tracer.warn(`${this.id}: server error: ${e.message}`));
        const a = srv.address();
        if (a !== null && typeof a === "object") this.port = a.port;
        this.listening = true;
        this.tracer.info(`${this.id}: listening on ${this.url()}`);
        resolve(null);
      });
      this.server = srv;
      srv.listen(this.port, this.host);
    });
  }

  /** Power-off: every client gets close 1001, the listener goes. Idempotent. */
  stop(): void {
    for (const c of [...this.clients]) c.stop();
    this.server?.close();
    this.server = null;
    this.listening = false;
  }

  /** Where it listens and who is on it, without counters. */
  where(): string {
    return `${this.id} ${this.url()} ${this.listening ? "listening" : "not listening"}, ${this.clients.length} client${this.clients.length === 1 ? "" : "s"}`;
  }

  /** For `info network`, as the NIC's back-end: the relay, each client, then the real back-end. */
  describe(): string {
    const t = this.totals;
    const lines = [`${this.where()} (accepted=${t.accepted} refused=${t.refused}${this.last_refusal === "" ? "" : ` last: ${this.last_refusal}`}; gone=${t.gone} rx=${t.rx_frames} tx=${t.tx_frames} dropped=${t.dropped}) hub frames=${this.hub.forwarded} no_listener=${this.hub.no_listener}`];
    for (const c of this.clients) lines.push(`   ${c.describe()}`);
    lines.push(`   \\ ${this.net_side.peer?.describe?.() ?? (this.net_side.peer === null ? "(no back-end)" : "connected")}`);
    return lines.join("\n");
  }

  private upgrade(req: IncomingMessage, sock: Socket, head: Buffer): void {
    sock.on("error", () => {}); // a reset is a close; 'close' follows
    const bad = this.check(req);
    if (bad !== null) {
      this.totals.refused++;
      this.last_refusal = `${bad[0]} ${bad[1]}`;
      this.tracer.warn(`${this.id}: refused ${sock.remoteAddress ?? "?"}:${sock.remotePort ?? "?"}: ${bad[1]}`);
      refuse(sock, bad[0], bad[1], bad[2] ?? "");
      return;
    }
    const key = req.headers["sec-websocket-key"] as string;
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ws_accept_key(key)}\r\n\r\n`);
    this.totals.accepted++;
    const c = new WsRelayClient(`ws${this.next_id++}`, this.clock, this.tracer, this.kick, sock, (gone) => this.closed(gone));
    this.clients.push(c);
    net_connect(this.free_ports.pop() ?? this.hub.port(), c);
    this.tracer.info(`netdev ${c.id}: ${c.remote} joined ${this.url()}`);
    c.attach(head);
  }

  /** Why the request cannot be upgraded: [status, reason, extra header lines], or null. */
  private check(req: IncomingMessage): [string, string, string?] | null {
    const h = req.headers;
    if (req.method !== "GET") return ["400 Bad Request", `method ${req.method ?? "?"} (a WebSocket handshake is a GET)`];
    if (!tokens(h.upgrade).includes("websocket")) return ["400 Bad Request", "Upgrade: websocket is missing"];
    if (!tokens(h.connection).includes("upgrade")) return ["400 Bad Request", "Connection: Upgrade is missing"];
    if (h["sec-websocket-version"] !== "13") return ["426 Upgrade Required", `Sec-WebSocket-Version ${h["sec-websocket-version"] ?? "missing"} (13 is spoken)`, "Sec-WebSocket-Version: 13\r\n"];
    const key = h["sec-websocket-key"];
    if (typeof key !== "string" || !/^[A-Za-z0-9+/]{21}[AQgw]==$/.test(key)) return ["400 Bad Request", "Sec-WebSocket-Key is not 16 bytes in base64"];
    const origin = h.origin;
    if (origin !== undefined && !this.allow_origin(origin)) return ["403 Forbidden", `origin ${origin.slice(0, 80)} is not allowed`];
    if (this.clients.length >= this.max_clients) return ["503 Service Unavailable", `already ${this.max_clients} clients`];
    return null;
  }

  /**
   * A client closed: it stays on its port until the machine has taken the frames it queued (a
   * retire event on the clock fires after its delivery), then the port is freed for the next one.
   */
  private closed(c: WsRelayClient): void {
    const i = this.clients.indexOf(c);
    if (i >= 0) this.clients.splice(i, 1);
    this.leaving.push(c);
    if (!this.retire_event.armed) this.clock.arm(this.retire_event, this.clock.now_ns());
    this.kick();
  }

  private retire(): void {
    for (const c of this.leaving.splice(0)) {
      const port = c.peer as HubPort | null;
      if (port !== null) {
        net_disconnect(c);
        this.free_ports.push(port);
      }
      const s = c.stats;
      const t = this.totals;
      t.gone++;
      t.rx_frames += s.rx_frames;
      t.tx_frames += s.tx_frames;
      t.dropped += s.runt + s.oversize + s.truncated + s.overflow + s.dropped_no_link + c.ws.backlog;
    }
  }
}
