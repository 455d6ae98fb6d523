import type { VirtualClock } from "../clock.ts";
import { HubNetem, type HubNetemConfig } from "./hub_netem.ts";
import { RX_NO_LINK, type NetEndpoint } from "./net_endpoint.ts";

/** One port of a hub: an endpoint whose peer is the device plugged into it. */
export class HubPort implements NetEndpoint {
  peer: NetEndpoint | null = null;
  readonly hub: Hub;
  readonly index: number;
  /** Frames that entered the hub through this port. */
  rx_frames = 0;
  /** Frames the hub sent out of this port. */
  tx_frames = 0;
  /** Frames meant to leave through this port that its device did not hear (its link was down). */
  dropped_no_link = 0;

  constructor(hub: Hub, index: number) {
    this.hub = hub;
    this.index = index;
  }

  describe(): string {
    const n = this.hub.netem;
    return `hubport ${this.hub.name} port=${this.index} frames_in=${this.rx_frames} frames_out=${this.tx_frames} dropped_no_link=${this.dropped_no_link}${n === null ? "" : `\n   ${this.hub.name} ${n.describe()}`}`;
  }

  receive_frame(frame: Uint8Array, len: number): boolean {
    this.rx_frames++;
    this.hub.forward(this, frame, len);
    return true; // a hub always hears: what its other ports miss is counted per port
  }
}

/** The lossy-wire options of a hub: its clock and the rates (hub_netem.ts). */
export interface HubOptions extends Partial<HubNetemConfig> {
  clock: VirtualClock;
}

/**
 * An Ethernet hub (QEMU's -netdev hubport): every frame entering one port leaves through every
 * other port, synchronously and in port order. Several NICs — of one machine or of several
 * machines in the same world — share a segment this way.
 *
 * With lossy-wire options (set_netem, or `netem` at construction) frames first pass an impairment
 * stage — loss, duplication, delay with jitter, reordering, seeded — that holds frames on the
 * virtual clock (hub_netem.ts). QEMU's hub has no such option; Linux's netem qdisc is the model.
 *
 * Accounting: for every frame released to the ports, each other port with a device either delivers
 * it (tx_frames) or counts it in dropped_no_link; a frame no other port carried at all (nobody
 * plugged in) is counted in `no_listener`. Frames the impairment stage took are in its counters.
 */
export class Hub {
  readonly name: string;
  readonly ports: HubPort[] = [];
  /** Frames that entered the hub. */
  forwarded = 0;
  no_listener = 0;
  netem: HubNetem<HubPort> | null = null;

  constructor(name = "hub0", netem?: HubOptions) {
    this.name = name;
    if (netem !== undefined) this.set_netem(netem.clock, netem);
  }

  /**
   * Put the lossy wire in front of the ports. A hub gets one once, before traffic: false (and
   * nothing changed) when it already has one.
   */
  set_netem(clock: VirtualClock, cfg: Partial<HubNetemConfig>): boolean {
    if (this.netem !== null) return false;
    const only: Partial<Record<keyof HubNetemConfig, number>> = {};
    for (const k of ["loss", "delay_ns", "jitter_ns", "dup", "reorder", "seed", "limit"] as const) if (cfg[k] !== undefined) only[k] = cfg[k];
    this.netem = new HubNetem<HubPort>(clock, only, (from, frame, len) => this.deliver(from, frame, len), this.name);
    return true;
  }

  /** A new port; connect a device to it with net_connect(port, device). */
  port(): HubPort {
    const p = new HubPort(this, this.ports.length);
    this.ports.push(p);
    return p;
  }

  forward(from: HubPort, frame: Uint8Array, len: number): void {
    this.forwarded++;
    if (this.netem !== null) this.netem.enqueue(from, frame, len);
    else this.deliver(from, frame, len);
  }

  private deliver(from: HubPort, frame: Uint8Array, len: number): void {
    const ports = this.ports;
    let out = 0;
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i]!;
      if (p === from || p.peer === null) continue;
      out++;
      if (p.peer.receive_frame(frame, len) === RX_NO_LINK) p.dropped_no_link++;
      else p.tx_frames++;
    }
    if (out === 0) this.no_listener++;
  }

  /** The machine stops: frames the lossy wire still holds are discarded, and counted. */
  stop(): void {
    this.netem?.stop();
  }
}
