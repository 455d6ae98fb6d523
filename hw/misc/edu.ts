import { PCI_CAP_ID_PM, PCI_VENDOR_ID_QEMU } from "../../include/kernel/pci.ts";
import { ClockEvent, type VirtualClock } from "../clock.ts";
import { PciDevice } from "../pci/pci_device.ts";
import type { PciDeviceTypeInfo } from "../core/qdev.ts";

/**
 * QEMU's "edu" educational PCI device (qemu/qemu docs/specs/edu.rst, hw/misc/edu.c), 1234:11E8:
 * a factorial unit, a liveness register, an interrupt you can raise from software and a small DMA
 * engine with a 4 KiB buffer — everything a first PCI driver needs to exercise.
 *
 * BAR0 (1 MiB MMIO), 32-bit accesses:
 *   0x00 RO  identification 0xRRrr00ed (major 1, minor 0: 0x010000ed)
 *   0x04 RW  liveness: reads the bitwise inverse of the last write
 *   0x08 RW  factorial: write n, read n! once status bit 0 clears (32-bit wrap-around)
 *   0x20 RW  status: bit 0 computing (RO), bit 7 raise interrupt 0x001 when the factorial is done
 *   0x24 RO  interrupt status; 0x60 WO raise (OR into it); 0x64 WO acknowledge (clear bits)
 *   0x80 RW  DMA source, 0x88 RW DMA destination, 0x90 RW DMA count
 *   0x98 RW  DMA command: bit 0 start, bit 1 direction (0 RAM→device, 1 device→RAM),
 *            bit 2 raise interrupt 0x100 when done
 * The device's DMA buffer sits at device address 0x40000 (4 KiB). The INTx line is asserted while
 * the interrupt status is non-zero. As in QEMU, a DMA transfer completes 100 ms (virtual) after it
 * is started, and bus addresses are limited to 28 bits.
 *
 * One addition: a PCI Power Management capability. In D3hot the device ignores MMIO (reads return
 * all ones), which gives drivers a capability list to walk.
 */
export const EDU_DMA_START = 0x40000;
export const EDU_DMA_SIZE = 4096;
export const EDU_DMA_MASK = (1 << 28) - 1;
const EDU_FACT_NS = 1_000;
const EDU_DMA_NS = 100_000_000;

export class EduDevice extends PciDevice {
  private readonly clock: VirtualClock;
  private liveness = 0;
  private fact = 0;
  private status = 0;
  private irq_status = 0;
  private dma_src = 0;
  private dma_dst = 0;
  private dma_cnt = 0;
  private dma_cmd = 0;
  readonly dma_buf = new Uint8Array(EDU_DMA_SIZE);
  private readonly fact_done: ClockEvent;
  private readonly dma_done: ClockEvent;
  private readonly pm_cap: number;

  constructor(clock: VirtualClock, name = "edu") {
    super(name, { vendor: PCI_VENDOR_ID_QEMU, device: 0x11e8, revision: 0x10, class_code: 0x00ff00, subsystem_vendor: 0x1af4, subsystem_id: 0x1100, interrupt_pin: 1 });
    this.clock = clock;
    this.register_bar(0, { kind: "mem32", size: 1 << 20, name: "edu-mmio", ops: { read: (o, w) => this.mmio_read(o, w), write: (o, w, v) => this.mmio_write(o, w, v) } });
    this.pm_cap = this.add_capability(PCI_CAP_ID_PM, 8);
    this.config[this.pm_cap + 2] = 0x03; // PMC: version 3 (PCI PM 1.2)
    this.cap_wmask(this.pm_cap + 4, [0x03]); // PMCSR PowerState is writable
    this.fact_done = new ClockEvent(`${name}-fact`, () => this.factorial_done());
    this.dma_done = new ClockEvent(`${name}-dma`, () => this.dma_finished());
  }

  private get d3(): boolean {
    return (this.config[this.pm_cap + 4]! & 3) !== 0;
  }

