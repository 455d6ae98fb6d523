/** `npm run web`'s command line (web/build.ts): --build-only writes the page; bad input is one line and status 2. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");

function web(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(TSX, [join(ROOT, "web", "build.ts"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run web", () => {
  it("--build-only DIR writes the page and exits 0", () => {
    const dir = mkdtempSync(join(tmpdir(), "rz-web-cli-"));
    try {
      const r = web(["--build-only", dir]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^ringzero web: built .* \(\d+ KiB: index\.html/);
      for (const f of ["index.html", "main.js", "main.css"]) expect(existsSync(join(dir, f))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("refuses bad options and a port in use with one line and status 2", async () => {
    for (const [args, msg] of [
      [["--bogus"], "ringzero web: unknown option '--bogus' (try --help)\n"],
      [["--port", "99999"], "ringzero web: --port: expected 0-65535 (got '99999')\n"],
      [["--build-only"], "ringzero web: --build-only: a directory is needed\n"],
    ] as const) {
      const r = web([...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(msg);
    }
    const busy = createServer();
    await new Promise<void>((ok) => busy.listen(0, "127.0.0.1", ok));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = web(["--port", String(port)]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`ringzero web: cannot listen on 127.0.0.1:${port}: Address already in use (try --port)\n`);
    } finally {
      busy.close();
    }
  }, 60_000);
});
