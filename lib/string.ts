/**
 * memcpy (lib/string.c) for byte arrays: copy src[src_off, src_off+len) to dst[dst_off, …),
 * allocating nothing. JavaScript has no pointers, so each side is a view and an offset.
 */
/** Copies up to this many bytes between different buffers go byte by byte (no view is made). */
const SHORT_COPY = 64;

/** The last buffer memcpy saw and a view over all of it (one machine: always a hit). */
let whole_buffer: ArrayBufferLike | null = null;
let whole_view: Uint8Array = new Uint8Array(0);

/**
 * When both lie in one host buffer (a machine's RAM and its devices' on-chip memory) it is one
 * memmove (copyWithin over the whole buffer, so overlapping ranges are fine); otherwise short
 * copies go byte by byte and longer ones through a subarray view. Any context.
 */
export function memcpy(dst: Uint8Array, dst_off: number, src: Uint8Array, src_off: number, len: number): void {
  const buf = dst.buffer;
  if (buf === src.buffer) {
    if (buf !== whole_buffer) {
      whole_buffer = buf;
      whole_view = new Uint8Array(buf);
    }
    const from = src.byteOffset + src_off;
    whole_view.copyWithin(dst.byteOffset + dst_off, from, from + len);
  } else if (len <= SHORT_COPY) {
    for (let i = 0; i < len; i++) dst[dst_off + i] = src[src_off + i]!;
  } else {
    dst.set(src.subarray(src_off, src_off + len), dst_off);
  }
}

