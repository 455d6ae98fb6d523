import { strerror } from "../../include/linux/errno.ts";
import { major, minor, PROC_SUPER_MAGIC, S_IFMT, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK, SYSFS_MAGIC, TMPFS_MAGIC, type Stat, type Statfs } from "../../include/uapi/stat.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { getgrgid, getpwuid } from "../lib/pwd.ts";
import { getopt } from "../lib/stdio.ts";
import { localtime, strftime } from "../lib/time.ts";
import { mode_string } from "./ls.ts";

/**
 * stat [-ltf] [-c FMT] FILE...: busybox's options, coreutils' output — the default layout is
 * coreutils 9.1's (Debian 12), field for field, and -c takes coreutils' directives with printf
 * flags and widths (%-10s, %04a). The file system has no birth time: %w is "-", %W is 0.
 */
const USAGE = `Usage: stat [-ltf] [-c FMT] FILE...

Display file (default) or filesystem status

	-c FMT	Use the specified format
	-f	Display filesystem status
	-L	Follow links
	-t	Terse display

FMT sequences for files:
 %a	Access rights in octal
 %A	Access rights in human readable form
 %b	Number of blocks allocated (see %B)
 %B	Size in bytes of each block reported by %b
 %d	Device number in decimal
 %D	Device number in hex
 %f	Raw mode in hex
 %F	File type
 %g	Group ID
 %G	Group name
 %h	Number of hard links
 %i	Inode number
 %n	File name
 %N	File name, with -> TARGET if symlink
 %o	I/O block size
 %s	Total size in bytes
 %t	Major device type in hex
 %T	Minor device type in hex
 %u	User ID
 %U	User name
 %x	Time of last access
 %X	Time of last access as seconds since Epoch
 %y	Time of last modification
 %Y	Time of last modification as seconds since Epoch
 %z	Time of last change
 %Z	Time of last change as seconds since Epoch

FMT sequences for file systems:
 %a	Free blocks available to non-superuser
 %b	Total data blocks
 %c	Total file nodes
 %d	Free file nodes
 %f	Free blocks
 %i	File System ID in hex
 %l	Maximum length of filenames
 %n	File name
 %s	Block size (for faster transfer)
 %S	Fundamental block size (for block counts)
 %t	Type in hex
 %T	Type in human readable form
`;

/** coreutils' default_format() for a file (with the device-type variant for devices). */
function default_format(device: boolean): string {
  return (
    "  File: %N\n" +
    "  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\n" +
    (device ? "Device: %Hd,%Ld\tInode: %-11i Links: %-5h Device type: %Hr,%Lr\n" : "Device: %Hd,%Ld\tInode: %-11i Links: %h\n") +
    "Access: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\n" +
    "Access: %x\nModify: %y\nChange: %z\n Birth: %w\n"
  );
}
const FS_DEFAULT_FORMAT = '  File: "%n"\n    ID: %-8i Namelen: %-7l Type: %T\nBlock size: %-10s Fundamental block size: %S\nBlocks: Total: %-10b Free: %-10f Available: %a\nInodes: Total: %-10c Free: %d\n';
const TERSE_FORMAT = "%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %W %o\n";
const FS_TERSE_FORMAT = "%n %i %l %t %s %S %b %f %a %c %d\n";

/** coreutils' file_type(). */
export function file_type(st: Stat): string {
  switch (st.st_mode & S_IFMT) {
    case S_IFREG:
      return st.st_size === 0 ? "regular empty file" : "regular file";
    case S_IFDIR:
      return "directory";
    case S_IFLNK:
      return "symbolic link";
    case S_IFCHR:
      return "character special file";
    case S_IFBLK:
      return "block special file";
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "socket";
    default:
      return "weird file";
  }
}

/** human_fstype(): the name of a file-system magic number. */
function fs_type_name(magic: number): string {
  if (magic === TMPFS_MAGIC) return "tmpfs";
  if (magic === PROC_SUPER_MAGIC) return "proc";
  if (magic === SYSFS_MAGIC) return "sysfs";
  return `UNKNOWN (0x${magic.toString(16)})`;
}

