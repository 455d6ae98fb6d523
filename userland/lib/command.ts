import type { Program, Syscalls } from "../../include/uapi/syscalls.ts";

/**
 * A command in /bin, described where it is written: its name, the line `help` lists, and the text
 * `CMD --help` and `help CMD` print (busybox's shape: "Usage: …" then the options). Adding a command
 * is its file plus one line in userland/commands.ts.
 */
export interface Command {
  readonly name: string;
  /** One line for `help`'s list. */
  readonly summary: string;
  /** The full usage text, ending in a newline: "Usage: head [-n N] [FILE]...\n\n…". */
  readonly usage: string;
  readonly main: Program;
}

/**
 * The program /bin holds for `c`: `--help` as the only argument prints the usage to stdout and
 * exits 0, as busybox's applets do; anything else runs the command.
 */
export function command_program(c: Command): Program {
  return async (argv: readonly string[], sys: Syscalls): Promise<number> => {
    if (argv.length === 2 && argv[1] === "--help") {
      await sys.write(1, c.usage);
      return 0;
    }
    return c.main(argv, sys);
  };
}
