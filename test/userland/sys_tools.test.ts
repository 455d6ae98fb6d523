/**
 * The busybox-style file and system tools: date, stat and test against what busybox 1.35 and
 * coreutils 9.1 printed on this Debian 12 host (fixtures below), through a stand-in for the system
 * calls; then cp, mv, rmdir, touch, stat, which, env, true/false, clear, hostname, uname, dmesg and
 * time on a booted machine, with busybox's messages and exit statuses.
 */
import { describe, expect, it } from "vitest";
import type { Stat } from "../../include/uapi/stat.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { date } from "../../userland/bin/date.ts";
import { stat } from "../../userland/bin/stat.ts";
import { test } from "../../userland/bin/test.ts";
import { parse_datestr } from "../../userland/lib/datestr.ts";
import { gmtime } from "../../userland/lib/time.ts";
import { EINVAL, ENOENT, EROFS } from "../../include/linux/errno.ts";
import { AT_SYMLINK_NOFOLLOW, UTIME_NOW, UTIME_OMIT } from "../../include/uapi/syscalls.ts";
import { in_process, run_shell } from "../kernel/vfs_harness.ts";

/** The calls date, stat and test make, answered from `stats` (path → struct stat, readlink target). */
function fake_sys(stats: Readonly<Record<string, { st: Stat; link: string | null }>> = {}, now_s = 0): { sys: Syscalls; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const impl: Partial<Syscalls> = {
    lstat: (p) => stats[p]?.st ?? -2,
    stat: (p) => stats[p]?.st ?? -2,
    readlink: (p) => stats[p]?.link ?? -22,
    read_file: () => -2,
    isatty: () => 0,
    clock_gettime: () => now_s * 1e9,
    write: async (fd, data) => {
      const s = typeof data === "string" ? data : new TextDecoder().decode(data);
      if (fd === 1) out += s;
      else err += s;
      return s.length;
    },
  };
  const sys = new Proxy(impl, {
    get(target, name) {
      const v = (target as Record<string | symbol, unknown>)[name];
      if (v === undefined) throw new Error(`fake_sys: unexpected system call ${String(name)}`);
      return v;
    },
  }) as Syscalls;
  return { sys, out: () => out, err: () => err };
}

describe("date", () => {
  it("prints busybox's default, -R and -I forms and strftime's conversions as the real tools did", async () => {
    for (const c of DATE_FIXTURES.cases) {
      const run = async (...args: string[]): Promise<string> => {
        const f = fake_sys({}, 1796244349);
        expect(await date(["date", ...args], f.sys)).toBe(0);
        return f.out();
      };
      expect(await run("-d", `@${c.t}`)).toBe(`${c.default}\n`);
      expect(await run("-R", "-d", `@${c.t}`)).toBe(`${c.R}\n`);
      expect(await run("-I", "-d", `@${c.t}`)).toBe(`${c.I}\n`);
      expect(await run("-Ihours", "-d", `@${c.t}`)).toBe(`${c.Ihours}\n`);
      expect(await run("-Iminutes", "-d", `@${c.t}`)).toBe(`${c.Iminutes}\n`);
      expect(await run("-Iseconds", "-d", `@${c.t}`)).toBe(`${c.Iseconds}\n`);
      expect(await run("-u", "-d", `@${c.t}`, `+${DATE_FIXTURES.fmt}`)).toBe(`${c.fmt}\n`);
    }
  });

  it("parses busybox's TIME forms to the seconds busybox computed", () => {
    const base = { ...gmtime(1796244349)!, tm_hour: 0, tm_min: 0, tm_sec: 0, tm_zone: "UTC" };
    expect(parse_datestr("2024.01.05-08:30:15", base)).toBe(1704443415);
    expect(parse_datestr("Jan 5 08:30:15 2024", base)).toBe(1704443415);
    expect(parse_datestr("2024-01-05 08", base)).toBe(1704441600);
    expect(parse_datestr("2024-01-05 08:30 +0200", base)).toBe(1704436200);
    expect(parse_datestr("01.05-08:30", base)).toBe(Date.UTC(2026, 0, 5, 8, 30) / 1000);
    expect(parse_datestr("12:34", base)).toBe(Date.UTC(2026, 11, 2, 12, 34) / 1000);
    expect(parse_datestr("@-86400", base)).toBe(-86400);
    expect(parse_datestr("202401050830.15", base)).toBe(1704443415);
    expect(parse_datestr("bad", base)).toBe(null);
    expect(parse_datestr("2024-13-05", base)).toBe(null);
  });

  it("refuses a bad date or option with busybox's message and status 1; `date TIME` cannot set the clock", async () => {
    const f = fake_sys({}, 1796244349);
    expect(await date(["date", "-d", "bad"], f.sys)).toBe(1);
    expect(f.err()).toBe("date: invalid date 'bad'\n");
    const g = fake_sys({}, 1796244349);
    expect(await date(["date", "-x"], g.sys)).toBe(1);
    expect(g.err()).toMatch(/^date: invalid option -- 'x'\nUsage: date /);
    const h = fake_sys({}, 1796244349);
    expect(await date(["date", "010100001970"], h.sys)).toBe(0);
    expect(h.err()).toBe("date: can't set date: Function not implemented\n");
    expect(h.out()).toBe("Thu Jan  1 00:00:00 UTC 1970\n");
    const e = fake_sys({}, 1796244349);
    await date(["date", "+"], e.sys);
    expect(e.out()).toBe("\n");
  });
});

