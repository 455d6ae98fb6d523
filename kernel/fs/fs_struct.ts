/**
 * A task's view of the file system (include/linux/fs_struct.h, kernel/fork.c's copy_fs/copy_files,
 * kernel/exit.c's exit_files/exit_fs): its root, working directory and umask, and its descriptor
 * table. Made on first use: root and working directory at `/`, umask 022, descriptors 0, 1 and 2
 * on the console (what init gets from /dev/console and every process inherits). A spawned child
 * starts with copies of its parent's (copy_vfs_state, then exec_vfs_state). All is given back when the task exits:
 * every descriptor is closed.
 */
import { DEFINE_PER_KERNEL } from "../kernel.ts";
import type { Task } from "../sched/task.ts";
import { open_console } from "./chrdev.ts";
import type { Path } from "./dcache.ts";
import { do_close_on_exec, dup_fd, exit_files, fd_install, FilesStruct, get_file } from "./file.ts";
import { current_ns } from "./namespace.ts";

export class FsStruct {
  root: Path;
  pwd: Path;
  umask = 0o022;

  constructor(root: Path, pwd: Path) {
    this.root = root;
    this.pwd = pwd;
    pwd.mnt.mnt_count++;
  }
}

/** set_fs_pwd(): the working directory holds its mount busy (umount: -EBUSY). */
export function set_fs_pwd(fs: FsStruct, p: Path): void {
  p.mnt.mnt_count++;
  fs.pwd.mnt.mnt_count--;
  fs.pwd = p;
}

interface TaskVfs {
  fs: FsStruct;
  files: FilesStruct;
}

const task_vfs_map = DEFINE_PER_KERNEL(() => new WeakMap<Task, TaskVfs>());

function install(t: Task, v: TaskVfs): TaskVfs {
  task_vfs_map.get().set(t, v);
  t.on_exit.push(() => {
    exit_files(v.files);
    v.fs.pwd.mnt.mnt_count--;
  });
  return v;
}

function task_vfs(t: Task): TaskVfs {
  const known = task_vfs_map.get().get(t);
  if (known !== undefined) return known;
  const root = current_ns().root_path();
  const files = new FilesStruct();
  const console = open_console();
  fd_install(files, 0, console);
  fd_install(files, 1, get_file(console));
  fd_install(files, 2, get_file(console));
  return install(t, { fs: new FsStruct(root, root), files });
}

export function task_fs(t: Task): FsStruct {
  return task_vfs(t).fs;
}

export function task_files(t: Task): FilesStruct {
  return task_vfs(t).files;
}

/** The task's descriptor table and fs_struct if it has made them (for /proc: looking must not make them). */
export function task_vfs_if_any(t: Task): { fs: FsStruct; files: FilesStruct } | undefined {
  return task_vfs_map.get().get(t);
}

/**
 * fork for the VFS (copy_fs + copy_files): `child` starts with `parent`'s root, working directory
 * and umask, and a copy of its whole descriptor table, close-on-exec marks included. Call before
 * the child first runs; exec_vfs_state() then does exec's part.
 */
export function copy_vfs_state(parent: Task, child: Task): void {
  // A child that already made its own (it ran before this) keeps it.
  if (child.exited || task_vfs_map.get().has(child)) return;
  const p = task_vfs(parent);
  const fs = new FsStruct(p.fs.root, p.fs.pwd);
  fs.umask = p.fs.umask;
  install(child, { fs, files: dup_fd(p.files) });
}

/** exec for the VFS (do_close_on_exec): the descriptors marked close-on-exec are closed. */
export function exec_vfs_state(t: Task): void {
  do_close_on_exec(task_files(t));
}

