import { describe, expect, it } from "vitest";
import { ClockEvent, VirtualClock } from "../../hw/clock.ts";

describe("virtual clock", () => {
  it("fires events in time order, reading each event's own time", () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    const a = new ClockEvent("a", (t) => seen.push(`a@${t}`));
    const b = new ClockEvent("b", (t) => seen.push(`b@${t}`));
    const c = new ClockEvent("c", (t) => seen.push(`c@${t}`));
    clock.arm(c, 300);
    clock.arm(a, 100);
    clock.arm(b, 200);
    expect(clock.next_deadline()).toBe(100);
    expect(clock.advance_to(250)).toBe(2);
    expect(seen).toEqual(["a@100", "b@200"]);
    expect(clock.now_ns()).toBe(250);
    clock.advance_to_next();
    expect(seen).toEqual(["a@100", "b@200", "c@300"]);
    expect(clock.advance_to_next()).toBe(false);
  });

  it("keeps arming order among events due at the same instant", () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const evs = [0, 1, 2, 3, 4].map((i) => new ClockEvent(`e${i}`, () => seen.push(i)));
    for (const e of [...evs].reverse()) clock.arm(e, 50);
    clock.advance_to(50);
    expect(seen).toEqual([4, 3, 2, 1, 0]);
  });

  it("re-arming moves an event and disarming removes it", () => {
    const clock = new VirtualClock();
    let fired = 0;
    const e = new ClockEvent("e", () => fired++);
    clock.arm(e, 100);
    clock.arm(e, 500);
    expect(clock.pending_events()).toBe(1);
    clock.advance_to(200);
    expect(fired).toBe(0);
    clock.disarm(e);
    expect(e.armed).toBe(false);
    clock.advance_to(1000);
    expect(fired).toBe(0);
  });

  it("an event armed in the past fires at the current time, not before it", () => {
    const clock = new VirtualClock();
    clock.advance_to(1000);
    let at = -1;
    clock.arm(new ClockEvent("late", (t) => (at = t)), 10);
    clock.advance_to(1000);
    expect(at).toBe(1000);
  });

  it("an event can re-arm itself from its callback (periodic device timers)", () => {
    const clock = new VirtualClock();
    const times: number[] = [];
    const tick: ClockEvent = new ClockEvent("tick", (t) => {
      times.push(t);
      if (times.length < 4) clock.arm(tick, t + 10);
    });
    clock.arm(tick, 10);
    clock.advance_to(1000);
    expect(times).toEqual([10, 20, 30, 40]);
  });
});
