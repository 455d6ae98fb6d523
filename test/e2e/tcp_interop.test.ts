/**
 * TCP between two ringzero processes started through the real entrypoint (what `npm start` runs),
 * on one wire made of QEMU's `-netdev stream` over a UNIX socket: `nc` both ways with the
 * data on the host's standard input, as `printf … | npm start -- -c "nc HOST PORT"` is used, and
 * iperf3 both ways (-R).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RingzeroProcess } from "../helpers/child.ts";
import { run_ringzero } from "../helpers/run_entry.ts";

const live: RingzeroProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(live.splice(0).map((p) => p.kill()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function wire(): { server: string[]; client: string[] } {
  const d = mkdtempSync(join(tmpdir(), "rz-tcp-"));
  dirs.push(d);
  const path = join(d, "wire.sock");
  return {
    server: ["-nodefaults", "-netdev", `stream,id=n0,server=on,addr.type=unix,addr.path=${path}`, "-device", "e1000,netdev=n0,mac=52:54:00:00:00:0a", "--ip", "10.0.6.1/24"],
    client: ["-nodefaults", "-netdev", `stream,id=n0,server=off,addr.type=unix,addr.path=${path},reconnect-ms=100`, "-device", "e1000,netdev=n0,mac=52:54:00:00:00:0b", "--ip", "10.0.6.2/24"],
  };
}

describe("nc between two ringzero processes, standard input piped in", () => {
  it("carries the client's stdin to a listener, and the listener's stdin back, then both exit 0", async () => {
    const w = wire();
    const listener = new RingzeroProcess(w.server);
    live.push(listener);
    await listener.ready();
    // The listener's console holds a line for nc -l to send once a peer is connected.
    listener.send("nc -l -p 5000");
    listener.send("hello-from-listener");
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${"x".repeat(i % 70)}`);
    const client = await run_ringzero([...w.client, "-c", "nc -w 5 10.0.6.1 5000; echo nc-status=$?"], lines.join("\n") + "\n", 60_000);
    expect(client.code).toBe(0);
    expect(client.stdout).toContain("hello-from-listener");
    expect(client.stdout).toContain("nc-status=0");
    await listener.wait_for(/line 199 x+\n[\s\S]*ringzero:\/# /);
    for (const l of lines) expect(listener.output).toContain(l + "\n");
  }, 90_000);
});

describe("iperf3 between two ringzero processes", () => {
  it("measures both directions (-R): sender and receiver summaries on the client, the server reports its side of each", async () => {
    const w = wire();
    const server = new RingzeroProcess(w.server);
    live.push(server);
    await server.ready();
    server.send("iperf3 -s");
    await server.wait_for(/Server listening on 5201/);
    const client = await run_ringzero([...w.client, "-c", "iperf3 -c 10.0.6.1 -t 1; echo rc=$?; iperf3 -c 10.0.6.1 -t 1 -R; echo rc=$?"], "", 60_000);
    expect(client.code).toBe(0);
    const out = client.stdout;
    expect(out).toMatch(/Connecting to host 10\.0\.6\.1, port 5201/);
    expect(out).toContain("Reverse mode, remote host 10.0.6.1 is sending");
    const summaries = [...out.matchAll(/\[ *\d+\] +0\.00-\S+ +sec +([\d.]+ [KMG]Bytes) +[\d.]+ [KMG]bits\/sec.*(sender|receiver)/g)].map((m) => [m[1], m[2]]);
    expect(summaries.map((x) => x[1])).toEqual(["sender", "receiver", "sender", "receiver"]);
    expect(out.match(/iperf Done\.\nrc=0/g)).toHaveLength(2);
    // The server printed its side of both tests: what it received first, what it sent second.
    await server.wait_for(/receiver[\s\S]*Accepted connection from 10\.0\.6\.2[\s\S]*sender/, 30_000);
  }, 90_000);
});
