/**
 * The Internet checksum (RFC 1071): one's complement sum of 16-bit big-endian words. Plain
 * arithmetic, shared by the IPv4 stack (net/) and the machine's user-mode network (hw/).
 */

/** Little-endian 32-bit views of the buffers checksummed (one per ArrayBuffer, made once). */
const word_views = new WeakMap<ArrayBufferLike, Uint32Array>();

/**
 * Sum of buf[off..off+len) as 16-bit big-endian words, not folded (add more, then csum_fold).
 *
 * The hot path of every checksum (the e1000 model's offloads and packet checksum, the stack's),
 * so it is written for speed: an even-aligned block is summed as the host's little-endian 32-bit
 * words — the one's complement sum is byte-order independent and may be taken over wider words
 * (RFC 1071 §2(B), §2(C)), so the folded result only needs its bytes swapped — and anything else
 * byte-wise in four int32 chains. Blocks up to 64 KiB keep every accumulator exact; longer ones
 * take the plain loop.
 */
export function csum_partial(buf: Uint8Array, off: number, len: number, sum = 0): number {
  if (len <= 0) return sum;
  if (len > 65536) return csum_partial_slow(buf, off, len, sum);
  let start = buf.byteOffset + off;
  if ((start & 1) === 0 && len >= 64) {
    if ((start & 2) !== 0) {
      // One 16-bit word to reach a 32-bit boundary.
      sum += (buf[off]! << 8) | buf[off + 1]!;
      off += 2;
      len -= 2;
      start += 2;
    }
    let w = word_views.get(buf.buffer);
    if (w === undefined) {
      w = new Uint32Array(buf.buffer, 0, buf.buffer.byteLength >> 2);
      word_views.set(buf.buffer, w);
    }
    let s0 = 0;
    let s1 = 0;
    let i = start >> 2;
    const end = i + (len >> 2);
    const end2 = i + ((len >> 3) << 1);
    for (; i < end2; i += 2) {
      s0 += w[i]!;
      s1 += w[i + 1]!;
    }
    for (; i < end; i++) s0 += w[i]!;
    let s = s0 + s1; // < 2^46: exact
    s = (s % 0x10000) + Math.floor(s / 0x10000);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    sum += ((s & 0xff) << 8) | (s >> 8);
    const rest = len & 3;
    if (rest >= 2) sum += (buf[off + len - rest]! << 8) | buf[off + len - rest + 1]!;
    if (rest & 1) sum += buf[off + len - 1]! << 8;
    return sum;
  }
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = off;
  const end8 = off + (len & ~7);
  for (; i < end8; i += 8) {
    s0 = (s0 + ((buf[i]! << 8) | buf[i + 1]!)) | 0;
    s1 = (s1 + ((buf[i + 2]! << 8) | buf[i + 3]!)) | 0;
    s2 = (s2 + ((buf[i + 4]! << 8) | buf[i + 5]!)) | 0;
    s3 = (s3 + ((buf[i + 6]! << 8) | buf[i + 7]!)) | 0;
  }
  const end = off + (len & ~1);
  for (; i < end; i += 2) s0 = (s0 + ((buf[i]! << 8) | buf[i + 1]!)) | 0;
  if (len & 1) s0 = (s0 + (buf[off + len - 1]! << 8)) | 0;
  return sum + s0 + s1 + s2 + s3;
}

function csum_partial_slow(buf: Uint8Array, off: number, len: number, sum: number): number {
  const end = off + (len & ~1);
  for (let i = off; i < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (len & 1) sum += buf[off + len - 1]! << 8;
  return sum;
}

/** Fold a partial sum to 16 bits and complement it. */
export function csum_fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** Checksum of a block (0 when a received block with its checksum field verifies). */
export function ip_compute_csum(buf: Uint8Array, off: number, len: number): number {
  return csum_fold(csum_partial(buf, off, len));
}

/** The UDP/TCP pseudo-header sum: source, destination, protocol, length. */
export function csum_tcpudp_nofold(saddr: number, daddr: number, len: number, proto: number): number {
  return (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + proto + len;
}
