import { closeSync, openSync, writeSync } from "node:fs";
import type { VirtualClock } from "../clock.ts";
import { RX_NO_LINK, type NetEndpoint } from "./net_endpoint.ts";
import { pcap_file_header, pcap_record_header, PCAP_RECORD_HEADER_LEN } from "../../include/uapi/pcap.ts";

/**
 * Packet capture in the classic libpcap format (include/uapi/pcap.ts): snaplen 65535, link type 1 =
 * Ethernet. Timestamps are the machine's clock (time since power-on), in microseconds. tcpdump,
 * tshark and Wireshark read it.
 */
export class PcapWriter {
  private fd: number;
  private readonly clock: VirtualClock;
  /** One record (16-byte header + frame) is staged here and written with one system call. */
  private readonly rec = Buffer.alloc(PCAP_RECORD_HEADER_LEN + 65535);
  private readonly rec_view = new DataView(this.rec.buffer, this.rec.byteOffset, this.rec.byteLength);
  frames = 0;

  readonly path: string;

  constructor(path: string, clock: VirtualClock) {
    this.clock = clock;
    this.path = path;
    this.fd = openSync(path, "w");
    writeSync(this.fd, pcap_file_header(65535));
  }

  /** Append one frame (frames over the 65535-byte snaplen are cut, their original length kept). */
  write(frame: Uint8Array, len: number): void {
    if (this.fd < 0) return;
    const r = this.rec;
    const incl = Math.min(len, 65535);
    pcap_record_header(this.rec_view, 0, this.clock.now_ns(), incl, len);
    r.set(frame.subarray(0, incl), PCAP_RECORD_HEADER_LEN);
    writeSync(this.fd, r, 0, PCAP_RECORD_HEADER_LEN + incl);
    this.frames++;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * A capture point on the wire between a NIC and its back-end (QEMU's filter-dump): both
 * directions pass through unchanged and are written to the file.
 */
export class PcapTap {
  /** Faces the NIC. */
  readonly nic_side: NetEndpoint;
  /** Faces the back-end. */
  readonly net_side: NetEndpoint;

  constructor(writer: PcapWriter) {
    const nic_side: NetEndpoint = {
      peer: null,
      receive_frame: (f, len) => {
        writer.write(f, len);
        // Pass the far end's verdict back: a tap adds no end of its own (nobody there = no link).
        const p = net_side.peer;
        return p === null ? RX_NO_LINK : p.receive_frame(f, len);
      },
      peer_link_changed: (up) => net_side.peer?.peer_link_changed?.(up),
      describe: () => `filter-dump file=${writer.path} frames=${writer.frames}\n   \\ ${net_side.peer?.describe?.() ?? "(nothing)"}`,
    };
    const net_side: NetEndpoint = {
      peer: null,
      receive_frame: (f, len) => {
        writer.write(f, len);
        const p = nic_side.peer;
        return p === null ? RX_NO_LINK : p.receive_frame(f, len);
      },
      peer_link_changed: (up) => nic_side.peer?.peer_link_changed?.(up),
    };
    this.nic_side = nic_side;
    this.net_side = net_side;
  }
}
