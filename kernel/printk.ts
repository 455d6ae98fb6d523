import {
  CONSOLE_LOGLEVEL_DEFAULT,
  LOGLEVEL_ALERT,
  LOGLEVEL_CRIT,
  LOGLEVEL_DEBUG,
  LOGLEVEL_EMERG,
  LOGLEVEL_ERR,
  LOGLEVEL_INFO,
  LOGLEVEL_NOTICE,
  LOGLEVEL_WARNING,
  type LogRecord,
} from "../include/linux/printk.ts";
import { EINVAL } from "../include/linux/errno.ts";
import {
  SYSLOG_ACTION_CLEAR,
  SYSLOG_ACTION_CONSOLE_LEVEL,
  SYSLOG_ACTION_CONSOLE_OFF,
  SYSLOG_ACTION_CONSOLE_ON,
  SYSLOG_ACTION_READ_ALL,
  SYSLOG_ACTION_READ_CLEAR,
  SYSLOG_ACTION_SIZE_BUFFER,
  SYSLOG_ACTION_SIZE_UNREAD,
} from "../include/uapi/syscalls.ts";
import { DEFINE_PER_KERNEL, type Kernel } from "./kernel.ts";
import { vsprintf } from "./vsprintf.ts";

/** Records kept for dmesg (the ring buffer drops the oldest beyond this). */
export const LOG_BUF_RECORDS = 4096;
/**
 * The buffer's size in bytes of message text (log_buf_len: 1 << CONFIG_LOG_BUF_SHIFT, whose
 * default is 17): the oldest records go when the text held would exceed it.
 */
export const LOG_BUF_LEN = 1 << 17;
/** console_loglevel's floor (CONSOLE_LOGLEVEL_MIN), and "no saved level" (LOGLEVEL_DEFAULT). */
const MINIMUM_CONSOLE_LOGLEVEL = 1;
const LOGLEVEL_DEFAULT = -1;

class LogBuffer {
  readonly records: LogRecord[] = [];
  /** Bytes of text the records hold (bounded by LOG_BUF_LEN). */
  text_bytes = 0;
  next_seq = 0;
  dropped = 0;
  /** The first record syslog's READ_ALL gives (SYSLOG_ACTION_CLEAR moves it past everything). */
  clear_seq = 0;
  console_loglevel = CONSOLE_LOGLEVEL_DEFAULT;
  /** The level CONSOLE_OFF saved for CONSOLE_ON to restore. */
  saved_console_loglevel = LOGLEVEL_DEFAULT;
  /** Formats printed with a *_once call (printk_once). */
  readonly once = new Set<string>();
  /** The newest record was stored without a trailing newline: pr_cont() may extend it. */
  cont_open = false;
  readonly kernel: Kernel;
  constructor(k: Kernel) {
    this.kernel = k;
  }
}

const log_buf = DEFINE_PER_KERNEL((k) => new LogBuffer(k));

/** "[    1.234567] " as dmesg and the console print it. */
export function format_timestamp(ts_ns: number): string {
  const us = Math.floor(ts_ns / 1000);
  const sec = Math.floor(us / 1e6);
  const frac = String(us % 1e6).padStart(6, "0");
  return `[${String(sec).padStart(5, " ")}.${frac}]`;
}

/** MESSAGE_LOGLEVEL_DEFAULT: the level of a KERN_CONT fragment that has no record to join. */
const MESSAGE_LOGLEVEL_DEFAULT = LOGLEVEL_WARNING;

/** Write `text`'s lines to the console, each behind the timestamp, if `level` is below console_loglevel. */
function console_emit(lb: LogBuffer, level: number, ts_ns: number, text: string): void {
  if (level >= lb.console_loglevel) return;
  const prefix = format_timestamp(ts_ns);
  let out = "";
  for (const line of text.split("\n")) out += `${prefix} ${line}\n`;
  lb.kernel.platform.ops.console_write(out);
}

