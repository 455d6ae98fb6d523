import { PCI_CAP_ID_VNDR, PCI_COMMAND_MASTER } from "../../include/kernel/pci.ts";
import {
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_F_VERSION_1,
  VIRTIO_RING_F_EVENT_IDX,
} from "../../include/uapi/linux/virtio_config.ts";
import {
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_PCI_CAP_BAR,
  VIRTIO_PCI_CAP_CFG_TYPE,
  VIRTIO_PCI_CAP_COMMON_CFG,
  VIRTIO_PCI_CAP_DEVICE_CFG,
  VIRTIO_PCI_CAP_ISR_CFG,
  VIRTIO_PCI_CAP_LEN,
  VIRTIO_PCI_CAP_LENGTH,
  VIRTIO_PCI_CAP_NOTIFY_CFG,
  VIRTIO_PCI_CAP_OFFSET,
  VIRTIO_PCI_CAP_PCI_CFG,
  VIRTIO_PCI_CAP_SIZE,
  VIRTIO_PCI_CFG_CAP_SIZE,
  VIRTIO_PCI_CFG_DATA,
  VIRTIO_PCI_COMMON_CFGGENERATION,
  VIRTIO_PCI_COMMON_DF,
  VIRTIO_PCI_COMMON_DFSELECT,
  VIRTIO_PCI_COMMON_GF,
  VIRTIO_PCI_COMMON_GFSELECT,
  VIRTIO_PCI_COMMON_MSIX,
  VIRTIO_PCI_COMMON_NUMQ,
  VIRTIO_PCI_COMMON_Q_AVAILHI,
  VIRTIO_PCI_COMMON_Q_AVAILLO,
  VIRTIO_PCI_COMMON_Q_DESCHI,
  VIRTIO_PCI_COMMON_Q_DESCLO,
  VIRTIO_PCI_COMMON_Q_ENABLE,
  VIRTIO_PCI_COMMON_Q_MSIX,
  VIRTIO_PCI_COMMON_Q_NOFF,
  VIRTIO_PCI_COMMON_Q_SELECT,
  VIRTIO_PCI_COMMON_Q_SIZE,
  VIRTIO_PCI_COMMON_Q_USEDHI,
  VIRTIO_PCI_COMMON_Q_USEDLO,
  VIRTIO_PCI_COMMON_STATUS,
  VIRTIO_PCI_ISR_CONFIG,
  VIRTIO_PCI_ISR_QUEUE,
  VIRTIO_PCI_MODERN_DEVICE_ID_BASE,
  VIRTIO_PCI_NOTIFY_CAP_MULT,
  VIRTIO_PCI_NOTIFY_CAP_SIZE,
  VIRTIO_PCI_VENDOR_ID,
} from "../../include/uapi/linux/virtio_pci.ts";
import { PciDevice } from "../pci/pci_device.ts";
import { Msix, MSIX_EXCLUSIVE_BAR_SIZE, MSIX_EXCLUSIVE_PBA_OFFSET } from "../pci/msix.ts";
import { common_cfg_read, common_cfg_write } from "./virtio_pci_common.ts";
import { VirtQueue, type VirtQueueHost } from "./virtqueue.ts";

