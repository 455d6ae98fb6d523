/**
 * The small file tools from the shell: ls (coreutils' long format, busybox's messages), mkdir -p,
 * rm -r/-f, mount, cat over the VFS — their output and exit statuses.
 */
import { describe, expect, it } from "vitest";
import { columns, ls_date, mode_string } from "../../userland/bin/ls.ts";
import { run_shell } from "./vfs_harness.ts";

/** ls -l's date column replaced by a fixed marker (the clock is the host's). */
const DATE = /[A-Z][a-z]{2} [ \d]\d \d\d:\d\d/g;
const undate = (s: string): string => s.replace(DATE, "DATE");

describe("ls", () => {
  it("formats modes, dates and columns as coreutils does", () => {
    expect(mode_string(0o41777)).toBe("drwxrwxrwt");
    expect(mode_string(0o100644)).toBe("-rw-r--r--");
    expect(mode_string(0o120777)).toBe("lrwxrwxrwx");
    expect(mode_string(0o20600)).toBe("crw-------");
    expect(mode_string(0o104755)).toBe("-rwsr-xr-x");
    expect(mode_string(0o41766)).toBe("drwxrw-rwT");
    const now = Date.UTC(2024, 5, 15, 12, 0, 0) / 1000;
    expect(ls_date(now - 3600, now)).toBe("Jun 15 11:00");
    expect(ls_date(Date.UTC(2023, 0, 5, 8, 30) / 1000, now)).toBe("Jan  5  2023");
    expect(ls_date(now + 86400, now)).toBe("Jun 16  2024"); // the future shows the year too
    expect(columns(["bin", "dev", "etc", "mnt", "proc", "root", "sys", "tmp"])).toBe("bin  dev  etc  mnt  proc  root  sys  tmp\n");
    const many = Array.from({ length: 30 }, (_, i) => `file${String(i).padStart(2, "0")}`);
    const lines = columns(many).split("\n").filter((l) => l !== "");
    expect(lines.length).toBe(3); // 10 columns of 6+2 fit in 80 only as 78: 10 × 8 − 2
    expect(lines[0]).toBe("file00  file03  file06  file09  file12  file15  file18  file21  file24  file27");
  });

  it("lists /, /etc and /dev in the long format with links and device numbers", async () => {
    const r = await run_shell("ls /; ls -l /etc; ls -l /dev; ls -ld /tmp /; ls /etc/hostname /etc/resolv.conf");
    const out = undate(r.out);
    expect(out).toContain("bin  dev  etc  mnt  proc  root  sys  tmp\n");
    expect(out).toContain(
      "total 16\n" +
        "-rw-r--r-- 1 root root 27 DATE group\n" +
        "-rw-r--r-- 1 root root  9 DATE hostname\n" +
        "-rw-r--r-- 1 root root 39 DATE hosts\n" +
        "-rw-r--r-- 1 root root 89 DATE passwd\n" +
        "lrwxrwxrwx 1 root root 13 DATE resolv.conf -> /proc/net/pnp\n",
    );
    expect(out).toContain(
      "total 0\n" +
        "crw------- 1 root root 5, 1 DATE console\n" +
        "crw-rw-rw- 1 root root 1, 7 DATE full\n" +
        "crw-rw-rw- 1 root root 1, 3 DATE null\n" +
        "crw-rw-rw- 1 root root 1, 8 DATE random\n" +
        "crw-rw-rw- 1 root root 5, 0 DATE tty\n" +
        "crw-rw-rw- 1 root root 1, 9 DATE urandom\n" +
        "crw-rw-rw- 1 root root 1, 5 DATE zero\n",
    );
    expect(out).toContain("drwxr-xr-x 10 root root 200 DATE /\ndrwxrwxrwt  2 root root  40 DATE /tmp\n");
    expect(out).toContain("/etc/hostname  /etc/resolv.conf\n");
    expect(r.status).toBe(0);
  });

  it("-a shows dot entries, -A hides . and ..; several directories get headers; missing ones busybox's message and status 1", async () => {
    const r = await run_shell("mkdir /tmp/d /tmp/d/.hidden /tmp/d/sub; ls /tmp/d; ls -a /tmp/d; ls -A /tmp/d; ls /tmp/d /etc; ls /nope /tmp/d; echo status=$?");
    expect(r.out).toContain("sub\n.  ..  .hidden  sub\n.hidden  sub\n");
    expect(r.out).toContain("/etc:\ngroup  hostname  hosts  passwd  resolv.conf\n\n/tmp/d:\nsub\n");
    expect(r.out).toContain("ls: /nope: No such file or directory\n/tmp/d:\nsub\nstatus=1\n");
  });

  it("reads /proc and /sys, and refuses bad options with its usage", async () => {
    const r = await run_shell("ls /sys; ls -l /proc/meminfo; ls -z; echo status=$?; ls --help; echo status=$?");
    expect(r.out).toMatch(/^bus\s+(?:\S+\s+)*devices/m);
    expect(undate(r.out)).toContain("-r--r--r-- 1 root root 0 DATE /proc/meminfo\n");
    expect(r.out).toContain("ls: invalid option -- 'z'\nUsage: ls [-1Aadhl] [FILE]...\nstatus=1\n");
    expect(r.out).toContain("Usage: ls [-1Aadhl] [FILE]...\n\nList directory contents\n");
    expect(r.out).toContain("\t-l\tLong format\nstatus=0\n");
  });
});

