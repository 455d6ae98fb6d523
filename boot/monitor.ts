/**
 * A small machine monitor, the analogue of QEMU's (Ctrl-A c): lines typed at the terminal that
 * start with `~` go to the machine, not to the guest. It can pull a NIC's cable and switch trace
 * channels while the machine runs. ConsoleEscape below finds those lines in the terminal's byte
 * stream, as ssh finds its escape character.
 */
import type { Machine } from "../hw/machine.ts";
import { E1000 } from "../hw/net/e1000.ts";
import { VirtioNet } from "../hw/net/virtio_net.ts";
import { E1000_FAULTS } from "../hw/net/e1000_faults.ts";
import { VIRTIO_NET_FAULTS, virtio_net_inject_fault } from "../hw/net/virtio_net_faults.ts";
import { mac_str } from "../hw/net/e1000_tx.ts";
import { TRACE_CHANNEL_HELP, TRACE_CHANNELS } from "../hw/trace.ts";

/** The machine's trace channels (hw/trace.ts), re-exported for --trace (boot/main.ts). */
export { TRACE_CHANNELS };

const HELP = `monitor commands (type them after ~):
  ~info network              NICs, MACs, link state, back-ends and their counters
  ~set_link NAME on|off      plug or pull a NIC's cable (NAME from info network)
  ~inject                    list the faults that can be injected into a NIC
  ~inject FAULT[=ARG] [NAME] inject FAULT into NIC NAME (default: the first NIC), e.g.
                             ~inject rx_overrun=50, ~inject irq_storm=500ms e1000.1
  ~inject clear [NAME]       disarm pending faults, restore the EEPROM, let autoneg complete
                             (virtio-net NICs: link_down, link_up, link_flap, config_change, needs_reset)
  ~trace                     list trace channels, which are on, and what each carries
  ~trace CH[,CH...] on|off   switch trace channels (${TRACE_CHANNELS.join(", ")}, or all);
                             e1000 and virtio-net share tx, txerr, rx, rxfilter, rxerr, interrupt
                             and unknown; eeprom is the e1000's, virtio the virtio transport's
  ~help                      this text
  ~~                         send one ~ to the guest
  ~.                         stop ringzero at once (the machine is not shut down)
`;

function nics(m: Machine): E1000[] {
  return [...m.pci.devices.values()].filter((d): d is E1000 => d instanceof E1000);
}

/** NICs that are not e1000s (virtio-net), for `~info network` and `~set_link`. */
function other_nics(m: Machine): VirtioNet[] {
  return [...m.pci.devices.values()].filter((d): d is VirtioNet => d instanceof VirtioNet);
}

/** Run one monitor command (without the ~); returns the text to print. */
export function monitor_command(m: Machine, line: string): string {
  const [cmd, ...args] = line.trim().split(/\s+/);
  switch (cmd) {
    case undefined:
    case "":
    case "help":
      return HELP;
    case "info":
      if (args[0] !== "network") return "info: only 'info network' is available\n";
      return (
        [
          ...nics(m).map((n) => `${n.name}: model=82540EM,macaddr=${mac_str(n.mac, 0)} link=${n.removed ? "none (removed)" : n.link_up ? "up" : "down"}\n   ${n.describe_counters()}\n \\ ${n.peer === null ? "(no back-end)" : (n.peer.describe?.() ?? "connected")}`),
          ...other_nics(m).map((n) => `${n.name}: model=virtio-net-pci ${n.describe()}\n \\ ${n.peer === null ? "(no back-end)" : (n.peer.describe?.() ?? "connected")}`),
        ].join("\n") + "\n"
      );
    case "set_link": {
      const all = [...nics(m), ...other_nics(m)];
      const nic = all.find((n) => n.name === args[0]);
      if (nic === undefined || (args[1] !== "on" && args[1] !== "off")) return `set_link: usage: set_link NAME on|off (NICs: ${all.map((n) => n.name).join(", ") || "none"})\n`;
      nic.set_link(args[1] === "on");
      return "";
    }
    case "inject":
      return inject(m, args);
    case "trace": {
      if (args.length === 0) return TRACE_CHANNELS.map((c) => `${`${c}: ${m.tracer.on(c) ? "on" : "off"}`.padEnd(15)}${TRACE_CHANNEL_HELP[c]}`).join("\n") + "\n";
      const chans = args[0] === "all" ? [...TRACE_CHANNELS] : args[0]!.split(",");
      const bad = chans.filter((c) => !(TRACE_CHANNELS as readonly string[]).includes(c));
      if (bad.length > 0 || (args[1] !== "on" && args[1] !== "off")) return `trace: usage: trace CH[,CH...] on|off (unknown: ${bad.join(", ") || "-"})\n`;
      for (const c of chans) m.tracer.enable(c, args[1] === "on");
      return "";
    }
    default:
      return `unknown monitor command '${cmd}' (try ~help)\n`;
  }
}

