import { DEFINE_PER_KERNEL } from "../kernel.ts";

/**
 * Interrupt vectors (arch/x86/kernel/apic/vector.c, reduced to one CPU): message-signalled
 * interrupts reach the CPU as a vector number, and vector_irq[] says which irq descriptor each
 * one belongs to. Device vectors come from 0x30 up to 0xEF (0x00–0x1F are exceptions; 0xF0 and up
 * are Linux's system vectors: timer, IPIs, spurious). Process context for allocation; lookups in
 * hard-IRQ context.
 */
export const FIRST_DEVICE_VECTOR = 0x30;
export const LAST_DEVICE_VECTOR = 0xef;

class VectorTable {
  readonly vector_irq = new Int32Array(256).fill(-1);
}
const vectors = DEFINE_PER_KERNEL(() => new VectorTable());

/** Give `irq` a free vector; -1 when all are taken (the caller fails with -ENOSPC). */
export function irq_alloc_vector(irq: number): number {
  const t = vectors.get().vector_irq;
  for (let v = FIRST_DEVICE_VECTOR; v <= LAST_DEVICE_VECTOR; v++) {
    if (t[v] === -1) {
      t[v] = irq;
      return v;
    }
  }
  return -1;
}

export function irq_free_vector(vector: number): void {
  if (vector >= FIRST_DEVICE_VECTOR && vector <= LAST_DEVICE_VECTOR) vectors.get().vector_irq[vector] = -1;
}

/** The irq a vector belongs to, or -1. */
export function vector_to_irq(vector: number): number {
  return vector >= 0 && vector < 256 ? vectors.get().vector_irq[vector]! : -1;
}
