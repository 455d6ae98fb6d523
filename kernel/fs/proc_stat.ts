/**
 * /proc/stat (fs/proc/stat.c show_stat), Linux 6.1's layout for one CPU:
 *
 *   cpu  user nice system idle iowait irq softirq steal guest guest_nice
 *   cpu0 …the same ten…
 *   intr TOTAL irq0 irq1 … (one count per irq number below nr_irqs)
 *   ctxt N
 *   btime EPOCH
 *   processes N
 *   procs_running N
 *   procs_blocked N
 *   softirq TOTAL HI TIMER NET_TX NET_RX BLOCK IRQ_POLL TASKLET SCHED HRTIMER RCU
 *
 * CPU times are in USER_HZ ticks (1/100 s), each field converted on its own (nsec_to_clock_t).
 * What the kernel measures, and where it goes:
 * - idle: the time the CPU spent halted (the idle column of /proc/uptime too, as in Linux).
 * - user: the time task steps took (kernel/sched/core.ts: every task's sum_exec_runtime, the exited
 *   ones' included). All of it is user, as /proc/PID/stat counts a task's time as utime.
 * - system: the rest of the time the CPU was not halted — interrupt handlers, softirqs, the work
 *   between steps (and, on the virtual clock, what the CPU model charges for steps and interrupts,
 *   which no task step measures). Hard-IRQ and softirq time are not measured apart from it
 *   (Linux without CONFIG_IRQ_TIME_ACCOUNTING), so irq and softirq read 0.
 * - nice, steal, guest, guest_nice: 0 (every task runs at nice 0; this machine is nobody's host
 *   and its clock is its own). iowait: 0, as procs_blocked below.
 *
 * intr: the total is every count /proc/interrupts shows but MIS (kstat_cpu_irqs_sum +
 * arch_irq_stat_cpu + arch_irq_stat): the lines' counts, LOC (the local timer: the clock event's
 * interrupts, which /proc/interrupts counts on the timer line and as LOC — kernel/irq/proc.ts) and
 * ERR; the other x86 rows are 0 here. ctxt counts steps (each is a switch into a task), processes
 * the tasks created since boot (kernel threads too, as total_forks does), procs_running the tasks
 * running or runnable (the reader among them). procs_blocked is nr_iowait(): tasks sleeping in
 * io_schedule(), which nothing here does (there is no block layer), so it is 0 — D-state sleepers
 * show in /proc/loadavg and ps, not here, as on Linux. btime is the boot time in seconds since the
 * epoch: the wall clock (read from the RTC at boot) less the time since boot.
 */
import { this_kernel } from "../kernel.ts";
import { irq_err_count, kstat_irqs, nr_irqs } from "../irq/irqdesc.ts";
import { nr_context_switches, nr_processes, nr_running, task_cputime_total_ns } from "../sched/core.ts";
import { kstat_softirqs_cpu, NR_SOFTIRQS } from "../softirq.ts";
import { ktime_get_ns, ktime_get_real_ns, NSEC_PER_SEC } from "../time/timekeeping.ts";
import { USER_HZ } from "./proc_pid_stat.ts";

/** nsec_to_clock_t(): nanoseconds to USER_HZ ticks, rounded down. */
function nsec_to_clock_t(ns: number): number {
  return Math.floor(ns / (NSEC_PER_SEC / USER_HZ));
}

/** The runs of each softirq on this CPU (kstat_softirqs_cpu), in vector order. */
function softirq_counts(): number[] {
  return Array.from({ length: NR_SOFTIRQS }, (_, nr) => kstat_softirqs_cpu(nr));
}

/** The ten CPU time fields, in ticks. */
function cpu_fields(): number[] {
  const elapsed = ktime_get_ns();
  const idle = Math.min(this_kernel().idle_ns, elapsed);
  const user = Math.min(task_cputime_total_ns(), elapsed - idle);
  const system = elapsed - idle - user;
  // user nice system idle iowait irq softirq steal guest guest_nice
  return [user, 0, system, idle, 0, 0, 0, 0, 0, 0].map(nsec_to_clock_t);
}

export function show_stat(): string {
  const cpu = cpu_fields().join(" ");
  const k = this_kernel();
  const n = nr_irqs();
  let sum = irq_err_count() + kstat_irqs(k.platform.firmware.timer_gsi); // arch_irq_stat + LOC
  let irqs = "";
  for (let irq = 0; irq < n; irq++) {
    const c = kstat_irqs(irq);
    sum += c;
    irqs += ` ${c}`;
  }
  const softirqs = softirq_counts();
  const boottime_s = Math.floor((ktime_get_real_ns() - ktime_get_ns()) / NSEC_PER_SEC);
  return (
    `cpu  ${cpu}\ncpu0 ${cpu}\n` +
    `intr ${sum}${irqs}\n` +
    `ctxt ${nr_context_switches()}\n` +
    `btime ${boottime_s}\n` +
    `processes ${nr_processes()}\n` +
    `procs_running ${nr_running()}\n` +
    `procs_blocked 0\n` +
    `softirq ${softirqs.reduce((a, b) => a + b, 0)} ${softirqs.join(" ")}\n`
  );
}
