/**
 * The PCI tree for the page's PCI panel (DOM-free): every function as `lspci` shows it — slot,
 * class and device names from pci.ids, BARs with addresses and sizes, the interrupt line or the
 * MSI-X vectors, and the bound driver (`lspci -k`'s "Kernel driver in use").
 *
 * Sources, read only:
 * - the machine's root complex (hw/pci/pci_host.ts): each function's configuration space and BAR
 *   definitions — what the hardware is, available before the kernel has enumerated anything;
 * - pci.ids: the same data lspci reads — the built-in slice (userland/lib/pci_ids.ts) with the
 *   machine's device types over it (hw/devices.ts DEVICE_TYPES: exactly what the initramfs's
 *   /usr/share/misc/pci.ids holds, boot/initramfs.ts pci_db()), looked up with lspci's own
 *   functions (userland/lib/pci_names.ts);
 * - the kernel's PCI core (kernel/pci/probe.ts, msi.ts), inside with_kernel(): the bound driver,
 *   the routed IRQ (sysfs `irq`) and the irq number of each MSI-X vector.
 *
 * The tree changes rarely (a driver binds or unbinds, a command register or MSI-X enable flips), so
 * pci_tree() checks a small signature each call and rebuilds only when it changed: the returned
 * tree is the same object until then (`generation` counts rebuilds). Main thread, between slices.
 */
import { DEVICE_TYPES } from "../../hw/devices.ts";
import type { PciDevice as HwPciDevice } from "../../hw/pci/pci_device.ts";
import { Msix } from "../../hw/pci/msix.ts";
import {
  PCI_BASE_ADDRESS_0,
  PCI_CAP_ID_MSIX,
  PCI_CAPABILITY_LIST,
  PCI_CLASS_DEVICE,
  PCI_CLASS_PROG,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_DEVICE_ID,
  PCI_FUNC,
  PCI_HEADER_TYPE,
  PCI_HEADER_TYPE_MASK,
  PCI_INTERRUPT_PIN,
  PCI_MSIX_FLAGS,
  PCI_MSIX_FLAGS_ENABLE,
  PCI_MSIX_FLAGS_MASKALL,
  PCI_MSIX_FLAGS_QSIZE,
  PCI_REVISION_ID,
  PCI_SLOT,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
} from "../../include/kernel/pci.ts";
import type { PciDriver } from "../../include/linux/pci.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { pci_irq_vector } from "../../kernel/pci/msi.ts";
import { pci_get_slot } from "../../kernel/pci/probe.ts";
import { PCI_IDS_BUILTIN } from "../../userland/lib/pci_ids.ts";
import { pci_class_name, pci_device_name, pci_id_db_new, pci_ids_parse, pci_show_size, pci_subsystem_name, type PciIdDb } from "../../userland/lib/pci_names.ts";
import { pci_ids } from "../../boot/initramfs.ts";
import type { WebMachine } from "./web_machine.ts";

export interface PciBarInfo {
  readonly index: number;
  readonly kind: "mem32" | "mem64" | "io";
  /** The address the BAR is programmed with (0: unassigned). */
  readonly addr: number;
  readonly size: number;
  readonly prefetchable: boolean;
  /** The command register's I/O or Memory Space bit for this BAR's kind is set. */
  readonly enabled: boolean;
  /** The model's region name ("e1000-mmio"). */
  readonly name: string;
  /** lspci -v's Region line without the tab: "Memory at febc0000 (32-bit, non-prefetchable) [size=128K]". */
  readonly text: string;
}

export interface PciMsixInfo {
  /** Table size (Message Control's QSIZE + 1). */
  readonly entries: number;
  readonly enabled: boolean;
  /** Function Mask. */
  readonly masked: boolean;
  /** The kernel's irq number of each allocated vector (/proc/interrupts' first column); [] when none. */
  readonly irqs: readonly number[];
}

