import { PCI_CLASS_NETWORK_ETHERNET } from "../../include/kernel/pci.ts";
import { VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_F_ANY_LAYOUT, VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC } from "../../include/uapi/linux/virtio_config.ts";
import { VIRTIO_ID_NET } from "../../include/uapi/linux/virtio_pci.ts";
import {
  VIRTIO_NET_CFG_MAC,
  VIRTIO_NET_CFG_MAX_VQ_PAIRS,
  VIRTIO_NET_CFG_STATUS,
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_CTRL_MAC_ADDR,
  VIRTIO_NET_F_CTRL_RX,
  VIRTIO_NET_F_CTRL_RX_EXTRA,
  VIRTIO_NET_F_CTRL_VQ,
  VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_STATUS,
  VIRTIO_NET_HDR_CSUM_OFFSET,
  VIRTIO_NET_HDR_CSUM_START,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_FLAGS,
  VIRTIO_NET_HDR_GSO_NONE,
  VIRTIO_NET_HDR_GSO_TYPE,
  VIRTIO_NET_HDR_NUM_BUFFERS,
  VIRTIO_NET_HDR_LEGACY_SIZE,
  VIRTIO_NET_HDR_SIZE,
  VIRTIO_NET_S_LINK_UP,
} from "../../include/uapi/linux/virtio_net.ts";
import { csum_fold, csum_partial } from "../../lib/inet_checksum.ts";
import { ClockEvent, type VirtualClock } from "../clock.ts";
import { all_ones } from "../pci/pci_device.ts";
import { VIRTIO_PCI_IF, VirtioPciDevice } from "../virtio/virtio_pci.ts";
import { VQ_POP, VirtQueueElement, type VirtQueue } from "../virtio/virtqueue.ts";
import { mac_str } from "./e1000_tx.ts";
import { RX_NO_LINK, type NetEndpoint } from "./net_endpoint.ts";
import { VirtioNetRxMode, virtio_net_handle_ctrl } from "./virtio_net_ctrl.ts";

/**
 * virtio-net over PCI (virtio 1.2 §5.1; QEMU hw/net/virtio-net.c, hw/virtio/virtio-net-pci.c): by
 * default modern only, as QEMU's `disable-legacy=on` (PCI 1AF4:1041); with `disable_legacy: false`
 * the transitional function QEMU builds on a conventional PCI bus (1AF4:1000 rev 0, subsystem
 * 1AF4:0001, the legacy header in I/O BAR0 next to the modern capabilities), with
 * `disable_modern: true` as well the legacy-only one (hw/virtio/virtio_pci.ts, virtio_pci_legacy.ts).
 * One queue pair (receiveq1 = 0, transmitq1 = 1, 256 entries each) and the control queue (2, 64
 * entries), 4 MSI-X vectors, device config {mac, status (LINK_UP), max_virtqueue_pairs = 1}.
 *
 * Offered: VERSION_1, MAC, STATUS, MRG_RXBUF, CSUM, GUEST_CSUM, EVENT_IDX, INDIRECT_DESC, CTRL_VQ,
 * CTRL_RX, CTRL_RX_EXTRA, CTRL_MAC_ADDR (the legacy header: the same below bit 32, plus
 * ANY_LAYOUT). The header is the one the negotiated features imply (§5.1.6, QEMU
 * virtio_net_set_mrg_rx_bufs): 12 bytes with VERSION_1 or MRG_RXBUF, else the legacy 10-byte
 * virtio_net_hdr without num_buffers. A legacy driver without CTRL_MAC_ADDR may write the MAC in
 * device config (QEMU virtio_net_set_config). What was accepted is acted on:
 *
 * - TX (doorbell of queue 1): up to TX_BURST chains per doorbell; if more wait, doorbells are
 *   suppressed and a clock event continues TX_BURST_NS later (QEMU's tx=bh with x-txburst), so a
 *   flooding driver cannot starve the CPU. Each chain = 12-byte header + frame, device-readable;
 *   with CSUM and NEEDS_CSUM the device folds the one's complement sum from csum_start to the end
 *   into csum_start + csum_offset (the driver pre-filled the pseudo-header sum, §5.1.6.2). The
 *   header (12 or 10 bytes, see above) is stripped (the wire is frame-only, as QEMU's user/socket back-ends); the chain
 *   completes with used len 0. With the link down chains complete and frames are dropped, counted.
 * - RX (from the peer): the frame gets a zero header (flags 0, GSO_NONE) with num_buffers. Without
 *   MRG_RXBUF it must fit one chain (else dropped, counted, the buffer kept); with it, chains are
 *   filled completely in turn and published together. Used len = bytes written (header + frame).
 *   Frames the receive mode / MAC filter refuses (virtio_net_ctrl.ts) are counted in rx_filtered.
 * - Tracing: tx (each frame sent, with its chain head), txerr (bad chains, frames not sent), rx
 *   (each frame received, num_buffers and used len), rxfilter, rxerr (not ready, no buffer, too
 *   big, ring errors); the transport adds virtio, interrupt and unknown.
 * - Control queue (doorbell of queue 2): RX mode and MAC table/address commands, ack byte written,
 *   used len 1 (virtio_net_ctrl.ts).
 *
 * Departures:
 *
 * | topic                        | this model                                  | QEMU                                    |
 * |------------------------------|---------------------------------------------|-----------------------------------------|
 * | CSUM / GUEST_CSUM offer      | offered; TX checksum completed in the device| only with a vnet-header back-end (tap)  |
 * | GUEST_CSUM on RX             | DATA_VALID never set (frames unverified)    | back-end's header copied                |
 * | RX without buffers / before  | frame dropped, counted (rx_no_buffers,      | frame queued in the net layer until the |
 * | DRIVER_OK                    | rx_not_ready)                               | RX doorbell                             |
 * | num_buffers without MRG_RXBUF| 1 (spec)                                    | 7.2: not written                        |
 * | max_virtqueue_pairs          | 1 at offset 8 (MQ not offered)              | reads 0xFFFF without MQ                 |
 * | control commands             | RX and MAC classes; VLAN, ANNOUNCE, MQ,     | all classes                             |
 * |                              | GUEST_OFFLOADS answered VIRTIO_NET_ERR      |                                         |
 * | TX header-only chain         | device error (as QEMU 7.2)                  | same                                    |
 */

