/**
 * /proc/loadavg (fs/proc/loadavg.c loadavg_proc_show):
 *
 *   0.00 0.01 0.05 1/42 1234
 *
 * the 1, 5 and 15 minute load averages (kernel/sched/loadavg.ts) rounded to hundredths, tasks
 * running or runnable / all tasks (nr_threads: zombies count until reaped, as in Linux), and the
 * last pid handed out. The reader itself is running, so the first count is at least 1.
 */
import { zombie_list } from "../process.ts";
import { FIXED_1, get_avenrun, LOAD_FRAC, LOAD_INT } from "../sched/loadavg.ts";
import { last_pid, nr_running, nr_threads } from "../sched/core.ts";

export function loadavg_proc_show(): string {
  // FIXED_1/200 (integer division, as in C): half a hundredth, to round to two decimals.
  const avnrun = get_avenrun(Math.floor(FIXED_1 / 200), 0);
  const avg = avnrun.map((x) => `${LOAD_INT(x)}.${String(LOAD_FRAC(x)).padStart(2, "0")}`).join(" ");
  return `${avg} ${nr_running()}/${nr_threads() + zombie_list().length} ${last_pid()}\n`;
}
