/**
 * sysfs as Linux lays it out for a NIC: kernfs symbolic links (resolution, readlink, ELOOP), the
 * PCI device tree under /sys/devices/pci0000:00 with /sys/bus/pci links to it, msi_irqs/, the
 * virtio bus (drivers/virtio/virtio_sysfs.ts, called directly here where the virtio core does not
 * call it yet), and /sys/class/net/DEV → the interface's directory under its parent device.
 */
import { describe, expect, it } from "vitest";
import { EACCES, EBUSY, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR } from "../../include/linux/errno.ts";
import { NETDEV_TX_OK } from "../../include/net/netdevice.ts";
import { E1000 } from "../../hw/net/e1000.ts";
import { VirtioNet } from "../../hw/net/virtio_net.ts";
import {
  kernfs_create,
  kernfs_create_link,
  kernfs_get_target_path,
  kernfs_read,
  kernfs_readdir,
  kernfs_readlink,
  kernfs_remove,
  kernfs_write,
} from "../../kernel/fs/kernfs.ts";
import { load_module, unload_module } from "../../kernel/module.ts";
import { alloc_etherdev, dev_get_by_name, dev_open, register_netdev, unregister_netdev } from "../../drivers/net/netdev.ts";
import { virtio_net_driver } from "../../drivers/net/virtio_net.ts";
import { virtio_devices } from "../../drivers/virtio/virtio.ts";
import { virtio_dev_sysfs_add, virtio_dev_sysfs_path, virtio_dev_sysfs_remove, virtio_driver_sysfs_add, virtio_features_text } from "../../drivers/virtio/virtio_sysfs.ts";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { PROMPT } from "../../userland/sh/sh.ts";
import { boot_test_machine, type TestMachine } from "../helpers/boot.ts";
import { boot_net_machine, MODULES } from "../helpers/net_machine.ts";
import { MAC_A } from "../helpers/nic_harness.ts";

const text = (r: string | Uint8Array | number): string | number => (typeof r === "object" ? new TextDecoder().decode(r) : r);

