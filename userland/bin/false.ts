import type { Command } from "../lib/command.ts";

/** false: do nothing, unsuccessfully (busybox ignores its arguments). */
export const false_command: Command = {
  name: "false",
  summary: "do nothing, unsuccessfully",
  usage: "Usage: false\n\nReturn an exit code of FALSE (1)\n",
  main: async () => 1,
};
