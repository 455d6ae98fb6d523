import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
} from "../../include/uapi/linux/virtio_config.ts";
import {
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_PCI_COMMON_CFG_SIZE,
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
} from "../../include/uapi/linux/virtio_pci.ts";
import { VIRTIO_PCI_IF, type VirtioPciDevice } from "./virtio_pci.ts";

/**
 * The modern common configuration structure, struct virtio_pci_common_cfg (virtio 1.2 §4.1.4.3;
 * QEMU virtio_pci_common_read / virtio_pci_common_write): its registers, field by field, and the
 * access widths.
 *
 * Widths (virtio 1.2 §4.1.3): the spec asks drivers for natural widths (64-bit fields as two 32-bit
 * halves), QEMU's region takes any 1–4 byte access. The helpers below let the transport accept any
 * of them: a read assembles its bytes field by field; a write merges its bytes into each field it
 * touches and writes each touched field once, whole, so side effects (status, queue_enable) see
 * complete values. Bytes outside every field read 0 and are ignored on write.
 *
 * Context: device context (the MMIO access that reached the modern BAR); never throws for guest input.
 */
/** Start and width of the common-config field holding each byte of 0x00–0x37 (0: none). */
const COMMON_FIELDS: readonly (readonly [number, number])[] = [
  [VIRTIO_PCI_COMMON_DFSELECT, 4],
  [VIRTIO_PCI_COMMON_DF, 4],
  [VIRTIO_PCI_COMMON_GFSELECT, 4],
  [VIRTIO_PCI_COMMON_GF, 4],
  [VIRTIO_PCI_COMMON_MSIX, 2],
  [VIRTIO_PCI_COMMON_NUMQ, 2],
  [VIRTIO_PCI_COMMON_STATUS, 1],
  [VIRTIO_PCI_COMMON_CFGGENERATION, 1],
  [VIRTIO_PCI_COMMON_Q_SELECT, 2],
  [VIRTIO_PCI_COMMON_Q_SIZE, 2],
  [VIRTIO_PCI_COMMON_Q_MSIX, 2],
  [VIRTIO_PCI_COMMON_Q_ENABLE, 2],
  [VIRTIO_PCI_COMMON_Q_NOFF, 2],
  [VIRTIO_PCI_COMMON_Q_DESCLO, 4],
  [VIRTIO_PCI_COMMON_Q_DESCHI, 4],
  [VIRTIO_PCI_COMMON_Q_AVAILLO, 4],
  [VIRTIO_PCI_COMMON_Q_AVAILHI, 4],
  [VIRTIO_PCI_COMMON_Q_USEDLO, 4],
  [VIRTIO_PCI_COMMON_Q_USEDHI, 4],
];
const COMMON_END = VIRTIO_PCI_COMMON_CFG_SIZE;
const field_start = new Int8Array(COMMON_END).fill(-1);
const field_width = new Uint8Array(COMMON_END);
for (const [off, w] of COMMON_FIELDS) {
  for (let i = 0; i < w; i++) {
    field_start[off + i] = off;
    field_width[off + i] = w;
  }
}

/** Every byte of the access [o, o + width) belongs to a field (else it is traced as unknown). */
export function common_cfg_known(o: number, width: number): boolean {
  for (let i = 0; i < width; i++) if (o + i >= COMMON_END || field_start[o + i]! < 0) return false;
  return true;
}

/** Read `width` bytes at `o`; `read_field(start)` returns the whole field starting at `start`. */
export function common_cfg_read(o: number, width: number, read_field: (f: number) => number): number {
  let v = 0;
  for (let i = 0; i < width; i++) {
    const at = o + i;
    if (at >= COMMON_END) continue;
    const start = field_start[at]!;
    if (start < 0) continue;
    v |= ((read_field(start) >>> (8 * (at - start))) & 0xff) << (8 * i);
  }
  return v >>> 0;
}

