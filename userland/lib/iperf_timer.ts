/**
 * iperf3's timers (src/timer.c): a list sorted by expiry, equal times in the order they were
 * (re)armed, run from the main loop — tmr_timeout() bounds the wait in select()/poll(),
 * tmr_run() calls what is due, periodic timers advance by their period (no drift). Times are
 * microseconds of CLOCK_MONOTONIC, as iperf3's struct iperf_time.
 *
 * Departures from timer.c, so a peer's tiny --pacing-timer cannot make the loop spin: a periodic
 * timer's period is at least MIN_PERIOD_US, and one that has fallen more than a period behind
 * moves to its first expiry after now instead of firing once for every period it missed.
 */

/** The shortest period of a periodic timer, in microseconds. */
export const MIN_PERIOD_US = 1000;

export interface Timer {
  time_us: number;
  readonly usecs: number;
  readonly periodic: boolean;
  readonly proc: (now_us: number) => void;
  /** Order among timers due at the same time (list insertion order). */
  seq: number;
  active: boolean;
}

export class TimerList {
  private readonly timers: Timer[] = [];
  private seq = 0;

  /** tmr_create(): fires `usecs` after `now_us` (and every `usecs` when periodic). */
  create(now_us: number, proc: (now_us: number) => void, usecs: number, periodic: boolean): Timer {
    const period = periodic ? Math.max(MIN_PERIOD_US, usecs) : usecs;
    const t: Timer = { time_us: now_us + period, usecs: period, periodic, proc, seq: this.seq++, active: true };
    this.timers.push(t);
    return t;
  }

  /** tmr_timeout(): milliseconds until the first timer (0 if one is due), or -1 with none. */
  timeout_ms(now_us: number): number {
    let first = Infinity;
    for (const t of this.timers) if (t.time_us < first) first = t.time_us;
    if (first === Infinity) return -1;
    return Math.max(0, first - now_us) / 1000;
  }

  /** tmr_run(): call every timer due at `now_us`, earliest first. */
  run(now_us: number): void {
    for (let guard = 0; guard < 1000; guard++) {
      let due: Timer | null = null;
      for (const t of this.timers) {
        if (t.time_us > now_us) continue;
        if (due === null || t.time_us < due.time_us || (t.time_us === due.time_us && t.seq < due.seq)) due = t;
      }
      if (due === null) return;
      due.proc(now_us);
      if (!due.active) continue; // the proc cancelled it
      if (due.periodic) {
        due.time_us += due.usecs;
        // Behind by more than a period: skip to the first expiry after now (same phase).
        if (due.time_us <= now_us) due.time_us += due.usecs * (Math.floor((now_us - due.time_us) / due.usecs) + 1);
        due.seq = this.seq++;
      } else this.cancel(due);
    }
  }

  /** tmr_reset(): re-arm `t` a full period from now. */
  reset(now_us: number, t: Timer): void {
    t.time_us = now_us + t.usecs;
    t.seq = this.seq++;
  }

  /** tmr_cancel(). */
  cancel(t: Timer | null): void {
    if (t === null || !t.active) return;
    t.active = false;
    const i = this.timers.indexOf(t);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** tmr_destroy(): cancel everything. */
  clear(): void {
    for (const t of this.timers) t.active = false;
    this.timers.length = 0;
  }
}
