import { SIGINT } from "../include/linux/sched.ts";
import { DEFINE_PER_KERNEL, this_kernel } from "./kernel.ts";
import { kill_pid } from "./process.ts";
import { init_waitqueue_head, wait_event_interruptible, wake_up_all } from "./sched/wait.ts";

/**
 * The console tty and its line discipline (drivers/tty/n_tty.c, canonical mode): received bytes
 * are assembled into lines; Backspace/DEL erase, Enter completes a line, Ctrl-C sends SIGINT to the
 * foreground process and discards the line, Ctrl-D on an empty line is end-of-file. Echo is left to
 * the terminal on the host side (it edits the line before sending it).
 */
class Tty {
  readonly name = "ttyS0";
  readonly lines: string[] = [];
  partial = "";
  eof = false;
  readonly read_wait = init_waitqueue_head("tty_read");
  /** Process group (here: pid) that receives ^C. */
  fg_pid = 0;
  rx_bytes = 0;
}
const console_tty = DEFINE_PER_KERNEL(() => new Tty());

/** tty_insert_flip_char + n_tty_receive_char: one received byte. IRQ context. */
export function tty_receive_char(c: number): void {
  const tty = console_tty.get();
  tty.rx_bytes++;
  switch (c) {
    case 0x03: {
      tty.partial = "";
      tty_write("^C\n");
      if (tty.fg_pid !== 0) kill_pid(tty.fg_pid, SIGINT);
      break;
    }
    case 0x04:
      if (tty.partial === "") tty.eof = true;
      else {
        tty.lines.push(tty.partial);
        tty.partial = "";
      }
      break;
    case 0x0d:
    case 0x0a:
      tty.lines.push(tty.partial + "\n");
      tty.partial = "";
      break;
    case 0x08:
    case 0x7f:
      tty.partial = tty.partial.slice(0, -1);
      return;
    default:
      tty.partial += String.fromCharCode(c);
      return;
  }
  wake_up_all(tty.read_wait);
}

/**
 * n_tty_read: the next line (with its newline), null at end of input, or -ERESTARTSYS if a signal
 * arrived first. Process context.
 */
export async function tty_read_line(): Promise<string | null | number> {
  const tty = console_tty.get();
  const r = await wait_event_interruptible(tty.read_wait, () => tty.lines.length > 0 || tty.eof);
  if (r < 0) return r;
  const line = tty.lines.shift();
  if (line !== undefined) return line;
  tty.eof = false; // ^D is consumed: the next read waits again, as on a terminal
  return null;
}

/** Output to the console (the UART's transmitter). Any context. */
export function tty_write(text: string): void {
  this_kernel().platform.ops.console_write(text);
}

export function tty_set_foreground(pid: number): void {
  console_tty.get().fg_pid = pid;
}

export function tty_foreground(): number {
  return console_tty.get().fg_pid;
}
