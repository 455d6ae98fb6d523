/**
 * The user network against the host's own programs, through the real entrypoint (what `npm start`
 * runs, on its default realtime clock): the guest's wget fetches from an HTTP server on the host's
 * 127.0.0.1 at 10.0.2.2, and a host client reaches the guest's httpd through `hostfwd` (the real
 * iperf3 against ringzero's is in iperf3_host.test.ts).
 */
import { createServer as http_server, get as http_get, type Server } from "node:http";
import { free_port } from "../helpers/free_port.ts";
import { afterEach, describe, expect, it } from "vitest";
import { RingzeroProcess } from "../helpers/child.ts";
import { run_ringzero } from "../helpers/run_entry.ts";

const live: RingzeroProcess[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((p) => p.kill()));
  for (const s of servers.splice(0)) s.close();
});

function fetch_text(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http_get(url, (res) => {
      let body = "";
      res.setEncoding("latin1");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`${url}: timed out`)));
  });
}

describe("wget from a server on the host, through the user network", () => {
  it("fetches a page from 127.0.0.1 at 10.0.2.2:PORT, follows a redirect, and saves with -O FILE", async () => {
    const body = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join("");
    const srv = http_server((req, res) => {
      if (req.url === "/old") {
        res.writeHead(301, { Location: "/page.txt" });
        res.end();
        return;
      }
      if (req.url === "/page.txt") {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end(body);
        return;
      }
      res.writeHead(404);
      res.end("no\n");
    });
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    const r = await run_ringzero(
      ["-c", `wget -O /tmp/p.txt http://10.0.2.2:${port}/old; echo rc=$?; cat /tmp/p.txt; wget -q http://10.0.2.2:${port}/nope; echo rc=$?`],
      "",
      60_000,
    );
    expect(r.stdout).toMatch(new RegExp(`Connecting to 10\\.0\\.2\\.2(:${port})? \\(10\\.0\\.2\\.2:${port}\\)`));
    expect(r.stdout).toContain("saving to '/tmp/p.txt'");
    expect(r.stdout).toContain("rc=0\n" + body);
    expect(r.stdout).toContain("wget: server returned error: HTTP/1.1 404 Not Found\nrc=1");
  }, 90_000);
});

describe("a host client reaches the guest through hostfwd", () => {
  it("curl's job, done by Node: GET /version from `httpd -h /proc` behind hostfwd=tcp::PORT-:80", async () => {
    const port = await free_port();
    const g = new RingzeroProcess(["-netdev", `user,id=n0,hostfwd=tcp::${port}-:80`, "-device", "e1000,netdev=n0"]);
    live.push(g);
    await g.ready(30_000);
    await g.run("httpd -p 80 -h /proc");
    const version = await fetch_text(`http://127.0.0.1:${port}/version`);
    expect(version.status).toBe(200);
    expect(version.body).toMatch(/^ringzero version \S+/);
    const missing = await fetch_text(`http://127.0.0.1:${port}/no/such/file`);
    expect(missing.status).toBe(404);
    // The connections were the user network's: counted on its hostfwd line.
    g.send("~info network");
    await g.wait_for(new RegExp(`hostfwd tcp 127\\.0\\.0\\.1:${port} -> 10\\.0\\.2\\.15:80 accepted=[12]`)); // Node's agent may keep the first connection alive
  }, 90_000);
});
