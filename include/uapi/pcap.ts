/**
 * The classic libpcap savefile format, as a header both sides include: libpcap's pcap/pcap.h
 * (struct pcap_file_header, struct pcap_pkthdr) and sf-pcap.c, described at
 * https://wiki.wireshark.org/Development/LibpcapFileFormat. Used by the machine's --pcap /
 * filter-dump writer (hw/net/pcap.ts) and the guest's `tcpdump -w` / `-r`. A 24-byte file header
 * (magic, version 2.4, thiszone, sigfigs, snaplen, link type), then per frame a 16-byte record
 * header (seconds, microseconds, captured length, original length) and the captured bytes.
 * Written little-endian; read in either byte order, with microsecond or nanosecond timestamps.
 */
export const PCAP_MAGIC = 0xa1b2c3d4;
/** The nanosecond-resolution variant's magic. */
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

/** The 24-byte file header for `snaplen` and `linktype`. */
export function pcap_file_header(snaplen: number, linktype = LINKTYPE_ETHERNET): Uint8Array {
  const h = new Uint8Array(PCAP_FILE_HEADER_LEN);
  const v = new DataView(h.buffer);
  v.setUint32(0, PCAP_MAGIC, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true); // thiszone
  v.setUint32(12, 0, true); // sigfigs
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linktype, true);
  return h;
}

/** Write a record header at `v[off..off+16)`: time `ts_ns` (microsecond resolution), lengths. */
export function pcap_record_header(v: DataView, off: number, ts_ns: number, incl: number, orig: number): void {
  const us = Math.floor(ts_ns / 1000);
  v.setUint32(off, Math.floor(us / 1e6), true);
  v.setUint32(off + 4, us % 1e6, true);
  v.setUint32(off + 8, incl, true);
  v.setUint32(off + 12, orig, true);
}

export interface PcapRecord {
  ts_ns: number;
  /** The captured bytes (a view into the file's buffer). */
  data: Uint8Array;
  orig_len: number;
}

export interface PcapFile {
  snaplen: number;
  linktype: number;
  records: PcapRecord[];
  /** Bytes at the end too short for a record header or its data (a file cut off mid-write). */
  truncated: boolean;
}

/** Parse a savefile, or say in one line why it is not one (sf-pcap.c's wording where it has one). */
export function pcap_parse(buf: Uint8Array): PcapFile | string {
  if (buf.length < PCAP_FILE_HEADER_LEN) return buf.length === 0 ? "truncated dump file; tried to read 4 file header bytes, only got 0" : "truncated dump file";
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const m_le = v.getUint32(0, true);
  const le = m_le === PCAP_MAGIC || m_le === PCAP_MAGIC_NSEC;
  const magic = le ? m_le : v.getUint32(0, false);
  if (magic !== PCAP_MAGIC && magic !== PCAP_MAGIC_NSEC) return "bad dump file format";
  const nsec = magic === PCAP_MAGIC_NSEC;
  const major = v.getUint16(4, le);
  if (major !== 2) return `unsupported dump file version ${major}.${v.getUint16(6, le)}`;
  const snaplen = v.getUint32(16, le);
  const linktype = v.getUint32(20, le) & 0x03ffffff;
  const records: PcapRecord[] = [];
  let off = PCAP_FILE_HEADER_LEN;
  let truncated = false;
  while (off < buf.length) {
    if (off + PCAP_RECORD_HEADER_LEN > buf.length) {
      truncated = true;
      break;
    }
    const sec = v.getUint32(off, le);
    const frac = v.getUint32(off + 4, le);
    const incl = v.getUint32(off + 8, le);
    const orig = v.getUint32(off + 12, le);
    if (incl > 262144) return `invalid packet capture length ${incl}, bigger than maximum of 262144`;
    if (off + PCAP_RECORD_HEADER_LEN + incl > buf.length) {
      truncated = true;
      break;
    }
    const start = off + PCAP_RECORD_HEADER_LEN;
    records.push({ ts_ns: sec * 1e9 + (nsec ? frac : frac * 1000), data: buf.subarray(start, start + incl), orig_len: orig });
    off = start + incl;
  }
  return { snaplen, linktype, records, truncated };
}
