import {
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

/**
 * Access widths on struct virtio_pci_common_cfg (virtio 1.2 §4.1.3): the spec asks drivers for
 * natural widths (64-bit fields as two 32-bit halves), QEMU's region takes any 1–4 byte access.
 * These helpers let the transport accept any of them: a read assembles its bytes field by field;
 * a write merges its bytes into each field it touches and writes each touched field once, whole,
 * so side effects (status, queue_enable) see complete values. Bytes outside every field read 0
 * and are ignored on write.
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
