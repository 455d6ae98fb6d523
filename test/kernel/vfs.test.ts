/**
 * The VFS and tmpfs through the system calls a process gets: create, read, write, seek, append,
 * truncate, unlink while open, directories, the path walk (symlinks, "..", mounts, ELOOP), the
 * errno paths, descriptor limits and the tmpfs size limit.
 */
import { describe, expect, it } from "vitest";
import { EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOSPC, ENOTDIR, ENOTEMPTY, EMFILE, ENAMETOOLONG, EROFS, ESPIPE, EXDEV } from "../../include/linux/errno.ts";
import { MS_RDONLY, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, SEEK_CUR, SEEK_END, SEEK_SET } from "../../include/uapi/fcntl.ts";
import { S_ISDIR, S_ISLNK, S_ISREG, TMPFS_MAGIC, type Stat, type Statfs } from "../../include/uapi/stat.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { in_process, text } from "./vfs_harness.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Read what is left of `fd` as text. */
async function slurp(sys: Syscalls, fd: number): Promise<string> {
  const buf = new Uint8Array(7); // small on purpose: several reads
  let out = "";
  for (;;) {
    const n = await sys.read(fd, buf);
    if (n <= 0) return n < 0 ? `error ${n}` : out;
    out += new TextDecoder().decode(buf.subarray(0, n));
  }
}

function st(r: Stat | number): Stat {
  if (typeof r === "number") throw new Error(`stat failed: ${r}`);
  return r;
}