/** Write `width` bytes of `value` at `o`, merged into each field touched (see above). */
export function common_cfg_write(o: number, width: number, value: number, read_field: (f: number) => number, write_field: (f: number, v: number) => void): void {
  let i = 0;
  while (i < width) {
    const at = o + i;
    if (at >= COMMON_END || field_start[at]! < 0) {
      i++;
      continue;
    }
    const start = field_start[at]!;
    const fw = field_width[at]!;
    let v = fw === 4 && i === 0 && width === 4 && o === start ? value : read_field(start);
    while (i < width && o + i < start + fw) {
      const shift = 8 * (o + i - start);
      v = (v & ~(0xff << shift)) | (((value >>> (8 * i)) & 0xff) << shift);
      i++;
    }
    write_field(start, v >>> 0);
  }
}

/** The whole field at offset `f` of the common configuration (QEMU virtio_pci_common_read). */
export function virtio_pci_common_read(d: VirtioPciDevice, f: number): number {
  switch (f) {
    case VIRTIO_PCI_COMMON_DFSELECT:
      return d.dfselect;
    case VIRTIO_PCI_COMMON_DF:
      return d.dfselect < 2 ? d.host_features[d.dfselect]! : 0;
    case VIRTIO_PCI_COMMON_GFSELECT:
      return d.gfselect;
    case VIRTIO_PCI_COMMON_GF:
      return d.gfselect < 2 ? d.guest_features[d.gfselect]! : 0;
    case VIRTIO_PCI_COMMON_MSIX:
      return d.config_vector;
    case VIRTIO_PCI_COMMON_NUMQ:
      return d.queues.length;
    case VIRTIO_PCI_COMMON_STATUS:
      return d.status;
    case VIRTIO_PCI_COMMON_CFGGENERATION:
      return d.config_generation;
    case VIRTIO_PCI_COMMON_Q_SELECT:
      return d.queue_sel;
  }
  const vq = d.queues[d.queue_sel];
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

/** Write the whole field at offset `f` (QEMU virtio_pci_common_write). */
export function virtio_pci_common_write(d: VirtioPciDevice, f: number, v: number): void {
  switch (f) {
    case VIRTIO_PCI_COMMON_DFSELECT:
      d.dfselect = v;
      return;
    case VIRTIO_PCI_COMMON_GFSELECT:
      d.gfselect = v;
      return;
    case VIRTIO_PCI_COMMON_GF:
      d.use_interface(VIRTIO_PCI_IF.MODERN);
      if ((d.status & VIRTIO_CONFIG_S_FEATURES_OK) !== 0) {
        d.warn_once("gf_late", "driver_feature written after FEATURES_OK (ignored; features are fixed until reset)");
        return;
      }
      if (d.gfselect < 2) d.guest_features[d.gfselect] = v;
      return;
    case VIRTIO_PCI_COMMON_MSIX:
      d.use_interface(VIRTIO_PCI_IF.MODERN);
      d.config_vector = d.vector_ok(v);
      if (d.trace_on("virtio")) d.trace("virtio", `config_msix_vector ${vector_str(v, d.config_vector)}`);
      return;
    case VIRTIO_PCI_COMMON_STATUS:
      d.status_write(v & 0xff, false);
      return;
    case VIRTIO_PCI_COMMON_Q_SELECT:
      d.queue_sel = v & 0xffff;
      if (d.trace_on("virtio")) d.trace("virtio", `queue_select ${d.queue_sel}${d.queue_sel >= d.queues.length ? " (no such queue)" : ""}`);
      return;
  }
  const vq = d.queues[d.queue_sel];
  if (vq === undefined) return;
  d.use_interface(VIRTIO_PCI_IF.MODERN);
  switch (f) {
    case VIRTIO_PCI_COMMON_Q_SIZE:
      if (vq.enabled) return d.warn_once("qsize_live", `queue_size written while queue ${vq.index} is enabled (ignored)`);
      if (v === 0 || (v & (v - 1)) !== 0 || v > vq.num_max) return d.virtio_error("qsize", `queue_size of queue ${vq.index} written with ${v}: not a power of 2 between 1 and ${vq.num_max}`);
      vq.num = v;
      return;
    case VIRTIO_PCI_COMMON_Q_MSIX:
      vq.vector = d.vector_ok(v);
      if (d.trace_on("virtio")) d.trace("virtio", `queue ${vq.index} msix_vector ${vector_str(v, vq.vector)}`);
      return;
    case VIRTIO_PCI_COMMON_Q_ENABLE: {
      if (v !== 1) return d.virtio_error("qenable", `queue_enable of queue ${vq.index} written with ${v} (only 1 is allowed; a queue is disabled by reset)`);
      if (vq.enabled) return;
      if (vq.reg_desc === 0 || vq.reg_avail === 0 || vq.reg_used === 0) {
        d.warn_once("qenable_noaddr", `queue_enable = 1 for queue ${vq.index} while queue_desc/queue_driver/queue_device are still 0 (desc 0x${vq.reg_desc.toString(16)}, driver 0x${vq.reg_avail.toString(16)}, device 0x${vq.reg_used.toString(16)}): write the ring addresses before enabling the queue`);
      }
      const err = vq.enable();
      if (err !== null) d.virtio_error("qlayout", err);
      else if (d.trace_on("virtio")) d.trace("virtio", `virtio_queue_enable ${vq.index}: num ${vq.num} desc 0x${vq.desc.toString(16)} driver 0x${vq.avail.toString(16)} device 0x${vq.used.toString(16)}`);
      return;
    }
    case VIRTIO_PCI_COMMON_Q_DESCLO:
    case VIRTIO_PCI_COMMON_Q_AVAILLO:
    case VIRTIO_PCI_COMMON_Q_USEDLO:
    case VIRTIO_PCI_COMMON_Q_DESCHI:
    case VIRTIO_PCI_COMMON_Q_AVAILHI:
    case VIRTIO_PCI_COMMON_Q_USEDHI: {
      if (vq.enabled) return d.warn_once("qaddr_live", `ring address written while queue ${vq.index} is enabled (ignored)`);
      const hi = f === VIRTIO_PCI_COMMON_Q_DESCHI || f === VIRTIO_PCI_COMMON_Q_AVAILHI || f === VIRTIO_PCI_COMMON_Q_USEDHI;
      const join = (cur: number): number => (hi ? v * 0x100000000 + (cur % 0x100000000) : Math.floor(cur / 0x100000000) * 0x100000000 + v);
      if (f === VIRTIO_PCI_COMMON_Q_DESCLO || f === VIRTIO_PCI_COMMON_Q_DESCHI) vq.reg_desc = join(vq.reg_desc);
      else if (f === VIRTIO_PCI_COMMON_Q_AVAILLO || f === VIRTIO_PCI_COMMON_Q_AVAILHI) vq.reg_avail = join(vq.reg_avail);
      else vq.reg_used = join(vq.reg_used);
      return;
    }
  }
}

/** "2" or "5 (refused: NO_VECTOR)" for trace lines. */
export function vector_str(asked: number, kept: number): string {
  return kept === VIRTIO_MSI_NO_VECTOR && asked !== VIRTIO_MSI_NO_VECTOR ? `${asked} (refused: NO_VECTOR)` : kept === VIRTIO_MSI_NO_VECTOR ? "NO_VECTOR" : `${kept}`;
}

const STATUS_BITS: readonly [number, string][] = [
  [VIRTIO_CONFIG_S_ACKNOWLEDGE, "ACKNOWLEDGE"],
  [VIRTIO_CONFIG_S_DRIVER, "DRIVER"],
  [VIRTIO_CONFIG_S_FEATURES_OK, "FEATURES_OK"],
  [VIRTIO_CONFIG_S_DRIVER_OK, "DRIVER_OK"],
  [VIRTIO_CONFIG_S_NEEDS_RESET, "NEEDS_RESET"],
  [VIRTIO_CONFIG_S_FAILED, "FAILED"],
];

/** "0x0b (ACKNOWLEDGE|DRIVER|FEATURES_OK)" for trace lines. */
export function status_str(s: number): string {
  const names = STATUS_BITS.filter(([b]) => (s & b) !== 0).map(([, n]) => n);
  return `0x${s.toString(16).padStart(2, "0")}${names.length > 0 ? ` (${names.join("|")})` : ""}`;
}
