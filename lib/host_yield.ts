/**
 * Give the host's event loop a turn (sockets, the terminal, a page's input and painting), then
 * continue: host pacing for the run loop, never device or kernel time.
 *
 * On Node this is setImmediate (runs after pending I/O callbacks). A browser has no setImmediate,
 * and setTimeout(0) is clamped to 4 ms after a few nestings, so there a MessageChannel message is
 * posted to ourselves: it is a task of its own, after input and rendering had their chance.
 */
type Resolve = () => void;

/** The part of a MessageChannel used here (the DOM's; Node's types declare a different port). */
interface YieldChannel {
  port1: { onmessage: ((ev: unknown) => void) | null };
  port2: { postMessage(msg: unknown): void };
}

let channel: YieldChannel | null = null;
const waiting: Resolve[] = [];

function post_yield(resolve: Resolve): void {
  if (channel === null) {
    channel = new MessageChannel() as unknown as YieldChannel;
    channel.port1.onmessage = () => {
      const r = waiting.shift();
      r?.();
    };
  }
  waiting.push(resolve);
  channel.port2.postMessage(0);
}

const set_immediate: ((fn: Resolve) => unknown) | undefined = (globalThis as { setImmediate?: (fn: Resolve) => unknown }).setImmediate;

/** Resolves after the host's event loop has had one turn. */
export function host_yield(): Promise<void> {
  return new Promise<void>((resolve) => {
    if (set_immediate !== undefined) set_immediate(resolve);
    else post_yield(resolve);
  });
}
