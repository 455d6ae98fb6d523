/**
 * /proc/PID and /proc/self (fs/proc/base.c, fs/proc/self.c, fs/proc/fd.c): one directory per task
 * — zombies too, until they are reaped — with
 *
 *   status, stat   fs/proc/array.c's formats (kernel/fs/proc_pid_stat.ts)
 *   cmdline        argv, each argument NUL-terminated (empty for kernel threads and zombies)
 *   environ        the environment exec gave the process, NUL-terminated strings
 *   comm           the name and a newline
 *   stack          where the task sleeps in the kernel, innermost first: "[<0>] function" lines
 *   fd/N           symlinks to what each descriptor refers to: a path ("/tmp/x", "/dev/console"),
 *                  "pipe:[INO]", "socket:[INO]"
 *   cwd, root      symlinks to the working and root directories
 *
 * and /proc/self, a symlink to the pid of whoever looks (resolved per reader).
 *
 * All of it is a dynamic kernfs directory, computed when looked up (proc_pid_lookup /
 * proc_pident_lookup): fd/ lists the descriptors open at that moment (proc_readfd), each link
 * resolving to its descriptor's current file, absent once it is closed; everything goes with the
 * task (a zombie keeps its directory, with nothing in fd/ and no cwd, until it is reaped).
 *
 * /proc/PID/stack prints function names only: Linux's "+0xOFF/0xSIZE" offsets would be invented,
 * and the address is Linux's hashed "[<0>]" already.
 */
import { S_ISCHR, major } from "../../include/uapi/stat.ts";
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import { find_zombie, process_info, zombie_list } from "../process.ts";
import { find_task_by_pid, get_current, task_list } from "../sched/core.ts";
import type { Task } from "../sched/task.ts";
import { syscall_current } from "../syscalls.ts";
import { TTYAUX_MAJOR } from "./chrdev.ts";
import { d_path } from "./dcache.ts";
import { FMODE_READ, FMODE_WRITE, type File } from "./file.ts";
import { task_vfs_if_any } from "./fs_struct.ts";
import { kernfs_create_dynamic, kernfs_create_link, type KernfsDynamicEntry } from "./kernfs.ts";
import { is_pipe_file } from "./pipe.ts";
import { proc_comm, proc_pid_stat, proc_pid_status, proc_task_state } from "./proc_pid_stat.ts";
import { sock_from_file } from "./sockfs.ts";

/** The frames every kernel thread sleeps under (kernel/kthread.c, arch/x86/entry). */
const KTHREAD_FRAMES = ["kthread", "ret_from_fork"];
/** What a task reading its own /proc/PID/stack is doing (Linux 6.1's read path for it). */
const SELF_STACK = ["proc_pid_stack", "proc_single_show", "seq_read_iter", "seq_read", "vfs_read", "ksys_read", "do_syscall_64", "entry_SYSCALL_64_after_hwframe"];

/** A live task or a zombie by pid. */
function proc_task(pid: number): Task | undefined {
  return find_task_by_pid(pid) ?? find_zombie(pid);
}

/** proc_fd_link(): what /proc/PID/fd/N points at. */
function fd_link_target(f: File, root: Parameters<typeof d_path>[1]): string {
  if (f.f_path !== null) return d_path(f.f_path, root);
  if (is_pipe_file(f)) return `pipe:[${f.f_inode.i_ino}]`;
  if (sock_from_file(f) !== null) return `socket:[${f.f_inode.i_ino}]`;
  // The descriptors init starts with are the console (/dev/console, opened by the kernel).
  if (S_ISCHR(f.f_inode.i_mode) && major(f.f_inode.i_rdev) === TTYAUX_MAJOR) return "/dev/console";
  return `anon_inode:[${f.f_inode.i_ino}]`;
}

function fd_target(t: Task, fd: number): string | null {
  const v = task_vfs_if_any(t);
  const f = v?.files.fd[fd];
  if (v === undefined || f === undefined || f === null) return null;
  return fd_link_target(f, v.fs.root);
}

