import { VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_RING_F_EVENT_IDX } from "../../include/uapi/linux/virtio_config.ts";
import { VIRTIO_MSI_NO_VECTOR } from "../../include/uapi/linux/virtio_pci.ts";
import { VIRTIO_PCI_IF, type VirtioPciDevice } from "./virtio_pci.ts";
import { vector_str } from "./virtio_pci_common.ts";
import { VIRTIO_PCI_HOST_FEATURES, VIRTIO_PCI_GUEST_FEATURES, VIRTIO_PCI_QUEUE_PFN, VIRTIO_PCI_QUEUE_NUM, VIRTIO_PCI_QUEUE_SEL, VIRTIO_PCI_QUEUE_NOTIFY, VIRTIO_PCI_STATUS, VIRTIO_PCI_ISR, VIRTIO_MSI_CONFIG_VECTOR, VIRTIO_MSI_QUEUE_VECTOR, VIRTIO_PCI_CONFIG_OFF, VIRTIO_PCI_QUEUE_ADDR_SHIFT, VIRTIO_PCI_VRING_ALIGN } from "../../include/uapi/linux/virtio_pci.ts";

/**
 * The legacy virtio PCI header in I/O BAR0 of a transitional (or legacy-only) function (virtio 1.2
 * §4.1.4.8 "Legacy Interfaces: A Note on PCI Device Layout", §2.7.2 "Legacy Interfaces: A Note on
 * Virtqueue Layout"; QEMU hw/virtio/virtio-pci.c virtio_ioport_read / virtio_ioport_write /
 * virtio_pci_config_read / _write; reference: ../shared/reference/virtio-net.md §2.5):
 *
 * | off  | width | register                                                                      |
 * |------|-------|-------------------------------------------------------------------------------|
 * | 0x00 | 32    | host features, bits 0–31 (never VERSION_1; plus legacy-only bits: ANY_LAYOUT) |
 * | 0x04 | 32    | guest features, bits 0–31: in effect when written (there is no FEATURES_OK)   |
 * | 0x08 | 32    | queue PFN: the ring's address >> 12; writing it makes the queue live; 0 resets |
 * | 0x0C | 16    | queue size (read-only: the maximum)                                           |
 * | 0x0E | 16    | queue select                                                                  |
 * | 0x10 | 16    | queue notify (the value is the queue index)                                   |
 * | 0x12 | 8     | device status (0 resets)                                                      |
 * | 0x13 | 8     | ISR (a read returns and clears it, and lowers INTx)                           |
 * | 0x14 | 16    | config MSI-X vector  — only while MSI-X is enabled                            |
 * | 0x16 | 16    | queue MSI-X vector   — only while MSI-X is enabled                            |
 * | 0x14 / 0x18 | | device configuration (without / with MSI-X enabled)                           |
 *
 * The ring is one area at PFN × 4096: descriptors, the available ring right after them, the used
 * ring at the next 4096-byte boundary (VIRTIO_PCI_VRING_ALIGN); the size cannot be negotiated.
 *
 * Accesses are decoded as QEMU decodes them: by the offset the access starts at, the value cut to
 * the access width; an offset that starts no register reads all ones and ignores writes (traced on
 * `unknown`), and a register accessed with another width than its own is acted on and warned about
 * once (Linux always uses the natural width).
 *
 * Departures (deliberate):
 *
 * | topic                           | this model                                 | QEMU                                 |
 * |---------------------------------|--------------------------------------------|--------------------------------------|
 * | ACK|DRIVER written with Bus     | nothing: DMA stays refused (warning) until | sets Bus Master for pre-2.6.34 Linux |
 * | Master clear                    | the driver calls pci_set_master()          |                                      |
 * | queue PFN written while live    | ignored, warning                           | rings moved at once                  |
 * | guest features after DRIVER_OK  | ignored, warning                           | applied                              |
 * | NOTIFY_ON_EMPTY (bit 24)        | not offered                                | offered                              |
 * | BAR0 size                       | 64 (24 + 10 bytes of net config)           | 32 (24 + 8: no max_virtqueue_pairs)  |
 */

export const VIRTIO_PCI_LEGACY_BAR = 0;
/** QEMU ignores queue selects from here on (VIRTIO_QUEUE_MAX). */
const VIRTIO_QUEUE_MAX = 1024;

