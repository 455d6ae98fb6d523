import { find_task_by_pid, task_list, task_state_char } from "../sched/core.ts";
import { process_info } from "../process.ts";
import type { KernfsFile } from "./kernfs.ts";
import { kernfs_create_dynamic } from "./kernfs.ts";

/** /proc/PID (fs/proc/base.c): status and cmdline of every live task. */
const STATE_NAMES: Readonly<Record<string, string>> = { R: "R (running)", S: "S (sleeping)", D: "D (disk sleep)", N: "N (new)", X: "X (dead)" };

export function proc_pid_init(): void {
  kernfs_create_dynamic("/proc", {
    list: () => task_list().map((t) => String(t.pid)),
    lookup: (name) => {
      if (!/^\d+$/.test(name)) return undefined;
      const t = find_task_by_pid(Number(name));
      if (t === undefined) return undefined;
      const files = new Map<string, KernfsFile>();
      files.set("status", {
        show: () =>
          `Name:\t${t.comm}\nState:\t${STATE_NAMES[task_state_char(t)] ?? "?"}\nPid:\t${t.pid}\nPPid:\t${t.ppid}\nThreads:\t1\nvoluntary_ctxt_switches:\t${t.nvcsw}\n`,
      });
      files.set("cmdline", { show: () => (process_info(t)?.argv ?? []).map((a) => a + "\0").join("") });
      return files;
    },
  });
}
