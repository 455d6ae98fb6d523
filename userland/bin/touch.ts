import { ENOENT, strerror } from "../../include/linux/errno.ts";
import { O_CREAT, O_RDWR } from "../../include/uapi/fcntl.ts";
import { AT_SYMLINK_NOFOLLOW, CLOCK_REALTIME, UTIME_NOW, UTIME_OMIT, type Syscalls, type Timespec } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { parse_datestr } from "../lib/datestr.ts";
import { getopt } from "../lib/stdio.ts";
import { localtime } from "../lib/time.ts";

/**
 * touch [-cham] [-d DATE] [-t DATE] [-r FILE] FILE... (busybox coreutils/touch.c): utimensat(2)
 * each FILE to now (or the given time); a FILE that does not exist is created (O_CREAT, 0666 less
 * the umask) unless -c. Exit 1 if any FILE could not be touched.
 */
const USAGE = `Usage: touch [-cham] [-d DATE] [-t DATE] [-r FILE] FILE...

Update mtime of FILEs

	-c	Don't create files
	-h	Don't follow links
	-a	Change only atime
	-m	Change only mtime
	-d DT	Date/time to use
	-t DT	Date/time to use
	-r FILE	Use FILE's date/time
`;

export async function touch(argv: readonly string[], sys: Syscalls): Promise<number> {
  // Long options busybox knows, as their short forms.
  const LONG: Readonly<Record<string, string>> = { "--no-create": "-c", "--no-dereference": "-h", "--reference": "-r", "--date": "-d" };
  const args = argv.map((a, i) => {
    if (i === 0) return a;
    const eq = a.indexOf("=");
    const name = eq < 0 ? a : a.slice(0, eq);
    const short = LONG[name];
    return short === undefined ? a : eq < 0 ? short : short + a.slice(eq + 1);
  });
  const p = getopt(args, "chr:d:t:amf");
  if (typeof p === "string") {
    await sys.write(2, `touch: ${p}\n${USAGE}`);
    return 1;
  }
  if (p.args.length === 0) {
    await sys.write(2, USAGE);
    return 1;
  }
  const ref = p.opts.get("r");
  const date = p.opts.get("t") ?? p.opts.get("d");
  if (ref !== undefined && p.opts.has("t")) {
    await sys.write(2, USAGE);
    return 1;
  }
  const times: [Timespec, Timespec] = [
    { tv_sec: 0, tv_nsec: UTIME_NOW },
    { tv_sec: 0, tv_nsec: UTIME_NOW },
  ];
  if (typeof ref === "string") {
    const st = sys.stat(ref);
    if (typeof st === "number") {
      await sys.write(2, `touch: can't stat '${ref}': ${strerror(st)}\n`);
      return 1;
    }
    times[0] = { tv_sec: st.st_atime, tv_nsec: st.st_atime_nsec };
    times[1] = { tv_sec: st.st_mtime, tv_nsec: st.st_mtime_nsec };
  }
  if (typeof date === "string") {
    const now = localtime(Math.floor(sys.clock_gettime(CLOCK_REALTIME) / 1e9))!;
    const t = parse_datestr(date, now);
    if (t === null) {
      await sys.write(2, `touch: invalid date '${date}'\n`);
      return 1;
    }
    times[0] = { tv_sec: t, tv_nsec: 0 };
    times[1] = { tv_sec: t, tv_nsec: 0 };
  }
  const a = p.opts.has("a");
  const m = p.opts.has("m");
  if (a && !m) times[1] = { tv_sec: 0, tv_nsec: UTIME_OMIT };
  if (m && !a) times[0] = { tv_sec: 0, tv_nsec: UTIME_OMIT };
  const flags = p.opts.has("h") ? AT_SYMLINK_NOFOLLOW : 0;
  const explicit = ref !== undefined || date !== undefined;

  let status = 0;
  for (const file of p.args) {
    let r = sys.utimensat(file, times, flags);
    if (r === -ENOENT) {
      if (p.opts.has("c")) continue;
      const fd = sys.open(file, O_RDWR | O_CREAT, 0o666);
      if (fd >= 0) {
        sys.close(fd);
        // futimens() on the new file: only a given time needs setting, creation made it "now".
        r = explicit ? sys.utimensat(file, times, 0) : 0;
      } else r = fd;
    }
    if (r < 0) {
      await sys.write(2, `touch: ${file}: ${strerror(r)}\n`);
      status = 1;
    }
  }
  return status;
}

export const touch_command: Command = {
  name: "touch",
  summary: "update file times, creating files that do not exist",
  usage: USAGE,
  main: touch,
};
