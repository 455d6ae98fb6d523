/**
 * Two byte-level codecs for carrying Ethernet frames over WebSocket, portable (no node:*, no DOM):
 * both the Node relay (netdev_ws_relay.ts) and the page's back-end (netdev_websocket.ts) use them.
 *
 * 1. RFC 6455 framing: encoding a message (server → client unmasked, client → server masked) and
 *    an incremental parser over a byte stream that reassembles fragmented messages, reports
 *    ping/pong/close, and enforces the limits: a message over `max_message` bytes (1 MiB by
 *    default), reserved bits or opcodes, a mask that is present when it must not be (or absent when
 *    it must be), a fragmented or over-long control frame, a continuation with no message begun.
 *    Hostile input never throws: the parser returns an `error` event carrying the close code to
 *    send (1002 protocol error, 1007 bad close reason, 1009 too big) and ignores everything after.
 *    Text messages are handed on undecoded; the consumer refuses them (close 1003).
 *
 * 2. QEMU's stream framing (net/stream.c): each frame is a 4-byte big-endian length and that many
 *    bytes. StreamRecordParser reassembles records split or merged across chunks. (The Node-only
 *    StreamBackend in netdev_stream.ts has its own private copy on Buffers; it can move onto this
 *    one.)
 *
 * Ownership: parsers allocate the buffers they return (a message's payload, a record split across
 * chunks) and never touch them again, so a consumer may keep them. A record that lies whole inside
 * one chunk is returned as a view of that chunk: callers feed chunks they never reuse.
 */

import { read_u32be, write_u32be } from "./stream_framing.ts";

export const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export const WS_OPCODE = { CONTINUATION: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

/** Close codes (RFC 6455 section 7.4.1). */
export const WS_CLOSE = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  NO_STATUS: 1005,
  ABNORMAL: 1006,
  INVALID_DATA: 1007,
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
} as const;

/** The largest message (all fragments together) a parser accepts by default. */
export const WS_MAX_MESSAGE = 1 << 20;
/** Control frames carry at most this many payload bytes and are never fragmented. */
export const WS_MAX_CONTROL = 125;

