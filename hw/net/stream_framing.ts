/**
 * QEMU's stream framing (net/stream.c, net/stream_data.c; passt speaks it too): each frame is a
 * 4-byte big-endian length and that many bytes. Portable (no node:*): the stream back-end
 * (netdev_stream.ts), the WebSocket relay and the page's WebSocket back-end share it.
 *
 * Ownership: a record split across chunks is copied into a buffer the parser allocates and never
 * touches again; a record that lies whole inside one chunk is handed on as a view of that chunk,
 * so callers feed chunks they never reuse (Node's reads and WebSocket messages are fresh buffers).
 */
export const STREAM_RECORD_HDR = 4;

export function read_u32be(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

export function write_u32be(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** One record: the length, then frame[0..len). */
export function stream_record_encode(frame: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(STREAM_RECORD_HDR + len);
  write_u32be(out, 0, len);
  out.set(frame.subarray(0, len), STREAM_RECORD_HDR);
  return out;
}

/**
 * Records from a byte stream fed in chunks: split and merged records are reassembled. A length over
 * `max_len` stops the parser (the caller closes the connection): feed returns that length.
 */
export class StreamRecordParser {
  readonly max_len: number;
  private readonly hdr = new Uint8Array(STREAM_RECORD_HDR);
  private hdr_have = 0;
  private rec: Uint8Array | null = null;
  private rec_have = 0;

  constructor(max_len: number) {
    this.max_len = max_len;
  }

  /** Part of a record is held (a connection ending now ends mid-record). */
  pending(): boolean {
    return this.hdr_have > 0 || this.rec !== null;
  }

  reset(): void {
    this.hdr_have = 0;
    this.rec = null;
  }

  /**
   * Hand each record that `chunk` completes to `on_record` (see the ownership note at the top).
   * Returns null, or the offending length of a record over max_len (nothing after it is parsed,
   * and the parser is reset).
   */
  feed(chunk: Uint8Array, on_record: (frame: Uint8Array) => void): number | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.rec === null) {
        const n = Math.min(STREAM_RECORD_HDR - this.hdr_have, chunk.length - i);
        this.hdr.set(chunk.subarray(i, i + n), this.hdr_have);
        this.hdr_have += n;
        i += n;
        if (this.hdr_have < STREAM_RECORD_HDR) return null;
        this.hdr_have = 0;
        const len = read_u32be(this.hdr, 0);
        if (len > this.max_len) {
          this.reset();
          return len;
        }
        if (chunk.length - i >= len) {
          on_record(chunk.subarray(i, i + len));
          i += len;
          continue;
        }
        this.rec = new Uint8Array(len);
        this.rec_have = 0;
      }
      const r = this.rec;
      const n = Math.min(r.length - this.rec_have, chunk.length - i);
      r.set(chunk.subarray(i, i + n), this.rec_have);
      this.rec_have += n;
      i += n;
      if (this.rec_have === r.length) {
        this.rec = null;
        on_record(r);
      }
    }
    return null;
  }
}
