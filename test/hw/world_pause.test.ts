/**
 * The page's clock controls (hw/world.ts pause/step/resume): a held world runs nothing and moves
 * no time; a step runs exactly its span of machine time and holds again; resume goes on.
 */
import { describe, expect, it } from "vitest";
import { ClockEvent } from "../../hw/clock.ts";
import { boot_test_machine } from "../helpers/boot.ts";

describe("world pause / step / resume", () => {
  it("holds the clock, steps exactly 20 ms, and resumes to the run's deadline", async () => {
    const tm = boot_test_machine();
    await tm.run_for(5e6); // boot: the timer tick is running
    const world = tm.world;
    // Something outside (the page's terminal) keeps the loop alive while it is held.
    world.external_sources++;
    world.pause();
    const t0 = world.clock.now_ns();
    const fired: number[] = [];
    // Device timers: one inside the step, one after it.
    world.clock.arm(new ClockEvent("in-step", (t) => fired.push(t)), t0 + 10e6);
    world.clock.arm(new ClockEvent("after-step", (t) => fired.push(t)), t0 + 30e6);
    const done = world.run({ for_ns: 50e6 });
    // Let the host's event loop turn many times: a held world must not move.
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
    expect(world.paused).toBe(true);
    expect(world.clock.now_ns()).toBe(t0);
    expect(fired).toEqual([]);

    world.step(20e6);
    for (let i = 0; i < 200 && !(world.paused && world.clock.now_ns() > t0); i++) await new Promise<void>((r) => setImmediate(r));
    expect(world.paused).toBe(true);
    expect(world.clock.now_ns()).toBe(t0 + 20e6);
    expect(fired).toEqual([t0 + 10e6]);

    world.resume();
    expect(await done).toBe("deadline");
    expect(world.clock.now_ns()).toBe(t0 + 50e6);
    expect(world.paused).toBe(false);
    expect(fired).toEqual([t0 + 10e6, t0 + 30e6]);
    world.external_sources--;
  });
});
