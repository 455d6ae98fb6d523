/**
 * virtio-net's control virtqueue, driver side (Linux drivers/net/virtio_net.c: virtnet_send_command,
 * virtnet_set_rx_mode, virtnet_set_mac_address; virtio 1.2 §5.1.6.5).
 *
 * A command is one buffer of three or more pieces: {u8 class, u8 command} and the command's data,
 * device-readable, then {u8 ack}, device-writable. The driver kicks and spins until the device has
 * used the buffer (Linux: "the kick causes an ioport write, trapping into the hypervisor, so the
 * request should be handled immediately"); the device writes VIRTIO_NET_OK or VIRTIO_NET_ERR.
 *
 * Memory: the header, ack and data live in one page of the direct map owned by the driver from
 * probe to remove (Linux's struct control_buf, kmalloc'd in virtnet_probe), lent to the device with
 * the streaming DMA API for the length of one command.
 *
 * Context: any context that may spin (Linux calls ndo_set_rx_mode under netif_addr_lock_bh). One
 * command at a time: the callers are serialised (RTNL in Linux; here the kernel runs one task at a time).
 */
import { GFP_KERNEL, PAGE_SIZE } from "../../include/linux/gfp.ts";
import { EINVAL } from "../../include/linux/errno.ts";
import { IFF_ALLMULTI, IFF_PROMISC, type NetDevice } from "../../include/net/netdevice.ts";
import {
  VIRTIO_NET_CFG_MAC,
  VIRTIO_NET_CTRL_MAC,
  VIRTIO_NET_CTRL_MAC_ADDR_SET,
  VIRTIO_NET_CTRL_MAC_TABLE_SET,
  VIRTIO_NET_CTRL_RX,
  VIRTIO_NET_CTRL_RX_ALLMULTI,
  VIRTIO_NET_CTRL_RX_PROMISC,
  VIRTIO_NET_F_CTRL_MAC_ADDR,
  VIRTIO_NET_F_CTRL_RX,
  VIRTIO_NET_F_CTRL_VQ,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_OK,
} from "../../include/uapi/linux/virtio_net.ts";
import { VIRTIO_F_VERSION_1 } from "../../include/uapi/linux/virtio_config.ts";
import { alloc_page, free_page, page_address } from "../../kernel/mm/page_alloc.ts";
import { pr_warn } from "../../kernel/printk.ts";
import { udelay } from "../../kernel/time/delay.ts";
import { virtio_cwrite8, virtio_has_feature, type VirtioDevice } from "../virtio/virtio.ts";
import { sg_alloc, sg_init_one, virtqueue_add_sgs, virtqueue_get_buf, virtqueue_kick, type Scatterlist, type VirtQueue } from "../virtio/virtio_ring.ts";

/* Where the pieces of a command sit in the control page. */
const CTRL_HDR = 0;
const CTRL_STATUS = 8;
const CTRL_DATA = 64;
/** Entries of each MAC table sent (the netdev layer keeps no address lists yet: both are empty). */
const ETH_ALEN = 6;

/** struct control_buf and the control queue of one device. */
export class VirtnetCtrl {
  readonly vdev: VirtioDevice;
  readonly cvq: VirtQueue;
  private readonly pfn: number;
  readonly buf: Uint8Array;
  readonly view: DataView;
  /** Commands sent and commands the device refused or could not be sent (ethtool -S). */
  commands = 0;
  errors = 0;
  private readonly sgl: Scatterlist[] = [sg_alloc(), sg_alloc(), sg_alloc(), sg_alloc()];
  private readonly done = { len: 0 };