/**
 * vprintk_store() + the console: store one message already formatted. A trailing "\n" ends the
 * record and is not kept in its text (inner newlines stay: a multi-line message is one record whose
 * every line dmesg and the console print behind the timestamp). A message without it leaves the
 * record open: a pr_cont() that comes next joins it; any other printk starts a new record, so the
 * open one simply stays as it is (Linux 6.1 finalizes it the same way when the next record is
 * reserved).
 *
 * The console gets each call's text at once as whole lines. Linux holds an unterminated record
 * back from its consoles until it is finalized; ringzero's console has no later moment at which a
 * held line would be flushed ahead of other console output (userland's writes, a power-off), so an
 * open record is shown as a finished line, and a continuation that joins it in the log buffer goes
 * to the console as line(s) of its own behind the same timestamp.
 */
function vprintk_store(level: number, cont: boolean, text: string): void {
  const lb = log_buf.get();
  const newline = text.endsWith("\n");
  if (newline) text = text.slice(0, -1);
  const last = lb.records.at(-1);
  if (cont && lb.cont_open && last !== undefined) {
    lb.records[lb.records.length - 1] = { ...last, text: last.text + text };
    lb.text_bytes += text.length;
    lb.cont_open = !newline;
    log_buf_trim(lb);
    if (text !== "") console_emit(lb, last.level, last.ts_ns, text);
    return;
  }
  const ts_ns = lb.kernel.platform.ops.read_clock_ns();
  const rec: LogRecord = { seq: lb.next_seq++, ts_ns, level, text };
  lb.records.push(rec);
  lb.text_bytes += text.length;
  lb.cont_open = !newline;
  log_buf_trim(lb);
  console_emit(lb, level, ts_ns, text);
}

/** Drop the oldest records beyond LOG_BUF_RECORDS or LOG_BUF_LEN bytes of text (the newest stays). */
function log_buf_trim(lb: LogBuffer): void {
  while (lb.records.length > LOG_BUF_RECORDS || (lb.text_bytes > LOG_BUF_LEN && lb.records.length > 1)) {
    lb.text_bytes -= lb.records.shift()!.text.length;
    lb.dropped++;
  }
}

/**
 * printk(level, fmt, ...args): Linux's printk with the level given apart from the format (KERN_*
 * is not spelled into the string). `fmt` is a vsprintf format (kernel/vsprintf.ts) and ends with
 * "\n" as in Linux; values go in `args`, never into `fmt` (a "%" in a value is then printed as
 * it is). Any context (IRQ included); appends to the log buffer and writes to the console if
 * `level` is below console_loglevel.
 */
export function printk(level: number, fmt: string, ...args: unknown[]): void {
  vprintk_store(level, false, vsprintf(fmt, args));
}

type PrintkFn = (fmt: string, ...args: unknown[]) => void;

export const pr_emerg: PrintkFn = (fmt, ...args) => printk(LOGLEVEL_EMERG, fmt, ...args);
export const pr_alert: PrintkFn = (fmt, ...args) => printk(LOGLEVEL_ALERT, fmt, ...args);
export const pr_crit: PrintkFn = (fmt, ...args) => printk(LOGLEVEL_CRIT, fmt, ...args);
export const pr_err: PrintkFn = (fmt, ...args) => printk(LOGLEVEL_ERR, fmt, ...args);
export const pr_warn: PrintkFn = (fmt, ...args) => printk(LOGLEVEL_WARNING, fmt, ...args);
export const pr_notice: PrintkFn = (fmt, ...args) => printk(LOGLEVEL_NOTICE, fmt, ...args);
export const pr_info: PrintkFn = (fmt, ...args) => printk(LOGLEVEL_INFO, fmt, ...args);
export const pr_debug: PrintkFn = (fmt, ...args) => printk(LOGLEVEL_DEBUG, fmt, ...args);

/**
 * pr_cont() (printk(KERN_CONT …)): continue the last record if it was left open (stored without a
 * trailing newline), at that record's level and timestamp; a "\n" at the end closes it. With no
 * open record the text starts a record of its own at the default message level, as in Linux.
 */
export const pr_cont: PrintkFn = (fmt, ...args) => vprintk_store(MESSAGE_LOGLEVEL_DEFAULT, true, vsprintf(fmt, args));

/**
 * pr_err_once(): print the first time only. Linux's printk_once keeps a flag per call site; here
 * the format string stands for the call site (the same format from two places prints once).
 */
