/**
 * virtio-net as `npm start -- -device virtio-net-pci` would run it: the virtio, virtio_pci,
 * virtio_net and inet modules loaded at boot, an address from the built-in user network's DHCP
 * server, and ping to the gateway — the boot/ wiring is the lead's; this is the same sequence.
 */
import { describe, expect, it } from "vitest";
import type { ModuleIndex, ModuleInfo } from "../../include/linux/module.ts";
import { net_connect } from "../../hw/net/net_endpoint.ts";
import { UserNet } from "../../hw/net/user_net.ts";
import { VirtioNet } from "../../hw/net/virtio_net.ts";
import { World } from "../../hw/world.ts";
import netdev_module from "../../drivers/net/netdev.ts";
import virtio_net_module from "../../drivers/net/virtio_net.ts";
import virtio_module from "../../drivers/virtio/virtio.ts";
import virtio_pci_module from "../../drivers/virtio/virtio_pci_common.ts";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import inet_module from "../../net/inet.ts";
import { ip_auto_config } from "../../net/ipv4/ipconfig.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { boot_test_machine } from "../helpers/boot.ts";

const MODULES: ModuleIndex = new Map<string, { load: () => Promise<ModuleInfo>; size: number }>([
  ["netdev", { load: async () => netdev_module, size: 1 }],
  ["virtio", { load: async () => virtio_module, size: 1 }],
  ["virtio_pci", { load: async () => virtio_pci_module, size: 1 }],
  ["virtio_net", { load: async () => virtio_net_module, size: 1 }],
  ["inet", { load: async () => inet_module, size: 1 }],
]);

describe("virtio_net at boot", () => {
  it("gets an address by DHCP over virtio-net-pci and pings the gateway", async () => {
    const world = new World();
    const user = new UserNet(world.clock);
    const h = boot_test_machine({
      world,
      mem_size: 64 << 20,
      cmdline: "quiet ip=dhcp",
      setup: (m) => {
        const dev = new VirtioNet(m.clock, { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56), name: "virtio-net.0" });
        m.pci.plug(dev, 3);
        net_connect(user, dev);
      },
      boot: {
        initcalls: [serial8250_init],
        modules: MODULES,
        default_modules: ["virtio", "virtio_pci", "virtio_net", "inet"],
        late_initcalls: [ip_auto_config],
        programs: PROGRAMS,
        init_argv: ["init", "-c", "ping -c 3 10.0.2.2 && lsmod && cat /proc/interrupts"],
      },
    });
    await world.run({ until: () => h.machine.powered_off, for_ns: 120e9 });
    const out = h.machine.console_output;
    expect(h.machine.powered_off, out).toBe(true);
    expect(out.match(/^64 bytes from 10\.0\.2\.2: icmp_seq=\d ttl=64/gm)?.length).toBe(3);
    expect(out).toMatch(/^3 packets transmitted, 3 received, 0% packet loss/m);
    expect(out).toMatch(/^virtio_net\s/m);
    expect(out).toMatch(/ PCI-MSI 49153-edge +virtio0-input\.0/); // 00:03.0 (devfn 24) << 11 | vector 1
    expect(h.machine.exit_code).toBe(0);
    expect(user.leases.get("52:54:00:12:34:56")).toBe(0x0a00020f);
  });
});
