import { EINVAL } from "../include/linux/errno.ts";
import { kernfs_create } from "./fs/kernfs.ts";
import { hung_task_timeout_secs, set_hung_task_timeout_secs } from "./hung_task.ts";
import { set_watchdog_thresh, watchdog_thresh } from "./watchdog.ts";

/**
 * /proc/sys/kernel (kernel/sysctl.c): the watchdog knobs, readable and writable as in Linux
 * (`sysctl kernel.watchdog_thresh=5`, or a write to the file).
 */
function proc_dointvec(path: string, get: () => number, set: (v: number) => void, min: number, max: number): void {
  kernfs_create(`/proc/sys/${path}`, {
    show: () => `${get()}\n`,
    store: (data: string) => {
      const t = data.trim();
      if (!/^\d+$/.test(t) || Number(t) < min || Number(t) > max) return -EINVAL;
      set(Number(t));
      return data.length;
    },
  });
}

export function proc_sys_kernel_init(): void {
  // watchdog_thresh: 0 turns the soft-lockup detector off; Linux allows up to 60.
  proc_dointvec("kernel/watchdog_thresh", watchdog_thresh, set_watchdog_thresh, 0, 60);
  proc_dointvec("kernel/hung_task_timeout_secs", hung_task_timeout_secs, set_hung_task_timeout_secs, 0, 2 ** 31 - 1);
}
