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
    return `hubport ${this.hub.name} port=${this.index} frames_in=${this.rx_frames} frames_out=${this.tx_frames} dropped_no_link=${this.dropped_no_link}`;
  }

  receive_frame(frame: Uint8Array, len: number): boolean {
    this.rx_frames++;
    this.hub.forward(this, frame, len);
    return true; // a hub always hears: what its other ports miss is counted per port
  }
}

/**
 * An Ethernet hub (QEMU's -netdev hubport): every frame entering one port leaves through every
 * other port, synchronously and in port order. Several NICs — of one machine or of several
 * machines in the same world — share a segment this way.
 *
 * Accounting: for every frame in, each other port with a device either delivers it (tx_frames) or
 * counts it in dropped_no_link; a frame no other port carried at all (nobody plugged in) is counted
 * in `no_listener`.
 */
export class Hub {
  readonly name: string;
  readonly ports: HubPort[] = [];
  forwarded = 0;
  no_listener = 0;

  constructor(name = "hub0") {
    this.name = name;
  }

  /** A new port; connect a device to it with net_connect(port, device). */
  port(): HubPort {
    const p = new HubPort(this, this.ports.length);
    this.ports.push(p);
    return p;
  }

  forward(from: HubPort, frame: Uint8Array, len: number): void {
    this.forwarded++;
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
}
