import { describe, expect, it } from "vitest";
import { AddressSpace, type MemoryRegionOps } from "../../hw/address_space.ts";
import { PhysicalMemory } from "../../hw/phys_mem.ts";
import { Tracer } from "../../hw/trace.ts";

/** A register window that answers reads with its own tag, so a misrouted access shows. */
function tagged(tag: number): MemoryRegionOps {
  return { read: (off) => tag + off, write: () => {} };
}

describe("MMIO dispatch cache (issue 12)", () => {
  it("interleaved accesses to several devices each reach their own device", () => {
    const bus = new AddressSpace("mmio", new Tracer());
    const bases = [0xfeb00000, 0xfeb20000, 0xfeb40000, 0xfeb60000, 0xfeb80000, 0xfec00000];
    bases.forEach((b, i) => bus.map(b, 0x20000, `nic${i}`, tagged((i + 1) << 24)));
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < bases.length; i++) expect(bus.read(bases[i]! + 0x3818, 4)).toBe(((i + 1) << 24) + 0x3818);
    }
    expect(bus.read(0xfeb00000 - 4, 4)).toBe(0xffffffff); // the gap below is still a master abort
    expect(bus.bus_errors).toBe(1);
  });

  it("a BAR moved (unmapped and mapped elsewhere) is never reached at its old address", () => {
    const bus = new AddressSpace("mmio", new Tracer());
    const a = tagged(0x100);
    const b = tagged(0x200);
    bus.map(0x10000, 0x1000, "a", a);
    bus.map(0x20000, 0x1000, "b", b);
    expect(bus.read(0x10000, 4)).toBe(0x100); // both now cached
    expect(bus.read(0x20000, 4)).toBe(0x200);
    bus.unmap(a);
    expect(bus.read(0x10000, 4)).toBe(0xffffffff);
    expect(bus.bus_errors).toBe(1);
    bus.map(0x30000, 0x1000, "a", a);
    expect(bus.read(0x30004, 4)).toBe(0x104);
    expect(bus.read(0x20000, 4)).toBe(0x200);
  });
});

describe("DMA copies of every length (issue 12)", () => {
  it("copies 1..200 bytes exactly, at offsets, without touching neighbours", () => {
    const mem = new PhysicalMemory(8192, new Tracer());
    for (let len = 1; len <= 200; len += 7) {
      const src = new Uint8Array(256).map((_, i) => (i * 31 + len) & 0xff);
      mem.u8.fill(0xee);
      expect(mem.dma_write("t", 1000, src, 3, len)).toBe(true);
      expect(mem.u8[999]).toBe(0xee);
      expect(mem.u8[1000 + len]).toBe(0xee);
      const out = new Uint8Array(256).fill(0x55);
      expect(mem.dma_read("t", 1000, out, 5, len)).toBe(true);
      expect([...out.subarray(5, 5 + len)]).toEqual([...src.subarray(3, 3 + len)]);
      expect(out[4]).toBe(0x55);
      expect(out[5 + len]).toBe(0x55);
    }
  });
});
