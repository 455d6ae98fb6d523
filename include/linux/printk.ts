/** Log levels (include/linux/kern_levels.h); lower is more severe. */
export const LOGLEVEL_EMERG = 0;
export const LOGLEVEL_ALERT = 1;
export const LOGLEVEL_CRIT = 2;
export const LOGLEVEL_ERR = 3;
export const LOGLEVEL_WARNING = 4;
export const LOGLEVEL_NOTICE = 5;
export const LOGLEVEL_INFO = 6;
export const LOGLEVEL_DEBUG = 7;

/** Default console_loglevel: messages with a level below it reach the console (Linux: 7). */
export const CONSOLE_LOGLEVEL_DEFAULT = 7;
/** `quiet` on the command line (Linux: 4, warnings and worse). */
export const CONSOLE_LOGLEVEL_QUIET = 4;

export const LOGLEVEL_NAMES = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"] as const;

export interface LogRecord {
  readonly seq: number;
  readonly ts_ns: number;
  readonly level: number;
  readonly text: string;
}
