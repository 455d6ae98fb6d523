import { describe, expect, it } from "vitest";
import { PCI_CAP_ID_PM, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY, PCI_STATUS } from "../../include/kernel/pci.ts";
import { EduDevice } from "../../hw/misc/edu.ts";
import { PciDevice } from "../../hw/pci/pci_device.ts";
import { World } from "../../hw/world.ts";
import { MEMORY_MAP } from "../../hw/firmware.ts";

/** A device with every kind of BAR and a capability, for config-space tests. */
class TestDevice extends PciDevice {
  reads = 0;
  constructor() {
    super("testdev", { vendor: 0x1b36, device: 0x0005, revision: 1, class_code: 0xff0000, interrupt_pin: 2 });
    const ops = { read: () => (this.reads++, 0x5a5a5a5a), write: () => {} };
    this.register_bar(0, { kind: "mem32", size: 4096, name: "regs", ops });
    this.register_bar(1, { kind: "io", size: 32, name: "ports", ops });
    this.register_bar(2, { kind: "mem64", size: 1 << 20, prefetchable: true, name: "big", ops });
    this.add_capability(PCI_CAP_ID_PM, 8);
    this.add_capability(0x05, 12);
  }
  reset(): void {}
}

function machine_with(dev: PciDevice, slot = 5, fn = 0) {
  const world = new World();
  const m = world.add_machine({ mem_size: 8 << 20 });
  m.pci.plug(dev, slot, fn);
  const cfg = (devfn: number, off: number) => MEMORY_MAP.ECAM_BASE + (devfn << 12) + off;
  return { m, cfg };
}