export interface PciFunctionInfo {
  /** "00:03.0", as lspci prints it. */
  readonly slot: string;
  readonly bus: number;
  readonly devfn: number;
  readonly vendor_id: number;
  readonly device_id: number;
  /** 24-bit class code (base, subclass, programming interface). */
  readonly class_code: number;
  readonly revision: number;
  /** "Ethernet controller" */
  readonly class_name: string;
  /** "Intel Corporation 82540EM Gigabit Ethernet Controller" */
  readonly device_name: string;
  /** lspci's line: "00:03.0 Ethernet controller: Intel Corporation 82540EM Gigabit Ethernet Controller (rev 03)". */
  readonly line: string;
  /** lspci -v's Subsystem, or null. */
  readonly subsystem: string | null;
  /** The device model's name ("e1000.0", "host-bridge"). */
  readonly model: string;
  readonly is_host_bridge: boolean;
  readonly bars: readonly PciBarInfo[];
  /** Interrupt pin: "A"–"D", or null for none. */
  readonly pin: string | null;
  /** The IRQ the kernel routed INTx to (sysfs `irq`), 0 when none or not enumerated. */
  readonly irq: number;
  /** Command register bits. */
  readonly intx_disabled: boolean;
  readonly bus_master: boolean;
  readonly msix: PciMsixInfo | null;
  /** The bound driver's name ("e1000", "virtio-pci"), or null. */
  readonly driver: string | null;
  /** The kernel has enumerated this function. */
  readonly enumerated: boolean;
  /** Surprise-removed (reads all ones). */
  readonly removed: boolean;
}

export interface PciTree {
  /** The host bridge (00:00.0), or null if the machine has none. */
  readonly host: PciFunctionInfo | null;
  /** Every function in slot order, the host bridge included. */
  readonly functions: readonly PciFunctionInfo[];
  /** Bumped on each rebuild: a panel redraws when it differs from what it drew. */
  readonly generation: number;
}

let ids: PciIdDb | null = null;

/** lspci's database as the machine's guest has it: the built-in slice, then the initramfs's pci.ids. */
function pci_db(): PciIdDb {
  if (ids !== null) return ids;
  const db = pci_id_db_new();
  pci_ids_parse(db, PCI_IDS_BUILTIN);
  pci_ids_parse(db, pci_ids(DEVICE_TYPES));
  ids = db;
  return db;
}

const hx = (n: number, w: number): string => n.toString(16).padStart(w, "0");

function bar_text(kind: PciBarInfo["kind"], addr: number, size: number, prefetchable: boolean, enabled: boolean): string {
  const tail = (enabled ? "" : " [disabled]") + pci_show_size(size);
  if (kind === "io") return `I/O ports at ${addr !== 0 ? hx(addr, 4) : "<unassigned>"}${tail}`;
  return `Memory at ${addr !== 0 ? hx(addr, 8) : "<unassigned>"} (${kind === "mem64" ? "64-bit" : "32-bit"}, ${prefetchable ? "" : "non-"}prefetchable)${tail}`;
}

const cfg8 = (d: HwPciDevice, off: number): number => d.config[off] ?? 0;
const cfg16 = (d: HwPciDevice, off: number): number => cfg8(d, off) | (cfg8(d, off + 1) << 8);
const cfg32 = (d: HwPciDevice, off: number): number => (cfg16(d, off) | (cfg16(d, off + 2) << 16)) >>> 0;

/** The MSI-X capability's offset in the model's config space (a bounded walk of the list), or 0. */
function msix_cap(d: HwPciDevice): number {
  if ((cfg16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST) === 0) return 0;
  let pos = cfg8(d, PCI_CAPABILITY_LIST) & ~3;
  for (let ttl = 48; pos >= 0x40 && ttl > 0; ttl--) {
    if (cfg8(d, pos) === PCI_CAP_ID_MSIX) return pos;
    pos = cfg8(d, pos + 1) & ~3;
  }
  return 0;
}

/** The model's Msix object, when it keeps one as `msix` (virtio-pci does): for its counters. */
function model_msix(d: HwPciDevice): Msix | null {
  const m = (d as unknown as { msix?: unknown }).msix;
  return m instanceof Msix ? m : null;
}

