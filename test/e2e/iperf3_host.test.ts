/**
 * ringzero's iperf3 against the real one (/usr/bin/iperf3, esnet iperf 3.x) over the user
 * network's NAT, each ringzero started through the real entrypoint as `npm start` runs it:
 *   - the host's `iperf3 -c 127.0.0.1 -p PORT` reaches `iperf3 -s -1` in the guest through
 *     `-netdev user,hostfwd=tcp::PORT-:5201`, both directions (-R);
 *   - the guest's `iperf3 -c 10.0.2.2 -p PORT` reaches the host's `iperf3 -s -1 -p PORT`, both
 *     directions.
 * Each end's report is checked against the other's: the byte counts one side measured arrive in
 * the other's summary through the results exchange, so a protocol mistake shows as a failure or
 * a mismatch. Realtime clock (the NAT needs it), so waits are wall-clock deadlines, never sleeps.
 * Skipped where the host has no iperf3.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { free_port } from "../helpers/free_port.ts";
import { afterEach, describe, expect, it } from "vitest";
import { unit_snprintf } from "../../userland/lib/iperf_locale.ts";
import { RingzeroProcess } from "../helpers/child.ts";
import { run_ringzero } from "../helpers/run_entry.ts";

const IPERF3 = "/usr/bin/iperf3";
const live: RingzeroProcess[] = [];
const hosts: { kill: () => void }[] = [];

afterEach(async () => {
  for (const h of hosts.splice(0)) h.kill();
  await Promise.all(live.splice(0).map((p) => p.kill()));
});

/** Run the host's iperf3; resolves with its exit status and output. */
function host_iperf3(args: string[]): { done: Promise<{ code: number | null; out: string; err: string }> } {
  const child = spawn(IPERF3, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  hosts.push({ kill: () => child.exitCode === null && child.kill("SIGKILL") });
  return { done: new Promise((resolve) => child.on("close", (code) => resolve({ code, out, err }))) };
}

/** Whether something listens on the port (the host's /proc/net/tcp and tcp6, state 0A: iperf3 -s takes [::]). */
function host_listening(port: number): boolean {
  const re = new RegExp(`^\\s*\\d+: [0-9A-F]+:${port.toString(16).toUpperCase().padStart(4, "0")} [0-9A-F]+:0000 0A `, "m");
  return ["/proc/net/tcp", "/proc/net/tcp6"].some((f) => existsSync(f) && re.test(readFileSync(f, "utf8")));
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setImmediate(r));
  }
}

/** The transfer of a summary line "[  N]   0.00-T   sec  TRANSFER  RATE   ...   ROLE" (or "[SUM]"). */
function summary(text: string, role: "sender" | "receiver", id = " *\\d+"): string {
  const m = new RegExp(`^\\[${id}\\] +0\\.00-\\S+ +sec +(\\S+ \\S+) +\\S+ \\S+.*${role}$`, "m").exec(text);
  if (m === null) throw new Error(`no ${role} line in:\n${text}`);
  return m[1]!;
}