export const VIRTIO_NET_QUEUE_SIZE = 256;
export const VIRTIO_NET_CTRL_QUEUE_SIZE = 64;
/** Chains handled per doorbell or per continuation event (QEMU x-txburst default 256). */
export const TX_BURST = 64;
/** Delay before the next TX burst (a model quantum: the CPU runs in between). */
export const TX_BURST_NS = 10_000;
/** Largest frame carried (IP's 64 KiB limit plus an Ethernet header with a tag). */
export const VIRTIO_NET_MAX_FRAME = 65535 + 18;
/** Device config bytes: mac (6), status (2), max_virtqueue_pairs (2). */
const CONFIG_SIZE = 10;

/** How a received frame ended (each maps to one counter). */
const RX = { OK: 0, NO_BUFFERS: 1, TOO_BIG: 2, ERROR: 3 } as const;
type RxResult = (typeof RX)[keyof typeof RX];

export interface VirtioNetOptions {
  mac: Uint8Array;
  name?: string;
  /** Features to withdraw from the offer (bits 0–31), e.g. to model a back-end without offloads. */
  withhold?: number;
  /** QEMU's disable-legacy (default true here: modern only) and disable-modern (default false). */
  disable_legacy?: boolean;
  disable_modern?: boolean;
}

/** The legacy PCI device ID of a virtio network device (transitional and legacy-only functions). */
export const VIRTIO_NET_LEGACY_DEVICE_ID = 0x1000;


const bit = (b: number): number => (1 << b) >>> 0;
const DEFAULT_FEATURES =
  bit(VIRTIO_NET_F_CSUM) | bit(VIRTIO_NET_F_GUEST_CSUM) | bit(VIRTIO_NET_F_MAC) | bit(VIRTIO_NET_F_MRG_RXBUF) | bit(VIRTIO_NET_F_STATUS) | bit(VIRTIO_RING_F_INDIRECT_DESC) | bit(VIRTIO_RING_F_EVENT_IDX) |
  bit(VIRTIO_NET_F_CTRL_VQ) | bit(VIRTIO_NET_F_CTRL_RX) | bit(VIRTIO_NET_F_CTRL_RX_EXTRA) | bit(VIRTIO_NET_F_CTRL_MAC_ADDR);

