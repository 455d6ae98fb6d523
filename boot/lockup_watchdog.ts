/**
 * The host side of the soft-lockup detector: catches a JavaScript loop that never returns.
 *
 * A cooperative kernel in one JavaScript thread cannot preempt code that spins: a driver's probe
 * or interrupt handler stuck in `for (;;)` would freeze the whole process — the clock, the console,
 * the monitor and Ctrl-C with it. Nothing on the main thread can notice, so a second thread does.
 *
 * How (and why this way): the run loop (hw/world.ts) counts slices in a SharedArrayBuffer and marks
 * when one is running — three atomic operations per slice, the only cost while nothing is wrong. A worker
 * thread reads the two numbers every quarter of the threshold. When a slice has run for longer
 * than the threshold (2 s of wall time by default) it connects the inspector to the main thread
 * (`Session.connectToMainThread`), pauses it (`Debugger.pause` is served at the next interrupt
 * check, which even an empty loop has), checks once more that the same slice is still running,
 * reads the stuck call stack, and ends the running JavaScript with `Runtime.terminateExecution`.
 * The main thread's event loop carries on; this module then lets the kernel report the soft lockup
 * with that stack and recover (kernel/watchdog.ts: the stuck task is killed, a stuck interrupt
 * handler's line disabled) and restarts the run loop.
 *
 * The alternatives were worse: running the machine in a worker would put a thread boundary between
 * the terminal, the sockets and the machine for every byte; a heartbeat alone can only report, not
 * recover. The inspector is enabled only for the moment of the catch, so it costs nothing before.
 */
import { findSourceMap } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { HB_SEQ, HB_STATE, HEARTBEAT_RUNNING, type World } from "../hw/world.ts";

/** Wall-clock time a single slice may run before it is called stuck. */
export const LOCKUP_THRESH_MS_DEFAULT = 2000;

export interface LockupReport {
  /** How long the slice had run, in wall milliseconds. */
  stuck_ms: number;
  /** "function (file:line)", innermost first, host-internal frames left out. */
  frames: string[];
}

/* The worker: plain JavaScript, run with eval so the bundled launcher needs no second file. */
const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const hb = new Int32Array(workerData.sab);
const thresh = workerData.thresh_ms;
const HB_SEQ = ${HB_SEQ}, HB_STATE = ${HB_STATE}, RUNNING = ${HEARTBEAT_RUNNING};
let session = null;
let last_seq = -1, since = Date.now(), catching = false, stuck_seq = -1, stuck_ms = 0, caught_seq = -1;
const urls = new Map();
function post(method, params) {
  return new Promise((resolve) => session.post(method, params || {}, (err, res) => resolve(err ? null : res)));
}
function short(url) {
  const i = url.lastIndexOf("/");
  return url.replace(/^file:\\/\\//, "").replace(/^.*\\/(boot|hw|kernel|drivers|net|userland|include|lib|test|bench|fuzz)\\//, "$1/") || "(unknown)";
}
function on_paused(ev) {
  const frames = ev.params.callFrames;
  const still = Atomics.load(hb, HB_STATE) === RUNNING && Atomics.load(hb, HB_SEQ) === stuck_seq;
  if (!still) {
    post("Debugger.resume").then(() => post("Debugger.disable")).then(() => {
      session.disconnect();
      session = null;
      catching = false;
    });
    return;
  }
  const raw = [];
  for (const f of frames) {
    const url = urls.get(f.location.scriptId) || f.url || "";
    if (url.startsWith("node:") || url === "") continue;
    raw.push({ fn: f.functionName || "<anonymous>", url, line: f.location.lineNumber, col: f.location.columnNumber || 0 });
    if (raw.length >= 16) break;
  }
  session.post("Runtime.terminateExecution", {}, () => {});
  session.post("Debugger.resume", {}, () => {});
  session.post("Debugger.disable", {}, () => {
    // Disconnected, or Node would wait for "the debugger" at exit.
    session.disconnect();
    session = null;
  });
  parentPort.postMessage({ stuck_ms, frames: raw });
  // The caught slice stays "running" until the main thread has reported it and restarted the run
  // loop (loading source maps may itself take longer than the threshold): never catch it twice.
  caught_seq = stuck_seq;
  last_seq = -1;
  catching = false;
}
async function catch_it() {
  catching = true;
  if (session === null) {
    // Loaded only now: the inspector is not needed until something is stuck.
    const { Session } = require("node:inspector");
    session = new Session();
    session.connectToMainThread();
    session.on("Debugger.scriptParsed", (ev) => urls.set(ev.params.scriptId, ev.params.url));
    session.on("Debugger.paused", on_paused);
  }
  await post("Debugger.enable");
  await post("Debugger.pause");
}
setInterval(() => {
  if (catching) return;
  const seq = Atomics.load(hb, HB_SEQ);
  const now = Date.now();
  if (Atomics.load(hb, HB_STATE) !== RUNNING || seq !== last_seq || seq === caught_seq) {
    last_seq = seq;
    since = now;
    return;
  }
  if (now - since < thresh) return;
  stuck_seq = seq;
  stuck_ms = now - since;
  catch_it();
}, Math.max(20, Math.floor(thresh / 4)));
parentPort.postMessage({ ready: true });
`;

interface RawFrame {
  fn: string;
  url: string;
  /** 0-based, in the generated code. */
  line: number;
  col: number;
}

/** "function (file.ts:line)": through the bundle's source map when there is one, relative to the tree. */
function format_frame(f: RawFrame): string {
  let file = f.url;
  let line = f.line + 1;
  const map = findSourceMap(f.url.startsWith("file://") ? fileURLToPath(f.url) : f.url) ?? findSourceMap(f.url);
  const e = map?.findEntry(f.line, f.col) as { originalSource?: string; originalLine?: number } | undefined;
  if (e?.originalSource !== undefined && e.originalLine !== undefined) {
    file = e.originalSource;
    line = e.originalLine + 1;
  }
  file = file.replace(/^file:\/\//, "").replace(/^.*?\/((boot|hw|kernel|drivers|net|userland|include|lib|test|bench|fuzz)\/)/, "$1");
  return `${f.fn} (${file}:${line})`;
}

export interface LockupWatchdog {
  /** Resolves when the worker is watching (a catch before then is impossible). */
  readonly ready: Promise<void>;
  stop(): void;
}

/**
 * Watch `world`'s run loop from a second thread. On a catch, `recover` is called on the main
 * thread with what was caught (it reports and repairs kernel state), then the run loop restarts.
 */
export function start_lockup_watchdog(world: World, thresh_ms: number, recover: (r: LockupReport) => void): LockupWatchdog {
  const sab = new SharedArrayBuffer(8);
  world.set_heartbeat(new Int32Array(sab));
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sab, thresh_ms } });
  worker.unref();
  let ready_fn: () => void = () => {};
  const ready = new Promise<void>((r) => (ready_fn = r));
  worker.on("message", (m: { ready?: boolean; stuck_ms?: number; frames?: RawFrame[] }) => {
    if (m.ready === true) {
      ready_fn();
      return;
    }
    try {
      recover({ stuck_ms: m.stuck_ms ?? thresh_ms, frames: (m.frames ?? []).map((f) => format_frame(f)) });
    } finally {
      world.resume_after_lockup();
    }
  });
  worker.on("error", (e) => process.stderr.write(`ringzero: lockup watchdog thread failed: ${e.message}\n`));
  return {
    ready,
    stop(): void {
      world.set_heartbeat(null);
      void worker.terminate();
    },
  };
}
