/**
 * The page on a real wire: `npm start -- --ws-relay PORT` on Node puts WebSocket clients on its
 * NIC's wire, so the page's machine gets its address from the Node side's user network and pings
 * both the gateway and the Node ringzero.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { free_port } from "../helpers/free_port.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENTRY, ROOT } from "../helpers/run_entry.ts";
import { have_chromium, open_page, start_site, type WebSite } from "./browser.ts";

let site: WebSite;
let node: ChildProcess | null = null;
let port = 0;

beforeAll(async () => {
  if (!have_chromium) return;
  site = await start_site();
  port = await free_port();
  const child = spawn(process.execPath, [ENTRY, "--ws-relay", String(port), "-c", "echo RELAY-UP; sleep 120"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  node = child;
  let out = "";
  await new Promise<void>((ok, fail) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("RELAY-UP")) ok();
    });
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => fail(new Error(`the Node ringzero exited (${code}):\n${out}`)));
  });
});

afterAll(async () => {
  node?.kill("SIGKILL");
  await site?.close();
});

describe.skipIf(!have_chromium)("the page through --ws-relay", () => {
  it("gets DHCP from the Node side and pings its gateway and the Node ringzero", async () => {
    const rz = await open_page(site, `?preset=relay&relay=ws://127.0.0.1:${port}/`);
    const boot = await rz.wait_for("ringzero:/# ");
    expect(boot).toContain("IP-Config: Got DHCP answer from 10.0.2.2, my address is 10.0.2.16");
    let from = boot.length;
    await rz.type("ping -c 2 10.0.2.2\r");
    let t = await rz.wait_for(/packet loss/, { from });
    expect(t.slice(from)).toContain("2 packets transmitted, 2 received, 0% packet loss");
    from = t.length;
    await rz.type("ping -c 2 10.0.2.15\r");
    t = await rz.wait_for(/packet loss/, { from });
    expect(t.slice(from)).toContain("2 packets transmitted, 2 received, 0% packet loss");
    expect(rz.errors).toEqual([]);
  });
});
