/**
 * The WebSocket relay (--ws-relay) and the page's WebSocket back-end, on loopback sockets only:
 * the RFC 6455 handshake and its refusals, frames both ways across the relay's hub between raw
 * clients, the NIC side and the back-end side, hostile input (counted, closed, never thrown), the
 * port-in-use line, power-off, and netdev_websocket.ts against the relay through a small client
 * (test/helpers/ws_client.ts). Machine time moves only when a test advances the clock; host
 * waits poll the sockets with a deadline.
 */
import { afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../hw/clock.ts";
import { Tracer } from "../../hw/trace.ts";
import { net_connect, type NetEndpoint } from "../../hw/net/net_endpoint.ts";
import { UserNet } from "../../hw/net/user_net.ts";
import { WsRelay, ws_accept_key, ws_loopback_origin } from "../../hw/net/netdev_ws_relay.ts";
import { WebSocketBackend, type WebSocketLike } from "../../hw/net/netdev_websocket.ts";
import { WS_OPCODE, WsParser, ws_frame_encode, ws_record_message, type WsEvent } from "../../hw/net/websocket_frame.ts";
import { StreamRecordParser, stream_record_encode } from "../../hw/net/stream_framing.ts";
import { NodeWsClient, client_frame, raw_ws, type RawWs } from "../helpers/ws_client.ts";
import { frame_builder } from "../helpers/frames.ts";
import { boot_host } from "../helpers/net_machine.ts";
import { World } from "../../hw/world.ts";

class Collector implements NetEndpoint {
  peer: NetEndpoint | null = null;
  readonly frames: number[][] = [];
  readonly carrier: boolean[] = [];
  link = true;
  receive_frame(f: Uint8Array, len: number): boolean {
    if (!this.link) return false;
    this.frames.push([...f.subarray(0, len)]);
    return true;
  }
  peer_link_changed(up: boolean): void {
    this.carrier.push(up);
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** Wait (host time, bounded) until `pred` holds, running `each` (clock advances) between polls. */
async function until(pred: () => boolean, each: () => void = () => {}): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    each();
    if (pred()) return;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setImmediate(r));
  }
}

/** An Ethernet frame of `len` bytes filled with `fill` (broadcast destination). */
function eth(len: number, fill: number): Uint8Array {
  const f = new Uint8Array(len).fill(fill);
  f.fill(0xff, 0, 6);
  return f;
}

function record(len: number, fill: number): Uint8Array {
  return stream_record_encode(eth(len, fill), len);
}

async function relay_setup(port = 0) {
  const clock = new VirtualClock();
  const log: string[] = [];
  let kicks = 0;
  const relay = new WsRelay({ port, clock, tracer: new Tracer((l) => log.push(l)), kick: () => kicks++ });
  const nic = new Collector();
  const back = new Collector();
  net_connect(nic, relay.nic_side);
  net_connect(relay.net_side, back);
  expect(await relay.start()).toBeNull();
  cleanups.push(() => relay.stop());
  const p = Number(/:(\d+)\/$/.exec(relay.url())![1]);
  /** Let the machine's clock take what is queued. */
  const run = (): void => void clock.advance_to(clock.now_ns() + 1);
  return { relay, clock, nic, back, log, port: p, run, kicks: () => kicks };
}

async function raw(port: number, request?: string): Promise<RawWs> {
  const r = await raw_ws(port, request);
  cleanups.push(() => r.sock.destroy());
  return r;
}

/** The records in the server's binary messages so far. */
function records_of(events: WsEvent[]): number[][] {
  const out: number[][] = [];
  const p = new StreamRecordParser(65535);
  for (const e of events) if (e.type === "message" && e.opcode === WS_OPCODE.BINARY) p.feed(e.data, (f) => out.push([...f]));
  return out;
}

function close_code(r: RawWs): number | undefined {
  const c = r.events().find((e) => e.type === "close");
  return c?.type === "close" ? c.code : undefined;
}

