/**
 * MSI-X end to end: a test function with a 4-entry table in its own BAR (QEMU's exclusive-BAR
 * layout) sends messages that the local APIC turns into vectors; the kernel allocates irqs and
 * vectors with pci_alloc_irq_vectors, masks and unmasks entries, and /proc/interrupts names them.
 */
import { describe, expect, it } from "vitest";
import { IRQ_HANDLED } from "../../include/linux/interrupt.ts";
import { PCI_CAP_ID_MSIX, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE } from "../../include/kernel/pci.ts";
import { PciDevice } from "../../hw/pci/pci_device.ts";
import { Msix, MSIX_EXCLUSIVE_BAR_SIZE, MSIX_EXCLUSIVE_PBA_OFFSET } from "../../hw/pci/msix.ts";
import { disable_irq, enable_irq, free_irq, request_irq } from "../../kernel/irq/manage.ts";
import { irq_to_desc } from "../../kernel/irq/irqdesc.ts";
import { show_interrupts } from "../../kernel/irq/proc.ts";
import { readl, writel } from "../../kernel/io.ts";
import { pci_read_config_word } from "../../kernel/pci/access.ts";
import { PCI_IRQ_ALL_TYPES, PCI_IRQ_LEGACY, PCI_IRQ_MSIX, pci_alloc_irq_vectors, pci_free_irq_vectors, pci_irq_vector, pci_msix_vec_count } from "../../kernel/pci/msi.ts";
import { pci_clear_master, pci_enable_device, pci_find_capability, pci_iomap, pci_set_master } from "../../kernel/pci/pci.ts";
import { pci_devices } from "../../kernel/pci/probe.ts";
import type { PciDev } from "../../include/linux/pci.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { PROMPT } from "../../userland/sh/sh.ts";

/** A function whose BAR0 register 0 raises MSI-X vector N when N is written to it. */
class MsixTestDevice extends PciDevice {
  readonly msix: Msix;
  constructor() {
    super("msix-test", { vendor: 0x1b36, device: 0x0005, revision: 0, class_code: 0x00ff00, interrupt_pin: 1 });
    this.register_bar(0, {
      kind: "mem32",
      size: 0x1000,
      name: "msix-test-regs",
      ops: { read: () => 0, write: (off, _w, v) => (off === 0 ? this.msix.notify(v) : undefined) },
    });
    this.msix = new Msix(this, { nentries: 4, table_bar: 1, table_offset: 0, pba_bar: 1, pba_offset: MSIX_EXCLUSIVE_PBA_OFFSET });
    this.register_bar(1, { kind: "mem32", size: MSIX_EXCLUSIVE_BAR_SIZE, name: "msix-test-msix", ops: this.msix.exclusive_bar_ops() });
  }
  protected override config_written(off: number, width: number): void {
    this.msix.config_written(off, width);
  }
  reset(): void {
    this.msix.reset();
  }
}

async function machine() {
  let dev: MsixTestDevice | null = null;
  const tm = boot_test_machine({ setup: (m) => m.pci.plug((dev = new MsixTestDevice()), 5) });
  await tm.run_for(1e6);
  const pdev = pci_devices().find((d) => d.vendor === 0x1b36)! as PciDev;
  let regs = 0;
  await tm.in_task(() => {
    pci_enable_device(pdev);
    pci_set_master(pdev);
    regs = pci_iomap(pdev, 0, 0);
  });
  return { tm, dev: dev!, pdev, fire: (n: number) => writel(n, regs) };
}

