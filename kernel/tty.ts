import { EAGAIN, EINVAL, ESRCH } from "../include/linux/errno.ts";
import { SIGINT } from "../include/linux/sched.ts";
import { ECHO, ECHOCTL, ECHOE, ECHOK, ICANON, ISIG, type Termios } from "../include/uapi/syscalls.ts";
import { DEFINE_PER_KERNEL, this_kernel } from "./kernel.ts";
import { kill_pgrp, process_group_exists } from "./process.ts";
import { schedule_work, WorkStruct } from "./workqueue.ts";
import { init_waitqueue_head, wait_event_interruptible, wake_up_all, type WaitQueueHead } from "./sched/wait.ts";

/**
 * The console tty and its line discipline (drivers/tty/n_tty.c) under a termios (c_lflag only).
 *
 * Received bytes go into one input buffer (n_tty's read_buf). In canonical mode (ICANON) they are
 * edited there as the user types — ERASE (DEL, and ^H for terminals that send it) removes a
 * character, KILL (^U) the line, WERASE (^W) a word, REPRINT (^R) draws the line again, LNEXT (^V)
 * takes the next byte literally — and a line becomes readable when NL (CR is mapped to NL, as
 * ICRNL does) or EOF (^D) ends it; ^D on an empty line makes read() return 0. In non-canonical mode
 * every byte is readable at once (VMIN=1, VTIME=0: read() waits for one byte, then returns what is
 * there). With ISIG, INTR (^C) and QUIT (^\) are not input: they flush the input and send SIGINT /
 * SIGQUIT to every process of the foreground process group (isig → kill_pgrp(tty->pgrp)): all the
 * stages of a pipeline the shell runs in that group.
 *
 * The foreground group is what tcsetpgrp set (tiocspgrp): a process group id, kept as a number as
 * tty->pgrp keeps its struct pid, so a group that empties and is refilled under the same id gets
 * the signals again. The console is every session's here (nobody acquires it as a controlling tty),
 * so tcsetpgrp does not check the caller's session.
 *
 * ECHO makes the tty echo what it receives as n_tty does: printable bytes as they are, NL as "\n"
 * (the console is a byte stream whose line end is "\n": no ONLCR), control characters as ^X with
 * ECHOCTL, an erase as "\b \b" with ECHOE, a kill erasing the line with ECHOK|ECHOKE|ECHOE, INTR as
 * "^C" (no newline: the shell prints one when its command dies of SIGINT, as bash does).
 *
 * Switching ICANON off makes everything buffered readable (an EOF stays in the data as the byte
 * 0x04, as n_tty keeps it); switching it on re-splits what is buffered into lines at NL and EOF,
 * and what follows the last one is the line being edited. (Linux makes all of it one readable line
 * instead; splitting keeps one line per read, which read_line promises.)
 */

/** c_lflag bits include/uapi/syscalls.ts does not carry yet (termbits.h). */
export const ECHOKE = 0o4000;
export const IEXTEN = 0o100000;
/** tty_std_termios's c_lflag: what a tty starts with. */
export const TTY_STD_LFLAG = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;

/** SIGQUIT's number (signal(7)), sent by QUIT (^\ ); include/linux/sched.ts did not always carry it. */
const SIGQUIT = 3;

/* c_cc defaults (include/linux/tty.h INIT_C_CC); fixed here: there is no c_cc to change them. */
const VINTR = 0x03;
const VQUIT = 0x1c;
const VERASE = 0x7f;
const VERASE2 = 0x08;
const VKILL = 0x15;
const VEOF = 0x04;
const VREPRINT = 0x12;
const VWERASE = 0x17;
const VLNEXT = 0x16;
const NL = 0x0a;
const CR = 0x0d;

