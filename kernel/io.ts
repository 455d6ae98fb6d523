import { this_kernel } from "./kernel.ts";

/**
 * MMIO and port I/O accessors (arch/x86/include/asm/io.h). An MMIO "address" here is the physical
 * address a BAR was mapped at (ioremap is the identity: there is no paging), so a driver writes
 * `readl(hw_addr + E1000_STATUS)` as it would in C. All accessors work in any context.
 */
export function readb(addr: number): number {
  return this_kernel().platform.ops.mmio_read(addr, 1);
}
export function readw(addr: number): number {
  return this_kernel().platform.ops.mmio_read(addr, 2);
}
export function readl(addr: number): number {
  return this_kernel().platform.ops.mmio_read(addr, 4);
}
export function writeb(value: number, addr: number): void {
  this_kernel().platform.ops.mmio_write(addr, 1, value & 0xff);
}
export function writew(value: number, addr: number): void {
  this_kernel().platform.ops.mmio_write(addr, 2, value & 0xffff);
}
export function writel(value: number, addr: number): void {
  this_kernel().platform.ops.mmio_write(addr, 4, value >>> 0);
}
export function inb(port: number): number {
  return this_kernel().platform.ops.io_read(port, 1);
}
export function inw(port: number): number {
  return this_kernel().platform.ops.io_read(port, 2);
}
export function inl(port: number): number {
  return this_kernel().platform.ops.io_read(port, 4);
}
export function outb(value: number, port: number): void {
  this_kernel().platform.ops.io_write(port, 1, value & 0xff);
}
export function outw(value: number, port: number): void {
  this_kernel().platform.ops.io_write(port, 2, value & 0xffff);
}
export function outl(value: number, port: number): void {
  this_kernel().platform.ops.io_write(port, 4, value >>> 0);
}

/** ioremap(): map `size` bytes of MMIO at physical `phys`. Identity here; returns the address. */
export function ioremap(phys: number, _size: number): number {
  return phys;
}

export function iounmap(_addr: number): void {}
