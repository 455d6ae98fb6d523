/**
 * A small WebSocket client over node:net for tests (Node 20 has no global WebSocket without
 * --experimental-websocket): the browser's interface as netdev_websocket.ts uses it (onopen,
 * onmessage with ArrayBuffer data, onclose with the code, send, close, bufferedAmount), masking its
 * frames as a browser does, and checking the server's Sec-WebSocket-Accept. Plus raw helpers for
 * hostile-input tests: a handshake on a plain socket, then bytes as the test writes them.
 */
import { connect, type Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { ws_accept_key } from "../../hw/net/netdev_ws_relay.ts";
import type { WebSocketLike } from "../../hw/net/netdev_websocket.ts";
import { WS_CLOSE, WS_OPCODE, WsParser, ws_close_payload, ws_frame_encode, type WsEvent } from "../../hw/net/websocket_frame.ts";

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

export class NodeWsClient implements WebSocketLike {
  binaryType = "blob";
  readyState = CONNECTING;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  /** The close code and reason the server sent (1006 if none). */
  close_code: number = WS_CLOSE.ABNORMAL;
  close_reason = "";
  private readonly sock: Socket;
  private readonly parser = new WsParser({ masked: false });
  private head = Buffer.alloc(0);
  private readonly key = randomBytes(16).toString("base64");
  private close_sent = false;

  constructor(url: string) {
    const u = new URL(url);
    if (u.protocol !== "ws:") throw new SyntaxError(`unsupported URL ${url}`);
    const host = u.hostname.replace(/^\[|\]$/g, "");
    this.sock = connect(Number(u.port || 80), host);
    this.sock.on("connect", () => {
      this.sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    this.sock.on("data", (d: Buffer) => this.input(d));
    this.sock.on("error", () => this.onerror?.({}));
    this.sock.on("close", () => {
      const was = this.readyState;
      this.readyState = CLOSED;
      if (was !== CLOSED) this.onclose?.({ code: this.close_code, reason: this.close_reason });
    });
  }

  get bufferedAmount(): number {
    return this.sock.writableLength;
  }

  send(data: Uint8Array | string): void {
    if (this.readyState !== OPEN) throw new Error("InvalidStateError: not open");
    const bin = typeof data === "string";
    const payload = bin ? new TextEncoder().encode(data) : data;
    this.sock.write(ws_frame_encode(bin ? WS_OPCODE.TEXT : WS_OPCODE.BINARY, payload, randomBytes(4)));
  }

  close(code: number = WS_CLOSE.NORMAL, reason = ""): void {
    if (this.readyState >= CLOSING) return;
    if (this.readyState === CONNECTING) {
      this.readyState = CLOSING;
      this.sock.destroy();
      return;
    }
    this.readyState = CLOSING;
    this.send_close(code, reason);
  }

  private send_close(code: number, reason: string): void {
    if (this.close_sent) return;
    this.close_sent = true;
    this.sock.write(ws_frame_encode(WS_OPCODE.CLOSE, ws_close_payload(code, reason), randomBytes(4)));
  }

  private input(d: Buffer): void {
    if (this.readyState === CONNECTING) {
      this.head = Buffer.concat([this.head, d]);
      const end = this.head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const text = this.head.subarray(0, end).toString("latin1");
      const rest = this.head.subarray(end + 4);
      const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(text)?.[1];
      if (!text.startsWith("HTTP/1.1 101") || accept !== ws_accept_key(this.key)) {
        this.readyState = CLOSED;
        this.sock.destroy();
        this.onerror?.({});
        this.onclose?.({ code: WS_CLOSE.ABNORMAL, reason: "handshake refused" });
        return;
      }
      this.readyState = OPEN;
      this.onopen?.({});
      if (rest.length === 0) return;
      d = rest;
    }
    for (const e of this.parser.feed(d)) this.event(e);
  }

  private event(e: WsEvent): void {
    switch (e.type) {
      case "message": {
        const data = e.opcode === WS_OPCODE.TEXT ? new TextDecoder().decode(e.data) : e.data.buffer.slice(e.data.byteOffset, e.data.byteOffset + e.data.byteLength);
        if (this.readyState === OPEN) this.onmessage?.({ data });
        break;
      }
      case "ping":
        this.sock.write(ws_frame_encode(WS_OPCODE.PONG, e.data, randomBytes(4)));
        break;
      case "pong":
        break;
      case "close":
        this.close_code = e.code;
        this.close_reason = e.reason;
        this.readyState = CLOSING;
        this.send_close(e.code === WS_CLOSE.NO_STATUS ? WS_CLOSE.NORMAL : e.code, "");
        this.sock.end();
        break;
      case "error":
        this.send_close(e.code, e.why);
        this.sock.destroy();
        break;
    }
  }
}

/** A plain socket after a handshake: what the server answered, then the bytes that follow. */
export interface RawWs {
  sock: Socket;
  /** The response head (status line and headers). */
  response: string;
  /** Everything received after the head, as it arrives. */
  rx: Buffer[];
  /** The server closed the TCP connection. */
  closed: () => boolean;
  /** The server's frames so far (its close frame among them). */
  events: () => WsEvent[];
}

/** A handshake on a plain socket; `request` replaces the default request head entirely. */
export function raw_ws(port: number, request?: string): Promise<RawWs> {
  const key = randomBytes(16).toString("base64");
  const req = request ?? `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    let head = Buffer.alloc(0);
    let response: string | null = null;
    let closed = false;
    const rx: Buffer[] = [];
    sock.on("error", () => {});
    sock.on("close", () => {
      closed = true;
      if (response === null) {
        response = head.toString("latin1");
        resolve(out());
      }
    });
    const out = (): RawWs => ({
      sock,
      response: response!,
      rx,
      closed: () => closed,
      events: () => new WsParser({ masked: false }).feed(Buffer.concat(rx)),
    });
    sock.on("data", (d: Buffer) => {
      if (response !== null) {
        rx.push(d);
        return;
      }
      head = Buffer.concat([head, d]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      response = head.subarray(0, end + 4).toString("latin1");
      const rest = head.subarray(end + 4);
      if (rest.length > 0) rx.push(rest);
      resolve(out());
    });
    sock.once("connect", () => sock.write(req));
    setTimeout(() => reject(new Error("no answer to the handshake")), 5000).unref();
  });
}

/** A masked client frame with any header bits the test wants (fin/rsv/opcode byte given whole). */
export function client_frame(b0: number, payload: Uint8Array, mask: Uint8Array | null = randomBytes(4)): Buffer {
  const f = ws_frame_encode(b0 & 0x0f, payload, mask);
  f[0] = b0;
  return Buffer.from(f);
}