describe("MSI-X", () => {
  it("vectors are allocated, each message reaches its own handler, and /proc/interrupts names the chip", async () => {
    const { tm, dev, pdev, fire } = await machine();
    const hits: number[] = [];
    await tm.in_task(() => {
      expect(pci_msix_vec_count(pdev)).toBe(4);
      expect(pci_alloc_irq_vectors(pdev, 1, 3, PCI_IRQ_MSIX)).toBe(3);
      for (let n = 0; n < 3; n++) {
        const irq = pci_irq_vector(pdev, n);
        expect(irq).toBeGreaterThanOrEqual(24); // after the I/O APIC's lines
        expect(request_irq(irq, () => (hits.push(n), IRQ_HANDLED), 0, `msix-test-${n}`, null)).toBe(0);
      }
      expect(pci_irq_vector(pdev, 3)).toBe(-22);
      // MSI-X on, INTx off, as Linux leaves a function.
      const cap = pci_find_capability(pdev, PCI_CAP_ID_MSIX);
      expect(pci_read_config_word(pdev, cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_ENABLE).toBe(PCI_MSIX_FLAGS_ENABLE);
      expect(pci_read_config_word(pdev, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE).toBe(PCI_COMMAND_INTX_DISABLE);
      fire(2);
      fire(0);
    });
    await tm.run_for(1e6);
    expect(hits.sort()).toEqual([0, 2]);
    expect(dev.msix.sent).toBe(2);
    const irq0 = await tm.in_task(() => pci_irq_vector(pdev, 0));
    // Linux 6.1: chip "PCI-MSI", hwirq (bus << 8 | devfn) << 11 | index: 00:05.0 is devfn 40, 40 << 11 = 81920.
    expect(show_interrupts()).toMatch(new RegExp(`\\n *${irq0}:          1   PCI-MSI 81920-edge      msix-test-0\\n`));
  });

  it("a masked entry holds its message as a pending bit and sends it when unmasked", async () => {
    const { tm, dev, pdev, fire } = await machine();
    let hits = 0;
    let irq = 0;
    await tm.in_task(() => {
      expect(pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX)).toBe(1);
      irq = pci_irq_vector(pdev, 0);
      request_irq(irq, () => (hits++, IRQ_HANDLED), 0, "msix-test", null);
      disable_irq(irq); // masks the entry (Vector Control bit 0)
      fire(0);
    });
    await tm.run_for(1e6);
    expect(hits).toBe(0);
    expect(dev.msix.is_pending(0)).toBe(true);
    // The PBA shows it too, read through the BAR as a driver would.
    const pba = await tm.in_task(() => readl(pci_iomap(pdev, 1, 0) + MSIX_EXCLUSIVE_PBA_OFFSET));
    expect(pba & 1).toBe(1);
    await tm.in_task(() => enable_irq(irq));
    await tm.run_for(1e6);
    expect(hits).toBe(1);
    expect(dev.msix.is_pending(0)).toBe(false);
  });

  it("pci_free_irq_vectors gives the irqs and vectors back and turns INTx on again; without MSI-X, INTx", async () => {
    const { tm, pdev } = await machine();
    await tm.in_task(() => {
      expect(pci_alloc_irq_vectors(pdev, 2, 4, PCI_IRQ_ALL_TYPES)).toBe(4);
      const irqs = [0, 1, 2, 3].map((n) => pci_irq_vector(pdev, n));
      request_irq(irqs[0]!, () => IRQ_HANDLED, 0, "x", null);
      pci_free_irq_vectors(pdev); // refused: irq still requested
      expect(irq_to_desc(irqs[0]!)).toBeDefined();
      free_irq(irqs[0]!, null);
      pci_free_irq_vectors(pdev);
      for (const irq of irqs) expect(irq_to_desc(irq)).toBeUndefined();
      expect(pci_read_config_word(pdev, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE).toBe(0);
      // More than the table holds, or INTx only: the legacy line.
      expect(pci_alloc_irq_vectors(pdev, 5, 8, PCI_IRQ_MSIX)).toBe(-28);
      expect(pci_alloc_irq_vectors(pdev, 1, 4, PCI_IRQ_LEGACY)).toBe(1);
      expect(pci_irq_vector(pdev, 0)).toBe(pdev.irq);
    });
    expect(tm.dmesg()).toMatch(/WARNING: 0000:00:05\.0: pci_free_irq_vectors with irq \d+ still requested/);
  });

  it("the local APIC refuses a message naming an exception vector, and a message without Bus Master goes nowhere", async () => {
    const { tm, dev, pdev, fire } = await machine();
    await tm.in_task(() => {
      expect(pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX)).toBe(1);
      request_irq(pci_irq_vector(pdev, 0), () => IRQ_HANDLED, 0, "msix-test", null);
      // Reprogram the entry's data to vector 3 (#BP): an illegal vector for a device.
      const table = pci_iomap(pdev, 1, 0);
      writel(3, table + 8);
      fire(0);
    });
    await tm.run_for(1e6);
    expect(tm.machine.lapic.illegal_vectors).toBe(1);
    expect(dev.msix.lost).toBe(1);
    // An MSI is a bus-master write: with Bus Master off the function cannot send it.
    await tm.in_task(() => {
      const table = pci_iomap(pdev, 1, 0);
      writel(0x41, table + 8);
      pci_clear_master(pdev);
      fire(0);
    });
    await tm.run_for(1e6);
    expect(dev.msix.lost).toBe(2);
    expect(dev.msix.sent).toBe(0);
  });

  it("lspci -v shows the MSI-X capability with its state", async () => {
    let dev: MsixTestDevice | null = null;
    const tm = boot_test_machine({
      setup: (m) => m.pci.plug((dev = new MsixTestDevice()), 5),
      boot: { initcalls: [serial8250_init], programs: PROGRAMS, init_argv: ["init"] },
    });
    const prompts = (): number => tm.machine.console_output.split(PROMPT).length - 1;
    await tm.run_until(() => prompts() === 1);
    const pdev = pci_devices().find((d) => d.vendor === 0x1b36)! as PciDev;
    const lspci = async (): Promise<string> => {
      const before = tm.machine.console_output.length;
      tm.machine.uart.receive("lspci -v -s 05\n");
      await tm.run_until(() => prompts() === 2 + lspci_runs);
      lspci_runs++;
      return tm.machine.console_output.slice(before);
    };
    let lspci_runs = 0;
    expect(await lspci()).toMatch(/\tCapabilities: \[40\] MSI-X: Enable- Count=4 Masked-\n/);
    await tm.in_task(() => {
      pci_enable_device(pdev);
      pci_set_master(pdev);
      expect(pci_alloc_irq_vectors(pdev, 1, 4, PCI_IRQ_MSIX)).toBe(4);
    });
    expect(await lspci()).toMatch(/\tCapabilities: \[40\] MSI-X: Enable\+ Count=4 Masked-\n/);
    expect(dev).not.toBeNull();
  });
});
