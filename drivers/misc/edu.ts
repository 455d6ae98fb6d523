/**
 * Driver for QEMU's "edu" teaching device (1234:11E8; hw/misc/edu.ts models it, after QEMU's
 * docs/specs/edu.rst). A complete small PCI driver: enable, bus mastering, BAR mapping, an
 * identification check, a shared interrupt, coherent DMA and a completion.
 *
 * Per bound device it adds two files:
 *   /sys/bus/pci/devices/DEV/factorial  write n, read n! (computed by the device, IRQ-driven)
 *   /sys/bus/pci/devices/DEV/dma_test   read: copy 4 KiB RAM → device → RAM by DMA and compare
 */
import { EINVAL, EIO, ENODEV, ENOMEM, ETIMEDOUT } from "../../include/linux/errno.ts";
import { IRQ_HANDLED, IRQ_NONE, IRQF_SHARED } from "../../include/linux/interrupt.ts";
import type { ModuleInfo } from "../../include/linux/module.ts";
import { PCI_DEVICE, type PciDev, type PciDriver } from "../../include/linux/pci.ts";
import { PCI_VENDOR_ID_QEMU } from "../../include/kernel/pci.ts";
import { dma_alloc_coherent, dma_free_coherent, type DmaCoherent } from "../../kernel/dma/mapping.ts";
import { kernfs_create, kernfs_remove } from "../../kernel/fs/kernfs.ts";
import { readl, writel } from "../../kernel/io.ts";
import { free_irq, request_irq } from "../../kernel/irq/manage.ts";
import { pci_clear_master, pci_disable_device, pci_enable_device, pci_get_drvdata, pci_iomap, pci_iounmap, pci_set_drvdata, pci_set_master } from "../../kernel/pci/pci.ts";
import { pci_register_driver, pci_unregister_driver } from "../../kernel/pci/pci_driver.ts";
import { pr_info } from "../../kernel/printk.ts";
import { Completion, reinit_completion, wait_for_completion_timeout } from "../../kernel/sched/completion.ts";
import { complete } from "../../kernel/sched/completion.ts";
import { msecs_to_jiffies } from "../../kernel/time/timekeeping.ts";

/* Registers (byte offsets into BAR0), from docs/specs/edu.rst. */
const EDU_ID = 0x00;
const EDU_LIVENESS = 0x04;
const EDU_FACTORIAL = 0x08;
const EDU_STATUS = 0x20;
const EDU_STATUS_IRQFACT = 0x80;
const EDU_IRQ_STATUS = 0x24;
const EDU_IRQ_ACK = 0x64;
const EDU_DMA_SRC = 0x80;
const EDU_DMA_DST = 0x88;
const EDU_DMA_CNT = 0x90;
const EDU_DMA_CMD = 0x98;
const EDU_DMA_CMD_START = 0x01;
const EDU_DMA_CMD_TO_RAM = 0x02;
const EDU_DMA_CMD_IRQ = 0x04;
const EDU_IRQ_FACT = 0x001;
const EDU_IRQ_DMA = 0x100;
/** The device's buffer address in its own DMA address space. */
const EDU_BUF = 0x40000;
const EDU_BUF_SIZE = 4096;

interface EduPriv {
  readonly pdev: PciDev;
  readonly hw: number;
  readonly dma: DmaCoherent;
  readonly done: Completion;
  last_irq: number;
  factorial: number;
}

/** Hard IRQ: claim only our causes, acknowledge them, wake the waiter. */
function edu_irq(_irq: number, dev_id: unknown): typeof IRQ_HANDLED | typeof IRQ_NONE {
  const edu = dev_id as EduPriv;
  const status = readl(edu.hw + EDU_IRQ_STATUS);
  if (status === 0) return IRQ_NONE;
  writel(status, edu.hw + EDU_IRQ_ACK);
  edu.last_irq = status;
  complete(edu.done);
  return IRQ_HANDLED;
}

/** Compute n! on the device. Process context. */
async function edu_factorial(edu: EduPriv, n: number): Promise<number> {
  reinit_completion(edu.done);
  writel(EDU_STATUS_IRQFACT, edu.hw + EDU_STATUS);
  writel(n, edu.hw + EDU_FACTORIAL);
  if ((await wait_for_completion_timeout(edu.done, msecs_to_jiffies(100))) === 0) return -ETIMEDOUT;
  if (!(edu.last_irq & EDU_IRQ_FACT)) return -EIO;
  return readl(edu.hw + EDU_FACTORIAL);
}

async function edu_dma(edu: EduPriv, src: number, dst: number, len: number, to_ram: boolean): Promise<number> {
  reinit_completion(edu.done);
  writel(src, edu.hw + EDU_DMA_SRC);
  writel(dst, edu.hw + EDU_DMA_DST);
  writel(len, edu.hw + EDU_DMA_CNT);
  writel(EDU_DMA_CMD_START | EDU_DMA_CMD_IRQ | (to_ram ? EDU_DMA_CMD_TO_RAM : 0), edu.hw + EDU_DMA_CMD);
  if ((await wait_for_completion_timeout(edu.done, msecs_to_jiffies(1000))) === 0) return -ETIMEDOUT;
  return edu.last_irq & EDU_IRQ_DMA ? 0 : -EIO;
}

