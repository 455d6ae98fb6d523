import {
  VIRTIO_NET_CTRL_MAC,
  VIRTIO_NET_CTRL_MAC_ADDR_SET,
  VIRTIO_NET_CTRL_MAC_TABLE_SET,
  VIRTIO_NET_CTRL_RX,
  VIRTIO_NET_CTRL_RX_ALLMULTI,
  VIRTIO_NET_CTRL_RX_ALLUNI,
  VIRTIO_NET_CTRL_RX_NOBCAST,
  VIRTIO_NET_CTRL_RX_NOMULTI,
  VIRTIO_NET_CTRL_RX_NOUNI,
  VIRTIO_NET_CTRL_RX_PROMISC,
  VIRTIO_NET_ERR,
  VIRTIO_NET_F_CTRL_MAC_ADDR,
  VIRTIO_NET_F_CTRL_RX,
  VIRTIO_NET_OK,
} from "../../include/uapi/linux/virtio_net.ts";
import { VQ_POP, type VirtQueue, type VirtQueueElement } from "../virtio/virtqueue.ts";

/**
 * virtio-net's receive mode and MAC filter, and the control-queue commands that set them
 * (virtio 1.2 §5.1.6.5.1 "Packet Receive Filtering", §5.1.6.5.2 "Setting MAC Address Filtering";
 * QEMU virtio_net_handle_rx_mode, virtio_net_handle_mac, receive_filter).
 *
 * After reset the device is promiscuous ("compatibility mode", as QEMU); the driver narrows it
 * with VIRTIO_NET_CTRL_RX commands and a MAC table of up to MAC_TABLE_ENTRIES unicast + multicast
 * addresses (more: that half overflows and accepts all of its kind, as QEMU). A TABLE_SET is
 * staged and committed only when well-formed. VLAN filtering is not modelled (CTRL_VLAN is not
 * offered).
 */
export const MAC_TABLE_ENTRIES = 64;
const ETH_ALEN = 6;

export class VirtioNetRxMode {
  promisc = true;
  allmulti = false;
  alluni = false;
  nomulti = false;
  nouni = false;
  nobcast = false;
  /** MAC table: unicast entries [0, first_multi), multicast [first_multi, in_use). */
  readonly table = new Uint8Array(MAC_TABLE_ENTRIES * ETH_ALEN);
  in_use = 0;
  first_multi = 0;
  uni_overflow = false;
  multi_overflow = false;
  private readonly staged = new Uint8Array(MAC_TABLE_ENTRIES * ETH_ALEN);
  private readonly scratch = new Uint8Array(8);
  private readonly sv = new DataView(this.scratch.buffer);

  reset(): void {
    this.promisc = true;
    this.allmulti = this.alluni = this.nomulti = this.nouni = this.nobcast = false;
    this.in_use = this.first_multi = 0;
    this.uni_overflow = this.multi_overflow = false;
  }

  /** QEMU receive_filter: does the driver want a frame addressed to frame[0..6)? */
  accepts(mac: Uint8Array, frame: Uint8Array, len: number): boolean {
    if (this.promisc) return true;
    if (len < ETH_ALEN) return false;
    if ((frame[0]! & 1) !== 0) {
      if (frame[0] === 0xff && frame[1] === 0xff && frame[2] === 0xff && frame[3] === 0xff && frame[4] === 0xff && frame[5] === 0xff) return !this.nobcast;
      if (this.nomulti) return false;
      if (this.allmulti || this.multi_overflow) return true;
      return this.in_table(frame, this.first_multi, this.in_use);
    }
    if (this.nouni) return false;
    if (this.alluni || this.uni_overflow) return true;
    if (same_mac(frame, 0, mac, 0)) return true;
    return this.in_table(frame, 0, this.first_multi);
  }

  private in_table(frame: Uint8Array, from: number, to: number): boolean {
    for (let i = from; i < to; i++) if (same_mac(frame, 0, this.table, i * ETH_ALEN)) return true;
    return false;
  }