describe("ws-relay handshake", () => {
  it("answers the RFC 6455 example key with 101 and its Sec-WebSocket-Accept", async () => {
    expect(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    const s = await relay_setup();
    const r = await raw(s.port, `GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:8080\r\n\r\n`);
    expect(r.response).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(r.response).toContain("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n");
    await until(() => s.relay.clients.length === 1);
    expect(s.relay.where()).toMatch(/^ws-relay ws:\/\/127\.0\.0\.1:\d+\/ listening, 1 client$/);
  });

  it("refuses what is not a WebSocket handshake, with the HTTP status that says why", async () => {
    const s = await relay_setup();
    const key = "AAAAAAAAAAAAAAAAAAAAAA==";
    const req = (lines: string) => `GET / HTTP/1.1\r\nHost: x\r\n${lines}\r\n`;
    const cases: [string, RegExp][] = [
      [req(""), /^HTTP\/1\.1 426 /],
      [req(`Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 8\r\n`), /^HTTP\/1\.1 426 [^]*Sec-WebSocket-Version: 13\r\n/],
      [req(`Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n`), /^HTTP\/1\.1 400 /],
      [req(`Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`), /^HTTP\/1\.1 400 /],
      [req(`Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n`), /^HTTP\/1\.1 403 /],
      ["NOT HTTP AT ALL\r\n\r\n", /^HTTP\/1\.1 400 /],
    ];
    for (const [request, want] of cases) {
      const r = await raw(s.port, request);
      expect(r.response).toMatch(want);
      await until(() => r.closed());
    }
    expect(s.relay.totals.refused).toBe(4); // the upgrades; the plain GET and the garbage never got that far
    expect(s.relay.clients.length).toBe(0);
    expect(s.log.some((l) => l.includes("origin https://evil.example is not allowed"))).toBe(true);
    expect(ws_loopback_origin("http://localhost:5173")).toBe(true);
    expect(ws_loopback_origin("null")).toBe(false);
  });

  it("takes at most max_clients at once", async () => {
    const clock = new VirtualClock();
    const relay = new WsRelay({ port: 0, clock, tracer: new Tracer(), kick: () => {}, max_clients: 1 });
    expect(await relay.start()).toBeNull();
    cleanups.push(() => relay.stop());
    const port = Number(/:(\d+)\/$/.exec(relay.url())![1]);
    expect((await raw(port)).response).toMatch(/^HTTP\/1\.1 101 /);
    expect((await raw(port)).response).toMatch(/^HTTP\/1\.1 503 /);
  });

  it("reports a port in use as QEMU words it, and binds nothing", async () => {
    const s = await relay_setup();
    const other = new WsRelay({ port: s.port, clock: new VirtualClock(), tracer: new Tracer(), kick: () => {} });
    expect(await other.start()).toBe(`--ws-relay: Address already in use (127.0.0.1:${s.port})`);
    expect(other.where()).toContain("not listening");
    other.stop();
  });
});

describe("ws-relay wire", () => {
  it("carries a client's frames to the NIC and the back-end, and theirs to the client", async () => {
    const s = await relay_setup();
    const r = await raw(s.port);
    await until(() => s.relay.clients.length === 1);
    // Two records in one message, then one split across two messages.
    const two = new Uint8Array([...record(60, 1), ...record(61, 2)]);
    r.sock.write(client_frame(0x82, two));
    const third = record(1514, 3);
    r.sock.write(client_frame(0x82, third.subarray(0, 700)));
    r.sock.write(client_frame(0x82, third.subarray(700)));
    await until(() => s.nic.frames.length === 3, s.run);
    expect(s.kicks()).toBeGreaterThan(0);
    expect(s.nic.frames.map((f) => [f.length, f[6]])).toEqual([[60, 1], [61, 2], [1514, 3]]);
    expect(s.back.frames.map((f) => f.length)).toEqual([60, 61, 1514]);
    // The NIC transmits; then the back-end answers.
    s.relay.nic_side.receive_frame(eth(64, 7), 64);
    s.relay.net_side.receive_frame(eth(70, 8), 70);
    await until(() => records_of(r.events()).length === 2);
    expect(records_of(r.events()).map((f) => [f.length, f[6]])).toEqual([[64, 7], [70, 8]]);
    expect(s.back.frames.at(-1)!.length).toBe(64);
    expect(s.nic.frames.at(-1)!.length).toBe(70);
    const c = s.relay.clients[0]!;
    expect([c.stats.rx_frames, c.stats.rx_bytes, c.stats.tx_frames, c.stats.tx_bytes]).toEqual([3, 60 + 61 + 1514, 2, 134]);
    expect(s.relay.nic_side.describe!()).toMatch(/ws1 127\.0\.0\.1:\d+ rx=3\/1635B tx=2\/134B dropped: runt=0 oversize=0/);
  });

  it("joins two clients to each other, and counts what the NIC did not hear", async () => {
    const s = await relay_setup();
    const a = await raw(s.port);
    const b = await raw(s.port);
    await until(() => s.relay.clients.length === 2);
    s.nic.link = false;
    a.sock.write(client_frame(0x82, record(60, 9)));
    await until(() => records_of(b.events()).length === 1, s.run);
    expect(records_of(a.events())).toEqual([]); // a hub does not echo
    expect(s.relay.hub.ports[0]!.dropped_no_link).toBe(1);
    expect(s.back.frames.length).toBe(1);
  });

  it("answers a ping, and a client's close with the same code; its port is reused", async () => {
    const s = await relay_setup();
    const r = await raw(s.port);
    await until(() => s.relay.clients.length === 1);
    const ports = s.relay.hub.ports.length;
    r.sock.write(client_frame(0x89, Uint8Array.of(1, 2, 3)));
    await until(() => r.events().some((e) => e.type === "pong"));
    expect(r.events().find((e) => e.type === "pong")).toEqual({ type: "pong", data: Uint8Array.of(1, 2, 3) });
    r.sock.write(client_frame(0x88, Uint8Array.of(0x0f, 0xa0))); // 4000
    await until(() => close_code(r) === 4000 && r.closed(), s.run);
    expect(s.relay.clients.length).toBe(0);
    s.run();
    expect(s.relay.totals.gone).toBe(1);
    const again = await raw(s.port);
    await until(() => s.relay.clients.length === 1);
    again.sock.write(client_frame(0x82, record(60, 5)));
    await until(() => s.nic.frames.length === 1, s.run);
    expect(s.relay.hub.ports.length).toBe(ports);
  });

  it("delivers frames that came just before the close; counts a record cut by the end of the connection", async () => {
    const s = await relay_setup();
    const r = await raw(s.port);
    await until(() => s.relay.clients.length === 1);
    const c = s.relay.clients[0]!;
    const half = record(200, 6).subarray(0, 50);
    r.sock.end(new Uint8Array([...client_frame(0x82, record(60, 5)), ...client_frame(0x82, half)]));
    await until(() => !c.connected());
    expect(s.nic.frames).toEqual([]); // still queued: the machine's clock has not taken it
    s.run();
    expect(s.nic.frames.map((f) => f[6])).toEqual([5]);
    expect([c.stats.rx_frames, c.stats.dropped_no_link, c.stats.truncated, c.ws.close_code]).toEqual([1, 0, 1, 1006]);
    expect(s.relay.totals).toMatchObject({ gone: 1, rx_frames: 1, dropped: 1 });
  });

  it("reassembles a fragmented message", async () => {
    const s = await relay_setup();
    const r = await raw(s.port);
    await until(() => s.relay.clients.length === 1);
    const rec = record(100, 4);
    r.sock.write(client_frame(0x02, rec.subarray(0, 10))); // binary, FIN clear
    r.sock.write(client_frame(0x89, new Uint8Array(0))); // a ping may come between fragments
    r.sock.write(client_frame(0x80, rec.subarray(10))); // continuation, FIN
    await until(() => s.nic.frames.length === 1, s.run);
    expect(s.nic.frames[0]!.length).toBe(100);
  });
});

describe("ws-relay hostile input", () => {
  const cases: { name: string; bytes: () => Uint8Array; code: number; counter: (c: { stats: { oversize: number }; ws: { text: number; protocol: number } }) => number }[] = [
    { name: "an unmasked frame", bytes: () => client_frame(0x82, record(60, 1), null), code: 1002, counter: (c) => c.ws.protocol },
    { name: "reserved bits", bytes: () => client_frame(0xc2, record(60, 1)), code: 1002, counter: (c) => c.ws.protocol },
    { name: "a reserved opcode", bytes: () => client_frame(0x83, record(60, 1)), code: 1002, counter: (c) => c.ws.protocol },
    { name: "a text message", bytes: () => client_frame(0x81, new TextEncoder().encode("hello")), code: 1003, counter: (c) => c.ws.text },
    { name: "a record over 65535 bytes", bytes: () => client_frame(0x82, Uint8Array.of(0, 1, 0, 0, 1, 2)), code: 1002, counter: (c) => c.stats.oversize },
    { name: "a 2^40-byte length", bytes: () => Uint8Array.of(0x82, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4), code: 1009, counter: (c) => c.ws.protocol },
    { name: "a 64-bit length with the top bit", bytes: () => Uint8Array.of(0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4), code: 1002, counter: (c) => c.ws.protocol },
    { name: "a 126-byte ping", bytes: () => client_frame(0x89, new Uint8Array(126)), code: 1002, counter: (c) => c.ws.protocol },
    { name: "a fragmented ping", bytes: () => client_frame(0x09, new Uint8Array(1)), code: 1002, counter: (c) => c.ws.protocol },
    { name: "a continuation out of nowhere", bytes: () => client_frame(0x80, record(60, 1)), code: 1002, counter: (c) => c.ws.protocol },
    { name: "a close code of 999", bytes: () => client_frame(0x88, Uint8Array.of(0x03, 0xe7)), code: 1002, counter: (c) => c.ws.protocol },
  ];
  for (const t of cases) {
    it(`counts ${t.name}, closes with ${t.code}, and keeps serving`, async () => {
      const s = await relay_setup();
      const r = await raw(s.port);
      await until(() => s.relay.clients.length === 1);
      const c = s.relay.clients[0]!;
      r.sock.write(t.bytes());
      await until(() => close_code(r) === t.code && r.closed());
      expect(t.counter(c)).toBe(1);
      expect(c.connected()).toBe(false);
      expect(c.ws.close_code).toBe(t.code);
      expect(s.log.some((l) => l.startsWith("warning: netdev ws1: ") && l.endsWith(`; closing (${t.code})`))).toBe(true);
      s.run();
      const next = await raw(s.port);
      expect(next.response).toMatch(/^HTTP\/1\.1 101 /);
    });
  }

  it("refuses a message over 1 MiB sent in fragments (1009) without holding it", async () => {
    const s = await relay_setup();
    const r = await raw(s.port);
    await until(() => s.relay.clients.length === 1);
    const part = new Uint8Array(600 * 1024);
    r.sock.write(client_frame(0x02, part));
    r.sock.write(client_frame(0x00, part));
    await until(() => close_code(r) === 1009 && r.closed());
  });

  it("survives random garbage after the handshake (seeded), every connection closed", async () => {
    const s = await relay_setup();
    let x = 0x9e3779b9;
    const rnd = (): number => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0), x & 0xff);
    let refused = 0;
    for (let round = 0; round < 20; round++) {
      const r = await raw(s.port);
      await until(() => s.relay.clients.length === 1, s.run);
      const c = s.relay.clients[0]!;
      const junk = Uint8Array.from({ length: 64 + round * 37 }, rnd);
      junk[1] = junk[1]! | 0x80; // masked, so it is not refused on the mask bit alone
      r.sock.write(junk);
      // The relay refuses it with a close code, or (a long declared length) waits for more until
      // the end of the connection; the parse does not depend on how TCP cut the bytes.
      r.sock.end(junk);
      await until(() => r.closed() && !c.connected(), s.run);
      if (c.ws.protocol + c.ws.text + c.stats.oversize > 0) refused++;
    }
    await until(() => s.relay.clients.length === 0, s.run);
    expect(s.relay.totals.accepted).toBe(20);
    expect(s.relay.totals.gone).toBe(20);
    expect(refused).toBeGreaterThan(10);
  });
});

