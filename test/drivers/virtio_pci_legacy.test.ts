/**
 * Linux's legacy virtio PCI transport (drivers/virtio/virtio_pci_legacy*.ts) against the
 * transitional and legacy-only virtio-net-pci models: `insmod virtio_pci force_legacy=1` takes a
 * transitional function (`-device virtio-net-pci,disable-legacy=off`) through its I/O-port header;
 * a legacy-only one (`disable-modern=on`) goes there without being asked; DHCP and ping to the user
 * network's gateway run over it. The driver's side is checked on the device: which interface it
 * used, what it negotiated, and the header size that follows.
 */
import { describe, expect, it } from "vitest";
import type { ModuleIndex, ModuleInfo } from "../../include/linux/module.ts";
import { E2BIG } from "../../include/linux/errno.ts";
import { VIRTIO_F_ANY_LAYOUT, VIRTIO_F_VERSION_1 } from "../../include/uapi/linux/virtio_config.ts";
import { VIRTIO_NET_F_MRG_RXBUF } from "../../include/uapi/linux/virtio_net.ts";
import { plug_device } from "../../boot/board.ts";
import { net_connect } from "../../hw/net/net_endpoint.ts";
import { UserNet } from "../../hw/net/user_net.ts";
import { VirtioNet } from "../../hw/net/virtio_net.ts";
import { World } from "../../hw/world.ts";
import netdev_module from "../../drivers/net/netdev.ts";
import virtio_net_module from "../../drivers/net/virtio_net.ts";
import virtio_module from "../../drivers/virtio/virtio.ts";
import virtio_pci_module from "../../drivers/virtio/virtio_pci_common.ts";
import { vp_legacy_ring_pfn } from "../../drivers/virtio/virtio_pci_legacy.ts";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import inet_module from "../../net/inet.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { boot_test_machine } from "../helpers/boot.ts";

const MODULES: ModuleIndex = new Map<string, { load: () => Promise<ModuleInfo>; size: number }>([
  ["netdev", { load: async () => netdev_module, size: 1 }],
  ["virtio", { load: async () => virtio_module, size: 1 }],
  ["virtio_pci", { load: async () => virtio_pci_module, size: 1 }],
  ["virtio_net", { load: async () => virtio_net_module, size: 1 }],
  ["inet", { load: async () => inet_module, size: 1 }],
]);

/** Boot with one virtio-net-pci spelled `spec` on the user network, run `command` as init. */
async function boot(spec: string, command: string, default_modules = ["virtio", "virtio_net", "inet"], cmdline = "quiet"): Promise<{ out: string; dev: VirtioNet; user: UserNet; exit: number; dmesg: string }> {
  const world = new World();
  const user = new UserNet(world.clock);
  let dev: VirtioNet | null = null;
  const h = boot_test_machine({
    world,
    mem_size: 64 << 20,
    cmdline,
    setup: (m) => {
      expect(plug_device(m, spec)).toBeNull();
      dev = [...m.pci.devices.values()].find((d): d is VirtioNet => d instanceof VirtioNet)!;
      net_connect(user, dev);
    },
    boot: { initcalls: [serial8250_init], modules: MODULES, default_modules, programs: PROGRAMS, init_argv: ["init", "-c", command] },
  });
  await world.run({ until: () => h.machine.powered_off, for_ns: 120e9 });
  expect(h.machine.powered_off, h.machine.console_output).toBe(true);
  return { out: h.machine.console_output, dev: dev!, user, exit: h.machine.exit_code, dmesg: h.dmesg() };
}

const PING = "dhclient eth0 && ping -c 3 10.0.2.2";

