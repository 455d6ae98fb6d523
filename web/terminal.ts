/**
 * A machine's serial console in the page: an xterm.js terminal wired to the COM1 UART, as a
 * terminal emulator on a serial line. What the guest writes is drawn (its line end is "\n", which
 * xterm turns into CR LF as a host terminal's ONLCR does); what is typed goes to the UART byte for
 * byte, so the guest's tty and readline do the editing, echo, history, Tab and ^C exactly as on
 * Node. Lines starting with `~` go to the machine monitor (boot/monitor.ts), as on the console.
 */
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";
import type { Machine } from "../hw/machine.ts";
import type { World } from "../hw/world.ts";
import { ConsoleEscape, ConsoleTail, monitor_command } from "../boot/monitor.ts";

const UTF8 = new TextEncoder();

export interface MachineTerminal {
  readonly term: Terminal;
  /** Where the console sink writes (set as the machine's console_sink before boot). */
  write(text: string): void;
  /** Everything printed so far, kept for tests and copy-out (bounded). */
  text(): string;
  fit(): void;
}

/** Console text kept for text() (the terminal's own scrollback holds more). */
const KEEP_CHARS = 256 * 1024;

export function create_terminal(parent: HTMLElement): MachineTerminal {
  const term = new Terminal({
    convertEol: true,
    cursorBlink: true,
    fontFamily: "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace",
    fontSize: 13,
    scrollback: 5000,
    theme: { background: "#0b0b0b", foreground: "#d8d8d8" },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(parent);
  let kept = "";
  return {
    term,
    write(text: string): void {
      term.write(text);
      kept += text;
      if (kept.length > KEEP_CHARS * 2) kept = kept.slice(-KEEP_CHARS);
    },
    text: () => kept,
    fit: () => {
      try {
        fit.fit();
      } catch {
        // not laid out yet (hidden): the next resize fits it
      }
    },
  };
}

/**
 * Feed keys to the machine's UART, with the `~` monitor escape. Returns the console sink: it draws
 * the guest's output and keeps the tail the escape redraws after a monitor reply.
 */
export function attach_keyboard(world: World, machine: Machine, t: MachineTerminal): (text: string) => void {
  const tail = new ConsoleTail();
  const to_guest = (bytes: Uint8Array): void => {
    machine.uart.receive(bytes);
    world.kick();
  };
  const escape = new ConsoleEscape(
    {
      to_guest,
      run: (cmd) => monitor_command(machine, cmd),
      print: (text) => t.write(text),
      console_tail: () => tail.text,
      quit: () => t.write("\r\n(~. stops ringzero on Node; in the page, use the reboot button)\r\n"),
    },
    true,
  );
  t.term.onData((data) => escape.feed(UTF8.encode(data)));
  world.external_sources++;
  return (text: string) => {
    t.write(text);
    tail.push(text);
  };
}
