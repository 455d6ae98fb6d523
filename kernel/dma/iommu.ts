import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from "../../include/linux/dma-direction.ts";
import { IOMMU_READ, IOMMU_WRITE } from "../../include/linux/iommu.ts";
import { IRQ_HANDLED, IRQ_NONE, type IrqReturn } from "../../include/linux/interrupt.ts";
import { PCI_FUNC, PCI_SLOT } from "../../include/kernel/pci.ts";
import { request_irq } from "../irq/manage.ts";
import { DEFINE_PER_KERNEL, this_kernel } from "../kernel.ts";
import { pr_err, pr_info } from "../printk.ts";
import { ktime_get_ns, NSEC_PER_SEC } from "../time/timekeeping.ts";
import { debug_dma_device_fault } from "./debug.ts";

/**
 * The IOMMU side of the DMA API (drivers/iommu/dma-iommu.c and intel/dmar.c, reduced): when the
 * firmware describes a DMA remapping unit (`-machine iommu=on`), every mapping the DMA API makes is
 * also opened in the unit for its device — read for DMA_TO_DEVICE, write for DMA_FROM_DEVICE, both
 * for bidirectional and coherent memory — and closed again at unmap, so a device can reach only
 * what its driver mapped. A blocked access raises the unit's fault interrupt; the handler prints
 * Linux's DMAR line and tells dma-debug.
 *
 * Bus addresses stay equal to physical addresses (an identity-mapped domain; see hw/iommu.ts).
 * Any context; never sleeps.
 */
/** The device behind the unit: its PCI device/function is the requester id. */
export interface IommuDevice {
  readonly name: string;
  readonly devfn?: number;
}

class IommuState {
  present = false;
  /** Rate limiting of the fault lines (pr_err_ratelimited). */
  window_start_ns = -Infinity;
  printed = 0;
  suppressed = 0;
}
const iommu_state = DEFINE_PER_KERNEL(() => new IommuState());

/** dma_info_to_prot(): what the device may do with a mapping made in direction `dir`. */
function dma_info_to_prot(dir: number): number {
  if (dir === DMA_TO_DEVICE) return IOMMU_READ;
  if (dir === DMA_FROM_DEVICE) return IOMMU_WRITE;
  return IOMMU_READ | IOMMU_WRITE;
}

/** Open [addr, addr+size) in the unit for `dev` (a mapping in direction `dir`). */
export function iommu_dma_map(dev: IommuDevice, addr: number, size: number, dir: number): void {
  if (!iommu_state.get().present || dev.devfn === undefined) return;
  this_kernel().platform.ops.iommu_map(dev.devfn, addr, size, dma_info_to_prot(dir));
}

export function iommu_dma_unmap(dev: IommuDevice, addr: number, size: number, dir: number): void {
  if (!iommu_state.get().present || dev.devfn === undefined) return;
  this_kernel().platform.ops.iommu_unmap(dev.devfn, addr, size, dma_info_to_prot(dir));
}

const REASON: Record<number, string> = { 5: "PTE Write access is not set", 6: "PTE Read access is not set" };
/** pr_err_ratelimited's defaults: at most 10 fault lines per 5 s; the rest are counted. */
const RATELIMIT_BURST = 10;
const RATELIMIT_INTERVAL_NS = 5 * NSEC_PER_SEC;

/** dmar_fault(): read every fault record, print it as Linux does, hand it to dma-debug. Hard-IRQ context. */
function dmar_fault(): IrqReturn {
  const ops = this_kernel().platform.ops;
  let f = ops.iommu_read_fault();
  if (f === null) return IRQ_NONE;
  const st = iommu_state.get();
  const now = ktime_get_ns();
  if (now - st.window_start_ns >= RATELIMIT_INTERVAL_NS) {
    if (st.suppressed > 0) pr_err("DMAR: %d fault reports suppressed\n", st.suppressed);
    st.window_start_ns = now;
    st.printed = 0;
    st.suppressed = 0;
  }
  while (f !== null) {
    if (st.printed++ < RATELIMIT_BURST) {
      pr_err(
        "DMAR: [DMA %s NO_PASID] Request device [00:%02x.%d] fault addr 0x%x [fault reason 0x%02x] %s\n",
        f.write ? "Write" : "Read",
        PCI_SLOT(f.devfn),
        PCI_FUNC(f.devfn),
        f.addr,
        f.reason,
        REASON[f.reason] ?? "Unknown",
      );
    } else {
      st.suppressed++;
    }
    debug_dma_device_fault(f.devfn, f.addr, f.write);
    f = ops.iommu_read_fault();
  }
  return IRQ_HANDLED;
}

/**
 * intel_iommu_init(): with a DMAR table, take the fault interrupt and turn translation on. From
 * then on a device reaches only what the DMA API mapped for it. Boot, before any driver probes.
 */
export function intel_iommu_init(): void {
  const dmar = this_kernel().platform.firmware.dmar;
  if (dmar === null) return;
  const err = request_irq(dmar.fault_gsi, dmar_fault, 0, "dmar0", null);
  if (err !== 0) {
    pr_err("DMAR: cannot take the fault interrupt (%d); IOMMU left off\n", err);
    return;
  }
  this_kernel().platform.ops.iommu_enable(true);
  iommu_state.get().present = true;
  pr_info("DMAR: IOMMU enabled\n");
  pr_info("DMAR: Intel(R) Virtualization Technology for Directed I/O (identity-mapped domains)\n");
}
