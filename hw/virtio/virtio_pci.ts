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
import { common_cfg_known, common_cfg_read, common_cfg_write, status_str, virtio_pci_common_read, virtio_pci_common_write } from "./virtio_pci_common.ts";
import { VIRTIO_PCI_LEGACY_BAR, legacy_bar_size, legacy_reg_name, virtio_ioport_read, virtio_ioport_write } from "./virtio_pci_legacy.ts";
import { VirtQueue, type VirtQueueHost } from "./virtqueue.ts";

/**
 * The virtio PCI transport as QEMU builds it (virtio 1.2 §4.1; QEMU hw/virtio/virtio-pci.c,
 * reference: ../shared/reference/virtio-net.md §2–§5, §8). Three shapes, as QEMU's
 * disable-legacy / disable-modern properties choose:
 *
 * - modern (non-transitional): IDs 1AF4:(1040 + virtio device ID), revision 1, subsystem
 *   1AF4:1100, INTA#.
 * - transitional: IDs 1AF4:(legacy device ID, net 1000), revision 0, subsystem 1AF4:(virtio device
 *   ID); BAR0 is the legacy I/O header (virtio_pci_legacy.ts) next to everything the modern one has.
 * - legacy only: as transitional, without the modern capabilities and BAR4.
 *
 * Modern layout: BAR1 MSI-X table at 0, PBA at 0x800 (QEMU msix_init_exclusive_bar), 4 KiB,
 * 32-bit; BAR4/5 16 KiB, 64-bit prefetchable: COMMON at 0x0000, ISR at 0x1000, DEVICE at 0x2000,
 * NOTIFY at 0x3000 (queue n's doorbell at +4n: notify_off_multiplier 4, queue_notify_off = n);
 * capabilities in QEMU's order, each linked at the head: COMMON 0x40, ISR 0x50, DEVICE 0x60,
 * NOTIFY 0x70, PCI_CFG 0x84, MSI-X 0x98 (legacy only: MSI-X 0x40).
 *
 * Common configuration (virtio_pci_common.ts): the spec's register semantics; 64-bit fields are two
 * 32-bit halves; any 1/2/4-byte access is accepted. Queue size and addresses take effect on
 * queue_enable (QEMU). Interrupts: a queue or config notification sets ISR (bit 0; 0x3 for config,
 * as QEMU) and, with MSI-X enabled, sends the mapped vector (none for NO_VECTOR), else drives INTx
 * from ISR bit 0. Reading ISR (either interface) clears it and lowers INTx.
 *
 * Which interface the driver uses is fixed by its first state-changing access after a reset
 * (status, features, queue set-up, doorbell; selects and reads do not count); touching the other
 * one afterwards is done all the same and warned about once. Tracing: the `virtio` channel
 * (status, features, queue select/enable, notify, reset, config generation, vectors), `interrupt`
 * (INTx, MSI-X, suppressed notifications, config interrupts) and `unknown`.
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
 * | DRIVER_OK without FEATURES_OK  | refused (bit stays clear), warning; legacy:  | accepted                              |
 * |                                | accepted (there is no FEATURES_OK)           |                                       |
 * | NEEDS_RESET                    | sticky until reset                           | a status write can clear it           |
 * | driver_feature after           | ignored, warning                             | re-applied / spec: MUST NOT           |
 * | FEATURES_OK                    |                                              |                                       |
 * | misaligned rings at enable     | device error                                 | accepted / spec: MUST align           |
 * | config_generation              | +1 whenever device config changes            | +1 per config notification with       |
 * |                                |                                              | DRIVER_OK                             |
 * | default shape                  | modern (the board's default for              | transitional on a conventional PCI    |
 * |                                | virtio-net-pci: its lspci output is pinned)  | bus (disable-legacy=auto)             |
 * | (legacy departures: virtio_pci_legacy.ts)                                                             |
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

/** Which interface the driver uses since the last reset. */
export const VIRTIO_PCI_IF = { NONE: 0, LEGACY: 1, MODERN: 2 } as const;
export type VirtioPciIf = (typeof VIRTIO_PCI_IF)[keyof typeof VIRTIO_PCI_IF];
const IF_NAME = ["none", "legacy", "modern"] as const;

