import { EINVAL, ENOSPC } from "../../include/linux/errno.ts";
import type { PciDev } from "../../include/linux/pci.ts";
import {
  PCI_CAP_ID_MSIX,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_MSIX_ENTRY_CTRL_MASKBIT,
  PCI_MSIX_ENTRY_DATA,
  PCI_MSIX_ENTRY_LOWER_ADDR,
  PCI_MSIX_ENTRY_SIZE,
  PCI_MSIX_ENTRY_UPPER_ADDR,
  PCI_MSIX_ENTRY_VECTOR_CTRL,
  PCI_MSIX_FLAGS,
  PCI_MSIX_FLAGS_BIRMASK,
  PCI_MSIX_FLAGS_ENABLE,
  PCI_MSIX_FLAGS_MASKALL,
  PCI_MSIX_FLAGS_QSIZE,
  PCI_MSIX_TABLE,
} from "../../include/kernel/pci.ts";
import { readl, writel } from "../io.ts";
import { irq_alloc_desc, irq_free_desc, irq_to_desc, type IrqChip, type IrqDesc } from "../irq/irqdesc.ts";
import { irq_alloc_vector, irq_free_vector } from "../irq/vector.ts";
import { DEFINE_PER_KERNEL, this_kernel } from "../kernel.ts";
import { WARN } from "../panic.ts";
import { pci_read_config_dword, pci_read_config_word, pci_write_config_word } from "./access.ts";
import { pci_find_capability, pci_iomap } from "./pci.ts";
import { kernfs_create, kernfs_remove } from "../fs/kernfs.ts";
import { pci_dev_sysfs_path } from "./pci_sysfs.ts";

/**
 * Interrupt vectors for PCI functions (drivers/pci/msi/*.c, reduced): pci_alloc_irq_vectors picks
 * MSI-X when the function has it and the caller allows it, else the legacy INTx line; the irqs are
 * then requested with request_irq(pci_irq_vector(dev, n), …) as usual.
 *
 * For MSI-X each vector gets an irq descriptor (numbered after the I/O APIC's lines), a CPU vector
 * (kernel/irq/vector.ts) and a table entry programmed with the local APIC's message address
 * (0xFEE00000, APIC ID 0) and the vector as data, masked until request_irq unmasks it. MSI
 * (capability 0x05, one message) is not offered: no device here has it. Process context.
 */
export const PCI_IRQ_LEGACY = 1 << 0;
export const PCI_IRQ_MSI = 1 << 1;
export const PCI_IRQ_MSIX = 1 << 2;
export const PCI_IRQ_ALL_TYPES = PCI_IRQ_LEGACY | PCI_IRQ_MSI | PCI_IRQ_MSIX;

/** The local APIC's message address for APIC ID 0 (x86 MSI address format, SDM 10.11.1). */
const MSI_ADDR = 0xfee00000;

/** What a function's vectors are: its MSI-X table mapping and the irq of each entry used. */
interface MsixVectors {
  readonly cap: number;
  /** The table, ioremapped. */
  readonly table: number;
  readonly irqs: number[];
  readonly vectors: number[];
}

class MsiState {
  readonly by_dev = new Map<PciDev, MsixVectors>();
}
const msi_state = DEFINE_PER_KERNEL(() => new MsiState());

/** Bits of an MSI hwirq that hold the vector's index (msi_index: MSI-X tables have up to 2048 entries). */
const MSI_INDEX_BITS = 11;

/**
 * pci_msi_domain_calc_hwirq() (Linux 6.1): the irq's number in the PCI-MSI domain, which
 * /proc/interrupts prints after the chip name — the vector's index, the function's requester id
 * (bus << 8 | devfn) above it, and the PCI domain (0 here) from bit 27: 00:03.0's vector 0 is 49152.
 */
export function pci_msi_domain_calc_hwirq(dev: PciDev, index: number): number {
  return index + ((dev.bus << 8) | dev.devfn) * 2 ** MSI_INDEX_BITS;
}