class Tty {
  readonly name = "ttyS0";
  c_lflag = TTY_STD_LFLAG;
  /** Bytes received and not yet read (n_tty's read_buf), and which of them end a line (read_flags). */
  buf: number[] = [];
  eol: boolean[] = [];
  /** buf[0 .. canon_head) is readable: whole lines in canonical mode, everything otherwise. */
  canon_head = 0;
  /** ^V was typed: the next byte is data. */
  lnext = false;
  /** Output column (for erasing a tab) and where the line being edited started on screen. */
  column = 0;
  canon_column = 0;
  readonly read_wait: WaitQueueHead = init_waitqueue_head("tty_read");
  /** The foreground process group (tty->pgrp): who ^C and ^\ signal; 0: none yet. */
  pgrp = 0;
  rx_bytes = 0;
  tx_bytes = 0;
  /**
   * The line discipline runs once the tty is first opened (tty_open → tty_ldisc_setup). Bytes the
   * UART receives before that wait in the flip buffer (`held`, at most TTY_FLIPBUF_SIZE; when it is
   * full the driver stops reading the UART — tty_throttle_rx — and bytes that still come are
   * counted in `rx_overruns`, as the 8250's overrun counter), and flush_to_ldisc hands
   * them over from a work item after the open — so whoever opened the console first (init) sets
   * its termios before any of them is echoed.
   */
  opened = false;
  held: number[] = [];
  rx_overruns = 0;
  /** The flip buffer was full: the driver stopped taking bytes; `unthrottle` restarts it (tty_throttle_rx). */
  throttled = false;
  unthrottle: (() => void) | null = null;
  readonly flush_work = new WorkStruct(() => flush_to_ldisc());
  /** Echoed bytes are UTF-8; the console takes text. */
  readonly echo_decoder = new TextDecoder();
}
const console_tty = DEFINE_PER_KERNEL(() => new Tty());

const is_cntrl = (c: number): boolean => c < 0x20 || c === 0x7f;
const is_continuation = (c: number): boolean => (c & 0xc0) === 0x80;

/** Echo raw bytes (any context). */
function echo_bytes(tty: Tty, bytes: number[]): void {
  if (bytes.length === 0) return;
  const text = tty.echo_decoder.decode(Uint8Array.from(bytes), { stream: true });
  if (text !== "") tty_write(text);
}

/** echo_char(): a control character as ^X under ECHOCTL (not TAB or NL), anything else as is. */
function echo_char(tty: Tty, c: number): void {
  if ((tty.c_lflag & ECHOCTL) !== 0 && is_cntrl(c) && c !== 0x09 && c !== NL) echo_bytes(tty, [0x5e, c ^ 0o100]);
  else echo_bytes(tty, [c]);
}

function wake_readers(tty: Tty): void {
  wake_up_all(tty.read_wait);
}

/** The line being edited is empty: note where it starts on screen (for erasing tabs). */
function start_line(tty: Tty): void {
  if (tty.buf.length === tty.canon_head) tty.canon_column = tty.column;
}

function put(tty: Tty, c: number, eol: boolean): void {
  tty.buf.push(c);
  tty.eol.push(eol);
}

/** The line is complete: it (and everything before it) becomes readable. */
function commit_line(tty: Tty): void {
  tty.canon_head = tty.buf.length;
  wake_readers(tty);
}

/** isig(): flush the input (no NOFLSH) and signal the foreground process group; echo ^C with ECHO. */
function isig(tty: Tty, sig: number, c: number): void {
  tty.buf = [];
  tty.eol = [];
  tty.canon_head = 0;
  tty.lnext = false;
  if ((tty.c_lflag & ECHO) !== 0) echo_char(tty, c);
  if (tty.pgrp > 0) kill_pgrp(tty.pgrp, sig);
}

/** Erase a tab: back to where the tab started, counted from the line's start column. */
function erase_tab(tty: Tty): void {
  let col = tty.canon_column;
  for (let i = tty.canon_head; i < tty.buf.length; i++) {
    const c = tty.buf[i]!;
    if (c === 0x09) col = (col | 7) + 1;
    else if (is_cntrl(c)) col += (tty.c_lflag & ECHOCTL) !== 0 ? 2 : 0;
    else if (!is_continuation(c)) col++;
  }
  const n = Math.max(0, Math.min(8, tty.column - col));
  echo_bytes(tty, new Array<number>(n).fill(0x08));
}

