/**
 * The page's packet capture (DOM-free): the frames a packet socket bound to every interface would
 * see — the kernel's ETH_P_ALL tap (drivers/net/netdev.ts dev_add_tap), the same place the guest's
 * `tcpdump` gets its frames through net/packet/af_packet.ts — kept in a bounded ring for the packet
 * panel, printed by the guest tcpdump's own printer (userland/lib/netdissect.ts) and saved as a
 * classic libpcap file (include/uapi/pcap.ts).
 *
 * The page is boot-level code, so it registers the tap directly with the kernel API (inside
 * with_kernel) instead of opening a socket: no socket receive queue sits between the tap and the
 * ring, so the only frames the capture can lose are the ones its own ring pushes out, and every one
 * of those is counted in `dropped`.
 *
 * Frames are numbered from 0 in arrival order (`first` … `end - 1` are held); a number is never
 * reused by the same capture, not even after clear(), so a panel may key its rows by it.
 *
 * Context: the tap runs in the kernel (softirq or process context, inside a slice of the run loop);
 * every other method runs on the page's main thread between slices. Nothing here throws into the
 * kernel: the tap only copies bytes and moves ring indices.
 */
import { dev_add_tap } from "../../drivers/net/netdev.ts";
import type { NetDevice, PBuf } from "../../include/net/netdevice.ts";
import { pcap_file_header, pcap_record_header, PCAP_FILE_HEADER_LEN, PCAP_RECORD_HEADER_LEN } from "../../include/uapi/pcap.ts";
import { with_kernel, type Kernel } from "../../kernel/kernel.ts";
import { pbuf_copy_bits } from "../../kernel/mm/pbuf.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { ether_print, ether_tcp_seq_note, hex_dump, tcp_seq_state, ts_format, type TcpSeqState } from "../../userland/lib/netdissect.ts";

/** tcpdump's default snapshot length (MAXIMUM_SNAPLEN), as userland/bin/tcpdump.ts writes with -w. */
export const CAPTURE_SNAPLEN = 262144;
/** Frames the ring holds by default. */
export const CAPTURE_MAX_FRAMES = 2000;
/** Bytes of frame data the ring holds by default (TSO super-frames are up to 64 KiB each). */
export const CAPTURE_MAX_BYTES = 16 << 20;

export interface CapturedFrame {
  /** The frame's number in this capture. */
  readonly idx: number;
  /** The whole Ethernet frame as the tap saw it: the capture's own copy. */
  readonly data: Uint8Array;
  /** Kernel clock (virtual, ns since boot) when it crossed the stack: the time tcpdump prints. */
  readonly ts_ns: number;
  readonly ifindex: number;
  /** The interface's name when the frame crossed it. */
  readonly ifname: string;
  /** Sent by this machine (PACKET_OUTGOING) rather than received. */
  readonly outgoing: boolean;
}

interface Slot extends CapturedFrame {
  /** tcpdump's line, once printed (printing is in capture order: see print_upto). */
  line: string | null;
}

export interface PacketCaptureOptions {
  max_frames?: number;
  max_bytes?: number;
}

export class PacketCapture {
  readonly max_frames: number;
  readonly max_bytes: number;
  /** Frames pushed out of the ring to make room for newer ones (reset by clear()). */
  dropped = 0;
  private readonly ring: (Slot | undefined)[];
  private first_ = 0;
  private end_ = 0;
  private bytes_ = 0;
  /** Frames before this number have their line printed, or were noted (ether_tcp_seq_note) as they were dropped unprinted. */
  private printed = 0;
  /** Relative TCP sequence numbers per conversation, as one tcpdump run keeps them. */
  private tcp_seq: TcpSeqState = tcp_seq_state();
  private untap: (() => void) | null;

  constructor(kernel: Kernel, opts: PacketCaptureOptions = {}) {
    this.max_frames = Math.max(1, Math.floor(opts.max_frames ?? CAPTURE_MAX_FRAMES));
    this.max_bytes = Math.max(1, Math.floor(opts.max_bytes ?? CAPTURE_MAX_BYTES));
    this.ring = new Array<Slot | undefined>(this.max_frames);
    this.untap = with_kernel(kernel, () => dev_add_tap((p, dev, outgoing) => this.tap(p, dev, outgoing)));
  }

  /** The oldest frame held. */
  get first(): number {
    return this.first_;
  }
  /** One past the newest frame: frames `first` … `end - 1` are held. */
  get end(): number {
    return this.end_;
  }
  /** Frames held now. */
  get count(): number {
    return this.end_ - this.first_;
  }
  /** Bytes of frame data held now. */
  get bytes(): number {
    return this.bytes_;
  }
  get attached(): boolean {
    return this.untap !== null;
  }