describe("vfs: files", () => {
  it("creates a file, writes, reads it back, seeks and appends", async () => {
    const { value } = await in_process(async (sys) => {
      const fd = sys.open("/tmp/a.txt", O_RDWR | O_CREAT, 0o644);
      const w1 = await sys.write(fd, "hello, ");
      const w2 = await sys.write(fd, enc("world\n"));
      const pos = sys.lseek(fd, 0, SEEK_CUR);
      const back = sys.lseek(fd, 0, SEEK_SET);
      const all = await slurp(sys, fd);
      sys.lseek(fd, 7, SEEK_SET);
      await sys.write(fd, "WORLD");
      const end = sys.lseek(fd, -6, SEEK_END);
      const tail = await slurp(sys, fd);
      const neg = sys.lseek(fd, -100, SEEK_SET);
      sys.close(fd);
      const afd = sys.open("/tmp/a.txt", O_WRONLY | O_APPEND);
      sys.lseek(afd, 0, SEEK_SET); // O_APPEND writes at the end whatever the offset
      await sys.write(afd, "more\n");
      sys.close(afd);
      const s = st(sys.stat("/tmp/a.txt"));
      return { fd, w1, w2, pos, back, all, end, tail, neg, file: text(sys.read_file("/tmp/a.txt")), mode: s.st_mode, size: s.st_size, nlink: s.st_nlink };
    });
    expect(value.fd).toBe(3); // lowest free: 0, 1, 2 are the console
    expect([value.w1, value.w2, value.pos, value.back]).toEqual([7, 6, 13, 0]);
    expect(value.all).toBe("hello, world\n");
    expect(value.end).toBe(7);
    expect(value.tail).toBe("WORLD\n");
    expect(value.neg).toBe(-EINVAL);
    expect(value.file).toBe("hello, WORLD\nmore\n");
    expect(value.mode).toBe(0o100644);
    expect(value.size).toBe(18);
    expect(value.nlink).toBe(1);
  });

  it("truncates with O_TRUNC and ftruncate/truncate; a hole reads as zeros; the umask applies", async () => {
    const { value } = await in_process(async (sys) => {
      await sys.write_file("/tmp/t", "0123456789");
      const fd = sys.open("/tmp/t", O_RDWR);
      const t1 = sys.ftruncate(fd, 4);
      const after = await slurp(sys, fd);
      sys.truncate("/tmp/t", 8);
      sys.lseek(fd, 0, SEEK_SET);
      const buf = new Uint8Array(16);
      const n = await sys.read(fd, buf);
      sys.close(fd);
      const tfd = sys.open("/tmp/t", O_WRONLY | O_TRUNC);
      const size0 = st(sys.fstat(tfd)).st_size;
      sys.close(tfd);
      const old = sys.umask(0o077);
      sys.close(sys.open("/tmp/private", O_CREAT | O_WRONLY, 0o666));
      sys.mkdir("/tmp/pdir");
      return { t1, after, n, bytes: [...buf.subarray(0, n)], size0, old, pmode: st(sys.stat("/tmp/private")).st_mode, dmode: st(sys.stat("/tmp/pdir")).st_mode, bad: sys.truncate("/tmp", 0) };
    });
    expect(value.t1).toBe(0);
    expect(value.after).toBe("0123");
    expect(value.n).toBe(8);
    expect(value.bytes).toEqual([0x30, 0x31, 0x32, 0x33, 0, 0, 0, 0]);
    expect(value.size0).toBe(0);
    expect(value.old).toBe(0o022);
    expect(value.pmode).toBe(0o100600);
    expect(value.dmode).toBe(0o40700);
    expect(value.bad).toBe(-EISDIR);
  });

  it("keeps an unlinked file's data until its last descriptor is closed", async () => {
    const { value } = await in_process(async (sys) => {
      const free0 = (sys.statfs("/tmp") as Statfs).f_bfree;
      const fd = sys.open("/tmp/gone", O_RDWR | O_CREAT);
      await sys.write(fd, new Uint8Array(3 * 4096 + 1).fill(0x41));
      const used = free0 - (sys.statfs("/tmp") as Statfs).f_bfree;
      const un = sys.unlink("/tmp/gone");
      const stat_after = sys.stat("/tmp/gone");
      const fst = st(sys.fstat(fd));
      sys.lseek(fd, 4096 * 3, SEEK_SET);
      const buf = new Uint8Array(4);
      const n = await sys.read(fd, buf);
      const still = free0 - (sys.statfs("/tmp") as Statfs).f_bfree;
      const c = sys.close(fd);
      const freed = free0 - (sys.statfs("/tmp") as Statfs).f_bfree;
      return { used, un, stat_after, nlink: fst.st_nlink, n, b: buf[0], still, c, freed, again: sys.close(fd) };
    });
    expect(value.used).toBe(4);
    expect(value.un).toBe(0);
    expect(value.stat_after).toBe(-ENOENT);
    expect(value.nlink).toBe(0);
    expect(value.n).toBe(1);
    expect(value.b).toBe(0x41);
    expect(value.still).toBe(4);
    expect(value.c).toBe(0);
    expect(value.freed).toBe(0);
    expect(value.again).toBe(-EBADF);
  });

  it("refuses with Linux's errnos: EEXIST, EISDIR, ENOTDIR, ENOENT, ELOOP, ENAMETOOLONG, EBADF, ESPIPE", async () => {
    const { value } = await in_process(async (sys) => {
      sys.close(sys.open("/tmp/f", O_CREAT | O_WRONLY));
      const dfd = sys.open("/tmp", O_RDONLY);
      const r = {
        excl: sys.open("/tmp/f", O_CREAT | O_EXCL | O_WRONLY),
        creat_dir: sys.open("/tmp", O_CREAT | O_WRONLY),
        write_dir: sys.open("/tmp", O_WRONLY),
        read_dir: await sys.read(dfd, new Uint8Array(4)),
        through_file: sys.open("/tmp/f/x", O_RDONLY),
        dir_flag: sys.open("/tmp/f", O_RDONLY | O_DIRECTORY),
        trailing: sys.open("/tmp/f/", O_RDONLY),
        missing: sys.open("/tmp/nope", O_RDONLY),
        missing_dir: sys.open("/nope/x", O_CREAT | O_WRONLY),
        symlink: sys.symlink("f", "/tmp/l"),
        nofollow: sys.open("/tmp/l", O_RDONLY | O_NOFOLLOW),
        long_name: sys.open("/tmp/" + "x".repeat(256), O_CREAT | O_WRONLY),
        long_path: sys.open("/" + "a/".repeat(2048), O_RDONLY),
        bad_fd: await sys.read(99, new Uint8Array(1)),
        write_ro: await sys.write(sys.open("/tmp/f", O_RDONLY), "x"),
        empty: sys.open("", O_RDONLY),
        seek_console: sys.lseek(1, 0, SEEK_SET),
        bad_flags: sys.open("/tmp/f", 3),
      };
      sys.close(dfd);
      return r;
    });
    expect(value).toEqual({
      excl: -EEXIST,
      creat_dir: -EISDIR,
      write_dir: -EISDIR,
      read_dir: -EISDIR,
      through_file: -ENOTDIR,
      dir_flag: -ENOTDIR,
      trailing: -ENOTDIR,
      missing: -ENOENT,
      missing_dir: -ENOENT,
      symlink: 0,
      nofollow: -ELOOP,
      long_name: -ENAMETOOLONG,
      long_path: -ENAMETOOLONG,
      bad_fd: -EBADF,
      write_ro: -EBADF,
      empty: -ENOENT,
      seek_console: -ESPIPE,
      bad_flags: -EINVAL,
    });
  });
});