/** One function as the kernel sees it: bound driver, routed IRQ, MSI-X irqs. Kernel context. */
function kernel_view(devfn: number, msix_on: boolean, entries: number): { enumerated: boolean; driver: PciDriver | null; irq: number; irqs: number[] } {
  const kdev = pci_get_slot(0, devfn);
  if (kdev === undefined) return { enumerated: false, driver: null, irq: 0, irqs: [] };
  const irqs: number[] = [];
  if (msix_on) {
    for (let n = 0; n < entries; n++) {
      const irq = pci_irq_vector(kdev, n);
      if (irq < 0) break;
      irqs.push(irq);
    }
  }
  return { enumerated: true, driver: kdev.driver, irq: kdev.irq, irqs };
}

function build_function(wm: WebMachine, d: HwPciDevice): PciFunctionInfo {
  const db = pci_db();
  const devfn = d.devfn;
  const slot = `00:${hx(PCI_SLOT(devfn), 2)}.${PCI_FUNC(devfn)}`;
  const vendor = cfg16(d, PCI_VENDOR_ID);
  const device = cfg16(d, PCI_DEVICE_ID);
  const cls = cfg16(d, PCI_CLASS_DEVICE);
  const rev = cfg8(d, PCI_REVISION_ID);
  const class_name = pci_class_name(db, cls, 0);
  const device_name = pci_device_name(db, vendor, device, 0);
  const sv = cfg16(d, PCI_SUBSYSTEM_VENDOR_ID);
  const htype = cfg8(d, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
  const subsystem = htype === 0 && sv !== 0 && sv !== 0xffff ? pci_subsystem_name(db, vendor, device, sv, cfg16(d, PCI_SUBSYSTEM_ID), 0) : null;
  const cmd = cfg16(d, PCI_COMMAND);
  const bars: PciBarInfo[] = [];
  for (let i = 0; i < d.bars.length; i++) {
    const b = d.bars[i];
    if (b === undefined) continue;
    const addr = d.bar_address(i);
    const prefetchable = b.prefetchable === true;
    const enabled = (cmd & (b.kind === "io" ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) !== 0;
    bars.push({ index: i, kind: b.kind, addr, size: b.size, prefetchable, enabled, name: b.name, text: bar_text(b.kind, addr, b.size, prefetchable, enabled) });
  }
  const cap = msix_cap(d);
  const ctrl = cap !== 0 ? cfg16(d, cap + PCI_MSIX_FLAGS) : 0;
  const entries = (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1;
  const msix_on = cap !== 0 && (ctrl & PCI_MSIX_FLAGS_ENABLE) !== 0;
  const k = with_kernel(wm.kernel, () => kernel_view(devfn, msix_on, entries));
  const pin = cfg8(d, PCI_INTERRUPT_PIN);
  return {
    slot,
    bus: 0,
    devfn,
    vendor_id: vendor,
    device_id: device,
    class_code: (cls << 8) | cfg8(d, PCI_CLASS_PROG),
    revision: rev,
    class_name,
    device_name,
    line: `${slot} ${class_name}: ${device_name}${rev ? ` (rev ${hx(rev, 2)})` : ""}`,
    subsystem,
    model: d.name,
    is_host_bridge: cls === 0x0600,
    bars,
    pin: pin >= 1 && pin <= 4 ? String.fromCharCode(0x40 + pin) : null,
    irq: k.irq,
    intx_disabled: (cmd & PCI_COMMAND_INTX_DISABLE) !== 0,
    bus_master: (cmd & PCI_COMMAND_MASTER) !== 0,
    msix: cap !== 0 ? { entries, enabled: msix_on, masked: (ctrl & PCI_MSIX_FLAGS_MASKALL) !== 0, irqs: k.irqs } : null,
    driver: k.driver?.name ?? null,
    enumerated: k.enumerated,
    removed: d.removed,
  };
}

/** Words of the signature per function: devfn, command, MSI-X control, removed, six BAR dwords, irq, enumerated. */
const SIG_WORDS = 12;

interface Cache {
  tree: PciTree;
  sig: number[];
  drivers: (PciDriver | null)[];
  /** Kernel-side lookups for the signature, bound once (no closure per call). */
  read_kernel: () => void;
  devs: HwPciDevice[];
  /** Filled by read_kernel for `devs`. */
  k_drivers: (PciDriver | null)[];
  k_irqs: number[];
  k_enum: boolean[];
}

const caches = new WeakMap<WebMachine, Cache>();

function sorted_devices(wm: WebMachine, out: HwPciDevice[]): void {
  out.length = 0;
  for (const d of wm.machine.pci.devices.values()) out.push(d);
  out.sort((a, b) => a.devfn - b.devfn);
}

/** Refresh the signature; true when it differs from the last one (the tree must be rebuilt). */
function refresh_signature(wm: WebMachine, c: Cache): boolean {
  const map = wm.machine.pci.devices;
  if (map.size !== c.devs.length) sorted_devices(wm, c.devs);
  c.read_kernel();
  let changed = c.sig.length !== c.devs.length * SIG_WORDS;
  if (changed) c.sig.length = c.devs.length * SIG_WORDS;
  let j = 0;
  const put = (v: number): void => {
    if (c.sig[j] !== v) {
      c.sig[j] = v;
      changed = true;
    }
    j++;
  };
  for (let i = 0; i < c.devs.length; i++) {
    const d = c.devs[i]!;
    const cap = msix_cap(d);
    put(d.devfn);
    put(cfg16(d, PCI_COMMAND));
    put(cap !== 0 ? cfg16(d, cap + PCI_MSIX_FLAGS) : -1);
    put(d.removed ? 1 : 0);
    for (let b = 0; b < 6; b++) put(cfg32(d, PCI_BASE_ADDRESS_0 + 4 * b));
    put(c.k_irqs[i]!);
    put(c.k_enum[i] ? 1 : 0);
    if (c.drivers[i] !== c.k_drivers[i]) {
      c.drivers[i] = c.k_drivers[i]!;
      changed = true;
    }
  }
  c.drivers.length = c.devs.length;
  return changed;
}

/**
 * The PCI tree of `wm`. Cached: the same object is returned until a driver binds or unbinds, a
 * function's command register, BARs, MSI-X control or routed IRQ change, or a function comes or
 * goes; then it is rebuilt (generation + 1). Main thread, between run-loop slices.
 */
export function pci_tree(wm: WebMachine): PciTree {
  let c = caches.get(wm);
  if (c === undefined) {
    const nc: Cache = {
      tree: { host: null, functions: [], generation: 0 },
      sig: [],
      drivers: [],
      devs: [],
      k_drivers: [],
      k_irqs: [],
      k_enum: [],
      read_kernel: () => {},
    };
    const read = (): void => {
      nc.k_drivers.length = nc.k_irqs.length = nc.k_enum.length = nc.devs.length;
      for (let i = 0; i < nc.devs.length; i++) {
        const kd = pci_get_slot(0, nc.devs[i]!.devfn);
        nc.k_drivers[i] = kd?.driver ?? null;
        nc.k_irqs[i] = kd?.irq ?? 0;
        nc.k_enum[i] = kd !== undefined;
      }
    };
    nc.read_kernel = () => with_kernel(wm.kernel, read);
    sorted_devices(wm, nc.devs);
    c = nc;
    caches.set(wm, c);
    refresh_signature(wm, c);
    c.tree = rebuild(wm, c, 1);
    return c.tree;
  }
  if (refresh_signature(wm, c)) c.tree = rebuild(wm, c, c.tree.generation + 1);
  return c.tree;
}

function rebuild(wm: WebMachine, c: Cache, generation: number): PciTree {
  const functions = c.devs.map((d) => build_function(wm, d));
  return { host: functions.find((f) => f.is_host_bridge) ?? null, functions, generation };
}

/** The model's MSI-X message counters for a function (sent, held back by a mask), when it keeps them. */
export function pci_msix_counters(wm: WebMachine, devfn: number): { sent: number; held: number } | null {
  const d = wm.machine.pci.devices.get(devfn);
  const m = d === undefined ? null : model_msix(d);
  return m === null ? null : { sent: m.sent, held: m.held };
}
