/**
 * `-device virtio-net-pci` (QEMU's hw/virtio/virtio-net-pci.c): the virtio network device on its PCI
 * transport, with QEMU's properties for the transport's shape and the device's feature offer.
 */
import { PCI_VENDOR_ID_REDHAT_QUMRANET } from "../../include/kernel/pci.ts";
import type { PciDeviceTypeInfo } from "../core/qdev.ts";
import { QEMU_BOOL } from "../core/qdev_properties.ts";
import { nic_mac } from "../net/nic_props.ts";
import { VirtioNet } from "../net/virtio_net.ts";

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

/**
 * virtio-net-pci's disable-legacy (QEMU OnOffAuto) and disable-modern (bool): the shape of the
 * function, or a QEMU-style error. `auto` is QEMU's rule for the bus: legacy stays on a
 * conventional PCI bus (ringzero's only kind), so auto gives the transitional device. Absent,
 * disable-legacy is `on` here unless disable-modern=on asks for the legacy-only device — QEMU's
 * default is auto (transitional): a departure that keeps the modern 1af4:1041 device ringzero has
 * always shown as the default (hw/virtio/virtio_pci.ts).
 */
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

export const VIRTIO_NET_PCI_TYPE: PciDeviceTypeInfo = {
  name: "virtio-net-pci",
  alias: "virtio-net",
  model: "virtio-net",
  category: "network",
  nic: true,
  pci_ids: { vendor_id: PCI_VENDOR_ID_REDHAT_QUMRANET, vendor: "Red Hat, Inc.", device_id: 0x1041, device: "Virtio 1.0 network device" },
  props: ["disable-legacy", "disable-modern", "mq", ...Object.keys(VIRTIO_NET_FEATURE_PROPS)],
  realize(props, ctx) {
    const mac = nic_mac(props, ctx.nic_index);
    if (typeof mac === "string") return mac;
    const shape = virtio_pci_shape(props);
    if (typeof shape === "string") return shape;
    const withhold = virtio_net_withhold(props);
    if (typeof withhold === "string") return withhold;
    return new VirtioNet(ctx.clock, { mac, name: ctx.name, withhold, ...shape });
  },
};

/** QEMU's virtio-net-pci-non-transitional: the modern function only (no legacy I/O BAR). */
export const VIRTIO_NET_PCI_NON_TRANSITIONAL_TYPE: PciDeviceTypeInfo = {
  ...VIRTIO_NET_PCI_TYPE,
  name: "virtio-net-pci-non-transitional",
  alias: undefined,
  props: ["mq", ...Object.keys(VIRTIO_NET_FEATURE_PROPS)],
  realize(props, ctx) {
    const mac = nic_mac(props, ctx.nic_index);
    if (typeof mac === "string") return mac;
    const withhold = virtio_net_withhold(props);
    if (typeof withhold === "string") return withhold;
    return new VirtioNet(ctx.clock, { mac, name: ctx.name, withhold, disable_legacy: true, disable_modern: false });
  },
};
