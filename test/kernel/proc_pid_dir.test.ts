/**
 * /proc/PID as a directory: its listing shows the fd/ subdirectory and the cwd and root links next
 * to the files (proc_pident_readdir), fd/ lists the descriptors open now as links whose mode says
 * how each is open, and kernfs's dynamic directories let what they do not know fall through to the
 * static tree.
 */
import { describe, expect, it } from "vitest";
import { ENOENT, ENOTDIR } from "../../include/linux/errno.ts";
import { O_RDONLY } from "../../include/uapi/fcntl.ts";
import { S_IFDIR, S_IFLNK, type Stat } from "../../include/uapi/stat.ts";
import type { Program } from "../../include/uapi/syscalls.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { kernfs_create, kernfs_lookup_node, kernfs_read, kernfs_readdir, kernfs_readlink, kernfs_remove } from "../../kernel/fs/kernfs.ts";
import { in_process, run_shell } from "./vfs_harness.ts";

const DATE = /[A-Z][a-z]{2} [ \d]\d \d\d:\d\d/g;

describe("/proc/PID listing", () => {
  it("ls shows fd, cwd and root; ls -l /proc/1/fd shows init's console links", async () => {
    const r = await run_shell("ls /proc/self; ls -l /proc/1/fd; cd /tmp; ls -l /proc/self/cwd");
    const out = r.out.replace(DATE, "DATE");
    expect(out).toContain("cmdline  comm  cwd  environ  fd  root  stack  stat  status\n");
    // Linux: "lrwx------ 1 root root 64 DATE 0 -> /dev/console" (mode and size need kernfs_vfs to
    // take the node's; the names and targets are the kernel's already).
    for (const fd of [0, 1, 2]) expect(out).toMatch(new RegExp(`^l[-rwx]{9} 1 root root +\\d+ DATE ${fd} -> /dev/console$`, "m"));
    expect(out).toMatch(/^l[-rwx]{9} 1 root root +\d+ DATE \/proc\/self\/cwd -> \/tmp$/m);
    expect(r.status).toBe(0);
  });

  it("fd/ holds the descriptors open now, each a link with its access mode; a zombie keeps none", async () => {
    const quick: Program = async () => 0;
    const { value, tm } = await in_process(
      async (sys) => {
        const [r, w] = sys.pipe2() as [number, number];
        const ro = sys.open("/etc/hostname", O_RDONLY) as number;
        const pid = sys.getpid();
        const entries = sys.readdir("/proc/self");
        const fds = sys.readdir("/proc/self/fd");
        const fd_dir = (sys.lstat("/proc/self/fd") as Stat).st_mode & 0o170000;
        const link = (sys.lstat(`/proc/self/fd/${ro}`) as Stat).st_mode & 0o170000;
        const via = (sys.stat(`/proc/self/fd/${ro}`) as Stat).st_ino === (sys.stat("/etc/hostname") as Stat).st_ino;
        sys.close(ro);
        const after = sys.readdir("/proc/self/fd");
        const gone = sys.readlink(`/proc/self/fd/${ro}`);
        const c = sys.spawn(["quick"], { pgroup: 0 });
        await sys.nanosleep(1e6);
        const zombie = { list: sys.readdir(`/proc/${c}`), fd: sys.readdir(`/proc/${c}/fd`), cwd: sys.readlink(`/proc/${c}/cwd`) };
        await sys.waitpid(c);
        const reaped = sys.readdir(`/proc/${c}`);
        return { pid, r, w, ro, entries, fds, fd_dir, link, via, after, gone, zombie, reaped, root: sys.readlink("/proc/self/root") };
      },
      { programs: [["quick", quick]] },
    );
    expect(value.entries).toEqual(["cmdline", "comm", "cwd", "environ", "fd", "root", "stack", "stat", "status"]);
    expect(value.fds).toEqual(["0", "1", "2", String(value.r), String(value.w), String(value.ro)]);
    expect(value.fd_dir).toBe(S_IFDIR);
    expect(value.link).toBe(S_IFLNK);
    expect(value.via).toBe(true);
    expect(value.after).toEqual(["0", "1", "2", String(value.r), String(value.w)]);
    expect(value.gone).toBe(-ENOENT);
    expect(value.zombie).toEqual({ list: ["cmdline", "comm", "environ", "fd", "stack", "stat", "status"], fd: [], cwd: -ENOENT });
    expect(value.reaped).toBe(-ENOENT);
    expect(value.root).toBe("/");
    // The process is gone now; init (pid 1) has exited too, so ask about a kernel thread: pid 2.
    const k = with_kernel(tm.kernel, () => ({
      fd: kernfs_lookup_node("/proc/2/fd"),
      list: kernfs_readdir("/proc/2/fd"),
      cwd: kernfs_readlink("/proc/2/cwd"),
      file_as_dir: kernfs_readdir("/proc/2/stat/x"),
      stat_dir: kernfs_readdir("/proc/2/stat"),
    }));
    expect(k).toEqual({ fd: { kind: "dir", mode: 0o500 }, list: [], cwd: "/", file_as_dir: -ENOENT, stat_dir: -ENOTDIR });
  });

  it("an fd link's mode is Linux's: lrwx for the console, lr-x for a pipe's read end, l-wx for its write end; size 64", async () => {
    const { value } = await in_process((sys) => {
      const [r, w] = sys.pipe2() as [number, number];
      const node = (fd: number) => kernfs_lookup_node(`/proc/${sys.getpid()}/fd/${fd}`);
      return [node(0), node(r), node(w)];
    });
    expect(value).toEqual([
      { kind: "link", target: "/dev/console", mode: 0o700, size: 64 },
      { kind: "link", target: expect.stringMatching(/^pipe:\[\d+\]$/), mode: 0o500, size: 64 },
      { kind: "link", target: expect.stringMatching(/^pipe:\[\d+\]$/), mode: 0o300, size: 64 },
    ]);
  });

  it("a path the dynamic directory does not know falls through to the static tree", async () => {
    const { tm } = await in_process(() => null);
    const r = with_kernel(tm.kernel, () => {
      kernfs_create("/proc/2/extra", { show: () => "static\n" });
      const out = { read: kernfs_read("/proc/2/extra"), list: (kernfs_readdir("/proc/2") as string[]).includes("extra"), dyn: kernfs_read("/proc/2/comm") };
      kernfs_remove("/proc/2/extra");
      return { ...out, after: kernfs_read("/proc/2/extra") };
    });
    expect(r.read).toBe("static\n");
    expect(r.list).toBe(true);
    expect(r.dyn).toMatch(/^kthreadd\n$|^\S+\n$/);
    expect(r.after).toBe(-ENOENT);
  });
});
