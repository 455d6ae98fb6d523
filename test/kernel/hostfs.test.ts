/**
 * hostfs: a host temporary directory shared with the machine (--share DIR[,rw]) and mounted at
 * /mnt/host. Reads of files, directories and links; links followed inside the machine (never to
 * the host's files); the host side's confinement on its own; read-only refusal (-EROFS) and, with
 * rw, files made, written, renamed and removed on the host.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EBADF, EISDIR, ELOOP, ENOENT, ENOTDIR, ENXIO, EROFS } from "../../include/linux/errno.ts";
import type { HostFsOps } from "../../include/asm/hostfs.ts";
import { O_APPEND, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, SEEK_END } from "../../include/uapi/fcntl.ts";
import { S_IFDIR, S_IFLNK, S_IFREG, type Stat, type Statfs } from "../../include/uapi/stat.ts";
import type { Program, Syscalls } from "../../include/uapi/syscalls.ts";
import { host_share_open } from "../../boot/hostfs_node.ts";
import { parse_args, type BootConfig } from "../../boot/options.ts";
import { boot_test_machine } from "../helpers/boot.ts";

let tmp = "";
let share = "";
let outside = "";

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rz-hostfs-"));
  share = path.join(tmp, "share");
  outside = path.join(tmp, "outside");
  fs.mkdirSync(share);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, "secret"), "host secret\n");
  fs.writeFileSync(path.join(share, "hello.txt"), "hi there\n");
  fs.mkdirSync(path.join(share, "sub"));
  const big = new Uint8Array(100_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 8)) & 0xff;
  fs.writeFileSync(path.join(share, "sub", "a.bin"), big);
  fs.symlinkSync("hello.txt", path.join(share, "ln"));
  fs.symlinkSync("/etc/hostname", path.join(share, "abs"));
  fs.symlinkSync("../outside/secret", path.join(share, "up"));
  fs.symlinkSync(outside, path.join(share, "outdir"));
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Boot a machine sharing `dir` and run `body` as its first process; its value. */
async function with_share<T>(dir: string | null, rw: boolean, body: (sys: Syscalls) => Promise<T> | T): Promise<T> {
  let result: { v: T } | { e: unknown } | null = null;
  const prog: Program = async (_argv, sys) => {
    try {
      result = { v: await body(sys) };
    } catch (e) {
      result = { e };
    }
    return 0;
  };
  const tm = boot_test_machine({
    setup: (m) => {
      if (dir === null) return;
      const ops = host_share_open(dir, rw);
      if (typeof ops === "string") throw new Error(ops);
      m.hostfs = ops;
    },
    boot: { programs: new Map([["t", prog]]), default_modules: [], init_argv: ["t"] },
  });
  await tm.run_until(() => result !== null, 30e9);
  const r = result as { v: T } | { e: unknown } | null;
  if (r === null) throw new Error(`the process did not finish:\n${tm.dmesg()}`);
  if ("e" in r) throw r.e;
  return r.v;
}

const dec = (b: Uint8Array | number): string | number => (typeof b === "number" ? b : new TextDecoder().decode(b));
const st = (s: Stat | number): Stat => {
  if (typeof s === "number") throw new Error(`stat failed: ${s}`);
  return s;
};

/** Read a file through open/read in 4 KiB pieces (as cat does). */
async function read_all(sys: Syscalls, p: string): Promise<Uint8Array | number> {
  const fd = sys.open(p, O_RDONLY);
  if (fd < 0) return fd;
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await sys.read(fd, buf);
    if (n < 0) return n;
    if (n === 0) break;
    parts.push(buf.slice(0, n));
  }
  sys.close(fd);
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