describe("vfs: directories and names", () => {
  it("mkdir, rmdir (ENOTEMPTY), unlink (EISDIR), nlink and sizes as tmpfs keeps them", async () => {
    const { value } = await in_process((sys) => {
      const r = {
        mk: sys.mkdir("/tmp/d", 0o755),
        again: sys.mkdir("/tmp/d"),
        sub: sys.mkdir("/tmp/d/e"),
        file: sys.write_file("/tmp/d/f", "x"),
        nlink: st(sys.stat("/tmp/d")).st_nlink,
        size: st(sys.stat("/tmp/d")).st_size,
        notempty: sys.rmdir("/tmp/d"),
        rm_file_as_dir: sys.rmdir("/tmp/d/f"),
        unlink_dir: sys.unlink("/tmp/d/e"),
        dot: sys.rmdir("/tmp/d/."),
        dotdot: sys.rmdir("/tmp/d/.."),
        mountpoint: sys.rmdir("/proc"),
        rm_e: sys.rmdir("/tmp/d/e"),
        rm_f: sys.unlink("/tmp/d/f"),
        nlink2: st(sys.stat("/tmp/d")).st_nlink,
        rm_d: sys.rmdir("/tmp/d"),
        gone: sys.stat("/tmp/d"),
        mk_missing_parent: sys.mkdir("/tmp/x/y"),
        mk_root: sys.mkdir("/"),
      };
      return { ...r, file: 0 };
    });
    expect(value).toEqual({
      mk: 0,
      again: -EEXIST,
      sub: 0,
      file: 0,
      nlink: 3,
      size: 80,
      notempty: -ENOTEMPTY,
      rm_file_as_dir: -ENOTDIR,
      unlink_dir: -EISDIR,
      dot: -EINVAL,
      dotdot: -ENOTEMPTY,
      mountpoint: -EBUSY,
      rm_e: 0,
      rm_f: 0,
      nlink2: 2,
      rm_d: 0,
      gone: -ENOENT,
      mk_missing_parent: -ENOENT,
      mk_root: -EEXIST,
    });
  });

  it("walks symlinks (absolute, relative, chained, to directories) and '..' across mounts; ELOOP after 40", async () => {
    const { value } = await in_process(async (sys) => {
      sys.mkdir("/tmp/a");
      sys.mkdir("/tmp/a/b");
      await sys.write_file("/tmp/a/b/file", "deep\n");
      sys.symlink("a/b", "/tmp/rel");
      sys.symlink("/tmp/rel", "/tmp/abs");
      sys.symlink("../../etc/hostname", "/tmp/a/host");
      sys.symlink("loop2", "/tmp/loop1");
      sys.symlink("loop1", "/tmp/loop2");
      sys.symlink("nowhere", "/tmp/dangling");
      const lst = st(sys.lstat("/tmp/abs"));
      return {
        rel: text(sys.read_file("/tmp/rel/file")),
        abs: text(sys.read_file("/tmp/abs/file")),
        dotdot_through_link: text(sys.read_file("/tmp/abs/../b/file")),
        up_from_host: text(sys.read_file("/tmp/a/host")),
        root_dotdot: text(sys.read_file("/../../etc/hostname")),
        proc_up: sys.readdir("/proc/..") as string[],
        sys_up: text(sys.read_file("/sys/../etc/hostname")),
        loop: sys.stat("/tmp/loop1"),
        loop_lstat_ok: S_ISLNK(st(sys.lstat("/tmp/loop1")).st_mode),
        dangling: sys.stat("/tmp/dangling"),
        readlink: sys.readlink("/tmp/abs"),
        readlink_file: sys.readlink("/tmp/a/b/file"),
        lstat_is_link: S_ISLNK(lst.st_mode),
        lstat_size: lst.st_size,
        stat_is_dir: S_ISDIR(st(sys.stat("/tmp/abs")).st_mode),
        create_through_dangling: sys.open("/tmp/dangling", O_CREAT | O_WRONLY),
        created: S_ISREG(st(sys.stat("/tmp/nowhere")).st_mode),
        symlink_exists: sys.symlink("x", "/tmp/rel"),
      };
    });
    expect(value.rel).toBe("deep\n");
    expect(value.abs).toBe("deep\n");
    expect(value.dotdot_through_link).toBe("deep\n");
    expect(value.up_from_host).toBe("ringzero\n");
    expect(value.root_dotdot).toBe("ringzero\n");
    expect(value.proc_up).toEqual(["bin", "dev", "etc", "mnt", "proc", "root", "sys", "tmp"]);
    expect(value.sys_up).toBe("ringzero\n");
    expect(value.loop).toBe(-ELOOP);
    expect(value.loop_lstat_ok).toBe(true);
    expect(value.dangling).toBe(-ENOENT);
    expect(value.readlink).toBe("/tmp/rel");
    expect(value.readlink_file).toBe(-EINVAL);
    expect(value.lstat_is_link).toBe(true);
    expect(value.lstat_size).toBe(8);
    expect(value.stat_is_dir).toBe(true);
    expect(value.create_through_dangling).toBeGreaterThanOrEqual(3);
    expect(value.created).toBe(true);
    expect(value.symlink_exists).toBe(-EEXIST);
  });

  it("counts links: 40 in a chain resolve, 41 are ELOOP", async () => {
    const { value } = await in_process(async (sys) => {
      await sys.write_file("/tmp/target", "end\n");
      sys.symlink("/tmp/target", "/tmp/c0");
      for (let i = 1; i <= 40; i++) sys.symlink(`/tmp/c${i - 1}`, `/tmp/c${i}`);
      return { forty: text(sys.read_file("/tmp/c39")), fortyone: sys.read_file("/tmp/c40") };
    });
    expect(value.forty).toBe("end\n");
    expect(value.fortyone).toBe(-ELOOP);
  });

  it("chdir, getcwd and relative names; getcwd fails once the directory is removed", async () => {
    const { value } = await in_process(async (sys) => {
      sys.mkdir("/tmp/w");
      const c = sys.chdir("/tmp/w");
      await sys.write_file("rel.txt", "r\n");
      const cwd = sys.getcwd();
      sys.chdir("..");
      const up = sys.getcwd();
      const viaRel = text(sys.read_file("w/rel.txt"));
      sys.chdir("/proc/sys/kernel/..");
      const inproc = sys.getcwd();
      sys.chdir("/tmp/w");
      sys.unlink("rel.txt");
      sys.rmdir("/tmp/w");
      return { c, cwd, up, viaRel, inproc, removed: sys.getcwd(), chdir_file: sys.chdir("/etc/hostname") };
    });
    expect(value.c).toBe(0);
    expect(value.cwd).toBe("/tmp/w");
    expect(value.up).toBe("/tmp");
    expect(value.viaRel).toBe("r\n");
    expect(value.inproc).toBe("/proc/sys");
    expect(value.removed).toBe(-ENOENT);
    expect(value.chdir_file).toBe(-ENOTDIR);
  });

  it("renames files and directories, replacing compatible targets and refusing the rest", async () => {
    const { value } = await in_process(async (sys) => {
      await sys.write_file("/tmp/r1", "one");
      await sys.write_file("/tmp/r2", "two");
      sys.mkdir("/tmp/rd");
      sys.mkdir("/tmp/rd/sub");
      sys.mkdir("/tmp/empty");
      return {
        over_file: sys.rename("/tmp/r1", "/tmp/r2"),
        content: text(sys.read_file("/tmp/r2")),
        old_gone: sys.stat("/tmp/r1"),
        file_over_dir: sys.rename("/tmp/r2", "/tmp/rd"),
        dir_over_file: sys.rename("/tmp/rd", "/tmp/r2"),
        into_itself: sys.rename("/tmp/rd", "/tmp/rd/sub/x"),
        over_nonempty: sys.rename("/tmp/empty", "/tmp/rd"),
        over_empty: sys.rename("/tmp/rd", "/tmp/empty"),
        moved: sys.readdir("/tmp/empty"),
        across_mounts: sys.rename("/tmp/r2", "/proc/r2"),
        missing: sys.rename("/tmp/nope", "/tmp/x"),
      };
    });
    expect(value).toEqual({
      over_file: 0,
      content: "one",
      old_gone: -ENOENT,
      file_over_dir: -EISDIR,
      dir_over_file: -ENOTDIR,
      into_itself: -EINVAL,
      over_nonempty: -ENOTEMPTY,
      over_empty: 0,
      moved: ["sub"],
      across_mounts: -EXDEV,
      missing: -ENOENT,
    });
  });

  it("getdents gives '.', '..' and the entries in batches, with their types", async () => {
    const { value } = await in_process(async (sys) => {
      sys.mkdir("/tmp/g");
      for (const n of ["b", "a", "c"]) await sys.write_file(`/tmp/g/${n}`, "");
      sys.symlink("a", "/tmp/g/l");
      const fd = sys.open("/tmp/g", O_RDONLY | O_DIRECTORY);
      const first = sys.getdents(fd, 2);
      const rest = sys.getdents(fd, 100);
      const end = sys.getdents(fd);
      sys.lseek(fd, 0, SEEK_SET);
      const again = sys.getdents(fd);
      sys.close(fd);
      const ffd = sys.open("/etc/hostname", O_RDONLY);
      return { first, rest, end, again: (again as { d_name: string }[]).length, notdir: sys.getdents(ffd) };
    });
    const names = (x: unknown): [string, number][] => (x as { d_name: string; d_type: number }[]).map((d) => [d.d_name, d.d_type]);
    expect(names(value.first)).toEqual([
      [".", 4],
      ["..", 4],
    ]);
    expect(names(value.rest)).toEqual([
      ["b", 8],
      ["a", 8],
      ["c", 8],
      ["l", 10],
    ]);
    expect(value.end).toEqual([]);
    expect(value.again).toBe(6);
    expect(value.notdir).toBe(-ENOTDIR);
  });
});

