import { VirtualClock } from "./clock.ts";
import { host_yield } from "../lib/host_yield.ts";
import { Machine, type MachineConfig } from "./machine.ts";

export type ClockMode = "virtual" | "realtime";

export interface RunOptions {
  /** Stop as soon as this returns true (checked between slices). */
  until?: () => boolean;
  /** Stop when the virtual clock reaches now + for_ns. */
  for_ns?: number;
}

/** Why run() returned. */
export type RunResult = "until" | "deadline" | "idle" | "powered_off";

/** Heartbeat slots (set_heartbeat): slices started, and whether one is running now. */
export const HB_SEQ = 0;
export const HB_STATE = 1;
export const HEARTBEAT_IDLE = 0;
export const HEARTBEAT_RUNNING = 1;

/** What a stale loop returns (see World.generation). */
const ABANDONED = "abandoned";

/** Let Node service sockets and the terminal at least this often while machines are busy. */
const REALTIME_YIELD_MS = 4;
/** Waits shorter than this are spun through setImmediate rather than slept with setTimeout. */
const SHORT_WAIT_MS = 2;

/**
 * The world several machines share: one virtual clock and one run loop. Machines on an in-process
 * hub must agree on time, so they live in the same world.
 *
 * The loop gives each powered CPU a slice in turn. When every CPU is idle it moves time: in
 * `virtual` mode straight to the next clock event (deterministic and as fast as the host allows),
 * in `realtime` mode to the wall clock, waiting for it if the next event lies in the future.
 * Only one slice runs at a time across the whole world, so kernel code never interleaves.
 */
export class World {
  readonly clock = new VirtualClock();
  readonly machines: Machine[] = [];
  mode: ClockMode;
  private wall_origin_ms = 0;
  private virtual_origin_ns = 0;
  private waker: (() => void) | null = null;
  /** Sources that can bring input from outside while everything is idle (terminal, sockets). */
  external_sources = 0;
  /** The run() in progress, so a loop ended by the lockup watchdog can be started again. */
  private active: { until: (() => boolean) | undefined; deadline: number; resolve: (r: RunResult) => void; reject: (e: unknown) => void } | null = null;
  private heartbeat: Int32Array | null = null;
  /**
   * Bumped when a loop is replaced after a lockup. The old loop may have been ended with the stuck
   * code, or may only have lost the step it was waiting for (when the spinner ran in a promise job):
   * if it ever wakes up, it sees it is stale and leaves quietly.
   */
  private generation = 0;

  /** The clock is held (pause): the loop waits for resume() or step(); time stands still. */
  private held = false;
  /** While stepping: the clock time at which the world holds again (-1: not stepping). */
  private step_to_ns = -1;

  constructor(mode: ClockMode = "virtual") {
    this.mode = mode;
  }

  get paused(): boolean {
    return this.held;
  }

  /**
   * Hold the machines' clock (a debugger's stop): after the slice in progress, no CPU runs and no
   * device timer fires until resume() or step(). Input that arrives meanwhile waits in the devices.
   */
  pause(): void {
    this.held = true;
    this.step_to_ns = -1;
  }

  resume(): void {
    this.held = false;
    this.step_to_ns = -1;
    this.rebase_wall();
    this.kick();
  }

  /** Run for `ns` of machine time, then hold again. */
  step(ns: number): void {
    this.held = false;
    this.step_to_ns = this.clock.now_ns() + Math.max(1, ns);
    this.rebase_wall();
    this.kick();
  }

  /**
   * The machines' time as an observer between slices sees it. In realtime mode, while the loop
   * runs, that is the wall clock's reading (capped at the next event): the virtual clock is only
   * moved when the loop next wakes, and nothing can happen in between. Otherwise the clock itself.
   */
  now_ns(): number {
    const c = this.clock.now_ns();
    if (this.mode !== "realtime" || this.held || this.active === null) return c;
    return Math.max(c, Math.min(this.wall_ns(), this.clock.next_deadline()));
  }

