import { EINTR } from "../include/linux/errno.ts";
import { SIGINT } from "../include/linux/sched.ts";
import { ECHO, ECHOCTL, type Syscalls } from "../include/uapi/syscalls.ts";

/**
 * init (pid 1): start the shell — interactive, or `init -c "cmds"` to run commands — in a session
 * of its own on the console (as getty would), then reap children until it exits: the shell and
 * every orphan the kernel hands to init (a background job whose shell is gone), so none stays a
 * zombie. When the shell exits the machine powers off with its exit status.
 *
 * `-c` is a batch run: the console carries the host's piped standard input to the commands as
 * data, as `ssh host cmd` without a terminal does, so the tty does not echo it back (ECHO off);
 * interactive logins keep Linux's default termios.
 */
export async function init(argv: readonly string[], sys: Syscalls): Promise<number> {
  sys.sigaction(SIGINT, "ignore");
  if (argv[1] === "-c") {
    const t = sys.tcgetattr(0);
    if (typeof t !== "number") sys.tcsetattr(0, { ...t, c_lflag: t.c_lflag & ~(ECHO | ECHOCTL) });
  }
  const pid = sys.spawn(["sh", ...argv.slice(1)], { setsid: true });
  if (pid < 0) {
    sys.write(2, "init: cannot start sh\n");
    return sys.poweroff(1);
  }
  sys.tcsetpgrp(pid);
  for (;;) {
    const r = await sys.wait4(-1);
    if (r === -EINTR) continue;
    if (typeof r === "number") return sys.poweroff(1);
    if (r.pid === pid) return sys.poweroff(r.status);
  }
}