describe("ws-relay in front of the user network", () => {
  it("a client's ARP who-has 10.0.2.2 is answered by the user network behind the relay", async () => {
    const clock = new VirtualClock();
    const relay = new WsRelay({ port: 0, clock, tracer: new Tracer(), kick: () => {} });
    const user = new UserNet(clock);
    const nic = new Collector();
    net_connect(nic, relay.nic_side);
    net_connect(relay.net_side, user);
    expect(await relay.start()).toBeNull();
    cleanups.push(() => relay.stop());
    const port = Number(/:(\d+)\/$/.exec(relay.url())![1]);
    const r = await raw(port);
    await until(() => relay.clients.length === 1);
    const mine = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x99);
    const b = frame_builder(new Uint8Array(6), mine);
    const who_has = b.arp_request(0x0a000263, 0x0a000202); // 10.0.2.99 asks for 10.0.2.2
    r.sock.write(client_frame(0x82, stream_record_encode(who_has, who_has.length)));
    await until(() => records_of(r.events()).length >= 1, () => void clock.advance_to(clock.now_ns() + 1_000_000));
    const reply = records_of(r.events())[0]!;
    expect(reply.slice(0, 6)).toEqual([...mine]);
    expect(reply.slice(12, 14)).toEqual([0x08, 0x06]);
    expect(reply.slice(20, 22)).toEqual([0, 2]); // ARP reply
    expect(reply.slice(28, 32)).toEqual([10, 0, 2, 2]);
    expect(nic.frames.length).toBe(2); // the NIC is on the same wire: it heard both
    expect(relay.describe()).toMatch(/\n {3}\\ user net=10\.0\.2\.0\/24/);
  });
});

