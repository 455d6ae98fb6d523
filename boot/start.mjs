#!/usr/bin/env node
/**
 * The `npm start` launcher. Node 20 cannot run TypeScript by itself, so the sources are bundled
 * once with esbuild into node_modules/.cache/ringzero/ringzero.mjs (rebuilt whenever a source file
 * is newer than the bundle or its map, ~100 ms) and the bundle is run. Stack traces map back to the
 * .ts files through ringzero.mjs.map, a file beside the bundle: an inline map made the bundle four
 * times larger and cost ~30 ms to parse and scan on every start.
 */
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, "node_modules", ".cache", "ringzero", "ringzero.mjs");
const map = `${out}.map`;
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

/** When the bundle and its map were both written (0 when either is missing). */
function built_at() {
  try {
    return Math.min(statSync(out).mtimeMs, statSync(map).mtimeMs);
  } catch {
    return 0;
  }
}

if (built_at() < Math.max(...SOURCE_DIRS.map((d) => newest(join(root, d))))) {
  // Build in memory, then write private files and rename them over the map and then the bundle:
  // several launchers starting at once (parallel tests) never see a half-written file, nor a
  // bundle whose map is missing.
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
    // "linked" writes the map and the `//# sourceMappingURL=` comment Node needs to find it
    // ("external" writes the map without the comment, and stacks stop being mapped). The map
    // names the .ts files without their text: Node reads them from disk if it shows a line.
    sourcemap: "linked",
    sourcesContent: false,
    logLevel: "error",
  });
  mkdirSync(dirname(out), { recursive: true });
  for (const [file, ext] of [[map, ".mjs.map"], [out, ".mjs"]]) {
    const contents = result.outputFiles.find((f) => f.path.endsWith(ext))?.contents;
    if (contents === undefined) throw new Error(`esbuild wrote no ${ext} file`);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, contents);
    renameSync(tmp, file);
  }
}
process.env.RINGZERO_ROOT = root;
process.setSourceMapsEnabled(true);
await import(pathToFileURL(out).href);
