import type { Command } from "../lib/command.ts";

/** true: do nothing, successfully (busybox ignores its arguments). */
export const true_command: Command = {
  name: "true",
  summary: "do nothing, successfully",
  usage: "Usage: true\n\nReturn an exit code of TRUE (0)\n",
  main: async () => 0,
};
