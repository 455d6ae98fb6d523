/**
 * Two machines on one hub, one with an e1000 and one with a virtio-net NIC, each with its own
 * driver: they ping each other (ARP, ICMP both ways), as two QEMU guests with different -device
 * models would.
 */
import { expect, it } from "vitest";
import { Hub } from "../../hw/net/hub.ts";
import { World } from "../../hw/world.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { dma_debug_error_count } from "../../kernel/dma/debug.ts";
import { boot_host } from "../helpers/net_machine.ts";

it("an e1000 machine and a virtio-net machine ping each other on one hub", async () => {
  const world = new World();
  const hub = new Hub();
  const a = boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.1::::::off", command: "ping -c 3 10.0.0.2; sleep 3", base_mac: 0x10 });
  const b = boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.2::::::off", command: "ping -c 3 10.0.0.1; sleep 3", base_mac: 0x20, nic: "virtio-net-pci" });
  await world.run({ for_ns: 10e9, until: () => a.machine.powered_off && b.machine.powered_off });
  expect(a.machine.console_output).toContain("3 packets transmitted, 3 received, 0% packet loss");
  expect(b.machine.console_output).toContain("3 packets transmitted, 3 received, 0% packet loss");
  expect(b.dmesg()).toMatch(/eth0: virtio_net virtio0 \(0000:00:03\.0\) 52:54:00:12:34:20/);
  expect(with_kernel(a.kernel, () => dma_debug_error_count())).toBe(0);
  expect(with_kernel(b.kernel, () => dma_debug_error_count())).toBe(0);
});