describe("virtio_pci legacy transport", () => {
  it("force_legacy=1 takes a transitional virtio-net-pci through its legacy header: DHCP and ping with 0% loss", async () => {
    const r = await boot("virtio-net-pci,addr=03.0,disable-legacy=off", `insmod virtio_pci force_legacy=1 && ${PING} && lspci -n -s 03.0`);
    expect(r.out).toMatch(/^3 packets transmitted, 3 received, 0% packet loss/m);
    expect(r.out).toMatch(/^00:03\.0 0200: 1af4:1000$/m); // transitional: rev 0 (lspci prints no "(rev 00)")
    expect(r.exit, r.out).toBe(0);
    // The device saw a legacy driver: no VERSION_1, its features through BAR0, the header they imply.
    expect(r.dev.legacy_in_use).toBe(true);
    expect(r.dev.has_feature(VIRTIO_F_VERSION_1)).toBe(false);
    expect(r.dev.guest_hdr_len).toBe(r.dev.has_feature(VIRTIO_NET_F_MRG_RXBUF) ? 12 : 10);
    expect(r.dev.stats.tx_frames).toBeGreaterThanOrEqual(5); // DHCP discover + request, ARP, 3 echo requests
    expect(r.dev.device_errors).toBe(0);
    expect(r.user.leases.get("52:54:00:12:34:56")).toBe(0x0a00020f);
  });

  it("legacy without MRG_RXBUF or ANY_LAYOUT: the 10-byte header, in a descriptor of its own on transmit", async () => {
    const r = await boot("virtio-net-pci,addr=03.0,disable-legacy=off,mrg_rxbuf=off,any_layout=off", `insmod virtio_pci force_legacy=1 && ${PING}`);
    expect(r.out).toMatch(/^3 packets transmitted, 3 received, 0% packet loss/m);
    expect(r.dev.legacy_in_use).toBe(true);
    expect(r.dev.has_feature(VIRTIO_F_ANY_LAYOUT)).toBe(false);
    expect(r.dev.guest_hdr_len).toBe(10);
    expect(r.dev.device_errors).toBe(0);
  });

  it("virtio_pci.force_legacy=1 on the kernel command line reaches the module when it loads (as modprobe passes it)", async () => {
    const r = await boot("virtio-net-pci,addr=03.0,disable-legacy=off", PING, ["virtio_pci", "virtio_net", "inet"], "quiet virtio_pci.force_legacy=1");
    expect(r.out).toMatch(/^3 packets transmitted, 3 received, 0% packet loss/m);
    expect(r.dev.legacy_in_use).toBe(true);
  });

  it("without force_legacy the same transitional function is driven through its modern interface", async () => {
    const r = await boot("virtio-net-pci,addr=03.0,disable-legacy=off", `insmod virtio_pci && ${PING}`);
    expect(r.out).toMatch(/^3 packets transmitted, 3 received, 0% packet loss/m);
    expect(r.dev.legacy_in_use).toBe(false);
    expect(r.dev.has_feature(VIRTIO_F_VERSION_1)).toBe(true);
    expect(r.dev.guest_hdr_len).toBe(12);
  });

  it("a legacy-only function (disable-modern=on) probes through the legacy header without being asked", async () => {
    const r = await boot("virtio-net-pci,addr=03.0,disable-legacy=off,disable-modern=on", `${PING} && lspci -v -s 03.0`, ["virtio", "virtio_pci", "virtio_net", "inet"]);
    expect(r.out).toMatch(/^3 packets transmitted, 3 received, 0% packet loss/m);
    expect(r.dmesg).toMatch(/virtio_pci: leaving for legacy driver/);
    expect(r.out).toMatch(/I\/O ports at [0-9a-f]+ \[size=64\]/);
    expect(r.out).not.toMatch(/Vendor Specific Information/);
    expect(r.dev.legacy_in_use).toBe(true);
    expect(r.dev.device_errors).toBe(0);
  });

  it("force_legacy=1 on a modern-only function falls back to the modern interface", async () => {
    const r = await boot("virtio-net-pci,addr=03.0", `insmod virtio_pci force_legacy=1 && ${PING}`);
    expect(r.out).toMatch(/^3 packets transmitted, 3 received, 0% packet loss/m);
    expect(r.dev.legacy_in_use).toBe(false);
    expect(r.dev.has_feature(VIRTIO_F_VERSION_1)).toBe(true);
  });

  it("refuses a force_legacy value that is not a bool, as module_param(bool) does", async () => {
    const r = await boot("virtio-net-pci,addr=03.0,disable-legacy=off", "insmod virtio_pci force_legacy=maybe; lsmod");
    expect(r.out).toMatch(/could not insert module virtio_pci: Invalid parameters/);
    expect(r.dmesg).toMatch(/`maybe' invalid for parameter `force_legacy'/);
  });

  it("a ring must fit the 32-bit page number: at or above 2^44 setup_vq gives -E2BIG", () => {
    expect(vp_legacy_ring_pfn(0x400000)).toBe(0x400);
    expect(vp_legacy_ring_pfn(2 ** 44 - 4096)).toBe(0xffffffff);
    expect(vp_legacy_ring_pfn(2 ** 44)).toBe(-E2BIG);
  });
});