/** Round trip: first half of our buffer → device → second half, then compare. */
async function edu_dma_test(edu: EduPriv): Promise<string> {
  const half = EDU_BUF_SIZE / 2;
  const buf = edu.dma.cpu_addr;
  for (let i = 0; i < half; i++) buf[i] = (i * 7 + 3) & 0xff;
  buf.fill(0, half);
  let r = await edu_dma(edu, edu.dma.dma_handle, EDU_BUF, half, false);
  if (r === 0) r = await edu_dma(edu, EDU_BUF, edu.dma.dma_handle + half, half, true);
  if (r !== 0) return `error ${r}\n`;
  for (let i = 0; i < half; i++) if (buf[i] !== buf[half + i]) return `mismatch at byte ${i}\n`;
  return `ok ${half} bytes\n`;
}

async function edu_probe(pdev: PciDev): Promise<number> {
  let err = pci_enable_device(pdev);
  if (err) return err;
  err_disable: {
    pci_set_master(pdev);
    const hw = pci_iomap(pdev, 0, 0);
    if (hw === 0) {
      err = -ENOMEM;
      break err_disable;
    }
    err_unmap: {
      const id = readl(hw + EDU_ID);
      if ((id & 0xffff) !== 0x00ed || id >>> 24 !== 1) {
        err = -ENODEV;
        break err_unmap;
      }
      writel(0x12345678, hw + EDU_LIVENESS);
      if (readl(hw + EDU_LIVENESS) !== (~0x12345678 >>> 0)) {
        err = -EIO;
        break err_unmap;
      }
      const dma = dma_alloc_coherent(pdev, EDU_BUF_SIZE);
      if (dma === null) {
        err = -ENOMEM;
        break err_unmap;
      }
      err_free_dma: {
        const edu: EduPriv = { pdev, hw, dma, done: new Completion(), last_irq: 0, factorial: 0 };
        err = request_irq(pdev.irq, edu_irq, IRQF_SHARED, "edu", edu);
        if (err) break err_free_dma;
        err_free_irq: {
          const f = await edu_factorial(edu, 5);
          if (f !== 120) {
            err = f < 0 ? f : -EIO;
            break err_free_irq;
          }
          pci_set_drvdata(pdev, edu);
          const base = `/sys/bus/pci/devices/${pdev.name}`;
          kernfs_create(`${base}/factorial`, {
            show: () => `${edu.factorial}\n`,
            store: async (data) => {
              const n = Number(data.trim());
              if (!Number.isInteger(n) || n < 0) return -EINVAL;
              const r = await edu_factorial(edu, n);
              if (r < 0) return r;
              edu.factorial = r;
              return data.length;
            },
          });
          kernfs_create(`${base}/dma_test`, { show: () => "write anything to run the DMA round trip; read the result\n", store: async (d) => {
            edu.factorial = 0;
            const res = await edu_dma_test(edu);
            pr_info("edu %s: DMA test: %s\n", pdev.name, res.trim());
            return res.startsWith("ok") ? d.length : -EIO;
          } });
          pr_info("edu %s: edu v%d.%d, irq %d, 5! = %d\n", pdev.name, id >>> 24, (id >>> 16) & 0xff, pdev.irq, f);
          return 0;
        }
        free_irq(pdev.irq, edu);
      }
      dma_free_coherent(pdev, EDU_BUF_SIZE, dma);
    }
    pci_iounmap(pdev, hw);
  }
  pci_clear_master(pdev);
  pci_disable_device(pdev);
  return err;
}

function edu_remove(pdev: PciDev): void {
  const edu = pci_get_drvdata<EduPriv>(pdev);
  kernfs_remove(`/sys/bus/pci/devices/${pdev.name}/factorial`);
  kernfs_remove(`/sys/bus/pci/devices/${pdev.name}/dma_test`);
  free_irq(pdev.irq, edu);
  dma_free_coherent(pdev, EDU_BUF_SIZE, edu.dma);
  pci_iounmap(pdev, edu.hw);
  pci_clear_master(pdev);
  pci_disable_device(pdev);
}

export const edu_driver: PciDriver = {
  name: "edu",
  id_table: [PCI_DEVICE(PCI_VENDOR_ID_QEMU, 0x11e8)],
  probe: edu_probe,
  remove: edu_remove,
};

const edu_module: ModuleInfo = {
  name: "edu",
  description: "QEMU edu educational PCI device",
  license: "MIT",
  init: () => pci_register_driver(edu_driver),
  exit: () => pci_unregister_driver(edu_driver),
};
export default edu_module;