/** Counters: every frame ends in exactly one of these. */
export class VirtioNetStats {
  rx_frames = 0;
  rx_bytes = 0;
  /** DRIVER_OK clear, receive queue not enabled, device broken, or Bus Master off. */
  rx_not_ready = 0;
  rx_no_buffers = 0;
  /** Did not fit the posted buffer (no MRG_RXBUF), or larger than VIRTIO_NET_MAX_FRAME. */
  rx_too_big = 0;
  /** Dropped because the ring or a chain was malformed (device error). */
  rx_errors = 0;
  /** Refused by the receive mode / MAC filter the driver set (control queue). */
  rx_filtered = 0;
  ctrl_commands = 0;
  /** Commands answered VIRTIO_NET_ERR (unknown, not negotiated, malformed). */
  ctrl_errors = 0;
  tx_frames = 0;
  tx_bytes = 0;
  tx_link_down = 0;
  tx_no_peer = 0;
  tx_peer_no_link = 0;
  tx_too_big = 0;
  tx_csum_bad_offset = 0;
  tx_bursts_deferred = 0;
}

export class VirtioNet extends VirtioPciDevice implements NetEndpoint {
  /** The configured address (restored at reset) and the current one (CTRL_MAC_ADDR_SET). */
  readonly perm_mac: Uint8Array;
  readonly mac: Uint8Array;
  readonly clock: VirtualClock;
  peer: NetEndpoint | null = null;
  readonly rxq: VirtQueue;
  readonly txq: VirtQueue;
  readonly ctrlq: VirtQueue;
  readonly rx_mode = new VirtioNetRxMode();
  readonly stats = new VirtioNetStats();
  private user_link = true;
  private peer_carrier = true;
  /** config.status as the driver reads it. */
  private net_status = VIRTIO_NET_S_LINK_UP;
  private readonly tx_event: ClockEvent;
  /**
   * One element and header per path: a peer may answer a transmitted frame synchronously (the
   * user-mode network replies inside receive_frame), so RX runs nested inside TX.
   */
  private readonly tx_elem = new VirtQueueElement();
  private readonly rx_elem = new VirtQueueElement();
  /** The control queue's element and ack byte (virtio_net_ctrl.ts uses them). */
  readonly ctrl_elem = new VirtQueueElement();
  readonly ctrl_ack = new Uint8Array(1);
  private readonly tx_hdr = new Uint8Array(VIRTIO_NET_HDR_SIZE);
  private readonly tx_hv = new DataView(this.tx_hdr.buffer);
  private readonly hdr = new Uint8Array(VIRTIO_NET_HDR_SIZE);
  private readonly hv = new DataView(this.hdr.buffer);
  readonly has = (b: number): boolean => this.has_feature(b);
  /** The virtio_net_hdr size the negotiated features imply (QEMU n->guest_hdr_len; features 0: 10). */
  guest_hdr_len = VIRTIO_NET_HDR_LEGACY_SIZE;
  private tx_buf: Uint8Array = new Uint8Array(VIRTIO_NET_MAX_FRAME);
  /** The first chain head and buffer count of the frame just received (for the rx trace line). */
  private rx_trace_head = 0;
  private rx_trace_nbuf = 0;

  constructor(clock: VirtualClock, opts: VirtioNetOptions) {
    super({
      name: opts.name ?? "virtio-net",
      virtio_id: VIRTIO_ID_NET,
      class_code: PCI_CLASS_NETWORK_ETHERNET << 8,
      features_lo: DEFAULT_FEATURES & ~(opts.withhold ?? 0),
      features_hi: bit(VIRTIO_F_VERSION_1 - 32),
      legacy_device_id: VIRTIO_NET_LEGACY_DEVICE_ID,
      legacy_only_features: bit(VIRTIO_F_ANY_LAYOUT) & ~(opts.withhold ?? 0),
      msix_vectors: 4, // 2 × queue pairs + 2, as current QEMU
      config_size: CONFIG_SIZE,
      disable_legacy: opts.disable_legacy ?? true,
      disable_modern: opts.disable_modern ?? false,
    });
    this.clock = clock;
    this.perm_mac = Uint8Array.from(opts.mac);
    this.mac = Uint8Array.from(opts.mac);
    this.rxq = this.add_queue(VIRTIO_NET_QUEUE_SIZE);
    this.txq = this.add_queue(VIRTIO_NET_QUEUE_SIZE);
    this.ctrlq = this.add_queue(VIRTIO_NET_CTRL_QUEUE_SIZE);
    const flush = (): void => this.flush_tx();
    this.tx_event = new ClockEvent(`${this.name}-tx`, () => this.guarded("transmit burst", flush));
  }

