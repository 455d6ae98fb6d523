/** Task states and flags (include/linux/sched.h). */
export const TASK_RUNNING = 0x0000;
export const TASK_INTERRUPTIBLE = 0x0001;
export const TASK_UNINTERRUPTIBLE = 0x0002;
export const EXIT_DEAD = 0x0010;
export const EXIT_ZOMBIE = 0x0020;
export const TASK_NEW = 0x0800;
/** Either sleeping state: what wake_up() wakes. */
export const TASK_NORMAL = TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE;

/** Sleep "forever" in schedule_timeout (LONG_MAX in Linux). */
export const MAX_SCHEDULE_TIMEOUT = Number.MAX_SAFE_INTEGER;

export const PF_EXITING = 0x00000004;
export const PF_WQ_WORKER = 0x00000020;
export const PF_KTHREAD = 0x00200000;

/** Signals the kernel uses (asm-generic/signal.h). */
export const SIGINT = 2;
export const SIGKILL = 9;
export const SIGTERM = 15;