  /** Realtime pacing starts again from now (after a hold, the clock must not leap to catch up). */
  private rebase_wall(): void {
    this.wall_origin_ms = performance.now();
    this.virtual_origin_ns = this.clock.now_ns();
  }

  add_machine(config: MachineConfig = {}): Machine {
    const m = new Machine(this.clock, config);
    m.on_power_off = () => this.kick();
    this.machines.push(m);
    return m;
  }

  /** Something happened outside the loop (input arrived, an interrupt was raised): stop waiting. */
  kick(): void {
    const w = this.waker;
    if (w !== null) {
      this.waker = null;
      w();
    }
  }

  /** Sleep on the host until kick() or `ms` pass (host pacing, never device or kernel time). */
  private wait_for_kick(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.waker = null;
        resolve();
      }, Math.min(ms, 1000));
      this.waker = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private wall_ns(): number {
    return this.virtual_origin_ns + (performance.now() - this.wall_origin_ms) * 1e6;
  }

  /**
   * Run the machines until `opts` says stop, every machine is off, or (with no deadline and no
   * outside input possible) nothing is left to do.
   */
  run(opts: RunOptions = {}): Promise<RunResult> {
    const deadline = opts.for_ns === undefined ? Infinity : this.clock.now_ns() + opts.for_ns;
    return new Promise<RunResult>((resolve, reject) => {
      this.active = { until: opts.until, deadline, resolve, reject };
      this.start_loop();
    });
  }

  /**
   * The host's watchdog thread ended a slice that never returned (a JavaScript loop that spins
   * forever, boot/lockup_watchdog.ts): the loop that ran it is gone. After the kernel has been put
   * back in order, start the loop again for whoever is waiting on run().
   */
  resume_after_lockup(): void {
    const a = this.active;
    if (a === null) return;
    this.set_heartbeat_state(HEARTBEAT_IDLE);
    this.generation++;
    this.start_loop();
  }

  private start_loop(): void {
    const a = this.active!;
    this.loop(a.until, a.deadline).then(
      (r) => {
        if (r === ABANDONED) return;
        if (this.active === a) this.active = null;
        a.resolve(r);
      },
      (e: unknown) => {
        if (this.active === a) this.active = null;
        a.reject(e);
      },
    );
  }

  /**
   * Share the run loop's heartbeat with a watchdog on another thread: slot HB_SEQ counts slices,
   * slot HB_STATE says whether a slice is running. A slice that runs with the count standing still
   * for seconds is a loop that never returns.
   */
  set_heartbeat(hb: Int32Array | null): void {
    this.heartbeat = hb;
  }

  private set_heartbeat_state(state: number): void {
    const hb = this.heartbeat;
    if (hb !== null) Atomics.store(hb, HB_STATE, state);
  }

  private async loop(until: (() => boolean) | undefined, deadline: number): Promise<RunResult | typeof ABANDONED> {
    const realtime = this.mode === "realtime";
    // Only a wall-clock wait can be cut short by an interrupt; in virtual mode nobody waits.
    const kick = realtime ? (): void => this.kick() : null;
    for (const m of this.machines) {
      m.ioapic.on_deliverable = kick;
      m.lapic.on_deliverable = kick;
    }
    if (realtime) this.rebase_wall();
    let last_yield = performance.now();
    const hb = this.heartbeat;
    const gen = this.generation;
    const run_deadline = deadline;
    for (;;) {
      if (until !== undefined && until()) return "until";
      if (this.step_to_ns >= 0 || this.held) {
        if (this.step_to_ns >= 0 && this.clock.now_ns() >= this.step_to_ns) this.pause();
        if (this.held) {
          await this.wait_for_kick(1000);
          if (gen !== this.generation) return ABANDONED;
          last_yield = performance.now();
          deadline = run_deadline;
          continue;
        }
        // Stepping: time goes no further than the step's end (and never past the run's deadline).
        deadline = Math.min(run_deadline, this.step_to_ns);
      }
      if (realtime) {
        const target = Math.min(this.wall_ns(), deadline);
        if (target > this.clock.now_ns()) this.clock.advance_to(target);
        const now_ms = performance.now();
        if (now_ms - last_yield >= REALTIME_YIELD_MS) {
          last_yield = now_ms;
          await host_yield();
          if (gen !== this.generation) return ABANDONED;
        }
      }
      let busy = false;
      let powered = 0;
      // The CPUs run side by side: the round costs the most any of them charged.
      let charge = 0;
      // An indexed loop: a for-of iterator would be allocated on every pass (it lives across the await).
      const machines = this.machines;
      for (let i = 0; i < machines.length; i++) {
        const m = machines[i]!;
        if (m.powered_off || !m.cpu.booted) continue;
        powered++;
        if (hb !== null) {
          Atomics.add(hb, HB_SEQ, 1);
          Atomics.store(hb, HB_STATE, HEARTBEAT_RUNNING);
        }
        const r = m.cpu.run_slice();
        if (r === true) busy = true;
        else if (r !== false) {
          const step_busy = await r;
          if (gen !== this.generation) return ABANDONED;
          if (m.cpu.finish_slice(step_busy)) busy = true;
        }
        if (hb !== null) Atomics.store(hb, HB_STATE, HEARTBEAT_IDLE);
        const c = m.cpu.take_charge();
        if (c > charge) charge = c;
      }
      if (powered === 0) return "powered_off";
      if (busy) {
        // Work takes time (hw/cpu.ts CPU_COST): a CPU that never halts still sees its timers.
        if (!realtime && charge > 0) {
          this.clock.advance_to(Math.min(this.clock.now_ns() + charge, deadline));
          if (this.clock.now_ns() >= deadline && deadline === run_deadline) return "deadline";
        }
        // A busy machine must still hear its terminal (^C) and let a page draw: on the virtual
        // clock nothing else gives the host's event loop a turn (realtime yields at the top).
        if (!realtime && this.external_sources > 0 && performance.now() - last_yield >= REALTIME_YIELD_MS) {
          last_yield = performance.now();
          await host_yield();
          if (gen !== this.generation) return ABANDONED;
        }
        continue;
      }
      if (until !== undefined && until()) return "until";
      // Every CPU is halted: move time.
      const next = this.clock.next_deadline();
      if (!realtime) {
        if (next <= deadline && next !== Infinity) {
          this.clock.advance_to(next);
          // Input can only arrive through Node's event loop: let it run now and then.
          if (this.external_sources > 0 && performance.now() - last_yield >= REALTIME_YIELD_MS) {
            last_yield = performance.now();
            await host_yield();
            if (gen !== this.generation) return ABANDONED;
          }
          continue;
        }
        if (deadline !== Infinity) {
          this.clock.advance_to(deadline);
          if (deadline === run_deadline) return "deadline";
          continue; // the end of a step: the loop's top holds the clock
        }
        if (this.external_sources === 0) return "idle";
        await this.wait_for_kick(1000); // virtual time stands still until input arrives
        if (gen !== this.generation) return ABANDONED;
        continue;
      }
      if (this.clock.now_ns() >= deadline) {
        if (deadline === run_deadline) return "deadline";
        continue;
      }
      if (next === Infinity && this.external_sources === 0) return "idle";
      const wake_at = Math.min(next, deadline);
      const wait_ms = wake_at === Infinity ? 1000 : Math.max(0, (wake_at - this.wall_ns()) / 1e6);
      if (wait_ms >= SHORT_WAIT_MS) {
        await this.wait_for_kick(wait_ms);
        if (gen !== this.generation) return ABANDONED;
        last_yield = performance.now();
      } else if (wait_ms > 0) {
        // setTimeout cannot wait less than a millisecond; for short waits keep turning the event
        // loop, so a device event 10 us away happens 10 us later, not 1 ms later.
        await host_yield();
        if (gen !== this.generation) return ABANDONED;
        last_yield = performance.now();
      }
    }
  }
}