describe("kernfs symbolic links", () => {
  it("resolves relative and absolute targets, physically (.. after the link), in every component", () => {
    boot_test_machine();
    kernfs_create("/t/a/b/file", { show: () => "hello\n" });
    kernfs_create_link("/t/x/rel", "../a/b");
    kernfs_create_link("/t/x/abs", "/t/a/b");
    kernfs_create_link("/t/x/to_file", "../a/b/file");
    expect(kernfs_read("/t/x/rel/file")).toBe("hello\n");
    expect(kernfs_read("/t/x/abs/file")).toBe("hello\n");
    expect(kernfs_read("/t/x/to_file")).toBe("hello\n");
    // /t/x/rel is /t/a/b, so /t/x/rel/.. is /t/a (not /t/x, as a lexical .. would give).
    expect(kernfs_readdir("/t/x/rel/..")).toEqual(["b"]);
    expect(kernfs_readdir("/t/x")).toEqual(["abs", "rel", "to_file"]);
    expect(kernfs_readdir("/t/x/rel")).toEqual(["file"]);
    expect(kernfs_readdir("/t/x/to_file")).toBe(-ENOTDIR);
    expect(kernfs_read("/t/x/rel")).toBe(-EISDIR);
    expect(kernfs_readlink("/t/x/rel")).toBe("../a/b");
    expect(kernfs_readlink("/t/a/b/file")).toBe(-EINVAL);
    expect(kernfs_readlink("/t/a/b")).toBe(-EINVAL);
    expect(kernfs_readlink("/t/nope")).toBe(-ENOENT);
  });

  it("creates and removes through a link in the directory part; removing a link leaves its target", () => {
    boot_test_machine();
    kernfs_create("/t/real/one", { show: () => "1\n" });
    kernfs_create_link("/t/alias", "real");
    kernfs_create("/t/alias/two", { show: () => "2\n" });
    expect(kernfs_readdir("/t/real")).toEqual(["one", "two"]);
    kernfs_remove("/t/alias/one");
    expect(kernfs_readdir("/t/real")).toEqual(["two"]);
    kernfs_remove("/t/alias");
    expect(kernfs_read("/t/alias/two")).toBe(-ENOENT);
    expect(kernfs_read("/t/real/two")).toBe("2\n");
    expect(kernfs_readdir("/t")).toEqual(["real"]);
  });

  it("gives -ELOOP after 40 links in one lookup, and follows a chain of exactly 40", () => {
    boot_test_machine();
    kernfs_create_link("/t/self", "self");
    expect(kernfs_read("/t/self")).toBe(-ELOOP);
    expect(kernfs_readdir("/t/self/x")).toBe(-ELOOP);
    kernfs_create_link("/t/ping", "pong");
    kernfs_create_link("/t/pong", "/t/ping");
    expect(kernfs_read("/t/ping/file")).toBe(-ELOOP);
    kernfs_create("/t/end", { show: () => "end\n" });
    for (let i = 0; i < 41; i++) kernfs_create_link(`/t/c${i}`, i === 40 ? "end" : `c${i + 1}`);
    expect(kernfs_read("/t/c1")).toBe("end\n"); // c1 … c40: 40 links
    expect(kernfs_read("/t/c0")).toBe(-ELOOP); // 41
  });

  it("a computed link is absent (not listed, -ENOENT) while its target function gives null", () => {
    boot_test_machine();
    let bound: string | null = null;
    kernfs_create("/t/drivers/e1000/bind", { store: (d) => d.length });
    kernfs_create("/t/dev/vendor", { show: () => "0x8086\n" });
    kernfs_create_link("/t/dev/driver", () => (bound === null ? null : `../drivers/${bound}`));
    expect(kernfs_readdir("/t/dev")).toEqual(["vendor"]);
    expect(kernfs_readlink("/t/dev/driver")).toBe(-ENOENT);
    expect(kernfs_readdir("/t/dev/driver")).toBe(-ENOENT);
    bound = "e1000";
    expect(kernfs_readdir("/t/dev")).toEqual(["driver", "vendor"]);
    expect(kernfs_readlink("/t/dev/driver")).toBe("../drivers/e1000");
    expect(kernfs_readdir("/t/dev/driver")).toEqual(["bind"]);
    expect(kernfs_read("/t/dev/driver/bind")).toBe(-EACCES);
  });

  it("kernfs_get_target_path writes the relative target sysfs would", () => {
    boot_test_machine();
    expect(kernfs_get_target_path("/sys/class/net/eth0", "/sys/devices/pci0000:00/0000:00:03.0/net/eth0")).toBe("../../devices/pci0000:00/0000:00:03.0/net/eth0");
    expect(kernfs_get_target_path("/sys/devices/pci0000:00/0000:00:03.0/net/eth0/device", "/sys/devices/pci0000:00/0000:00:03.0")).toBe("../../../0000:00:03.0");
    expect(kernfs_get_target_path("/sys/devices/pci0000:00/0000:00:03.0/driver", "/sys/bus/pci/drivers/e1000")).toBe("../../../bus/pci/drivers/e1000");
  });
});

