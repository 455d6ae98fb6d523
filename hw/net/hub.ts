import type { NetEndpoint } from "./net_endpoint.ts";

/** One port of a hub: an endpoint whose peer is the device plugged into it. */
export class HubPort implements NetEndpoint {
  peer: NetEndpoint | null = null;
  readonly hub: Hub;
  readonly index: number;
  rx_frames = 0;

  constructor(hub: Hub, index: number) {
    this.hub = hub;
    this.index = index;
  }

  describe(): string {
    return `hubport ${this.hub.name} port=${this.index} frames_in=${this.rx_frames}`;
  }

  receive_frame(frame: Uint8Array, len: number): void {
    this.rx_frames++;
    this.hub.forward(this, frame, len);
  }
}

/**
 * An Ethernet hub (QEMU's -netdev hubport): every frame entering one port leaves through every
 * other port, synchronously and in port order. Several NICs — of one machine or of several
 * machines in the same world — share a segment this way.
 */
export class Hub {
  readonly name: string;
  readonly ports: HubPort[] = [];
  forwarded = 0;

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
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i]!;
      if (p !== from && p.peer !== null) p.peer.receive_frame(frame, len);
    }
  }
}
