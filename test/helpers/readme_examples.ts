/**
 * The README's examples, read out of README.md so a test can run them: host command lines
 * (`$ …`, with the output lines that follow them) and guest sessions (`ringzero:/# …` lines inside
 * a block, with their output), each block in order. Blocks that are code (```ts) are not examples.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./run_entry.ts";

export interface ReadmeCommand {
  /** The command as typed (without the prompt; a trailing `# comment` kept). */
  readonly cmd: string;
  /** The output lines the README shows under it. */
  readonly output: string[];
}

export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** Host command lines (`$ …`), in order; a guest session under `$ npm start …` is in `session`. */
  readonly host: ReadmeCommand[];
  /** Guest commands (`ringzero:DIR# …`) in order. */
  readonly session: ReadmeCommand[];
}

export const GUEST_PROMPT = /^ringzero:[^#\s]*# ?/;

export function readme_text(): string {
  return readFileSync(join(ROOT, "README.md"), "utf8");
}

/** Every fenced block that holds a `$ ` or `ringzero:…# ` line. */
export function readme_blocks(text = readme_text()): ReadmeBlock[] {
  const lines = text.split("\n");
  const out: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)/.exec(lines[i]!);
    if (fence === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) body.push(lines[i]!);
    if (fence[1] !== "" && fence[1] !== "console" && fence[1] !== "sh" && fence[1] !== "shell") continue;
    const host: ReadmeCommand[] = [];
    const session: ReadmeCommand[] = [];
    let cur: ReadmeCommand | null = null;
    for (const l of body) {
      if (l.startsWith("$ ")) {
        cur = { cmd: l.slice(2), output: [] };
        host.push(cur);
      } else if (GUEST_PROMPT.test(l)) {
        cur = { cmd: l.replace(GUEST_PROMPT, ""), output: [] };
        session.push(cur);
      } else if (cur !== null) cur.output.push(l);
    }
    if (host.length > 0 || session.length > 0) out.push({ line: start + 1, host, session });
  }
  return out;
}

/**
 * A line as a comparison key: numbers become `#` (times, counters and addresses differ from run to
 * run), runs of blanks one space (column widths follow the numbers), ends trimmed.
 */
export function normalize_line(l: string): string {
  return l
    .replace(/\d+(\.\d+)?/g, "#")
    .replace(/[ \t]+/g, " ")
    .trim();
}