describe("PCI and net class sysfs of an e1000", () => {
  const DEV = "/sys/devices/pci0000:00/0000:00:03.0";

  it("puts the function under /sys/devices with Linux's attributes, linked from /sys/bus/pci", async () => {
    const tm = await boot_net_machine();
    expect(kernfs_readlink("/sys/bus/pci/devices/0000:00:03.0")).toBe("../../../devices/pci0000:00/0000:00:03.0");
    expect(kernfs_readdir("/sys/bus/pci/devices")).toContain("0000:00:03.0");
    for (const [f, v] of [
      ["vendor", "0x8086\n"],
      ["device", "0x100e\n"],
      ["subsystem_vendor", "0x1af4\n"], // QEMU's e1000: Red Hat, Inc. subsystem 1af4:1100
      ["subsystem_device", "0x1100\n"],
      ["class", "0x020000\n"],
      ["revision", "0x03\n"],
      ["enable", "1\n"],
    ]) {
      expect([f, kernfs_read(`${DEV}/${f}`)]).toEqual([f, v]);
      expect([f, kernfs_read(`/sys/bus/pci/devices/0000:00:03.0/${f}`)]).toEqual([f, v]);
    }
    expect((kernfs_read(`${DEV}/config`) as Uint8Array).length).toBe(4096);
    expect(kernfs_read(`${DEV}/irq`)).toMatch(/^\d+\n$/);
    expect(kernfs_readlink(`${DEV}/driver`)).toBe("../../../bus/pci/drivers/e1000");
    expect(kernfs_readlink(`${DEV}/subsystem`)).toBe("../../../bus/pci");
    expect(kernfs_readdir(`${DEV}/driver`)).toEqual(["0000:00:03.0", "bind", "new_id", "remove_id", "uevent", "unbind"]);
    expect(kernfs_readlink("/sys/bus/pci/drivers/e1000/0000:00:03.0")).toBe("../../../../devices/pci0000:00/0000:00:03.0");
    expect(kernfs_read(`${DEV}/uevent`)).toBe(
      "DRIVER=e1000\nPCI_CLASS=20000\nPCI_ID=8086:100E\nPCI_SUBSYS_ID=1AF4:1100\nPCI_SLOT_NAME=0000:00:03.0\nMODALIAS=pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00\n",
    );
    expect(kernfs_read(`${DEV}/modalias`)).toBe("pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00\n");
    // The e1000 uses its INTx line: no MSI vectors, no msi_irqs/.
    expect(kernfs_readdir(`${DEV}/msi_irqs`)).toBe(-ENOENT);
    // Unbinding removes the driver link, DRIVER= and the interface; enable refuses while bound.
    expect(await tm.in_task(() => kernfs_write(`${DEV}/enable`, "0"))).toBe(-EBUSY);
    expect(await tm.in_task(() => kernfs_write("/sys/bus/pci/drivers/e1000/unbind", "0000:00:03.0"))).toBeGreaterThan(0);
    expect(kernfs_readlink(`${DEV}/driver`)).toBe(-ENOENT);
    expect(kernfs_readdir("/sys/bus/pci/drivers/e1000")).toEqual(["bind", "new_id", "remove_id", "uevent", "unbind"]);
    expect(text(kernfs_read(`${DEV}/uevent`))).not.toMatch(/DRIVER=/);
    expect(kernfs_read("/sys/class/net/eth0/address")).toBe(-ENOENT);
    expect(kernfs_readdir(`${DEV}/net`)).toBe(-ENOENT);
    expect(await tm.in_task(() => kernfs_write("/sys/bus/pci/drivers/e1000/bind", "0000:00:03.0"))).toBeGreaterThan(0);
    expect(kernfs_readlink(`${DEV}/driver`)).toBe("../../../bus/pci/drivers/e1000");
  });

  it("links /sys/class/net/eth0 to the interface under its PCI parent, with device, type, flags, speed and uevent", async () => {
    const tm = await boot_net_machine();
    expect(kernfs_readlink("/sys/class/net/eth0")).toBe("../../devices/pci0000:00/0000:00:03.0/net/eth0");
    expect(kernfs_readlink(`${DEV}/net/eth0/device`)).toBe("../../../0000:00:03.0");
    expect(kernfs_readlink("/sys/class/net/eth0/subsystem")).toBe("../../../../../class/net");
    expect(kernfs_read("/sys/class/net/eth0/device/vendor")).toBe("0x8086\n");
    expect(kernfs_read("/sys/class/net/eth0/address")).toBe("52:54:00:12:34:56\n");
    expect(kernfs_read("/sys/class/net/eth0/broadcast")).toBe("ff:ff:ff:ff:ff:ff\n");
    expect(kernfs_read("/sys/class/net/eth0/type")).toBe("1\n");
    expect(kernfs_read("/sys/class/net/eth0/addr_len")).toBe("6\n");
    expect(kernfs_read("/sys/class/net/eth0/tx_queue_len")).toBe("1000\n");
    expect(kernfs_read("/sys/class/net/eth0/uevent")).toBe("INTERFACE=eth0\nIFINDEX=2\n");
    expect(kernfs_read("/sys/class/net/eth0/statistics/rx_packets")).toBe("0\n");
    // Down: flags without IFF_UP, carrier and speed unreadable (-EINVAL), operstate down.
    expect(kernfs_read("/sys/class/net/eth0/flags")).toBe("0x1002\n");
    expect(kernfs_read("/sys/class/net/eth0/carrier")).toBe(-EINVAL);
    expect(kernfs_read("/sys/class/net/eth0/speed")).toBe(-EINVAL);
    expect(kernfs_read("/sys/class/net/eth0/operstate")).toBe("down\n");
    const eth0 = dev_get_by_name("eth0")!;
    await tm.in_task(() => dev_open(eth0));
    await tm.run_until(() => eth0.carrier);
    expect(kernfs_read("/sys/class/net/eth0/flags")).toBe("0x1003\n");
    expect(kernfs_read("/sys/class/net/eth0/carrier")).toBe("1\n");
    expect(kernfs_read("/sys/class/net/eth0/speed")).toBe("1000\n");
    expect(kernfs_read("/sys/class/net/eth0/duplex")).toBe("full\n");
    expect(kernfs_read("/sys/class/net/eth0/operstate")).toBe("up\n");
    expect(kernfs_readdir("/sys/class/net")).toEqual(["eth0", "lo"]);
    expect(kernfs_readlink("/sys/class/net/lo")).toBe("../../devices/virtual/net/lo");
    expect(kernfs_read("/sys/class/net/lo/type")).toBe("772\n");
    expect(kernfs_read("/sys/class/net/lo/device/vendor")).toBe(-ENOENT);
  });

  it("cat and lspci -k read through the links from the shell", async () => {
    const tm = boot_test_machine({
      mem_size: 64 << 20,
      setup: (m) => m.pci.plug(new E1000(m.clock, { mac: MAC_A, name: "e1000.0" }), 3),
      boot: { initcalls: [serial8250_init], modules: MODULES, default_modules: ["e1000"], programs: PROGRAMS, init_argv: ["init"] },
    });
    const prompts = (): number => tm.machine.console_output.split(PROMPT).length - 1;
    await tm.run_until(() => prompts() === 1);
    const before = tm.machine.console_output.length;
    tm.machine.uart.receive("cat /sys/class/net/eth0/device/vendor /sys/bus/pci/devices/0000:00:03.0/driver/../../devices/0000:00:03.0/device; lspci -k -s 03\n");
    await tm.run_until(() => prompts() === 2);
    const out = tm.machine.console_output.slice(before);
    expect(out).toMatch(/^0x8086\r?\n0x100e\r?\n/m);
    expect(out).toMatch(/\tKernel driver in use: e1000/);
  });
});

