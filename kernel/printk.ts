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
import { DEFINE_PER_KERNEL, type Kernel } from "./kernel.ts";

/** Records kept for dmesg (the ring buffer drops the oldest beyond this). */
export const LOG_BUF_RECORDS = 4096;

class LogBuffer {
  readonly records: LogRecord[] = [];
  next_seq = 0;
  dropped = 0;
  console_loglevel = CONSOLE_LOGLEVEL_DEFAULT;
  /** Messages printed with a *_once call (printk_once). */
  readonly once = new Set<string>();
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

/**
 * printk: append to the log buffer and, if the level is below console_loglevel, write it to the
 * console. Any context (IRQ included). Multi-line text is kept as one record.
 */
export function printk(level: number, text: string): void {
  const lb = log_buf.get();
  const ts_ns = lb.kernel.platform.ops.read_clock_ns();
  const rec: LogRecord = { seq: lb.next_seq++, ts_ns, level, text };
  lb.records.push(rec);
  if (lb.records.length > LOG_BUF_RECORDS) {
    lb.records.shift();
    lb.dropped++;
  }
  if (level < lb.console_loglevel) {
    const prefix = format_timestamp(ts_ns);
    let out = "";
    for (const line of text.split("\n")) out += `${prefix} ${line}\n`;
    lb.kernel.platform.ops.console_write(out);
  }
}

export const pr_emerg = (text: string): void => printk(LOGLEVEL_EMERG, text);
export const pr_alert = (text: string): void => printk(LOGLEVEL_ALERT, text);
export const pr_crit = (text: string): void => printk(LOGLEVEL_CRIT, text);
export const pr_err = (text: string): void => printk(LOGLEVEL_ERR, text);
export const pr_warn = (text: string): void => printk(LOGLEVEL_WARNING, text);
export const pr_notice = (text: string): void => printk(LOGLEVEL_NOTICE, text);
export const pr_info = (text: string): void => printk(LOGLEVEL_INFO, text);
export const pr_debug = (text: string): void => printk(LOGLEVEL_DEBUG, text);

/** pr_err_once(): print `text` the first time only (printk_once, keyed by the text). */
export function pr_err_once(text: string): void {
  const once = log_buf.get().once;
  if (once.has(text)) return;
  once.add(text);
  pr_err(text);
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

/** dmesg -C. */
export function log_clear(): void {
  log_buf.get().records.length = 0;
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
