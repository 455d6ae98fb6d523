/**
 * Trace channels for the machine side, in the spirit of QEMU's `-trace` and JOS lab 6's
 * patched QEMU (e1000 tx/rx/... channels). Device models call `trace()` only after checking
 * `on(channel)`, so a disabled channel costs one Set lookup and never formats a string.
 *
 * `warn()` lines are always emitted: bus errors and classic driver mistakes that a user must see.
 */
export type TraceSink = (line: string) => void;

/**
 * The channels device models emit on (`--trace CH,CH`, the monitor's `~trace`). A channel means the
 * same thing on every model that uses it; `eeprom` is the e1000's alone, `virtio` the virtio
 * transport's (named after QEMU's hw/virtio trace events).
 */
export const TRACE_CHANNELS = ["tx", "txerr", "rx", "rxfilter", "rxerr", "interrupt", "eeprom", "unknown", "virtio"] as const;
export type TraceChannel = (typeof TRACE_CHANNELS)[number];

/** One line per channel for help texts. */
export const TRACE_CHANNEL_HELP: Readonly<Record<TraceChannel, string>> = {
  tx: "each frame sent (length, destination; virtio-net: the chain head)",
  txerr: "frames not sent and bad transmit descriptors or chains",
  rx: "each frame received (e1000: descriptors; virtio-net: num_buffers, used len)",
  rxfilter: "frames refused by the address / receive-mode filter",
  rxerr: "frames dropped: no buffer, too big, receiver off or not ready",
  interrupt: "interrupts raised, lowered and suppressed (INTx, MSI-X, config changes)",
  eeprom: "e1000 EEPROM reads",
  unknown: "accesses to registers or offsets the model does not have",
  virtio: "virtio transport: status, features, queue select/enable, notify, reset, config generation",
};

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
