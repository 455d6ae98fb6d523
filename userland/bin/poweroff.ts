import type { Syscalls } from "../../include/uapi/syscalls.ts";

/** poweroff [STATUS]: turn the machine off (the exit status of `npm start` becomes STATUS). */
export async function poweroff(argv: readonly string[], sys: Syscalls): Promise<number> {
  const code = argv[1] === undefined ? 0 : Number(argv[1]);
  if (!Number.isInteger(code) || code < 0 || code > 255) {
    sys.write(2, `poweroff: invalid status '${argv[1]}'\n`);
    return 1;
  }
  return sys.poweroff(code);
}