describe("ws-relay power-off", () => {
  it("closes every client with 1001 and stops listening", async () => {
    const s = await relay_setup();
    const r = await raw(s.port);
    await until(() => s.relay.clients.length === 1);
    s.relay.stop();
    await until(() => close_code(r) === 1001 && r.closed());
    expect(s.relay.where()).toContain("not listening");
  });
});

describe("netdev_websocket (the page's back-end) against the relay", () => {
  it("joins the relay's wire: frames both ways, link up while connected, reconnects after the relay comes back", async () => {
    const s = await relay_setup();
    const page_clock = new VirtualClock();
    const page_log: string[] = [];
    const page_nic = new Collector();
    let page_kicks = 0;
    const w = new WebSocketBackend("ws0", page_clock, new Tracer((l) => page_log.push(l)), () => page_kicks++, { url: s.relay.url(), WebSocketCtor: NodeWsClient, reconnect_min_ms: 10, reconnect_max_ms: 40 });
    net_connect(page_nic, w);
    cleanups.push(() => w.stop());
    expect(await w.start()).toBeNull();
    await until(() => w.connected() && s.relay.clients.length === 1);
    expect(page_nic.carrier.at(-1)).toBe(true);
    expect(w.where()).toBe(`websocket ${s.relay.url()} connected`);
    const page_run = (): void => void page_clock.advance_to(page_clock.now_ns() + 1);
    // Page → Node side.
    w.receive_frame(eth(60, 0x11), 60);
    await until(() => s.nic.frames.length === 1, s.run);
    expect(s.back.frames.map((f) => f[6])).toEqual([0x11]);
    // Node side → page (the NIC and the back-end).
    s.relay.nic_side.receive_frame(eth(98, 0x22), 98);
    s.relay.net_side.receive_frame(eth(342, 0x33), 342);
    await until(() => page_nic.frames.length === 2, page_run);
    expect(page_nic.frames.map((f) => [f.length, f[6]])).toEqual([[98, 0x22], [342, 0x33]]);
    expect(page_kicks).toBeGreaterThan(0);
    expect([w.stats.tx_frames, w.stats.rx_frames, w.stats.rx_bytes]).toEqual([1, 2, 440]);
    // The relay goes away: link down, frames counted as having nobody to go to.
    const port = s.port;
    s.relay.stop();
    await until(() => !w.connected());
    expect(page_nic.carrier.at(-1)).toBe(false);
    expect(w.ws_stats.last_close).toBe(1001);
    w.receive_frame(eth(60, 0x44), 60);
    expect(w.stats.tx_no_peer).toBe(1);
    // A relay on the same port again: the back-end finds it.
    const s2 = await relay_setup(port);
    await until(() => w.connected() && s2.relay.clients.length === 1);
    w.receive_frame(eth(60, 0x55), 60);
    await until(() => s2.nic.frames.length === 1, s2.run);
    expect(w.stats.connects).toBe(2);
    expect(w.stats.disconnects).toBe(1);
  });

  it("retries with backoff while nobody listens, and says so once", async () => {
    const s = await relay_setup();
    const port = s.port;
    s.relay.stop();
    await new Promise((r) => setImmediate(r));
    const log: string[] = [];
    const w = new WebSocketBackend("ws0", new VirtualClock(), new Tracer((l) => log.push(l)), () => {}, { url: `ws://127.0.0.1:${port}/`, WebSocketCtor: NodeWsClient, reconnect_min_ms: 5, reconnect_max_ms: 20 });
    cleanups.push(() => w.stop());
    expect(await w.start()).toBeNull();
    await until(() => w.ws_stats.failed >= 3);
    expect(log.filter((l) => l.includes("link down, retrying")).length).toBe(1);
    expect(w.connected()).toBe(false);
  });

  it("refuses to start without a WebSocket or with a URL that is not ws://", async () => {
    const t = new Tracer();
    const none = new WebSocketBackend("ws0", new VirtualClock(), t, () => {}, { url: "ws://127.0.0.1:1/", WebSocketCtor: undefined });
    if ((globalThis as { WebSocket?: unknown }).WebSocket === undefined) expect(await none.start()).toBe("-netdev ws0: this JavaScript runtime has no WebSocket");
    const bad = new WebSocketBackend("ws0", new VirtualClock(), t, () => {}, { url: "http://x/", WebSocketCtor: NodeWsClient });
    expect(await bad.start()).toBe("-netdev ws0: 'http://x/' is not a ws:// or wss:// URL");
  });
});