describe("stat", () => {
  it("lays files out as coreutils 9.1 does (no birth time here), with -c directives and -t", async () => {
    for (const fx of STAT_FIXTURES) {
      const stats = { [fx.name]: { st: fx.st as Stat, link: fx.link } };
      const f = fake_sys(stats);
      expect(await stat(["stat", fx.name], f.sys)).toBe(0);
      expect(f.out()).toBe(fx.default.replace(/^ Birth: .*$/m, " Birth: -"));
      const c = fake_sys(stats);
      await stat(["stat", "-c", "%n|%N|%s|%a|%A|%F|%i|%h|%U|%G|%x|%y|%z|%d|%D|%f|%t|%T|%b|%B|%o|%X|%Y|%Z|%04a|%-8s|%10.3n|", fx.name], c.sys);
      expect(c.out()).toBe(fx.c);
      const t = fake_sys(stats);
      await stat(["stat", "-t", fx.name], t.sys);
      // %W (birth) is 0: the file system keeps no birth time.
      const real = fx.terse.split(" ");
      real[real.length - 2] = "0";
      expect(t.out()).toBe(real.join(" "));
    }
  });

  it("a missing file is busybox's message and status 1, the others still printed", async () => {
    const fx = STAT_FIXTURES[0]!;
    const f = fake_sys({ [fx.name]: { st: fx.st as Stat, link: null } });
    expect(await stat(["stat", "-c", "%n %s", "/nope", fx.name], f.sys)).toBe(1);
    expect(f.err()).toBe("stat: can't stat '/nope': No such file or directory\n");
    expect(f.out()).toBe(`${fx.name} ${fx.st.st_size}\n`);
  });
});

describe("test and [", () => {
  it("answers as busybox's test does: status and message for every case", async () => {
    for (const [args, status, msg] of TEST_FIXTURES) {
      const f = fake_sys();
      const r = await test(["test", ...args], f.sys);
      expect({ args, r, err: f.err() }).toEqual({ args, r: status, err: msg });
    }
    for (const [args, status, msg] of BRACKET_FIXTURES) {
      const f = fake_sys();
      const r = await test(["[", ...args], f.sys);
      expect({ args, r, err: f.err() }).toEqual({ args, r: status, err: msg });
    }
  });
});

describe("utimensat(2) and chmod(2)", () => {
  it("set times to the nanosecond, UTIME_NOW / UTIME_OMIT per field, ctime always now; chmod keeps the file type", async () => {
    const { value } = await in_process((sys) => {
      sys.close(sys.open("/tmp/f", 0o101, 0o644)); // O_WRONLY | O_CREAT
      sys.symlink("/tmp/f", "/tmp/l");
      const set = sys.utimensat("/tmp/f", [{ tv_sec: 1000000000, tv_nsec: 123456789 }, { tv_sec: 1500000000, tv_nsec: 987654321 }]);
      const a = sys.stat("/tmp/f") as Stat;
      const omit = sys.utimensat("/tmp/f", [{ tv_sec: 0, tv_nsec: UTIME_OMIT }, { tv_sec: 42, tv_nsec: 0 }]);
      const b = sys.stat("/tmp/f") as Stat;
      const now = sys.utimensat("/tmp/f", [{ tv_sec: 0, tv_nsec: UTIME_NOW }, { tv_sec: 0, tv_nsec: UTIME_OMIT }]);
      const c = sys.stat("/tmp/f") as Stat;
      const link = sys.utimensat("/tmp/l", [{ tv_sec: 7, tv_nsec: 0 }, { tv_sec: 8, tv_nsec: 0 }], AT_SYMLINK_NOFOLLOW);
      const l = sys.lstat("/tmp/l") as Stat;
      const f_after_link = (sys.stat("/tmp/f") as Stat).st_mtime;
      const chmod = sys.chmod("/tmp/l", 0o4711);
      const m = (sys.stat("/tmp/f") as Stat).st_mode;
      sys.mount("tmpfs", "/mnt", "tmpfs", 1, ""); // MS_RDONLY
      return {
        set,
        a: [a.st_atime, a.st_atime_nsec, a.st_mtime, a.st_mtime_nsec],
        omit,
        b: [b.st_atime, b.st_mtime],
        now,
        c_recent: c.st_atime > 1700000000 && c.st_mtime === 42 && c.st_ctime >= c.st_atime - 1,
        link,
        l: [l.st_atime, l.st_mtime],
        f_after_link,
        chmod,
        m: m.toString(8),
        both_omit_missing: sys.utimensat("/nope", [{ tv_sec: 0, tv_nsec: UTIME_OMIT }, { tv_sec: 0, tv_nsec: UTIME_OMIT }]),
        missing: sys.utimensat("/nope", null),
        bad_nsec: sys.utimensat("/tmp/f", [{ tv_sec: 0, tv_nsec: 1e9 }, { tv_sec: 0, tv_nsec: 0 }]),
        bad_flag: sys.utimensat("/tmp/f", null, 0x200),
        rofs: sys.utimensat("/mnt", null),
        rofs_chmod: sys.chmod("/mnt", 0o755),
      };
    });
    expect(value).toEqual({
      set: 0,
      a: [1000000000, 123456789, 1500000000, 987654321],
      omit: 0,
      b: [1000000000, 42],
      now: 0,
      c_recent: true,
      link: 0,
      l: [7, 8],
      f_after_link: 42,
      chmod: 0,
      m: "104711",
      both_omit_missing: 0,
      missing: -ENOENT,
      bad_nsec: -EINVAL,
      bad_flag: -EINVAL,
      rofs: -EROFS,
      rofs_chmod: -EROFS,
    });
  });
});