describe("vfs: limits", () => {
  it("EMFILE once 1024 descriptors are open; the lowest free number is reused", async () => {
    const { value } = await in_process((sys) => {
      const fds: number[] = [];
      for (;;) {
        const fd = sys.open("/etc/hostname", O_RDONLY);
        if (fd < 0) return { fds, err: fd, reuse: (sys.close(10), sys.open("/etc/hosts", O_RDONLY)), dup: sys.dup(1) };
        fds.push(fd);
      }
    });
    expect(value.fds.length).toBe(1021);
    expect(value.fds[0]).toBe(3);
    expect(value.fds[1020]).toBe(1023);
    expect(value.err).toBe(-EMFILE);
    expect(value.reuse).toBe(10);
    expect(value.dup).toBe(-EMFILE);
  });

  it("a tmpfs mounted with size=8k takes two pages, then ENOSPC; statfs and /proc/mounts show it; umount waits for its files", async () => {
    const { value } = await in_process(async (sys) => {
      const mk = sys.mkdir("/mnt/small");
      const m = sys.mount("tmpfs", "/mnt/small", "tmpfs", 0, "size=8k,mode=755");
      const before = sys.statfs("/mnt/small") as Statfs;
      const fd = sys.open("/mnt/small/big", O_WRONLY | O_CREAT);
      const w1 = await sys.write(fd, new Uint8Array(5000));
      const w2 = await sys.write(fd, new Uint8Array(5000));
      const w3 = await sys.write(fd, new Uint8Array(1));
      const after = sys.statfs("/mnt/small") as Statfs;
      const mounts = text(sys.read_file("/proc/mounts"));
      const busy = sys.umount("/mnt/small");
      sys.close(fd);
      const unmounted = sys.umount("/mnt/small");
      const back = sys.readdir("/mnt/small");
      return {
        mk,
        m,
        before: [before.f_type, before.f_bsize, before.f_blocks, before.f_bfree],
        w: [w1, w2, w3],
        after: after.f_bfree,
        mounts,
        busy,
        unmounted,
        back,
        bad_type: sys.mount("x", "/mnt", "ext4", 0),
        bad_opt: sys.mount("x", "/mnt", "tmpfs", 0, "colour=blue"),
        not_mounted: sys.umount("/mnt"),
        root: sys.umount("/"),
      };
    });
    expect(value.mk).toBe(0);
    expect(value.m).toBe(0);
    expect(value.before).toEqual([TMPFS_MAGIC, 4096, 2, 2]);
    expect(value.w).toEqual([5000, 3192, -ENOSPC]);
    expect(value.after).toBe(0);
    expect(value.mounts).toContain("tmpfs /mnt/small tmpfs rw,relatime,size=8k,mode=755 0 0\n");
    expect(value.busy).toBe(-EBUSY);
    expect(value.unmounted).toBe(0);
    expect(value.back).toEqual([]);
    expect(value.bad_type).toBe(-19); // ENODEV
    expect(value.bad_opt).toBe(-EINVAL);
    expect(value.not_mounted).toBe(-EINVAL);
    expect(value.root).toBe(-EBUSY);
  });

  it("nr_inodes limits how many files a tmpfs holds (ENOSPC), and a freed inode can be used again", async () => {
    const { value } = await in_process((sys) => {
      sys.mkdir("/mnt/few");
      sys.mount("none", "/mnt/few", "tmpfs", 0, "nr_inodes=3");
      const a = sys.open("/mnt/few/a", O_CREAT | O_WRONLY);
      const b = sys.mkdir("/mnt/few/b");
      const c = sys.open("/mnt/few/c", O_CREAT | O_WRONLY);
      const l = sys.symlink("a", "/mnt/few/l");
      const st = sys.statfs("/mnt/few") as Statfs;
      sys.rmdir("/mnt/few/b");
      return { a: a >= 0, b, c, l, files: st.f_files, ffree: st.f_ffree, again: sys.mkdir("/mnt/few/b") };
    });
    expect(value).toEqual({ a: true, b: 0, c: -ENOSPC, l: -ENOSPC, files: 3, ffree: 0, again: 0 });
  });

  it("the root tmpfs is half of RAM; a read-only mount refuses writes with EROFS", async () => {
    const { value } = await in_process(async (sys) => {
      const root = sys.statfs("/") as Statfs;
      sys.mkdir("/mnt/ro");
      sys.mount("tmpfs", "/mnt/ro", "tmpfs", MS_RDONLY);
      return {
        blocks: root.f_blocks,
        create: sys.open("/mnt/ro/x", O_CREAT | O_WRONLY),
        mkdir: sys.mkdir("/mnt/ro/d"),
        write_open: sys.open("/mnt/ro", O_RDONLY) >= 0,
        line: text(sys.read_file("/proc/mounts")),
      };
    }, { mem_size: 32 * 1024 * 1024 });
    // 32 MiB of RAM less what firmware and the kernel reserve, halved, in 4 KiB pages.
    expect(value.blocks).toBeGreaterThan(3000);
    expect(value.blocks).toBeLessThanOrEqual(4096);
    expect(value.create).toBe(-EROFS);
    expect(value.mkdir).toBe(-EROFS);
    expect(value.write_open).toBe(true);
    expect(value.line).toContain("tmpfs /mnt/ro tmpfs ro,relatime 0 0\n");
  });
});
