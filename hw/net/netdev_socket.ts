import { ClockEvent, type VirtualClock } from "../clock.ts";
import type { Tracer } from "../trace.ts";
import { RX_NO_LINK, type NetEndpoint } from "./net_endpoint.ts";

/**
 * What the socket back-ends share: frames that arrive from outside wait in a bounded queue and are
 * handed to the NIC when the virtual clock reaches their arrival time (nothing is lost while the
 * machine is busy; a full queue drops and counts), and the host is told when to wake the machine.
 */
export const NET_BUFSIZE = 4096 + 65536; // QEMU's limit on one frame (69632)
export const RX_QUEUE_MAX = 1024;

export interface BackendStats {
  /** Frames from outside that the NIC heard (its own counters take over from there). */
  rx_frames: number;
  tx_frames: number;
  rx_bytes: number;
  tx_bytes: number;
  /** Frames from outside dropped because the queue was full. */
  overflow: number;
  /** Records too short to hold an Ethernet header (0..13 bytes), dropped here. */
  runt: number;
  /** Frames from the NIC dropped because nobody was connected. */
  tx_no_peer: number;
  /** Frames from outside that reached the NIC while its link was down (or with no NIC plugged in). */
  dropped_no_link: number;
  /** Records with a length over NET_BUFSIZE, and connections cut mid-record. */
  oversize: number;
  truncated: number;
  connects: number;
  disconnects: number;
}

export abstract class SocketBackend implements NetEndpoint {
  peer: NetEndpoint | null = null;
  readonly id: string;
  protected readonly clock: VirtualClock;
  protected readonly tracer: Tracer;
  /** Wake the run loop (input arrived) and tell it whether to wait for more. */
  protected readonly kick: () => void;
  private readonly queue: Uint8Array[] = [];
  private readonly event: ClockEvent;
  readonly stats: BackendStats = { rx_frames: 0, tx_frames: 0, rx_bytes: 0, tx_bytes: 0, overflow: 0, runt: 0, tx_no_peer: 0, dropped_no_link: 0, oversize: 0, truncated: 0, connects: 0, disconnects: 0 };

  constructor(id: string, clock: VirtualClock, tracer: Tracer, kick: () => void) {
    this.id = id;
    this.clock = clock;
    this.tracer = tracer;
    this.kick = kick;
    this.event = new ClockEvent(`netdev-${id}`, () => this.deliver());
  }

  protected log(msg: string): void {
    this.tracer.info(`netdev ${this.id}: ${msg}`);
  }

  protected warn(msg: string): void {
    this.tracer.warn(`netdev ${this.id}: ${msg}`);
  }

  /**
   * A frame from outside, handed over: the caller never touches `frame` again. Host context: it
   * only queues and wakes the run loop.
   */
  protected enqueue(frame: Uint8Array): void {
    if (frame.length < 14) {
      this.stats.runt++;
      return;
    }
    if (this.queue.length >= RX_QUEUE_MAX) {
      this.stats.overflow++;
      return;
    }
    this.queue.push(frame);
    if (!this.event.armed) this.clock.arm(this.event, this.clock.now_ns());
    this.kick();
  }

  /**
   * The machine's clock reached the queued frames: hand them to the NIC (device context). A frame
   * the NIC did not hear (its PHY is down) is counted in dropped_no_link, never in rx_frames.
   */
  private deliver(): void {
    const q = this.queue;
    const st = this.stats;
    for (let i = 0; i < q.length; i++) {
      const f = q[i]!;
      const peer = this.peer;
      if (peer === null || peer.receive_frame(f, f.length) === RX_NO_LINK) {
        st.dropped_no_link++;
        continue;
      }
      st.rx_frames++;
      st.rx_bytes += f.length;
    }
    q.length = 0;
  }

  /** The NIC sends: write it out if connected, otherwise it is gone (the link is down). */
  receive_frame(frame: Uint8Array, len: number): boolean {
    if (!this.connected()) {
      this.stats.tx_no_peer++;
      return true; // heard and counted here (tx_no_peer)
    }
    this.stats.tx_frames++;
    this.stats.tx_bytes += len;
    this.send(frame, len);
    return true;
  }

  protected set_carrier(up: boolean): void {
    this.peer?.peer_link_changed?.(up);
  }

  abstract connected(): boolean;
  protected abstract send(frame: Uint8Array, len: number): void;
  /**
   * Start listening / connecting (host context, before boot). Resolves to null, or to one error
   * line when the socket cannot be bound (address in use, bad path): QEMU refuses to start then.
   * A client that cannot reach its peer yet is not an error; it keeps retrying.
   */
  abstract start(): Promise<string | null>;
  abstract stop(): void;
  /** Where it is connected, without counters. */
  abstract where(): string;

  describe(): string {
    const s = this.stats;
    return `${this.where()} rx=${s.rx_frames} tx=${s.tx_frames} dropped: runt=${s.runt} oversize=${s.oversize} truncated=${s.truncated} overflow=${s.overflow} no_link=${s.dropped_no_link} no_peer=${s.tx_no_peer} connects=${s.connects} disconnects=${s.disconnects}`;
  }
}
