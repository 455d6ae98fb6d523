/**
 * The root file system as boot leaves it (/etc, /dev, /tmp, /proc and /sys mounted into the
 * tmpfs), kernfs reached through the VFS, the devices, sockets and files in one descriptor table,
 * and descriptors across spawn and exit.
 */
import { describe, expect, it } from "vitest";
import { EACCES, EBADF, ENOENT, ENOTDIR, EPERM, ENOTSOCK } from "../../include/linux/errno.ts";
import { O_CLOEXEC, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, SEEK_SET } from "../../include/uapi/fcntl.ts";
import { AF_INET, POLLIN, POLLNVAL, SOCK_DGRAM } from "../../include/uapi/in.ts";
import { SIGTERM } from "../../include/linux/sched.ts";
import { do_execve, kill_pid } from "../../kernel/process.ts";
import { find_task_by_pid } from "../../kernel/sched/core.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { major, minor, S_ISCHR, S_ISLNK, S_ISSOCK, type Stat, type Statfs } from "../../include/uapi/stat.ts";
import type { Program, Syscalls } from "../../include/uapi/syscalls.ts";
import { kernfs_read, kernfs_readdir } from "../../kernel/fs/kernfs.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { in_process, text } from "./vfs_harness.ts";

function st(r: Stat | number): Stat {
  if (typeof r === "number") throw new Error(`stat failed: ${r}`);
  return r;
}

async function read_all(sys: Syscalls, path: string): Promise<string> {
  const fd = sys.open(path, O_RDONLY);
  if (fd < 0) return `error ${fd}`;
  const buf = new Uint8Array(100);
  let out = "";
  for (;;) {
    const n = await sys.read(fd, buf);
    if (n <= 0) break;
    out += new TextDecoder().decode(buf.subarray(0, n));
  }
  sys.close(fd);
  return out;
}

