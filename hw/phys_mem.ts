import { memcpy } from "../lib/string.ts";
import { CpuCache } from "./cpu_cache.ts";
import type { Tracer } from "./trace.ts";

/**
 * Transfers up to this many bytes (a descriptor, a status byte) are copied in a loop even within
 * one buffer: a copyWithin call costs more than a few byte moves.
 */
const TINY_COPY = 16;

/**
 * Host bytes reserved after RAM for devices' on-chip memory (alloc_onchip): FIFOs, staging
 * buffers, descriptor caches. An e1000 takes about 115 KiB.
 */
export const ONCHIP_BYTES = 512 * 1024;

/** Where a device's on-chip buffers come from: PhysicalMemory.alloc_onchip once it is realized. */
export type OnchipAlloc = (len: number) => Uint8Array;
/** Buffers of their own, for a device not yet on a bus. */
export const host_alloc: OnchipAlloc = (len) => new Uint8Array(len);

/** A DataView over exactly `b`. */
export function view_of(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Physical memory: one ArrayBuffer. The kernel sees it as its direct map; devices reach it by
 * DMA through the checked helpers here. An access outside [0, size) is a bus error: it is
 * reported and counted, never wrapped or clamped.
 */
export class PhysicalMemory {
  readonly size: number;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  /** Little-endian accessors are used by callers (`getUint32(addr, true)`). */
  readonly view: DataView;
  bus_errors = 0;
  last_bus_error = "";
  private readonly tracer: Tracer;

  /** Bytes of on-chip memory handed out (alloc_onchip), from `size` upwards in `buffer`. */
  onchip_used = 0;

  /**
   * The CPU's data cache when devices do not snoop it (dma_coherent false; hw/cpu_cache.ts), else
   * null: then a DMA reaches the very bytes the CPU reads.
   */
  readonly cache: CpuCache | null;

  constructor(size: number, tracer: Tracer, dma_coherent = true) {
    if (!Number.isInteger(size) || size <= 0 || size % 4096 !== 0) {
      throw new RangeError(`physical memory size must be a positive multiple of 4096, got ${size}`);
    }
    this.size = size;
    // RAM, then the devices' on-chip memory: one host buffer, so that a DMA between them is one
    // memmove. Only [0, size) has physical addresses; nothing above it is reachable by address.
    // A non-coherent machine keeps DRAM's own copy of RAM after that (hw/cpu_cache.ts).
    const dram_base = size + ONCHIP_BYTES;
    this.buffer = new ArrayBuffer(dma_coherent ? dram_base : dram_base + size);
    this.u8 = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.tracer = tracer;
    this.cache = dma_coherent ? null : new CpuCache(this.u8, size, dram_base);
  }

  /**
   * `len` bytes of a device's on-chip memory (a FIFO, a staging buffer), zeroed: in the host buffer
   * above RAM while the reserve lasts (ONCHIP_BYTES), else a buffer of its own — slower copies,
   * same behaviour. Called when a device is realized on its bus.
   */
  alloc_onchip(len: number): Uint8Array {
    const at = (this.onchip_used + 7) & ~7;
    if (at + len > ONCHIP_BYTES) return new Uint8Array(len);
    this.onchip_used = at + len;
    return new Uint8Array(this.buffer, this.size + at, len);
  }

  /** True when [addr, addr+len) lies inside RAM. */
  in_range(addr: number, len: number): boolean {
    return addr >= 0 && len >= 0 && addr + len <= this.size;
  }

  /** Record a bus error (master abort on a DMA or CPU access outside memory). */
  bus_error(who: string, kind: "read" | "write", addr: number, len: number): void {
    this.bus_errors++;
    this.last_bus_error = `${who}: DMA ${kind} of ${len} bytes at 0x${addr.toString(16)} is outside physical memory (0-0x${(this.size - 1).toString(16)})`;
    this.tracer.warn(`bus error: ${this.last_bus_error}`);
  }

  /**
   * Copy out of memory by DMA. Returns false (and reports) on a bus error; nothing is copied then.
   * A frame into on-chip memory (the usual case) is one memmove; see memcpy in lib/string.ts.
   */
  dma_read(who: string, addr: number, dst: Uint8Array, dst_offset: number, len: number): boolean {
    if (!this.in_range(addr, len)) {
      this.bus_error(who, "read", addr, len);
      return false;
    }
    const u8 = this.u8;
    if (this.cache !== null) this.noncoherent_dma(addr, dst, dst_offset, len, false);
    else if (len <= TINY_COPY) for (let i = 0; i < len; i++) dst[dst_offset + i] = u8[addr + i]!;
    else if (dst.buffer === this.buffer) u8.copyWithin(dst.byteOffset + dst_offset, addr, addr + len);
    else memcpy(dst, dst_offset, u8, addr, len);
    return true;
  }

  /** Copy into memory by DMA. Returns false (and reports) on a bus error; nothing is written then. */
  dma_write(who: string, addr: number, src: Uint8Array, src_offset: number, len: number): boolean {
    if (!this.in_range(addr, len)) {
      this.bus_error(who, "write", addr, len);
      return false;
    }
    const u8 = this.u8;
    if (this.cache !== null) this.noncoherent_dma(addr, src, src_offset, len, true);
    else if (len <= TINY_COPY) for (let i = 0; i < len; i++) u8[addr + i] = src[src_offset + i]!;
    else if (src.buffer === this.buffer) u8.copyWithin(addr, src.byteOffset + src_offset, src.byteOffset + src_offset + len);
    else memcpy(u8, addr, src, src_offset, len);
    return true;
  }

  /** A device's transfer on a non-coherent machine: page by page, DRAM's copy or an uncached page. */
  private noncoherent_dma(addr: number, other: Uint8Array, other_offset: number, len: number, to_memory: boolean): void {
    const cache = this.cache!;
    while (len > 0) {
      const n = Math.min(len, (Math.floor(addr / 4096) + 1) * 4096 - addr);
      const at = cache.device_offset(addr);
      if (to_memory) memcpy(this.u8, at, other, other_offset, n);
      else memcpy(other, other_offset, this.u8, at, n);
      addr += n;
      other_offset += n;
      len -= n;
    }
  }
}
