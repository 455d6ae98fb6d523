/**
 * The terminal ioctls userland reaches through libc (fs/ioctl.c → drivers/tty/tty_io.c's
 * tty_ioctl: TCGETS, TCSETS; isatty() is TCGETS succeeding).
 */
import { ENOTTY } from "../../include/linux/errno.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Task } from "../sched/task.ts";

export function ioctl_syscalls_for(_t: Task): Pick<Syscalls, "isatty" | "tcgetattr" | "tcsetattr"> {
  // Placeholder until the tty's termios lands.
  return { isatty: () => 0, tcgetattr: () => -ENOTTY, tcsetattr: () => -ENOTTY };
}
