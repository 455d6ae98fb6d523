import type { Tracer } from "./trace.ts";

/** Transfers up to this many bytes are copied in a loop instead of through a subarray view. */
const SHORT_COPY = 64;

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

  constructor(size: number, tracer: Tracer) {
    if (!Number.isInteger(size) || size <= 0 || size % 4096 !== 0) {
      throw new RangeError(`physical memory size must be a positive multiple of 4096, got ${size}`);
    }
    this.size = size;
    this.buffer = new ArrayBuffer(size);
    this.u8 = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.tracer = tracer;
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
   * Short transfers (descriptors, small frames) are copied byte by byte, which allocates nothing;
   * longer ones go through one subarray view.
   */
  dma_read(who: string, addr: number, dst: Uint8Array, dst_offset: number, len: number): boolean {
    if (!this.in_range(addr, len)) {
      this.bus_error(who, "read", addr, len);
      return false;
    }
    const u8 = this.u8;
    if (len <= SHORT_COPY) for (let i = 0; i < len; i++) dst[dst_offset + i] = u8[addr + i]!;
    else dst.set(u8.subarray(addr, addr + len), dst_offset);
    return true;
  }

  /** Copy into memory by DMA. Returns false (and reports) on a bus error; nothing is written then. */
  dma_write(who: string, addr: number, src: Uint8Array, src_offset: number, len: number): boolean {
    if (!this.in_range(addr, len)) {
      this.bus_error(who, "write", addr, len);
      return false;
    }
    const u8 = this.u8;
    if (len <= SHORT_COPY) for (let i = 0; i < len; i++) u8[addr + i] = src[src_offset + i]!;
    else u8.set(src.subarray(src_offset, src_offset + len), addr);
    return true;
  }
}