  reset(): void {
    this.liveness = this.fact = this.status = this.irq_status = 0;
    this.dma_src = this.dma_dst = this.dma_cnt = this.dma_cmd = 0;
    this.clock.disarm(this.fact_done);
    this.clock.disarm(this.dma_done);
    this.set_irq(false);
  }

  private mmio_read(off: number, width: number): number {
    if (width !== 4 || this.d3) return 0xffffffff;
    switch (off) {
      case 0x00:
        return 0x010000ed;
      case 0x04:
        return ~this.liveness >>> 0;
      case 0x08:
        return this.fact;
      case 0x20:
        return this.status;
      case 0x24:
        return this.irq_status;
      case 0x80:
        return this.dma_src;
      case 0x88:
        return this.dma_dst;
      case 0x90:
        return this.dma_cnt;
      case 0x98:
        return this.dma_cmd;
      default:
        return 0xffffffff; // QEMU's edu returns all ones for unimplemented registers
    }
  }

  private mmio_write(off: number, width: number, v: number): void {
    if (width !== 4 || this.d3) return;
    v >>>= 0;
    switch (off) {
      case 0x04:
        this.liveness = v;
        break;
      case 0x08:
        if (this.status & 1) break; // busy: ignored
        this.fact = v;
        this.status |= 1;
        this.clock.arm_in(this.fact_done, EDU_FACT_NS);
        break;
      case 0x20:
        this.status = (this.status & 1) | (v & 0x80);
        break;
      case 0x60:
        this.raise(v);
        break;
      case 0x64:
        this.irq_status &= ~v;
        if (this.irq_status === 0) this.set_irq(false);
        break;
      case 0x80:
        if (!(this.dma_cmd & 1)) this.dma_src = v;
        break;
      case 0x88:
        if (!(this.dma_cmd & 1)) this.dma_dst = v;
        break;
      case 0x90:
        if (!(this.dma_cmd & 1)) this.dma_cnt = v;
        break;
      case 0x98:
        if (!(v & 1) || (this.dma_cmd & 1)) break;
        this.dma_cmd = v;
        this.clock.arm_in(this.dma_done, EDU_DMA_NS);
        break;
    }
  }

  private raise(bits: number): void {
    this.irq_status = (this.irq_status | bits) >>> 0;
    if (this.irq_status !== 0) this.set_irq(true);
  }

  private factorial_done(): void {
    let n = this.fact;
    let r = 1;
    while (n > 1) r = Math.imul(r, n--) >>> 0;
    this.fact = r;
    this.status &= ~1;
    if (this.status & 0x80) this.raise(0x1);
  }

  private in_buffer(addr: number, len: number): boolean {
    return addr >= EDU_DMA_START && addr + len <= EDU_DMA_START + EDU_DMA_SIZE;
  }

  private dma_finished(): void {
    const to_ram = (this.dma_cmd & 2) !== 0;
    const len = this.dma_cnt;
    const dev_addr = to_ram ? this.dma_src : this.dma_dst;
    const ram_addr = ((to_ram ? this.dma_dst : this.dma_src) & EDU_DMA_MASK) >>> 0;
    if (!this.in_buffer(dev_addr, len)) {
      this.bus?.tracer.warn(`${this.name}: DMA range 0x${dev_addr.toString(16)}+0x${len.toString(16)} is outside the device buffer (0x40000-0x40fff); transfer dropped`);
    } else if (to_ram) {
      this.dma_write(ram_addr, this.dma_buf, dev_addr - EDU_DMA_START, len);
    } else {
      this.dma_read(ram_addr, this.dma_buf, dev_addr - EDU_DMA_START, len);
    }
    const cmd = this.dma_cmd;
    this.dma_cmd &= ~1;
    if (cmd & 4) this.raise(0x100);
  }
}

/** `-device edu` (QEMU's edu_info; pci.ids has no name for 1234:11e8, so lspci prints numbers). */
export const EDU_TYPE: PciDeviceTypeInfo = {
  name: "edu",
  category: "misc",
  realize: (_props, ctx) => new EduDevice(ctx.clock, ctx.name),
};
