import { strerror } from "../../include/linux/errno.ts";
import { O_DIRECTORY, O_RDONLY } from "../../include/uapi/fcntl.ts";
import { major, minor, S_IFMT, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFSOCK, S_ISCHR, S_ISBLK, S_ISDIR, S_ISGID, S_ISLNK, S_ISUID, S_ISVTX, type Stat } from "../../include/uapi/stat.ts";
import { CLOCK_REALTIME, type Syscalls } from "../../include/uapi/syscalls.ts";
import { getopt, print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * ls [-1Aadhl] [FILE]... — busybox's options, messages ("ls: /x: No such file or directory") and
 * exit status (1 when something could not be listed); the long format is coreutils' (aligned
 * columns, "total N" in 1K blocks, "Mon dd HH:MM" for the last six months, "Mon dd  YYYY" before,
 * "-> target" for links, "major, minor" for devices). Names are sorted bytewise (C locale), laid
 * out in columns on the console (80 wide) and one per line elsewhere. Times are UTC.
 */
const USAGE = "Usage: ls [-1Aadhl] [FILE]...";
const HELP = `${USAGE}

List directory contents

	-1	One column output
	-a	Include names starting with .
	-A	Like -a, but exclude . and ..
	-d	List directory names, not contents
	-h	Human readable sizes (1K 243M 2G)
	-l	Long format
`;

const TERMINAL_WIDTH = 80;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** Half a Gregorian year: older (or future) files show the year instead of the time. */
const SIX_MONTHS_S = 31556952 / 2;

interface Entry {
  /** As printed. */
  name: string;
  /** Where to lstat/readlink it. */
  path: string;
  st: Stat;
}

interface Opts {
  long: boolean;
  one: boolean;
  all: boolean;
  almost_all: boolean;
  dir_itself: boolean;
  human: boolean;
  now_s: number;
  tty: boolean;
}

/** strmode()/filemodestring(): "drwxr-xr-x". */
export function mode_string(mode: number): string {
  const type: Record<number, string> = { [S_IFDIR]: "d", [S_IFLNK]: "l", [S_IFCHR]: "c", [S_IFBLK]: "b", [S_IFIFO]: "p", [S_IFSOCK]: "s" };
  const rwx = (bits: number, special: boolean, on: string, off: string): string =>
    (bits & 4 ? "r" : "-") + (bits & 2 ? "w" : "-") + (special ? (bits & 1 ? on : off) : bits & 1 ? "x" : "-");
  return (
    (type[mode & S_IFMT] ?? "-") +
    rwx((mode >> 6) & 7, (mode & S_ISUID) !== 0, "s", "S") +
    rwx((mode >> 3) & 7, (mode & S_ISGID) !== 0, "s", "S") +
    rwx(mode & 7, (mode & S_ISVTX) !== 0, "t", "T")
  );
}