/** Register widths by offset (0: no register starts there). */
const REG_WIDTH: Readonly<Record<number, number>> = {
  [VIRTIO_PCI_HOST_FEATURES]: 4,
  [VIRTIO_PCI_GUEST_FEATURES]: 4,
  [VIRTIO_PCI_QUEUE_PFN]: 4,
  [VIRTIO_PCI_QUEUE_NUM]: 2,
  [VIRTIO_PCI_QUEUE_SEL]: 2,
  [VIRTIO_PCI_QUEUE_NOTIFY]: 2,
  [VIRTIO_PCI_STATUS]: 1,
  [VIRTIO_PCI_ISR]: 1,
  [VIRTIO_MSI_CONFIG_VECTOR]: 2,
  [VIRTIO_MSI_QUEUE_VECTOR]: 2,
};
const REG_NAMES: Readonly<Record<number, string>> = {
  [VIRTIO_PCI_HOST_FEATURES]: "host features",
  [VIRTIO_PCI_GUEST_FEATURES]: "guest features",
  [VIRTIO_PCI_QUEUE_PFN]: "queue PFN",
  [VIRTIO_PCI_QUEUE_NUM]: "queue size",
  [VIRTIO_PCI_QUEUE_SEL]: "queue select",
  [VIRTIO_PCI_QUEUE_NOTIFY]: "queue notify",
  [VIRTIO_PCI_STATUS]: "device status",
  [VIRTIO_PCI_ISR]: "ISR",
  [VIRTIO_MSI_CONFIG_VECTOR]: "config MSI-X vector",
  [VIRTIO_MSI_QUEUE_VECTOR]: "queue MSI-X vector",
};

/** BAR0's size: the header with the vector registers plus the device configuration, a power of 2. */
export function legacy_bar_size(config_size: number): number {
  let size = 4;
  while (size < VIRTIO_PCI_CONFIG_OFF(true) + config_size) size <<= 1;
  return size;
}

function msix_on(d: VirtioPciDevice): boolean {
  return d.msix !== null && d.msix.msix_enabled();
}

/** The header's register at `off` for warnings ("legacy queue PFN", "legacy device config+0x2"). */
export function legacy_reg_name(d: VirtioPciDevice, off: number): string {
  const cfg = VIRTIO_PCI_CONFIG_OFF(msix_on(d));
  if (off >= cfg) return `legacy device config+0x${(off - cfg).toString(16)}`;
  return `legacy ${REG_NAMES[off] ?? `header+0x${off.toString(16)}`}`;
}

/**
 * Which register an access at `off` of `width` bytes names, or -1 for none (then: device config
 * or unknown). Warns once when a register is accessed with another width than its own.
 */
function legacy_reg(d: VirtioPciDevice, off: number, width: number, cfg: number): number {
  if (off >= cfg) return -1;
  const w = REG_WIDTH[off];
  if (w === undefined) return -1;
  if (w !== width) d.warn_once(`legacy_width:${off}`, `legacy ${REG_NAMES[off]} (0x${off.toString(16)}) accessed with ${width} bytes; it is ${w * 8} bits wide (acted on as QEMU does: value cut to the access)`);
  return off;
}

/** An I/O read of BAR0 (QEMU virtio_pci_config_read → virtio_ioport_read / virtio_config_read*). */
export function virtio_ioport_read(d: VirtioPciDevice, off: number, width: number): number {
  const cfg = VIRTIO_PCI_CONFIG_OFF(msix_on(d));
  const mask = width === 4 ? 0xffffffff : (1 << (8 * width)) - 1;
  if (off >= cfg) return d.device_config_read(off - cfg, width);
  const reg = legacy_reg(d, off, width, cfg);
  const vq = d.queues[d.queue_sel];
  let v: number;
  switch (reg) {
    case VIRTIO_PCI_HOST_FEATURES:
      v = d.host_features_legacy;
      break;
    case VIRTIO_PCI_GUEST_FEATURES:
      v = d.guest_features[0]!;
      break;
    case VIRTIO_PCI_QUEUE_PFN:
      v = vq === undefined ? 0 : Math.floor(vq.reg_desc / VIRTIO_PCI_VRING_ALIGN);
      break;
    case VIRTIO_PCI_QUEUE_NUM:
      v = vq === undefined ? 0 : vq.num;
      break;
    case VIRTIO_PCI_QUEUE_SEL:
      v = d.queue_sel;
      break;
    case VIRTIO_PCI_STATUS:
      v = d.status;
      break;
    case VIRTIO_PCI_ISR:
      v = d.isr_read();
      break;
    case VIRTIO_MSI_CONFIG_VECTOR:
      v = d.config_vector;
      break;
    case VIRTIO_MSI_QUEUE_VECTOR:
      v = vq === undefined ? VIRTIO_MSI_NO_VECTOR : vq.vector;
      break;
    default:
      // Not a register start (or the write-only notify): QEMU answers all ones.
      return d.unknown_read(off, width, mask, "legacy header") >>> 0;
  }
  return (v & mask) >>> 0;
}