/** Bytes of the frame header for a payload of `len` bytes. */
export function ws_header_len(len: number, masked: boolean): number {
  return (len < 126 ? 2 : len < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Write a frame header at `buf[off..]` (ws_header_len bytes). With `mask` (4 bytes), the caller
 * masks the payload itself (ws_mask). Returns the offset just past the header.
 */
export function ws_write_header(buf: Uint8Array, off: number, opcode: number, len: number, mask: Uint8Array | null, fin = true): number {
  buf[off++] = (fin ? 0x80 : 0) | (opcode & 0x0f);
  const m = mask !== null ? 0x80 : 0;
  if (len < 126) buf[off++] = m | len;
  else if (len < 0x10000) {
    buf[off++] = m | 126;
    buf[off++] = len >>> 8;
    buf[off++] = len & 0xff;
  } else {
    buf[off++] = m | 127;
    const hi = Math.floor(len / 0x100000000);
    for (let i = 0; i < 4; i++) buf[off++] = (hi >>> (24 - 8 * i)) & 0xff;
    for (let i = 0; i < 4; i++) buf[off++] = (len >>> (24 - 8 * i)) & 0xff;
  }
  if (mask !== null) {
    buf.set(mask.subarray(0, 4), off);
    off += 4;
  }
  return off;
}

/** XOR `buf[off..off+len)` in place with the 4-byte mask, starting at mask byte `phase`. */
export function ws_mask(buf: Uint8Array, off: number, len: number, mask: Uint8Array, phase = 0): void {
  for (let i = 0; i < len; i++) buf[off + i] = buf[off + i]! ^ mask[(phase + i) & 3]!;
}

/** One whole frame (FIN set unless `fin` is false). `mask` null: a server's frame. */
export function ws_frame_encode(opcode: number, payload: Uint8Array, mask: Uint8Array | null = null, fin = true): Uint8Array {
  const hl = ws_header_len(payload.length, mask !== null);
  const out = new Uint8Array(hl + payload.length);
  ws_write_header(out, 0, opcode, payload.length, mask, fin);
  out.set(payload, hl);
  if (mask !== null) ws_mask(out, hl, payload.length, mask);
  return out;
}

/** A close frame's payload: the code and a reason cut to fit a control frame. */
export function ws_close_payload(code: number, reason = ""): Uint8Array {
  const r = new TextEncoder().encode(reason).subarray(0, WS_MAX_CONTROL - 2);
  const out = new Uint8Array(2 + r.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(r, 2);
  return out;
}

/**
 * A binary message carrying one stream record (4-byte big-endian length + frame[0..len)), built in
 * one allocation. `mask` null for a server, 4 random bytes for a client.
 */
export function ws_record_message(frame: Uint8Array, len: number, mask: Uint8Array | null = null): Uint8Array {
  const plen = 4 + len;
  const hl = ws_header_len(plen, mask !== null);
  const out = new Uint8Array(hl + plen);
  ws_write_header(out, 0, WS_OPCODE.BINARY, plen, mask);
  write_u32be(out, hl, len);
  out.set(frame.subarray(0, len), hl + 4);
  if (mask !== null) ws_mask(out, hl, plen, mask);
  return out;
}

/** What the parser found. After `close` or `error` the parser ignores all further input. */
export type WsEvent =
  | { type: "message"; opcode: typeof WS_OPCODE.TEXT | typeof WS_OPCODE.BINARY; data: Uint8Array }
  | { type: "ping" | "pong"; data: Uint8Array }
  /** The peer's close frame; code 1005 when it carried none. Answer it, then end the connection. */
  | { type: "close"; code: number; reason: string }
  /** The peer broke the protocol: close with `code`; `why` is one line for a log. */
  | { type: "error"; code: number; why: string };

export interface WsParserOptions {
  /** Frames must be masked (a server parsing a client) or must not be (a client parsing a server). */
  masked: boolean;
  max_message?: number;
}

const HDR_MAX = 14;

/** A valid close code on the wire (1005, 1006 and 1015 are never sent; 1016-2999 are unassigned). */
function close_code_ok(c: number): boolean {
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

/**
 * RFC 6455 frames from a byte stream, fed in chunks of any size. Never throws; memory held is at
 * most one message (max_message) plus one header.
 */
export class WsParser {
  readonly masked: boolean;
  readonly max_message: number;
  private readonly hdr = new Uint8Array(HDR_MAX);
  private hdr_have = 0;
  /** The frame being read: its payload buffer, how much has arrived, its mask and opcode. */
  private payload: Uint8Array | null = null;
  private pay_have = 0;
  private readonly mask_key = new Uint8Array(4);
  private opcode = 0;
  private fin = false;
  /** A fragmented message in progress: its opcode (0: none) and the fragments so far. */
  private msg_opcode = 0;
  private msg_parts: Uint8Array[] = [];
  private msg_len = 0;
  private dead = false;

  constructor(opts: WsParserOptions) {
    this.masked = opts.masked;
    this.max_message = opts.max_message ?? WS_MAX_MESSAGE;
  }

  /** A close or an error was returned: nothing more is parsed. */
  get done(): boolean {
    return this.dead;
  }

  /** Part of a frame or of a fragmented message is held (the connection ended mid-message). */
  pending(): boolean {
    return !this.dead && (this.hdr_have > 0 || this.payload !== null || this.msg_opcode !== 0);
  }

  /** Parse `chunk` (not kept), appending what it completes to `out`. */
  feed(chunk: Uint8Array, out: WsEvent[] = []): WsEvent[] {
    let i = 0;
    while (i < chunk.length && !this.dead) {
      if (this.payload === null) {
        const need = this.header_need();
        const n = Math.min(need - this.hdr_have, chunk.length - i);
        this.hdr.set(chunk.subarray(i, i + n), this.hdr_have);
        this.hdr_have += n;
        i += n;
        // The length field's size is known after 2 bytes, so the need may grow once.
        if (this.hdr_have < this.header_need()) continue;
        const err = this.header_done(out);
        if (err !== null) {
          this.fail(out, err[0], err[1]);
          break;
        }
        continue;
      }
      const p = this.payload;
      const n = Math.min(p.length - this.pay_have, chunk.length - i);
      p.set(chunk.subarray(i, i + n), this.pay_have);
      if (this.masked) ws_mask(p, this.pay_have, n, this.mask_key, this.pay_have);
      this.pay_have += n;
      i += n;
      if (this.pay_have === p.length) this.frame_done(out);
    }
    return out;
  }

  /** Header bytes needed so far: 2, then the extended length and the mask once known. */
  private header_need(): number {
    if (this.hdr_have < 2) return 2;
    const l7 = this.hdr[1]! & 0x7f;
    return 2 + (l7 === 126 ? 2 : l7 === 127 ? 8 : 0) + (this.hdr[1]! & 0x80 ? 4 : 0);
  }

  /** The header is complete: check it and set up the payload. Returns [close code, why] on error. */
  private header_done(out: WsEvent[]): [number, string] | null {
    const h = this.hdr;
    this.hdr_have = 0;
    const fin = (h[0]! & 0x80) !== 0;
    const op = h[0]! & 0x0f;
    if ((h[0]! & 0x70) !== 0) return [WS_CLOSE.PROTOCOL_ERROR, "reserved bits set (no extension was negotiated)"];
    if (op !== 0 && op !== 1 && op !== 2 && op !== 8 && op !== 9 && op !== 10) return [WS_CLOSE.PROTOCOL_ERROR, `reserved opcode ${op}`];
    const masked = (h[1]! & 0x80) !== 0;
    if (masked !== this.masked) return [WS_CLOSE.PROTOCOL_ERROR, masked ? "masked frame from the server" : "unmasked frame from the client"];
    const l7 = h[1]! & 0x7f;
    let len: number;
    let off = 2;
    if (l7 === 126) {
      len = (h[2]! << 8) | h[3]!;
      off = 4;
    } else if (l7 === 127) {
      const hi = ((h[2]! << 24) | (h[3]! << 16) | (h[4]! << 8) | h[5]!) >>> 0;
      if (hi >= 0x80000000) return [WS_CLOSE.PROTOCOL_ERROR, "64-bit length with its top bit set"];
      len = hi * 0x100000000 + read_u32be(h, 6);
      off = 10;
    } else len = l7;
    if (op >= 8) {
      if (!fin) return [WS_CLOSE.PROTOCOL_ERROR, "fragmented control frame"];
      if (len > WS_MAX_CONTROL) return [WS_CLOSE.PROTOCOL_ERROR, `control frame of ${len} bytes (at most ${WS_MAX_CONTROL})`];
    } else {
      if (op === 0 && this.msg_opcode === 0) return [WS_CLOSE.PROTOCOL_ERROR, "continuation frame with no message begun"];
      if (op !== 0 && this.msg_opcode !== 0) return [WS_CLOSE.PROTOCOL_ERROR, "new message inside a fragmented one"];
      if (this.msg_len + len > this.max_message) return [WS_CLOSE.TOO_BIG, `message of ${this.msg_len + len} bytes or more (at most ${this.max_message})`];
    }
    if (masked) this.mask_key.set(h.subarray(off, off + 4));
    this.opcode = op;
    this.fin = fin;
    this.payload = new Uint8Array(len);
    this.pay_have = 0;
    if (len === 0) this.frame_done(out);
    return null;
  }

  private frame_done(out: WsEvent[]): void {
    const data = this.payload!;
    this.payload = null;
    const op = this.opcode;
    if (op === WS_OPCODE.PING || op === WS_OPCODE.PONG) {
      out.push({ type: op === WS_OPCODE.PING ? "ping" : "pong", data });
      return;
    }
    if (op === WS_OPCODE.CLOSE) {
      this.close_frame(out, data);
      return;
    }
    if (op !== 0) this.msg_opcode = op;
    if (this.fin && this.msg_parts.length === 0) {
      out.push({ type: "message", opcode: this.msg_opcode as 1 | 2, data });
      this.msg_opcode = 0;
      return;
    }
    this.msg_parts.push(data);
    this.msg_len += data.length;
    if (!this.fin) return;
    const whole = new Uint8Array(this.msg_len);
    let o = 0;
    for (const p of this.msg_parts) {
      whole.set(p, o);
      o += p.length;
    }
    out.push({ type: "message", opcode: this.msg_opcode as 1 | 2, data: whole });
    this.msg_opcode = 0;
    this.msg_parts = [];
    this.msg_len = 0;
  }

  private close_frame(out: WsEvent[], data: Uint8Array): void {
    if (data.length === 0) {
      this.dead = true;
      out.push({ type: "close", code: WS_CLOSE.NO_STATUS, reason: "" });
      return;
    }
    if (data.length === 1) return this.fail(out, WS_CLOSE.PROTOCOL_ERROR, "close frame with a 1-byte payload");
    const code = (data[0]! << 8) | data[1]!;
    if (!close_code_ok(code)) return this.fail(out, WS_CLOSE.PROTOCOL_ERROR, `invalid close code ${code}`);
    let reason: string;
    try {
      reason = new TextDecoder("utf-8", { fatal: true }).decode(data.subarray(2));
    } catch {
      return this.fail(out, WS_CLOSE.INVALID_DATA, "close reason is not UTF-8");
    }
    this.dead = true;
    out.push({ type: "close", code, reason });
  }

  private fail(out: WsEvent[], code: number, why: string): void {
    this.dead = true;
    this.payload = null;
    this.msg_parts = [];
    out.push({ type: "error", code, why });
  }
}

