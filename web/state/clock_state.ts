/**
 * The virtual clock for the page's clock panel (DOM-free): machine time, the real-time factor
 * (virtual nanoseconds advanced per wall nanosecond over the last ~1 s), the clock mode and the
 * run loop's state.
 *
 * The factor is computed from successive samples the caller takes, each with the wall time it was
 * taken at (`now_ms`, performance.now() in the page): no timers, no reading of the host clock
 * here, so it is testable with made-up samples. In `realtime` mode it hovers at 1.00; in `virtual`
 * mode it shows how far ahead of the wall the machine runs; paused it is 0.
 */
import type { ClockMode, World } from "../../hw/world.ts";

/** The window the real-time factor averages over. */
export const RT_WINDOW_MS = 1000;
/** Below this much wall time between the oldest and newest sample, the factor is not yet known. */
export const RT_MIN_SPAN_MS = 100;
/** Samples kept (60 frames/s over the window, with room for a faster display). */
const RT_CAPACITY = 256;

/**
 * Real-time factor over a sliding wall-clock window. Feed it (wall ms, virtual ns) pairs in time
 * order; each sample() returns the factor over the last `window_ms` (from the newest sample back
 * to the latest one at least `window_ms` old, or the oldest kept), or null while the span is
 * shorter than RT_MIN_SPAN_MS. A clock that goes backwards (a new machine) or a wall time that
 * does not advance restarts or skips the window. Allocates nothing after construction.
 */
export class RtFactor {
  private readonly wall = new Float64Array(RT_CAPACITY);
  private readonly virt = new Float64Array(RT_CAPACITY);
  /** Index of the oldest sample and how many are kept (a ring). */
  private first = 0;
  private count = 0;
  readonly window_ms: number;
  /** The last factor computed (null: not known yet). */
  value: number | null = null;

  constructor(window_ms = RT_WINDOW_MS) {
    this.window_ms = window_ms;
  }

  reset(): void {
    this.first = 0;
    this.count = 0;
    this.value = null;
  }

  sample(now_ms: number, virt_ns: number): number | null {
    if (!Number.isFinite(now_ms) || !Number.isFinite(virt_ns)) return this.value;
    if (this.count > 0) {
      const last = (this.first + this.count - 1) % RT_CAPACITY;
      if (virt_ns < this.virt[last]! || now_ms < this.wall[last]!) this.reset();
      else if (now_ms === this.wall[last]) {
        this.virt[last] = virt_ns; // same instant: keep the newer reading
        return this.compute();
      }
    }
    if (this.count === RT_CAPACITY) {
      this.first = (this.first + 1) % RT_CAPACITY;
      this.count--;
    }
    const at = (this.first + this.count) % RT_CAPACITY;
    this.wall[at] = now_ms;
    this.virt[at] = virt_ns;
    this.count++;
    // Drop samples older than needed: keep exactly one at or beyond the window's start.
    while (this.count > 2) {
      const second = (this.first + 1) % RT_CAPACITY;
      if (now_ms - this.wall[second]! < this.window_ms) break;
      this.first = second;
      this.count--;
    }
    return this.compute();
  }

  private compute(): number | null {
    if (this.count < 2) return (this.value = null);
    const last = (this.first + this.count - 1) % RT_CAPACITY;
    const span_ms = this.wall[last]! - this.wall[this.first]!;
    if (span_ms < RT_MIN_SPAN_MS) return (this.value = null);
    return (this.value = (this.virt[last]! - this.virt[this.first]!) / (span_ms * 1e6));
  }
}

/** What the run loop is doing, as far as the world shows it. */
export type RunState = "running" | "paused" | "off";

export interface ClockSnapshot {
  now_ns: number;
  /** "12.345678" (s.mmmuuu). */
  now_text: string;
  /** Virtual ns per wall ns over the last window, or null until known. */
  rt_factor: number | null;
  /** "1.00×", "37.2×", "—" */
  rt_text: string;
  mode: ClockMode;
  run_state: RunState;
  /** Events armed on the clock, and when the next one fires (Infinity: none). */
  pending_events: number;
  next_event_ns: number;
  /** Events fired since the clock started. */
  events_fired: number;
}

/** Nanoseconds as seconds with microseconds: 12345678901 → "12.345678". */
export function format_virtual_time(ns: number): string {
  if (!Number.isFinite(ns) || ns < 0) return "0.000000";
  const us = Math.floor(ns / 1000);
  const s = Math.floor(us / 1e6);
  return `${s}.${String(us - s * 1e6).padStart(6, "0")}`;
}

/** The factor as the panel shows it: two decimals below 10, one below 1000, none above; "—" when unknown. */
export function format_rt_factor(f: number | null): string {
  if (f === null || !Number.isFinite(f)) return "—";
  if (f < 10) return `${f.toFixed(2)}×`;
  if (f < 1000) return `${f.toFixed(1)}×`;
  return `${Math.round(f)}×`;
}

/** The world's run state: off when every machine is powered off, else paused or running. */
export function run_state(world: World): RunState {
  let on = 0;
  for (let i = 0; i < world.machines.length; i++) if (!world.machines[i]!.powered_off) on++;
  if (world.machines.length > 0 && on === 0) return "off";
  return world.paused ? "paused" : "running";
}

/**
 * Samples one world's clock, once per frame: keeps the factor's window and one snapshot object
 * (returned by every sample(); copy what you keep).
 */
export class ClockSampler {
  private readonly rt: RtFactor;
  private readonly snap: ClockSnapshot = {
    now_ns: 0,
    now_text: "0.000000",
    rt_factor: null,
    rt_text: "—",
    mode: "virtual",
    run_state: "running",
    pending_events: 0,
    next_event_ns: Infinity,
    events_fired: 0,
  };
  private last_text_ns = -1;

  constructor(window_ms = RT_WINDOW_MS) {
    this.rt = new RtFactor(window_ms);
  }

  /** `now_ms`: the wall time of this sample (performance.now()). Main thread, between slices. */
  sample(world: World, now_ms: number): ClockSnapshot {
    const s = this.snap;
    const clock = world.clock;
    // The world's reading: in realtime mode the clock is moved only when the loop wakes.
    const now = world.now_ns();
    s.now_ns = now;
    const us = Math.floor(now / 1000);
    if (us !== this.last_text_ns) {
      this.last_text_ns = us;
      s.now_text = format_virtual_time(now);
    }
    const f = this.rt.sample(now_ms, now);
    if (f !== s.rt_factor) {
      s.rt_factor = f;
      s.rt_text = format_rt_factor(f);
    }
    s.mode = world.mode;
    s.run_state = run_state(world);
    s.pending_events = clock.pending_events();
    s.next_event_ns = clock.next_deadline();
    s.events_fired = clock.fired;
    return s;
  }

  reset(): void {
    this.rt.reset();
  }
}
