/**
 * The Internet checksum (RFC 1071): one's complement sum of 16-bit big-endian words. Plain
 * arithmetic, shared by the IPv4 stack (net/) and the machine's user-mode network (hw/).
 */

/** Sum of buf[off..off+len) as 16-bit big-endian words, not folded (add more, then csum_fold). */
export function csum_partial(buf: Uint8Array, off: number, len: number, sum = 0): number {
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