  /** On the bus: the transmit staging buffer moves into on-chip memory (as e1000's FIFOs). */
  override realize(): void {
    this.tx_buf = this.bus!.mem.alloc_onchip(VIRTIO_NET_MAX_FRAME);
  }

  private guarded(where: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.model_error(where, e);
    }
  }

  /* ---- transport hooks ---- */

  device_config_read(off: number, width: number): number {
    if (off + width > CONFIG_SIZE) {
      if (this.trace_on("unknown")) this.trace("unknown", `${width}-byte read of device config +0x${off.toString(16)}, past its ${CONFIG_SIZE} bytes`);
      return all_ones(width); // past the fields (QEMU reads all ones)
    }
    let v = 0;
    for (let i = 0; i < width; i++) v |= this.config_byte(off + i) << (8 * i);
    return v >>> 0;
  }

  private config_byte(o: number): number {
    if (o < VIRTIO_NET_CFG_STATUS) return this.mac[VIRTIO_NET_CFG_MAC + o]!;
    if (o < VIRTIO_NET_CFG_MAX_VQ_PAIRS) return (this.net_status >>> (8 * (o - VIRTIO_NET_CFG_STATUS))) & 0xff;
    return o === VIRTIO_NET_CFG_MAX_VQ_PAIRS ? 1 : 0;
  }

  /**
   * Device config is read-only for a modern driver; a legacy one that did not negotiate
   * CTRL_MAC_ADDR sets the MAC by writing it (QEMU virtio_net_set_config, §5.1.4 legacy note).
   */
  override device_config_write(off: number, width: number, value: number): void {
    if (this.legacy_in_use && !this.has_feature(VIRTIO_NET_F_CTRL_MAC_ADDR) && off + width <= VIRTIO_NET_CFG_MAC + 6) {
      for (let i = 0; i < width; i++) this.mac[VIRTIO_NET_CFG_MAC + off + i] = (value >>> (8 * i)) & 0xff;
      if (this.trace_on("virtio")) this.trace("virtio", `legacy driver set the MAC to ${mac_str(this.mac, 0)}`);
      return;
    }
    this.warn_once("cfg_write", `write to device configuration +0x${off.toString(16)} ignored (read-only for a modern driver${this.legacy ? "; a legacy driver may write only the MAC, without CTRL_MAC_ADDR" : ""})`);
  }

  /** QEMU virtio_net_set_features → virtio_net_set_mrg_rx_bufs: the header size follows the features. */
  override features_set(): void {
    this.guest_hdr_len = this.has_feature(VIRTIO_F_VERSION_1) || this.has_feature(VIRTIO_NET_F_MRG_RXBUF) ? VIRTIO_NET_HDR_SIZE : VIRTIO_NET_HDR_LEGACY_SIZE;
  }

  /** §5.1.3.1: CTRL_RX, CTRL_RX_EXTRA and CTRL_MAC_ADDR need CTRL_VQ. */
  override validate_features(): string | null {
    if (this.has_feature(VIRTIO_NET_F_CTRL_VQ)) return null;
    if (this.has_feature(VIRTIO_NET_F_CTRL_RX) || this.has_feature(VIRTIO_NET_F_CTRL_RX_EXTRA) || this.has_feature(VIRTIO_NET_F_CTRL_MAC_ADDR)) return "CTRL_RX / CTRL_RX_EXTRA / CTRL_MAC_ADDR without CTRL_VQ";
    return null;
  }

  protected queue_notified(vq: VirtQueue): void {
    // RX doorbells need no action: frames are not queued in the device, buffers are read per frame.
    if (vq === this.txq && !this.tx_event.armed) this.flush_tx();
    else if (vq === this.ctrlq) virtio_net_handle_ctrl(this);
  }

  /** QEMU virtio_net_reset: promiscuous again, MAC table empty, the configured MAC back. */
  protected device_reset(): void {
    this.clock.disarm(this.tx_event);
    this.rx_mode.reset();
    this.mac.set(this.perm_mac);
  }

  protected override status_changed(_old: number, status: number): void {
    if ((status & VIRTIO_CONFIG_S_DRIVER_OK) === 0) this.clock.disarm(this.tx_event);
    else if (!this.tx_event.armed) this.flush_tx(); // chains posted before DRIVER_OK
  }

  protected override surprise_removed(): void {
    this.clock.disarm(this.tx_event);
  }

  /* ---- link ---- */

  get link_up(): boolean {
    return (this.net_status & VIRTIO_NET_S_LINK_UP) !== 0;
  }

  /** The cable is pulled (QEMU's nc->link_down: set_link(false)), whatever the peer's carrier. */
  get link_down(): boolean {
    return !this.user_link;
  }

  /** Pull (false) or plug (true) the cable. Entry from outside the bus: guarded like a timer. */
  set_link(up: boolean): void {
    this.user_link = up;
    this.guarded("link change", this.link_fn);
  }

  peer_link_changed(up: boolean): void {
    this.peer_carrier = up;
    this.guarded("peer link change", this.link_fn);
  }

  private readonly link_fn = (): void => this.update_link();

  /** QEMU virtio_net_set_link_status: status.LINK_UP follows; a change is a config notification. */
  private update_link(): void {
    const up = this.user_link && this.peer_carrier;
    if (up === this.link_up) return;
    this.net_status = up ? this.net_status | VIRTIO_NET_S_LINK_UP : this.net_status & ~VIRTIO_NET_S_LINK_UP;
    this.config_changed();
    this.notify_config();
  }

  /* ---- transmit ---- */

  /**
   * Send up to TX_BURST chains (QEMU virtio_net_flush_tx). More waiting: doorbells off, the clock
   * event continues. Otherwise doorbells on, then one more look (the re-enable race, §6.4).
   */
  private flush_tx(): void {
    const vq = this.txq;
    let n = 0;
    while (this.driver_ok && n < TX_BURST) {
      const r = vq.pop(this.tx_elem);
      if (r !== VQ_POP.OK) {
        if (r === VQ_POP.ERROR && this.trace_on("txerr")) this.trace("txerr", `bad transmit chain: ${this.last_device_error}`);
        break;
      }
      if (!this.transmit_one(vq)) break;
      n++;
    }
    if (n > 0 && this.driver_ok) vq.notify();
    if (!this.driver_ok) return;
    if (n === TX_BURST) {
      vq.set_notification(false);
      this.stats.tx_bursts_deferred++;
      this.clock.arm_in(this.tx_event, TX_BURST_NS);
      return;
    }
    vq.set_notification(true);
    if (vq.available() > 0) {
      vq.set_notification(false);
      this.clock.arm_in(this.tx_event, TX_BURST_NS);
    }
  }

  /** One popped TX chain: header + frame out to the peer, completed with len 0. False: device error. */
  private transmit_one(vq: VirtQueue): boolean {
    const e = this.tx_elem;
    const hdr_len = this.guest_hdr_len;
    if (e.out_bytes <= hdr_len) {
      this.virtio_error("tx_hdr", `transmit chain at head ${e.head} has ${e.out_bytes} readable bytes: no frame after the ${hdr_len}-byte virtio_net_hdr`);
      if (this.trace_on("txerr")) this.trace("txerr", `chain at head ${e.head}: ${e.out_bytes} readable bytes, no frame after the header`);
      return false;
    }
    if (e.in_num > 0) this.warn_once("tx_in", "transmit chain with device-writable descriptors (ignored)");
    const len = e.out_bytes - hdr_len;
    if (len > VIRTIO_NET_MAX_FRAME) {
      this.stats.tx_too_big++;
      this.warn_once("tx_big", `transmit frame of ${len} bytes exceeds ${VIRTIO_NET_MAX_FRAME} (dropped)`);
      if (this.trace_on("txerr")) this.trace("txerr", `chain at head ${e.head}: frame of ${len} bytes exceeds ${VIRTIO_NET_MAX_FRAME}: dropped`);
      return vq.push(e.head, 0);
    }
    const buf = this.tx_buf;
    this.tx_hdr.fill(0); // a 10-byte header leaves num_buffers 0
    if (vq.read_out(e, 0, this.tx_hdr, 0, hdr_len) < 0 || vq.read_out(e, hdr_len, buf, 0, len) < 0) {
      this.virtio_error("tx_dma", `transmit buffer of the chain at head ${e.head} is not readable`);
      if (this.trace_on("txerr")) this.trace("txerr", `chain at head ${e.head}: buffer not readable`);
      return false;
    }
    const flags = this.tx_hdr[VIRTIO_NET_HDR_FLAGS]!;
    if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) {
      if (this.has_feature(VIRTIO_NET_F_CSUM)) this.tx_checksum(buf, len);
      else this.warn_once("tx_csum", "NEEDS_CSUM set without VIRTIO_NET_F_CSUM negotiated (ignored: frame sent as is)");
    }
    if (this.tx_hdr[VIRTIO_NET_HDR_GSO_TYPE] !== VIRTIO_NET_HDR_GSO_NONE) this.warn_once("tx_gso", `gso_type ${this.tx_hdr[VIRTIO_NET_HDR_GSO_TYPE]} set but no HOST_TSO/UFO feature was offered (frame sent unsegmented)`);
    this.send(buf, len, e.head);
    return vq.push(e.head, 0);
  }

  /** Complete the partial checksum (§5.1.6.2): fold [csum_start, len) into csum_start + csum_offset. */
  private tx_checksum(buf: Uint8Array, len: number): void {
    const start = this.tx_hv.getUint16(VIRTIO_NET_HDR_CSUM_START, true);
    const where = start + this.tx_hv.getUint16(VIRTIO_NET_HDR_CSUM_OFFSET, true);
    if (start >= len || where + 2 > len) {
      this.stats.tx_csum_bad_offset++;
      this.warn_once("tx_csum_off", `NEEDS_CSUM with csum_start ${start} / offset ${where - start} outside a ${len}-byte frame (sent without checksum)`);
      if (this.trace_on("txerr")) this.trace("txerr", `NEEDS_CSUM with csum_start ${start} / offset ${where - start} outside a ${len}-byte frame: sent without checksum`);
      return;
    }
    let sum = csum_fold(csum_partial(buf, start, len - start));
    if (sum === 0) sum = 0xffff; // 0 means "no checksum" for UDP; 0xFFFF is the same value for TCP
    buf[where] = sum >>> 8;
    buf[where + 1] = sum & 0xff;
  }

  private send(buf: Uint8Array, len: number, head: number): void {
    const s = this.stats;
    if (this.trace_on("tx")) this.trace("tx", `frame of ${len} bytes to ${len >= 14 ? mac_str(buf, 0) : "?"} type 0x${len >= 14 ? ((buf[12]! << 8) | buf[13]!).toString(16).padStart(4, "0") : "?"} from chain head ${head}`);
    if (!this.link_up) {
      s.tx_link_down++;
      if (this.trace_on("txerr")) this.trace("txerr", `link down: frame of ${len} bytes not sent`);
    } else if (this.peer === null) {
      s.tx_no_peer++;
      if (this.trace_on("txerr")) this.trace("txerr", `nothing plugged in: frame of ${len} bytes sent into the void`);
    } else if (this.peer.receive_frame(buf, len) === RX_NO_LINK) {
      s.tx_peer_no_link++;
      if (this.trace_on("txerr")) this.trace("txerr", `the peer has no link: frame of ${len} bytes not heard`);
    } else {
      s.tx_frames++;
      s.tx_bytes += len;
    }
  }

  /* ---- receive ---- */

  /**
   * A frame from the peer. RX_NO_LINK when the link is down or the card removed (the sender
   * counts it); otherwise one of the rx_* counters accounts for it. Exceptions become model errors.
   */
  receive_frame(frame: Uint8Array, len: number): boolean {
    if (this.removed || !this.link_up) return RX_NO_LINK;
    try {
      this.receive(frame, len);
    } catch (e) {
      this.model_error(`receive of a ${len}-byte frame`, e, "receive");
    }
    return true;
  }

  private receive(frame: Uint8Array, len: number): void {
    const s = this.stats;
    if (!this.driver_ok || !this.rxq.enabled) {
      s.rx_not_ready++;
      if (this.trace_on("rxerr")) this.trace("rxerr", `frame of ${len} bytes dropped: ${this.not_ready_why()}`);
      return;
    }
    if (len > VIRTIO_NET_MAX_FRAME) {
      s.rx_too_big++;
      if (this.trace_on("rxerr")) this.trace("rxerr", `frame of ${len} bytes exceeds ${VIRTIO_NET_MAX_FRAME}: dropped`);
      return;
    }
    if (!this.rx_mode.accepts(this.mac, frame, len)) {
      s.rx_filtered++;
      if (this.trace_on("rxfilter")) this.trace("rxfilter", `${len >= 6 ? mac_str(frame, 0) : "runt"} rejected by the receive mode / MAC table${this.rx_mode.nobcast ? " (nobcast)" : ""}${this.rx_mode.nomulti ? " (nomulti)" : ""}${this.rx_mode.nouni ? " (nouni)" : ""}`);
      return;
    }
    this.hdr.fill(0); // flags 0 (no DATA_VALID), GSO_NONE: the wire carries no vnet header
    const r = this.has_feature(VIRTIO_NET_F_MRG_RXBUF) ? this.receive_mergeable(frame, len) : this.receive_single(frame, len);
    if (r === RX.OK) {
      s.rx_frames++;
      s.rx_bytes += len;
      if (this.trace_on("rx")) this.trace("rx", `frame of ${len} bytes from ${len >= 12 ? mac_str(frame, 6) : "?"} into head ${this.rx_trace_head}: num_buffers ${this.rx_trace_nbuf}, used len ${this.guest_hdr_len + len} (${this.guest_hdr_len}-byte header)`);
      this.rxq.notify();
    } else if (r === RX.NO_BUFFERS) {
      s.rx_no_buffers++;
      if (this.trace_on("rxerr")) this.trace("rxerr", `no receive buffer${this.has_feature(VIRTIO_NET_F_MRG_RXBUF) ? "s for" : " for"} a ${len}-byte frame: dropped`);
    } else if (r === RX.TOO_BIG) {
      s.rx_too_big++;
      if (this.trace_on("rxerr")) this.trace("rxerr", `frame of ${len} bytes + ${this.guest_hdr_len}-byte header does not fit the ${this.rx_elem.in_bytes}-byte buffer (no MRG_RXBUF): dropped`);
    } else {
      s.rx_errors++;
      if (this.trace_on("rxerr")) this.trace("rxerr", `frame of ${len} bytes dropped: ${this.last_device_error}`);
    }
  }

  private not_ready_why(): string {
    if (this.removed) return "function removed";
    if ((this.status & VIRTIO_CONFIG_S_DRIVER_OK) === 0) return "DRIVER_OK clear";
    if (this.broken) return "device needs reset";
    if (!this.bus_master) return "Bus Master off";
    return "receive queue not enabled";
  }

  /** Without MRG_RXBUF: the whole frame in one chain, num_buffers 1. */
  private receive_single(frame: Uint8Array, len: number): RxResult {
    const vq = this.rxq;
    const e = this.rx_elem;
    const r = this.pop_rx(vq, e);
    if (r !== RX.OK) return r;
    const total = this.guest_hdr_len + len;
    if (e.in_bytes < total) {
      vq.unpop(1); // QEMU: dropped, the buffer stays for the next frame
      this.warn_once("rx_small", `receive buffer of ${e.in_bytes} bytes cannot hold a ${len}-byte frame + header (no MRG_RXBUF: dropped)`);
      return RX.TOO_BIG;
    }
    this.hv.setUint16(VIRTIO_NET_HDR_NUM_BUFFERS, 1, true); // not copied with a 10-byte header
    this.rx_trace_head = e.head;
    this.rx_trace_nbuf = 1;
    if (!this.rx_copy(vq, e, 0, frame, total)) return RX.ERROR;
    return vq.push(e.head, total) ? RX.OK : RX.ERROR;
  }

  /**
   * With MRG_RXBUF: fill chains in turn, all but the last completely; num_buffers in the first
   * one's header; then publish them with one used.idx update. Not enough buffers: all given back
   * untouched as far as the driver can tell (nothing was published).
   */
  private receive_mergeable(frame: Uint8Array, len: number): RxResult {
    const vq = this.rxq;
    const e = this.rx_elem;
    const total = VIRTIO_NET_HDR_SIZE + len; // MRG_RXBUF: always the 12-byte header
    let done = 0;
    let count = 0;
    let nb0 = -1;
    let nb1 = -1;
    while (done < total) {
      const r = count === vq.num ? RX.NO_BUFFERS : this.pop_rx(vq, e);
      if (r !== RX.OK) {
        if (r === RX.NO_BUFFERS) vq.unpop(count);
        return r;
      }
      if (count === 0) {
        if (e.in_bytes < VIRTIO_NET_HDR_SIZE) {
          this.virtio_error("rx_hdr", `mergeable receive buffer of ${e.in_bytes} bytes cannot hold the 12-byte header`);
          return RX.ERROR;
        }
        nb0 = vq.in_addr_at(e, VIRTIO_NET_HDR_NUM_BUFFERS);
        nb1 = vq.in_addr_at(e, VIRTIO_NET_HDR_NUM_BUFFERS + 1);
        this.rx_trace_head = e.head;
      }
      const chunk = Math.min(e.in_bytes, total - done);
      if (!this.rx_copy(vq, e, done, frame, chunk)) return RX.ERROR;
      if (!vq.fill(e.head, chunk, count)) return RX.ERROR;
      done += chunk;
      count++;
    }
    this.rx_trace_nbuf = count;
    // num_buffers, written into the first buffer's header now that the count is known.
    this.hdr[0] = count & 0xff;
    this.hdr[1] = count >>> 8;
    if (!this.dma_write(nb0, this.hdr, 0, 1) || !this.dma_write(nb1, this.hdr, 1, 1)) {
      this.virtio_error("rx_dma", "receive buffer is not writable");
      return RX.ERROR;
    }
    return vq.flush(count) ? RX.OK : RX.ERROR;
  }

  /** Pop a receive chain that has device-writable space. */
  private pop_rx(vq: VirtQueue, e: VirtQueueElement): RxResult {
    const r = vq.pop(e);
    if (r === VQ_POP.EMPTY) return RX.NO_BUFFERS;
    if (r === VQ_POP.ERROR) return RX.ERROR;
    if (e.in_num === 0) {
      this.virtio_error("rx_ro", `receive chain at head ${e.head} has no device-writable descriptors`);
      return RX.ERROR;
    }
    if (e.out_num > 0) this.warn_once("rx_out", "receive chain with device-readable descriptors (skipped)");
    return RX.OK;
  }

  /**
   * Write bytes [from, from + n) of the stream "header ‖ frame" into the chain's writable part,
   * from its start. False after a DMA failure (device error).
   */
  private rx_copy(vq: VirtQueue, e: VirtQueueElement, from: number, frame: Uint8Array, n: number): boolean {
    let at = 0;
    const hdr_len = this.guest_hdr_len;
    if (from < hdr_len) {
      const h = Math.min(hdr_len - from, n);
      if (vq.write_in(e, 0, this.hdr, from, h) < 0) return this.rx_dma_failed();
      at = h;
    }
    const data_from = Math.max(0, from - hdr_len);
    if (n > at && vq.write_in(e, at, frame, data_from, n - at) < 0) return this.rx_dma_failed();
    return true;
  }

  private rx_dma_failed(): boolean {
    this.virtio_error("rx_dma", "receive buffer is not writable");
    return false;
  }

  /* ---- monitor ---- */

  /** One line of counters for `~info network`. */
  describe_counters(): string {
    const s = this.stats;
    return (
      `rx: frames=${s.rx_frames} bytes=${s.rx_bytes} not_ready=${s.rx_not_ready} no_buffers=${s.rx_no_buffers} too_big=${s.rx_too_big} errors=${s.rx_errors} filtered=${s.rx_filtered}` +
      ` tx: frames=${s.tx_frames} bytes=${s.tx_bytes} link_down=${s.tx_link_down} no_peer=${s.tx_no_peer} peer_no_link=${s.tx_peer_no_link} too_big=${s.tx_too_big} csum_bad_offset=${s.tx_csum_bad_offset} deferred=${s.tx_bursts_deferred}` +
      ` ctrl: commands=${s.ctrl_commands} errors=${s.ctrl_errors}${this.rx_mode.promisc ? " promisc" : ""}` +
      ` status=0x${this.status.toString(16)} device_errors=${this.device_errors} model_errors=${this.model_errors}` +
      (this.broken ? ` NEEDS_RESET last_error="${this.last_device_error}"` : "") +
      (this.removed ? ` REMOVED (${this.removed_accesses} accesses since)` : "")
    );
  }

  describe(): string {
    const mac = Array.from(this.mac, (b) => b.toString(16).padStart(2, "0")).join(":");
    const shape = this.legacy ? (this.modern ? "transitional" : "legacy") : "modern";
    const driver = this.interface_in_use === VIRTIO_PCI_IF.NONE ? "" : ` (driver on the ${this.legacy_in_use ? "legacy" : "modern"} interface)`;
    return `${this.name} macaddr=${mac} link=${this.link_up ? "up" : "down"} ${this.describe_counters()} pci=${shape}${driver}`;
  }
}
