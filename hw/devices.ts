/**
 * Every device type `-device` can make, one line each (QEMU's type_init() registrations). Adding a
 * device to ringzero is its model file plus one line here; the board, `-device help`, `--help`
 * and the guest's pci.ids follow.
 */
import type { PciDeviceTypeInfo } from "./core/qdev.ts";
import { EDU_TYPE } from "./misc/edu.ts";
import { E1000_TYPES } from "./net/e1000.ts";
import { VIRTIO_NET_PCI_NON_TRANSITIONAL_TYPE, VIRTIO_NET_PCI_TYPE } from "./virtio/virtio_net_pci.ts";

export const DEVICE_TYPES: readonly PciDeviceTypeInfo[] = [...E1000_TYPES, VIRTIO_NET_PCI_TYPE, VIRTIO_NET_PCI_NON_TRANSITIONAL_TYPE, EDU_TYPE];
