#!/usr/bin/env node
/**
 * The `npm start` launcher. Node 20 cannot run TypeScript by itself, so the sources are bundled
 * once with esbuild into node_modules/.cache/ringzero/ringzero.mjs (rebuilt whenever a source file
 * is newer than the bundle, ~100 ms) and the bundle is run. Stack traces map back to the .ts files.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, "node_modules", ".cache", "ringzero", "ringzero.mjs");
const SOURCE_DIRS = ["boot", "hw", "kernel", "drivers", "include", "net", "userland", "lib"];

function newest(dir) {
  let t = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith(".ts")) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const stale = !existsSync(out) || statSync(out).mtimeMs < Math.max(...SOURCE_DIRS.map((d) => newest(join(root, d))));
if (stale) {
  // Build in memory, then write a private file and rename it over the bundle: several launchers
  // starting at once (parallel tests) never see a half-written bundle.
  // esbuild is loaded only to rebuild: importing it costs tens of milliseconds on every start.
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [join(root, "boot", "main.ts")],
    outfile: out,
    write: false,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: "inline",
    logLevel: "error",
  });
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, result.outputFiles[0].contents);
  renameSync(tmp, out);
}
process.env.RINGZERO_ROOT = root;
process.setSourceMapsEnabled(true);
await import(pathToFileURL(out).href);
