/**
 * Dynamic interrupt throttling (InterruptThrottleRate, e1000_itr.ts) end to end on the virtual
 * clock: a saturating flood between two NICs on a hub drives the receiver into few interrupts per
 * frame (bulk_latency at 1518 bytes), a sparse ping-like exchange stays in the low-latency classes,
 * the module parameter's modes and messages are Linux's, and `ethtool -c`/`-C` show and set them.
 */
import { describe, expect, it } from "vitest";
import { REG } from "../../hw/net/e1000_regs.ts";
import type { NetDevice } from "../../include/net/netdevice.ts";
import { dev_add_pack, dev_get_by_name, dev_open, dev_queue_xmit, netdev_transmit, netdev_list } from "../../drivers/net/netdev.ts";
import type { E1000Adapter } from "../../drivers/net/e1000_adapter.ts";
import { e1000_update_itr, LATENCY_RANGE } from "../../drivers/net/e1000_itr.ts";
import { net_control } from "../../kernel/net_control.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { msleep, sched_yield } from "../../kernel/sched/core.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { EAGAIN } from "../../include/linux/errno.ts";
import { World } from "../../hw/world.ts";
import { Sink } from "../helpers/nic_harness.ts";
import { boot_host, TEST_TYPE, two_nics_on_a_hub, type NetTestMachine } from "../helpers/net_machine.ts";

const ethers = (): NetDevice[] => netdev_list().filter((d) => d.type === "ether");
const adapter = (name: string): E1000Adapter => dev_get_by_name(name)!.priv as E1000Adapter;

async function up_both(tm: NetTestMachine): Promise<void> {
  await tm.in_task(async () => {
    for (const d of ethers()) expect(await dev_open(d)).toBe(0);
    await msleep(600); // autonegotiation
  });
}

/** One frame eth0 → eth1 (or back): addresses and EtherType only, the payload left as it is. */
function frame(from: NetDevice, to: NetDevice, len: number): ReturnType<typeof pbuf_alloc> & object {
  const p = pbuf_alloc()!;
  p.data.set(to.dev_addr, p.head);
  p.data.set(from.dev_addr, p.head + 6);
  p.data[p.head + 12] = TEST_TYPE >> 8;
  p.data[p.head + 13] = TEST_TYPE & 0xff;
  p.len = len;
  return p;
}

/**
 * Flood eth0 → eth1 with `warmup` then `count` frames of `len` bytes (without FCS), keeping eth0's
 * TX ring full so the wire runs at line rate; returns the receiver's interrupts per frame and the
 * receive rate over the measured part, in virtual time.
 */
async function flood(tm: NetTestMachine, len: number, warmup: number, count: number) {
  const [eth0, eth1] = ethers() as [NetDevice, NetDevice];
  let received = 0;
  dev_add_pack(TEST_TYPE, (p, dev) => {
    if (dev === eth1) received++;
    pbuf_put(p);
  });
  const rx = adapter("eth1");
  const send = async (n: number): Promise<void> => {
    for (let sent = 0; sent < n; ) {
      const batch = Math.min(64, n - sent);
      for (let i = 0; i < batch; i++) {
        const p = frame(eth0, eth1, len);
        const r = dev_queue_xmit(eth0, p, i < batch - 1);
        if (r === -EAGAIN) {
          eth0.netdev_ops.ndo_flush_xmit?.(eth0);
          expect(await netdev_transmit(eth0, p)).toBe(0);
        } else expect(r).toBe(0);
      }
      sent += batch;
      await sched_yield();
    }
  };
  return tm.in_task(async () => {
    await send(warmup);
    while (received < warmup) await msleep(1);
    received = 0;
    const irq0 = rx.irq_count;
    const t0 = ktime_get_ns();
    await send(count);
    while (received < count) await sched_yield();
    const secs = (ktime_get_ns() - t0) / 1e9;
    return { irq_per_frame: (rx.irq_count - irq0) / count, fps: count / secs, itr: rx.itr, rx_itr: rx.rx_itr };
  }, 60e9);
}

