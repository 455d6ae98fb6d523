/**
 * The clock panel: the machines' virtual time (s.mmmuuu), the real-time factor (virtual time
 * advanced per wall time over the last second: ~1.00× in realtime mode, far above in virtual
 * mode, 0 while paused), the clock mode and the run loop's state, and the clock's event queue
 * (events armed, the next one's distance, events fired). Data from web/state/clock_state.ts,
 * sampled with the frame's time stamp.
 *
 * Each frame rewrites only the texts that changed.
 *
 * Test hooks: the root has data-now-ns (virtual ns, an integer), data-rt-factor ("" while unknown), data-mode
 * and data-run-state.
 */
import "./clock.css";
import type { Panel, PanelContext, PanelFactory } from "../panel.ts";
import { panel_el, panel_frame } from "./panel_frame.ts";
import { ClockSampler } from "../state/clock_state.ts";

/** A distance in ns, short: "850 ns", "12.5 µs", "3.2 ms", "1.25 s". */
function ns_text(ns: number): string {
  if (!Number.isFinite(ns)) return "none";
  if (ns < 1e3) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export const clock_panel: PanelFactory = (ctx: PanelContext): Panel => {
  const doc = ctx.doc;
  const { el, head } = panel_frame(doc, "clock", "clock");
  const mk = (tag: string, cls: string, text = ""): HTMLElement => panel_el(doc, tag, cls, text);
  const mode = mk("span", "rz-clock-mode");
  const state = mk("span", "rz-clock-state");
  head.append(mode, state);

  const main = mk("div", "rz-clock-main");
  const time = mk("span", "rz-clock-time");
  const unit = mk("span", "rz-clock-unit", "s");
  const rt = mk("span", "rz-clock-rt");
  const rt_label = mk("span", "rz-clock-k", "real-time factor");
  main.append(time, unit, rt, rt_label);
  const events = mk("div", "rz-clock-events");
  el.append(main, events);

  const sampler = new ClockSampler();
  const shown = { time: "", rt: "", mode: "", state: "", events: "", now: -1, factor: "" };

  const update = (now_ms: number): void => {
    const s = sampler.sample(ctx.world, now_ms);
    const now = Math.floor(s.now_ns); // realtime pacing moves the clock by fractions of a ns
    if (now !== shown.now) {
      shown.now = now;
      el.setAttribute("data-now-ns", String(now));
    }
    if (s.now_text !== shown.time) time.textContent = shown.time = s.now_text;
    if (s.rt_text !== shown.rt) {
      rt.textContent = shown.rt = s.rt_text;
      const f = s.rt_factor === null ? "" : s.rt_factor.toFixed(3);
      if (f !== shown.factor) el.setAttribute("data-rt-factor", (shown.factor = f));
    }
    if (s.mode !== shown.mode) {
      mode.textContent = shown.mode = s.mode;
      el.setAttribute("data-mode", s.mode);
    }
    if (s.run_state !== shown.state) {
      state.textContent = shown.state = s.run_state;
      el.setAttribute("data-run-state", s.run_state);
    }
    const next = s.next_event_ns === Infinity ? "none" : `in ${ns_text(s.next_event_ns - s.now_ns)}`;
    const ev = `${s.pending_events} event${s.pending_events === 1 ? "" : "s"} armed · next ${next} · ${s.events_fired} fired`;
    if (ev !== shown.events) events.textContent = shown.events = ev;
  };
  update(typeof performance !== "undefined" ? performance.now() : 0);
  return { el, update };
};