/** eraser(): ERASE, WERASE or KILL on the line being edited (canonical mode). */
function eraser(tty: Tty, c: number): void {
  if (tty.buf.length === tty.canon_head) return; // nothing to erase, nothing echoed
  const lflag = tty.c_lflag;
  const echo = (lflag & ECHO) !== 0;
  if (c === VKILL && (!echo || (lflag & (ECHOK | ECHOKE | ECHOE)) !== (ECHOK | ECHOKE | ECHOE))) {
    tty.buf.length = tty.eol.length = tty.canon_head;
    if (echo) {
      echo_char(tty, c);
      if ((lflag & ECHOK) !== 0) echo_bytes(tty, [NL]);
    }
    return;
  }
  let seen_alnums = 0;
  while (tty.buf.length > tty.canon_head) {
    // One character: a UTF-8 sequence goes as a whole (IUTF8).
    let start = tty.buf.length - 1;
    while (start > tty.canon_head && is_continuation(tty.buf[start]!)) start--;
    const ch = tty.buf[start]!;
    if (c === VWERASE) {
      // ALTWERASE: a word is letters, digits and '_'; stop at the first other byte after one.
      if ((ch >= 0x30 && ch <= 0x39) || (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a) || ch === 0x5f || ch >= 0x80) seen_alnums++;
      else if (seen_alnums > 0) break;
    }
    tty.buf.length = tty.eol.length = start;
    if (echo) {
      if (c !== VKILL && c !== VWERASE && (lflag & ECHOE) === 0) echo_char(tty, c);
      else if (ch === 0x09) erase_tab(tty);
      else {
        if (is_cntrl(ch) && (lflag & ECHOCTL) !== 0) echo_bytes(tty, [0x08, 0x20, 0x08]);
        if (!is_cntrl(ch) || (lflag & ECHOCTL) !== 0) echo_bytes(tty, [0x08, 0x20, 0x08]);
      }
    }
    if (c === VERASE || c === VERASE2) break;
  }
}

/** Canonical-mode input (n_tty_receive_char_special + n_tty_receive_char). */
function receive_canon(tty: Tty, c: number): void {
  const lflag = tty.c_lflag;
  const echo = (lflag & ECHO) !== 0;
  const iexten = (lflag & IEXTEN) !== 0;
  if (tty.lnext) {
    tty.lnext = false; // a literal byte: its echo overwrites the "^" that ^V left
  } else if (c === VERASE || c === VERASE2 || c === VKILL || (c === VWERASE && iexten)) {
    eraser(tty, c);
    return;
  } else if (c === VLNEXT && iexten) {
    tty.lnext = true;
    if (echo) {
      start_line(tty);
      echo_bytes(tty, (lflag & ECHOCTL) !== 0 ? [0x5e, 0x08] : []);
    }
    return;
  } else if (c === VREPRINT && iexten) {
    if (echo) {
      echo_char(tty, c);
      echo_bytes(tty, [NL]);
      tty.canon_column = tty.column;
      for (let i = tty.canon_head; i < tty.buf.length; i++) echo_char(tty, tty.buf[i]!);
    }
    return;
  } else if (c === NL) {
    if (echo) echo_bytes(tty, [NL]);
    put(tty, c, true);
    commit_line(tty);
    return;
  } else if (c === VEOF) {
    put(tty, c, true); // kept as the line's end, not returned by a canonical read
    commit_line(tty);
    return;
  }
  if (echo) {
    start_line(tty);
    echo_char(tty, c);
  }
  put(tty, c, false);
}

/** n_tty's read buffer (N_TTY_BUF_SIZE): the driver is throttled when this much waits unread. */
export const N_TTY_BUF_SIZE = 4096;

/** Bytes the flip buffer holds before the first open (Linux's TTY_BUFFER_PAGE-sized buffers, reduced). */
export const TTY_FLIPBUF_SIZE = 4096;

/** tty_insert_flip_char + n_tty_receive_char: one received byte. IRQ context. */
export function tty_receive_char(c: number): void {
  const tty = console_tty.get();
  tty.rx_bytes++;
  if (!tty.opened) {
    if (tty.held.length < TTY_FLIPBUF_SIZE) tty.held.push(c);
    else tty.rx_overruns++;
    return;
  }
  n_tty_receive_char(tty, c);
}

