/**
 * /proc/iomem and /proc/ioports (kernel/resource.c's resource trees and r_show): the address
 * ranges the kernel knows, nested as insert_resource() nests them, each line
 * "start-end : name" indented two spaces per level.
 *
 * What the kernel knows here: the firmware's e820 map ("System RAM", "Reserved" …), the ECAM
 * windows ("PCI MMCONFIG 0000 [bus 00-ff]", Linux 6.1's name for them), the host bridge's windows
 * ("PCI Bus 0000:00", from its _CRS), every PCI BAR (named after its function, "0000:00:03.0")
 * and the claims drivers made (kernel/resource.ts): under a BAR, the name its driver claimed it
 * with (pci_request_regions(pdev, "e1000"); a BAR nobody requested shows no driver, as virtio's
 * MSI-X table BAR does not), and at the top the fixed legacy ranges a driver requested itself
 * ("03f8-03ff : serial"). Ranges nothing registers (the other ISA ports, the local APIC, the
 * kernel image) are not shown.
 */
import { E820_TYPE_ACPI, E820_TYPE_NVS, E820_TYPE_RAM, E820_TYPE_RESERVED } from "../../include/asm/platform.ts";
import { IORESOURCE_IO, IORESOURCE_MEM } from "../../include/linux/ioport.ts";
import { this_kernel } from "../kernel.ts";
import { pci_devices } from "../pci/probe.ts";
import { claimed_regions } from "../resource.ts";

/** One node of a resource tree (struct resource). */
interface ResNode {
  readonly start: number;
  readonly end: number;
  readonly name: string;
  readonly children: ResNode[];
}

const node = (start: number, end: number, name: string): ResNode => ({ start, end, name, children: [] });

/**
 * insert_resource(): put `n` under the deepest node that contains it — an existing node with the
 * same range becomes its child instead (as __insert_resource does) — adopting the siblings it
 * contains. A range that overlaps a sibling partly is not inserted (returns false).
 */
function insert_resource(parent: ResNode, n: ResNode): boolean {
  for (;;) {
    const conflict = parent.children.find((c) => c.start <= n.end && n.start <= c.end);
    if (conflict === undefined) break;
    const contains = conflict.start <= n.start && conflict.end >= n.end;
    const same = conflict.start === n.start && conflict.end === n.end;
    if (!contains || same) break;
    parent = conflict;
  }
  const inside = parent.children.filter((c) => c.start <= n.end && n.start <= c.end);
  if (inside.some((c) => c.start < n.start || c.end > n.end)) return false;
  for (const c of inside) parent.children.splice(parent.children.indexOf(c), 1);
  n.children.push(...inside);
  parent.children.push(n);
  parent.children.sort((a, b) => a.start - b.start);
  return true;
}

/**
 * __request_resource() for a claim: below the deepest node that contains it (a BAR of the same
 * range included), unless it overlaps a node there partly (then it is not shown).
 */
function request_resource(root: ResNode, n: ResNode): void {
  let parent = root;
  for (;;) {
    const within = parent.children.find((c) => c.start <= n.start && n.end <= c.end);
    if (within === undefined) break;
    parent = within;
  }
  if (parent.children.some((c) => c.start <= n.end && n.start <= c.end)) return;
  parent.children.push(n);
  parent.children.sort((a, b) => a.start - b.start);
}

const E820_NAMES: Readonly<Record<number, string>> = {
  [E820_TYPE_RAM]: "System RAM",
  [E820_TYPE_RESERVED]: "Reserved",
  [E820_TYPE_ACPI]: "ACPI Tables",
  [E820_TYPE_NVS]: "ACPI Non-volatile Storage",
};

/** The PCI BARs of kind `flag`, then the claims of that kind, each below what contains it. */
function add_pci_bars(root: ResNode, flag: number): void {
  for (const dev of pci_devices()) {
    for (const r of dev.resource) {
      if ((r.flags & flag) === 0 || r.end < r.start || r.start === 0) continue;
      insert_resource(root, node(r.start, r.end, dev.name));
    }
  }
  for (const c of claimed_regions(flag)) request_resource(root, node(c.start, c.end, c.name));
}

function iomem_resource(): ResNode {
  const fw = this_kernel().platform.firmware;
  const root = node(0, 2 ** 64 - 1, "PCI mem");
  for (const e of fw.e820) insert_resource(root, node(e.addr, e.addr + e.size - 1, E820_NAMES[e.type] ?? "Unknown E820 type"));
  for (const m of fw.mcfg) {
    const hex2 = (n: number): string => n.toString(16).padStart(2, "0");
    const name = `PCI MMCONFIG ${m.segment.toString(16).padStart(4, "0")} [bus ${hex2(m.start_bus)}-${hex2(m.end_bus)}]`;
    insert_resource(root, node(m.base, m.base + (m.end_bus - m.start_bus + 1) * 0x100000 - 1, name));
  }
  const w = fw.pci_mmio_window;
  if (w.size > 0) insert_resource(root, node(w.base, w.base + w.size - 1, "PCI Bus 0000:00"));
  add_pci_bars(root, IORESOURCE_MEM);
  return root;
}

function ioport_resource(): ResNode {
  const fw = this_kernel().platform.firmware;
  const root = node(0, 0xffff, "PCI IO");
  const w = fw.pci_io_window;
  if (w.size > 0) insert_resource(root, node(w.base, w.base + w.size - 1, "PCI Bus 0000:00"));
  add_pci_bars(root, IORESOURCE_IO);
  return root;
}

/** r_show(): one line per node, depth-first, addresses in hex at least 4 (ioports) or 8 digits wide. */
function show_resources(root: ResNode): string {
  const width = root.end < 0x10000 ? 4 : 8;
  const hex = (n: number): string => n.toString(16).padStart(width, "0");
  let out = "";
  const walk = (n: ResNode, depth: number): void => {
    for (const c of n.children) {
      out += `${"  ".repeat(depth)}${hex(c.start)}-${hex(c.end)} : ${c.name}\n`;
      walk(c, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

export function show_iomem(): string {
  return show_resources(iomem_resource());
}

export function show_ioports(): string {
  return show_resources(ioport_resource());
}
