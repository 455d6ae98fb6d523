import { describe, expect, it } from "vitest";
import { IoApic } from "../../hw/ioapic.ts";

describe("I/O APIC", () => {
  it("has at least 24 lines, all masked at reset", () => {
    const apic = new IoApic();
    expect(apic.nr_lines).toBeGreaterThanOrEqual(24);
    const pin = apic.pin(23);
    pin.raise();
    expect(apic.is_asserted(23)).toBe(true);
    expect(apic.pending()).toBe(0);
    apic.unmask(23);
    expect(apic.pending()).toBe(1 << 23);
  });

  it("keeps a shared level line asserted until every source lowers it", () => {
    const apic = new IoApic();
    apic.unmask(11);
    const a = apic.pin(11);
    const b = apic.pin(11);
    a.raise();
    b.raise();
    a.lower();
    expect(apic.pending()).toBe(1 << 11);
    b.lower();
    expect(apic.pending()).toBe(0);
  });

  it("does not redeliver a line in service until EOI, then redelivers a still-asserted level", () => {
    const apic = new IoApic();
    apic.unmask(10);
    const pin = apic.pin(10);
    pin.raise();
    apic.ack(10);
    expect(apic.pending()).toBe(0);
    apic.eoi(10);
    expect(apic.pending()).toBe(1 << 10); // nobody lowered it: it comes back
    pin.lower();
    expect(apic.pending()).toBe(0);
  });

  it("latches an edge until it is delivered", () => {
    const apic = new IoApic();
    apic.set_edge(0, true);
    apic.unmask(0);
    const pin = apic.pin(0);
    pin.pulse();
    expect(pin.level).toBe(false);
    expect(apic.pending()).toBe(1);
    apic.ack(0);
    expect(apic.pending()).toBe(0);
    pin.pulse(); // arrives while in service: delivered after EOI
    apic.eoi(0);
    expect(apic.pending()).toBe(1);
  });

  it("rejects a line that does not exist", () => {
    const apic = new IoApic();
    expect(() => apic.pin(24)).toThrow(/no interrupt line 24/);
  });
});
