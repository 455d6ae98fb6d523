/**
 * The wire: a NIC and whatever is behind it (a hub, a back-end, another NIC) are endpoints joined
 * in pairs. An endpoint knows nothing about what its peer is.
 *
 * Frames are Ethernet frames from the destination MAC through the payload, without FCS (as QEMU's
 * back-ends carry them). Ownership: `frame[0..len)` belongs to the sender and is valid only for the
 * duration of the receive_frame call; a receiver that keeps it must copy. Delivery allocates
 * nothing.
 */
export interface NetEndpoint {
  peer: NetEndpoint | null;
  /**
   * A frame arriving at this endpoint from its peer. Returns `false` (RX_NO_LINK) when this end has
   * no link and did not hear the frame at all — a NIC whose PHY is down, a function that was removed:
   * the *sender* then counts it in its own per-reason counter (dropped_no_link), so that no frame
   * vanishes uncounted. Anything else (true, or nothing) means the frame was taken, and from then on
   * the receiver's own counters account for it (for an e1000: TPR, then GPRC / MPC / ROC / RUC …).
   */
  receive_frame(frame: Uint8Array, len: number): boolean | void;
  /** The far end's carrier changed (cable pulled at the peer, back-end disconnected). */
  peer_link_changed?(up: boolean): void;
  /** One line for the monitor's `info network`: what this is and its counters. */
  describe?(): string;
}

/** What receive_frame returns when the receiving end has no link (see NetEndpoint.receive_frame). */
export const RX_NO_LINK = false;

/** Plug two endpoints into each other (unplugging whatever they were connected to). */
export function net_connect(a: NetEndpoint, b: NetEndpoint): void {
  net_disconnect(a);
  net_disconnect(b);
  a.peer = b;
  b.peer = a;
  a.peer_link_changed?.(true);
  b.peer_link_changed?.(true);
}

export function net_disconnect(a: NetEndpoint): void {
  const b = a.peer;
  if (b === null) return;
  a.peer = null;
  b.peer = null;
  a.peer_link_changed?.(false);
  b.peer_link_changed?.(false);
}
