/**
 * The Ethernet FCS: CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), table-driven so that a
 * frame's CRC costs one table lookup per byte and allocates nothing.
 */
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

/** CRC-32 of buf[off..off+len), as the FCS (transmitted least significant byte first). */
export function crc32(buf: Uint8Array, off: number, len: number): number {
  let c = 0xffffffff;
  for (let i = off, end = off + len; i < end; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