export function pr_err_once(fmt: string, ...args: unknown[]): void {
  const once = log_buf.get().once;
  if (once.has(fmt)) return;
  once.add(fmt);
  pr_err(fmt, ...args);
}

export function console_loglevel(): number {
  return log_buf.get().console_loglevel;
}

export function set_console_loglevel(level: number): void {
  log_buf.get().console_loglevel = Math.max(0, Math.min(8, level | 0));
}

/** The records currently held, oldest first (syslog(SYSLOG_ACTION_READ_ALL)). */
export function log_records(): readonly LogRecord[] {
  return log_buf.get().records;
}

/** dmesg -C: syslog's reads start after what is in the buffer now (the records stay, as in Linux). */
export function log_clear(): void {
  const lb = log_buf.get();
  lb.clear_seq = lb.next_seq;
}

/** One record as syslog(2) gives it: "<level>[timestamp] text" for each of its lines. */
function syslog_format(r: LogRecord): string {
  const prefix = `<${r.level}>${format_timestamp(r.ts_ns)} `;
  let out = "";
  for (const line of r.text.split("\n")) out += `${prefix}${line}\n`;
  return out;
}

/**
 * do_syslog() (kernel/printk/printk.c) for the actions dmesg uses: READ_ALL (the newest records
 * since the last clear that fit in `len` bytes; `len` 0: all of them), READ_CLEAR, CLEAR,
 * CONSOLE_OFF/ON, CONSOLE_LEVEL (`len` is the level, 1…8), SIZE_UNREAD (there is no destructive
 * reader here: every byte held counts) and SIZE_BUFFER. Unknown actions: -EINVAL.
 */
export function do_syslog(type: number, len: number): string | number {
  const lb = log_buf.get();
  switch (type) {
    case SYSLOG_ACTION_READ_ALL:
    case SYSLOG_ACTION_READ_CLEAR: {
      if (!Number.isInteger(len) || len < 0) return -EINVAL;
      const parts: string[] = [];
      let bytes = 0;
      for (let i = lb.records.length - 1; i >= 0; i--) {
        const r = lb.records[i]!;
        if (r.seq < lb.clear_seq) break;
        const text = syslog_format(r);
        if (len > 0 && bytes + text.length > len) break;
        bytes += text.length;
        parts.push(text);
      }
      if (type === SYSLOG_ACTION_READ_CLEAR) lb.clear_seq = lb.next_seq;
      return parts.reverse().join("");
    }
    case SYSLOG_ACTION_CLEAR:
      lb.clear_seq = lb.next_seq;
      return 0;
    case SYSLOG_ACTION_CONSOLE_OFF:
      if (lb.saved_console_loglevel === LOGLEVEL_DEFAULT) lb.saved_console_loglevel = lb.console_loglevel;
      lb.console_loglevel = MINIMUM_CONSOLE_LOGLEVEL;
      return 0;
    case SYSLOG_ACTION_CONSOLE_ON:
      if (lb.saved_console_loglevel !== LOGLEVEL_DEFAULT) {
        lb.console_loglevel = lb.saved_console_loglevel;
        lb.saved_console_loglevel = LOGLEVEL_DEFAULT;
      }
      return 0;
    case SYSLOG_ACTION_CONSOLE_LEVEL:
      if (!Number.isInteger(len) || len < 1 || len > 8) return -EINVAL;
      lb.console_loglevel = Math.max(len, MINIMUM_CONSOLE_LOGLEVEL);
      lb.saved_console_loglevel = LOGLEVEL_DEFAULT;
      return 0;
    case SYSLOG_ACTION_SIZE_UNREAD: {
      let n = 0;
      for (const r of lb.records) n += syslog_format(r).length;
      return n;
    }
    case SYSLOG_ACTION_SIZE_BUFFER:
      return LOG_BUF_LEN;
  }
  return -EINVAL;
}

/** The whole buffer as dmesg prints it. */
export function dmesg_text(): string {
  let out = "";
  for (const r of log_buf.get().records) {
    const prefix = format_timestamp(r.ts_ns);
    for (const line of r.text.split("\n")) out += `${prefix} ${line}\n`;
  }
  return out;
}