/** shell-escape-always quoting, as coreutils' %N quotes names. */
function quote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** "2026-12-02 18:49:31.640118474 +0000": a time as coreutils' %x/%y/%z print it. */
export function human_time(sec: number, nsec: number): string {
  const tm = localtime(sec);
  if (tm === null) return String(sec);
  return strftime(`%Y-%m-%d %H:%M:%S.${String(nsec).padStart(9, "0")} %z`, tm);
}

/** What a directive gives: text (%s-like), a number, or a number already in octal/hex digits. */
type DirVal = string | number | { digits: string };
const digits = (d: string): DirVal => ({ digits: d });

/** One printf conversion with coreutils' flags: text or a number, padded to the spec. */
function pad(spec: { flags: string; width: string; prec: string }, v: DirVal): string {
  const numeric = typeof v !== "string";
  let s = typeof v === "object" ? v.digits : String(v);
  if (!numeric && spec.prec !== "") s = s.slice(0, Number(spec.prec));
  const w = Number(spec.width || "0");
  if (s.length >= w) return s;
  if (spec.flags.includes("-")) return s.padEnd(w);
  if (spec.flags.includes("0") && numeric) return s.startsWith("-") ? "-" + s.slice(1).padStart(w - 1, "0") : s.padStart(w, "0");
  return s.padStart(w);
}

interface Target {
  name: string;
  st: Stat;
  link: string | null;
  sys: Syscalls;
  /** %N quotes in -c formats, not in the default layout (coreutils 9.1). */
  quote_names: boolean;
}

function file_directive(c: string, mod: string, t: Target): DirVal | null {
  const st = t.st;
  switch (mod + c) {
    case "a":
      return digits((st.st_mode & 0o7777).toString(8));
    case "A":
      return mode_string(st.st_mode);
    case "b":
      return st.st_blocks;
    case "B":
      return 512;
    case "d":
      return st.st_dev;
    case "Hd":
      return major(st.st_dev);
    case "Ld":
      return minor(st.st_dev);
    case "D":
      return digits(st.st_dev.toString(16));
    case "f":
      return digits(st.st_mode.toString(16));
    case "F":
      return file_type(st);
    case "g":
      return st.st_gid;
    case "G":
      return getgrgid(t.sys, st.st_gid) ?? "UNKNOWN";
    case "h":
      return st.st_nlink;
    case "i":
      return st.st_ino;
    case "n":
      return t.name;
    case "N": {
      const q = t.quote_names ? quote : (s: string): string => s;
      return t.link !== null ? `${q(t.name)} -> ${q(t.link)}` : q(t.name);
    }
    case "o":
      return st.st_blksize;
    case "s":
      return st.st_size;
    case "t":
      return digits(major(st.st_rdev).toString(16));
    case "T":
      return digits(minor(st.st_rdev).toString(16));
    case "Hr":
      return major(st.st_rdev);
    case "Lr":
      return minor(st.st_rdev);
    case "u":
      return st.st_uid;
    case "U":
      return getpwuid(t.sys, st.st_uid) ?? "UNKNOWN";
    case "w":
      return "-";
    case "W":
      return 0;
    case "x":
      return human_time(st.st_atime, st.st_atime_nsec);
    case "X":
      return st.st_atime;
    case "y":
      return human_time(st.st_mtime, st.st_mtime_nsec);
    case "Y":
      return st.st_mtime;
    case "z":
      return human_time(st.st_ctime, st.st_ctime_nsec);
    case "Z":
      return st.st_ctime;
  }
  return null;
}