describe("InterruptThrottleRate=3 (the default): dynamic conservative", () => {
  it("64-byte flood: the receiver takes at most one interrupt per 64 frames", async () => {
    const tm = await two_nics_on_a_hub();
    await up_both(tm);
    const r = await flood(tm, 60, 5_000, 50_000);
    console.log(`64 B: ${r.irq_per_frame.toFixed(5)} RX interrupts/frame (1/${(1 / r.irq_per_frame).toFixed(1)}), ${(r.fps / 1000).toFixed(0)} kfps, itr ${r.itr}`);
    expect(r.fps).toBeGreaterThan(1_400_000); // saturated: 1,488,095 fps is line rate
    expect(r.irq_per_frame).toBeLessThanOrEqual(1 / 64);
    // Many small frames: lowest_latency, which conservative mode turns into low_latency.
    expect(r.rx_itr).toBe(LATENCY_RANGE.low_latency);
    expect(r.itr).toBe(20000);
    expect(tm.nics[1]!.reg_read(REG.ITR)).toBe(195); // 1e9 / (20000 * 256)
  });

  it("1518-byte flood: bulk_latency, 4,000 interrupts/s, at most one interrupt per 20 frames", async () => {
    const tm = await two_nics_on_a_hub();
    await up_both(tm);
    const r = await flood(tm, 1514, 2_000, 20_000);
    console.log(`1518 B: ${r.irq_per_frame.toFixed(5)} RX interrupts/frame (1/${(1 / r.irq_per_frame).toFixed(1)}), ${(r.fps / 1000).toFixed(1)} kfps, itr ${r.itr}`);
    expect(r.fps).toBeGreaterThan(80_000); // saturated: 81,274 fps is line rate
    expect(r.irq_per_frame).toBeLessThanOrEqual(1 / 20);
    expect(r.rx_itr).toBe(LATENCY_RANGE.bulk_latency);
    expect(r.itr).toBe(4000);
    expect(tm.nics[1]!.reg_read(REG.ITR)).toBe(976); // 1e9 / (4000 * 256)
  });

  it("a fixed InterruptThrottleRate keeps the 1518-byte flood at that rate (20,000/s: 1 per ~4 frames)", async () => {
    const tm = await two_nics_on_a_hub({ InterruptThrottleRate: "20000" });
    await up_both(tm);
    const r = await flood(tm, 1514, 2_000, 20_000);
    expect(r.itr).toBe(20000);
    expect(r.irq_per_frame).toBeGreaterThan(1 / 5);
    expect(tm.dmesg()).toMatch(/e1000: Interrupt Throttling Rate \(ints\/sec\) set to 20000/);
  });
});

describe("sparse exchange: the low-latency classes", () => {
  /** eth0 sends a 98-byte "echo request" every 10 ms; eth1's handler answers with 98 bytes. */
  async function pings(tm: NetTestMachine, n: number): Promise<number> {
    const [eth0, eth1] = ethers() as [NetDevice, NetDevice];
    let replies = 0;
    dev_add_pack(TEST_TYPE, (p, dev) => {
      pbuf_put(p);
      if (dev === eth1) dev_queue_xmit(eth1, frame(eth1, eth0, 98), false);
      else replies++;
    });
    await tm.in_task(async () => {
      for (let i = 0; i < n; i++) {
        expect(dev_queue_xmit(eth0, frame(eth0, eth1, 98), false)).toBe(0);
        await msleep(10);
      }
    });
    return replies;
  }

  it("InterruptThrottleRate=1 (dynamic) climbs to lowest_latency: 70,000 interrupts/s", async () => {
    const tm = await two_nics_on_a_hub({ InterruptThrottleRate: "1" });
    expect(tm.dmesg()).toMatch(/e1000: Interrupt Throttling Rate \(ints\/sec\) set to dynamic mode/);
    await up_both(tm);
    expect(await pings(tm, 20)).toBe(20);
    for (const [name, nic] of [["eth0", 0], ["eth1", 1]] as const) {
      const a = adapter(name);
      expect([a.rx_itr, a.tx_itr]).toEqual([LATENCY_RANGE.lowest_latency, LATENCY_RANGE.lowest_latency]);
      expect(a.itr).toBe(70000); // reached in steps: 20,000 → 37,500 → 55,000 → 70,000
      expect(tm.nics[nic]!.reg_read(REG.ITR)).toBe(55); // 1e9 / (70000 * 256)
    }
  });

  it("InterruptThrottleRate=3 stays at low_latency (20,000/s): conservative mode has no lowest_latency", async () => {
    const tm = await two_nics_on_a_hub();
    await up_both(tm);
    expect(await pings(tm, 20)).toBe(20);
    const a = adapter("eth1");
    expect([a.rx_itr, a.itr]).toEqual([LATENCY_RANGE.low_latency, 20000]);
    expect(tm.nics[1]!.reg_read(REG.ITR)).toBe(195);
  });

  it("after a 1518-byte flood a sparse exchange brings the rate back up from bulk", async () => {
    const tm = await two_nics_on_a_hub();
    await up_both(tm);
    expect((await flood(tm, 1514, 1_000, 5_000)).itr).toBe(4000);
    await pings(tm, 10);
    expect(adapter("eth1").itr).toBe(20000);
  });
});