/** A WebSocket the test drives by hand: what a misbehaving server would send. */
class FakeWs implements WebSocketLike {
  static last: FakeWs | null = null;
  binaryType = "blob";
  readyState = 0;
  bufferedAmount = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readonly sent: Uint8Array[] = [];
  closed_with: number | null = null;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
    FakeWs.last = this;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  send(d: Uint8Array): void {
    this.sent.push(d);
  }
  /** As the DOM's: only 1000 and 3000-4999 may be sent from a page. */
  close(code?: number): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) throw new Error(`InvalidAccessError: close code ${code} is not 1000 or 3000-4999`);
    this.closed_with = code ?? 1000;
    this.readyState = 3;
  }
}

describe("netdev_websocket with a misbehaving server", () => {
  function fake() {
    const clock = new VirtualClock();
    const nic = new Collector();
    const w = new WebSocketBackend("ws0", clock, new Tracer(), () => {}, { url: "ws://relay/", WebSocketCtor: FakeWs, reconnect_min_ms: 60_000 });
    net_connect(nic, w);
    cleanups.push(() => w.stop());
    void w.start();
    const ws = FakeWs.last!;
    ws.open();
    return { w, ws, nic, run: () => void clock.advance_to(clock.now_ns() + 1) };
  }

  it("sends one record per message, in the stream framing", () => {
    const f = fake();
    expect(f.ws.binaryType).toBe("arraybuffer");
    f.w.receive_frame(eth(60, 1), 60);
    expect([...f.ws.sent[0]!.subarray(0, 4)]).toEqual([0, 0, 0, 60]);
    expect(f.ws.sent[0]!.length).toBe(64);
  });

  it("reassembles records split across messages and merged in one", () => {
    const f = fake();
    const bytes = new Uint8Array([...record(60, 1), ...record(70, 2), ...record(80, 3)]);
    for (const [a, b] of [[0, 3], [3, 100], [100, bytes.length]] as const) f.ws.onmessage!({ data: bytes.slice(a, b).buffer });
    f.run();
    expect(f.nic.frames.map((x) => x.length)).toEqual([60, 70, 80]);
  });

  it("counts and closes on a text message (1003, sent as 4003) and on a record over 65535 bytes (1002, sent as 4002)", () => {
    const f = fake();
    f.ws.onmessage!({ data: "hello" });
    expect(f.w.ws_stats.text).toBe(1);
    expect(f.ws.closed_with).toBe(4003);
    expect(f.w.ws_stats.last_close).toBe(1003);
    expect(f.w.connected()).toBe(false);
    expect(f.nic.carrier.at(-1)).toBe(false);
    const g = fake();
    g.ws.onmessage!({ data: Uint8Array.of(0, 1, 0, 0).buffer });
    expect(g.w.stats.oversize).toBe(1);
    expect(g.ws.closed_with).toBe(4002);
  });

  it("counts a frame over the record limit and a send backlog instead of sending", () => {
    const f = fake();
    f.w.receive_frame(new Uint8Array(70000), 70000);
    expect(f.w.stats.oversize).toBe(1);
    f.ws.bufferedAmount = 5 << 20;
    f.w.receive_frame(eth(60, 1), 60);
    expect(f.w.ws_stats.backlog).toBe(1);
    expect(f.ws.sent.length).toBe(0);
  });

  it("a connection that ends mid-record counts it as truncated", () => {
    const f = fake();
    f.ws.onmessage!({ data: record(60, 1).slice(0, 30).buffer });
    f.ws.onclose!({ code: 1006, reason: "" });
    expect(f.w.stats.truncated).toBe(1);
    expect(f.w.ws_stats.last_close).toBe(1006);
  });
});

