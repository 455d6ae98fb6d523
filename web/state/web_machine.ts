/**
 * One booted machine of the page, as the state readers (web/state/) and the panels see it:
 * DOM-free, so the readers are tested on Node.
 */
import type { Machine } from "../../hw/machine.ts";
import type { Kernel } from "../../kernel/kernel.ts";

export interface WebMachine {
  /** "ringzero" (the single machine) or "left"/"right" (the two-machine preset). */
  readonly name: string;
  readonly machine: Machine;
  readonly kernel: Kernel;
}
