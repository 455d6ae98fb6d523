/**
 * The README's examples, run as shown. Every fenced block with a `$ ` host line or a
 * `ringzero:…# ` guest line is run through bash in a scratch directory (`npm start --` is the real
 * entrypoint; a guest session under `$ npm start …` is typed into its standard input), and every
 * output line the README shows must come out of that command — numbers compared as numbers of any
 * value (times and counters differ between runs), blanks as one space, `...` lines skipped. A
 * block that cannot run here (it needs QEMU, root, or minutes) is preceded in the README by
 * `<!-- readme-test: skip REASON -->`, and this test lists those reasons.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ENTRY, ROOT } from "../helpers/run_entry.ts";
import { GUEST_PROMPT, normalize_line, readme_blocks, readme_text, type ReadmeBlock } from "../helpers/readme_examples.ts";

const MARK = "@@readme-cmd@@";

function has_tool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

/** Skip markers: the line of each block they precede, with the reason. */
function skipped(text: string): Map<number, string> {
  const out = new Map<number, string>();
  const lines = text.split("\n");
  lines.forEach((l, i) => {
    const m = /^<!-- readme-test: skip (.+) -->$/.exec(l);
    if (m !== null) out.set(i + 2, m[1]!);
  });
  return out;
}

function sh_quote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** The block as a bash script: a marker line before each host command; sessions piped in. */
function script(block: ReadmeBlock): { text: string; outputs: string[][]; session_under: number } {
  const entry = `node ${sh_quote(ENTRY)}`;
  // A guest session shown without its host line runs on the default machine.
  const b: ReadmeBlock = block.host.length === 0 ? { ...block, host: [{ cmd: "npm start", output: [] }] } : block;
  let text = "cd \"$RZ_SCRATCH\"\n";
  const outputs: string[][] = [];
  let session_under = -1;
  b.host.forEach((h, i) => {
    const cmd = h.cmd.replace(/^npm start --(?=\s|$)/, entry).replace(/^npm start$/, entry);
    const is_last = i === b.host.length - 1;
    text += `echo ${MARK}\n`;
    if (is_last && b.session.length > 0 && cmd.startsWith(entry)) {
      session_under = i;
      const typed = b.session.map((s) => s.cmd);
      if (!typed.includes("poweroff")) typed.push("poweroff");
      text += `printf '%s\\n' ${typed.map(sh_quote).join(" ")} | ${cmd} 2>&1\n`;
    } else text += `${cmd} 2>&1\n`;
    outputs.push(h.output);
  });
  return { text: text + "kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; true\n", outputs, session_under };
}

function run_bash(text: string, scratch: string, timeout_ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", text], { cwd: ROOT, env: { ...process.env, RZ_SCRATCH: scratch }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`README block did not finish within ${timeout_ms} ms:\n${out}`));
    }, timeout_ms);
    child.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** README lines that must appear among the actual lines (as normalized keys). */
function missing_lines(expected: readonly string[], actual: string): string[] {
  const have = new Set(actual.split("\n").map(normalize_line));
  return expected.filter((l) => l.trim() !== "" && l.trim() !== "..." && l.trim() !== "$" && !have.has(normalize_line(l)));
}

const text = readme_text();
const skips = skipped(text);
const blocks = readme_blocks(text);

describe("the README's examples", () => {
  it("has examples, and every block it does not run says why", () => {
    expect(blocks.length).toBeGreaterThan(8);
    for (const [, reason] of skips) expect(reason.length).toBeGreaterThan(10);
  });

  for (const b of blocks) {
    const reason = skips.get(b.line);
    const title = `block at README.md:${b.line}: ${(b.host[0]?.cmd ?? b.session[0]?.cmd ?? "").slice(0, 70)}`;
    if (reason !== undefined) {
      it.skip(`${title} (${reason})`, () => {});
      continue;
    }
    // Host tools CI installs (tcpdump, iperf3): without them here, the block is skipped unless CI
    // asked for them (RZ_REQUIRE_TCPDUMP / RZ_REQUIRE_IPERF3), as the other interop tests do.
    const missing = ["tcpdump", "iperf3"].filter((tool) => b.host.some((h) => h.cmd.split(/\s+/)[0] === tool) && !has_tool(tool) && process.env[`RZ_REQUIRE_${tool.toUpperCase()}`] !== "1");
    if (missing.length > 0) {
      it.skip(`${title} (needs ${missing.join(", ")} on the host)`, () => {});
      continue;
    }
    it.concurrent(title, async () => {
      const scratch = mkdtempSync(join(tmpdir(), "rz-readme-"));
      try {
        const s = script(b);
        const out = await run_bash(s.text, scratch, 90_000);
        const parts = out.split(`${MARK}\n`).slice(1);
        expect(parts.length, out).toBe(s.outputs.length);
        parts.forEach((actual, i) => {
          const cmd = b.host[i]?.cmd ?? "npm start";
          expect(actual, cmd).not.toMatch(/command not found|syntax error|unknown option|Usage: /);
          if (i !== s.session_under) {
            expect(missing_lines(s.outputs[i]!, actual), `${cmd}\n--- actual:\n${actual}`).toEqual([]);
            return;
          }
          // A guest session: the boot log up to the first prompt, then one chunk per command.
          const chunks = actual.split(new RegExp(GUEST_PROMPT.source.replace("^", "(?:^|\\n)"))).map((c) => c);
          expect(missing_lines(s.outputs[i]!, chunks[0] ?? ""), `boot log of ${cmd}\n--- actual:\n${chunks[0]}`).toEqual([]);
          b.session.forEach((g, k) => {
            const chunk = chunks[k + 1] ?? "";
            expect(missing_lines(g.output, chunk), `${g.cmd}\n--- actual:\n${chunk}`).toEqual([]);
          });
        });
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    }, 120_000);
  }

  it.concurrent("every `npm start -- …` the prose shows starts and exits 0 (interactive ones given -c true)", async () => {
    const inline = [...new Set([...text.matchAll(/`(npm start -- [^`]*)`/g)].map((m) => m[1]!))];
    expect(inline.length).toBeGreaterThan(2);
    const scratch = mkdtempSync(join(tmpdir(), "rz-readme-"));
    try {
      for (const cmd of inline) {
        const runs = / -c |--help/.test(cmd) ? cmd : `${cmd} -c true`;
        const out = await run_bash(`cd "$RZ_SCRATCH"\n${runs.replace(/^npm start --/, `node ${sh_quote(ENTRY)}`)} 2>&1\necho "exit=$?"\n`, scratch, 60_000);
        expect(out, cmd).toMatch(/exit=0\n$/);
        expect(out, cmd).not.toMatch(/command not found|unknown option/);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);
});