/** The guest, serving one test on 5201 behind hostfwd PORT. */
async function guest_server(port: number): Promise<RingzeroProcess> {
  const g = new RingzeroProcess(["-nodefaults", "-netdev", `user,id=n0,hostfwd=tcp::${port}-:5201`, "-device", "e1000,netdev=n0", "-c", "iperf3 -s -1; echo guest-rc=$?"]);
  live.push(g);
  await g.wait_for(/Server listening on 5201 \(test #1\)/, 30_000);
  return g;
}

if (!existsSync(IPERF3) && process.env.RZ_REQUIRE_IPERF3 === "1") throw new Error("iperf3 is required (RZ_REQUIRE_IPERF3=1): apt-get install iperf3");

describe.skipIf(!existsSync(IPERF3))("ringzero's iperf3 and the host's real iperf3", () => {
  it("host client -P 2 → guest server (hostfwd): the host's JSON and the guest's report agree", async () => {
    const port = await free_port();
    const g = await guest_server(port);
    const h = await host_iperf3(["-c", "127.0.0.1", "-p", String(port), "-t", "1", "-P", "2", "-J"]).done;
    expect(h.code).toBe(0);
    const j = JSON.parse(h.out);
    expect(j.error).toBeUndefined();
    expect(j.end.sum_sent.bytes).toBeGreaterThan(1_000_000);
    await g.wait_for(/guest-rc=0/, 20_000);
    expect(g.output).toMatch(/Accepted connection from 10\.0\.2\.2, port \d+\n(\[  \d\] local 10\.0\.2\.15 port 5201 connected to 10\.0\.2\.2 port \d+\n){2}/);
    // What the guest received is what the host's summary says was received (from our results,
    // matched to the host's streams by id: 1 and 3).
    expect(j.end.streams).toHaveLength(2);
    expect(summary(g.output, "receiver", "SUM")).toBe(`${unit_snprintf(j.end.sum_received.bytes, "A")}s`.trim());
  }, 60_000);

  it("host client -R → guest server: the guest sends; the host's receiver and the guest's sender agree", async () => {
    const port = await free_port();
    const g = await guest_server(port);
    const h = await host_iperf3(["-c", "127.0.0.1", "-p", String(port), "-t", "1", "-R", "-J"]).done;
    expect(h.code).toBe(0);
    const j = JSON.parse(h.out);
    expect(j.error).toBeUndefined();
    expect(j.start.test_start.reverse).toBe(1);
    expect(j.end.sum_received.bytes).toBeGreaterThan(1_000_000);
    await g.wait_for(/guest-rc=0/, 20_000);
    expect(summary(g.output, "sender")).toBe(`${unit_snprintf(j.end.sum_sent.bytes, "A")}s`.trim());
    expect(j.end.sum_sent.retransmits).toBeUndefined(); // our sender reports none (no TCP_INFO)
  }, 60_000);

  it("guest client -P 2 → host server (10.0.2.2): both JSON documents carry the same counts", async () => {
    const port = await free_port();
    const srv = host_iperf3(["-s", "-1", "-p", String(port), "-J"]);
    await until(() => host_listening(port), 10_000);
    const g = await run_ringzero(["-c", `iperf3 -c 10.0.2.2 -p ${port} -t 1 -P 2 -J`], "", 60_000);
    const h = await srv.done;
    expect(g.code).toBe(0);
    expect(h.code).toBe(0);
    const gj = JSON.parse(g.stdout.slice(g.stdout.indexOf("{\n")));
    const hj = JSON.parse(h.out);
    expect(gj.error).toBeUndefined();
    expect(hj.error).toBeUndefined();
    expect(gj.start.connecting_to).toEqual({ host: "10.0.2.2", port });
    expect(hj.start.test_start).toMatchObject({ protocol: "TCP", num_streams: 2, blksize: 131072, duration: 1, reverse: 0 });
    expect(gj.end.sum_sent.bytes).toBeGreaterThan(1_000_000);
    expect(gj.end.sum_received.bytes).toBe(hj.end.sum_received.bytes);
    expect(gj.end.streams.map((st: any) => st.receiver.bytes)).toEqual(hj.end.streams.map((st: any) => st.receiver.bytes));
  }, 90_000);

  it("guest client -R → host server: the host's retransmits and congestion control reach the guest's summary", async () => {
    const port = await free_port();
    const srv = host_iperf3(["-s", "-1", "-p", String(port), "-J"]);
    await until(() => host_listening(port), 10_000);
    const g = await run_ringzero(["-c", `iperf3 -c 10.0.2.2 -p ${port} -t 1 -R -J`], "", 60_000);
    const h = await srv.done;
    expect(g.code).toBe(0);
    expect(h.code).toBe(0);
    const gj = JSON.parse(g.stdout.slice(g.stdout.indexOf("{\n")));
    const hj = JSON.parse(h.out);
    expect(gj.end.sum_received.bytes).toBeGreaterThan(1_000_000);
    expect(gj.end.sum_sent.bytes).toBe(hj.end.sum_sent.bytes);
    expect(gj.end.sum_sent.retransmits).toBe(hj.end.sum_sent.retransmits);
    expect(gj.end.sender_tcp_congestion).toBe(hj.end.sender_tcp_congestion);
  }, 90_000);
});
