/**
 * Trace channels for the machine side, in the spirit of QEMU's `-trace` and JOS lab 6's
 * patched QEMU (e1000 tx/rx/... channels). Device models call `trace()` only after checking
 * `on(channel)`, so a disabled channel costs one Set lookup and never formats a string.
 *
 * `warn()` lines are always emitted: bus errors and classic driver mistakes that a user must see.
 */
export type TraceSink = (line: string) => void;

export class Tracer {
  private readonly enabled = new Set<string>();
  private readonly warned = new Set<string>();
  sink: TraceSink;
  /** Every line emitted, newest last, bounded; tests and the shell read it. */
  readonly history: string[] = [];
  private static readonly HISTORY_MAX = 512;

  constructor(sink: TraceSink = () => {}) {
    this.sink = sink;
  }

  on(channel: string): boolean {
    return this.enabled.has(channel);
  }

  enable(channel: string, enabled = true): void {
    if (enabled) this.enabled.add(channel);
    else this.enabled.delete(channel);
  }

  channels(): string[] {
    return [...this.enabled].sort();
  }

  trace(channel: string, message: string): void {
    this.emit(`${channel}: ${message}`);
  }

  /** Always emitted. */
  /** Always emitted: state changes a user must see (a back-end connected or dropped its peer). */
  info(message: string): void {
    this.emit(message);
  }

  warn(message: string): void {
    this.emit(`warning: ${message}`);
  }

  /** Emitted once per `key` for the lifetime of this tracer (classic-mistake warnings). */
  warn_once(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(message);
  }

  private emit(line: string): void {
    this.history.push(line);
    if (this.history.length > Tracer.HISTORY_MAX) this.history.shift();
    this.sink(line);
  }
}
