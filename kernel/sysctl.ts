import { EINVAL } from "../include/linux/errno.ts";
import { CONSOLE_LOGLEVEL_DEFAULT } from "../include/linux/printk.ts";
import { kernfs_create } from "./fs/kernfs.ts";
import { hung_task_timeout_secs, set_hung_task_timeout_secs } from "./hung_task.ts";
import { DEFINE_PER_KERNEL } from "./kernel.ts";
import { console_loglevel, set_console_loglevel } from "./printk.ts";
import { utsname } from "./syscalls.ts";
import { set_watchdog_thresh, watchdog_thresh } from "./watchdog.ts";

/**
 * /proc/sys/kernel (kernel/sysctl.c, kernel/utsname_sysctl.c, kernel/printk/sysctl.c): readable
 * and writable as in Linux (`sysctl kernel.watchdog_thresh=5`, or `echo 5 >
 * /proc/sys/kernel/watchdog_thresh`; each write(2) is one handler call, kernel/fs/kernfs_vfs.ts).
 * The network stack's knobs (/proc/sys/net/…) are registered by net/.
 *
 *   watchdog_thresh, hung_task_timeout_secs   integers in their ranges
 *   hostname                                  the nodename uname(2) gives (64 bytes at most)
 *   ostype, osrelease, version                read-only (uname -s, -r, -v)
 *   printk                                    console_loglevel, default_message_loglevel,
 *                                             minimum_console_loglevel, default_console_loglevel
 */

/** proc_dointvec_minmax for one integer: decimal, white space around it; -EINVAL outside [min, max]. */
function proc_dointvec(path: string, get: () => number, set: (v: number) => void, min: number, max: number): void {
  kernfs_create(`/proc/sys/${path}`, {
    show: () => `${get()}\n`,
    store: (data: string) => {
      const t = data.trim();
      if (!/^-?\d+$/.test(t) || Number(t) < min || Number(t) > max) return -EINVAL;
      set(Number(t));
      return data.length;
    },
  });
}

/** __NEW_UTS_LEN: the longest nodename. */
const NEW_UTS_LEN = 64;

/**
 * proc_do_uts_string (proc_dostring): the value is what was written up to the first newline, at
 * most NEW_UTS_LEN bytes; the whole write counts as consumed. Without `set`, read-only (0444).
 */
function proc_dostring(path: string, get: () => string, set?: (v: string) => void): void {
  kernfs_create(`/proc/sys/${path}`, {
    show: () => `${get()}\n`,
    store:
      set &&
      ((data: string) => {
        let v = data.split("\n")[0]!.split("\0")[0]!;
        const bytes = new TextEncoder().encode(v);
        if (bytes.length > NEW_UTS_LEN) v = new TextDecoder().decode(bytes.subarray(0, NEW_UTS_LEN)).replace(/\uFFFD$/, "");
        set(v);
        return data.length;
      }),
  });
}

/** kernel.printk's other three values (only console_loglevel steers the console here). */
const printk_levels = DEFINE_PER_KERNEL(() => ({ default_message: 4, minimum_console: 1, default_console: CONSOLE_LOGLEVEL_DEFAULT }));

/**
 * kernel.printk: four integers; a write sets as many as it gives, in order (proc_dointvec on the
 * array). Values must be integers; console_loglevel is kept within 0…8 by the console.
 */
function proc_printk(): void {
  const lv = printk_levels.get();
  kernfs_create("/proc/sys/kernel/printk", {
    show: () => `${console_loglevel()}\t${lv.default_message}\t${lv.minimum_console}\t${lv.default_console}\n`,
    store: (data: string) => {
      const words = data.trim().split(/\s+/).filter((w) => w !== "");
      if (words.length === 0 || words.length > 4 || words.some((w) => !/^-?\d+$/.test(w))) return -EINVAL;
      const v = words.map(Number);
      set_console_loglevel(v[0]!);
      if (v[1] !== undefined) lv.default_message = v[1];
      if (v[2] !== undefined) lv.minimum_console = v[2];
      if (v[3] !== undefined) lv.default_console = v[3];
      return data.length;
    },
  });
}

export function proc_sys_kernel_init(): void {
  // watchdog_thresh: 0 turns the soft-lockup detector off; Linux allows up to 60.
  proc_dointvec("kernel/watchdog_thresh", watchdog_thresh, set_watchdog_thresh, 0, 60);
  proc_dointvec("kernel/hung_task_timeout_secs", hung_task_timeout_secs, set_hung_task_timeout_secs, 0, 2 ** 31 - 1);
  // The kernel's own utsname (init_uts_ns; uname(2) hands out copies): sethostname changes it.
  const uts = utsname() as { nodename: string; sysname: string; release: string; version: string };
  proc_dostring("kernel/hostname", () => uts.nodename, (v) => (uts.nodename = v));
  proc_dostring("kernel/ostype", () => uts.sysname);
  proc_dostring("kernel/osrelease", () => uts.release);
  proc_dostring("kernel/version", () => uts.version);
  proc_printk();
}
