import type { VirtualClock } from "../clock.ts";
import type { Tracer } from "../trace.ts";
import { SocketBackend } from "./netdev_socket.ts";
import { WS_CLOSE } from "./websocket_frame.ts";
import { StreamRecordParser, stream_record_encode } from "./stream_framing.ts";

/**
 * The page's way onto a wire outside the tab: a back-end that connects to a WebSocket relay
 * (`npm start -- --ws-relay PORT` on the Node side, netdev_ws_relay.ts; or websockify in front of
 * QEMU's `-netdev stream`) and carries frames in QEMU's stream framing inside binary messages.
 *
 * Portable: it uses globalThis.WebSocket, or the `WebSocketCtor` it is given (tests on Node pass a
 * client of their own). Each frame the NIC transmits is one message holding one record; received
 * messages are a byte stream of records, which may be merged or split across messages. While not
 * connected the link is down and transmitted frames are counted (tx_no_peer) and dropped, as for
 * QEMU's stream client. It reconnects with exponential backoff (host pacing with setTimeout: not
 * device time). Refused: text messages (close 1003), a record over `max_frame` bytes (close 1002);
 * both counted, then it reconnects.
 *
 * Contexts: WebSocket events come in host context; frames wait in the SocketBackend queue and reach
 * the NIC when the machine's clock takes them, after `kick` woke the run loop.
 */

/** The part of the browser's WebSocket this uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketCtorLike = new (url: string) => WebSocketLike;

export interface WebSocketBackendOptions {
  /** ws://HOST:PORT/ or wss://… */
  url: string;
  WebSocketCtor?: WebSocketCtorLike;
  /** First retry delay; doubled per failed attempt up to reconnect_max_ms. */
  reconnect_min_ms?: number;
  reconnect_max_ms?: number;
  /** Largest record accepted from the relay (its own limit is 65535). */
  max_frame?: number;
  /** Unsent bytes beyond which the NIC's frames are dropped (counted as backlog). */
  max_backlog?: number;
}

export interface WebSocketStats {
  /** Text (or otherwise non-binary) messages refused. */
  text: number;
  backlog: number;
  /** Attempts that never opened. */
  failed: number;
  /** Code of the last close (1006: it just broke). */
  last_close: number;
}

export class WebSocketBackend extends SocketBackend {
  readonly url: string;
  readonly ws_stats: WebSocketStats = { text: 0, backlog: 0, failed: 0, last_close: 0 };
  private readonly ctor: WebSocketCtorLike | undefined;
  private readonly min_ms: number;
  private readonly max_ms: number;
  private readonly max_backlog: number;
  private readonly records: StreamRecordParser;
  private ws: WebSocketLike | null = null;
  private is_open = false;
  private stopped = false;
  private retry: ReturnType<typeof setTimeout> | null = null;
  /** Failed attempts since the last open (the backoff exponent). */
  private failures = 0;
  /** The current outage was reported (once per outage, not once per retry). */
  private outage_reported = false;

  constructor(id: string, clock: VirtualClock, tracer: Tracer, kick: () => void, opts: WebSocketBackendOptions) {
    super(id, clock, tracer, kick);
    this.url = opts.url;
    this.ctor = opts.WebSocketCtor ?? (globalThis as { WebSocket?: WebSocketCtorLike }).WebSocket;
    this.min_ms = opts.reconnect_min_ms ?? 500;
    this.max_ms = Math.max(this.min_ms, opts.reconnect_max_ms ?? 8000);
    this.max_backlog = opts.max_backlog ?? 4 << 20;
    this.records = new StreamRecordParser(opts.max_frame ?? 65535);
  }

  connected(): boolean {
    return this.is_open;
  }

  where(): string {
    const state = this.is_open ? "connected" : this.retry !== null ? `retrying in ${this.next_delay()} ms` : this.stopped ? "stopped" : "connecting";
    return `websocket ${this.url} ${state}`;
  }

  override describe(): string {
    const w = this.ws_stats;
    return `${super.describe()} text=${w.text} backlog=${w.backlog} failed=${w.failed} last_close=${w.last_close}`;
  }

  /** Begin connecting. One error line when it never can (no WebSocket, not a ws:// URL). */
  start(): Promise<string | null> {
    if (this.ctor === undefined) return Promise.resolve(`-netdev ${this.id}: this JavaScript runtime has no WebSocket`);
    if (!/^wss?:\/\/[^/]/i.test(this.url)) return Promise.resolve(`-netdev ${this.id}: '${this.url}' is not a ws:// or wss:// URL`);
    this.stopped = false;
    this.set_carrier(false);
    this.connect();
    return Promise.resolve(null);
  }

