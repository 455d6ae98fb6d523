import { SIGINT } from "../include/linux/sched.ts";
import type { Syscalls } from "../include/uapi/syscalls.ts";

/**
 * init (pid 1): start the shell — interactive, or `init -c "cmds"` to run commands — wait for it,
 * and power the machine off with its exit status.
 */
export async function init(argv: readonly string[], sys: Syscalls): Promise<number> {
  sys.sigaction(SIGINT, "ignore");
  const pid = sys.spawn(["sh", ...argv.slice(1)]);
  if (pid < 0) {
    sys.write(2, "init: cannot start sh\n");
    return sys.poweroff(1);
  }
  sys.tcsetpgrp(pid);
  const status = await sys.waitpid(pid);
  return sys.poweroff(status < 0 ? 1 : status);
}