/** flush_to_ldisc(): what arrived before the first open goes through the line discipline. Process context (a work item). */
function flush_to_ldisc(): void {
  const tty = console_tty.get();
  for (const c of tty.held.splice(0)) n_tty_receive_char(tty, c);
  if (tty.throttled) {
    tty.throttled = false;
    tty.unthrottle?.();
  }
}

/**
 * Must the driver stop taking bytes? true while the flip buffer is full before the first open: the
 * driver then leaves the rest in the UART (RTS flow control; QEMU's chardev likewise stops reading
 * the host while the UART's FIFO is full), and `unthrottle` is called from flush_to_ldisc once
 * there is room. Nothing typed or piped in before boot is lost. IRQ context.
 */
export function tty_throttle_rx(unthrottle: () => void): boolean {
  const tty = console_tty.get();
  // After the open, n_tty's read buffer throttles the same way once N_TTY_BUF_SIZE bytes wait with
  // something readable among them (a canonical line that has not ended yet is let grow, or it could
  // never end); consume() unthrottles when a reader has taken them. A host piping megabytes in then
  // waits in the UART, not in an ever-growing buffer.
  const full = tty.opened ? tty.buf.length >= N_TTY_BUF_SIZE && tty.canon_head > 0 : tty.held.length >= TTY_FLIPBUF_SIZE;
  if (!full) return false;
  tty.throttled = true;
  tty.unthrottle = unthrottle;
  return true;
}

/** tty_open() of the console: the first open attaches the line discipline and flushes what waited. Process context. */
export function tty_open(): void {
  const tty = console_tty.get();
  if (tty.opened) return;
  tty.opened = true;
  if (tty.held.length > 0) schedule_work(tty.flush_work);
}

/** Received bytes dropped because nobody had the console open and the flip buffer was full. */
export function tty_rx_overruns(): number {
  return console_tty.get().rx_overruns;
}

/** Bytes written to the console (UTF-8), for the serial driver's tx counter. */
export function tty_tx_bytes(): number {
  return console_tty.get().tx_bytes;
}

function n_tty_receive_char(tty: Tty, c: number): void {
  if (c === CR) c = NL; // ICRNL
  const lflag = tty.c_lflag;
  if ((lflag & ISIG) !== 0 && !tty.lnext && (c === VINTR || c === VQUIT)) {
    isig(tty, c === VINTR ? SIGINT : SIGQUIT, c);
    return;
  }
  if ((lflag & ICANON) !== 0) {
    receive_canon(tty, c);
    return;
  }
  if ((lflag & ECHO) !== 0) echo_char(tty, c);
  put(tty, c, false);
  tty.canon_head = tty.buf.length;
  wake_readers(tty);
}

/** input_available_p(): can a read return now (a line, an EOF, or in raw mode any byte)? */
export function tty_input_available(): boolean {
  return console_tty.get().canon_head > 0;
}

/** The wait queue readers and poll() sleep on. */
export function tty_read_wait(): WaitQueueHead {
  return console_tty.get().read_wait;
}

/** Take `n` bytes off the front of the buffer; a throttled driver may send again once half is free. */
function consume(tty: Tty, n: number): number[] {
  const out = tty.buf.splice(0, n);
  tty.eol.splice(0, n);
  tty.canon_head -= n;
  if (tty.throttled && tty.opened && tty.buf.length < N_TTY_BUF_SIZE / 2) {
    tty.throttled = false;
    tty.unthrottle?.();
  }
  return out;
}

/**
 * Copy readable input into `dst` (it is available): canonical mode gives at most the rest of the
 * first line (its NL included, an EOF left out; the rest of a long line stays for the next read),
 * non-canonical mode what there is.
 */
function copy_from_read_buf(tty: Tty, dst: Uint8Array): number {
  if ((tty.c_lflag & ICANON) === 0) {
    const bytes = consume(tty, Math.min(dst.length, tty.canon_head));
    dst.set(bytes);
    return bytes.length;
  }
  const e = tty.eol.indexOf(true);
  const is_eof = tty.buf[e] === VEOF;
  const content = is_eof ? e : e + 1;
  const n = Math.min(dst.length, content);
  dst.set(consume(tty, n));
  if (n === content && is_eof) consume(tty, 1);
  return n;
}

