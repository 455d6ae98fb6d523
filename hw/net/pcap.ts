import { closeSync, openSync, writeSync } from "node:fs";
import type { VirtualClock } from "../clock.ts";
import { RX_NO_LINK, type NetEndpoint } from "./net_endpoint.ts";

/**
 * Packet capture in the classic libpcap format (https://wiki.wireshark.org/Development/LibpcapFileFormat):
 * a 24-byte global header (magic 0xa1b2c3d4, version 2.4, snaplen 65535, link type 1 = Ethernet),
 * then per frame a 16-byte record header (seconds, microseconds, captured and original length) and
 * the frame. Timestamps are the machine's clock (time since power-on), in microseconds. tcpdump,
 * tshark and Wireshark read it.
 */
export const PCAP_MAGIC = 0xa1b2c3d4;
export const LINKTYPE_ETHERNET = 1;

export class PcapWriter {
  private fd: number;
  private readonly clock: VirtualClock;
  /** One record (16-byte header + frame) is staged here and written with one system call. */
  private readonly rec = Buffer.alloc(16 + 65535);
  frames = 0;

  readonly path: string;

  constructor(path: string, clock: VirtualClock) {
    this.clock = clock;
    this.path = path;
    this.fd = openSync(path, "w");
    const h = Buffer.alloc(24);
    h.writeUInt32LE(PCAP_MAGIC, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8); // thiszone
    h.writeUInt32LE(0, 12); // sigfigs
    h.writeUInt32LE(65535, 16); // snaplen
    h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    writeSync(this.fd, h);
  }

  /** Append one frame (frames over the 65535-byte snaplen are cut, their original length kept). */
  write(frame: Uint8Array, len: number): void {
    if (this.fd < 0) return;
    const us = Math.floor(this.clock.now_ns() / 1000);
    const r = this.rec;
    const incl = Math.min(len, 65535);
    r.writeUInt32LE(Math.floor(us / 1e6), 0);
    r.writeUInt32LE(us % 1e6, 4);
    r.writeUInt32LE(incl, 8);
    r.writeUInt32LE(len, 12);
    r.set(frame.subarray(0, incl), 16);
    writeSync(this.fd, r, 0, 16 + incl);
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