describe("websocket_frame codec", () => {
  it("parses the same frames fed whole or byte by byte, and encodes lengths 0, 125, 126, 65535, 65536", () => {
    const mask = Uint8Array.of(1, 2, 3, 4);
    const lens = [0, 125, 126, 65535, 65536];
    const wire = new Uint8Array(lens.flatMap((n) => [...ws_frame_encode(WS_OPCODE.BINARY, new Uint8Array(n).fill(n & 0xff), mask)]));
    const whole = new WsParser({ masked: true }).feed(wire);
    const p = new WsParser({ masked: true });
    const bytewise: WsEvent[] = [];
    for (let i = 0; i < wire.length; i++) p.feed(wire.subarray(i, i + 1), bytewise);
    for (const evs of [whole, bytewise]) {
      expect(evs.map((e) => (e.type === "message" ? e.data.length : -1))).toEqual(lens);
      expect(evs.every((e) => e.type === "message" && e.data.every((b) => b === (e.data.length & 0xff)))).toBe(true);
    }
    const m = ws_record_message(eth(60, 9), 60);
    expect([...m.subarray(0, 6)]).toEqual([0x82, 64, 0, 0, 0, 60]);
  });

  it("never throws on random input and stops at the first error", () => {
    let x = 12345;
    const rnd = (): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x >>> 24);
    for (let round = 0; round < 300; round++) {
      const p = new WsParser({ masked: round % 2 === 0, max_message: 4096 });
      const out: WsEvent[] = [];
      for (let k = 0; k < 8; k++) p.feed(Uint8Array.from({ length: 1 + (rnd() % 64) }, rnd), out);
      const stop = out.findIndex((e) => e.type === "error" || e.type === "close");
      if (stop >= 0) expect(stop).toBe(out.length - 1);
      expect(p.done).toBe(stop >= 0);
    }
  });
});

