/**
 * The hub's lossy wire (hw/net/hub_netem.ts): rates, determinism, reordering, delay on the virtual
 * clock, accounting when the wire stops, and the -netdev hubport spelling.
 */
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../hw/clock.ts";
import { Hub, HubPort } from "../../hw/net/hub.ts";
import { parse_hub_netem, parse_percent, parse_time_ns, type HubNetemConfig } from "../../hw/net/hub_netem.ts";
import { net_connect, type NetEndpoint } from "../../hw/net/net_endpoint.ts";
import type { E1000 } from "../../hw/net/e1000.ts";
import { World } from "../../hw/world.ts";
import { plug_device } from "../../boot/board.ts";
import { setup_network } from "../../boot/netdevs.ts";
import { boot_host } from "../helpers/net_machine.ts";

/** A device on a hub port that records [seq, arrival time] of every frame it hears. */
class Recorder implements NetEndpoint {
  peer: NetEndpoint | null = null;
  readonly got: [number, number][] = [];
  private readonly clock: VirtualClock;
  constructor(clock: VirtualClock) {
    this.clock = clock;
  }
  receive_frame(f: Uint8Array, len: number): boolean {
    expect(len).toBe(64);
    this.got.push([((f[14]! << 24) | (f[15]! << 16) | (f[16]! << 8) | f[17]!) >>> 0, this.clock.now_ns()]);
    return true;
  }
}