/**
 * The modern virtio PCI transport as QEMU builds a non-transitional device (virtio 1.2 §4.1;
 * QEMU hw/virtio/virtio-pci.c, reference: ../shared/reference/virtio-net.md §2–§5, §8):
 *
 * - IDs 1AF4:(1040 + virtio device ID), revision 1, subsystem 1AF4:1100, INTA#.
 * - BAR1: MSI-X table at 0, PBA at 0x800 (QEMU msix_init_exclusive_bar), 4 KiB, 32-bit.
 * - BAR4/5: 16 KiB, 64-bit prefetchable: COMMON at 0x0000, ISR at 0x1000, DEVICE at 0x2000,
 *   NOTIFY at 0x3000 (queue n's doorbell at +4n: notify_off_multiplier 4, queue_notify_off = n).
 * - Capabilities in QEMU's order, each linked at the head: COMMON 0x40, ISR 0x50, DEVICE 0x60,
 *   NOTIFY 0x70, PCI_CFG 0x84, MSI-X 0x98.
 *
 * Common configuration: the spec's register semantics; 64-bit fields are two 32-bit halves; any
 * 1/2/4-byte access is accepted — reads assemble bytes field by field, writes merge into each field
 * they touch. Queue size and addresses take effect on queue_enable (QEMU). Interrupts: a queue or
 * config notification sets ISR (bit 0; 0x3 for config, as QEMU) and, with MSI-X enabled, sends the
 * mapped vector (none for NO_VECTOR), else drives INTx from ISR bit 0. Reading ISR clears it and
 * lowers INTx.
 *
 * Departures (deliberate):
 *
 * | topic                          | this model                                   | QEMU 7.2 / spec                       |
 * |--------------------------------|----------------------------------------------|---------------------------------------|
 * | FEATURES_OK with un-offered    | refused (FEATURES_OK stays clear), warning   | accepted (bits dropped) / spec allows |
 * | bits, or without VERSION_1     |                                              | refusal (§2.2.2, §6.1)                |
 * | driver_feature after reset     | cleared                                      | kept (measured) / spec: features reset|
 * | queue_size not a power of 2,   | device error (NEEDS_RESET), size unchanged   | any 1..1024 accepted, 0 ignored /     |
 * | 0 or above the maximum         |                                              | spec: power of 2 (§2.7)               |
 * | DRIVER_OK without FEATURES_OK  | refused (bit stays clear), warning           | accepted                              |
 * | NEEDS_RESET                    | sticky until reset                           | a status write can clear it           |
 * | driver_feature after           | ignored, warning                             | re-applied / spec: MUST NOT           |
 * | FEATURES_OK                    |                                              |                                       |
 * | misaligned rings at enable     | device error                                 | accepted / spec: MUST align           |
 * | config_generation              | +1 whenever device config changes            | +1 per config notification with       |
 * |                                |                                              | DRIVER_OK                             |
 */

/** BAR numbers and the layout inside the modern BAR (QEMU's region offsets). */
export const VIRTIO_PCI_MSIX_BAR = 1;
export const VIRTIO_PCI_MODERN_BAR = 4;
export const VIRTIO_PCI_MODERN_BAR_SIZE = 0x4000;
export const VIRTIO_PCI_COMMON_OFFSET = 0x0000;
export const VIRTIO_PCI_ISR_OFFSET = 0x1000;
export const VIRTIO_PCI_DEVICE_OFFSET = 0x2000;
export const VIRTIO_PCI_NOTIFY_OFFSET = 0x3000;
export const VIRTIO_PCI_REGION_SIZE = 0x1000;
export const VIRTIO_PCI_NOTIFY_MULTIPLIER = 4;

export interface VirtioPciOptions {
  name: string;
  /** The virtio device ID (1 = net): PCI device ID 0x1040 + id. */
  virtio_id: number;
  class_code: number;
  /** Offered features, bits 0–31 and 32–63 (VERSION_1 is added). */
  features_lo: number;
  features_hi: number;
  /** MSI-X table entries (QEMU virtio-net: 2 × queue pairs + 2). 0: no MSI-X. */
  msix_vectors: number;
}

export abstract class VirtioPciDevice extends PciDevice implements VirtQueueHost {
  readonly msix: Msix | null;
  readonly queues: VirtQueue[] = [];
  /** device_status, ISR, config_generation, config_msix_vector. */
  status = 0;
  isr = 0;
  config_generation = 0;
  config_vector = VIRTIO_MSI_NO_VECTOR;
  /** Offered features (host_features) and the negotiated set (valid once FEATURES_OK stuck). */
  readonly host_features = new Uint32Array(2);
  readonly features = new Uint32Array(2);
  /** driver_feature as written, per select (reads back as written). */
  private readonly guest_features = new Uint32Array(2);
  private dfselect = 0;
  private gfselect = 0;
  private queue_sel = 0;
  /** The device is in an error state (NEEDS_RESET) until reset: queues are left alone. */
  broken = false;
  /** Device errors so far and the last one (tests, `~info`). */
  device_errors = 0;
  last_device_error = "";
  /** Offset of the PCI_CFG capability in config space. */
  readonly pci_cfg_cap: number;
  /** VIRTIO_RING_F_EVENT_IDX negotiated (cached from `features`). */
  event_idx = false;
  /** FEATURES_OK was accepted and device_status has not been read since (the §3.1.1 re-read). */
  private features_ok_unread = false;
  /** Field accessors for the common configuration (made once: accesses allocate nothing). */
  private readonly read_field = (f: number): number => this.common_field_read(f);
  private readonly write_field = (f: number, v: number): void => this.common_field_write(f, v);