describe("rootfs", () => {
  it("boots with /tmp 1777, /etc (hostname, hosts, resolv.conf → /proc/net/pnp), /dev, and the mount table", async () => {
    const { value } = await in_process((sys) => ({
      root: sys.readdir("/"),
      tmp: st(sys.stat("/tmp")).st_mode,
      rootmode: st(sys.stat("/")).st_mode,
      etc: sys.readdir("/etc"),
      hostname: text(sys.read_file("/etc/hostname")),
      hosts: text(sys.read_file("/etc/hosts")),
      resolv_link: sys.readlink("/etc/resolv.conf"),
      resolv_is_link: S_ISLNK(st(sys.lstat("/etc/resolv.conf")).st_mode),
      resolv_without_inet: sys.read_file("/etc/resolv.conf"),
      dev: sys.readdir("/dev"),
      mounts: text(sys.read_file("/proc/mounts")),
      filesystems: text(sys.read_file("/proc/filesystems")),
      bin_has_ls: (sys.readdir("/bin") as string[]).includes("t"),
      uname: sys.uname().nodename,
    }));
    expect(value.root).toEqual(["bin", "dev", "etc", "mnt", "proc", "root", "sys", "tmp"]);
    expect(value.tmp).toBe(0o41777);
    expect(value.rootmode).toBe(0o40755);
    expect(value.etc).toEqual(["group", "hostname", "hosts", "passwd", "resolv.conf"]);
    expect(value.hostname).toBe(`${value.uname}\n`);
    expect(value.hosts).toBe("127.0.0.1\tlocalhost\n127.0.1.1\tringzero\n");
    expect(value.resolv_link).toBe("/proc/net/pnp");
    expect(value.resolv_is_link).toBe(true);
    expect(value.resolv_without_inet).toBe(-ENOENT); // no network stack: the link dangles
    expect(value.dev).toEqual(["console", "full", "null", "random", "tty", "urandom", "zero"]);
    expect(value.mounts).toBe(
      "tmpfs / tmpfs rw 0 0\n" + "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n" + "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n",
    );
    expect(value.filesystems).toBe("nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\n");
    expect(value.bin_has_ls).toBe(true);
  });

  it("/etc/resolv.conf reads as /proc/net/pnp once the network stack is up", async () => {
    const { value } = await in_process((sys) => ({ resolv: text(sys.read_file("/etc/resolv.conf")), pnp: text(sys.read_file("/proc/net/pnp")) }), { inet: true });
    expect(typeof value.pnp).toBe("string");
    expect(value.resolv).toBe(value.pnp);
  });

  it("reads /proc and /sys through the mounts exactly as kernfs serves them, by path and by descriptor", async () => {
    const { tm, value } = await in_process(async (sys) => {
      const meminfo_fd = await read_all(sys, "/proc/meminfo");
      const link = sys.readlink("/sys/bus/pci/devices/0000:00:00.0");
      return {
        meminfo_file: text(sys.read_file("/proc/meminfo")),
        meminfo_fd,
        interrupts: text(sys.read_file("/proc/interrupts")),
        pci: sys.readdir("/sys/bus/pci/devices"),
        link,
        via_link: text(sys.read_file("/sys/bus/pci/devices/0000:00:00.0/vendor")),
        link_dotdot: text(sys.read_file("/sys/bus/pci/devices/0000:00:00.0/../0000:00:00.0/class")),
        proc_mode: st(sys.stat("/proc/meminfo")).st_mode,
        proc_size: st(sys.stat("/proc/meminfo")).st_size,
        knob_mode: st(sys.stat("/proc/sys/kernel/watchdog_thresh")).st_mode,
        sys_mode: st(sys.stat("/sys/bus/pci/devices/0000:00:00.0/vendor")).st_mode,
        sys_size: st(sys.stat("/sys/bus/pci/devices/0000:00:00.0/vendor")).st_size,
        proc_dir: st(sys.stat("/proc")).st_mode,
        sys_dir: st(sys.stat("/sys/bus")).st_mode,
        missing: sys.read_file("/proc/nope"),
        file_as_dir: sys.readdir("/proc/meminfo"),
        statfs: (sys.statfs("/proc") as Statfs).f_type,
        mkdir: sys.mkdir("/sys/foo"),
        create: sys.open("/proc/newfile", O_CREAT | O_WRONLY),
        unlink: sys.unlink("/proc/meminfo"),
        // As on Linux for root: a read-only /proc/sys file refuses opening for writing (-EACCES);
        // an ordinary /proc file opens and its write fails (-EIO).
        write_ro: sys.open("/proc/sys/kernel/osrelease", O_WRONLY),
        write_missing: await sys.write_file("/proc/sys/kernel/nope", "1"),
      };
    });
    const k = (f: () => unknown) => with_kernel(tm.kernel, f);
    const kr = (p: string) => k(() => {
      const r = kernfs_read(p);
      return typeof r === "string" ? r : new TextDecoder().decode(r as Uint8Array);
    });
    expect(value.meminfo_file).toBe(value.meminfo_fd);
    expect(value.meminfo_file).toMatch(/^MemTotal:/);
    expect(value.interrupts).toBe(kr("/proc/interrupts"));
    expect(value.pci).toEqual(k(() => kernfs_readdir("/sys/bus/pci/devices")));
    expect(value.link).toBe("../../../devices/pci0000:00/0000:00:00.0");
    expect(value.via_link).toBe(kr("/sys/devices/pci0000:00/0000:00:00.0/vendor"));
    expect(value.link_dotdot).toBe(kr("/sys/devices/pci0000:00/0000:00:00.0/class"));
    expect(value.proc_mode).toBe(0o100444);
    expect(value.proc_size).toBe(0);
    expect(value.knob_mode).toBe(0o100644);
    expect(value.sys_mode).toBe(0o100444);
    expect(value.sys_size).toBe(4096);
    expect(value.proc_dir).toBe(0o40555);
    expect(value.sys_dir).toBe(0o40755);
    expect(value.missing).toBe(-ENOENT);
    expect(value.file_as_dir).toBe(-ENOTDIR);
    expect(value.statfs).toBe(0x9fa0);
    expect(value.mkdir).toBe(-EPERM);
    expect(value.create).toBe(-ENOENT);
    expect(value.unlink).toBe(-EPERM);
    expect(value.write_ro).toBe(-EACCES);
    expect(value.write_missing).toBe(-ENOENT);
  });

  it("writes a sysctl knob through a descriptor (one store per write) and reads it back", async () => {
    const { value } = await in_process(async (sys) => {
      const fd = sys.open("/proc/sys/kernel/watchdog_thresh", O_RDWR);
      const before = await read_all(sys, "/proc/sys/kernel/watchdog_thresh");
      const w = await sys.write(fd, "7\n");
      const bad = await sys.write(fd, "x\n");
      sys.close(fd);
      return { before, w, bad, after: text(sys.read_file("/proc/sys/kernel/watchdog_thresh")), wf: await sys.write_file("/proc/sys/kernel/watchdog_thresh", "9\n") };
    });
    expect(value.before).toBe("10\n");
    expect(value.w).toBe(2);
    expect(value.bad).toBe(-22);
    expect(value.after).toBe("7\n");
    expect(value.wf).toBe(2);
  });

  it("lists /proc with getdents, including the live pids", async () => {
    const { value } = await in_process((sys) => {
      const fd = sys.open("/proc", O_RDONLY);
      const ents = sys.getdents(fd, 1000) as { d_name: string; d_type: number }[];
      return { names: ents.map((e) => e.d_name), me: String(sys.getpid()), types: Object.fromEntries(ents.map((e) => [e.d_name, e.d_type])) };
    });
    expect(value.names.slice(0, 2)).toEqual([".", ".."]);
    expect(value.names).toContain("meminfo");
    expect(value.names).toContain("mounts");
    expect(value.names).toContain(value.me);
    expect(value.types[value.me]).toBe(4);
    expect(value.types["meminfo"]).toBe(8);
  });
});

