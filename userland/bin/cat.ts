import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { errno_text, print } from "../lib/stdio.ts";

/** cat FILE...: files under /proc and /sys. */
export async function cat(argv: readonly string[], sys: Syscalls): Promise<number> {
  if (argv.length < 2) {
    sys.write(2, "cat: reading standard input is not supported; give a file\n");
    return 1;
  }
  let status = 0;
  for (const path of argv.slice(1)) {
    const r = sys.read_file(path);
    if (typeof r === "number") {
      sys.write(2, `cat: ${path}: ${errno_text(r)}\n`);
      status = 1;
      continue;
    }
    print(sys, new TextDecoder().decode(r));
  }
  return status;
}
