/** Run the real entrypoint (what `npm start` runs) as a child process. */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const ENTRY = join(ROOT, "boot", "start.mjs");

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Start ringzero with `args`, feed `stdin` (then close it), collect everything. */
export function run_ringzero(args: readonly string[], stdin = "", timeout_ms = 20_000): Promise<RunResult> {
  return new Promise((resolve_, reject) => {
    const child = spawn(process.execPath, [ENTRY, ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`ringzero ${args.join(" ")} did not exit within ${timeout_ms} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeout_ms);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve_({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}