  constructor(opts: VirtioPciOptions) {
    super(opts.name, {
      vendor: VIRTIO_PCI_VENDOR_ID,
      device: VIRTIO_PCI_MODERN_DEVICE_ID_BASE + opts.virtio_id,
      revision: 1,
      class_code: opts.class_code,
      subsystem_vendor: VIRTIO_PCI_VENDOR_ID,
      subsystem_id: 0x1100,
      interrupt_pin: 1,
    });
    this.host_features[0] = opts.features_lo >>> 0;
    this.host_features[1] = (opts.features_hi | (1 << (VIRTIO_F_VERSION_1 - 32))) >>> 0;
    this.register_bar(VIRTIO_PCI_MODERN_BAR, {
      kind: "mem64",
      prefetchable: true,
      size: VIRTIO_PCI_MODERN_BAR_SIZE,
      name: `${opts.name}-modern`,
      ops: { read: (o, w) => this.modern_read(o, w), write: (o, w, v) => this.modern_write(o, w, v) },
    });
    this.add_virtio_cap(VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_SIZE, VIRTIO_PCI_COMMON_OFFSET, VIRTIO_PCI_REGION_SIZE);
    this.add_virtio_cap(VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_SIZE, VIRTIO_PCI_ISR_OFFSET, VIRTIO_PCI_REGION_SIZE);
    this.add_virtio_cap(VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_CAP_SIZE, VIRTIO_PCI_DEVICE_OFFSET, VIRTIO_PCI_REGION_SIZE);
    const notify = this.add_virtio_cap(VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_CAP_SIZE, VIRTIO_PCI_NOTIFY_OFFSET, VIRTIO_PCI_REGION_SIZE);
    this.put32(notify + VIRTIO_PCI_NOTIFY_CAP_MULT, VIRTIO_PCI_NOTIFY_MULTIPLIER);
    // PCI_CFG: bar, offset, length and data are the driver's to write (QEMU leaves them 0).
    this.pci_cfg_cap = this.add_virtio_cap(VIRTIO_PCI_CAP_PCI_CFG, VIRTIO_PCI_CFG_CAP_SIZE, 0, 0);
    this.config[this.pci_cfg_cap + VIRTIO_PCI_CAP_BAR] = 0; // bar/offset/length 0 until the driver writes them
    const c = this.pci_cfg_cap;
    this.cap_wmask(c + VIRTIO_PCI_CAP_BAR, [0xff]);
    this.cap_wmask(c + VIRTIO_PCI_CAP_OFFSET, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    if (opts.msix_vectors > 0) {
      this.msix = new Msix(this, { nentries: opts.msix_vectors, table_bar: VIRTIO_PCI_MSIX_BAR, table_offset: 0, pba_bar: VIRTIO_PCI_MSIX_BAR, pba_offset: MSIX_EXCLUSIVE_PBA_OFFSET });
      this.register_bar(VIRTIO_PCI_MSIX_BAR, { kind: "mem32", size: MSIX_EXCLUSIVE_BAR_SIZE, name: `${opts.name}-msix`, ops: this.msix.exclusive_bar_ops() });
    } else this.msix = null;
  }

  private put32(off: number, v: number): void {
    for (let i = 0; i < 4; i++) this.config[off + i] = (v >>> (8 * i)) & 0xff;
  }

  /** A struct virtio_pci_cap for a structure in the modern BAR. */
  private add_virtio_cap(cfg_type: number, size: number, offset: number, length: number): number {
    const cap = this.add_capability(PCI_CAP_ID_VNDR, size);
    this.config[cap + VIRTIO_PCI_CAP_LEN] = size;
    this.config[cap + VIRTIO_PCI_CAP_CFG_TYPE] = cfg_type;
    this.config[cap + VIRTIO_PCI_CAP_BAR] = VIRTIO_PCI_MODERN_BAR;
    this.put32(cap + VIRTIO_PCI_CAP_OFFSET, offset);
    this.put32(cap + VIRTIO_PCI_CAP_LENGTH, length);
    return cap;
  }

  /** Add the next virtqueue (index = order of calls) offering `size` entries. */
  protected add_queue(size: number): VirtQueue {
    const vq = new VirtQueue(this, this.queues.length, size);
    this.queues.push(vq);
    return vq;
  }

  /* ---- what the device type provides ---- */

  /** Device configuration space (DEVICE region): read `width` bytes at `off`. */
  protected abstract device_config_read(off: number, width: number): number;
  /** The driver wrote device configuration (read-only for most fields). */
  protected device_config_write(_off: number, _width: number, _value: number): void {}
  /** The driver rang queue `vq`'s doorbell (DRIVER_OK set, queue enabled, device not broken). */
  protected abstract queue_notified(vq: VirtQueue): void;
  /** Device-type reset (virtio reset): stop timers, drop in-flight work. */
  protected abstract device_reset(): void;
  /** The accepted feature set is inconsistent for this device type: why, else null. */
  protected validate_features(): string | null {
    return null;
  }
  /** device_status changed (after the transport's own handling). */
  protected status_changed(_old: number, _status: number): void {}

  /* ---- helpers for device types ---- */

  has_feature(bit: number): boolean {
    return (this.features[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /** Queues may be processed: DRIVER_OK, not broken, Bus Master on. */
  get driver_ok(): boolean {
    return (this.status & VIRTIO_CONFIG_S_DRIVER_OK) !== 0 && !this.broken && this.bus_master && !this.removed;
  }

  warn_once(key: string, msg: string): void {
    this.bus?.tracer.warn_once(`${this.name}:${key}`, `${this.name}: ${msg}`);
  }

  /**
   * The driver broke the protocol (QEMU virtio_error): DEVICE_NEEDS_RESET, a config notification
   * if DRIVER_OK, a one-time warning per kind; queues are left alone until reset.
   */
  virtio_error(key: string, message: string): void {
    this.device_errors++;
    this.last_device_error = message;
    this.warn_once(`err:${key}`, `${message}; device needs reset`);
    if (this.broken) return;
    this.broken = true;
    this.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
    this.notify_config();
  }

  /** A used-buffer notification for `vq` (virtio_notify). */
  notify_queue(vq: VirtQueue): void {
    this.isr |= VIRTIO_PCI_ISR_QUEUE;
    this.notify_vector(vq.vector);
  }

  /** A configuration change notification (virtio_notify_config): only with DRIVER_OK, as QEMU. */
  notify_config(): void {
    if ((this.status & VIRTIO_CONFIG_S_DRIVER_OK) === 0) return;
    this.isr |= VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG;
    this.notify_vector(this.config_vector);
  }

  /** Device configuration fields changed: the driver's generation check must see it. */
  config_changed(): void {
    this.config_generation = (this.config_generation + 1) & 0xff;
  }

  /** virtio_pci_notify: MSI-X vector when enabled, else INTx follows ISR bit 0. */
  private notify_vector(vector: number): void {
    if (this.msix !== null && this.msix.msix_enabled()) {
      if (vector !== VIRTIO_MSI_NO_VECTOR) this.msix.notify(vector);
      return;
    }
    this.set_irq((this.isr & VIRTIO_PCI_ISR_QUEUE) !== 0);
  }

  /** Register names for warnings: the structure in the modern BAR, or the MSI-X table/PBA. */
  protected override reg_name(bar: number, off: number): string {
    if (bar === VIRTIO_PCI_MSIX_BAR) return off >= MSIX_EXCLUSIVE_PBA_OFFSET ? `MSI-X PBA+0x${(off - MSIX_EXCLUSIVE_PBA_OFFSET).toString(16)}` : `MSI-X table+0x${off.toString(16)}`;
    if (bar !== VIRTIO_PCI_MODERN_BAR) return super.reg_name(bar, off);
    const region = ["common", "ISR", "device config", "notify"][off >>> 12] ?? "modern BAR";
    return `${region}+0x${(off & (VIRTIO_PCI_REGION_SIZE - 1)).toString(16)}`;
  }

  /* ---- reset ---- */

  /** Virtio device reset (status written 0; QEMU virtio_pci_reset + virtio_reset). */
  virtio_reset(): void {
    this.status = 0;
    this.isr = 0;
    this.set_irq(false);
    this.features.fill(0);
    this.guest_features.fill(0);
    this.event_idx = false;
    this.dfselect = this.gfselect = this.queue_sel = 0;
    this.config_vector = VIRTIO_MSI_NO_VECTOR;
    this.broken = false;
    this.features_ok_unread = false;
    for (const vq of this.queues) vq.reset();
    this.device_reset();
  }

  /** Function reset (machine reset): MSI-X back to power-on too. */
  reset(): void {
    this.removed = false;
    this.msix?.reset();
    this.virtio_reset();
  }

  /* ---- PCI config hooks ---- */

  /** QEMU virtio_write_config: clearing Bus Master stops the device (DRIVER_OK dropped). */
  protected override command_changed(old: number, cmd: number): void {
    if ((old & PCI_COMMAND_MASTER) !== 0 && (cmd & PCI_COMMAND_MASTER) === 0 && (this.status & VIRTIO_CONFIG_S_DRIVER_OK) !== 0) {
      this.warn_once("bme", "Bus Master cleared while the driver was live: DRIVER_OK dropped, the device stops (as QEMU)");
      const old_status = this.status;
      this.status &= ~VIRTIO_CONFIG_S_DRIVER_OK;
      this.status_changed(old_status, this.status);
    }
  }

  protected override config_written(off: number, width: number): void {
    this.msix?.config_written(off, width);
    const data = this.pci_cfg_cap + VIRTIO_PCI_CFG_DATA;
    if (off < data + 4 && off + width > data) this.pci_cfg_access(true);
  }

  protected override config_reading(off: number, width: number): void {
    const data = this.pci_cfg_cap + VIRTIO_PCI_CFG_DATA;
    if (off < data + 4 && off + width > data) this.pci_cfg_access(false);
  }

  /**
   * The PCI_CFG window (QEMU virtio_read_config / virtio_write_config): a read of pci_cfg_data
   * first reads `length` (1, 2 or 4) bytes of the modern BAR at `offset` into it; a write sends
   * its value there. Other BARs, lengths or unaligned offsets do nothing.
   */
  private pci_cfg_access(write: boolean): void {
    const c = this.pci_cfg_cap;
    const bar = this.config[c + VIRTIO_PCI_CAP_BAR]!;
    const off = this.config_read(c + VIRTIO_PCI_CAP_OFFSET, 4);
    const len = this.config_read(c + VIRTIO_PCI_CAP_LENGTH, 4);
    if (bar !== VIRTIO_PCI_MODERN_BAR || (len !== 1 && len !== 2 && len !== 4) || off % len !== 0 || off + len > VIRTIO_PCI_MODERN_BAR_SIZE) return;
    const data = c + VIRTIO_PCI_CFG_DATA;
    if (write) {
      const mask = len === 4 ? 0xffffffff : (1 << (8 * len)) - 1;
      this.modern_write(off, len, this.config_read(data, 4) & mask);
    } else this.put32(data, this.modern_read(off, len));
  }

  /* ---- the modern BAR ---- */

  private modern_read(off: number, width: number): number {
    const region = off & ~(VIRTIO_PCI_REGION_SIZE - 1);
    const o = off & (VIRTIO_PCI_REGION_SIZE - 1);
    if (o + width > VIRTIO_PCI_REGION_SIZE) return 0;
    switch (region) {
      case VIRTIO_PCI_COMMON_OFFSET:
        // The driver read device_status (not the read-modify-write of a write): FEATURES_OK re-read.
        if (o <= VIRTIO_PCI_COMMON_STATUS && o + width > VIRTIO_PCI_COMMON_STATUS) this.features_ok_unread = false;
        return common_cfg_read(o, width, this.read_field);
      case VIRTIO_PCI_ISR_OFFSET:
        return o === 0 ? this.isr_read() : 0;
      case VIRTIO_PCI_DEVICE_OFFSET:
        return this.device_config_read(o, width);
      default:
        return 0; // notify: write-only
    }
  }

  private modern_write(off: number, width: number, value: number): void {
    const region = off & ~(VIRTIO_PCI_REGION_SIZE - 1);
    const o = off & (VIRTIO_PCI_REGION_SIZE - 1);
    if (o + width > VIRTIO_PCI_REGION_SIZE) return;
    switch (region) {
      case VIRTIO_PCI_COMMON_OFFSET:
        common_cfg_write(o, width, value, this.read_field, this.write_field);
        return;
      case VIRTIO_PCI_DEVICE_OFFSET:
        this.device_config_write(o, width, value);
        return;
      case VIRTIO_PCI_NOTIFY_OFFSET:
        this.notify_write(o, width, value);
        return;
      default:
        return; // ISR: read-only
    }
  }

  /** ISR status: read returns and clears it, and lowers INTx (QEMU virtio_pci_isr_read). */
  private isr_read(): number {
    const v = this.isr;
    this.isr = 0;
    this.set_irq(false);
    return v;
  }

  private notify_write(o: number, width: number, value: number): void {
    const q = Math.floor(o / VIRTIO_PCI_NOTIFY_MULTIPLIER);
    if (o % VIRTIO_PCI_NOTIFY_MULTIPLIER !== 0 || q >= this.queues.length) {
      this.warn_once("notify_off", `doorbell write at notify +0x${o.toString(16)} names no queue (ignored)`);
      return;
    }
    // QEMU derives the queue from the address; the spec has the driver write the index (16 bits).
    if (width < 2 || (value & 0xffff) !== q) this.warn_once("notify_val", `doorbell of queue ${q} written with ${width}-byte value ${value} (the spec wants the 16-bit queue index; acted on the address)`);
    const vq = this.queues[q]!;
    if (!vq.enabled) {
      this.warn_once("notify_disabled", `doorbell for queue ${q} whose queue_enable is 0 (ignored): program and enable the queue (queue_select, queue_desc/driver/device, queue_enable = 1) before notifying it`);
      return;
    }
    if (!this.driver_ok) return; // spec §3.1: no doorbells before DRIVER_OK
    this.queue_notified(vq);
  }

  /* ---- common configuration ---- */

  private selected(): VirtQueue | undefined {
    return this.queues[this.queue_sel];
  }

  private common_field_read(f: number): number {
    const vq = this.selected();
    switch (f) {
      case VIRTIO_PCI_COMMON_DFSELECT:
        return this.dfselect;
      case VIRTIO_PCI_COMMON_DF:
        return this.dfselect < 2 ? this.host_features[this.dfselect]! : 0;
      case VIRTIO_PCI_COMMON_GFSELECT:
        return this.gfselect;
      case VIRTIO_PCI_COMMON_GF:
        return this.gfselect < 2 ? this.guest_features[this.gfselect]! : 0;
      case VIRTIO_PCI_COMMON_MSIX:
        return this.config_vector;
      case VIRTIO_PCI_COMMON_NUMQ:
        return this.queues.length;
      case VIRTIO_PCI_COMMON_STATUS:
        return this.status;
      case VIRTIO_PCI_COMMON_CFGGENERATION:
        return this.config_generation;
      case VIRTIO_PCI_COMMON_Q_SELECT:
        return this.queue_sel;
    }
    if (vq === undefined) return 0; // no such queue: size 0 says so
    switch (f) {
      case VIRTIO_PCI_COMMON_Q_SIZE:
        return vq.num;
      case VIRTIO_PCI_COMMON_Q_MSIX:
        return vq.vector;
      case VIRTIO_PCI_COMMON_Q_ENABLE:
        return vq.enabled ? 1 : 0;
      case VIRTIO_PCI_COMMON_Q_NOFF:
        return vq.index; // × notify_off_multiplier
      case VIRTIO_PCI_COMMON_Q_DESCLO:
        return vq.reg_desc >>> 0;
      case VIRTIO_PCI_COMMON_Q_DESCHI:
        return Math.floor(vq.reg_desc / 0x100000000);
      case VIRTIO_PCI_COMMON_Q_AVAILLO:
        return vq.reg_avail >>> 0;
      case VIRTIO_PCI_COMMON_Q_AVAILHI:
        return Math.floor(vq.reg_avail / 0x100000000);
      case VIRTIO_PCI_COMMON_Q_USEDLO:
        return vq.reg_used >>> 0;
      case VIRTIO_PCI_COMMON_Q_USEDHI:
        return Math.floor(vq.reg_used / 0x100000000);
    }
    return 0;
  }

  private common_field_write(f: number, v: number): void {
    switch (f) {
      case VIRTIO_PCI_COMMON_DFSELECT:
        this.dfselect = v;
        return;
      case VIRTIO_PCI_COMMON_GFSELECT:
        this.gfselect = v;
        return;
      case VIRTIO_PCI_COMMON_GF:
        if ((this.status & VIRTIO_CONFIG_S_FEATURES_OK) !== 0) {
          this.warn_once("gf_late", "driver_feature written after FEATURES_OK (ignored; features are fixed until reset)");
          return;
        }
        if (this.gfselect < 2) this.guest_features[this.gfselect] = v;
        return;
      case VIRTIO_PCI_COMMON_MSIX:
        this.config_vector = this.vector_ok(v);
        return;
      case VIRTIO_PCI_COMMON_STATUS:
        this.status_write(v & 0xff);
        return;
      case VIRTIO_PCI_COMMON_Q_SELECT:
        this.queue_sel = v & 0xffff;
        return;
    }
    const vq = this.selected();
    if (vq === undefined) return;
    switch (f) {
      case VIRTIO_PCI_COMMON_Q_SIZE:
        if (vq.enabled) return this.warn_once("qsize_live", `queue_size written while queue ${vq.index} is enabled (ignored)`);
        if (v === 0 || (v & (v - 1)) !== 0 || v > vq.num_max) return this.virtio_error("qsize", `queue_size of queue ${vq.index} written with ${v}: not a power of 2 between 1 and ${vq.num_max}`);
        vq.num = v;
        return;
      case VIRTIO_PCI_COMMON_Q_MSIX:
        vq.vector = this.vector_ok(v);
        return;
      case VIRTIO_PCI_COMMON_Q_ENABLE: {
        if (v !== 1) return this.virtio_error("qenable", `queue_enable of queue ${vq.index} written with ${v} (only 1 is allowed; a queue is disabled by reset)`);
        if (vq.enabled) return;
        if (vq.reg_desc === 0 || vq.reg_avail === 0 || vq.reg_used === 0) {
          this.warn_once("qenable_noaddr", `queue_enable = 1 for queue ${vq.index} while queue_desc/queue_driver/queue_device are still 0 (desc 0x${vq.reg_desc.toString(16)}, driver 0x${vq.reg_avail.toString(16)}, device 0x${vq.reg_used.toString(16)}): write the ring addresses before enabling the queue`);
        }
        const err = vq.enable();
        if (err !== null) this.virtio_error("qlayout", err);
        return;
      }
      case VIRTIO_PCI_COMMON_Q_DESCLO:
      case VIRTIO_PCI_COMMON_Q_AVAILLO:
      case VIRTIO_PCI_COMMON_Q_USEDLO:
      case VIRTIO_PCI_COMMON_Q_DESCHI:
      case VIRTIO_PCI_COMMON_Q_AVAILHI:
      case VIRTIO_PCI_COMMON_Q_USEDHI: {
        if (vq.enabled) return this.warn_once("qaddr_live", `ring address written while queue ${vq.index} is enabled (ignored)`);
        const hi = f === VIRTIO_PCI_COMMON_Q_DESCHI || f === VIRTIO_PCI_COMMON_Q_AVAILHI || f === VIRTIO_PCI_COMMON_Q_USEDHI;
        const join = (cur: number): number => (hi ? v * 0x100000000 + (cur % 0x100000000) : Math.floor(cur / 0x100000000) * 0x100000000 + v);
        if (f === VIRTIO_PCI_COMMON_Q_DESCLO || f === VIRTIO_PCI_COMMON_Q_DESCHI) vq.reg_desc = join(vq.reg_desc);
        else if (f === VIRTIO_PCI_COMMON_Q_AVAILLO || f === VIRTIO_PCI_COMMON_Q_AVAILHI) vq.reg_avail = join(vq.reg_avail);
        else vq.reg_used = join(vq.reg_used);
        return;
      }
    }
  }

  /** A vector the table has, else NO_VECTOR (the driver reads it back to see the failure). */
  private vector_ok(v: number): number {
    return this.msix !== null && v < this.msix.nentries ? v : VIRTIO_MSI_NO_VECTOR;
  }

  /** device_status write (QEMU virtio_set_status, with the FEATURES_OK re-read rule). */
  private status_write(v: number): void {
    if (v === 0) {
      this.virtio_reset();
      return;
    }
    const old = this.status;
    if ((v & VIRTIO_CONFIG_S_FEATURES_OK) !== 0 && (old & VIRTIO_CONFIG_S_FEATURES_OK) === 0) {
      const why = this.check_features();
      if (why !== null) {
        this.warn_once(`features:${why}`, `refusing features 0x${this.guest_features[1]!.toString(16)}_${this.guest_features[0]!.toString(16).padStart(8, "0")}: ${why} (FEATURES_OK left clear)`);
        v &= ~VIRTIO_CONFIG_S_FEATURES_OK;
      }
    }
    if ((v & VIRTIO_CONFIG_S_DRIVER_OK) !== 0 && (v & VIRTIO_CONFIG_S_FEATURES_OK) === 0) {
      this.warn_once("driver_ok", "DRIVER_OK written without FEATURES_OK accepted (refused: the driver must negotiate features first)");
      v &= ~VIRTIO_CONFIG_S_DRIVER_OK;
    }
    if ((v & VIRTIO_CONFIG_S_DRIVER_OK) !== 0 && (old & VIRTIO_CONFIG_S_DRIVER_OK) === 0 && (this.features_ok_unread || (old & VIRTIO_CONFIG_S_FEATURES_OK) === 0)) {
      this.warn_once("features_ok_unread", "DRIVER_OK set without reading device_status after FEATURES_OK was written: re-read device_status and check FEATURES_OK stuck before going on (virtio 1.2 §3.1.1 step 6)");
    }
    if ((v & VIRTIO_CONFIG_S_FEATURES_OK) !== 0 && (old & VIRTIO_CONFIG_S_FEATURES_OK) === 0) this.features_ok_unread = true;
    this.status = v | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
    if (this.status !== old) this.status_changed(old, this.status);
  }

  /** Accept the written driver features (null) or say why not. */
  private check_features(): string | null {
    const lo = this.guest_features[0]!;
    const hi = this.guest_features[1]!;
    if ((lo & ~this.host_features[0]!) !== 0 || (hi & ~this.host_features[1]!) !== 0) return "bits the device did not offer";
    if ((hi & (1 << (VIRTIO_F_VERSION_1 - 32))) === 0) return "VIRTIO_F_VERSION_1 not accepted (this is a modern-only device)";
    const saved0 = this.features[0]!;
    const saved1 = this.features[1]!;
    this.features[0] = lo;
    this.features[1] = hi;
    const why = this.validate_features();
    if (why !== null) {
      this.features[0] = saved0;
      this.features[1] = saved1;
      return why;
    }
    this.event_idx = this.has_feature(VIRTIO_RING_F_EVENT_IDX);
    return null;
  }
}
