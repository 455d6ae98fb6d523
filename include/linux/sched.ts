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

/** Signal numbers (x86's, arch/x86/include/uapi/asm/signal.h; the same as asm-generic's for these). */
export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGQUIT = 3;
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGKILL = 9;
export const SIGUSR1 = 10;
export const SIGSEGV = 11;
export const SIGUSR2 = 12;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGTERM = 15;
export const SIGSTKFLT = 16;
export const SIGCHLD = 17;
export const SIGCONT = 18;
export const SIGSTOP = 19;
export const SIGTSTP = 20;
export const SIGTTIN = 21;
export const SIGTTOU = 22;
export const SIGURG = 23;
export const SIGXCPU = 24;
export const SIGXFSZ = 25;
export const SIGVTALRM = 26;
export const SIGPROF = 27;
export const SIGWINCH = 28;
export const SIGIO = 29;
export const SIGPWR = 30;
export const SIGSYS = 31;
/** Signals 1 … 31 (no real-time signals). */
export const NSIG = 32;

/**
 * The default action of each signal (kernel/signal.c's sig_kernel_ignore / sig_kernel_stop masks
 * and signal(7)): "ignore" for SIGCHLD, SIGCONT, SIGURG and SIGWINCH; "stop" for SIGSTOP, SIGTSTP,
 * SIGTTIN and SIGTTOU; every other signal terminates (the core-dumping ones too: there are no core
 * files here).
 */
export function sig_default_action(sig: number): "terminate" | "ignore" | "stop" {
  if (sig === SIGCHLD || sig === SIGCONT || sig === SIGURG || sig === SIGWINCH) return "ignore";
  if (sig === SIGSTOP || sig === SIGTSTP || sig === SIGTTIN || sig === SIGTTOU) return "stop";
  return "terminate";
}