/** `~inject`: list the faults, or inject one into a NIC. Every outcome is one line. */
function inject(m: Machine, args: string[]): string {
  if (args.length === 0) {
    const w = Math.max(...E1000_FAULTS.map((f) => f.name.length), ...VIRTIO_NET_FAULTS.map((f) => f.name.length)) + 2;
    return (
      "faults (~inject FAULT[=ARG] [NIC]):\n" +
      E1000_FAULTS.map((f) => `  ${f.name.padEnd(w)}${f.help}${f.arg ? `; ARG: ${f.arg}` : ""}`).join("\n") +
      "\nvirtio-net faults (~inject FAULT [NIC], for virtio-net NICs):\n" +
      VIRTIO_NET_FAULTS.map((f) => `  ${f.name.padEnd(w)}${f.help}`).join("\n") +
      "\n"
    );
  }
  if (args.length > 2) return "inject: usage: inject FAULT[=ARG] [NIC]\n";
  const all = [...nics(m), ...other_nics(m)];
  const nic = args[1] === undefined ? all[0] : all.find((n) => n.name === args[1]);
  if (nic === undefined) return `inject: no NIC ${args[1] === undefined ? "in this machine" : `'${args[1]}'`} (NICs: ${all.map((n) => n.name).join(", ") || "none"})\n`;
  const eq = args[0]!.indexOf("=");
  const name = eq < 0 ? args[0]! : args[0]!.slice(0, eq);
  const arg = eq < 0 ? undefined : args[0]!.slice(eq + 1);
  const err = nic instanceof VirtioNet ? virtio_net_inject_fault(nic, name, arg) : nic.inject_fault(name, arg);
  return err === "" ? `${nic.name}: ${name === "clear" ? "faults cleared" : `injected ${args[0]}`}\n` : `inject: ${err}\n`;
}

/**
 * What the guest has printed since its last newline (its prompt and the line being typed), kept
 * from the console's output for ConsoleEscape to draw again after a monitor reply. Bounded.
 */
export class ConsoleTail {
  text = "";

  /** Console output, as it is written to the host terminal. */
  push(out: string): void {
    const nl = out.lastIndexOf("\n");
    this.text = nl >= 0 ? out.slice(nl + 1) : this.text + out;
    if (this.text.length > 4096) this.text = this.text.slice(-4096);
  }
}

/** What a ConsoleEscape drives: the guest's serial line, the monitor, and the host terminal. */
export interface ConsoleEscapeOps {
  /** Bytes for the guest (the UART's receiver). */
  to_guest(bytes: Uint8Array): void;
  /** Run a monitor command (the text after `~`); returns what to print. */
  run(cmd: string): string;
  /** Write to the host terminal. */
  print(text: string): void;
  /** What the guest has printed since its last newline (its prompt and line), to draw again. */
  console_tail(): string;
  /** `~.`: leave at once. */
  quit(): void;
}

const BS = 0x08;
const DEL = 0x7f;

/**
 * The console's escape, as ssh's: a `~` typed as the first byte of a line (at the start, or after
 * CR, LF, ^C or ^U went to the guest) begins a monitor command, which is collected on the host
 * until Enter and never reaches the guest. `~~` sends one `~`; `~.` quits. Every other byte goes to
 * the guest unchanged.
 *
 * `terminal`: the host's standard input is a terminal in raw mode, so the host echoes the monitor
 * line itself (Backspace erases, ^C or ^U abandons it) and after the command's output draws the
 * guest's prompt and line again. Without it (input piped in), monitor lines are neither echoed nor
 * followed by a redraw: the output is just the command's, as a script expects.
 */
export class ConsoleEscape {
  private readonly ops: ConsoleEscapeOps;
  private readonly terminal: boolean;
  private at_line_start = true;
  /** The monitor line being typed (after its `~`), or null when bytes go to the guest. */
  private cmd: string | null = null;

  constructor(ops: ConsoleEscapeOps, terminal: boolean) {
    this.ops = ops;
    this.terminal = terminal;
  }

  /** Bytes from the host's standard input. */
  feed(chunk: Uint8Array): void {
    let start = 0;
    const flush = (end: number): void => {
      if (end > start) this.ops.to_guest(chunk.subarray(start, end));
    };
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.cmd === null) {
        if (c === 0x7e /* ~ */ && this.at_line_start) {
          flush(i);
          start = i + 1;
          this.cmd = "";
          if (this.terminal) this.ops.print("~");
          continue;
        }
        this.at_line_start = c === 0x0d || c === 0x0a || c === 0x03 || c === 0x15;
        continue;
      }
      start = i + 1;
      this.monitor_byte(c);
    }
    if (this.cmd === null) flush(chunk.length);
  }

  /** One byte of a monitor line. */
  private monitor_byte(c: number): void {
    const cmd = this.cmd!;
    const echo = (s: string): void => {
      if (this.terminal) this.ops.print(s);
    };
    if (cmd === "" && c === 0x7e) {
      echo("\b \b");
      this.cmd = null;
      this.at_line_start = false;
      this.ops.to_guest(Uint8Array.of(0x7e));
    } else if (cmd === "" && c === 0x2e /* . */) {
      echo(".\n");
      this.cmd = null;
      this.ops.quit();
    } else if (c === 0x0d || c === 0x0a) {
      this.cmd = null;
      this.at_line_start = true;
      echo("\n");
      this.ops.print(this.ops.run(cmd));
      echo(this.ops.console_tail());
    } else if (c === BS || c === DEL) {
      echo("\b \b");
      if (cmd === "") this.cmd = null; // the ~ itself was erased: back at the start of a line
      else this.cmd = cmd.slice(0, -1);
    } else if (c === 0x03 || c === 0x15) {
      this.cmd = null;
      this.at_line_start = true;
      echo("\b \b".repeat(cmd.length + 1));
    } else if (c >= 0x20 && c < 0x7f) {
      this.cmd = cmd + String.fromCharCode(c);
      echo(String.fromCharCode(c));
    }
  }
}