/**
 * tid_fd_update_inode(): an fd link's permission bits say how the descriptor is open (r-x for
 * reading, -wx for writing: "lrwx------" for the console, "lr-x------" for a pipe's read end).
 */
function fd_link_mode(t: Task, fd: number): number {
  const f = task_vfs_if_any(t)?.files.fd[fd];
  if (f === undefined || f === null) return 0;
  return ((f.f_mode & FMODE_READ) !== 0 ? 0o500 : 0) | ((f.f_mode & FMODE_WRITE) !== 0 ? 0o300 : 0);
}

/** proc_cwd_link / proc_root_link: a kernel thread's are "/" (it shares init_fs). */
function fs_target(t: Task, which: "pwd" | "root"): string | null {
  if (t.exited) return null;
  const v = task_vfs_if_any(t);
  return v === undefined ? "/" : d_path(v.fs[which], v.fs.root);
}

/** proc_readfd(): fd/, one link per descriptor open now. */
function fd_dir(t: Task): ReadonlyMap<string, KernfsDynamicEntry> {
  const fds = new Map<string, KernfsDynamicEntry>();
  const table = t.exited ? undefined : task_vfs_if_any(t)?.files.fd;
  if (table === undefined) return fds;
  for (let fd = 0; fd < table.length; fd++) {
    if (table[fd] === undefined || table[fd] === null) continue;
    fds.set(String(fd), { link: () => fd_target(t, fd), mode: () => fd_link_mode(t, fd), size: 64 });
  }
  return fds;
}

/** proc_pid_stack(): the frames of where `t` sleeps, innermost first. */
export function proc_pid_stack(t: Task): string {
  let frames: readonly string[] = [];
  if (t === syscall_current() || t === get_current()) frames = SELF_STACK;
  else if (proc_task_state(t) === "S" || proc_task_state(t) === "D") frames = process_info(t) === undefined ? KTHREAD_FRAMES : t.kstack;
  return frames.map((f) => `[<0>] ${f}\n`).join("");
}

const nul_joined = (list: readonly string[]): string => list.map((a) => a + "\0").join("");

/** The entries of /proc/PID (tgid_base_stuff's, those the kernel has). */
function pid_entries(t: Task): ReadonlyMap<string, KernfsDynamicEntry> {
  const info = () => (t.exited ? undefined : process_info(t));
  return new Map<string, KernfsDynamicEntry>([
    ["fd", { dir: () => fd_dir(t), mode: 0o500 }],
    ["environ", { show: () => nul_joined(info()?.env_at_exec ?? []) }],
    ["status", { show: () => proc_pid_status(t) }],
    ["comm", { show: () => `${proc_comm(t)}\n` }],
    ["cmdline", { show: () => nul_joined(info()?.argv ?? []) }],
    ["stat", { show: () => proc_pid_stat(t) }],
    ["cwd", { link: () => fs_target(t, "pwd") }],
    ["root", { link: () => fs_target(t, "root") }],
    ["stack", { show: () => proc_pid_stack(t) }],
  ]);
}

/** Each task's /proc/PID entries, made on its first lookup (the links and fd/ compute as they are read). */
const made = DEFINE_PER_KERNEL(() => new WeakMap<Task, ReadonlyMap<string, KernfsDynamicEntry>>());

export function proc_pid_init(): void {
  kernfs_create_dynamic("/proc", {
    list: () => [...task_list(), ...zombie_list()].sort((a, b) => a.pid - b.pid).map((t) => String(t.pid)),
    lookup: (name) => {
      if (!/^\d+$/.test(name)) return undefined;
      const t = proc_task(Number(name));
      if (t === undefined) return undefined;
      let e = made.get().get(t);
      if (e === undefined) made.get().set(t, (e = pid_entries(t)));
      return e;
    },
  });
  kernfs_create_link("/proc/self", () => {
    const t = syscall_current();
    return t === null ? null : String(t.pid);
  });
}
