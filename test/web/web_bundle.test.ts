/**
 * The browser bundle's boundary, as test/boundary.test.ts polices the hardware's: the page holds
 * the machine, kernel, drivers, stack and userland, and none of the Node-only parts — sockets, the
 * host resolver, capture files, the host-directory share, the lockup watchdog's thread, the
 * launcher and the host terminal. esbuild's browser build refuses `node:` imports outright; this
 * test also names the files that must stay out, so a Node-only file reached through a type-only
 * path or a shim is caught, and checks that the build writes every asset the page loads.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build_web, type WebBuildResult } from "../../web/build.ts";

const NODE_ONLY = [
  "boot/main.ts",
  "boot/start.mjs",
  "boot/netdevs.ts",
  "boot/hostfs_node.ts",
  "boot/lockup_watchdog.ts",
  "boot/module_size_node.ts",
  "hw/net/host_net_node.ts",
  "hw/net/host_resolver.ts",
  "hw/net/netdev_stream.ts",
  "hw/net/netdev_dgram.ts",
  "hw/net/netdev_ws_relay.ts",
  "hw/net/netdev_tap.ts",
  "hw/net/host_errno.ts",
  "hw/net/pcap.ts",
  "web/build.ts",
];

const ROOT = resolve(import.meta.dirname, "..", "..");
let dir = "";
let r: WebBuildResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rz-web-"));
  r = await build_web(dir);
}, 60_000);

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("the page's bundle", () => {
  it("holds the machine, the kernel, both NIC drivers, the stack, the shell and xterm.js", () => {
    for (const f of ["hw/machine.ts", "hw/net/e1000.ts", "hw/net/virtio_net.ts", "kernel/main.ts", "drivers/net/e1000.ts", "drivers/net/virtio_net.ts", "net/inet.ts", "userland/sh/sh.ts", "web/main.ts"]) {
      expect(r.inputs, f).toContain(f);
    }
    expect(r.inputs.some((f) => f.includes("@xterm/xterm"))).toBe(true);
  });

  it("leaves out every Node-only part", () => {
    expect(r.inputs.filter((f) => NODE_ONLY.includes(f))).toEqual([]);
    expect(r.inputs.filter((f) => f.startsWith("node:"))).toEqual([]);
    // No source in the bundle imports a Node module (a `node:` import would not run in a page).
    const offenders = r.inputs.filter((f) => !f.includes("node_modules") && !f.startsWith("<") && /\bfrom\s+["']node:|import\(\s*["']node:/.test(readFileSync(join(ROOT, f), "utf8")));
    expect(offenders).toEqual([]);
  });

  it("writes every file the page loads, with nothing fetched from elsewhere", () => {
    const html = readFileSync(join(dir, "index.html"), "utf8");
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((u) => !u.startsWith("data:"));
    expect(refs.sort()).toEqual(["main.css", "main.js"]);
    for (const f of refs) expect(r.files[f]).toBeGreaterThan(0);
    const js = readFileSync(join(dir, "main.js"), "utf8");
    expect(js).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[a-z0-9.-]+\.(?:com|net|org|io)\/[^"'\s]*\.(?:js|css|woff2?)/i);
    expect(r.files["main.css"]).toBeGreaterThan(1000); // xterm.js's stylesheet is in it
  });
});
