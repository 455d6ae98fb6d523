/**
 * The module index (this kernel's /lib/modules): every loadable module by name, how to load it,
 * and its size (the module's source bytes, shown by lsmod).
 */
import type { ModuleIndex, ModuleIndexEntry, ModuleInfo } from "../include/linux/module.ts";
import type { Machine } from "../hw/machine.ts";
import type { PciDevice } from "../hw/pci/pci_device.ts";
import { machine_nics } from "./board.ts";

/**
 * Where a module's size comes from: its source file's byte count, which only the host can read
 * (boot/module_size_node.ts on Node; the page's build writes the numbers into the bundle). Until a
 * provider is set, sizes are 0.
 */
let size_provider: ((rel: string) => number) | null = null;

export function set_module_size_provider(fn: (rel: string) => number): void {
  size_provider = fn;
}

/**
 * What a module claims (modules.alias, which depmod makes from each driver's MODULE_DEVICE_TABLE):
 * PCI vendor:device pairs (device PCI_ANY_ID matches any), and virtio device ids for drivers on the
 * virtio bus. Keep it equal to the driver's id_table (test/boot/modules.test.ts checks).
 */
export interface ModuleAlias {
  readonly pci?: readonly (readonly [number, number])[];
  readonly virtio?: readonly number[];
}
export const PCI_ANY_ID = 0xffffffff;

export interface ModuleIndexEntryWithAlias extends ModuleIndexEntry {
  readonly alias: ModuleAlias;
  /** The module's source, relative to the tree (its "kernel/…/NAME.ko" place in modules.dep). */
  readonly rel: string;
}

function entry(rel: string, load: () => Promise<{ default: ModuleInfo }>, alias: ModuleAlias = {}): ModuleIndexEntryWithAlias {
  return {
    load: async () => (await load()).default,
    get size() {
      return size_provider?.(rel) ?? 0;
    },
    alias,
    rel,
  };
}

/** virtio-pci claims every 1af4:1000–107f function (virtio_pci_id_table). */
const VIRTIO_PCI_IDS = Array.from({ length: 0x80 }, (_, i): [number, number] => [0x1af4, 0x1000 + i]);

export const MODULE_INDEX: ReadonlyMap<string, ModuleIndexEntryWithAlias> & ModuleIndex = new Map([
  ["netdev", entry("drivers/net/netdev.ts", () => import("../drivers/net/netdev.ts"))],
  ["e1000", entry("drivers/net/e1000.ts", () => import("../drivers/net/e1000.ts"), { pci: [[0x8086, 0x100e], [0x8086, 0x100f], [0x8086, 0x100c]] })],
  ["inet", entry("net/inet.ts", () => import("../net/inet.ts"))],
  ["edu", entry("drivers/misc/edu.ts", () => import("../drivers/misc/edu.ts"), { pci: [[0x1234, 0x11e8]] })],
  ["virtio", entry("drivers/virtio/virtio.ts", () => import("../drivers/virtio/virtio.ts"))],
  ["virtio_pci", entry("drivers/virtio/virtio_pci_common.ts", () => import("../drivers/virtio/virtio_pci_common.ts"), { pci: VIRTIO_PCI_IDS })],
  ["virtio_net", entry("drivers/net/virtio_net.ts", () => import("../drivers/net/virtio_net.ts"), { virtio: [1] })],
  ["test_lockup", entry("drivers/misc/test_lockup.ts", () => import("../drivers/misc/test_lockup.ts"))],
]);

/** Loaded at boot unless --modules says otherwise: the network stack (drivers come by coldplug). */
export const DEFAULT_MODULES: readonly string[] = ["inet"];

/** The virtio device id behind a virtio-pci function: modern 0x1040+id, legacy by subsystem id. */
function virtio_device_id(device: number, subsystem_id: number): number {
  return device >= 0x1040 ? device - 0x1040 : subsystem_id;
}

/**
 * udev's coldplug at boot: the modules whose aliases match the machine's PCI functions (and, for
 * virtio-pci functions, the virtio device behind them), in slot order, each once. What
 * `modprobe $MODALIAS` for every device in /sys would load.
 */
export function coldplug_modules(m: Machine, devices: Iterable<PciDevice> = m.pci.devices.values()): string[] {
  const out: string[] = [];
  const add = (name: string): void => {
    if (!out.includes(name)) out.push(name);
  };
  for (const dev of devices) {
    const c = dev.config;
    const vendor = c[0]! | (c[1]! << 8);
    const device = c[2]! | (c[3]! << 8);
    for (const [name, e] of MODULE_INDEX) {
      if (e.alias.pci?.some(([v, d]) => v === vendor && (d === device || d === PCI_ANY_ID)) !== true) continue;
      add(name);
      if (name !== "virtio_pci") continue;
      const vid = virtio_device_id(device, c[0x2e]! | (c[0x2f]! << 8));
      for (const [vname, ve] of MODULE_INDEX) if (ve.alias.virtio?.includes(vid) === true) add(vname);
    }
  }
  return out;
}

/**
 * What `--modules LIST` leaves out that IP autoconfiguration (DHCP or --ip) needs, as warning
 * lines: inet, and a driver for each NIC (what coldplug would load for it).
 */
export function modules_warnings(m: Machine, modules: readonly string[], wants_ip: boolean): string[] {
  if (!wants_ip) return [];
  const out: string[] = [];
  if (!modules.includes("inet")) out.push("--modules: inet is not in the list, so there is no IPv4 stack: the NICs stay unconfigured (no DHCP, no --ip)");
  const missing = coldplug_modules(m, machine_nics(m)).filter((n) => !modules.includes(n));
  if (missing.length > 0) out.push(`--modules: the NICs need ${missing.join(", ")}, which the list leaves out: they stay without a driver and unconfigured (modprobe loads one later)`);
  return out;
}