describe("hostfs, shared read-only", () => {
  it("shows the host directory at /mnt/host: names, contents, sizes, inode numbers, and /proc/mounts", async () => {
    const v = await with_share(share, false, async (sys) => ({
      names: sys.readdir("/mnt/host"),
      sub: sys.readdir("/mnt/host/sub"),
      hello: dec(sys.read_file("/mnt/host/hello.txt")),
      big: await read_all(sys, "/mnt/host/sub/a.bin"),
      hello_stat: st(sys.stat("/mnt/host/hello.txt")),
      sub_stat: st(sys.stat("/mnt/host/sub")),
      ln_lstat: st(sys.lstat("/mnt/host/ln")),
      ln: sys.readlink("/mnt/host/ln"),
      via_ln: dec(sys.read_file("/mnt/host/ln")),
      mounts: dec(sys.read_file("/proc/mounts")),
      filesystems: dec(sys.read_file("/proc/filesystems")),
      statfs: (sys.statfs("/mnt/host") as Statfs).f_type,
      missing: sys.read_file("/mnt/host/nope"),
      dir_read: sys.read_file("/mnt/host/sub"),
      file_as_dir: sys.readdir("/mnt/host/hello.txt/x"),
    }));
    expect(v.names).toEqual(["abs", "hello.txt", "ln", "outdir", "sub", "up"]);
    expect(v.sub).toEqual(["a.bin"]);
    expect(v.hello).toBe("hi there\n");
    expect(v.big).toEqual(new Uint8Array(fs.readFileSync(path.join(share, "sub", "a.bin"))));
    const host = fs.lstatSync(path.join(share, "hello.txt"));
    expect([v.hello_stat.st_ino, v.hello_stat.st_mode, v.hello_stat.st_size, v.hello_stat.st_mtime]).toEqual([host.ino, host.mode, 9, Math.floor(host.mtimeMs / 1000)]);
    expect(v.hello_stat.st_mode & 0o170000).toBe(S_IFREG);
    expect(v.sub_stat.st_mode & 0o170000).toBe(S_IFDIR);
    expect(v.ln_lstat.st_mode & 0o170000).toBe(S_IFLNK);
    expect(v.ln).toBe("hello.txt");
    expect(v.via_ln).toBe("hi there\n");
    expect(v.mounts).toContain(`hostfs /mnt/host hostfs ro,nosuid,nodev,relatime,${share} 0 0\n`);
    expect(v.filesystems).toContain("nodev\thostfs\n");
    expect(v.statfs).toBe(0x00c0ffee);
    expect(v.missing).toBe(-ENOENT);
    expect(v.dir_read).toBe(-EISDIR);
    expect(v.file_as_dir).toBe(-ENOTDIR);
  });

  it("follows the share's symlinks inside the machine: absolute and escaping ones reach the machine's files, never the host's", async () => {
    fs.writeFileSync(path.join(outside, "hostname"), "the host's file\n");
    const v = await with_share(share, false, (sys) => ({
      abs: dec(sys.read_file("/mnt/host/abs")), // /etc/hostname of the machine
      up: sys.read_file("/mnt/host/up"), // ../outside/secret from /mnt/host: /mnt/outside/secret in the machine
      outdir: sys.readdir("/mnt/host/outdir"), // a host path the machine does not have
      dotdot: sys.readdir("/mnt/host/sub/../.."), // the machine's /mnt
      dotdot_root: sys.readdir("/mnt/host/../../.."), // the machine's /
    }));
    expect(v.abs).toBe("ringzero\n");
    expect(v.up).toBe(-ENOENT);
    expect(v.outdir).toBe(-ENOENT);
    expect(v.dotdot).toEqual(["host"]);
    expect(v.dotdot_root).toContain("proc");
  });

  it("refuses every change with -EROFS and leaves the host directory as it was", async () => {
    const before = fs.readdirSync(share).sort();
    const v = await with_share(share, false, async (sys) => ({
      write: sys.open("/mnt/host/hello.txt", O_WRONLY),
      rdwr: sys.open("/mnt/host/hello.txt", O_RDWR),
      create: sys.open("/mnt/host/new", O_WRONLY | O_CREAT | O_TRUNC, 0o644),
      write_file: await sys.write_file("/mnt/host/hello.txt", "x"),
      mkdir: sys.mkdir("/mnt/host/d"),
      unlink: sys.unlink("/mnt/host/hello.txt"),
      rmdir: sys.rmdir("/mnt/host/sub"),
      rename: sys.rename("/mnt/host/hello.txt", "/mnt/host/bye.txt"),
      symlink: sys.symlink("x", "/mnt/host/l2"),
      truncate: sys.truncate("/mnt/host/hello.txt", 0),
      read: sys.open("/mnt/host/hello.txt", O_RDONLY) >= 0,
    }));
    expect(v).toEqual({ write: -EROFS, rdwr: -EROFS, create: -EROFS, write_file: -EROFS, mkdir: -EROFS, unlink: -EROFS, rmdir: -EROFS, rename: -EROFS, symlink: -EROFS, truncate: -EROFS, read: true });
    expect(fs.readdirSync(share).sort()).toEqual(before);
    expect(fs.readFileSync(path.join(share, "hello.txt"), "utf8")).toBe("hi there\n");
  });

  it("sees the host's changes as they happen", async () => {
    const v = await with_share(share, false, async (sys) => {
      const a = dec(sys.read_file("/mnt/host/hello.txt"));
      fs.writeFileSync(path.join(share, "hello.txt"), "changed on the host, longer\n");
      fs.writeFileSync(path.join(share, "late"), "late\n");
      fs.rmSync(path.join(share, "sub"), { recursive: true });
      return { a, b: dec(sys.read_file("/mnt/host/hello.txt")), size: st(sys.stat("/mnt/host/hello.txt")).st_size, names: sys.readdir("/mnt/host"), sub: sys.stat("/mnt/host/sub") };
    });
    expect(v.a).toBe("hi there\n");
    expect(v.b).toBe("changed on the host, longer\n");
    expect(v.size).toBe(28);
    expect(v.names).toEqual(["abs", "hello.txt", "late", "ln", "outdir", "up"]);
    expect(v.sub).toBe(-ENOENT);
  });

  it("shows a host FIFO as one but does not open it (nothing blocks)", async () => {
    if (!mkfifo(path.join(share, "fifo"))) return;
    const v = await with_share(share, false, (sys) => ({ mode: st(sys.stat("/mnt/host/fifo")).st_mode & 0o170000, open: sys.open("/mnt/host/fifo", O_RDONLY) }));
    expect(v).toEqual({ mode: 0o010000, open: -ENXIO });
  });

  it("has no /mnt/host and no hostfs type when nothing is shared", async () => {
    const v = await with_share(null, false, (sys) => ({ mnt: sys.readdir("/mnt"), fs: dec(sys.read_file("/proc/filesystems")), mount: sys.mount("none", "/mnt", "hostfs", 0, "") }));
    expect(v.mnt).toEqual([]);
    expect(v.fs).not.toContain("hostfs");
    expect(v.mount).toBe(-19); // -ENODEV: unknown file-system type
  });
});

