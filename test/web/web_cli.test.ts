/** `npm run web`'s command line (web/build.ts): --build-only writes the page; bad input is one line and status 2. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { serve_web } from "../../web/build.ts";

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

/** One raw GET (the path as written: no client-side normalisation). */
function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET" }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the page's server", () => {
  it("serves the page's files with their types, and only them: 404, 403 outside the directory, 400 for a malformed path", async () => {
    const root = mkdtempSync(join(tmpdir(), "rz-serve-"));
    const dir = join(root, "site");
    mkdirSync(dir);
    writeFileSync(join(dir, "index.html"), "<!doctype html>");
    writeFileSync(join(dir, "main.js"), "export {};");
    writeFileSync(join(root, "secret.txt"), "not for the web");
    const s = await serve_web(dir, 0);
    try {
      expect(await get(s.port, "/")).toMatchObject({ status: 200, type: "text/html; charset=utf-8", body: "<!doctype html>" });
      expect(await get(s.port, "/main.js?x=1")).toMatchObject({ status: 200, type: "text/javascript; charset=utf-8" });
      expect((await get(s.port, "/nope.css")).status).toBe(404);
      expect((await get(s.port, "/../secret.txt")).status).not.toBe(200);
      expect((await get(s.port, "/%2e%2e/secret.txt")).status).toBe(404); // the URL parser resolves it inside
      expect((await get(s.port, "/..%2fsecret.txt")).status).toBe(403); // an encoded slash does not
      expect((await get(s.port, "/%E0%A4%A.js")).status).toBe(400);
    } finally {
      s.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
