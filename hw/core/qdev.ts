/**
 * Device types (QEMU's QOM TypeInfo and DeviceClass, reduced to what a PCI function needs): what
 * `-device NAME,…` makes. A device's file describes its type beside its model; hw/devices.ts lists
 * the types, one line each; the board (boot/board.ts), `-device help`, `--help` and the guest's
 * pci.ids derive from that list, as QEMU's type registry and `-device help` do.
 */
import type { VirtualClock } from "../clock.ts";
import type { PciDevice } from "../pci/pci_device.ts";

/** What realize() gets besides the properties: the machine's clock and the device's place. */
export interface DeviceRealizeContext {
  readonly clock: VirtualClock;
  /** The `id=` property, or a default name made from the type and the place ("edu@4.0"). */
  readonly name: string;
  /** How many NICs the machine had before this one (the default MAC counts up from it). */
  readonly nic_index: number;
}

/** QEMU's DeviceCategory, as `-device help` groups types. */
export const DEVICE_CATEGORY = { network: "Network devices", misc: "Misc devices" } as const;
export type DeviceCategory = keyof typeof DEVICE_CATEGORY;

export interface PciDeviceTypeInfo {
  /** The `-device` name (QEMU's type name). */
  readonly name: string;
  /** Other names `-device` accepts for it (QEMU's aliases). */
  readonly alias?: string | undefined;
  /** The model's short name, which default device names start with ("e1000.0"); else `name`. */
  readonly model?: string;
  /** QEMU's desc, shown by `-device help`. */
  readonly desc?: string;
  readonly category: DeviceCategory;
  /**
   * Its line in the guest's pci.ids (/usr/share/misc/pci.ids, read by lspci): the vendor's and the
   * device's names. Give them for a device of your own as you would add it to a local pci.ids.
   */
  readonly pci_ids?: { readonly vendor_id: number; readonly vendor: string; readonly device_id: number; readonly device: string };
  /** Properties beyond `addr` and `id` (and `netdev`/`mac` for a NIC). */
  readonly props?: readonly string[];
  /** A NIC: takes `netdev=` and `mac=`, and its model is a NetEndpoint wired by the board. */
  readonly nic?: boolean;
  /** Make the device (QEMU's realize): the model, or an error line without the "-device …: " prefix. */
  realize(props: ReadonlyMap<string, string>, ctx: DeviceRealizeContext): PciDevice | string;
}

/** `-device help` as QEMU prints it: by category, `name "x", bus PCI[, alias "y"][, desc "z"]`. */
export function device_help_text(types: readonly PciDeviceTypeInfo[]): string {
  let out = "";
  for (const [cat, title] of Object.entries(DEVICE_CATEGORY)) {
    const of_cat = types.filter((t) => t.category === cat).sort((a, b) => a.name.localeCompare(b.name));
    if (of_cat.length === 0) continue;
    out += `${out === "" ? "" : "\n"}${title}:\n`;
    for (const t of of_cat) out += `name "${t.name}", bus PCI${t.alias !== undefined ? `, alias "${t.alias}"` : ""}${t.desc !== undefined ? `, desc "${t.desc}"` : ""}\n`;
  }
  return out;
}

/** The type `-device NAME` names (by name or alias). */
export function find_device_type(types: readonly PciDeviceTypeInfo[], name: string): PciDeviceTypeInfo | undefined {
  return types.find((t) => t.name === name || t.alias === name);
}
