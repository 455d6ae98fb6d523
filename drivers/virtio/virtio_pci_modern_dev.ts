/**
 * Register access to a modern virtio PCI function (Linux drivers/virtio/virtio_pci_modern_dev.c):
 * finding the vendor capabilities that locate the COMMON, ISR, DEVICE and NOTIFY structures,
 * mapping each with pci_iomap_range(BAR, offset, length), and the common-configuration accessors (features
 * through the select registers, status, per-queue fields after queue_select).
 *
 * Context: process context, except vp_modern_get_status / ISR reads and the doorbell, which may
 * run in any context. The caller serialises queue_select users (probe/remove only).
 */
import { EINVAL, ENODEV, ENOMEM } from "../../include/linux/errno.ts";
import type { PciDev } from "../../include/linux/pci.ts";
import { PCI_CAP_ID_VNDR } from "../../include/kernel/pci.ts";
import * as C from "../../include/uapi/linux/virtio_pci.ts";
import { readb, readl, readw, writeb, writel, writew } from "../../kernel/io.ts";
import { pci_read_config_byte, pci_read_config_dword } from "../../kernel/pci/access.ts";
import { pci_find_capability, pci_find_next_capability, pci_iomap_range, pci_release_selected_regions, pci_request_selected_regions, pci_resource_len } from "../../kernel/pci/pci.ts";
import { pr_err, pr_info } from "../../kernel/printk.ts";

/** struct virtio_pci_modern_device: the mapped structures of one function. */
export class VirtioPciModernDevice {
  readonly pci_dev: PciDev;
  /** MMIO addresses (0 = not mapped). */
  common = 0;
  isr = 0;
  device = 0;
  device_len = 0;
  notify_base = 0;
  notify_len = 0;
  notify_offset_multiplier = 0;
  /** Virtio device id (VIRTIO_ID_NET…) and subsystem vendor. */
  id = { device: 0, vendor: 0 };
  /** The BARs the capabilities live in (a bit per BAR), claimed with pci_request_selected_regions. */
  modern_bars = 0;

  constructor(pdev: PciDev) {
    this.pci_dev = pdev;
  }
}

/**
 * virtio_pci_find_capability(): the first vendor capability of `cfg_type` whose BAR is a memory
 * BAR the kernel assigned, or 0.
 */
function virtio_pci_find_capability(dev: PciDev, cfg_type: number): number {
  for (let pos = pci_find_capability(dev, PCI_CAP_ID_VNDR); pos > 0; pos = pci_find_next_capability(dev, pos, PCI_CAP_ID_VNDR)) {
    const type = pci_read_config_byte(dev, pos + C.VIRTIO_PCI_CAP_CFG_TYPE);
    const bar = pci_read_config_byte(dev, pos + C.VIRTIO_PCI_CAP_BAR);
    if (bar > 5) continue; // ignore structures with reserved BAR values
    if (type === cfg_type && pci_resource_len(dev, bar) > 0) return pos;
  }
  return 0;
}

/**
 * vp_modern_map_capability(): map the structure the capability at `off` describes, at least
 * `minlen` bytes and at most `size` (0 = its whole length). Returns { addr, len } or null.
 */
function vp_modern_map_capability(dev: PciDev, off: number, minlen: number, size: number): { addr: number; len: number } | null {
  const bar = pci_read_config_byte(dev, off + C.VIRTIO_PCI_CAP_BAR);
  const offset = pci_read_config_dword(dev, off + C.VIRTIO_PCI_CAP_OFFSET);
  let length = pci_read_config_dword(dev, off + C.VIRTIO_PCI_CAP_LENGTH);
  if (length <= 0 || length < minlen) {
    pr_err("%s: virtio_pci: bad capability len %d (>=%d expected)\n", dev.name, length, minlen);
    return null;
  }
  if (size !== 0 && length > size) length = size;
  if (offset + length > pci_resource_len(dev, bar)) {
    pr_err("%s: virtio_pci: map virtio %d@%d out of range on bar %d length %d\n", dev.name, length, offset, bar, pci_resource_len(dev, bar));
    return null;
  }
  const addr = pci_iomap_range(dev, bar, offset, length);
  if (addr === 0) {
    pr_err("%s: virtio_pci: unable to map virtio %d@%d on bar %d\n", dev.name, length, offset, bar);
    return null;
  }
  return { addr, len: length };
}

/**
 * vp_modern_probe(): identify the function and map its structures. 0, -ENODEV (not a modern
 * virtio function, or a required capability is missing) or -EINVAL/-ENOMEM (a bad or unmappable
 * structure). Nothing to undo on failure (pci_iomap_range keeps no state).
 */
