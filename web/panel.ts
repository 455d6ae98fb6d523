/**
 * What a live panel of the page is given and must provide (web/main.ts places and drives them).
 *
 * Panels read the machine's state — device registers and descriptors in guest memory (hw/), and
 * the driver's own bookkeeping through the kernel (kernel state is per kernel: read it inside
 * `with_kernel(wm.kernel, …)`) — once per animation frame, on the page's main thread, between two
 * slices of the run loop: never while kernel code is running. A panel only reads: it never writes
 * a register, a descriptor or a kernel structure.
 */
import type { World } from "../hw/world.ts";
import type { WebMachine } from "./state/web_machine.ts";

export interface PanelContext {
  readonly world: World;
  readonly machines: readonly WebMachine[];
  /** The machine the panels show (the header's selector in the two-machine preset). */
  selected(): WebMachine;
  readonly doc: Document;
}

export interface Panel {
  /** The panel's root element; web/main.ts puts it in the panel column. */
  readonly el: HTMLElement;
  /**
   * Called once per animation frame. Read state and write the DOM only where something changed
   * (compare with what was drawn last): a frame's update should cost well under a millisecond,
   * so the machine keeps its speed.
   */
  update(now_ms: number): void;
}

export type PanelFactory = (ctx: PanelContext) => Panel;