  /**
   * Execute one control command: `e` holds {class, command, data} readable (the caller checked at
   * least 2 bytes). Returns VIRTIO_NET_OK or VIRTIO_NET_ERR; `has(bit)` says what was negotiated;
   * `mac` is the device's current address (ADDR_SET writes it).
   */
  command(vq: VirtQueue, e: VirtQueueElement, has: (bit: number) => boolean, mac: Uint8Array): number {
    const s = this.scratch;
    if (vq.read_out(e, 0, s, 0, 2) !== 2) return VIRTIO_NET_ERR;
    const cls = s[0]!;
    const cmd = s[1]!;
    const data_len = e.out_bytes - 2;
    if (cls === VIRTIO_NET_CTRL_RX && has(VIRTIO_NET_F_CTRL_RX)) {
      if (data_len !== 1 || vq.read_out(e, 2, s, 0, 1) !== 1) return VIRTIO_NET_ERR;
      const on = s[0] !== 0;
      switch (cmd) {
        case VIRTIO_NET_CTRL_RX_PROMISC:
          this.promisc = on;
          return VIRTIO_NET_OK;
        case VIRTIO_NET_CTRL_RX_ALLMULTI:
          this.allmulti = on;
          return VIRTIO_NET_OK;
        case VIRTIO_NET_CTRL_RX_ALLUNI:
          this.alluni = on;
          return VIRTIO_NET_OK;
        case VIRTIO_NET_CTRL_RX_NOMULTI:
          this.nomulti = on;
          return VIRTIO_NET_OK;
        case VIRTIO_NET_CTRL_RX_NOUNI:
          this.nouni = on;
          return VIRTIO_NET_OK;
        case VIRTIO_NET_CTRL_RX_NOBCAST:
          this.nobcast = on;
          return VIRTIO_NET_OK;
      }
      return VIRTIO_NET_ERR;
    }
    if (cls === VIRTIO_NET_CTRL_MAC) {
      if (cmd === VIRTIO_NET_CTRL_MAC_ADDR_SET && has(VIRTIO_NET_F_CTRL_MAC_ADDR)) {
        if (data_len !== ETH_ALEN || vq.read_out(e, 2, s, 0, ETH_ALEN) !== ETH_ALEN) return VIRTIO_NET_ERR;
        mac.set(s.subarray(0, ETH_ALEN));
        return VIRTIO_NET_OK;
      }
      if (cmd === VIRTIO_NET_CTRL_MAC_TABLE_SET && has(VIRTIO_NET_F_CTRL_RX)) return this.table_set(vq, e);
    }
    return VIRTIO_NET_ERR;
  }

  /** Two tables {le32 entries; u8 macs[entries][6]}: unicast then multicast, exactly filling the data. */
  private table_set(vq: VirtQueue, e: VirtQueueElement): number {
    const s = this.scratch;
    const dv = this.sv;
    let off = 2;
    let in_use = 0;
    let first_multi = 0;
    let uni_over = false;
    let multi_over = false;
    for (let half = 0; half < 2; half++) {
      if (off + 4 > e.out_bytes || vq.read_out(e, off, s, 0, 4) !== 4) return VIRTIO_NET_ERR;
      const n = dv.getUint32(0, true);
      off += 4;
      const bytes = n * ETH_ALEN;
      if (bytes > e.out_bytes - off) return VIRTIO_NET_ERR;
      if (half === 1 && bytes !== e.out_bytes - off) return VIRTIO_NET_ERR;
      if (in_use + n <= MAC_TABLE_ENTRIES) {
        if (vq.read_out(e, off, this.staged, in_use * ETH_ALEN, bytes) !== bytes) return VIRTIO_NET_ERR;
        in_use += n;
      } else if (half === 0) uni_over = true;
      else multi_over = true;
      off += bytes;
      if (half === 0) first_multi = in_use;
    }
    this.table.set(this.staged.subarray(0, in_use * ETH_ALEN));
    this.in_use = in_use;
    this.first_multi = first_multi;
    this.uni_overflow = uni_over;
    this.multi_overflow = multi_over;
    return VIRTIO_NET_OK;
  }
}

/** What the control queue needs of its device (hw/net/virtio_net.ts VirtioNet). */
export interface VirtioNetCtrlHost {
  readonly ctrlq: VirtQueue;
  readonly ctrl_elem: VirtQueueElement;
  readonly ctrl_ack: Uint8Array;
  readonly rx_mode: VirtioNetRxMode;
  readonly mac: Uint8Array;
  readonly stats: { ctrl_commands: number; ctrl_errors: number };
  readonly driver_ok: boolean;
  readonly has: (bit: number) => boolean;
  virtio_error(key: string, message: string): void;
}

/**
 * Run the commands on the control queue (QEMU virtio_net_handle_ctrl): each chain is {class,
 * command, data} readable + an ack byte writable; fewer than 2 readable or 1 writable bytes is
 * a device error. Bounded by the queue size per doorbell. Device context (the doorbell).
 */
export function virtio_net_handle_ctrl(n: VirtioNetCtrlHost): void {
  const vq = n.ctrlq;
  const e = n.ctrl_elem;
  let done = 0;
  while (done < vq.num && n.driver_ok && vq.pop(e) === VQ_POP.OK) {
    if (e.out_bytes < 2 || e.in_bytes < 1) {
      n.virtio_error("ctrl_hdr", `control command at head ${e.head} lacks its 2-byte class/command or its 1-byte ack`);
      return;
    }
    const ack = n.rx_mode.command(vq, e, n.has, n.mac);
    n.ctrl_ack[0] = ack;
    if (vq.write_in(e, 0, n.ctrl_ack, 0, 1) !== 1) {
      n.virtio_error("ctrl_dma", `control ack of the command at head ${e.head} is not writable`);
      return;
    }
    if (!vq.push(e.head, 1)) return;
    n.stats.ctrl_commands++;
    if (ack !== VIRTIO_NET_OK) n.stats.ctrl_errors++;
    done++;
  }
  if (done > 0) vq.notify();
}

function same_mac(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < ETH_ALEN; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}