/** The vector index an MSI hwirq holds (its low bits). */
const msi_index = (d: IrqDesc): number => d.hwirq % 2 ** MSI_INDEX_BITS;

/**
 * The MSI-X chip of one function: masking writes the entry's Vector Control, EOI goes to the local
 * APIC. Named "PCI-MSI" as Linux 6.1's x86 pci_msi_controller is, for MSI and MSI-X alike (the
 * per-device "PCI-MSIX-0000:00:05.0" names came with the per-device MSI domains of 6.2).
 */
function msix_chip(table: number): IrqChip {
  const ctrl = (d: IrqDesc): number => table + msi_index(d) * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL;
  return {
    name: "PCI-MSI",
    mask: (d) => writel((readl(ctrl(d)) | PCI_MSIX_ENTRY_CTRL_MASKBIT) >>> 0, ctrl(d)),
    unmask: (d) => writel((readl(ctrl(d)) & ~PCI_MSIX_ENTRY_CTRL_MASKBIT) >>> 0, ctrl(d)),
    eoi: () => this_kernel().platform.ops.lapic_eoi(),
  };
}

/** pci_msix_vec_count(): the function's MSI-X table size, or -EINVAL without MSI-X. */
export function pci_msix_vec_count(dev: PciDev): number {
  const cap = pci_find_capability(dev, PCI_CAP_ID_MSIX);
  if (cap === 0) return -EINVAL;
  return (pci_read_config_word(dev, cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) + 1;
}

function msix_setup(dev: PciDev, nvec: number): number {
  const cap = pci_find_capability(dev, PCI_CAP_ID_MSIX);
  const tbl = pci_read_config_dword(dev, cap + PCI_MSIX_TABLE);
  const bar_base = pci_iomap(dev, tbl & PCI_MSIX_FLAGS_BIRMASK, 0);
  if (bar_base === 0) return -EINVAL;
  const table = bar_base + ((tbl & ~PCI_MSIX_FLAGS_BIRMASK) >>> 0);
  // Function Mask while the entries are written (msix_capability_init), then Enable.
  const flags = pci_read_config_word(dev, cap + PCI_MSIX_FLAGS);
  pci_write_config_word(dev, cap + PCI_MSIX_FLAGS, flags | PCI_MSIX_FLAGS_MASKALL | PCI_MSIX_FLAGS_ENABLE);
  const chip = msix_chip(table);
  const irqs: number[] = [];
  const vectors: number[] = [];
  for (let n = 0; n < nvec; n++) {
    const irq = irq_alloc_desc(chip, pci_msi_domain_calc_hwirq(dev, n), "edge");
    const vector = irq_alloc_vector(irq);
    if (vector < 0) {
      irq_free_desc(irq);
      for (let i = 0; i < irqs.length; i++) {
        irq_free_vector(vectors[i]!);
        irq_free_desc(irqs[i]!);
      }
      pci_write_config_word(dev, cap + PCI_MSIX_FLAGS, flags & ~(PCI_MSIX_FLAGS_MASKALL | PCI_MSIX_FLAGS_ENABLE));
      return -ENOSPC;
    }
    const e = table + n * PCI_MSIX_ENTRY_SIZE;
    writel(PCI_MSIX_ENTRY_CTRL_MASKBIT, e + PCI_MSIX_ENTRY_VECTOR_CTRL);
    writel(MSI_ADDR, e + PCI_MSIX_ENTRY_LOWER_ADDR);
    writel(0, e + PCI_MSIX_ENTRY_UPPER_ADDR);
    writel(vector, e + PCI_MSIX_ENTRY_DATA);
    irqs.push(irq);
    vectors.push(vector);
  }
  // INTx off while MSI-X is on (pci_intx(dev, 0)); the entries stay masked until request_irq.
  pci_write_config_word(dev, PCI_COMMAND, pci_read_config_word(dev, PCI_COMMAND) | PCI_COMMAND_INTX_DISABLE);
  pci_write_config_word(dev, cap + PCI_MSIX_FLAGS, (flags | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL);
  msi_state.get().by_dev.set(dev, { cap, table, irqs, vectors });
  msi_sysfs_populate(dev, irqs, "msix");
  return nvec;
}

/**
 * msi_sysfs_populate_desc(): the function's msi_irqs/ directory, one file per allocated irq
 * naming its kind ("msix" or "msi"), as Linux publishes it while the vectors are allocated.
 */
function msi_sysfs_populate(dev: PciDev, irqs: readonly number[], mode: "msi" | "msix"): void {
  for (const irq of irqs) kernfs_create(`${pci_dev_sysfs_path(dev)}/msi_irqs/${irq}`, { show: () => `${mode}\n` });
}

/** msi_sysfs_remove_desc(): the msi_irqs/ directory goes with the vectors. */
function msi_sysfs_remove(dev: PciDev): void {
  kernfs_remove(`${pci_dev_sysfs_path(dev)}/msi_irqs`);
}

/**
 * pci_alloc_irq_vectors(): between `min_vecs` and `max_vecs` interrupt vectors for `dev`, of a kind
 * `flags` allows (PCI_IRQ_MSIX, PCI_IRQ_LEGACY…). Returns how many were allocated, or -ENOSPC when
 * fewer than `min_vecs` are possible (a driver then asks again with less, or with INTx allowed).
 */
export function pci_alloc_irq_vectors(dev: PciDev, min_vecs: number, max_vecs: number, flags: number): number {
  if (min_vecs < 1 || max_vecs < min_vecs) return -EINVAL;
  if (WARN(msi_state.get().by_dev.has(dev), `${dev.name}: pci_alloc_irq_vectors called twice without pci_free_irq_vectors`)) return -EINVAL;
  if ((flags & PCI_IRQ_MSIX) !== 0) {
    const count = pci_msix_vec_count(dev);
    if (count >= min_vecs) {
      const r = msix_setup(dev, Math.min(count, max_vecs));
      if (r > 0) return r;
    }
  }
  if ((flags & PCI_IRQ_LEGACY) !== 0 && min_vecs === 1 && dev.irq > 0) return 1;
  return -ENOSPC;
}

/** pci_irq_vector(): the irq number of vector `nr` (for request_irq), or -EINVAL. */
export function pci_irq_vector(dev: PciDev, nr: number): number {
  const v = msi_state.get().by_dev.get(dev);
  if (v !== undefined) return nr >= 0 && nr < v.irqs.length ? v.irqs[nr]! : -EINVAL;
  return nr === 0 && dev.irq > 0 ? dev.irq : -EINVAL;
}

/**
 * pci_free_irq_vectors(): give back what pci_alloc_irq_vectors allocated. Every irq must have been
 * freed (free_irq) first; a vector still requested is a driver bug, reported and left in place.
 */
export function pci_free_irq_vectors(dev: PciDev): void {
  const st = msi_state.get();
  const v = st.by_dev.get(dev);
  if (v === undefined) return;
  for (const irq of v.irqs) {
    const d = irq_to_desc(irq);
    if (WARN((d?.actions.length ?? 0) > 0, `${dev.name}: pci_free_irq_vectors with irq ${irq} still requested`)) return;
  }
  for (let n = 0; n < v.irqs.length; n++) {
    writel(PCI_MSIX_ENTRY_CTRL_MASKBIT, v.table + n * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL);
    irq_free_vector(v.vectors[n]!);
    irq_free_desc(v.irqs[n]!);
  }
  const flags = pci_read_config_word(dev, v.cap + PCI_MSIX_FLAGS);
  pci_write_config_word(dev, v.cap + PCI_MSIX_FLAGS, flags & ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL));
  pci_write_config_word(dev, PCI_COMMAND, pci_read_config_word(dev, PCI_COMMAND) & ~PCI_COMMAND_INTX_DISABLE);
  st.by_dev.delete(dev);
  msi_sysfs_remove(dev);
}
