/**
 * The terminal ioctls userland reaches through libc (fs/ioctl.c → drivers/tty/tty_io.c's
 * tty_ioctl: TCGETS, TCSETS; isatty() is TCGETS succeeding). Only the console (and /dev/tty, the
 * same tty) is a terminal; any other descriptor answers -ENOTTY, a closed one -EBADF.
 */
import { EBADF, EINVAL, ENOTTY } from "../../include/linux/errno.ts";
import type { Syscalls, Termios } from "../../include/uapi/syscalls.ts";
import type { Task } from "../sched/task.ts";
import { tty_get_termios, tty_set_termios } from "../tty.ts";
import { is_tty_file } from "./chrdev.ts";
import { fget } from "./file.ts";
import { task_files } from "./fs_struct.ts";

export function ioctl_syscalls_for(t: Task): Pick<Syscalls, "isatty" | "tcgetattr" | "tcsetattr"> {
  /** 0 if `fd` is a tty, else -EBADF / -ENOTTY (tty_paranoia_check). */
  const check = (fd: number): number => {
    const f = fget(task_files(t), fd);
    if (f === undefined) return -EBADF;
    return is_tty_file(f) ? 0 : -ENOTTY;
  };
  return {
    isatty: (fd) => (check(fd) === 0 ? 1 : 0),
    tcgetattr: (fd) => {
      const err = check(fd);
      return err < 0 ? err : tty_get_termios();
    },
    tcsetattr: (fd, tio: Termios) => {
      const err = check(fd);
      if (err < 0) return err;
      const lflag = (tio as Partial<Termios> | null)?.c_lflag;
      if (typeof lflag !== "number" || !Number.isInteger(lflag) || lflag < 0) return -EINVAL;
      tty_set_termios({ c_lflag: lflag });
      return 0;
    },
  };
}
