import { describe, expect, it } from "vitest";
import { AddressSpace } from "../../hw/address_space.ts";
import { ONCHIP_BYTES, PhysicalMemory } from "../../hw/phys_mem.ts";
import { memcpy } from "../../lib/string.ts";
import { Tracer } from "../../hw/trace.ts";
import { World } from "../../hw/world.ts";

describe("physical memory", () => {
  it("reports a DMA outside memory as a bus error and copies nothing", () => {
    const tracer = new Tracer();
    const mem = new PhysicalMemory(64 * 1024, tracer);
    const buf = new Uint8Array(16).fill(7);
    expect(mem.dma_write("test", 64 * 1024 - 8, buf, 0, 16)).toBe(false);
    expect(mem.bus_errors).toBe(1);
    expect(mem.u8[64 * 1024 - 1]).toBe(0); // nothing written, nothing wrapped to address 0
    expect(mem.u8[0]).toBe(0);
    expect(tracer.history.at(-1)).toMatch(/bus error: test: DMA write of 16 bytes at 0xfff8 is outside physical memory/);
    expect(mem.dma_read("test", -4, buf, 0, 4)).toBe(false);
    expect(mem.bus_errors).toBe(2);
  });

  it("moves bytes in and out when in range", () => {
    const mem = new PhysicalMemory(8192, new Tracer());
    expect(mem.dma_write("t", 4000, Uint8Array.of(1, 2, 3), 0, 3)).toBe(true);
    const out = new Uint8Array(3);
    expect(mem.dma_read("t", 4000, out, 0, 3)).toBe(true);
    expect([...out]).toEqual([1, 2, 3]);
  });
});

describe("devices' on-chip memory", () => {
  it("lives above RAM in the same host buffer, where no DMA address reaches", () => {
    const mem = new PhysicalMemory(8192, new Tracer());
    const fifo = mem.alloc_onchip(100);
    expect(fifo.buffer).toBe(mem.buffer);
    expect(fifo.byteOffset).toBeGreaterThanOrEqual(8192);
    fifo.fill(0x5a);
    // The host bytes right above RAM are on-chip memory, but physical address 8192 is no RAM.
    const out = new Uint8Array(4);
    expect(mem.dma_read("t", 8192, out, 0, 4)).toBe(false);
    expect(mem.dma_write("t", 8190, Uint8Array.of(1, 2, 3, 4), 0, 4)).toBe(false);
    expect(mem.bus_errors).toBe(2);
    expect([...fifo.subarray(0, 4)]).toEqual([0x5a, 0x5a, 0x5a, 0x5a]);
    // In range, frames move both ways between RAM and on-chip memory.
    const frame = Uint8Array.from({ length: 60 }, (_, i) => i);
    expect(mem.dma_write("t", 100, frame, 0, 60)).toBe(true);
    expect(mem.dma_read("t", 100, fifo, 10, 60)).toBe(true);
    expect([...fifo.subarray(10, 70)]).toEqual([...frame]);
    expect(mem.dma_write("t", 4000, fifo, 10, 60)).toBe(true);
    expect([...mem.u8.subarray(4000, 4060)]).toEqual([...frame]);
  });

  it("hands out separate, aligned pieces, and buffers of their own once the reserve is spent", () => {
    const mem = new PhysicalMemory(8192, new Tracer());
    const a = mem.alloc_onchip(3);
    const b = mem.alloc_onchip(16);
    expect(b.byteOffset % 8).toBe(0);
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + 3);
    const big = mem.alloc_onchip(ONCHIP_BYTES);
    expect(big.buffer).not.toBe(mem.buffer);
    expect(big.length).toBe(ONCHIP_BYTES);
  });

  it("memcpy is a memmove within one buffer and a copy across two", () => {
    const buf = new Uint8Array(64).map((_, i) => i);
    const lo = new Uint8Array(buf.buffer, 0, 32);
    const hi = new Uint8Array(buf.buffer, 8, 32);
    memcpy(hi, 0, lo, 0, 20); // overlapping: bytes 0..19 land at 8..27
    expect([...buf.subarray(8, 28)]).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const other = new Uint8Array(200);
    const src = Uint8Array.from({ length: 150 }, (_, i) => 255 - i);
    memcpy(other, 5, src, 0, 150); // long: through a view
    memcpy(other, 0, src, 0, 5); // short: byte by byte
    expect([...other.subarray(5, 155)]).toEqual([...src]);
    expect([...other.subarray(0, 5)]).toEqual([...src.subarray(0, 5)]);
  });
});

describe("address space (MMIO bus)", () => {
  it("routes 8/16/32-bit accesses by range, relative to the mapping", () => {
    const bus = new AddressSpace("mmio", new Tracer());
    const log: string[] = [];
    bus.map(0x1000, 0x100, "dev", {
      read: (off, w) => {
        log.push(`r${w}@${off}`);
        return 0x1234;
      },
      write: (off, w, v) => log.push(`w${w}@${off}=${v}`),
    });
    expect(bus.read(0x1010, 4)).toBe(0x1234);
    bus.write(0x10fe, 2, 5);
    bus.write(0x1000, 1, 9);
    expect(log).toEqual(["r4@16", "w2@254=5", "w1@0=9"]);
  });

  it("answers an access nobody decodes with all ones and a bus error (master abort)", () => {
    const tracer = new Tracer();
    const bus = new AddressSpace("mmio", tracer);
    expect(bus.read(0xdead0000, 4)).toBe(0xffffffff);
    expect(bus.read(0xdead0000, 2)).toBe(0xffff);
    bus.write(0xdead0000, 4, 1);
    expect(bus.bus_errors).toBe(3);
    expect(tracer.history.at(-1)).toMatch(/no device decodes it/);
  });

  it("refuses overlapping mappings", () => {
    const bus = new AddressSpace("mmio", new Tracer());
    const ops = { read: () => 0, write: () => {} };
    bus.map(0x1000, 0x1000, "a", ops);
    expect(() => bus.map(0x1800, 0x1000, "b", ops)).toThrow(/overlaps a/);
  });

  it("lets the kernel reach RAM through the MMIO path too", () => {
    const world = new World();
    const m = world.add_machine({ mem_size: 4 * 1024 * 1024 });
    m.mmio.write(0x2000, 4, 0xcafebabe);
    expect(m.mem.view.getUint32(0x2000, true)).toBe(0xcafebabe);
    expect(m.mmio.read(0x2000, 2)).toBe(0xbabe);
  });
});
