/**
 * The initramfs's data files the boot loader builds (kernel/fs/initramfs.ts unpacks them):
 * /lib/modules/RELEASE/modules.alias from the module index (what depmod writes from each
 * driver's MODULE_DEVICE_TABLE, in kmod's format) and /usr/share/misc/pci.ids with the names the
 * registered device types give (hw/devices.ts), in pciutils' format — so a new device and its
 * driver show up by name in lspci and under "Kernel modules:" with no further lines anywhere.
 */
import { RINGZERO_VERSION } from "../kernel/version.ts";
import type { PciDeviceTypeInfo } from "../hw/core/qdev.ts";
import { PCI_ANY_ID, type ModuleIndexEntryWithAlias } from "./modules.ts";

const hex = (n: number, w: number): string => n.toString(16).toUpperCase().padStart(w, "0");

/** kmod's modules.alias: `alias pci:v00008086d0000100Esv*sd*bc*sc*i* e1000`, `alias virtio:d00000001v* virtio_net`. */
export function modules_alias(index: ReadonlyMap<string, ModuleIndexEntryWithAlias>): string {
  let out = "# Aliases extracted from modules themselves.\n";
  for (const [name, e] of index) {
    for (const [v, d] of e.alias.pci ?? []) out += `alias pci:v${hex(v, 8)}d${d === PCI_ANY_ID ? "*" : hex(d, 8)}sv*sd*bc*sc*i* ${name}\n`;
    for (const id of e.alias.virtio ?? []) out += `alias virtio:d${hex(id, 8)}v* ${name}\n`;
  }
  return out;
}

/** pci.ids: `VVVV  Vendor` lines with tab-indented `DDDD  Device` lines, by id, lower-case hex. */
export function pci_ids(types: readonly PciDeviceTypeInfo[]): string {
  const vendors = new Map<number, { name: string; devices: Map<number, string> }>();
  for (const t of types) {
    const p = t.pci_ids;
    if (p === undefined) continue;
    const v = vendors.get(p.vendor_id) ?? { name: p.vendor, devices: new Map<number, string>() };
    v.devices.set(p.device_id, p.device);
    vendors.set(p.vendor_id, v);
  }
  let out = "#\n#\tList of PCI ID's (the machine's device types: hw/devices.ts)\n#\n";
  for (const [vid, v] of [...vendors].sort((a, b) => a[0] - b[0])) {
    out += `${vid.toString(16).padStart(4, "0")}  ${v.name}\n`;
    for (const [did, name] of [...v.devices].sort((a, b) => a[0] - b[0])) out += `\t${did.toString(16).padStart(4, "0")}  ${name}\n`;
  }
  return out;
}

/** A module's place in the tree as depmod names it: kernel/DIR/NAME.ko. */
function ko_path(name: string, e: ModuleIndexEntryWithAlias): string {
  const dir = e.rel.slice(0, e.rel.lastIndexOf("/") + 1);
  return `kernel/${dir}${name}.ko`;
}

/**
 * depmod's modules.dep: `kernel/drivers/net/e1000.ko: kernel/drivers/net/netdev.ko`, each module
 * with everything it needs loaded first (its dependencies' dependencies too, nearest first).
 */
export async function modules_dep(index: ReadonlyMap<string, ModuleIndexEntryWithAlias>): Promise<string> {
  const depends = new Map<string, readonly string[]>();
  for (const [name, e] of index) depends.set(name, (await e.load()).depends ?? []);
  const closure = (name: string, seen: string[]): string[] => {
    for (const d of depends.get(name) ?? []) {
      if (seen.includes(d)) continue;
      seen.push(d);
      closure(d, seen);
    }
    return seen;
  };
  let out = "";
  for (const [name, e] of index) {
    const deps = closure(name, []).filter((d) => index.has(d));
    out += `${ko_path(name, e)}:${deps.map((d) => " " + ko_path(d, index.get(d)!)).join("")}\n`;
  }
  return out;
}

/** Every data file of the initramfs, path → contents. */
export async function initramfs_files(index: ReadonlyMap<string, ModuleIndexEntryWithAlias>, types: readonly PciDeviceTypeInfo[]): Promise<Map<string, string>> {
  return new Map([
    [`/lib/modules/${RINGZERO_VERSION}/modules.alias`, modules_alias(index)],
    [`/lib/modules/${RINGZERO_VERSION}/modules.dep`, await modules_dep(index)],
    ["/usr/share/misc/pci.ids", pci_ids(types)],
  ]);
}