  /**
   * The tap (kernel context). `p` belongs to the stack: it is only valid during this call and is
   * neither kept nor modified — the bytes are copied into a fresh array the capture owns (as
   * af_packet copies them for a socket). The timestamp rule is af_packet's: a received frame keeps
   * the time its driver stamped it with, a sent one is stamped now.
   */
  private tap(p: PBuf, dev: NetDevice, outgoing: boolean): void {
    // libpcap on a loopback device keeps each frame once, as it comes back in (tcpdump.ts does the same).
    if (outgoing && dev.type === "loopback") return;
    const len = p.len;
    const data = new Uint8Array(len);
    if (p.data_len === 0) data.set(p.data.subarray(p.head, p.head + len));
    else pbuf_copy_bits(p, 0, data, 0, len);
    const ts_ns = outgoing || p.tstamp === 0 ? ktime_get_ns() : p.tstamp;
    // Full (by count or by bytes): push the oldest out, counted, before the new frame takes a slot.
    while (this.end_ > this.first_ && (this.end_ - this.first_ >= this.max_frames || this.bytes_ + len > this.max_bytes)) this.drop_oldest();
    const idx = this.end_++;
    this.ring[idx % this.max_frames] = { idx, data, ts_ns, ifindex: dev.ifindex, ifname: dev.name, outgoing, line: null };
    this.bytes_ += len;
    // A frame larger than the whole byte budget does not stay either (counted the same way).
    if (this.bytes_ > this.max_bytes) this.drop_oldest();
  }

  private drop_oldest(): void {
    const i = this.first_;
    const s = this.ring[i % this.max_frames]!;
    // Never printed: nobody will see its line, but later TCP lines count from the base it sets.
    if (this.printed <= i) {
      ether_tcp_seq_note(s.data, s.data.length, this.tcp_seq);
      this.printed = i + 1;
    }
    this.ring[i % this.max_frames] = undefined;
    this.bytes_ -= s.data.length;
    this.first_++;
    this.dropped++;
  }

  /** Print every frame up to and including `i`, in capture order (tcpdump's TCP state depends on it). */
  private print_upto(i: number): void {
    for (let j = Math.max(this.printed, this.first_); j <= i; j++) {
      const s = this.ring[j % this.max_frames]!;
      s.line = `${ts_format(s.ts_ns)} ${ether_print(s.data, s.data.length, false, this.tcp_seq)}`;
    }
    if (i + 1 > this.printed) this.printed = i + 1;
  }

  /** Frame `i`, or null when it is not held (dropped, cleared, or not seen yet). Read-only. */
  frame(i: number): CapturedFrame | null {
    if (!Number.isInteger(i) || i < this.first_ || i >= this.end_) return null;
    return this.ring[i % this.max_frames]!;
  }

  /**
   * Frame `i` as `tcpdump -n` prints it (timestamp and summary, without the interface), or null.
   * Lines are printed in capture order and cached, so asking for a late frame prints the earlier
   * ones first.
   */
  one_line(i: number): string | null {
    const s = this.frame(i) as Slot | null;
    if (s === null) return null;
    if (s.line === null) this.print_upto(i);
    return s.line;
  }

  /**
   * Frame `i` as `tcpdump -XX` prints its bytes: one string per 16 bytes, exactly as tcpdump writes
   * the line ("\t0x0000:  5254 0012 3456 …  RT..4V"), or null.
   */
  hex_dump(i: number): string[] | null {
    const s = this.frame(i);
    if (s === null) return null;
    return hex_dump(s.data, 0, s.data.length).split("\n").slice(1);
  }

  /**
   * The frames held, as a classic libpcap savefile (microsecond timestamps, EN10MB): each record
   * holds the frame's bytes exactly as the tap saw them. A new array the caller owns.
   */
  pcap_bytes(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(PCAP_FILE_HEADER_LEN + this.count * PCAP_RECORD_HEADER_LEN + this.bytes_);
    const v = new DataView(out.buffer);
    out.set(pcap_file_header(CAPTURE_SNAPLEN), 0);
    let off = PCAP_FILE_HEADER_LEN;
    for (let i = this.first_; i < this.end_; i++) {
      const s = this.ring[i % this.max_frames]!;
      pcap_record_header(v, off, s.ts_ns, s.data.length, s.data.length);
      out.set(s.data, off + PCAP_RECORD_HEADER_LEN);
      off += PCAP_RECORD_HEADER_LEN + s.data.length;
    }
    return out;
  }

  /** Forget every frame held and the drop count: a new capture, numbered on from `end`. */
  clear(): void {
    for (let i = this.first_; i < this.end_; i++) this.ring[i % this.max_frames] = undefined;
    this.first_ = this.end_;
    this.printed = this.end_;
    this.bytes_ = 0;
    this.dropped = 0;
    this.tcp_seq = tcp_seq_state();
  }

  /** Remove the tap (idempotent). The frames held stay readable. */
  detach(): void {
    this.untap?.();
    this.untap = null;
  }
}

/** Start capturing on every interface of `kernel`. */
export function packet_capture_attach(kernel: Kernel, opts?: PacketCaptureOptions): PacketCapture {
  return new PacketCapture(kernel, opts);
}