describe("e1000_update_itr (Linux's thresholds)", () => {
  const { lowest_latency, low_latency, bulk_latency } = LATENCY_RANGE;
  it("moves between the classes as Linux's table does", () => {
    expect(e1000_update_itr(low_latency, 0, 0)).toBe(low_latency); // nothing moved: keep
    expect(e1000_update_itr(low_latency, 1, 98)).toBe(lowest_latency); // one small frame
    expect(e1000_update_itr(low_latency, 74, 74 * 60)).toBe(low_latency); // under 10,000 bytes
    expect(e1000_update_itr(low_latency, 200, 200 * 60)).toBe(lowest_latency); // many small frames
    expect(e1000_update_itr(low_latency, 20, 20 * 1514)).toBe(bulk_latency); // large frames
    expect(e1000_update_itr(lowest_latency, 3, 3 * 1514)).toBe(low_latency);
    expect(e1000_update_itr(lowest_latency, 1, 9000)).toBe(bulk_latency); // jumbo
    expect(e1000_update_itr(bulk_latency, 20, 20 * 1514)).toBe(bulk_latency);
    expect(e1000_update_itr(bulk_latency, 100, 100 * 1514)).toBe(low_latency);
    expect(e1000_update_itr(bulk_latency, 1, 98)).toBe(low_latency);
  });
});

describe("InterruptThrottleRate and ethtool -c / -C", () => {
  it("each mode's message, and an invalid value falls back to dynamic conservative", async () => {
    for (const [v, msg, reg] of [
      ["0", "turned off", 0],
      ["3", "set to dynamic conservative mode", 195],
      ["4", "set to simplified \\(2000-8000\\) ints mode", null],
      ["10000", "set to 10000", 390],
      ["50", "Invalid Interrupt Throttling Rate \\(ints/sec\\) value specified \\(50\\) using default of 3", 195],
    ] as const) {
      const tm = await two_nics_on_a_hub({ InterruptThrottleRate: v });
      expect(tm.dmesg()).toMatch(new RegExp(msg));
      // As probe programs it (once traffic flows a dynamic mode moves it; before the watchdog has
      // seen the link up, e1000_set_itr holds a non-gigabit link at 4,000/s, as Linux).
      if (reg !== null) expect(tm.nics[0]!.reg_read(REG.ITR)).toBe(reg);
      expect(adapter("eth0").itr_setting).toBe(v === "50" ? 3 : v === "10000" ? 10000 : Number(v));
    }
  });

  it("InterruptThrottleRate=4: the watchdog picks 8,000/s for one-way traffic", async () => {
    const tm = await two_nics_on_a_hub({ InterruptThrottleRate: "4" });
    await up_both(tm);
    await flood(tm, 1514, 1_000, 20_000);
    await tm.in_task(() => msleep(2100)); // a watchdog run over the flood's counters
    // eth1 only received: dif == goc, 6000 + 2000.
    expect(tm.nics[1]!.reg_read(REG.ITR)).toBe(488); // 1e9 / (8000 * 256)
  });

  it("ethtool -C rx-usecs takes the modes and fixed intervals; 2 and 5..9 are refused", async () => {
    const tm = await two_nics_on_a_hub();
    await up_both(tm);
    const nc = net_control()!;
    const c = (rx_usecs: number) => tm.in_task(() => nc.ethtool("eth0", { cmd: "set_coalesce", rx_usecs }));
    const show = async () => {
      const r = await tm.in_task(() => nc.ethtool("eth0", { cmd: "coalesce" }));
      return typeof r === "object" && r.kind === "coalesce" ? r.coalesce.rx_usecs : r;
    };
    expect(await show()).toBe(3);
    expect(await c(100)).toEqual({ kind: "ok" });
    expect([await show(), tm.nics[0]!.reg_read(REG.ITR), adapter("eth0").itr_setting]).toEqual([100, 390, 10000]);
    expect(await c(1)).toEqual({ kind: "ok" });
    expect([await show(), adapter("eth0").itr]).toEqual([1, 20000]);
    expect(await c(0)).toEqual({ kind: "ok" });
    expect([await show(), tm.nics[0]!.reg_read(REG.ITR)]).toEqual([0, 0]);
    expect(await c(2)).toBe(-22);
    expect(await c(7)).toBe(-22);
    expect(await c(10001)).toBe(-22);
    expect(await show()).toBe(0);
  });

  it("`ethtool -c eth0` on a booted host shows rx-usecs: 3, as Linux's e1000 does by default", async () => {
    const world = new World();
    const h = boot_host(world, { wires: [new Sink()], cmdline: "ip=10.0.0.1::::::off", command: "ethtool -c eth0; ethtool -C eth0 rx-usecs 100; ethtool -c eth0" });
    await world.run({ for_ns: 1.5e9 });
    const out = h.machine.console_output;
    // ethtool 6.1's netlink block: rx-usecs is the one parameter e1000 reports.
    expect(out).toContain("Coalesce parameters for eth0:\nAdaptive RX: n/a  TX: n/a\nstats-block-usecs: n/a\nsample-interval: n/a\npkt-rate-low: n/a\npkt-rate-high: n/a\n\nrx-usecs: 3\nrx-frames: n/a\n");
    expect(out).toContain("\n\nrx-usecs: 100\nrx-frames: n/a\n");
  });
});
