/**
 * The local APIC's interrupt acceptance, as far as message-signalled interrupts need it (Intel SDM
 * vol. 3, 10.11 "Message Signalled Interrupts"; QEMU hw/intc/apic.c apic_mem_write): a device's
 * MSI or MSI-X message is a DWORD memory write into the window at 0xFEE00000–0xFEEFFFFF; the
 * address selects the destination APIC (bits 19:12; ringzero has one CPU, APIC ID 0) and the data's
 * low byte is the vector. The vector waits in the IRR until the CPU takes it (into the ISR), and
 * the kernel's EOI retires the highest vector in service.
 *
 * Vectors 0–31 are the CPU's exceptions: a message naming one is an APIC "received illegal vector"
 * error (SDM 10.5.3), counted and dropped. Edge semantics only: a vector raised twice before it is
 * taken is taken once.
 *
 * The I/O APIC's lines (hw/ioapic.ts) still reach the CPU by GSI; this is the path beside it.
 */
export const MSI_ADDR_BASE = 0xfee00000;
export const MSI_ADDR_MASK = 0xfff00000;
/** The lowest vector a device may use (32–255: 0–31 are exceptions). */
export const FIRST_EXTERNAL_VECTOR = 0x20;

export class LocalApic {
  /** Interrupt request register: vectors raised and not yet taken (256 bits). */
  private readonly irr = new Uint32Array(8);
  /** In-service register: vectors taken and not yet EOI'd. */
  private readonly isr = new Uint32Array(8);
  private pending_count = 0;
  /** "Received illegal vector" errors (ESR bit 6). */
  illegal_vectors = 0;
  /** Messages accepted, for statistics. */
  messages = 0;
  /** Called when a vector becomes deliverable (the run loop uses it to wake from a wall-clock wait). */
  on_deliverable: (() => void) | null = null;

  /** True when `addr` is in the MSI window (the bus routes such writes here, not to memory). */
  static is_msi_address(addr: number): boolean {
    return ((addr & MSI_ADDR_MASK) >>> 0) === MSI_ADDR_BASE;
  }

  /** A message: a DWORD write of `data` to `addr` in the MSI window. Returns false if it was refused. */
  msi_write(addr: number, data: number): boolean {
    const dest = (addr >>> 12) & 0xff;
    if (dest !== 0 && dest !== 0xff) return false; // no such APIC (0xff: broadcast)
    const vector = data & 0xff;
    if (vector < FIRST_EXTERNAL_VECTOR) {
      this.illegal_vectors++;
      return false;
    }
    this.messages++;
    const w = vector >>> 5;
    const bit = (1 << (vector & 31)) >>> 0;
    if ((this.irr[w]! & bit) === 0) {
      this.irr[w] = (this.irr[w]! | bit) >>> 0;
      this.pending_count++;
    }
    this.on_deliverable?.();
    return true;
  }

  /** Anything to deliver? */
  has_pending(): boolean {
    return this.pending_count > 0;
  }

  /** Take the highest pending vector (IRR → ISR); -1 when none. */
  ack(): number {
    if (this.pending_count === 0) return -1;
    for (let w = 7; w >= 0; w--) {
      const bits = this.irr[w]!;
      if (bits === 0) continue;
      const b = 31 - Math.clz32(bits);
      this.irr[w] = (bits & ~(1 << b)) >>> 0;
      this.isr[w] = (this.isr[w]! | (1 << b)) >>> 0;
      this.pending_count--;
      return w * 32 + b;
    }
    return -1;
  }

  /** EOI: retire the highest vector in service. */
  eoi(): void {
    for (let w = 7; w >= 0; w--) {
      const bits = this.isr[w]!;
      if (bits === 0) continue;
      this.isr[w] = (bits & ~(1 << (31 - Math.clz32(bits)))) >>> 0;
      return;
    }
  }

  /** Whether `vector` is waiting in the IRR (tests, `~info`). */
  is_pending(vector: number): boolean {
    return (this.irr[vector >>> 5]! & (1 << (vector & 31))) !== 0;
  }
}