/** coreutils' date column in the C locale, UTC. */
export function ls_date(t_s: number, now_s: number): string {
  const d = new Date(t_s * 1000);
  const mon = MONTHS[d.getUTCMonth()]!;
  const day = String(d.getUTCDate()).padStart(2, " ");
  const recent = t_s > now_s - SIX_MONTHS_S && t_s <= now_s;
  if (recent) return `${mon} ${day} ${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
  return `${mon} ${day}  ${d.getUTCFullYear()}`;
}

/** coreutils -h: 1023, 1.0K, 9.9K, 10K, 1.5M … rounded up. */
function human(n: number): string {
  const units = ["K", "M", "G", "T", "P"];
  if (n < 1024) return String(n);
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (v < 10) {
    const r = Math.ceil(v * 10) / 10;
    return r >= 10 ? `10${units[u]}` : `${r.toFixed(1)}${units[u]}`;
  }
  const r = Math.ceil(v);
  return r >= 1024 && u < units.length - 1 ? `1.0${units[u + 1]}` : `${r}${units[u]}`;
}

function join(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** Byte order, as strcmp in the C locale. */
function by_name(a: Entry, b: Entry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function size_field(e: Entry, o: Opts): string {
  if (S_ISCHR(e.st.st_mode) || S_ISBLK(e.st.st_mode)) return `${major(e.st.st_rdev)}, ${minor(e.st.st_rdev)}`;
  return o.human ? human(e.st.st_size) : String(e.st.st_size);
}

/** The long listing of `list`, columns aligned across it as coreutils does. */
function long_lines(sys: Syscalls, list: Entry[], o: Opts): string {
  const nlink_w = Math.max(0, ...list.map((e) => String(e.st.st_nlink).length));
  const size_w = Math.max(0, ...list.map((e) => size_field(e, o).length));
  let out = "";
  for (const e of list) {
    let name = e.name;
    if (S_ISLNK(e.st.st_mode)) {
      const target = sys.readlink(e.path);
      if (typeof target === "string") name += ` -> ${target}`;
    }
    out += `${mode_string(e.st.st_mode)} ${String(e.st.st_nlink).padStart(nlink_w)} root root ${size_field(e, o).padStart(size_w)} ${ls_date(e.st.st_mtime, o.now_s)} ${name}\n`;
  }
  return out;
}

/** coreutils' vertical columns: as many as fit in 80 characters, two spaces between. */
export function columns(names: readonly string[], width = TERMINAL_WIDTH): string {
  if (names.length === 0) return "";
  let best = { cols: 1, rows: names.length, widths: [Math.max(...names.map((n) => n.length))] };
  for (let cols = 2; cols <= names.length; cols++) {
    const rows = Math.ceil(names.length / cols);
    if (Math.ceil(names.length / rows) < cols) continue; // would leave an empty column
    const widths: number[] = [];
    for (let c = 0; c < cols; c++) widths.push(Math.max(0, ...names.slice(c * rows, (c + 1) * rows).map((n) => n.length)));
    const total = widths.reduce((a, w) => a + w, 0) + 2 * (cols - 1);
    if (total < width) best = { cols, rows, widths };
  }
  let out = "";
  for (let r = 0; r < best.rows; r++) {
    let line = "";
    for (let c = 0; c < best.cols; c++) {
      const i = c * best.rows + r;
      if (i >= names.length) break;
      const last = c === best.cols - 1 || (c + 1) * best.rows + r >= names.length;
      line += last ? names[i] : names[i]!.padEnd(best.widths[c]! + 2);
    }
    out += line + "\n";
  }
  return out;
}

function show(sys: Syscalls, list: Entry[], o: Opts): string {
  list.sort(by_name);
  if (o.long) return long_lines(sys, list, o);
  const names = list.map((e) => e.name);
  if (o.one || !o.tty) return names.map((n) => n + "\n").join("");
  return columns(names);
}

/** The entries of directory `path` (getdents), lstat'ed; null (reported) when it cannot be read. */
function scan(sys: Syscalls, path: string, o: Opts): Entry[] | null {
  const fd = sys.open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    sys.write(2, `ls: ${path}: ${strerror(fd)}\n`);
    return null;
  }
  const out: Entry[] = [];
  try {
    for (;;) {
      const batch = sys.getdents(fd);
      if (typeof batch === "number") {
        sys.write(2, `ls: ${path}: ${strerror(batch)}\n`);
        return null;
      }
      if (batch.length === 0) break;
      for (const d of batch) {
        if (d.d_name.startsWith(".")) {
          if (!o.all && !o.almost_all) continue;
          if (!o.all && (d.d_name === "." || d.d_name === "..")) continue;
        }
        const p = join(path, d.d_name);
        const st = sys.lstat(p);
        if (typeof st === "number") continue; // gone since getdents
        out.push({ name: d.d_name, path: p, st });
      }
    }
  } finally {
    sys.close(fd);
  }
  return out;
}

export async function ls(argv: readonly string[], sys: Syscalls): Promise<number> {
  const p = getopt(argv, "1Aadhl");
  if (typeof p === "string") {
    sys.write(2, `ls: ${p}\n${USAGE}\n`);
    return 1;
  }
  const out1 = sys.fstat(1);
  const o: Opts = {
    long: p.opts.has("l"),
    one: p.opts.has("1"),
    all: p.opts.has("a"),
    almost_all: p.opts.has("A"),
    dir_itself: p.opts.has("d"),
    human: p.opts.has("h"),
    now_s: Math.floor(sys.clock_gettime(CLOCK_REALTIME) / 1e9),
    tty: typeof out1 !== "number" && S_ISCHR(out1.st_mode) && major(out1.st_rdev) === 5,
  };
  let status = 0;
  const operands = p.args.length > 0 ? p.args : ["."];
  const files: Entry[] = [];
  const dirs: Entry[] = [];
  for (const a of operands) {
    // Operands that are links to directories are listed as directories unless -l or -d
    // (coreutils); a dangling link is still shown.
    let st = o.long || o.dir_itself ? sys.lstat(a) : sys.stat(a);
    if (typeof st === "number" && !o.long && !o.dir_itself) {
      const l = sys.lstat(a);
      if (typeof l !== "number" && S_ISLNK(l.st_mode)) st = l;
    }
    if (typeof st === "number") {
      sys.write(2, `ls: ${a}: ${strerror(st)}\n`);
      status = 1;
      continue;
    }
    if (S_ISDIR(st.st_mode) && !o.dir_itself) dirs.push({ name: a, path: a, st });
    else files.push({ name: a, path: a, st });
  }
  let printed = files.length > 0;
  if (printed) print(sys, show(sys, files, o));
  dirs.sort(by_name);
  const headers = operands.length > 1;
  for (const d of dirs) {
    const list = scan(sys, d.path, o);
    if (list === null) {
      status = 1;
      continue;
    }
    let out = headers ? `${printed ? "\n" : ""}${d.name}:\n` : "";
    if (o.long) out += `total ${Math.ceil(list.reduce((a, e) => a + e.st.st_blocks, 0) / 2)}\n`;
    print(sys, out + show(sys, list, o));
    printed = true;
  }
  return status;
}

export const ls_command: Command = {
  name: "ls",
  summary: "list directory contents: ls [-1Aadhl] [FILE]...",
  usage: HELP,
  main: ls,
};
