import type { Program } from "../include/uapi/syscalls.ts";
import { COMMANDS } from "./commands.ts";
import { command_program } from "./lib/command.ts";
import { init } from "./init.ts";
import { sh } from "./sh/sh.ts";

/** Everything in /bin: init, the shell and the commands. boot/ hands this to the kernel. */
export const PROGRAMS: ReadonlyMap<string, Program> = new Map<string, Program>([["init", init], ["sh", sh], ...COMMANDS.map((c): [string, Program] => [c.name, command_program(c)])]);