describe("devices", () => {
  it("null, zero, full, urandom and the console behave as Linux's", async () => {
    const { tm, value } = await in_process(async (sys) => {
      const buf = new Uint8Array(16).fill(7);
      const nul = sys.open("/dev/null", O_RDWR);
      const zero = sys.open("/dev/zero", O_RDONLY);
      const full = sys.open("/dev/full", O_WRONLY);
      const rnd = sys.open("/dev/urandom", O_RDONLY);
      const con = sys.open("/dev/console", O_WRONLY);
      const r = {
        null_read: await sys.read(nul, buf),
        null_write: await sys.write(nul, "discarded"),
        zero_read: await sys.read(zero, buf),
        zeros: [...buf],
        full_write: await sys.write(full, "x"),
        rnd_read: await sys.read(rnd, buf),
        rnd_varied: new Set(buf).size > 4,
        console_write: await sys.write(con, "via /dev/console\n"),
        console_stat: st(sys.fstat(1)),
        null_stat: st(sys.stat("/dev/null")),
        seek_null: sys.lseek(nul, 100, SEEK_SET),
        dev_read_file: (sys.read_file("/dev/zero") as Uint8Array).length,
      };
      return r;
    });
    expect(value.null_read).toBe(0);
    expect(value.null_write).toBe(9);
    expect(value.zero_read).toBe(16);
    expect(value.zeros).toEqual(new Array(16).fill(0));
    expect(value.full_write).toBe(-28);
    expect(value.rnd_read).toBe(16);
    expect(value.rnd_varied).toBe(true);
    expect(value.console_write).toBe(17);
    expect(tm.machine.console_output).toContain("via /dev/console\n");
    expect(S_ISCHR(value.console_stat.st_mode)).toBe(true);
    expect([major(value.console_stat.st_rdev), minor(value.console_stat.st_rdev)]).toEqual([5, 1]);
    expect(value.null_stat.st_mode).toBe(0o20666);
    expect([major(value.null_stat.st_rdev), minor(value.null_stat.st_rdev)]).toEqual([1, 3]);
    expect(value.seek_null).toBe(0);
    expect(value.dev_read_file).toBe(4096);
  });
});