describe("a ringzero machine through netdev_websocket and the relay", () => {
  it("gets its address by DHCP from the user network behind the relay and pings 10.0.2.2", async () => {
    // One world on the realtime clock (frames cross real sockets): the relay with a user network
    // behind it stands for the Node side, the booted machine's NIC on a WebSocketBackend for the page.
    const world = new World("realtime");
    const tracer = new Tracer();
    const relay = new WsRelay({ port: 0, clock: world.clock, tracer, kick: () => world.kick() });
    net_connect(relay.net_side, new UserNet(world.clock));
    expect(await relay.start()).toBeNull();
    cleanups.push(() => relay.stop());
    const w = new WebSocketBackend("ws0", world.clock, tracer, () => world.kick(), { url: relay.url(), WebSocketCtor: NodeWsClient });
    cleanups.push(() => w.stop());
    world.external_sources++;
    const host = boot_host(world, { wires: [w], cmdline: "ip=dhcp", command: "ping -c 2 -i 0.2 10.0.2.2" });
    expect(await w.start()).toBeNull();
    const out = (): string => host.machine.console_output;
    await host.run_until(() => /packet loss/.test(out()), 20e9);
    expect(out()).toMatch(/2 packets transmitted, 2 (packets )?received, 0% packet loss/);
    expect(relay.clients[0]!.stats.rx_frames).toBeGreaterThanOrEqual(4); // DHCP discover + request, pings
  });
});
