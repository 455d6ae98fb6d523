/**
 * The bounded fuzz run of `npm test`: fixed seeds, small counts, a few seconds. The full run
 * (`npm run fuzz -- --frames 1000000 --ops 1000000`) is a command, not a test.
 */
import { describe, expect, it } from "vitest";
import { run_frames } from "../../fuzz/frames.ts";
import { run_mmio } from "../../fuzz/mmio.ts";
import { run_shell } from "../../fuzz/shell.ts";
import { run_virtio_driver, run_virtio_wire } from "../../fuzz/virtio_net.ts";

const show = (fs: { kind: string; phase: string; index: number; what: string; replay: string }[]): string => fs.map((f) => `${f.kind} [${f.phase} #${f.index}] ${f.what.split("\n")[0]} (replay: ${f.replay})`).join("\n");

describe("bounded fuzz run", () => {
  it("hostile frames through a stream back-end: every frame accounted, no escape, the guest keeps answering", async () => {
    const r = await run_frames({ seed: 0x5eed, frames: 3000, liveness_every: 500 });
    expect(show(r.failures.filter((f) => f.kind !== "oops"))).toBe("");
    expect(r.escapes).toBe(0);
    expect(r.hangs).toBe(0);
    expect(r.liveness_probes).toBeGreaterThanOrEqual(6);
    expect(r.accounting.offered_wire).toBeGreaterThanOrEqual(3000); // hostile frames, probes and the records that closed connections
    // The frames really went through the stack (the identity is not 0 = 0).
    expect(r.accounting.delivered_total).toBeGreaterThan(300);
    expect(r.accounting.layers.filter(([, , , lost]) => lost !== 0)).toEqual([]);
    expect(r.accounting.unaccounted).toBe(0);
    // Hostile frames must not make the kernel WARN or oops (unlike rogue register writes below).
    expect(r.kernel_reports).toEqual([]);
  }, 60_000);

  it("register, config-space and wire operations on the e1000 model: nothing escapes, nothing hangs", async () => {
    const r = await run_mmio({ seed: 0x5eed, ops: 5000, driver_share: 0.01 });
    expect(show(r.failures.filter((f) => f.kind !== "oops"))).toBe("");
    expect(r.escapes).toBe(0);
    expect(r.hangs).toBe(0);
    expect(r.driver_ops).toBeGreaterThan(0);
  }, 60_000);

  it("random shell input: the shell answers `echo alive` after each", async () => {
    const r = await run_shell({ seed: 0x5eed, ops: 40 });
    expect(show(r.failures.filter((f) => f.kind !== "oops"))).toBe("");
    expect(r.escapes).toBe(0);
    expect(r.hangs).toBe(0);
  }, 60_000);

  it("virtio-net, a misbehaving driver: hostile registers, descriptor tables and avail rings; nothing escapes, no model error", () => {
    const r = run_virtio_driver({ seed: 0x5eed, ops: 8000 });
    expect(show(r.failures)).toBe("");
    expect(r.escapes).toBe(0);
    expect(r.model_errors).toBe(0);
    expect(r.device_errors).toBeGreaterThan(0); // the hostile rings really reached the ring walker
  }, 60_000);

  it("virtio-net, hostile frames into a guest with the virtio_net driver up: every frame accounted wire → stack, layer by layer", async () => {
    const r = await run_virtio_wire({ seed: 0x5eed, frames: 1500, liveness_every: 500 });
    expect(show(r.failures)).toBe("");
    expect(r.escapes).toBe(0);
    expect(r.hangs).toBe(0);
    expect(r.model_errors).toBe(0);
    expect(r.liveness_probes).toBeGreaterThanOrEqual(3);
    expect(r.accounting.offered_wire).toBe(1500 + r.liveness_frames);
    // The frames really went through the device, the driver and the stack (the identity is not 0 = 0).
    expect(r.nic["rx_frames"]).toBeGreaterThan(500);
    // (About 300: malformed quoted headers in ICMP errors now count in Icmp.InErrors, not as delivered.)
    expect(r.accounting.delivered_total).toBeGreaterThan(250);
    const drops = Object.fromEntries(r.accounting.drops);
    expect(drops["backend runt"]).toBeGreaterThan(0);
    expect(drops["virtio-net rx_too_big"]).toBeGreaterThan(0);
    expect(r.accounting.layers.map(([name]) => name)).toContain("driver: used = rx_packets + drops");
    expect(r.accounting.layers.filter(([, , , lost]) => lost !== 0)).toEqual([]);
    expect(r.accounting.unaccounted).toBe(0);
    expect(r.kernel_reports).toEqual([]);
  }, 60_000);
});