export function vp_modern_probe(mdev: VirtioPciModernDevice): number {
  const pdev = mdev.pci_dev;
  // We only own devices >= 0x1000 and <= 0x107f: leave the rest.
  if (pdev.device < 0x1000 || pdev.device > 0x107f) return -ENODEV;
  if (pdev.device < C.VIRTIO_PCI_MODERN_DEVICE_ID_BASE) {
    // Transitional devices: the virtio id is the subsystem device id (legacy driver's business).
    mdev.id.device = pdev.subsystem_device;
  } else {
    mdev.id.device = pdev.device - C.VIRTIO_PCI_MODERN_DEVICE_ID_BASE;
  }
  mdev.id.vendor = pdev.subsystem_vendor;

  const common = virtio_pci_find_capability(pdev, C.VIRTIO_PCI_CAP_COMMON_CFG);
  if (common === 0) {
    pr_info("virtio-pci %s: virtio_pci: leaving for legacy driver\n", pdev.name); // dev_info
    return -ENODEV;
  }
  const isr = virtio_pci_find_capability(pdev, C.VIRTIO_PCI_CAP_ISR_CFG);
  const notify = virtio_pci_find_capability(pdev, C.VIRTIO_PCI_CAP_NOTIFY_CFG);
  if (isr === 0 || notify === 0) {
    pr_err("%s: virtio_pci: missing capabilities %d/%d\n", pdev.name, isr, notify);
    return -EINVAL;
  }
  const device = virtio_pci_find_capability(pdev, C.VIRTIO_PCI_CAP_DEVICE_CFG); // optional

  // Claim the BARs the structures live in (they show under the function in /proc/iomem).
  mdev.modern_bars = 0;
  for (const cap of [common, isr, notify, device]) if (cap !== 0) mdev.modern_bars |= 1 << pci_read_config_byte(pdev, cap + C.VIRTIO_PCI_CAP_BAR);
  const err = pci_request_selected_regions(pdev, mdev.modern_bars, "virtio-pci-modern");
  if (err !== 0) return err;
  const ret = vp_modern_map(mdev, common, isr, notify, device);
  if (ret !== 0) pci_release_selected_regions(pdev, mdev.modern_bars);
  return ret;
}

/** The mapping half of vp_modern_probe (its err: labels release the regions on failure). */
function vp_modern_map(mdev: VirtioPciModernDevice, common: number, isr: number, notify: number, device: number): number {
  const pdev = mdev.pci_dev;
  const c = vp_modern_map_capability(pdev, common, C.VIRTIO_PCI_COMMON_CFG_SIZE, 0);
  if (c === null) return -EINVAL;
  mdev.common = c.addr;
  const i = vp_modern_map_capability(pdev, isr, 1, 1);
  if (i === null) return -EINVAL;
  mdev.isr = i.addr;
  mdev.notify_offset_multiplier = pci_read_config_dword(pdev, notify + C.VIRTIO_PCI_NOTIFY_CAP_MULT);
  const n = vp_modern_map_capability(pdev, notify, 2, 0);
  if (n === null) return -ENOMEM;
  mdev.notify_base = n.addr;
  mdev.notify_len = n.len;
  if (device !== 0) {
    const d = vp_modern_map_capability(pdev, device, 0, 4096);
    if (d === null) return -ENOMEM;
    mdev.device = d.addr;
    mdev.device_len = d.len;
  }
  return 0;
}

/** vp_modern_remove(): unmap (nothing is kept by pci_iomap; forget the addresses). */
export function vp_modern_remove(mdev: VirtioPciModernDevice): void {
  mdev.common = mdev.isr = mdev.device = mdev.notify_base = 0;
  pci_release_selected_regions(mdev.pci_dev, mdev.modern_bars);
  mdev.modern_bars = 0;
}

/* ---- features, status ---- */

