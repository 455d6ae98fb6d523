/** Resources (include/linux/ioport.h): an address range a device decodes. */
export const IORESOURCE_IO = 0x00000100;
export const IORESOURCE_MEM = 0x00000200;
export const IORESOURCE_PREFETCH = 0x00002000;
export const IORESOURCE_MEM_64 = 0x00100000;
/** A driver has claimed the range (request_region, pci_request_regions: kernel/resource.ts). */
export const IORESOURCE_BUSY = 0x80000000;

export interface Resource {
  /** First address, inclusive. */
  start: number;
  /** Last address, inclusive (start - 1 when empty). */
  end: number;
  flags: number;
  name: string;
}

export function resource_size(r: Resource): number {
  return r.end - r.start + 1;
}
