import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";

/**
 * clear: busybox's sequence — cursor home (ESC[H), erase to the end of the screen (ESC[J) — then
 * ESC[3J, erase the scrollback, as ncurses's clear does with its E3 capability. Arguments are
 * ignored, as busybox ignores them; status 1 when the write fails.
 */
export const CLEAR_SEQUENCE = "\x1b[H\x1b[J\x1b[3J";

export async function clear(_argv: readonly string[], sys: Syscalls): Promise<number> {
  const r = await sys.write(1, CLEAR_SEQUENCE);
  return r < 0 ? 1 : 0;
}

export const clear_command: Command = {
  name: "clear",
  summary: "clear the screen",
  usage: "Usage: clear\n\nClear screen\n",
  main: clear,
};
