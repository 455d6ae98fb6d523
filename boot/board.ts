/**
 * The machine description: which devices sit in which PCI slots. A device is one line here.
 */
import { EduDevice } from "../hw/misc/edu.ts";
import type { Machine } from "../hw/machine.ts";
import { E1000, E1000_DEV_ID_82540EM, E1000_DEV_ID_82544GC_COPPER, E1000_DEV_ID_82545EM_COPPER } from "../hw/net/e1000.ts";
import type { NetEndpoint } from "../hw/net/net_endpoint.ts";
import { VirtioNet } from "../hw/net/virtio_net.ts";

/** NIC models by QEMU's names: the e1000 family (by PCI device id) and virtio-net. */
const NIC_MODELS: Readonly<Record<string, number>> = {
  e1000: E1000_DEV_ID_82540EM,
  "e1000-82540em": E1000_DEV_ID_82540EM,
  "e1000-82544gc": E1000_DEV_ID_82544GC_COPPER,
  "e1000-82545em": E1000_DEV_ID_82545EM_COPPER,
  "virtio-net-pci": 0x1041,
  "virtio-net-pci-non-transitional": 0x1041,
};

/** The NICs of a machine, of every model, in slot order. */
export function machine_nics(m: Machine): (E1000 | VirtioNet)[] {
  return [...m.pci.devices.values()].filter((d): d is E1000 | VirtioNet => d instanceof E1000 || d instanceof VirtioNet);
}

/** QEMU's model name of a NIC (for messages). */
export function nic_model(nic: NetEndpoint): string {
  return nic instanceof VirtioNet ? "virtio-net-pci" : "e1000";
}

/** QEMU's default MAC; each further NIC without mac= gets the next address (…:57, …:58). */
export const DEFAULT_MAC = "52:54:00:12:34:56";

export function parse_mac(s: string): Uint8Array | null {
  const m = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(s);
  if (m === null) return null;
  const mac = Uint8Array.from(m.slice(1).map((h) => parseInt(h, 16)));
  return (mac[0]! & 1) === 0 ? mac : null; // a station address cannot be multicast
}

function nth_default_mac(n: number): Uint8Array {
  const mac = parse_mac(DEFAULT_MAC)!;
  mac[5] = (mac[5]! + n) & 0xff;
  return mac;
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
export function plug_device(m: Machine, spec: string, nic_netdev: Map<E1000 | VirtioNet, string | undefined> = new Map()): string | null {
  const d = parse_device_spec(spec);
  if (typeof d === "string") return d;
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
  const nic = NIC_MODELS[d.driver];
  // virtio-net-pci here is always modern (QEMU's disable-legacy=on); the property is accepted as such.
  const allowed = nic !== undefined ? ["addr", "id", "mac", "netdev", ...(nic === 0x1041 ? ["disable-legacy"] : [])] : ["addr", "id"];
  for (const k of d.props.keys()) if (!allowed.includes(k)) return `-device ${d.driver}: unknown property '${k}'`;
  if (m.pci.find(slot, fn) !== undefined) return `-device ${spec}: PCI address 00:${slot.toString(16).padStart(2, "0")}.${fn} is taken`;
  if (nic !== undefined) {
    const nics = machine_nics(m).length;
    const mac_s = d.props.get("mac");
    const mac = mac_s === undefined ? nth_default_mac(nics) : parse_mac(mac_s);
    if (mac === null) return `-device ${spec}: bad mac '${mac_s}' (expected six hex bytes, e.g. 52:54:00:12:34:56, not multicast)`;
    const legacy = d.props.get("disable-legacy");
    if (legacy !== undefined && legacy !== "on") return `-device ${spec}: only disable-legacy=on is available (a modern, non-transitional virtio-net)`;
    const name = d.props.get("id") ?? `${nic === 0x1041 ? "virtio-net" : "e1000"}.${nics}`;
    const dev = nic === 0x1041 ? new VirtioNet(m.clock, { mac, name }) : new E1000(m.clock, { mac, device_id: nic, name });
    m.pci.plug(dev, slot, fn);
    nic_netdev.set(dev, d.props.get("netdev"));
    return null;
  }
  switch (d.driver) {
    case "edu":
      m.pci.plug(new EduDevice(m.clock, d.props.get("id") ?? `edu@${slot.toString(16)}.${fn}`), slot, fn);
      return null;
    default:
      return `-device: unknown device '${d.driver}' (available: edu, ${Object.keys(NIC_MODELS).join(", ")})`;
  }
}

/**
 * The default machine: an e1000 at 00:03.0 on the built-in user network, as on QEMU's pc machine,
 * and QEMU's edu at 00:04.0.
 */
export const DEFAULT_DEVICES: readonly string[] = ["e1000,addr=03.0,netdev=user0", "edu,addr=04.0"];
export const DEFAULT_NETDEVS: readonly string[] = ["user,id=user0"];
