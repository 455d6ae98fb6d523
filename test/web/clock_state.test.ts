/**
 * The page's clock state (web/state/clock_state.ts): the real-time factor computed from given
 * (wall ms, virtual ns) samples over a sliding window, the time and factor formats, and a sampler
 * reading a real world's clock, mode and pause state.
 */
import { describe, expect, it } from "vitest";
import { World } from "../../hw/world.ts";
import { ClockSampler, format_rt_factor, format_virtual_time, RtFactor, run_state } from "../../web/state/clock_state.ts";
import { boot_test_machine } from "../helpers/boot.ts";

describe("RtFactor", () => {
  it("is unknown until the samples span RT_MIN_SPAN_MS, then virtual ns over wall ns", () => {
    const rt = new RtFactor(1000);
    expect(rt.sample(0, 0)).toBeNull();
    expect(rt.sample(50, 50e6)).toBeNull(); // 50 ms of wall time: too short to say
    expect(rt.sample(100, 100e6)).toBeCloseTo(1, 9);
    expect(rt.sample(200, 100e6 + 3.72e9)).toBeCloseTo((100e6 + 3.72e9) / 200e6, 9);
  });

  it("averages over the last window only: an old burst drops out once it is older than the window", () => {
    const rt = new RtFactor(1000);
    // 1 s running 50× faster than the wall, then 2 s at exactly real time, sampled at 60 Hz.
    let virt = 0;
    let f: number | null = null;
    for (let t = 0; t <= 3000; t += 1000 / 60) {
      f = rt.sample(t, virt);
      virt += (t < 1000 ? 50 : 1) * (1000 / 60) * 1e6;
    }
    expect(f).toBeCloseTo(1, 6);
    const rt2 = new RtFactor(1000);
    virt = 0;
    for (let t = 0; t <= 1500; t += 1000 / 60) {
      f = rt2.sample(t, virt);
      virt += (t < 1000 ? 50 : 1) * (1000 / 60) * 1e6;
    }
    // The window (~0.5 … 1.5 s) still holds half a second of the fast part.
    expect(f!).toBeGreaterThan(20);
    expect(f!).toBeLessThan(30);
  });

  it("reads 0 while the clock stands still (paused), and restarts when the clock goes back (a new machine)", () => {
    const rt = new RtFactor(1000);
    rt.sample(0, 5e9);
    expect(rt.sample(500, 5e9)).toBe(0);
    expect(rt.sample(600, 1e6)).toBeNull();
    expect(rt.sample(800, 201e6)).toBeCloseTo(1, 9);
  });

  it("keeps working past its sample capacity (a fast display) and ignores junk input", () => {
    const rt = new RtFactor(1000);
    let f: number | null = null;
    for (let i = 0; i <= 1000; i++) f = rt.sample(i, i * 2e6); // 1000 Hz for 1 s at 2×
    expect(f).toBeCloseTo(2, 9);
    expect(rt.sample(Number.NaN, 0)).toBeCloseTo(2, 9);
  });
});

describe("formats", () => {
  it("virtual time as s.mmmuuu and the factor as the panel prints it", () => {
    expect(format_virtual_time(0)).toBe("0.000000");
    expect(format_virtual_time(12_345_678_901)).toBe("12.345678");
    expect(format_virtual_time(1_000_000_999)).toBe("1.000000");
    expect(format_rt_factor(1)).toBe("1.00×");
    expect(format_rt_factor(0.995)).toBe("0.99×");
    expect(format_rt_factor(37.24)).toBe("37.2×");
    expect(format_rt_factor(12345.6)).toBe("12346×");
    expect(format_rt_factor(null)).toBe("—");
  });
});

describe("ClockSampler", () => {
  it("reads the world's clock, mode and pending events, with the factor from the caller's wall times", async () => {
    const tm = boot_test_machine();
    const world = tm.world;
    const cs = new ClockSampler();
    const t0 = world.clock.now_ns();
    let s = cs.sample(world, 1000);
    expect(s.now_ns).toBe(t0);
    expect(s.mode).toBe("virtual");
    expect(s.run_state).toBe("running");
    expect(s.rt_factor).toBeNull();
    await tm.run_for(2e9); // two virtual seconds "in" 250 ms of wall time
    s = cs.sample(world, 1250);
    expect(s.now_ns).toBe(t0 + 2e9);
    expect(s.now_text).toBe(format_virtual_time(t0 + 2e9));
    expect(s.rt_factor).toBeCloseTo(8, 9);
    expect(s.rt_text).toBe("8.00×");
    expect(s.pending_events).toBe(world.clock.pending_events());
    expect(s.next_event_ns).toBe(world.clock.next_deadline());
    expect(s.events_fired).toBe(world.clock.fired);
    expect(cs.sample(world, 1300)).toBe(s); // one object, reused
  });

  it("shows paused, and off once every machine is powered off", () => {
    const world = new World("realtime");
    const m = world.add_machine({ mem_size: 8 << 20 });
    const cs = new ClockSampler();
    expect(cs.sample(world, 0).mode).toBe("realtime");
    world.pause();
    expect(run_state(world)).toBe("paused");
    expect(cs.sample(world, 10).run_state).toBe("paused");
    world.resume();
    expect(run_state(world)).toBe("running");
    m.power_off(0);
    expect(cs.sample(world, 20).run_state).toBe("off");
  });
});
