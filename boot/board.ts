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

/** QEMU's bool property spellings (qapi_bool_parse). */
const QEMU_BOOL: Readonly<Record<string, boolean>> = { on: true, yes: true, true: true, y: true, off: false, no: false, false: false, n: false };

/**
 * virtio-net-pci's disable-legacy (QEMU OnOffAuto) and disable-modern (bool): the shape of the
 * function, or a QEMU-style error. `auto` is QEMU's rule for the bus: legacy stays on a
 * conventional PCI bus (ringzero's only kind), so auto gives the transitional device. Absent,
 * disable-legacy is `on` here unless disable-modern=on asks for the legacy-only device — QEMU's
 * default is auto (transitional): a departure that keeps the modern 1af4:1041 device ringzero has
 * always shown as the default (hw/virtio/virtio_pci.ts).
 */
/**
 * virtio-net-pci's feature properties as QEMU spells them (hw/net/virtio-net.c, virtio's common
 * indirect_desc / event_idx): each on by default, `off` withdraws the bit from the device's offer,
 * so a driver's other path can be tried (e.g. mrg_rxbuf=off: one full-size buffer per frame).
 * mq is QEMU's too, off by default; the model has one queue pair, so mq=on is refused.
 */
const VIRTIO_NET_FEATURE_PROPS: Readonly<Record<string, number>> = {
  csum: 0,
  guest_csum: 1,
  mrg_rxbuf: 15,
  status: 16,
  ctrl_vq: 17,
  ctrl_rx: 18,
  ctrl_rx_extra: 20,
  ctrl_mac_addr: 23,
  any_layout: 27,
  indirect_desc: 28,
  event_idx: 29,
};

/** The feature bits `props` withdraws, or a QEMU-style error. */
export function virtio_net_withhold(props: ReadonlyMap<string, string>): number | string {
  let withhold = 0;
  for (const [k, v] of props) {
    if (k === "mq") {
      const on = QEMU_BOOL[v];
      if (on === undefined) return `Parameter 'mq' expects 'on' or 'off'`;
      if (on) return "mq=on is not available (the model has one queue pair)";
      continue;
    }
    const b = VIRTIO_NET_FEATURE_PROPS[k];
    if (b === undefined) continue;
    const on = QEMU_BOOL[v];
    if (on === undefined) return `Parameter '${k}' expects 'on' or 'off'`;
    if (!on) withhold = (withhold | (1 << b)) >>> 0;
  }
  return withhold;
}

export function virtio_pci_shape(props: ReadonlyMap<string, string>): { disable_legacy: boolean; disable_modern: boolean } | string {
  const dm_s = props.get("disable-modern") ?? "off";
  const dm = QEMU_BOOL[dm_s];
  if (dm === undefined) return "Parameter 'disable-modern' expects 'on' or 'off'";
  const dl = props.get("disable-legacy") ?? (dm ? "auto" : "on");
  if (dl !== "on" && dl !== "off" && dl !== "auto") return `Parameter 'disable-legacy' does not accept value '${dl}'`;
  const disable_legacy = dl === "on";
  if (disable_legacy && dm) return "device cannot work as neither modern nor legacy mode is enabled (set either disable-modern or disable-legacy to off)";
  return { disable_legacy, disable_modern: dm };
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
  const allowed = nic !== undefined ? ["addr", "id", "mac", "netdev", ...(nic === 0x1041 ? ["disable-legacy", "disable-modern", "mq", ...Object.keys(VIRTIO_NET_FEATURE_PROPS)] : [])] : ["addr", "id"];
  for (const k of d.props.keys()) if (!allowed.includes(k)) return `-device ${d.driver}: unknown property '${k}'`;
  if (m.pci.find(slot, fn) !== undefined) return `-device ${spec}: PCI address 00:${slot.toString(16).padStart(2, "0")}.${fn} is taken`;
  if (nic !== undefined) {
    const nics = machine_nics(m).length;
    const mac_s = d.props.get("mac");
    const mac = mac_s === undefined ? nth_default_mac(nics) : parse_mac(mac_s);
    if (mac === null) return `-device ${spec}: bad mac '${mac_s}' (expected six hex bytes, e.g. 52:54:00:12:34:56, not multicast)`;
    const shape = nic === 0x1041 ? virtio_pci_shape(d.props) : null;
    if (typeof shape === "string") return `-device ${spec}: ${shape}`;
    const withhold = nic === 0x1041 ? virtio_net_withhold(d.props) : 0;
    if (typeof withhold === "string") return `-device ${spec}: ${withhold}`;
    const name = d.props.get("id") ?? `${nic === 0x1041 ? "virtio-net" : "e1000"}.${nics}`;
    const dev = shape !== null ? new VirtioNet(m.clock, { mac, name, withhold, ...shape }) : new E1000(m.clock, { mac, device_id: nic, name });
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