function frame(seq: number): Uint8Array {
  const f = new Uint8Array(64);
  f.fill(0xff, 0, 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  new DataView(f.buffer).setUint32(14, seq);
  return f;
}

/** Send `n` frames from port 0, one every `gap_ns`, then let the clock run until nothing is held. */
function run(cfg: Partial<HubNetemConfig>, n: number, gap_ns = 10_000) {
  const clock = new VirtualClock();
  const hub = new Hub("hub0", { clock, ...cfg });
  const tx = hub.port();
  const rx = new Recorder(clock);
  net_connect(hub.port(), rx);
  const sent_at: number[] = [];
  const f = frame(0);
  const v = new DataView(f.buffer);
  for (let i = 0; i < n; i++) {
    clock.advance_to(i * gap_ns);
    v.setUint32(14, i);
    sent_at.push(clock.now_ns());
    tx.receive_frame(f, 64);
  }
  while (clock.advance_to_next());
  return { clock, hub, rx, sent_at, netem: hub.netem! };
}

function invariant(hub: Hub): void {
  const n = hub.netem!;
  expect(hub.forwarded + n.duplicated).toBe(n.lost + n.overlimit + n.sent + n.held + n.discarded);
}

describe("hub lossy wire", () => {
  it("loses, duplicates and reorders at the configured rates over 100k frames (seed 7)", () => {
    const N = 100_000;
    const { hub, rx, netem } = run({ loss: 0.01, dup: 0.001, reorder: 0.01, delay_ns: 2e6, jitter_ns: 0, seed: 7, limit: 10_000 }, N);
    // Binomial standard deviations: loss ~31, dup ~10, reorder ~31 — tolerances are ~5 sigma.
    expect(Math.abs(netem.lost - 1000)).toBeLessThan(160);
    expect(Math.abs(netem.duplicated - 99)).toBeLessThan(50);
    expect(Math.abs(netem.reordered - 1000)).toBeLessThan(160);
    expect(netem.overlimit).toBe(0);
    expect(netem.held).toBe(0);
    invariant(hub);
    // What the far port heard agrees with the counters.
    expect(rx.got.length).toBe(N - netem.lost + netem.duplicated);
    expect(hub.ports[1]!.tx_frames).toBe(rx.got.length);
    const seen = new Set(rx.got.map(([s]) => s));
    expect(N - seen.size).toBe(netem.lost);
    expect(rx.got.length - seen.size).toBe(netem.duplicated);
  });

  it("is deterministic: the same seed gives the same arrivals, another seed others", () => {
    const cfg = { loss: 0.05, dup: 0.02, reorder: 0.05, delay_ns: 1e6, jitter_ns: 500_000 };
    const a = run({ ...cfg, seed: 42 }, 5000).rx.got;
    const b = run({ ...cfg, seed: 42 }, 5000).rx.got;
    const c = run({ ...cfg, seed: 43 }, 5000).rx.got;
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it("reorders by swapping a frame with the next one, also without any delay", () => {
    const { rx, netem, hub } = run({ reorder: 0.1, seed: 3 }, 2000);
    const order = rx.got.map(([s]) => s);
    expect(order.length).toBe(2000);
    expect([...order].sort((x, y) => x - y)).toEqual(order.map((_, i) => i));
    let late = 0;
    for (let i = 1; i < order.length; i++) {
      if (order[i]! < order[i - 1]!) {
        late++;
        // A reordered frame comes right after its successor(s), never farther back.
        expect(order[i - 1]! - order[i]!).toBeLessThanOrEqual(3);
      }
    }
    expect(netem.reordered).toBeGreaterThan(150);
    // Consecutive reorders chain (a frame that passed a held one may itself be held), so a swap
    // can carry one frame back across several: at least most reorders are visible inversions.
    expect(late).toBeGreaterThan(netem.reordered * 0.8);
    expect(late).toBeLessThanOrEqual(netem.reordered);
    invariant(hub);
  });

  it("a reordered frame with nobody following goes out REORDER_HOLD_NS after its time", () => {
    const clock = new VirtualClock();
    const hub = new Hub("h", { clock, reorder: 1 });
    const tx = hub.port();
    const rx = new Recorder(clock);
    net_connect(hub.port(), rx);
    tx.receive_frame(frame(9), 64);
    expect(rx.got).toEqual([]);
    clock.advance_to(999_999);
    expect(rx.got).toEqual([]);
    clock.advance_to(1_000_000);
    expect(rx.got).toEqual([[9, 1_000_000]]);
  });

  it("delays on the virtual clock: nothing early, each frame exactly `delay` later; jitter stays in its band", () => {
    const clock = new VirtualClock();
    const hub = new Hub("h", { clock, delay_ns: 2e6 });
    const tx = hub.port();
    const rx = new Recorder(clock);
    net_connect(hub.port(), rx);
    clock.advance_to(5_000);
    tx.receive_frame(frame(1), 64);
    clock.advance_to(2_004_999);
    expect(rx.got).toEqual([]);
    expect(clock.next_deadline()).toBe(2_005_000);
    clock.advance_to(2_005_000);
    expect(rx.got).toEqual([[1, 2_005_000]]);

    const j = run({ delay_ns: 2e6, jitter_ns: 1e6, seed: 11 }, 20_000);
    const delays = j.rx.got.map(([s, t]) => t - j.sent_at[s]!);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1e6);
    expect(Math.max(...delays)).toBeLessThanOrEqual(3e6);
    const mean = delays.reduce((x, y) => x + y, 0) / delays.length;
    expect(Math.abs(mean - 2e6)).toBeLessThan(20_000);
    // Jitter larger than the gap between frames reorders them, as netem's does.
    expect(j.rx.got.some(([s], i) => i > 0 && s < j.rx.got[i - 1]![0])).toBe(true);
  });

  it("without options the hub stays synchronous; lossless options keep every frame in order", () => {
    const clock = new VirtualClock();
    const plain = new Hub();
    const rx = new Recorder(clock);
    const tx = plain.port();
    net_connect(plain.port(), rx);
    tx.receive_frame(frame(5), 64);
    expect(rx.got).toEqual([[5, 0]]);
    expect(plain.netem).toBeNull();
    const r = run({}, 1000);
    expect(r.rx.got.map(([s]) => s)).toEqual(r.sent_at.map((_, i) => i));
    expect(r.rx.got.every(([s, t]) => t === r.sent_at[s])).toBe(true);
  });

  it("never loses a held frame uncounted: held while in flight, discarded and counted at stop()", () => {
    const clock = new VirtualClock();
    const hub = new Hub("h", { clock, delay_ns: 1e6, limit: 3 });
    const tx = hub.port();
    const rx = new Recorder(clock);
    net_connect(hub.port(), rx);
    for (let i = 0; i < 5; i++) tx.receive_frame(frame(i), 64);
    expect(hub.netem!.held).toBe(3);
    expect(hub.netem!.overlimit).toBe(2);
    invariant(hub);
    expect(hub.ports[0]!.describe()).toContain("netem delay=1ms seed=1 limit=3: lost=0 duplicated=0 delayed=3 reordered=0 overlimit=2 sent=0 held=3 discarded=0");
    hub.stop();
    expect(hub.netem!.discarded).toBe(3);
    expect(hub.netem!.held).toBe(0);
    invariant(hub);
    while (clock.advance_to_next());
    expect(rx.got).toEqual([]);
  });
});

describe("-netdev hubport lossy-wire options", () => {
  function net(netdevs: string[], devices: string[] = []) {
    const world = new World();
    const m = world.add_machine({ mem_size: 8 << 20 });
    const nic_netdev = new Map<E1000, string | undefined>();
    for (const d of devices) expect(plug_device(m, d, nic_netdev)).toBeNull();
    return setup_network(world, m, netdevs, nic_netdev, []);
  }

  it("parses percentages and times as tc spells them", () => {
    expect(parse_percent("1%")).toBe(0.01);
    expect(parse_percent("0.1%")).toBeCloseTo(0.001, 12);
    expect(parse_percent("5")).toBe(0.05);
    expect(parse_percent("101%")).toBeNull();
    expect(parse_percent("-1%")).toBeNull();
    expect(parse_time_ns("2ms")).toBe(2e6);
    expect(parse_time_ns("500us")).toBe(500_000);
    expect(parse_time_ns("3")).toBe(3e6);
    expect(parse_time_ns("0")).toBe(0);
    expect(parse_time_ns("1h")).toBeNull();
    expect(parse_hub_netem(new Map([["loss", "x"]]))).toBe("hubport: bad loss 'x' (a percentage such as 1% or 0.1%)");
  });

  it("configures the hub from any of its hubports and shows the counters with the port", () => {
    const r = net(["hubport,id=h0,hubid=0,loss=1%,delay=2ms,jitter=1ms,dup=0.1%,reorder=1%,seed=7", "hubport,id=h1,hubid=0"], ["e1000,netdev=h0", "e1000,netdev=h1"]);
    if (typeof r === "string") throw new Error(r);
    expect(r.hubs.length).toBe(1);
    const hub = r.hubs[0]!;
    expect(hub.ports.length).toBe(2);
    expect(hub.netem!.cfg).toEqual({ loss: 0.01, delay_ns: 2e6, jitter_ns: 1e6, dup: 0.001, reorder: 0.01, seed: 7, limit: 1000 });
    expect(hub.ports[1]!.describe()).toBe(
      "hubport hub0 port=1 frames_in=0 frames_out=0 dropped_no_link=0\n   hub0 netem loss=1% delay=2ms jitter=1ms dup=0.1% reorder=1% seed=7 limit=1000: lost=0 duplicated=0 delayed=0 reordered=0 overlimit=0 sent=0 held=0 discarded=0",
    );
    expect(hub.ports[0]).toBeInstanceOf(HubPort);
  });

  it("refuses bad values and hubports that disagree, with one line", () => {
    const cases: [string[], string][] = [
      [["hubport,id=a,hubid=0,loss=2x"], "-netdev hubport: bad loss '2x' (a percentage such as 1% or 0.1%)"],
      [["hubport,id=a,hubid=0,delay=-1ms"], "-netdev hubport: bad delay '-1ms' (a time such as 2ms, 500us or 100ns, at most 60s)"],
      [["hubport,id=a,hubid=0,limit=0"], "-netdev hubport: bad limit '0' (an integer 1..1000000)"],
      [["hubport,id=a,hubid=0,rate=1mbit"], "-netdev hubport,id=a: Invalid parameter 'rate'"],
      [["hubport,id=a,hubid=x"], "-netdev hubport,id=a: Parameter 'hubid' expects an integer, got 'x'"],
      [["hubport,id=a,hubid=1,loss=1%", "hubport,id=b,hubid=1,loss=2%"], "-netdev hubport,id=b: hub 1 already has other lossy-wire options (loss=1% seed=1 limit=1000)"],
    ];
    for (const [netdevs, err] of cases) expect(net(netdevs)).toBe(err);
    expect(typeof net(["hubport,id=a,hubid=1,loss=1%", "hubport,id=b,hubid=1,loss=1"])).toBe("object");
  });
});

describe("two machines on a delaying hub", () => {
  it("ping's round trip carries the hub's delay both ways, on the virtual clock", async () => {
    const world = new World();
    const hub = new Hub("hub0", { clock: world.clock, delay_ns: 5e6 });
    const a = boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.1::::::off", command: "sleep 1; ping -c 2 10.0.0.2", base_mac: 0x10 });
    const b = boot_host(world, { wires: [hub.port()], cmdline: "ip=10.0.0.2::::::off", command: "sleep 5", base_mac: 0x20 });
    await world.run({ until: () => a.machine.powered_off && b.machine.powered_off, for_ns: 60e9 });
    const out = a.machine.console_output;
    const rtts = [...out.matchAll(/icmp_seq=\d ttl=64 time=([\d.]+) ms/g)].map((m) => Number(m[1]));
    expect(rtts.length, out).toBe(2);
    // The first crosses the hub four times (ARP request/reply, echo request/reply): >= 20 ms.
    expect(rtts[0]).toBeGreaterThanOrEqual(20);
    expect(rtts[1]).toBeGreaterThanOrEqual(10);
    expect(rtts[1]).toBeLessThan(11);
    expect(hub.netem!.delayed).toBeGreaterThanOrEqual(8);
    invariant(hub);
  });
});