  stop(): void {
    this.stopped = true;
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    const ws = this.ws;
    this.ws = null;
    if (ws !== null) {
      try {
        ws.close(WS_CLOSE.NORMAL, "ringzero is stopping");
      } catch {
        // already closing
      }
    }
    if (this.is_open) this.gone(WS_CLOSE.NORMAL);
  }

  /**
   * The NIC sends: dropped (and counted) when over the record limit the relay enforces (oversize)
   * or while the socket has too much unsent (backlog).
   */
  override receive_frame(frame: Uint8Array, len: number): boolean {
    if (this.is_open && len > this.records.max_len) {
      this.stats.oversize++;
      return true;
    }
    if (this.is_open && this.ws !== null && this.ws.bufferedAmount > this.max_backlog) {
      this.ws_stats.backlog++;
      return true;
    }
    return super.receive_frame(frame, len);
  }

  protected send(frame: Uint8Array, len: number): void {
    try {
      this.ws!.send(stream_record_encode(frame, len));
    } catch {
      // The socket closed under us; onclose follows.
    }
  }

  private next_delay(): number {
    return Math.min(this.max_ms, this.min_ms * 2 ** Math.min(Math.max(0, this.failures - 1), 20));
  }

  private connect(): void {
    if (this.stopped) return;
    let ws: WebSocketLike;
    try {
      ws = new this.ctor!(this.url);
    } catch (e) {
      // A page on https:// may not open ws:// (mixed content): a SecurityError, every time.
      this.failed(`cannot open ${this.url}: ${(e as Error).message}`);
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.records.reset();
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.is_open = true;
      this.failures = 0;
      if (this.outage_reported) this.warn(`connected to ${this.url}`);
      else this.log(`connected to ${this.url}`);
      this.outage_reported = false;
      this.stats.connects++;
      this.set_carrier(true);
      this.kick();
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws && this.is_open) this.input(ev.data);
    };
    ws.onerror = () => {}; // the close event follows with what there is to know
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.is_open) this.gone(ev.code);
      else this.failed(`cannot connect to ${this.url} (close ${ev.code})`);
    };
  }

  /** A message's bytes: records to the queue. Never throws. */
  private input(data: unknown): void {
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else {
      this.ws_stats.text++;
      this.refuse(WS_CLOSE.UNSUPPORTED_DATA, "text message refused: frames travel in binary messages");
      return;
    }
    // Each message's buffer is fresh and never reused, so records are queued as views of it.
    const bad = this.records.feed(bytes, (f) => this.enqueue(f));
    if (bad !== null) {
      this.stats.oversize++;
      this.refuse(WS_CLOSE.PROTOCOL_ERROR, `record length ${bad} > ${this.records.max_len}`);
    }
  }

  /** Close on the relay's protocol breach; the link goes down now and a reconnect is planned. */
  private refuse(code: number, why: string): void {
    this.warn(`${why}; closing (${code})`);
    const ws = this.ws;
    this.ws = null;
    try {
      // A page may close only with 1000 or 3000-4999 (the DOM throws InvalidAccessError for the
      // protocol's own codes): the breach goes out as 4000 + its code (1003 -> 4003).
      ws?.close(code === WS_CLOSE.NORMAL ? code : 4000 + (code % 1000), why.slice(0, 120));
    } catch {
      // already closing
    }
    this.gone(code);
  }

  /** An open connection ended: link down, counted, then reconnect. */
  private gone(code: number): void {
    this.is_open = false;
    this.ws_stats.last_close = code;
    if (this.records.pending()) this.stats.truncated++;
    this.records.reset();
    this.stats.disconnects++;
    this.log(`disconnected from ${this.url} (${code})`);
    this.set_carrier(false);
    this.kick();
    this.schedule_retry();
  }

  /** An attempt that never opened: said once per outage, then retried later. */
  private failed(msg: string): void {
    this.ws_stats.failed++;
    if (!this.outage_reported && !this.stopped) {
      this.outage_reported = true;
      this.warn(`${msg}; link down, retrying`);
    }
    this.failures++;
    this.schedule_retry();
  }

  private schedule_retry(): void {
    if (this.stopped || this.retry !== null) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect();
    }, this.next_delay());
  }
}