/** A guest with a virtio-net at slot 5 and the virtio, virtio_pci and virtio_net modules loaded. */
async function boot_virtio(): Promise<TestMachine> {
  const tm = boot_test_machine({
    mem_size: 64 << 20,
    setup: (m) => m.pci.plug(new VirtioNet(m.clock, { mac: MAC_A, name: "virtio-net.0" }), 5),
    boot: { modules: MODULES },
  });
  await tm.run_for(1e6);
  for (const name of ["virtio", "virtio_pci", "virtio_net"]) {
    const r = await tm.in_task(() => load_module(name, {}, true));
    if (r !== 0) throw new Error(`${name} did not load: ${r}\n${tm.dmesg()}`);
  }
  return tm;
}

/** virtio_sysfs as the virtio core will call it; skipped for what the core already did. */
function ensure_virtio_sysfs(): void {
  const vdev = virtio_devices()[0]!;
  if (kernfs_readlink(`/sys/bus/virtio/devices/${vdev.name}`) === -ENOENT) virtio_dev_sysfs_add(vdev);
  if (kernfs_readdir("/sys/bus/virtio/drivers/virtio_net") === -ENOENT) virtio_driver_sysfs_add(virtio_net_driver);
}

describe("virtio bus sysfs", () => {
  const PDEV = "/sys/devices/pci0000:00/0000:00:05.0";

  it("publishes virtio0 under its PCI function with device, vendor, features, status, modalias, uevent and driver", async () => {
    await boot_virtio();
    ensure_virtio_sysfs();
    const vdev = virtio_devices()[0]!;
    expect(virtio_dev_sysfs_path(vdev)).toBe(`${PDEV}/virtio0`);
    expect(kernfs_readlink("/sys/bus/virtio/devices/virtio0")).toBe("../../../devices/pci0000:00/0000:00:05.0/virtio0");
    const V = "/sys/bus/virtio/devices/virtio0";
    expect(kernfs_read(`${V}/device`)).toBe("0x0001\n");
    expect(kernfs_read(`${V}/vendor`)).toBe("0x1af4\n");
    expect(kernfs_read(`${V}/status`)).toBe("0x0000000f\n");
    expect(kernfs_read(`${V}/modalias`)).toBe("virtio:d00000001v00001AF4\n");
    expect(kernfs_read(`${V}/uevent`)).toBe("DRIVER=virtio_net\nMODALIAS=virtio:d00000001v00001AF4\n");
    const features = text(kernfs_read(`${V}/features`)) as string;
    expect(features).toMatch(/^[01]{64}\n$/);
    for (let i = 0; i < 64; i++) expect([i, features[i]]).toEqual([i, ((vdev.features >> BigInt(i)) & 1n) === 1n ? "1" : "0"]);
    expect(features[32]).toBe("1"); // VIRTIO_F_VERSION_1
    expect(features[5]).toBe("1"); // VIRTIO_NET_F_MAC
    expect(features.slice(0, 8)).toBe(virtio_features_text(vdev).slice(0, 8));
    expect(kernfs_readlink(`${V}/driver`)).toBe("../../../../bus/virtio/drivers/virtio_net");
    expect(kernfs_readlink(`${V}/subsystem`)).toBe("../../../../bus/virtio");
    expect(kernfs_readlink("/sys/bus/virtio/drivers/virtio_net/virtio0")).toBe("../../../../devices/pci0000:00/0000:00:05.0/virtio0");
    expect(kernfs_read("/sys/bus/virtio/drivers/virtio_net/virtio0/vendor")).toBe("0x1af4\n");
    // The transport's PCI function: bound to virtio-pci, its MSI-X vectors in msi_irqs/.
    expect(kernfs_read(`${PDEV}/vendor`)).toBe("0x1af4\n");
    expect(kernfs_read(`${PDEV}/device`)).toBe("0x1041\n");
    expect(text(kernfs_read(`${PDEV}/uevent`))).toMatch(/^DRIVER=virtio-pci\n/);
    const irqs = kernfs_readdir(`${PDEV}/msi_irqs`) as string[];
    expect(irqs.length).toBeGreaterThanOrEqual(2);
    for (const irq of irqs) expect(kernfs_read(`${PDEV}/msi_irqs/${irq}`)).toBe("msix\n");
    virtio_dev_sysfs_remove(vdev);
    expect(kernfs_readlink("/sys/bus/virtio/devices/virtio0")).toBe(-ENOENT);
    expect(kernfs_readdir(`${PDEV}/virtio0`)).toBe(-ENOENT);
    expect(kernfs_readdir("/sys/bus/virtio/drivers/virtio_net")).toEqual(["uevent"]);
  });

  it("msi_irqs/ goes with the vectors when the driver unloads", async () => {
    const tm = await boot_virtio();
    expect((kernfs_readdir(`${PDEV}/msi_irqs`) as string[]).length).toBeGreaterThanOrEqual(2);
    await tm.in_task(async () => {
      for (const name of ["virtio_net", "virtio_pci"]) expect(await unload_module(name)).toBe(0);
    });
    expect(kernfs_readdir(`${PDEV}/msi_irqs`)).toBe(-ENOENT);
    expect(kernfs_readlink(`${PDEV}/driver`)).toBe(-ENOENT);
  });

  it("a net device whose parent is the virtio device: /sys/class/net/ethN/device/vendor is virtio's 0x1af4", async () => {
    const tm = await boot_virtio();
    ensure_virtio_sysfs();
    const vdev = virtio_devices()[0]!;
    const dev = alloc_etherdev({ ndo_open: () => 0, ndo_stop: () => 0, ndo_start_xmit: () => NETDEV_TX_OK });
    dev.sysfs_parent = virtio_dev_sysfs_path(vdev);
    expect(await tm.in_task(() => register_netdev(dev))).toBe(0);
    const cls = `/sys/class/net/${dev.name}`;
    expect(kernfs_readlink(cls)).toBe(`../../devices/pci0000:00/0000:00:05.0/virtio0/net/${dev.name}`);
    expect(kernfs_readlink(`${cls}/device`)).toBe("../../../virtio0");
    expect(kernfs_read(`${cls}/device/vendor`)).toBe("0x1af4\n");
    expect(kernfs_read(`${cls}/device/device`)).toBe("0x0001\n");
    expect(kernfs_readdir(`${PDEV}/virtio0/net`)).toContain(dev.name);
    await tm.in_task(() => unregister_netdev(dev));
    expect(kernfs_readlink(cls)).toBe(-ENOENT);
    expect(kernfs_readdir(`${PDEV}/virtio0/net`)).not.toContain(dev.name);
  });
});