/** An I/O write of BAR0 (QEMU virtio_pci_config_write → virtio_ioport_write / virtio_config_write*). */
export function virtio_ioport_write(d: VirtioPciDevice, off: number, width: number, value: number): void {
  const cfg = VIRTIO_PCI_CONFIG_OFF(msix_on(d));
  if (off >= cfg) {
    d.use_interface(VIRTIO_PCI_IF.LEGACY);
    d.device_config_write(off - cfg, width, value);
    return;
  }
  const reg = legacy_reg(d, off, width, cfg);
  const vq = d.queues[d.queue_sel];
  switch (reg) {
    case VIRTIO_PCI_GUEST_FEATURES:
      legacy_set_features(d, value);
      return;
    case VIRTIO_PCI_QUEUE_PFN:
      legacy_set_pfn(d, value >>> 0);
      return;
    case VIRTIO_PCI_QUEUE_SEL:
      if ((value & 0xffff) < VIRTIO_QUEUE_MAX) d.queue_sel = value & 0xffff;
      if (d.trace_on("virtio")) d.trace("virtio", `queue_select ${value & 0xffff} (legacy)${d.queue_sel >= d.queues.length ? " (no such queue)" : ""}`);
      return;
    case VIRTIO_PCI_QUEUE_NOTIFY: {
      const q = d.queues[value & 0xffff];
      if (q === undefined) {
        d.warn_once("legacy_notify", `legacy queue notify names queue ${value & 0xffff}, which does not exist (ignored)`);
        return;
      }
      d.use_interface(VIRTIO_PCI_IF.LEGACY);
      d.queue_doorbell(q, "queue PFN is 0", "select the queue and write its ring's page number to the queue PFN register");
      return;
    }
    case VIRTIO_PCI_STATUS:
      d.status_write(value & 0xff, true);
      return;
    case VIRTIO_MSI_CONFIG_VECTOR:
      d.use_interface(VIRTIO_PCI_IF.LEGACY);
      d.config_vector = d.vector_ok(value & 0xffff);
      if (d.trace_on("virtio")) d.trace("virtio", `config_msix_vector ${vector_str(value & 0xffff, d.config_vector)} (legacy)`);
      return;
    case VIRTIO_MSI_QUEUE_VECTOR:
      if (vq === undefined) return;
      d.use_interface(VIRTIO_PCI_IF.LEGACY);
      vq.vector = d.vector_ok(value & 0xffff);
      if (d.trace_on("virtio")) d.trace("virtio", `queue ${vq.index} msix_vector ${vector_str(value & 0xffff, vq.vector)} (legacy)`);
      return;
    default:
      // Read-only registers (host features, queue size, ISR) and offsets that start none.
      d.unknown_write(off, width, value, "legacy header");
  }
}

/**
 * Queue PFN write (QEMU virtio_queue_set_addr; 0: virtio_pci_reset): the selected queue's ring is
 * at `pfn` × 4096 in the legacy layout and live at once.
 */
function legacy_set_pfn(d: VirtioPciDevice, pfn: number): void {
  if (pfn === 0) {
    if (d.trace_on("virtio")) d.trace("virtio", `queue ${d.queue_sel} PFN 0 (legacy): device reset (as QEMU)`);
    d.virtio_reset();
    return;
  }
  const vq = d.queues[d.queue_sel];
  if (vq === undefined) {
    d.warn_once("legacy_pfn_noq", `legacy queue PFN written for queue ${d.queue_sel}, which does not exist (ignored)`);
    return;
  }
  d.use_interface(VIRTIO_PCI_IF.LEGACY);
  if (vq.enabled) {
    d.warn_once("legacy_pfn_live", `legacy queue PFN of queue ${vq.index} written while the queue is live (ignored; reset the device to move a ring)`);
    return;
  }
  const err = vq.set_legacy_rings(pfn * 2 ** VIRTIO_PCI_QUEUE_ADDR_SHIFT, VIRTIO_PCI_VRING_ALIGN);
  if (err !== null) d.virtio_error("qlayout", err);
  else if (d.trace_on("virtio")) d.trace("virtio", `virtio_queue_enable ${vq.index} (legacy PFN 0x${pfn.toString(16)}): num ${vq.num} desc 0x${vq.desc.toString(16)} avail 0x${vq.avail.toString(16)} used 0x${vq.used.toString(16)}`);
}

/**
 * Legacy guest-features write (QEMU virtio_set_features from virtio_ioport_write): bits 0–31,
 * masked by what the legacy header offers, in effect at once (there is no FEATURES_OK). After
 * DRIVER_OK they are ignored with a warning (the spec forbids changing them then).
 */
export function legacy_set_features(d: VirtioPciDevice, v: number): void {
  d.use_interface(VIRTIO_PCI_IF.LEGACY);
  if ((d.status & VIRTIO_CONFIG_S_DRIVER_OK) !== 0) {
    d.warn_once("legacy_gf_late", "legacy guest features written after DRIVER_OK (ignored; reset to renegotiate)");
    return;
  }
  const accepted = (v & d.host_features_legacy) >>> 0;
  if (accepted !== v >>> 0) d.warn_once("legacy_gf_unoffered", `legacy guest features 0x${(v >>> 0).toString(16)} include bits the device did not offer (0x${((v & ~d.host_features_legacy) >>> 0).toString(16)}; dropped, as QEMU)`);
  d.guest_features[0] = d.features[0] = accepted;
  d.guest_features[1] = d.features[1] = 0;
  const why = d.validate_features();
  if (why !== null) d.warn_once(`legacy_features:${why}`, `legacy guest features 0x${accepted.toString(16)}: ${why} (a legacy device cannot refuse: accepted)`);
  d.event_idx = d.has_feature(VIRTIO_RING_F_EVENT_IDX);
  if (d.trace_on("virtio")) d.trace("virtio", `virtio_set_features 0x${accepted.toString(16).padStart(8, "0")} (legacy)`);
  d.features_set();
}
