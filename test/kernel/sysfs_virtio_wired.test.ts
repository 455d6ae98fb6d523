/**
 * The virtio bus in sysfs as the virtio core and virtio_net publish it themselves (no direct calls
 * to drivers/virtio/virtio_sysfs.ts here): register_virtio_device / register_virtio_driver call
 * virtio_dev_sysfs_add / virtio_driver_sysfs_add, the unregister paths the _remove functions, and
 * virtnet_probe sets dev.sysfs_parent = virtio_dev_sysfs_path(vdev) before register_netdev.
 */
import { expect, it } from "vitest";
import { ENOENT } from "../../include/linux/errno.ts";
import { VirtioNet } from "../../hw/net/virtio_net.ts";
import { kernfs_read, kernfs_readdir, kernfs_readlink } from "../../kernel/fs/kernfs.ts";
import { load_module, unload_module } from "../../kernel/module.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";
import { MAC_A } from "../helpers/nic_harness.ts";

it("virtio_net's eth0 lives under virtio0, which lives under its PCI function, and both go when their drivers unload", async () => {
  const tm = boot_test_machine({
    mem_size: 64 << 20,
    setup: (m) => m.pci.plug(new VirtioNet(m.clock, { mac: MAC_A, name: "virtio-net.0" }), 5),
    boot: { modules: MODULES },
  });
  await tm.run_for(1e6);
  for (const name of ["virtio", "virtio_pci", "virtio_net"]) expect([name, await tm.in_task(() => load_module(name, {}, true))]).toEqual([name, 0]);
  expect(kernfs_readlink("/sys/bus/virtio/devices/virtio0")).toBe("../../../devices/pci0000:00/0000:00:05.0/virtio0");
  expect(kernfs_readlink("/sys/bus/virtio/devices/virtio0/driver")).toBe("../../../../bus/virtio/drivers/virtio_net");
  expect(kernfs_readlink("/sys/bus/virtio/drivers/virtio_net/virtio0")).toBe("../../../../devices/pci0000:00/0000:00:05.0/virtio0");
  expect(kernfs_readlink("/sys/class/net/eth0")).toBe("../../devices/pci0000:00/0000:00:05.0/virtio0/net/eth0");
  expect(kernfs_read("/sys/class/net/eth0/device/vendor")).toBe("0x1af4\n");
  expect(kernfs_read("/sys/class/net/eth0/device/device")).toBe("0x0001\n");
  expect(kernfs_read("/sys/class/net/eth0/device/status")).toBe("0x0000000f\n");
  await tm.in_task(() => unload_module("virtio_net"));
  expect(kernfs_readlink("/sys/class/net/eth0")).toBe(-ENOENT);
  expect(kernfs_readlink("/sys/bus/virtio/devices/virtio0/driver")).toBe(-ENOENT);
  expect(kernfs_readdir("/sys/bus/virtio/drivers/virtio_net")).toBe(-ENOENT);
  expect(kernfs_read("/sys/bus/virtio/devices/virtio0/status")).toBe("0x00000001\n"); // ACKNOWLEDGE, for a rebind
  await tm.in_task(() => unload_module("virtio_pci"));
  expect(kernfs_readlink("/sys/bus/virtio/devices/virtio0")).toBe(-ENOENT);
  expect(kernfs_readdir("/sys/devices/pci0000:00/0000:00:05.0/virtio0")).toBe(-ENOENT);
});