describe("PCI configuration space (ECAM)", () => {
  it("reads IDs through ECAM and answers all ones for absent functions", () => {
    const { m, cfg } = machine_with(new TestDevice());
    expect(m.mmio.read(cfg(5 << 3, 0), 4)).toBe(0x00051b36);
    expect(m.mmio.read(cfg(0, 0), 4)).toBe(0x29c08086); // host bridge at 00:00.0
    expect(m.mmio.read(cfg(6 << 3, 0), 4)).toBe(0xffffffff);
    expect(m.mmio.read(cfg(6 << 3, 0), 2)).toBe(0xffff);
    expect(m.mmio.read(MEMORY_MAP.ECAM_BASE + (1 << 20), 4)).toBe(0xffffffff); // bus 1 is empty
  });

  it("keeps read-only fields read-only and applies the command write mask", () => {
    const { m, cfg } = machine_with(new TestDevice());
    const base = cfg(5 << 3, 0);
    m.mmio.write(base, 4, 0x12345678);
    expect(m.mmio.read(base, 4)).toBe(0x00051b36);
    m.mmio.write(base + PCI_COMMAND, 2, 0xffff);
    expect(m.mmio.read(base + PCI_COMMAND, 2)).toBe(0x0507);
    m.mmio.write(base + 0x08, 4, 0); // class/revision
    expect(m.mmio.read(base + 0x08, 4)).toBe(0xff000001);
  });

  it("sizes 32-bit, I/O and 64-bit BARs by writing all ones", () => {
    const dev = new TestDevice();
    const { m, cfg } = machine_with(dev);
    const bar = (i: number) => cfg(5 << 3, 0x10 + 4 * i);
    for (let i = 0; i < 6; i++) m.mmio.write(bar(i), 4, 0xffffffff);
    expect(m.mmio.read(bar(0), 4)).toBe(0xfffff000); // 4 KiB, memory, 32-bit, non-prefetchable
    expect(m.mmio.read(bar(1), 4)).toBe(0xffffffe1); // 32 bytes of I/O
    expect(m.mmio.read(bar(2), 4)).toBe(0xfff0000c); // 1 MiB, 64-bit (type 10b), prefetchable
    expect(m.mmio.read(bar(3), 4)).toBe(0xffffffff); // upper half of the 64-bit BAR
    expect(m.mmio.read(bar(4), 4)).toBe(0); // unimplemented
    m.mmio.write(bar(2), 4, 0xd0000000);
    m.mmio.write(bar(3), 4, 0x1);
    expect(dev.bar_address(2)).toBe(0x1_d000_0000);
  });

  it("has the firmware assign BARs in the windows and route INTx (slot 5, INTB# → GSI 11)", () => {
    const dev = new TestDevice();
    const { m } = machine_with(dev);
    m.platform();
    const a0 = dev.bar_address(0);
    const a2 = dev.bar_address(2);
    expect(a0 >= MEMORY_MAP.PCI_MMIO_BASE && a0 % 4096 === 0).toBe(true);
    expect(a2 % (1 << 20)).toBe(0);
    expect(dev.bar_address(1)).toBeGreaterThanOrEqual(MEMORY_MAP.PCI_IO_BASE);
    expect(dev.config[0x3c]).toBe(11);
    expect(dev.irq_pin?.gsi).toBe(11);
  });

  it("decodes a BAR only while the command register enables its space", () => {
    const dev = new TestDevice();
    const { m, cfg } = machine_with(dev);
    m.platform();
    const addr = dev.bar_address(0);
    expect(m.mmio.read(addr, 4)).toBe(0x5a5a5a5a);
    m.mmio.write(cfg(5 << 3, PCI_COMMAND), 2, 0); // memory decode off
    expect(m.mmio.read(addr, 4)).toBe(0xffffffff);
    expect(m.mmio.bus_errors).toBe(1);
    m.mmio.write(cfg(5 << 3, PCI_COMMAND), 2, PCI_COMMAND_MEMORY);
    expect(m.mmio.read(addr, 4)).toBe(0x5a5a5a5a);
    // Moving the BAR moves the decode.
    m.mmio.write(cfg(5 << 3, 0x10), 4, 0xc8000000);
    expect(m.mmio.read(0xc8000000, 4)).toBe(0x5a5a5a5a);
  });

  it("walks a capabilities list, newest first (QEMU links each new capability at the head)", () => {
    const { m, cfg } = machine_with(new TestDevice());
    const base = cfg(5 << 3, 0);
    expect(m.mmio.read(base + PCI_STATUS, 2) & 0x10).toBe(0x10);
    const first = m.mmio.read(base + 0x34, 1);
    expect(m.mmio.read(base + first, 1)).toBe(0x05); // added second
    const second = m.mmio.read(base + first + 1, 1);
    expect(m.mmio.read(base + second, 1)).toBe(PCI_CAP_ID_PM); // added first
    expect(second).toBe(0x40);
    expect(m.mmio.read(base + second + 1, 1)).toBe(0);
  });

  it("drives INTx unless INTx Disable is set, and shows it in Status", () => {
    const dev = new TestDevice();
    const { m, cfg } = machine_with(dev);
    m.ioapic.unmask(11);
    dev.set_irq(true);
    expect(m.ioapic.is_asserted(11)).toBe(true);
    expect(m.mmio.read(cfg(5 << 3, PCI_STATUS), 2) & 0x08).toBe(0x08);
    m.mmio.write(cfg(5 << 3, PCI_COMMAND), 2, PCI_COMMAND_INTX_DISABLE);
    expect(m.ioapic.is_asserted(11)).toBe(false);
    expect(m.mmio.read(cfg(5 << 3, PCI_STATUS), 2) & 0x08).toBe(0x08);
    m.mmio.write(cfg(5 << 3, PCI_COMMAND), 2, 0);
    expect(m.ioapic.is_asserted(11)).toBe(true);
  });

  it("refuses DMA while Bus Master is off, with a one-time warning", () => {
    const dev = new TestDevice();
    const { m, cfg } = machine_with(dev);
    const buf = new Uint8Array(4);
    expect(dev.dma_read(0x1000, buf, 0, 4)).toBe(false);
    expect(dev.dma_read(0x1000, buf, 0, 4)).toBe(false);
    expect(m.tracer.history.filter((l) => /Bus Master disabled/.test(l)).length).toBe(1);
    m.mmio.write(cfg(5 << 3, PCI_COMMAND), 2, PCI_COMMAND_MASTER);
    m.mem.u8.set([1, 2, 3, 4], 0x1000);
    expect(dev.dma_read(0x1000, buf, 0, 4)).toBe(true);
    expect([...buf]).toEqual([1, 2, 3, 4]);
  });

  it("marks function 0 multi-function when the slot has other functions", () => {
    const world = new World();
    const m = world.add_machine({ mem_size: 8 << 20 });
    m.pci.plug(new TestDevice(), 6, 0);
    m.pci.plug(new EduDevice(m.clock), 6, 3);
    expect(m.pci.find(6, 0)!.config[0x0e]! & 0x80).toBe(0x80);
    expect(() => m.pci.plug(new TestDevice(), 6, 3)).toThrow(/taken/);
  });
});
