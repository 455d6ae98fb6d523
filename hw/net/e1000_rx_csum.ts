import { csum_partial } from "../../lib/inet_checksum.ts";
import {
  RXCSUM_IPOFL,
  RXCSUM_PCSS_MASK,
  RXCSUM_TUOFL,
  RXD_ERR_IPE,
  RXD_ERR_TCPE,
  RXD_STAT_IPCS,
  RXD_STAT_IXSM,
  RXD_STAT_TCPCS,
} from "./e1000_regs.ts";

/**
 * Receive checksum offload of the 82540EM (SDM 3.2.9 "Receive Checksum Offloading", RXCSUM
 * 13.4.46, descriptor status/errors 3.2.3.1-2), computed over the frame as it lands in memory
 * (after VLAN stripping). Pure functions over the caller's buffer: nothing kept, nothing allocated.
 *
 * - The packet checksum (descriptor bytes 10-11) is always written: the 16-bit one's complement
 *   sum, not inverted, of the bytes from RXCSUM.PCSS to the end of the data DMA'd (the FCS
 *   included when RCTL.SECRC is clear, as 3.2.9 says), taken as big-endian words; 0 when PCSS
 *   lies past the end.
 * - RXCSUM.IPOFL: an IPv4 header (Ethernet II, optionally one 802.1Q tag left in the frame) gets
 *   IPCS, and IPE when its header checksum is wrong.
 * - RXCSUM.TUOFL: TCP or UDP over IPv4 (not a fragment) or over IPv6 (no extension headers) gets
 *   TCPCS — the 8254x has one bit for TCP and UDP; UDPCS exists only from the 82571 on — and TCPE
 *   when the checksum is wrong. A UDP datagram sent without a checksum (0) is not checked.
 * - Neither enabled: IXSM ("ignore checksum indication"), as QEMU sets on every frame.
 */

function be16(f: Uint8Array, o: number): number {
  return (f[o]! << 8) | f[o + 1]!;
}

/** One's complement sum (unfolded) of f[start..end) as big-endian 16-bit words, starting at `sum`. */
function sum16(f: Uint8Array, start: number, end: number, sum: number): number {
  return csum_partial(f, start, end - start, sum);
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The packet checksum field: folded one's complement sum of f[pcss..total). */
export function e1000_rx_packet_csum(f: Uint8Array, total: number, rxcsum: number): number {
  const start = rxcsum & RXCSUM_PCSS_MASK;
  if (start >= total) return 0;
  return fold(sum16(f, start, total, 0));
}

/**
 * Status and error bits for a frame f[0..n) (without FCS): `status | errors << 8`.
 * `vet` is VET: a tag still in the frame (CTRL.VME clear) is stepped over.
 */
export function e1000_rx_csum_bits(f: Uint8Array, n: number, rxcsum: number, vet: number): number {
  const ipofl = (rxcsum & RXCSUM_IPOFL) !== 0;
  const tuofl = (rxcsum & RXCSUM_TUOFL) !== 0;
  if (!ipofl && !tuofl) return RXD_STAT_IXSM;
  let l3 = 14;
  if (n < l3) return 0;
  let type = be16(f, 12);
  if (type === vet) {
    if (n < 18) return 0;
    type = be16(f, 16);
    l3 = 18;
  }
  let status = 0;
  let errors = 0;
  if (type === 0x0800) {
    if (n < l3 + 20 || f[l3]! >> 4 !== 4) return 0;
    const ihl = (f[l3]! & 0xf) * 4;
    const tot = be16(f, l3 + 2);
    if (ihl < 20 || tot < ihl || l3 + tot > n) return 0; // not a well-formed IPv4 packet: nothing checked
    if (ipofl) {
      status |= RXD_STAT_IPCS;
      if (fold(sum16(f, l3, l3 + ihl, 0)) !== 0xffff) errors |= RXD_ERR_IPE;
    }
    const frag = (be16(f, l3 + 6) & 0x3fff) !== 0;
    const proto = f[l3 + 9]!;
    if (tuofl && !frag && (proto === 6 || proto === 17)) {
      const l4 = l3 + ihl;
      const len = tot - ihl;
      if (proto === 6 ? len >= 20 : len >= 8 && be16(f, l4 + 6) !== 0) {
        let sum = sum16(f, l3 + 12, l3 + 20, 0) + proto + len; // pseudo-header: addresses, protocol, length
        sum = sum16(f, l4, l4 + len, sum);
        status |= RXD_STAT_TCPCS;
        if (fold(sum) !== 0xffff) errors |= RXD_ERR_TCPE;
      }
    }
  } else if (type === 0x86dd && tuofl) {
    if (n < l3 + 40 || f[l3]! >> 4 !== 6) return 0;
    const len = be16(f, l3 + 4);
    const nh = f[l3 + 6]!;
    const l4 = l3 + 40;
    if ((nh === 6 && len >= 20) || (nh === 17 && len >= 8 && be16(f, l4 + 6) !== 0)) {
      if (l4 + len > n) return 0;
      let sum = sum16(f, l3 + 8, l3 + 40, 0) + nh + len;
      sum = sum16(f, l4, l4 + len, sum);
      status |= RXD_STAT_TCPCS;
      if (fold(sum) !== 0xffff) errors |= RXD_ERR_TCPE;
    }
  }
  return status | (errors << 8);
}
