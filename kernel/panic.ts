import { DEFINE_PER_KERNEL, this_kernel } from "./kernel.ts";
import { printk } from "./printk.ts";
import { LOGLEVEL_EMERG, LOGLEVEL_WARNING } from "../include/linux/printk.ts";

/**
 * BUG/WARN/oops reporting (kernel/panic.c, lib/bug.c, arch/x86/kernel/dumpstack.c).
 *
 * A broken invariant never crashes the Node process: it is printed with a stack in Linux's shape
 * ("------------[ cut here ]------------" … "---[ end trace … ]---"), taints the kernel, and the
 * caller decides what is lost: a task that oopses is killed, an interrupt handler that oopses has
 * its interrupt counted as unhandled.
 */

/** Taint flags (Documentation/admin-guide/tainted-kernels.rst): bit numbers as Linux's. */
export const TAINT_BAD_PAGE = 5; // 'B'
export const TAINT_DIE = 7; // 'D'
export const TAINT_WARN = 9; // 'W'
export const TAINT_SOFTLOCKUP = 14; // 'L'
/** Linux's taint_flags[]: the letter when set, the filler when not, in bit order (0-17). */
const TAINT_LETTERS = [
  ["P", "G"], ["F", " "], ["S", " "], ["R", " "], ["M", " "], ["B", " "], ["U", " "], ["D", " "], ["A", " "],
  ["W", " "], ["C", " "], ["I", " "], ["O", " "], ["E", " "], ["L", " "], ["K", " "], ["X", " "], ["T", " "],
] as const;

class PanicState {
  tainted = 0;
  oopses = 0;
  warnings = 0;
  readonly once = new Set<string>();
}
const panic_state = DEFINE_PER_KERNEL(() => new PanicState());

/** Thrown by BUG(): unwinds the current task or handler after the report is printed. */
export class KernelBug extends Error {
  override readonly name = "KernelBug";
}

/**
 * Thrown by the soft-lockup detector (kernel/watchdog.ts) to unwind code it caught spinning, after
 * the report. Whoever catches a KernelBug lets this one through or ends what was stuck: a task is
 * killed (SIGKILL), a handler's line disabled, a timer callback abandoned.
 */
export class LockupKill extends KernelBug {}

export function add_taint(flag: number): void {
  panic_state.get().tainted |= 1 << flag;
}

/** print_tainted(): "Not tainted", or "Tainted: " and one column per flag, as Linux prints it. */
export function print_tainted(): string {
  const t = panic_state.get().tainted;
  if (t === 0) return "Not tainted";
  return "Tainted: " + TAINT_LETTERS.map(([on, off], bit) => (t & (1 << bit) ? on : off)).join("");
}

export function tainted_mask(): number {
  return panic_state.get().tainted;
}

export function oops_count(): number {
  return panic_state.get().oopses;
}

export function warn_count(): number {
  return panic_state.get().warnings;
}

/** Who was running, as the "CPU: 0 PID: … Comm: …" line says it. */
export function context_line(): string {
  const k = this_kernel();
  const cur = k.current as { pid: number; comm: string } | null;
  const pid = cur?.pid ?? 0;
  const comm = cur?.comm ?? "swapper/0";
  const ctx = k.hardirq_count > 0 ? " (in hard IRQ)" : k.softirq_count > 0 ? " (in softirq)" : "";
  return `CPU: 0 PID: ${pid} Comm: ${comm} ${print_tainted()}${ctx}`;
}

/** The JavaScript stack as a Call Trace, without the reporting frames themselves. */
export function call_trace(err?: unknown): string {
  const stack = err instanceof Error && err.stack ? err.stack : new Error().stack ?? "";
  const frames = stack
    .split("\n")
    .filter((l) => l.trimStart().startsWith("at "))
    .filter((l) => !/kernel\/panic\.ts/.test(l))
    .slice(0, 12)
    .map((l) => " " + l.trim().replace(/^at /, "").replace(/\(.*?\/((boot|hw|kernel|drivers|net|userland|include|lib|test|bench|fuzz)\/)/, "($1"));
  return ["Call Trace:", ...frames].join("\n");
}

function report(level: number, header: string, detail: string, err?: unknown): void {
  const lines = ["------------[ cut here ]------------", header];
  if (detail) lines.push(detail);
  lines.push(context_line(), call_trace(err), "---[ end trace 0000000000000000 ]---");
  printk(level, "%s\n", lines.join("\n"));
}

/**
 * WARN: report a condition that should not happen and carry on. Returns `cond` so it can be used
 * as `if (WARN_ON(x)) return -EINVAL;`.
 */
export function WARN(cond: boolean, message: string): boolean {
  if (!cond) return false;
  const st = panic_state.get();
  st.warnings++;
  add_taint(TAINT_WARN);
  report(LOGLEVEL_WARNING, `WARNING: ${message}`, "");
  return true;
}

export function WARN_ON(cond: boolean): boolean {
  return WARN(cond, "WARN_ON condition hit");
}

/** WARN once per call site key for the life of the kernel. */
export function WARN_ONCE(cond: boolean, key: string, message: string): boolean {
  if (!cond) return false;
  const st = panic_state.get();
  if (st.once.has(key)) return true;
  st.once.add(key);
  return WARN(true, message);
}

/**
 * Report an oops: an exception or broken invariant that kills what was running. `what` names it
 * ("BUG: unable to handle exception in task", "kernel BUG at …"). Never throws.
 */
export function oops(what: string, err?: unknown): void {
  const st = panic_state.get();
  st.oopses++;
  add_taint(TAINT_DIE);
  const detail = err instanceof KernelBug ? "" : err instanceof Error ? `${err.name}: ${err.message}` : err === undefined ? "" : String(err);
  report(LOGLEVEL_EMERG, what, detail, err);
}

/** Report a bad page (double free, freeing a tail page…) without touching allocator state. */
export function bad_page(message: string, detail: string): void {
  const st = panic_state.get();
  st.oopses++;
  add_taint(TAINT_BAD_PAGE);
  report(LOGLEVEL_EMERG, `BUG: Bad page state: ${message}`, detail);
}

/**
 * BUG(): print "kernel BUG" with a stack and throw KernelBug, which unwinds to the task or IRQ
 * entry that catches it (that frame is then killed or counted as unhandled, not reported twice).
 */
export function BUG(message: string): never {
  oops(`kernel BUG: ${message}`);
  throw new KernelBug(message);
}

export function BUG_ON(cond: boolean, message = "BUG_ON condition hit"): void {
  if (cond) BUG(message);
}