export interface VirtioPciOptions {
  name: string;
  /** The virtio device ID (1 = net): PCI device ID 0x1040 + id for a modern-only function. */
  virtio_id: number;
  /** The transitional / legacy PCI device ID (net: 0x1000). */
  legacy_device_id: number;
  class_code: number;
  /** Offered features, bits 0–31 and 32–63 (VERSION_1 is added). */
  features_lo: number;
  features_hi: number;
  /** Bits offered only through the legacy header (QEMU's VIRTIO_LEGACY_FEATURES, e.g. ANY_LAYOUT). */
  legacy_only_features: number;
  /** MSI-X table entries (QEMU virtio-net: 2 × queue pairs + 2). 0: no MSI-X. */
  msix_vectors: number;
  /** Bytes of device configuration (sizes the legacy BAR). */
  config_size: number;
  /** QEMU's disable-legacy / disable-modern (at least one interface must be left). */
  disable_legacy: boolean;
  disable_modern: boolean;
}

export abstract class VirtioPciDevice extends PciDevice implements VirtQueueHost {
  readonly msix: Msix | null;
  readonly queues: VirtQueue[] = [];
  /** The interfaces this function offers (QEMU disable-legacy=off / disable-modern=off). */
  readonly legacy: boolean;
  readonly modern: boolean;
  /** device_status, ISR, config_generation, config_msix_vector. */
  status = 0;
  isr = 0;
  config_generation = 0;
  config_vector = VIRTIO_MSI_NO_VECTOR;
  /** Offered features (host_features) and the negotiated set (valid once FEATURES_OK stuck). */
  readonly host_features = new Uint32Array(2);
  /** What the legacy header's host features offer: bits 0–31 plus the legacy-only ones. */
  readonly host_features_legacy: number;
  readonly features = new Uint32Array(2);
  /*
   * Transport-internal state, shared with virtio_pci_common.ts (the common configuration) and
   * virtio_pci_legacy.ts (the legacy header); nothing else writes it.
   */
  /** driver_feature as written, per select (reads back as written). */
  readonly guest_features = new Uint32Array(2);
  dfselect = 0;
  gfselect = 0;
  queue_sel = 0;
  /** The interface the driver is using (VIRTIO_PCI_IF), fixed by its first access after reset. */
  interface_in_use: VirtioPciIf = VIRTIO_PCI_IF.NONE;
  /** The device is in an error state (NEEDS_RESET) until reset: queues are left alone. */
  broken = false;
  /** Device errors so far and the last one (tests, `~info`). */
  device_errors = 0;
  last_device_error = "";
  /** Offset of the PCI_CFG capability in config space (0: legacy only, none). */
  readonly pci_cfg_cap: number;
  /** VIRTIO_RING_F_EVENT_IDX negotiated (cached from `features`). */
  event_idx = false;
  /** FEATURES_OK was accepted and device_status has not been read since (the §3.1.1 re-read). */
  features_ok_unread = false;
  /** Field accessors for the common configuration (made once: accesses allocate nothing). */
  private readonly read_field = (f: number): number => virtio_pci_common_read(this, f);
  private readonly write_field = (f: number, v: number): void => virtio_pci_common_write(this, f, v);