describe("mkdir, rm, mount, cat", () => {
  it("mkdir -p makes parents and tolerates existing ones; without -p an existing one fails", async () => {
    const r = await run_shell("mkdir -p /tmp/a/b/c; echo s=$?; mkdir -p /tmp/a/b; echo s=$?; mkdir /tmp/a; echo s=$?; mkdir /nope/x; echo s=$?; mkdir -m 700 /tmp/m; ls -ld /tmp/m; ls -R /tmp; echo s=$?");
    expect(r.out).toContain("s=0\ns=0\nmkdir: can't create directory '/tmp/a': File exists\ns=1\nmkdir: can't create directory '/nope/x': No such file or directory\ns=1\n");
    expect(undate(r.out)).toContain("drwx------ 2 root root 40 DATE /tmp/m\n");
    expect(r.out).toContain("ls: invalid option -- 'R'\n");
  });

  it("rm removes files, refuses directories without -r, -f ignores what is missing, -r removes trees", async () => {
    const r = await run_shell(
      "mkdir -p /tmp/t/u/v; rm /tmp/t; echo s=$?; rm /tmp/none; echo s=$?; rm -f /tmp/none; echo s=$?; rm -r /tmp/t; echo s=$?; ls /tmp/t; rm /etc/hostname; ls /etc; rm -r /proc/meminfo; echo s=$?; rm .; echo s=$?; rm; echo s=$?",
    );
    expect(r.out).toContain("rm: '/tmp/t' is a directory\ns=1\n");
    expect(r.out).toContain("rm: can't remove '/tmp/none': No such file or directory\ns=1\ns=0\ns=0\nls: /tmp/t: No such file or directory\n");
    expect(r.out).toContain("group  hosts  passwd  resolv.conf\n");
    expect(r.out).toContain("rm: can't remove '/proc/meminfo': Operation not permitted\ns=1\n");
    expect(r.out).toContain("rm: can't remove '.' or '..'\ns=1\nUsage: rm [-frR] FILE...\ns=1\n");
  });

  it("mount lists the table as util-linux does and mounts a tmpfs", async () => {
    const r = await run_shell("mount; mkdir /mnt/x; mount -t tmpfs -o size=1m,nosuid tmpfs /mnt/x; echo s=$?; mount; mount -t bogus none /mnt/x; echo s=$?");
    expect(r.out).toContain(
      "tmpfs on / type tmpfs (rw)\nproc on /proc type proc (rw,nosuid,nodev,noexec,relatime)\nsysfs on /sys type sysfs (rw,nosuid,nodev,noexec,relatime)\ns=0\n",
    );
    expect(r.out).toContain("tmpfs on /mnt/x type tmpfs (rw,nosuid,relatime,size=1024k)\n");
    expect(r.out).toContain("mount: mounting none on /mnt/x failed: No such device\ns=1\n");
  });

  it("cat reads any file through the VFS, reports busybox's errors and keeps going", async () => {
    const r = await run_shell("cat /etc/hostname /nope /etc/resolv.conf; echo s=$?; cat /tmp; echo s=$?; cat /dev/null; echo s=$?; cat /sys/bus/pci/devices/0000:00:00.0/vendor");
    expect(r.out).toContain("ringzero\ncat: can't open '/nope': No such file or directory\ncat: can't open '/etc/resolv.conf': No such file or directory\ns=1\n");
    expect(r.out).toContain("cat: read error: Is a directory\ns=1\ns=0\n0x8086\n");
  });
});