describe("hostfs, shared rw", () => {
  it("creates, writes, appends, truncates, renames, links and removes files on the host", async () => {
    const v = await with_share(share, true, async (sys) => {
      const fd = sys.open("/mnt/host/out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0o640);
      const w1 = await sys.write(fd, "first line\n");
      sys.close(fd);
      const fa = sys.open("/mnt/host/out.txt", O_WRONLY | O_APPEND);
      const w2 = await sys.write(fa, "second\n");
      const end = sys.lseek(fa, 0, SEEK_END);
      sys.close(fa);
      const r = {
        w1,
        w2,
        end,
        mkdir: sys.mkdir("/mnt/host/newdir", 0o755),
        rename: sys.rename("/mnt/host/out.txt", "/mnt/host/newdir/moved.txt"),
        symlink: sys.symlink("newdir/moved.txt", "/mnt/host/link"),
        via_link: dec(sys.read_file("/mnt/host/link")),
        trunc: await sys.write_file("/mnt/host/hello.txt", "short\n"),
        unlink: sys.unlink("/mnt/host/sub/a.bin"),
        rmdir: sys.rmdir("/mnt/host/sub"),
        rmdir_nonempty: sys.rmdir("/mnt/host/newdir"),
        mounts: dec(sys.read_file("/proc/mounts")),
        names: sys.readdir("/mnt/host"),
      };
      return r;
    });
    expect([v.w1, v.w2, v.end]).toEqual([11, 7, 18]);
    expect([v.mkdir, v.rename, v.symlink, v.trunc, v.unlink, v.rmdir]).toEqual([0, 0, 0, 6, 0, 0]);
    expect(v.rmdir_nonempty).toBe(-39); // -ENOTEMPTY, from the host
    expect(v.via_link).toBe("first line\nsecond\n");
    expect(v.mounts).toContain(`hostfs /mnt/host hostfs rw,nosuid,nodev,relatime,${share} 0 0\n`);
    expect(v.names).toEqual(["abs", "hello.txt", "link", "ln", "newdir", "outdir", "up"]);
    expect(fs.readFileSync(path.join(share, "newdir", "moved.txt"), "utf8")).toBe("first line\nsecond\n");
    expect(fs.statSync(path.join(share, "newdir", "moved.txt")).mode & 0o777).toBe(0o640 & ~0o022);
    expect(fs.readlinkSync(path.join(share, "link"))).toBe("newdir/moved.txt");
    expect(fs.readFileSync(path.join(share, "hello.txt"), "utf8")).toBe("short\n");
    expect(fs.existsSync(path.join(share, "sub"))).toBe(false);
  });

  it("writes through a symlink only inside the machine: an escaping link cannot create a host file", async () => {
    const v = await with_share(share, true, async (sys) => ({
      up: await sys.write_file("/mnt/host/up", "overwritten\n"), // → /mnt/outside/secret in the machine: no such directory
      outdir: await sys.write_file("/mnt/host/outdir/new", "x"),
    }));
    expect(v.up).toBe(-ENOENT);
    expect(v.outdir).toBe(-ENOENT);
    expect(fs.readFileSync(path.join(outside, "secret"), "utf8")).toBe("host secret\n");
    expect(fs.readdirSync(outside)).toEqual(["secret"]);
  });
});

describe("the host side of the share (boot/hostfs_node.ts) on its own", () => {
  const open = (rw: boolean): HostFsOps => {
    const ops = host_share_open(share, rw);
    if (typeof ops === "string") throw new Error(ops);
    return ops;
  };

  it("refuses names that climb out or hide a symlink in the directory part, and does not follow a final symlink", () => {
    const h = open(true);
    for (const bad of ["..", "../outside/secret", "sub/../../outside/secret", "./hello.txt", "sub//a.bin", "a\0b"]) expect([bad, h.lstat(bad)]).toEqual([bad, -ENOENT]);
    expect(h.lstat("outdir/secret")).toBe(-ELOOP);
    expect(h.readdir("outdir")).toBe(-ENOTDIR);
    expect(h.open("ln", O_RDONLY, 0)).toBe(-ELOOP);
    expect(h.open("up", O_WRONLY, 0)).toBe(-ELOOP);
    expect(h.truncate("up", 0)).toBe(-ELOOP);
    expect(h.mkdir("outdir/x", 0o755)).toBe(-ELOOP);
    expect(h.rename("hello.txt", "outdir/stolen")).toBe(-ELOOP);
    expect(h.unlink("up")).toBe(0); // the link itself goes; its target stays
    expect(fs.readFileSync(path.join(outside, "secret"), "utf8")).toBe("host secret\n");
    expect(h.lstat("")).toMatchObject({ mode: fs.statSync(share).mode });
  });

  it("opens regular files only, checks its handles, and refuses changes when read-only", () => {
    const h = open(false);
    // Opening a FIFO would block the host; the share refuses it before reading.
    if (mkfifo(path.join(share, "fifo"))) expect(h.open("fifo", O_RDONLY, 0)).toBe(-ENXIO);
    expect(h.open("sub", O_RDONLY, 0)).toBe(-ENXIO);
    expect(h.pread(1, new Uint8Array(4), 0)).toBe(-EBADF); // the host's stdout is not a handle of the share
    expect(h.pwrite(2, new Uint8Array(4), 0)).toBe(-EBADF);
    expect(h.open("hello.txt", O_WRONLY, 0)).toBe(-EROFS);
    expect(h.open("n", O_RDONLY | O_CREAT, 0o644)).toBe(-EROFS);
    expect([h.mkdir("d", 0o755), h.unlink("hello.txt"), h.rename("hello.txt", "x"), h.symlink("a", "b"), h.truncate("hello.txt", 0)]).toEqual([-EROFS, -EROFS, -EROFS, -EROFS, -EROFS]);
    const fd = h.open("hello.txt", O_RDONLY, 0);
    const buf = new Uint8Array(64);
    expect(new TextDecoder().decode(buf.subarray(0, h.pread(fd, buf, 3)))).toBe("there\n");
    expect(h.pwrite(fd, buf, 0)).toBe(-EROFS);
    h.close(fd);
    expect(h.pread(fd, buf, 0)).toBe(-EBADF);
  });

  it("says what is wrong with a directory that cannot be shared", () => {
    expect(host_share_open(path.join(tmp, "nope"), false)).toBe(`${path.join(tmp, "nope")}: No such file or directory`);
    expect(host_share_open(path.join(share, "hello.txt"), false)).toBe(`${path.join(share, "hello.txt")}: Not a directory`);
  });
});

describe("--share", () => {
  const cfg = (argv: string[]): BootConfig | string => parse_args(argv);
  it("takes DIR, DIR,ro or DIR,rw, once", () => {
    expect((cfg(["--share", "/tmp/x"]) as BootConfig).share).toEqual({ dir: "/tmp/x", rw: false });
    expect((cfg(["--share=/tmp/x,rw"]) as BootConfig).share).toEqual({ dir: "/tmp/x", rw: true });
    expect((cfg(["--share", "a,b,ro"]) as BootConfig).share).toEqual({ dir: "a,b", rw: false });
    expect((cfg([]) as BootConfig).share).toBeNull();
    expect(cfg(["--share", "a", "--share", "b"])).toBe("--share: only one directory can be shared");
    expect(cfg(["--share"])).toBe("option '--share' needs a value");
    expect(cfg(["--share", ",rw"])).toBe("--share: expected DIR[,rw] (got ',rw')");
  });
});

/** mkfifo(1) on the host, when it has one; whether the FIFO was made. */
function mkfifo(p: string): boolean {
  try {
    execFileSync("mkfifo", [p]);
    return true;
  } catch {
    return false;
  }
}