  constructor(opts: VirtioPciOptions) {
    const legacy = !opts.disable_legacy;
    super(opts.name, {
      vendor: VIRTIO_PCI_VENDOR_ID,
      device: legacy ? opts.legacy_device_id : VIRTIO_PCI_MODERN_DEVICE_ID_BASE + opts.virtio_id,
      // Transitional devices MUST have revision 0 (virtio 1.2 §4.1.2.1); legacy drivers key on the subsystem ID.
      revision: legacy ? 0 : 1,
      class_code: opts.class_code,
      subsystem_vendor: VIRTIO_PCI_VENDOR_ID,
      subsystem_id: legacy ? opts.virtio_id : 0x1100,
      interrupt_pin: 1,
    });
    this.legacy = legacy;
    this.modern = !opts.disable_modern;
    this.host_features[0] = opts.features_lo >>> 0;
    this.host_features[1] = (opts.features_hi | (1 << (VIRTIO_F_VERSION_1 - 32))) >>> 0;
    this.host_features_legacy = (opts.features_lo | opts.legacy_only_features) >>> 0;
    if (legacy) {
      // QEMU: BAR0 = pow2ceil(legacy header + device config), I/O space.
      this.register_bar(VIRTIO_PCI_LEGACY_BAR, {
        kind: "io",
        size: legacy_bar_size(opts.config_size),
        name: `${opts.name}-legacy`,
        ops: { read: (o, w) => virtio_ioport_read(this, o, w), write: (o, w, v) => virtio_ioport_write(this, o, w, v) },
      });
    }
    if (this.modern) {
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
      const c = this.add_virtio_cap(VIRTIO_PCI_CAP_PCI_CFG, VIRTIO_PCI_CFG_CAP_SIZE, 0, 0);
      this.config[c + VIRTIO_PCI_CAP_BAR] = 0; // bar/offset/length 0 until the driver writes them
      this.cap_wmask(c + VIRTIO_PCI_CAP_BAR, [0xff]);
      this.cap_wmask(c + VIRTIO_PCI_CAP_OFFSET, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
      this.pci_cfg_cap = c;
    } else this.pci_cfg_cap = 0;
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

  /** Device configuration space (DEVICE region / legacy header tail): read `width` bytes at `off`. */
  abstract device_config_read(off: number, width: number): number;
  /** The driver wrote device configuration (read-only for most fields). */
  device_config_write(_off: number, _width: number, _value: number): void {}
  /** The driver rang queue `vq`'s doorbell (DRIVER_OK set, queue enabled, device not broken). */
  protected abstract queue_notified(vq: VirtQueue): void;
  /** Device-type reset (virtio reset): stop timers, drop in-flight work. */
  protected abstract device_reset(): void;
  /** The accepted feature set is inconsistent for this device type: why, else null. */
  validate_features(): string | null {
    return null;
  }
  /** `features` changed: FEATURES_OK accepted, a legacy feature write, or reset (QEMU set_features). */
  features_set(): void {}
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

  /** The driver is using the legacy interface (legacy feature semantics, legacy config layout). */
  get legacy_in_use(): boolean {
    return this.interface_in_use === VIRTIO_PCI_IF.LEGACY;
  }

  warn_once(key: string, msg: string): void {
    this.bus?.tracer.warn_once(`${this.name}:${key}`, `${this.name}: ${msg}`);
  }

  /** Trace channel `channel` is on: check before formatting a line (cheap when off). */
  trace_on(channel: string): boolean {
    return this.bus?.tracer.on(channel) ?? false;
  }

  trace(channel: string, msg: string): void {
    this.bus?.tracer.trace(channel, `${this.name}: ${msg}`);
  }

  /**
   * A state-changing driver access through interface `which`: the first one after reset decides
   * which interface the driver uses; the other one afterwards is a one-time warning (acted on).
   */
  use_interface(which: VirtioPciIf): void {
    const cur = this.interface_in_use;
    if (cur === which) return;
    if (cur === VIRTIO_PCI_IF.NONE) {
      this.interface_in_use = which;
      if (this.trace_on("virtio")) this.trace("virtio", `driver uses the ${IF_NAME[which]} interface`);
      return;
    }
    this.warn_once("mixed", `driver mixes the legacy and modern interfaces (it started with the ${IF_NAME[cur]} one, now touched the ${IF_NAME[which]} one; acted on, but reset before switching)`);
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
    if (this.trace_on("virtio")) this.trace("virtio", `virtio_error: ${message}: status ${status_str(this.status)}`);
    this.notify_config();
  }

  /** A used-buffer notification for `vq` (virtio_notify). */
  notify_queue(vq: VirtQueue): void {
    this.isr |= VIRTIO_PCI_ISR_QUEUE;
    this.notify_vector(vq.vector, vq.index);
  }

  /** A configuration change notification (virtio_notify_config): only with DRIVER_OK, as QEMU. */
  notify_config(): void {
    if ((this.status & VIRTIO_CONFIG_S_DRIVER_OK) === 0) {
      if (this.trace_on("interrupt")) this.trace("interrupt", "config change before DRIVER_OK: no interrupt (as QEMU)");
      return;
    }
    this.isr |= VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG;
    this.notify_vector(this.config_vector, -1);
  }

  /** Device configuration fields changed: the driver's generation check must see it. */
  config_changed(): void {
    this.config_generation = (this.config_generation + 1) & 0xff;
    if (this.trace_on("virtio")) this.trace("virtio", `config_generation ${this.config_generation}`);
  }

  /** virtio_pci_notify: MSI-X vector when enabled, else INTx follows ISR bit 0. `queue` -1: config. */
  private notify_vector(vector: number, queue: number): void {
    const what = queue < 0 ? "config change" : `queue ${queue}`;
    if (this.msix !== null && this.msix.msix_enabled()) {
      if (vector === VIRTIO_MSI_NO_VECTOR) {
        if (this.trace_on("interrupt")) this.trace("interrupt", `${what}: NO_VECTOR mapped, nothing sent`);
        return;
      }
      const held = this.msix.held;
      this.msix.notify(vector);
      if (this.trace_on("interrupt")) this.trace("interrupt", `${what}: MSI-X vector ${vector}${this.msix.held !== held ? " (masked: pending)" : ""}`);
      return;
    }
    const level = (this.isr & VIRTIO_PCI_ISR_QUEUE) !== 0;
    this.set_irq(level);
    if (this.trace_on("interrupt")) this.trace("interrupt", `${what}: ISR 0x${this.isr.toString(16)}, INTx ${level ? "asserted" : "low"}`);
  }

  /** Register names for warnings: the structure in the modern BAR, the legacy header, the MSI-X table/PBA. */
  protected override reg_name(bar: number, off: number): string {
    if (bar === VIRTIO_PCI_LEGACY_BAR && this.legacy) return legacy_reg_name(this, off);
    if (bar === VIRTIO_PCI_MSIX_BAR) return off >= MSIX_EXCLUSIVE_PBA_OFFSET ? `MSI-X PBA+0x${(off - MSIX_EXCLUSIVE_PBA_OFFSET).toString(16)}` : `MSI-X table+0x${off.toString(16)}`;
    if (bar !== VIRTIO_PCI_MODERN_BAR) return super.reg_name(bar, off);
    const region = ["common", "ISR", "device config", "notify"][off >>> 12] ?? "modern BAR";
    return `${region}+0x${(off & (VIRTIO_PCI_REGION_SIZE - 1)).toString(16)}`;
  }

  /* ---- reset ---- */

  /** Virtio device reset (status written 0; QEMU virtio_pci_reset + virtio_reset). */
  virtio_reset(): void {
    if (this.trace_on("virtio")) this.trace("virtio", "virtio_reset");
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
    this.interface_in_use = VIRTIO_PCI_IF.NONE;
    for (const vq of this.queues) vq.reset();
    this.features_set();
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
    if (this.pci_cfg_cap === 0) return;
    const data = this.pci_cfg_cap + VIRTIO_PCI_CFG_DATA;
    if (off < data + 4 && off + width > data) this.pci_cfg_access(true);
  }

  protected override config_reading(off: number, width: number): void {
    if (this.pci_cfg_cap === 0) return;
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
    if (o + width > VIRTIO_PCI_REGION_SIZE) return this.unknown_read(off, width, 0);
    switch (region) {
      case VIRTIO_PCI_COMMON_OFFSET:
        // The driver read device_status (not the read-modify-write of a write): FEATURES_OK re-read.
        if (o <= VIRTIO_PCI_COMMON_STATUS && o + width > VIRTIO_PCI_COMMON_STATUS) this.features_ok_unread = false;
        if (!common_cfg_known(o, width)) return this.unknown_read(off, width, common_cfg_read(o, width, this.read_field));
        return common_cfg_read(o, width, this.read_field);
      case VIRTIO_PCI_ISR_OFFSET:
        return o === 0 ? this.isr_read() : this.unknown_read(off, width, 0);
      case VIRTIO_PCI_DEVICE_OFFSET:
        return this.device_config_read(o, width);
      default:
        return this.unknown_read(off, width, 0); // notify: write-only
    }
  }

  private modern_write(off: number, width: number, value: number): void {
    const region = off & ~(VIRTIO_PCI_REGION_SIZE - 1);
    const o = off & (VIRTIO_PCI_REGION_SIZE - 1);
    if (o + width > VIRTIO_PCI_REGION_SIZE) return this.unknown_write(off, width, value);
    switch (region) {
      case VIRTIO_PCI_COMMON_OFFSET:
        if (!common_cfg_known(o, width)) this.unknown_write(off, width, value);
        common_cfg_write(o, width, value, this.read_field, this.write_field);
        return;
      case VIRTIO_PCI_DEVICE_OFFSET:
        this.device_config_write(o, width, value);
        return;
      case VIRTIO_PCI_NOTIFY_OFFSET:
        this.notify_write(o, width, value);
        return;
      default:
        return this.unknown_write(off, width, value); // ISR: read-only
    }
  }

  /** An access to an offset with no register behind it: traced on `unknown`; reads give `value`. */
  unknown_read(off: number, width: number, value: number, where = "modern BAR"): number {
    if (this.trace_on("unknown")) this.trace("unknown", `${width}-byte read of ${where} +0x${off.toString(16)} (no register there)`);
    return value;
  }

  unknown_write(off: number, width: number, value: number, where = "modern BAR"): void {
    if (this.trace_on("unknown")) this.trace("unknown", `${width}-byte write of 0x${(value >>> 0).toString(16)} to ${where} +0x${off.toString(16)} (no register there; ignored)`);
  }

  /** ISR status: read returns and clears it, and lowers INTx (QEMU virtio_pci_isr_read). */
  isr_read(): number {
    const v = this.isr;
    this.isr = 0;
    this.set_irq(false);
    if (v !== 0 && this.trace_on("interrupt")) this.trace("interrupt", `ISR read 0x${v.toString(16)}: cleared, INTx low`);
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
    this.use_interface(VIRTIO_PCI_IF.MODERN);
    this.queue_doorbell(this.queues[q]!, "queue_enable is 0", "program and enable the queue (queue_select, queue_desc/driver/device, queue_enable = 1)");
  }

  /**
   * An available-buffer notification for `vq` from either interface (QEMU virtio_queue_notify):
   * ignored for a queue that is not live (`not_live` says why, `fix` what to do) or before DRIVER_OK.
   */
  queue_doorbell(vq: VirtQueue, not_live: string, fix: string): void {
    if (this.trace_on("virtio")) this.trace("virtio", `virtio_queue_notify ${vq.index}`);
    if (!vq.enabled) {
      this.warn_once("notify_disabled", `doorbell for queue ${vq.index} whose ${not_live} (ignored): ${fix} before notifying it`);
      return;
    }
    if (!this.driver_ok) return; // spec §3.1: no doorbells before DRIVER_OK
    this.queue_notified(vq);
  }

  /** A vector the table has, else NO_VECTOR (the driver reads it back to see the failure). */
  vector_ok(v: number): number {
    return this.msix !== null && v < this.msix.nentries ? v : VIRTIO_MSI_NO_VECTOR;
  }

  /**
   * device_status write (QEMU virtio_set_status). Modern: with the FEATURES_OK checks and re-read
   * rule; legacy (`legacy`): stored as written, there is no FEATURES_OK step.
   */
  status_write(v: number, legacy: boolean): void {
    if (v === 0) {
      if (this.trace_on("virtio")) this.trace("virtio", `virtio_set_status 0x00 (${legacy ? "legacy" : "modern"}): reset`);
      this.virtio_reset();
      return;
    }
    this.use_interface(legacy ? VIRTIO_PCI_IF.LEGACY : VIRTIO_PCI_IF.MODERN);
    const old = this.status;
    if (!legacy && (v & VIRTIO_CONFIG_S_FEATURES_OK) !== 0 && (old & VIRTIO_CONFIG_S_FEATURES_OK) === 0) {
      const why = this.check_features();
      if (why !== null) {
        this.warn_once(`features:${why}`, `refusing features 0x${this.guest_features[1]!.toString(16)}_${this.guest_features[0]!.toString(16).padStart(8, "0")}: ${why} (FEATURES_OK left clear)`);
        if (this.trace_on("virtio")) this.trace("virtio", `virtio_set_features 0x${this.guest_features[1]!.toString(16)}_${this.guest_features[0]!.toString(16).padStart(8, "0")} refused: ${why}`);
        v &= ~VIRTIO_CONFIG_S_FEATURES_OK;
      } else if (this.trace_on("virtio")) this.trace("virtio", `virtio_set_features 0x${this.features[1]!.toString(16)}_${this.features[0]!.toString(16).padStart(8, "0")} accepted`);
    }
    if (!legacy && (v & VIRTIO_CONFIG_S_DRIVER_OK) !== 0 && (v & VIRTIO_CONFIG_S_FEATURES_OK) === 0) {
      this.warn_once("driver_ok", "DRIVER_OK written without FEATURES_OK accepted (refused: the driver must negotiate features first)");
      v &= ~VIRTIO_CONFIG_S_DRIVER_OK;
    }
    if (!legacy && (v & VIRTIO_CONFIG_S_DRIVER_OK) !== 0 && (old & VIRTIO_CONFIG_S_DRIVER_OK) === 0 && (this.features_ok_unread || (old & VIRTIO_CONFIG_S_FEATURES_OK) === 0)) {
      this.warn_once("features_ok_unread", "DRIVER_OK set without reading device_status after FEATURES_OK was written: re-read device_status and check FEATURES_OK stuck before going on (virtio 1.2 §3.1.1 step 6)");
    }
    if (!legacy && (v & VIRTIO_CONFIG_S_FEATURES_OK) !== 0 && (old & VIRTIO_CONFIG_S_FEATURES_OK) === 0) this.features_ok_unread = true;
    this.status = v | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
    if (this.trace_on("virtio")) this.trace("virtio", `virtio_set_status ${status_str(this.status)}${legacy ? " (legacy)" : ""}`);
    if (this.status !== old) this.status_changed(old, this.status);
  }

  /** Accept the written driver features (null) or say why not. */
  private check_features(): string | null {
    const lo = this.guest_features[0]!;
    const hi = this.guest_features[1]!;
    if ((lo & ~this.host_features[0]!) !== 0 || (hi & ~this.host_features[1]!) !== 0) return "bits the device did not offer";
    if ((hi & (1 << (VIRTIO_F_VERSION_1 - 32))) === 0) return `VIRTIO_F_VERSION_1 not accepted (${this.legacy ? "a legacy driver must use the legacy interface" : "this is a modern-only device"})`;
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
    this.features_set();
    return null;
  }
}