  private constructor(vdev: VirtioDevice, cvq: VirtQueue, pfn: number) {
    this.vdev = vdev;
    this.cvq = cvq;
    this.pfn = pfn;
    this.buf = page_address(pfn, PAGE_SIZE);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** The control buffer for `cvq`, or null when no page is left (probe fails with -ENOMEM). */
  static alloc(vdev: VirtioDevice, cvq: VirtQueue): VirtnetCtrl | null {
    const pfn = alloc_page(GFP_KERNEL);
    return pfn < 0 ? null : new VirtnetCtrl(vdev, cvq, pfn);
  }

  /** Give the page back (remove, after the queue was reset and deleted). */
  free(): void {
    free_page(this.pfn);
  }

  /**
   * virtnet_send_command(): send class/cmd with `data_len` bytes of data at CTRL_DATA split into
   * pieces of `parts` lengths (Linux's out sg). True when the device answered VIRTIO_NET_OK.
   */
  send_command(klass: number, cmd: number, parts: readonly number[]): boolean {
    if (!virtio_has_feature(this.vdev, VIRTIO_NET_F_CTRL_VQ)) return false; // Linux: BUG_ON
    this.commands++;
    const b = this.buf;
    b[CTRL_HDR] = klass;
    b[CTRL_HDR + 1] = cmd;
    b[CTRL_STATUS] = 0xff; // ~0: neither OK nor ERR until the device writes it
    let n = 0;
    sg_init_one(this.sgl[n++]!, b, CTRL_HDR, 2);
    let off = CTRL_DATA;
    for (const len of parts) {
      sg_init_one(this.sgl[n++]!, b, off, len);
      off += len;
    }
    sg_init_one(this.sgl[n]!, b, CTRL_STATUS, 1);
    const err = virtqueue_add_sgs(this.cvq, this.sgl, n, 1, this);
    if (err < 0) {
      pr_warn("%s: Failed to add sgs for command vq: %d.\n", this.vdev.name, err);
      this.errors++;
      return false;
    }
    if (!virtqueue_kick(this.cvq)) {
      this.errors++;
      return b[CTRL_STATUS] === VIRTIO_NET_OK;
    }
    // Spin for the answer. A device that never answers is a soft lockup, as on Linux.
    while (virtqueue_get_buf(this.cvq, this.done) === null && !this.cvq.broken) cpu_relax();
    const ok = b[CTRL_STATUS] === VIRTIO_NET_OK;
    if (!ok) this.errors++;
    return ok;
  }
}

/**
 * One pause of the spin loop: the clock moves and the device gets to run. Linux's cpu_relax() is a
 * PAUSE instruction; 10 µs here keeps a device that never answers (a soft lockup after 20 s of
 * virtual time) from costing a million host iterations, and costs nothing when it answers at the
 * kick, as QEMU's and this model's control queues do.
 */
function cpu_relax(): void {
  udelay(10);
}

/**
 * virtnet_set_rx_mode(): tell the device the receive mode the interface flags ask for — promiscuous,
 * all-multicast — and the MAC filter table (unicast then multicast entries; the netdev layer has no
 * secondary or multicast address lists, so both are empty and the device keeps its own address and
 * broadcast). Without CTRL_RX the device stays promiscuous and nothing is sent.
 */
export function virtnet_set_rx_mode(ctrl: VirtnetCtrl | null, dev: NetDevice): void {
  if (ctrl === null || !virtio_has_feature(ctrl.vdev, VIRTIO_NET_F_CTRL_RX)) return;
  const promisc = (dev.flags & IFF_PROMISC) !== 0 ? 1 : 0;
  const allmulti = (dev.flags & IFF_ALLMULTI) !== 0 ? 1 : 0;
  const b = ctrl.buf;
  b[CTRL_DATA] = promisc;
  if (!ctrl.send_command(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, [1])) pr_warn("%s: Failed to %sable promisc mode.\n", dev.name, promisc ? "en" : "dis");
  b[CTRL_DATA] = allmulti;
  if (!ctrl.send_command(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, [1])) pr_warn("%s: Failed to %sable allmulti mode.\n", dev.name, allmulti ? "en" : "dis");
  // struct virtio_net_ctrl_mac ×2: {le32 entries; u8 macs[entries][6]}, unicast then multicast.
  const uc_count = 0;
  const mc_count = 0;
  const v = ctrl.view;
  v.setUint32(CTRL_DATA, uc_count, true);
  v.setUint32(CTRL_DATA + 4 + uc_count * ETH_ALEN, mc_count, true);
  if (!ctrl.send_command(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, [4 + uc_count * ETH_ALEN, 4 + mc_count * ETH_ALEN])) pr_warn("%s: Failed to set MAC filter table.\n", dev.name);
}

/**
 * The device half of virtnet_set_mac_address(): with CTRL_MAC_ADDR by a command; a legacy device
 * (MAC without VERSION_1) has its config written byte by byte ("naturally, this has an atomicity
 * problem", says Linux); otherwise the device is not told. 0 or -EINVAL (the device refused).
 */
export function virtnet_set_mac_address(ctrl: VirtnetCtrl | null, vdev: VirtioDevice, mac: Uint8Array): number {
  if (ctrl !== null && virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_MAC_ADDR)) {
    ctrl.buf.set(mac.subarray(0, ETH_ALEN), CTRL_DATA);
    if (!ctrl.send_command(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, [ETH_ALEN])) {
      pr_warn("%s: Failed to set mac address by vq command.\n", vdev.name);
      return -EINVAL;
    }
  } else if (virtio_has_feature(vdev, VIRTIO_NET_F_MAC) && !virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
    for (let i = 0; i < ETH_ALEN; i++) virtio_cwrite8(vdev, VIRTIO_NET_CFG_MAC + i, mac[i]!);
  }
  return 0;
}