function fs_directive(c: string, name: string, f: Statfs): DirVal | null {
  switch (c) {
    case "a":
      return f.f_bavail;
    case "b":
      return f.f_blocks;
    case "c":
      return f.f_files;
    case "d":
      return f.f_ffree;
    case "f":
      return f.f_bfree;
    case "i":
      return digits("0"); // f_fsid: the kernel reports none
    case "l":
      return f.f_namelen;
    case "n":
      return name;
    case "s":
      return f.f_bsize;
    case "S":
      return f.f_frsize || f.f_bsize;
    case "t":
      return digits(f.f_type.toString(16));
    case "T":
      return fs_type_name(f.f_type);
  }
  return null;
}

/** Expand a format: "%[-#+ 0]width[.prec][H|L]X" directives, "%%", the rest as it is. */
export function expand(fmt: string, directive: (c: string, mod: string) => DirVal | null): string {
  let out = "";
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] !== "%") {
      out += fmt[i];
      continue;
    }
    const m = /^%([-#+ 0']*)(\d*)(?:\.(\d*))?([HL]?)(.?)/.exec(fmt.slice(i))!;
    i += m[0].length - 1;
    const [, flags, width, prec, mod, c] = m as unknown as [string, string, string, string | undefined, string, string];
    if (c === "%") {
      out += "%";
      continue;
    }
    if (c === "") {
      out += m[0];
      continue;
    }
    const v = directive(c, mod);
    out += v === null ? "?" : pad({ flags, width, prec: prec ?? "" }, v);
  }
  return out;
}

export async function stat(argv: readonly string[], sys: Syscalls): Promise<number> {
  const args = argv.map((a, i) => (i > 0 && a.startsWith("--format=") ? `-c${a.slice(9)}` : i > 0 && a === "--dereference" ? "-L" : i > 0 && a === "--file-system" ? "-f" : i > 0 && a === "--terse" ? "-t" : a));
  const p = getopt(args, "c:fLt");
  if (typeof p === "string") {
    await sys.write(2, `stat: ${p}\n${USAGE}`);
    return 1;
  }
  if (p.args.length === 0) {
    await sys.write(2, USAGE);
    return 1;
  }
  const user_fmt = p.opts.get("c");
  const fs = p.opts.has("f");
  const terse = p.opts.has("t");
  let status = 0;
  let out = "";
  for (const name of p.args) {
    if (fs) {
      const f = sys.statfs(name);
      if (typeof f === "number") {
        await flush_error(sys, out, `stat: can't read file system information for '${name}': ${strerror(f)}\n`);
        out = "";
        status = 1;
        continue;
      }
      const fmt = typeof user_fmt === "string" ? `${user_fmt}\n` : terse ? FS_TERSE_FORMAT : FS_DEFAULT_FORMAT;
      out += expand(fmt, (c) => fs_directive(c, name, f));
      continue;
    }
    const st = p.opts.has("L") ? sys.stat(name) : sys.lstat(name);
    if (typeof st === "number") {
      await flush_error(sys, out, `stat: can't stat '${name}': ${strerror(st)}\n`);
      out = "";
      status = 1;
      continue;
    }
    const rl = (st.st_mode & S_IFMT) === S_IFLNK ? sys.readlink(name) : null;
    const link = typeof rl === "string" ? rl : null;
    const device = (st.st_mode & S_IFMT) === S_IFCHR || (st.st_mode & S_IFMT) === S_IFBLK;
    const fmt = typeof user_fmt === "string" ? `${user_fmt}\n` : terse ? TERSE_FORMAT : default_format(device);
    const t: Target = { name, st, link, sys, quote_names: typeof user_fmt === "string" };
    out += expand(fmt, (c, mod) => file_directive(c, mod, t));
  }
  await sys.write(1, out);
  return status;
}

/** Write what is buffered, then the error (stdout and stderr stay in order on the console). */
async function flush_error(sys: Syscalls, out: string, err: string): Promise<void> {
  await sys.write(1, out);
  await sys.write(2, err);
}

export const stat_command: Command = {
  name: "stat",
  summary: "display file or file-system status",
  usage: USAGE,
  main: stat,
};
