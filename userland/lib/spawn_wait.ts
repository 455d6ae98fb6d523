/**
 * Run a command and wait for it, as env, time and watch do after their fork+exec: spawn it (argv[0]
 * from /bin), wait, and return its status. While it runs, ^C is the child's business: the parent
 * catches SIGINT and passes it on (with process groups the child has it already, and a second
 * copy of a pending signal is the same signal), so the parent lives to report on the child.
 */
import { EINTR, ENOENT, strerror } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import type { SpawnAttr, Syscalls } from "../../include/uapi/syscalls.ts";

/** BB_EXECVP_or_die's statuses: 127 when the program is not there, 126 when it cannot run. */
export const EXIT_NOTFOUND = 127;
export const EXIT_CANNOT_INVOKE = 126;

/** spawn() with busybox's "can't execute" message; the pid, or the 126/127 status (negated) on failure. */
export async function spawn_or_report(sys: Syscalls, prog: string, argv: readonly string[], attr?: SpawnAttr): Promise<number> {
  const pid = sys.spawn(argv, attr);
  if (pid >= 0) return pid;
  await sys.write(2, `${prog}: can't execute '${argv[0]}': ${strerror(pid)}\n`);
  return -(pid === -ENOENT ? EXIT_NOTFOUND : EXIT_CANNOT_INVOKE);
}

/** waitpid() that forwards ^C to the child instead of dying of it; the child's status. */
export async function wait_forwarding_sigint(sys: Syscalls, pid: number): Promise<number> {
  sys.sigaction(SIGINT, "catch");
  try {
    for (;;) {
      const r = await sys.waitpid(pid);
      if (r !== -EINTR) return r;
      if ((sys.sigpending() & (1 << SIGINT)) !== 0) sys.kill(pid, SIGINT);
    }
  } finally {
    sys.sigaction(SIGINT, "default");
  }
}