describe("on the machine", () => {
  it("cp copies files and trees, refuses directories without -r and itself; -p keeps mode and time", async () => {
    const r = await run_shell(
      [
        "mkdir -p /tmp/a/b",
        "echo hello > /tmp/a/f",
        "cp /tmp/a/f /tmp/g; cat /tmp/g",
        "cp /tmp/a /tmp/c; echo s=$?",
        "cp -r /tmp/a /tmp/c; ls /tmp/c; cat /tmp/c/f",
        "cp -r /tmp/a /tmp/a/b; echo s=$?",
        "cp /tmp/g /tmp/g; echo s=$?",
        "cp /etc/hostname /etc/hosts /tmp/c; ls /tmp/c",
        "touch -d '2020-01-02 03:04:05' /tmp/a/f; cp -p /tmp/a/f /tmp/p; stat -c '%a %y' /tmp/p",
        "cp /nope /tmp/x; echo s=$?",
        "cp; echo s=$?",
      ].join("; "),
    );
    expect(r.out).toContain("hello\ncp: omitting directory '/tmp/a'\ns=1\nb  f\nhello\n");
    expect(r.out).toContain("cp: recursion detected, omitting directory '/tmp/a/b/a'\ns=1\n");
    expect(r.out).toContain("cp: '/tmp/g' and '/tmp/g' are the same file\ns=1\n");
    expect(r.out).toContain("b  f  hostname  hosts\n");
    expect(r.out).toContain("644 2020-01-02 03:04:05.000000000 +0000\n");
    expect(r.out).toContain("cp: can't stat '/nope': No such file or directory\ns=1\n");
    expect(r.out).toMatch(/Usage: cp \[-arPLHpfinsTuv\] SOURCE DEST\n[\s\S]*s=1\n/);
  });

  it("cp streams a file bigger than a pipe's worth through read/write", async () => {
    // /etc/hosts doubled 13 times: 39 × 8192 bytes, more than a 64 KiB pipe holds.
    const r = await run_shell("cp /etc/hosts /tmp/big; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13; do cat /tmp/big /tmp/big > /tmp/t; mv /tmp/t /tmp/big; done; cp /tmp/big /tmp/big2; stat -c %s /tmp/big /tmp/big2");
    expect(r.out.trim().split("\n").slice(-2)).toEqual(["319488", "319488"]);
  });

  it("mv renames, moves into directories, across mounts copies then removes; -n keeps the target", async () => {
    const r = await run_shell(
      [
        "echo one > /tmp/one; mv /tmp/one /tmp/two; cat /tmp/two; ls /tmp",
        "mkdir /tmp/d; mv /tmp/two /tmp/d; ls /tmp/d",
        "mount -t tmpfs none /mnt; mkdir -p /tmp/t/u; echo deep > /tmp/t/u/f; touch -d '2021-05-06 07:08:09' /tmp/t/u/f",
        "mv /tmp/t /mnt; echo s=$?; ls /tmp; cat /mnt/t/u/f; stat -c %y /mnt/t/u/f",
        "echo keep > /tmp/k; echo new > /tmp/n; mv -n /tmp/n /tmp/k; cat /tmp/k",
        "mv /nope /tmp; echo s=$?",
      ].join("; "),
    );
    expect(r.out).toContain("one\ntwo\ntwo\ns=0\nd\ndeep\n2021-05-06 07:08:09.000000000 +0000\n");
    expect(r.out).toContain("keep\n");
    expect(r.out).toContain("mv: can't rename '/nope': No such file or directory\ns=1\n");
  });

  it("rmdir removes empty directories (-p the parents), with busybox's messages", async () => {
    const r = await run_shell("mkdir -p /tmp/x/y/z; touch /tmp/keep; rmdir /tmp/x; echo s=$?; rmdir -p /tmp/x/y/z; echo s=$?; ls /tmp; rmdir /nope; echo s=$?");
    expect(r.out).toContain("rmdir: '/tmp/x': Directory not empty\ns=1\n");
    expect(r.out).toContain("rmdir: '/tmp': Directory not empty\ns=1\nkeep\n");
    expect(r.out).toContain("rmdir: '/nope': No such file or directory\ns=1\n");
  });

  it("touch creates files, sets times with -d/-r/-a/-m through utimensat, -c creates nothing", async () => {
    const r = await run_shell(
      [
        "touch /tmp/new; stat -c '%s %F' /tmp/new",
        "touch -c /tmp/none; echo s=$?; ls /tmp",
        "touch -d '2001-02-03 04:05:06' /tmp/new; stat -c '%x|%y' /tmp/new",
        "touch -m -d '2002-01-01 00:00' /tmp/new; stat -c '%x|%y' /tmp/new",
        "touch /tmp/r; touch -r /tmp/new /tmp/r; stat -c %y /tmp/r",
        "touch /nodir/x; echo s=$?",
        "touch -d nonsense /tmp/r; echo s=$?",
      ].join("; "),
    );
    expect(r.out).toContain("0 regular empty file\ns=0\nnew\n");
    expect(r.out).toContain("2001-02-03 04:05:06.000000000 +0000|2001-02-03 04:05:06.000000000 +0000\n");
    expect(r.out).toContain("2001-02-03 04:05:06.000000000 +0000|2002-01-01 00:00:00.000000000 +0000\n");
    expect(r.out).toContain("2002-01-01 00:00:00.000000000 +0000\ntouch: /nodir/x: No such file or directory\ns=1\n");
    expect(r.out).toContain("touch: invalid date 'nonsense'\ns=1\n");
  });

  it("stat shows the machine's files in coreutils' layout", async () => {
    const r = await run_shell("stat /etc/hostname /dev/null /etc/resolv.conf; stat -f /tmp");
    expect(r.out).toMatch(/^  File: \/etc\/hostname\n  Size: 9         \tBlocks: 8          IO Block: 4096   regular file\nDevice: 0,\d+\tInode: \d+ +Links: 1\nAccess: \(0644\/-rw-r--r--\)  Uid: \(    0\/    root\)   Gid: \(    0\/    root\)\nAccess: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \+0000\nModify: .*\nChange: .*\n Birth: -\n/m);
    expect(r.out).toMatch(/^Device: 0,\d+\tInode: \d+ +Links: 1     Device type: 1,3\nAccess: \(0666\/crw-rw-rw-\)/m);
    expect(r.out).toContain("  File: /etc/resolv.conf -> /proc/net/pnp\n  Size: 13        \tBlocks: 0          IO Block: 4096   symbolic link\n");
    expect(r.out).toMatch(/^  File: "\/tmp"\n    ID: 0        Namelen: 255     Type: tmpfs\nBlock size: 4096       Fundamental block size: 4096\n/m);
  });

  it("which searches PATH; env prints and changes the environment; true, false and [ give their statuses", async () => {
    const r = await run_shell(
      [
        "which ls sh; echo s=$?; which nope ls; echo s=$?; which; echo s=$?",
        "env -i A=1 B=2 env; env -i A=1 HOME=/h env -u HOME env; env nope; echo s=$?",
        "true; echo t=$?; false; echo f=$?; /bin/true --help",
        "[ -d /etc ] && echo dir; [ -f /etc/hostname -a -L /etc/resolv.conf ] && echo file+link; [ -e /nope ]; echo e=$?; test -s /dev/null; echo s=$?",
      ].join("; "),
    );
    expect(r.out).toContain("/bin/ls\n/bin/sh\ns=0\n/bin/ls\ns=1\nUsage: which [-a] COMMAND...\n");
    expect(r.out).toContain("A=1\nB=2\nA=1\nenv: can't execute 'nope': No such file or directory\ns=127\n");
    expect(r.out).toContain("t=0\nf=1\nUsage: true\n");
    expect(r.out).toContain("dir\nfile+link\ne=1\ns=1\n");
  });

  it("clear sends ESC[H ESC[J ESC[3J; hostname sets uname's nodename; uname -a has the machine's fields", async () => {
    const r = await run_shell("clear; echo; hostname; hostname -i; hostname box.example; hostname; hostname -s; uname -a; uname -snrvmpio; uname -x; echo s=$?");
    expect(r.out).toContain("\x1b[H\x1b[J\x1b[3J\nringzero\n127.0.1.1\nbox.example\nbox\n");
    expect(r.out).toMatch(/^ringzero box\.example \S+ #1 SMP x86_64 ringzero\nringzero box\.example \S+ #1 SMP x86_64 unknown unknown ringzero\n/m);
    expect(r.out).toMatch(/uname: invalid option -- 'x'\n[\s\S]*s=1\n/);
  });

  it("dmesg prints the log without levels, -r with them, -c then clears it; -n sets the console level", async () => {
    const r = await run_shell("dmesg; echo ==; dmesg -r; echo ==; dmesg -c > /dev/null; dmesg; echo s=$?; dmesg -n 9; echo s=$?; dmesg -n 1; echo s=$?");
    const [plain, raw, rest] = r.out.split("==\n");
    expect(plain).toMatch(/^\[ +\d+\.\d{6}\] \S/);
    expect(plain).not.toMatch(/^</m);
    expect(raw).toMatch(/^<[0-7]>\[ +\d+\.\d{6}\] \S/);
    expect(raw!.split("\n").length).toBe(plain!.split("\n").length);
    expect(rest).toBe("s=0\ndmesg: klogctl: Invalid argument\ns=1\ns=0\n");
  });

  it("time reports real, user and sys on stderr in busybox's format and passes the status on", async () => {
    const r = await run_shell("time sleep 1; time -p true; time false; echo s=$?; time nope; echo s=$?; time -f '%e %x %C' sleep 2");
    expect(r.out).toContain("real\t0m 1.00s\nuser\t0m 0.00s\nsys\t0m 0.00s\n");
    expect(r.out).toMatch(/real 0\.00\nuser 0\.00\nsys 0\.00\n/);
    expect(r.out).toMatch(/Command exited with non-zero status 1\nreal\t0m 0\.00s\nuser\t0m 0\.00s\nsys\t0m 0\.00s\ns=1\n/);
    expect(r.out).toContain("time: can't execute 'nope': No such file or directory\nCommand exited with non-zero status 127\n");
    expect(r.out).toContain("s=127\n");
    expect(r.out).toContain("2.00 0 sleep 2\n");
  });
});

/** busybox 1.35 date (default, -R, -I…) and GNU date -u +FMT on Debian 12 for fixed times. */
export const DATE_FIXTURES = {
 "fmt": "%a %A %b %B %c %C %d %D %e %F %g %G %h %H %I %j %k %l %m %M %p %P %r %R %s %S %T %u %U %V %w %W %x %X %y %Y %z %Z %% %-d %_m %05Y %^a %#Z %-j %_H %10B %-5e|",
 "cases": [
  {
   "t": 0,
   "default": "Thu Jan  1 00:00:00 UTC 1970",
   "R": "Thu, 01 Jan 1970 00:00:00 +0000",
   "I": "1970-01-01",
   "Ihours": "1970-01-01T00+00:00",
   "Iminutes": "1970-01-01T00:00+00:00",
   "Iseconds": "1970-01-01T00:00:00+00:00",
   "fmt": "Thu Thursday Jan January Thu Jan  1 00:00:00 1970 19 01 01/01/70  1 1970-01-01 70 1970 Jan 00 12 001  0 12 01 00 AM am 12:00:00 AM 00:00 0 00 00:00:00 4 00 01 4 00 01/01/70 00:00:00 70 1970 +0000 UTC % 1  1 01970 THU utc 1  0    January 1|"
  },
  {
   "t": 1796244349,
   "default": "Wed Dec  2 20:45:49 UTC 2026",
   "R": "Wed, 02 Dec 2026 20:45:49 +0000",
   "I": "2026-12-02",
   "Ihours": "2026-12-02T20+00:00",
   "Iminutes": "2026-12-02T20:45+00:00",
   "Iseconds": "2026-12-02T20:45:49+00:00",
   "fmt": "Wed Wednesday Dec December Wed Dec  2 20:45:49 2026 20 02 12/02/26  2 2026-12-02 26 2026 Dec 20 08 336 20  8 12 45 PM pm 08:45:49 PM 20:45 1796244349 49 20:45:49 3 48 49 3 48 12/02/26 20:45:49 26 2026 +0000 UTC % 2 12 02026 WED utc 336 20   December 2|"
  },
  {
   "t": 951782400,
   "default": "Tue Feb 29 00:00:00 UTC 2000",
   "R": "Tue, 29 Feb 2000 00:00:00 +0000",
   "I": "2000-02-29",
   "Ihours": "2000-02-29T00+00:00",
   "Iminutes": "2000-02-29T00:00+00:00",
   "Iseconds": "2000-02-29T00:00:00+00:00",
   "fmt": "Tue Tuesday Feb February Tue Feb 29 00:00:00 2000 20 29 02/29/00 29 2000-02-29 00 2000 Feb 00 12 060  0 12 02 00 AM am 12:00:00 AM 00:00 951782400 00 00:00:00 2 09 09 2 09 02/29/00 00:00:00 00 2000 +0000 UTC % 29  2 02000 TUE utc 60  0   February 29|"
  },
  {
   "t": 1230768000,
   "default": "Thu Jan  1 00:00:00 UTC 2009",
   "R": "Thu, 01 Jan 2009 00:00:00 +0000",
   "I": "2009-01-01",
   "Ihours": "2009-01-01T00+00:00",
   "Iminutes": "2009-01-01T00:00+00:00",
   "Iseconds": "2009-01-01T00:00:00+00:00",
   "fmt": "Thu Thursday Jan January Thu Jan  1 00:00:00 2009 20 01 01/01/09  1 2009-01-01 09 2009 Jan 00 12 001  0 12 01 00 AM am 12:00:00 AM 00:00 1230768000 00 00:00:00 4 00 01 4 00 01/01/09 00:00:00 09 2009 +0000 UTC % 1  1 02009 THU utc 1  0    January 1|"
  },
  {
   "t": 1104537600,
   "default": "Sat Jan  1 00:00:00 UTC 2005",
   "R": "Sat, 01 Jan 2005 00:00:00 +0000",
   "I": "2005-01-01",
   "Ihours": "2005-01-01T00+00:00",
   "Iminutes": "2005-01-01T00:00+00:00",
   "Iseconds": "2005-01-01T00:00:00+00:00",
   "fmt": "Sat Saturday Jan January Sat Jan  1 00:00:00 2005 20 01 01/01/05  1 2005-01-01 04 2004 Jan 00 12 001  0 12 01 00 AM am 12:00:00 AM 00:00 1104537600 00 00:00:00 6 00 53 6 00 01/01/05 00:00:00 05 2005 +0000 UTC % 1  1 02005 SAT utc 1  0    January 1|"
  },
  {
   "t": 1199145600,
   "default": "Tue Jan  1 00:00:00 UTC 2008",
   "R": "Tue, 01 Jan 2008 00:00:00 +0000",
   "I": "2008-01-01",
   "Ihours": "2008-01-01T00+00:00",
   "Iminutes": "2008-01-01T00:00+00:00",
   "Iseconds": "2008-01-01T00:00:00+00:00",
   "fmt": "Tue Tuesday Jan January Tue Jan  1 00:00:00 2008 20 01 01/01/08  1 2008-01-01 08 2008 Jan 00 12 001  0 12 01 00 AM am 12:00:00 AM 00:00 1199145600 00 00:00:00 2 00 01 2 00 01/01/08 00:00:00 08 2008 +0000 UTC % 1  1 02008 TUE utc 1  0    January 1|"
  },
  {
   "t": 1609459199,
   "default": "Thu Dec 31 23:59:59 UTC 2020",
   "R": "Thu, 31 Dec 2020 23:59:59 +0000",
   "I": "2020-12-31",
   "Ihours": "2020-12-31T23+00:00",
   "Iminutes": "2020-12-31T23:59+00:00",
   "Iseconds": "2020-12-31T23:59:59+00:00",
   "fmt": "Thu Thursday Dec December Thu Dec 31 23:59:59 2020 20 31 12/31/20 31 2020-12-31 20 2020 Dec 23 11 366 23 11 12 59 PM pm 11:59:59 PM 23:59 1609459199 59 23:59:59 4 52 53 4 52 12/31/20 23:59:59 20 2020 +0000 UTC % 31 12 02020 THU utc 366 23   December 31|"
  },
  {
   "t": 4102444800,
   "default": "Fri Jan  1 00:00:00 UTC 2100",
   "R": "Fri, 01 Jan 2100 00:00:00 +0000",
   "I": "2100-01-01",
   "Ihours": "2100-01-01T00+00:00",
   "Iminutes": "2100-01-01T00:00+00:00",
   "Iseconds": "2100-01-01T00:00:00+00:00",
   "fmt": "Fri Friday Jan January Fri Jan  1 00:00:00 2100 21 01 01/01/00  1 2100-01-01 99 2099 Jan 00 12 001  0 12 01 00 AM am 12:00:00 AM 00:00 4102444800 00 00:00:00 5 00 53 5 00 01/01/00 00:00:00 00 2100 +0000 UTC % 1  1 02100 FRI utc 1  0    January 1|"
  }
 ]
} as const;

/** coreutils 9.1 stat on Debian 12: the default layout, -c and -t for files whose struct stat is given. */
export const STAT_FIXTURES = [
 {
  "name": "/tmp/fx/sf/hostname",
  "default": "  File: /tmp/fx/sf/hostname\n  Size: 7         \tBlocks: 8          IO Block: 4096   regular file\nDevice: 254,0\tInode: 2171025     Links: 1\nAccess: (4755/-rwsr-xr-x)  Uid: (    0/    root)   Gid: (    0/    root)\nAccess: 2026-12-02 21:13:40.316493878 +0000\nModify: 2026-12-02 21:13:40.316493878 +0000\nChange: 2026-12-02 21:13:40.324493878 +0000\n Birth: 2026-12-02 21:13:40.316493878 +0000\n",
  "c": "/tmp/fx/sf/hostname|'/tmp/fx/sf/hostname'|7|4755|-rwsr-xr-x|regular file|2171025|1|root|root|2026-12-02 21:13:40.316493878 +0000|2026-12-02 21:13:40.316493878 +0000|2026-12-02 21:13:40.324493878 +0000|65024|fe00|89ed|0|0|8|512|4096|1796246020|1796246020|1796246020|4755|7       |       /tm|\n",
  "terse": "/tmp/fx/sf/hostname 7 8 89ed 0 0 fe00 2171025 1 0 0 1796246020 1796246020 1796246020 1796246020 4096\n",
  "st": {
   "st_dev": 65024,
   "st_ino": 2171025,
   "st_mode": 35309,
   "st_nlink": 1,
   "st_uid": 0,
   "st_gid": 0,
   "st_rdev": 0,
   "st_size": 7,
   "st_blksize": 4096,
   "st_blocks": 8,
   "st_atime": 1796246020,
   "st_atime_nsec": 316493878,
   "st_mtime": 1796246020,
   "st_mtime_nsec": 316493878,
   "st_ctime": 1796246020,
   "st_ctime_nsec": 324493878
  },
  "link": null
 },
 {
  "name": "/tmp/fx/sf/empty",
  "default": "  File: /tmp/fx/sf/empty\n  Size: 0         \tBlocks: 0          IO Block: 4096   regular empty file\nDevice: 254,0\tInode: 2171041     Links: 1\nAccess: (0644/-rw-r--r--)  Uid: (    0/    root)   Gid: (    0/    root)\nAccess: 2024-01-05 08:30:15.123456789 +0000\nModify: 2024-01-05 08:30:15.123456789 +0000\nChange: 2026-12-02 21:13:40.324493878 +0000\n Birth: 2026-12-02 21:13:40.316493878 +0000\n",
  "c": "/tmp/fx/sf/empty|'/tmp/fx/sf/empty'|0|644|-rw-r--r--|regular empty file|2171041|1|root|root|2024-01-05 08:30:15.123456789 +0000|2024-01-05 08:30:15.123456789 +0000|2026-12-02 21:13:40.324493878 +0000|65024|fe00|81a4|0|0|0|512|4096|1704443415|1704443415|1796246020|0644|0       |       /tm|\n",
  "terse": "/tmp/fx/sf/empty 0 0 81a4 0 0 fe00 2171041 1 0 0 1704443415 1704443415 1796246020 1796246020 4096\n",
  "st": {
   "st_dev": 65024,
   "st_ino": 2171041,
   "st_mode": 33188,
   "st_nlink": 1,
   "st_uid": 0,
   "st_gid": 0,
   "st_rdev": 0,
   "st_size": 0,
   "st_blksize": 4096,
   "st_blocks": 0,
   "st_atime": 1704443415,
   "st_atime_nsec": 123456789,
   "st_mtime": 1704443415,
   "st_mtime_nsec": 123456789,
   "st_ctime": 1796246020,
   "st_ctime_nsec": 324493878
  },
  "link": null
 },
 {
  "name": "/tmp/fx/sf/link",
  "default": "  File: /tmp/fx/sf/link -> /tmp/fx/sf/hostname\n  Size: 19        \tBlocks: 0          IO Block: 4096   symbolic link\nDevice: 254,0\tInode: 2171060     Links: 1\nAccess: (0777/lrwxrwxrwx)  Uid: (    0/    root)   Gid: (    0/    root)\nAccess: 2026-12-02 21:13:40.736493896 +0000\nModify: 2026-12-02 21:13:40.316493878 +0000\nChange: 2026-12-02 21:13:40.316493878 +0000\n Birth: 2026-12-02 21:13:40.316493878 +0000\n",
  "c": "/tmp/fx/sf/link|'/tmp/fx/sf/link' -> '/tmp/fx/sf/hostname'|19|777|lrwxrwxrwx|symbolic link|2171060|1|root|root|2026-12-02 21:13:40.736493896 +0000|2026-12-02 21:13:40.316493878 +0000|2026-12-02 21:13:40.316493878 +0000|65024|fe00|a1ff|0|0|0|512|4096|1796246020|1796246020|1796246020|0777|19      |       /tm|\n",
  "terse": "/tmp/fx/sf/link 19 0 a1ff 0 0 fe00 2171060 1 0 0 1796246020 1796246020 1796246020 1796246020 4096\n",
  "st": {
   "st_dev": 65024,
   "st_ino": 2171060,
   "st_mode": 41471,
   "st_nlink": 1,
   "st_uid": 0,
   "st_gid": 0,
   "st_rdev": 0,
   "st_size": 19,
   "st_blksize": 4096,
   "st_blocks": 0,
   "st_atime": 1796246020,
   "st_atime_nsec": 736493896,
   "st_mtime": 1796246020,
   "st_mtime_nsec": 316493878,
   "st_ctime": 1796246020,
   "st_ctime_nsec": 316493878
  },
  "link": "/tmp/fx/sf/hostname"
 },
 {
  "name": "/tmp/fx/sf/dir",
  "default": "  File: /tmp/fx/sf/dir\n  Size: 4096      \tBlocks: 8          IO Block: 4096   directory\nDevice: 254,0\tInode: 2171075     Links: 2\nAccess: (0755/drwxr-xr-x)  Uid: (    0/    root)   Gid: (    0/    root)\nAccess: 2026-12-02 21:13:40.316493878 +0000\nModify: 2026-12-02 21:13:40.316493878 +0000\nChange: 2026-12-02 21:13:40.316493878 +0000\n Birth: 2026-12-02 21:13:40.316493878 +0000\n",
  "c": "/tmp/fx/sf/dir|'/tmp/fx/sf/dir'|4096|755|drwxr-xr-x|directory|2171075|2|root|root|2026-12-02 21:13:40.316493878 +0000|2026-12-02 21:13:40.316493878 +0000|2026-12-02 21:13:40.316493878 +0000|65024|fe00|41ed|0|0|8|512|4096|1796246020|1796246020|1796246020|0755|4096    |       /tm|\n",
  "terse": "/tmp/fx/sf/dir 4096 8 41ed 0 0 fe00 2171075 2 0 0 1796246020 1796246020 1796246020 1796246020 4096\n",
  "st": {
   "st_dev": 65024,
   "st_ino": 2171075,
   "st_mode": 16877,
   "st_nlink": 2,
   "st_uid": 0,
   "st_gid": 0,
   "st_rdev": 0,
   "st_size": 4096,
   "st_blksize": 4096,
   "st_blocks": 8,
   "st_atime": 1796246020,
   "st_atime_nsec": 316493878,
   "st_mtime": 1796246020,
   "st_mtime_nsec": 316493878,
   "st_ctime": 1796246020,
   "st_ctime_nsec": 316493878
  },
  "link": null
 },
 {
  "name": "/dev/null",
  "default": "  File: /dev/null\n  Size: 0         \tBlocks: 0          IO Block: 4096   character special file\nDevice: 0,6\tInode: 3           Links: 1     Device type: 1,3\nAccess: (0666/crw-rw-rw-)  Uid: (    0/    root)   Gid: (    0/    root)\nAccess: 2026-12-01 05:10:37.777249117 +0000\nModify: 2026-12-01 05:10:37.777249117 +0000\nChange: 2026-12-01 05:10:37.777249117 +0000\n Birth: 2026-12-01 05:10:37.777249117 +0000\n",
  "c": "/dev/null|'/dev/null'|0|666|crw-rw-rw-|character special file|3|1|root|root|2026-12-01 05:10:37.777249117 +0000|2026-12-01 05:10:37.777249117 +0000|2026-12-01 05:10:37.777249117 +0000|6|6|21b6|1|3|0|512|4096|1796101837|1796101837|1796101837|0666|0       |       /de|\n",
  "terse": "/dev/null 0 0 21b6 0 0 6 3 1 1 3 1796101837 1796101837 1796101837 1796101837 4096\n",
  "st": {
   "st_dev": 6,
   "st_ino": 3,
   "st_mode": 8630,
   "st_nlink": 1,
   "st_uid": 0,
   "st_gid": 0,
   "st_rdev": 259,
   "st_size": 0,
   "st_blksize": 4096,
   "st_blocks": 0,
   "st_atime": 1796101837,
   "st_atime_nsec": 777249117,
   "st_mtime": 1796101837,
   "st_mtime_nsec": 777249117,
   "st_ctime": 1796101837,
   "st_ctime_nsec": 777249117
  },
  "link": null
 }
] as const;

/** busybox 1.35 test and [ on Debian 12: argument vectors, exit statuses and messages. */
export const TEST_FIXTURES: readonly [string[], number, string][] = [[[], 1, ""], [[""], 1, ""], [["abc"], 0, ""], [["!"], 0, ""], [["-n"], 0, ""], [["-z"], 0, ""], [["-z", ""], 0, ""], [["-n", ""], 1, ""], [["!", ""], 0, ""], [["!", "x"], 1, ""], [["a", "=", "a"], 0, ""], [["a", "!=", "a"], 1, ""], [["a", "=", "b"], 1, ""], [["a", "<", "b"], 0, ""], [["b", "<", "a"], 1, ""], [["a", ">", "b"], 1, ""], [["1", "-eq", "1"], 0, ""], [["1", "-eq", "a"], 2, "test: a: bad number\n"], [["a", "-eq", "1"], 2, "test: a: bad number\n"], [["1", "-eq", ""], 2, "test: bad number\n"], [[" 1", "-eq", "1 "], 0, ""], [["+1", "-eq", "1"], 0, ""], [["-1", "-lt", "0"], 0, ""], [["0x10", "-eq", "16"], 2, "test: 0x10: bad number\n"], [["1", "-gt", "99999999999999999999"], 2, "test: 99999999999999999999: out of range\n"], [["9223372036854775807", "-gt", "9223372036854775806"], 0, ""], [["-9223372036854775808", "-lt", "0"], 0, ""], [["1", "-ne", "2"], 0, ""], [["2", "-ge", "2"], 0, ""], [["2", "-le", "1"], 1, ""], [["1", "=", "1", "=", "1"], 2, "test: =: unknown operand\n"], [["a", "-x", "b"], 2, "test: -x: unknown operand\n"], [["(", "1"], 2, "test: closing paren expected\n"], [["(", ")"], 2, "test: closing paren expected\n"], [["(", "1", "=", "1", ")", "-a", "x"], 0, ""], [["(", "-n", "x", ")"], 2, "test: closing paren expected\n"], [["(", "!", "-e", ")"], 1, ""], [["!", "!", "x"], 0, ""], [["x", "=", "x", "-o", "("], 2, "test: argument expected\n"], [["1", "2", "3"], 2, "test: 2: unknown operand\n"], [["1", "-eq", "1", "extra"], 2, "test: extra: unknown operand\n"], [["-eq", "1"], 2, "test: 1: unknown operand\n"], [["", "-a", "x"], 1, ""], [["x", "-a", "!"], 0, ""], [["-n", "x", "-a", "-z", "", "-o", "-n", ""], 0, ""], [["!", "=", "x"], 1, ""], [["-e", "=", "-e"], 0, ""], [["abc", "-l"], 2, "test: -l: unknown operand\n"], [["-l", "abc"], 2, "test: abc: unknown operand\n"], [["x", "-o", "y", "-a", ""], 0, ""], [["", "-o", "", "-o", "z"], 0, ""], [["(", "(", "a", ")", ")"], 0, ""], [["-t", "abc"], 2, "test: abc: bad number\n"], [["=", "="], 2, "test: =: argument expected\n"], [["!", "-n"], 1, ""], [["-d"], 0, ""], [["a", "-a", "b", "c"], 2, "test: c: unknown operand\n"]];
export const BRACKET_FIXTURES: readonly [string[], number, string][] = [[["1", "=", "1", "]"], 0, ""], [["1", "=", "1"], 2, "[: missing ]\n"], [["]"], 1, ""], [["1", "=", "2", "]", "]"], 2, "[: ]: unknown operand\n"], [["-n", "]"], 0, ""], [["(", "x", ")", "]"], 0, ""]];
