import type { Program } from "../include/uapi/syscalls.ts";
import { COMMANDS } from "./commands.ts";
import { host } from "./bin/host.ts";
import { nslookup } from "./bin/nslookup.ts";
import { init } from "./init.ts";
import { sh } from "./sh.ts";
import { ss } from "./bin/ss.ts";

/** Everything in /bin: init, the shell and the commands. boot/ hands this to the kernel. */
export const PROGRAMS: ReadonlyMap<string, Program> = new Map<string, Program>([["init", init], ["sh", sh], ...COMMANDS, ["host", host], ["nslookup", nslookup], ["ss", ss]]);