/**
 * n_tty_read(): bytes read into `dst`, 0 at end of input (^D on an empty line), -EAGAIN when
 * `nonblock` and nothing is readable, -ERESTARTSYS if a signal came first. Process context.
 */
export function tty_read(dst: Uint8Array, nonblock: boolean): number | Promise<number> {
  const tty = console_tty.get();
  if (dst.length === 0) return 0;
  if (tty.canon_head > 0) return copy_from_read_buf(tty, dst);
  if (nonblock) return -EAGAIN;
  return (async () => {
    // Another reader may take what woke us: wait again until something is left for this one.
    while (tty.canon_head === 0) {
      const r = await wait_event_interruptible(tty.read_wait, () => tty.canon_head > 0);
      if (r < 0) return r;
    }
    return copy_from_read_buf(tty, dst);
  })();
}

/**
 * A whole line for the read_line call: in canonical mode the next line with its newline ("" and
 * no newline for a line ended by ^D), null at end of input; in non-canonical mode what is there.
 * -ERESTARTSYS if a signal came first. Process context.
 */
export async function tty_read_line(): Promise<string | null | number> {
  const tty = console_tty.get();
  while (tty.canon_head === 0) {
    const r = await wait_event_interruptible(tty.read_wait, () => tty.canon_head > 0);
    if (r < 0) return r;
  }
  let n = tty.canon_head;
  if ((tty.c_lflag & ICANON) !== 0) n = tty.eol.indexOf(true) + 1;
  const bytes = consume(tty, n);
  if ((tty.c_lflag & ICANON) !== 0 && bytes[bytes.length - 1] === VEOF) {
    bytes.pop();
    if (bytes.length === 0) return null;
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/** TCGETS: the console's termios. */
export function tty_get_termios(): Termios {
  return { c_lflag: console_tty.get().c_lflag };
}

/** TCSETS (n_tty_set_termios): new local modes; a change of ICANON re-reads the buffer. */
export function tty_set_termios(t: Termios): void {
  const tty = console_tty.get();
  const old = tty.c_lflag;
  tty.c_lflag = t.c_lflag >>> 0;
  if (((old ^ tty.c_lflag) & ICANON) === 0) return;
  tty.lnext = false;
  if ((tty.c_lflag & ICANON) === 0) {
    tty.eol.fill(false);
    tty.canon_head = tty.buf.length;
  } else {
    tty.canon_head = 0;
    for (let i = 0; i < tty.buf.length; i++) {
      tty.eol[i] = tty.buf[i] === NL || tty.buf[i] === VEOF;
      if (tty.eol[i]) tty.canon_head = i + 1;
    }
  }
  wake_readers(tty);
}

/** Output to the console (the UART's transmitter). Any context. */
export function tty_write(text: string): void {
  const tty = console_tty.get();
  const nl = text.lastIndexOf("\n");
  let col = nl >= 0 ? 0 : tty.column;
  for (let i = nl + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === CR) col = 0;
    else if (c === 0x08) col = Math.max(0, col - 1);
    else if (c === 0x09) col = (col | 7) + 1;
    else if (c >= 0x20 && c !== 0x7f && (c & 0xfc00) !== 0xdc00) col++;
  }
  tty.column = col;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) bytes += c < 0x800 || (c & 0xfc00) === 0xdc00 ? 1 : 2; // a surrogate pair: 2 + 2 = 4
  }
  tty.tx_bytes += bytes;
  this_kernel().platform.ops.console_write(text);
}

/**
 * tiocspgrp() (tcsetpgrp(3) on the console): make process group `pgrp` the foreground one. Returns
 * 0, -EINVAL for a negative id, -ESRCH when no live process has that group id or pid (Linux's
 * find_vpid: a pid names its group here, as session_of_pgrp falls back to the task).
 */
export function tty_set_foreground(pgrp: number): number {
  if (!Number.isInteger(pgrp) || pgrp < 0) return -EINVAL;
  if (pgrp === 0 || !process_group_exists(pgrp)) return -ESRCH;
  console_tty.get().pgrp = pgrp;
  return 0;
}

/** tiocgpgrp(): the foreground process group (0: none set). */
export function tty_foreground(): number {
  return console_tty.get().pgrp;
}
