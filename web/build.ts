/**
 * `npm run web`: build the page and serve it on 127.0.0.1; `npm run web -- --build-only DIR`:
 * write it to DIR for any static host. The page is three files and a source map — index.html,
 * main.js (the machine, kernel, drivers, stack, userland and xterm.js, bundled by esbuild for the
 * browser) and main.css — with nothing fetched from elsewhere at run time.
 *
 * This file runs on Node (the build and the little static server); nothing here is in the page.
 */
import { build } from "esbuild";
import { createServer } from "node:http";
import { copyFileSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { MODULE_INDEX, set_module_size_provider } from "../boot/modules.ts";
import { module_source_size_node } from "../boot/module_size_node.ts";
import { host_strerror } from "../hw/net/host_errno.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..");

const USAGE = `usage: npm run web -- [--build-only DIR] [--port PORT]

Builds the ringzero page (web/) and serves it on http://127.0.0.1:PORT/ (default 8080).
  --build-only DIR   write index.html, main.js, main.css and main.js.map to DIR and exit
  --port PORT        serve on this port (0: any free port)
  -h, --help         this text`;

export interface WebBuildResult {
  dir: string;
  /** Bytes of each file written. */
  files: Record<string, number>;
  /** Every source file the browser bundle holds, relative to the tree (for the boundary test). */
  inputs: string[];
}

/** Build the page into `dir`. Throws esbuild's error when a source does not build for a browser. */
export async function build_web(dir: string): Promise<WebBuildResult> {
  set_module_size_provider(module_source_size_node);
  const sizes: Record<string, number> = {};
  for (const e of MODULE_INDEX.values()) sizes[e.rel] = e.size;
  mkdirSync(dir, { recursive: true });
  const r = await build({
    entryPoints: [join(ROOT, "web", "main.ts")],
    outdir: dir,
    entryNames: "main",
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: "linked",
    sourcesContent: false,
    metafile: true,
    define: { RINGZERO_MODULE_SIZES: JSON.stringify(sizes) },
    logLevel: "error",
    absWorkingDir: ROOT,
  });
  copyFileSync(join(ROOT, "web", "index.html"), join(dir, "index.html"));
  const files: Record<string, number> = {};
  for (const f of ["index.html", "main.js", "main.css", "main.js.map"]) files[f] = statSync(join(dir, f)).size;
  return { dir, files, inputs: Object.keys(r.metafile.inputs) };
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".png": "image/png",
};

/** Serve `dir` on 127.0.0.1:port; resolves with the port listened on. */
export function serve_web(dir: string, port: number): Promise<{ port: number; close: () => void }> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      res.writeHead(400, { "content-type": "text/plain" }).end("bad request\n");
      return;
    }
    const file = normalize(join(root, path === "/" ? "index.html" : path));
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end("forbidden\n");
      return;
    }
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" }).end(body);
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => {
      const a = server.address();
      ok({ port: typeof a === "object" && a !== null ? a.port : port, close: () => server.close() });
    });
  });
}

async function main(argv: string[]): Promise<number> {
  let out: string | null = null;
  let port = 8080;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") {
      process.stdout.write(USAGE + "\n");
      return 0;
    } else if (a === "--build-only") {
      out = argv[++i] ?? "";
      if (out === "") return fail("--build-only: a directory is needed");
    } else if (a === "--port") {
      const v = argv[++i];
      port = Number(v);
      if (v === undefined || !/^\d+$/.test(v) || port > 65535) return fail(`--port: expected 0-65535 (got '${v ?? ""}')`);
    } else return fail(`unknown option '${a}' (try --help)`);
  }
  const dir = out ?? join(ROOT, "node_modules", ".cache", "ringzero", "web");
  let r: WebBuildResult;
  try {
    r = await build_web(dir);
  } catch (e) {
    return fail(`build failed: ${(e as Error).message.split("\n")[0]}`);
  }
  const total = Object.entries(r.files).filter(([f]) => !f.endsWith(".map")).reduce((s, [, n]) => s + n, 0);
  process.stdout.write(`ringzero web: built ${dir} (${(total / 1024).toFixed(0)} KiB: ${Object.entries(r.files).map(([f, n]) => `${f} ${(n / 1024).toFixed(0)} KiB`).join(", ")})\n`);
  if (out !== null) return 0;
  try {
    const s = await serve_web(dir, port);
    process.stdout.write(`ringzero web: serving on http://127.0.0.1:${s.port}/ (Ctrl-C stops)\n`);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return fail(`cannot listen on 127.0.0.1:${port}: ${host_strerror(err)} (try --port)`);
  }
  return -1;
}

function fail(msg: string): number {
  process.stderr.write(`ringzero web: ${msg}\n`);
  return 2;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exitCode = code;
}