export function vp_modern_get_features(mdev: VirtioPciModernDevice): bigint {
  writel(0, mdev.common + C.VIRTIO_PCI_COMMON_DFSELECT);
  const lo = readl(mdev.common + C.VIRTIO_PCI_COMMON_DF);
  writel(1, mdev.common + C.VIRTIO_PCI_COMMON_DFSELECT);
  const hi = readl(mdev.common + C.VIRTIO_PCI_COMMON_DF);
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function vp_modern_get_driver_features(mdev: VirtioPciModernDevice): bigint {
  writel(0, mdev.common + C.VIRTIO_PCI_COMMON_GFSELECT);
  const lo = readl(mdev.common + C.VIRTIO_PCI_COMMON_GF);
  writel(1, mdev.common + C.VIRTIO_PCI_COMMON_GFSELECT);
  const hi = readl(mdev.common + C.VIRTIO_PCI_COMMON_GF);
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function vp_modern_set_features(mdev: VirtioPciModernDevice, features: bigint): void {
  writel(0, mdev.common + C.VIRTIO_PCI_COMMON_GFSELECT);
  writel(Number(features & 0xffffffffn), mdev.common + C.VIRTIO_PCI_COMMON_GF);
  writel(1, mdev.common + C.VIRTIO_PCI_COMMON_GFSELECT);
  writel(Number((features >> 32n) & 0xffffffffn), mdev.common + C.VIRTIO_PCI_COMMON_GF);
}

export function vp_modern_generation(mdev: VirtioPciModernDevice): number {
  return readb(mdev.common + C.VIRTIO_PCI_COMMON_CFGGENERATION);
}

export function vp_modern_get_status(mdev: VirtioPciModernDevice): number {
  return readb(mdev.common + C.VIRTIO_PCI_COMMON_STATUS);
}

/** vp_modern_set_status(): write the status byte (0 starts a reset). */
export function vp_modern_set_status(mdev: VirtioPciModernDevice, status: number): void {
  writeb(status, mdev.common + C.VIRTIO_PCI_COMMON_STATUS);
}

/** ISR read: returns and clears the pending causes (VIRTIO_PCI_ISR_QUEUE / _CONFIG). Any context. */
export function vp_modern_read_isr(mdev: VirtioPciModernDevice): number {
  return readb(mdev.isr);
}

/** vp_modern_config_vector(): program the config-change vector; returns what the device kept. */
export function vp_modern_config_vector(mdev: VirtioPciModernDevice, vector: number): number {
  writew(vector, mdev.common + C.VIRTIO_PCI_COMMON_MSIX);
  return readw(mdev.common + C.VIRTIO_PCI_COMMON_MSIX);
}

/* ---- queues (each selects the queue first) ---- */

function select(mdev: VirtioPciModernDevice, index: number): void {
  writew(index, mdev.common + C.VIRTIO_PCI_COMMON_Q_SELECT);
}

export function vp_modern_get_num_queues(mdev: VirtioPciModernDevice): number {
  return readw(mdev.common + C.VIRTIO_PCI_COMMON_NUMQ);
}

export function vp_modern_get_queue_size(mdev: VirtioPciModernDevice, index: number): number {
  select(mdev, index);
  return readw(mdev.common + C.VIRTIO_PCI_COMMON_Q_SIZE);
}

export function vp_modern_set_queue_size(mdev: VirtioPciModernDevice, index: number, size: number): void {
  select(mdev, index);
  writew(size, mdev.common + C.VIRTIO_PCI_COMMON_Q_SIZE);
}

export function vp_modern_get_queue_enable(mdev: VirtioPciModernDevice, index: number): boolean {
  select(mdev, index);
  return readw(mdev.common + C.VIRTIO_PCI_COMMON_Q_ENABLE) !== 0;
}

export function vp_modern_set_queue_enable(mdev: VirtioPciModernDevice, index: number, enable: boolean): void {
  select(mdev, index);
  writew(enable ? 1 : 0, mdev.common + C.VIRTIO_PCI_COMMON_Q_ENABLE);
}

function write64(lo_addr: number, hi_addr: number, v: number): void {
  writel(v >>> 0, lo_addr);
  writel(Math.floor(v / 0x100000000) >>> 0, hi_addr);
}

/** vp_modern_queue_address(): the three areas' bus addresses. */
export function vp_modern_queue_address(mdev: VirtioPciModernDevice, index: number, desc: number, driver: number, device: number): void {
  select(mdev, index);
  const c = mdev.common;
  write64(c + C.VIRTIO_PCI_COMMON_Q_DESCLO, c + C.VIRTIO_PCI_COMMON_Q_DESCHI, desc);
  write64(c + C.VIRTIO_PCI_COMMON_Q_AVAILLO, c + C.VIRTIO_PCI_COMMON_Q_AVAILHI, driver);
  write64(c + C.VIRTIO_PCI_COMMON_Q_USEDLO, c + C.VIRTIO_PCI_COMMON_Q_USEDHI, device);
}

/** vp_modern_queue_vector(): program queue `index`'s MSI-X vector; returns what the device kept. */
export function vp_modern_queue_vector(mdev: VirtioPciModernDevice, index: number, vector: number): number {
  select(mdev, index);
  writew(vector, mdev.common + C.VIRTIO_PCI_COMMON_Q_MSIX);
  return readw(mdev.common + C.VIRTIO_PCI_COMMON_Q_MSIX);
}

/**
 * vp_modern_map_vq_notify(): the doorbell address of queue `index`: notify base +
 * queue_notify_off × notify_off_multiplier, checked against the NOTIFY structure. 0 on error.
 */
export function vp_modern_map_vq_notify(mdev: VirtioPciModernDevice, index: number): number {
  select(mdev, index);
  const off = readw(mdev.common + C.VIRTIO_PCI_COMMON_Q_NOFF);
  const at = off * mdev.notify_offset_multiplier;
  if (at + 2 > mdev.notify_len) {
    pr_err("%s: virtio_pci: bad notification offset %d (x %d) for queue %d > %d\n", mdev.pci_dev.name, off, mdev.notify_offset_multiplier, index, mdev.notify_len);
    return 0;
  }
  return mdev.notify_base + at;
}

