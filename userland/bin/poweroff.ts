import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";

/** poweroff [STATUS]: turn the machine off (the exit status of `npm start` becomes STATUS). */
export async function poweroff(argv: readonly string[], sys: Syscalls): Promise<number> {
  const code = argv[1] === undefined ? 0 : Number(argv[1]);
  if (!Number.isInteger(code) || code < 0 || code > 255) {
    sys.write(2, `poweroff: invalid status '${argv[1]}'\n`);
    return 1;
  }
  return sys.poweroff(code);
}

export const poweroff_command: Command = {
  name: "poweroff",
  summary: "turn the machine off",
  usage: "Usage: poweroff\n\nTurn the machine off.\n",
  main: poweroff,
};
