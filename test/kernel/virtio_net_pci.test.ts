/**
 * The kernel's PCI core meets the virtio-net model (no virtio driver yet): it sizes the 64-bit
 * prefetchable BAR4 and the MSI-X BAR1, and lspci walks the six capabilities in QEMU's order.
 */
import { expect, it } from "vitest";
import { VirtioNet } from "../../hw/net/virtio_net.ts";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { PROMPT } from "../../userland/sh/sh.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { MAC_A } from "../helpers/nic_harness.ts";

it("the kernel enumerates virtio-net and lspci -v shows its BARs and capabilities", async () => {
  const tm = boot_test_machine({
    setup: (m) => m.pci.plug(new VirtioNet(m.clock, { mac: MAC_A }), 5),
    boot: { initcalls: [serial8250_init], programs: PROGRAMS, init_argv: ["init"] },
  });
  const prompts = (): number => tm.machine.console_output.split(PROMPT).length - 1;
  await tm.run_until(() => prompts() === 1);
  const before = tm.machine.console_output.length;
  tm.machine.uart.receive("lspci -v -s 05\n");
  await tm.run_until(() => prompts() === 2);
  const out = tm.machine.console_output.slice(before);
  expect(out).toMatch(/00:05\.0 Ethernet controller: Red Hat, Inc\. Virtio 1\.0 network device \(rev 01\)/);
  expect(out).toMatch(/Memory at [0-9a-f]+ \(32-bit, non-prefetchable\) \[size=4K\]/);
  expect(out).toMatch(/Memory at [0-9a-f]+ \(64-bit, prefetchable\) \[size=16K\]/);
  const caps = [...out.matchAll(/Capabilities: \[([0-9a-f]+)\]/g)].map((x) => x[1]);
  expect(caps).toEqual(["98", "84", "70", "60", "50", "40"]);
  expect(out).toMatch(/\[98\] MSI-X: Enable- Count=4 Masked-/);
  // pciutils names virtio's vendor capabilities by cfg_type (PCI_CFG is "<unknown>" there too).
  expect(out).toMatch(/\[40\] Vendor Specific Information: VirtIO: CommonCfg\n/);
  expect(out).toMatch(/\[50\] Vendor Specific Information: VirtIO: ISR\n/);
  expect(out).toMatch(/\[60\] Vendor Specific Information: VirtIO: DeviceCfg\n/);
  expect(out).toMatch(/\[70\] Vendor Specific Information: VirtIO: Notify\n/);
});
