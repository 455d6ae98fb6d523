/**
 * The machine description: which devices sit in which PCI slots. The device types come from
 * hw/devices.ts (one line per type); this file places them, checks their properties and notes which
 * NIC uses which network back-end.
 */
import type { Machine } from "../hw/machine.ts";
import { find_device_type, type PciDeviceTypeInfo } from "../hw/core/qdev.ts";
import { DEVICE_TYPES } from "../hw/devices.ts";
import type { NetEndpoint } from "../hw/net/net_endpoint.ts";
import type { PciDevice } from "../hw/pci/pci_device.ts";

/** A NIC model: a PCI function that is a network endpoint. */
export type NicDevice = PciDevice & NetEndpoint;

/** The type each plugged device was made from (for NIC lists and messages). */
const device_types = new WeakMap<object, PciDeviceTypeInfo>();

/** The NICs of a machine, of every model, in slot order. */
export function machine_nics(m: Machine): NicDevice[] {
  return [...m.pci.devices.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, d]) => d)
    .filter((d): d is NicDevice => device_types.get(d)?.nic === true);
}

/** QEMU's model name of a NIC (for messages). */
export function nic_model(nic: NetEndpoint): string {
  return device_types.get(nic as NicDevice)?.name ?? "nic";
}

/** Every name `-device` accepts, sorted (for the unknown-device message). */
export function device_names(): string[] {
  return DEVICE_TYPES.flatMap((t) => (t.alias !== undefined ? [t.name, t.alias] : [t.name])).sort();
}

export interface DeviceSpec {
  driver: string;
  props: Map<string, string>;
}

/** "edu,addr=05.0" → { driver: "edu", props: { addr: "05.0" } } */
export function parse_device_spec(spec: string): DeviceSpec | string {
  const [driver, ...rest] = spec.split(",");
  if (driver === undefined || driver === "") return `-device: empty specification`;
  const props = new Map<string, string>();
  for (const kv of rest) {
    const i = kv.indexOf("=");
    if (i <= 0) return `-device ${spec}: '${kv}' is not key=value`;
    props.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return { driver, props };
}

function parse_addr(s: string): [number, number] | null {
  const m = /^([0-9a-f]{1,2})(?:\.([0-7]))?$/i.exec(s);
  return m === null ? null : [parseInt(m[1]!, 16), Number(m[2] ?? 0)];
}

function first_free_slot(m: Machine): number {
  for (let slot = 1; slot < 32; slot++) if (m.pci.find(slot) === undefined) return slot;
  return -1;
}

/**
 * Plug one -device into the machine. Returns an error line or null. A NIC's `netdev=` is recorded
 * in `nic_netdev` for the network set-up.
 */
export function plug_device(m: Machine, spec: string, nic_netdev: Map<NicDevice, string | undefined> = new Map()): string | null {
  const d = parse_device_spec(spec);
  if (typeof d === "string") return d;
  const type = find_device_type(DEVICE_TYPES, d.driver);
  if (type === undefined) return `-device: unknown device '${d.driver}' (available: ${device_names().join(", ")})`;
  const addr = d.props.get("addr");
  let slot: number;
  let fn = 0;
  if (addr !== undefined) {
    const a = parse_addr(addr);
    if (a === null || a[0] > 31) return `-device ${spec}: bad addr '${addr}' (expected SLOT[.FN], hex, slot < 0x20)`;
    [slot, fn] = a;
  } else {
    slot = first_free_slot(m);
    if (slot < 0) return `-device ${spec}: no free PCI slot`;
  }
  const allowed = ["addr", "id", ...(type.nic === true ? ["mac", "netdev"] : []), ...(type.props ?? [])];
  for (const k of d.props.keys()) if (!allowed.includes(k)) return `-device ${d.driver}: unknown property '${k}'`;
  if (m.pci.find(slot, fn) !== undefined) return `-device ${spec}: PCI address 00:${slot.toString(16).padStart(2, "0")}.${fn} is taken`;
  const nic_index = machine_nics(m).length;
  const model = type.model ?? type.name;
  const name = d.props.get("id") ?? (type.nic === true ? `${model}.${nic_index}` : `${model}@${slot.toString(16)}.${fn}`);
  const dev = type.realize(d.props, { clock: m.clock, name, nic_index });
  if (typeof dev === "string") return `-device ${spec}: ${dev}`;
  device_types.set(dev, type);
  m.pci.plug(dev, slot, fn);
  if (type.nic === true) {
    nic_netdev.set(dev as NicDevice, d.props.get("netdev"));
  }
  return null;
}

/**
 * The default machine: an e1000 at 00:03.0 on the built-in user network, as on QEMU's pc machine,
 * and QEMU's edu at 00:04.0.
 */
export const DEFAULT_DEVICES: readonly string[] = ["e1000,addr=03.0,netdev=user0", "edu,addr=04.0"];
export const DEFAULT_NETDEVS: readonly string[] = ["user,id=user0"];
