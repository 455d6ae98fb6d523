import type { Tracer } from "./trace.ts";

/** A device's register window: offsets are relative to the start of the mapping. */
export interface MemoryRegionOps {
  read(offset: number, width: 1 | 2 | 4): number;
  write(offset: number, width: 1 | 2 | 4, value: number): void;
}

/** Dispatch cache entries: enough for four NICs' BARs (or NICs plus the interrupt controllers). */
const MAP_CACHE_SIZE = 4;

interface Mapping {
  base: number;
  end: number; // exclusive
  name: string;
  ops: MemoryRegionOps;
}

/**
 * An address space (QEMU's term): the MMIO bus or the port I/O bus. Routes 8/16/32-bit
 * accesses by address range to the device that decodes them. An access nobody decodes is a
 * master abort: reads return all ones, writes are dropped, and both are reported as bus errors.
 */
export class AddressSpace {
  readonly name: string;
  private readonly tracer: Tracer;
  private mappings: Mapping[] = [];
  /**
   * Dispatch cache: the last MAP_CACHE_SIZE distinct mappings hit, replaced round robin. One slot
   * per busy device, so two (or four) NICs whose drivers interleave their register accesses each
   * keep their own entry instead of evicting each other's on every access, as a single
   * last-hit entry would. Cleared whenever the map changes.
   */
  private readonly cache: (Mapping | null)[] = new Array<Mapping | null>(MAP_CACHE_SIZE).fill(null);
  private cache_next = 0;
  bus_errors = 0;

  constructor(name: string, tracer: Tracer) {
    this.name = name;
    this.tracer = tracer;
  }

  /** Map `ops` at [base, base+size). Overlaps are a machine-construction bug and throw. */
  map(base: number, size: number, name: string, ops: MemoryRegionOps): void {
    if (!this.try_map(base, size, name, ops)) {
      const other = this.mappings.find((m) => base < m.end && m.base < base + size)!;
      throw new Error(`${this.name}: ${name} at 0x${base.toString(16)}+0x${size.toString(16)} overlaps ${other.name}`);
    }
  }

  /** Map unless the range overlaps an existing mapping (a BAR programmed over another). */
  try_map(base: number, size: number, name: string, ops: MemoryRegionOps): boolean {
    const end = base + size;
    for (const m of this.mappings) if (base < m.end && m.base < end) return false;
    this.mappings.push({ base, end, name, ops });
    this.mappings.sort((a, b) => a.base - b.base);
    this.flush_cache();
    return true;
  }

  /** Remove the mapping of `ops` (a BAR being moved or disabled). */
  unmap(ops: MemoryRegionOps): void {
    this.mappings = this.mappings.filter((m) => m.ops !== ops);
    this.flush_cache();
  }

  private flush_cache(): void {
    this.cache.fill(null);
    this.cache_next = 0;
  }

  /** Where `ops` is mapped, or -1. */
  base_of(ops: MemoryRegionOps): number {
    for (const m of this.mappings) if (m.ops === ops) return m.base;
    return -1;
  }

  list(): { base: number; size: number; name: string }[] {
    return this.mappings.map((m) => ({ base: m.base, size: m.end - m.base, name: m.name }));
  }

  private find(addr: number, width: number): Mapping | null {
    const cache = this.cache;
    for (let i = 0; i < MAP_CACHE_SIZE; i++) {
      const c = cache[i];
      if (c === null || c === undefined) break; // slots fill in order from 0 after a flush
      if (addr >= c.base && addr + width <= c.end) return c;
    }
    for (const m of this.mappings) {
      if (addr >= m.base && addr + width <= m.end) {
        cache[this.cache_next] = m;
        this.cache_next = (this.cache_next + 1) % MAP_CACHE_SIZE;
        return m;
      }
    }
    return null;
  }

  read(addr: number, width: 1 | 2 | 4): number {
    const m = this.find(addr, width);
    if (m === null) {
      this.abort("read", addr, width);
      return width === 4 ? 0xffffffff : width === 2 ? 0xffff : 0xff;
    }
    return m.ops.read(addr - m.base, width);
  }

  write(addr: number, width: 1 | 2 | 4, value: number): void {
    const m = this.find(addr, width);
    if (m === null) {
      this.abort("write", addr, width);
      return;
    }
    m.ops.write(addr - m.base, width, value);
  }

  private abort(kind: string, addr: number, width: number): void {
    this.bus_errors++;
    this.tracer.warn(`bus error: ${width}-byte ${kind} at ${this.name} 0x${addr.toString(16)}: no device decodes it (master abort)`);
  }
}