describe("descriptors", () => {
  it("sockets and files share one table: lowest free numbers, fstat, close for either, ENOTSOCK", async () => {
    const { value } = await in_process(async (sys) => {
      const s = sys.socket(AF_INET, SOCK_DGRAM, 0);
      const f = sys.open("/etc/hostname", O_RDONLY);
      const sock_st = st(sys.fstat(s));
      const notsock = sys.bind(f, 0, 0);
      const c1 = sys.close(s);
      const f2 = sys.open("/etc/hosts", O_RDONLY);
      const s2 = sys.socket(AF_INET, SOCK_DGRAM, 0);
      const bound = sys.bind(s2, 0x7f000001, 4000);
      const name = sys.getsockname(s2);
      const fds = [
        { fd: f2, events: POLLIN, revents: 0 },
        { fd: s2, events: POLLIN, revents: 0 },
        { fd: 77, events: POLLIN, revents: 0 },
      ];
      const polled = await sys.poll(fds, 0);
      const c2 = sys.close(s2);
      return { s, f, sock: S_ISSOCK(sock_st.st_mode), notsock, c1, f2, s2, bound, name, polled, revents: fds.map((p) => p.revents), c2, again: sys.close(s2), badbind: sys.bind(s2, 0, 0) };
    }, { inet: true });
    expect(value).toEqual({
      s: 3,
      f: 4,
      sock: true,
      notsock: -ENOTSOCK,
      c1: 0,
      f2: 3,
      s2: 5,
      bound: 0,
      name: { addr: 0x7f000001, port: 4000 },
      polled: 2,
      revents: [POLLIN, 0, POLLNVAL],
      c2: 0,
      again: -EBADF,
      badbind: -EBADF,
    });
  });

  it("a process that only reads /dev/zero still gives up the CPU: timers run and a signal ends it", async () => {
    let reads = 0;
    const spin: Program = async (_argv, sys) => {
      const fd = sys.open("/dev/zero", O_RDONLY);
      const buf = new Uint8Array(4096);
      for (;;) if ((await sys.read(fd, buf)) === 4096) reads++;
    };
    const tm = boot_test_machine({ boot: { programs: new Map([["spin", spin]]) } });
    const pid = await tm.in_task(() => do_execve(["spin"]));
    await tm.run_for(5e6);
    expect(reads).toBeGreaterThan(100);
    const t = with_kernel(tm.kernel, () => find_task_by_pid(pid))!;
    with_kernel(tm.kernel, () => kill_pid(pid, SIGTERM));
    await tm.run_until(() => t.exited);
    expect(t.exit_code).toBe(128 + SIGTERM);
  });

  it("a spawned child inherits descriptors (sharing the offset) except O_CLOEXEC ones; exit closes them", async () => {
    const child: Program = async (argv, sys) => {
      await sys.write(Number(argv[1]), "child\n");
      const cloexec = await sys.write(Number(argv[2]), "x");
      // Leave a descriptor open on an unlinked file: the exit must close it.
      const fd = sys.open("/tmp/orphan", O_RDWR | O_CREAT);
      await sys.write(fd, new Uint8Array(8192));
      sys.unlink("/tmp/orphan");
      await sys.write(Number(argv[1]), cloexec === -EBADF ? "cloexec closed\n" : "cloexec open\n");
      return 0;
    };
    const { value } = await in_process(
      async (sys) => {
        const free0 = (sys.statfs("/tmp") as Statfs).f_bfree;
        const fd = sys.open("/tmp/log", O_RDWR | O_CREAT);
        await sys.write(fd, "parent\n");
        const ce = sys.open("/tmp/ce", O_RDWR | O_CREAT | O_CLOEXEC);
        const pid = sys.spawn(["child", String(fd), String(ce)]);
        const status = await sys.waitpid(pid);
        sys.close(fd);
        sys.close(ce);
        const log = text(sys.read_file("/tmp/log"));
        sys.unlink("/tmp/log");
        sys.unlink("/tmp/ce");
        return { status, log, free_after: free0 - (sys.statfs("/tmp") as Statfs).f_bfree };
      },
      { programs: [["child", child]] },
    );
    expect(value.status).toBe(0);
    expect(value.log).toBe("parent\nchild\ncloexec closed\n");
    expect(value.free_after).toBe(0);
  });

  it("the child's writes land in the shared file at the shared offset", async () => {
    const child: Program = async (argv, sys) => {
      await sys.write(Number(argv[1]), "child\n");
      return 0;
    };
    const { value } = await in_process(
      async (sys) => {
        const fd = sys.open("/tmp/log", O_RDWR | O_CREAT);
        await sys.write(fd, "parent\n");
        await sys.waitpid(sys.spawn(["child", String(fd)]));
        await sys.write(fd, "parent again\n");
        sys.close(fd);
        return text(sys.read_file("/tmp/log"));
      },
      { programs: [["child", child]] },
    );
    expect(value).toBe("parent\nchild\nparent again\n");
  });

  it("read_line and read(0) take standard input from whatever descriptor 0 is (dup2 of a file)", async () => {
    const { value } = await in_process(async (sys) => {
      await sys.write_file("/tmp/in", "first line\nsecond\nno newline");
      const fd = sys.open("/tmp/in", O_RDONLY);
      sys.dup2(fd, 0);
      sys.close(fd);
      const lines: (string | null | number)[] = [];
      for (let i = 0; i < 4; i++) lines.push(await sys.read_line());
      const out = sys.open("/tmp/out", O_WRONLY | O_CREAT);
      sys.dup2(out, 1);
      await sys.write(1, "to a file\n");
      return { lines, out: text(sys.read_file("/tmp/out")) };
    });
    expect(value.lines).toEqual(["first line\n", "second\n", "no newline", null]);
    expect(value.out).toBe("to a file\n");
  });

  it("dup and dup2 share the file and offset; fcntl F_GETFL/F_SETFL/F_GETFD", async () => {
    const { value } = await in_process(async (sys) => {
      const fd = sys.open("/tmp/d", O_RDWR | O_CREAT);
      const d = sys.dup(fd);
      await sys.write(fd, "ab");
      await sys.write(d, "cd");
      const d2 = sys.dup2(fd, 9);
      await sys.write(9, "ef");
      const fl = sys.fcntl(fd, 3 /* F_GETFL */);
      sys.fcntl(fd, 4 /* F_SETFL */, 0o2000 /* O_APPEND */);
      sys.lseek(fd, 0, SEEK_SET);
      await sys.write(d, "gh");
      const cfd = sys.open("/tmp/d", O_RDONLY | O_CLOEXEC);
      return { d, d2, fl, fl2: sys.fcntl(d, 3), getfd: sys.fcntl(cfd, 1), content: text(sys.read_file("/tmp/d")), self: sys.dup2(fd, fd), bad: sys.dup2(99, 5) };
    });
    expect(value).toEqual({ d: 4, d2: 9, fl: O_RDWR, fl2: O_RDWR | 0o2000, getfd: 1, content: "abcdefgh", self: 3, bad: -EBADF });
  });
});
