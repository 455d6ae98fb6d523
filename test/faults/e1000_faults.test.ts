/**
 * Fault injection with the real e1000 driver loaded: each fault of hw/net/e1000_faults.ts is
 * injected while eth0 sends to eth1 across a hub, and the test checks what a user would: the
 * driver (or kernel) reports it, traffic flows again where Linux would recover, and every frame is
 * accounted for —
 *
 *   frames handed to netdev_transmit = frames eth1's protocol handler got
 *                                      + eth0 tx_dropped (carrier off, freed at reset)
 *                                      + frames the hub could not deliver to eth1 (no link)
 *                                      + eth1 rx_missed_errors + rx_length_errors + rx_filtered + rx_dropped
 */
import { describe, expect, it } from "vitest";
import type { NetDevice } from "../../include/net/netdevice.ts";
import { dev_add_pack, dev_get_by_name, dev_open, netdev_list as all_netdevs, netdev_transmit } from "../../drivers/net/netdev.ts";
import { net_control } from "../../kernel/net_control.ts";
import { pbuf_put } from "../../kernel/mm/pbuf.ts";
import { load_module, unload_module } from "../../kernel/module.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { monitor_command } from "../../boot/monitor.ts";
import { test_frame as frame, TEST_TYPE, two_nics_on_a_hub, type NetTestMachine } from "../helpers/net_machine.ts";
import type { Hub } from "../../hw/net/hub.ts";


type Env = NetTestMachine & { hub: Hub };

/** Sequence numbers eth1 received. */
function record(): number[] {
  const got: number[] = [];
  dev_add_pack(TEST_TYPE, (p, dev) => {
    if (dev.name === "eth1") got.push(p.view.getUint32(p.head + 14, false));
    pbuf_put(p);
  });
  return got;
}

async function setup(params?: Record<string, string>): Promise<{ tm: Env; eth0: NetDevice; eth1: NetDevice; got: number[] }> {
  const tm = await two_nics_on_a_hub(params);
  const got = record();
  await tm.in_task(async () => {
    for (const d of all_netdevs().filter((d) => d.type === "ether")) expect(await dev_open(d)).toBe(0);
    await msleep(600);
  });
  return { tm, eth0: dev_get_by_name("eth0")!, eth1: dev_get_by_name("eth1")!, got };
}

/**
 * Send `n` frames eth0 → eth1 numbered from `first`, `gap_ms` apart in bursts of 10, calling
 * `during(i)` before frame i. Returns how many the core accepted (netdev_transmit returned 0).
 */
async function traffic(env: { tm: Env; eth0: NetDevice; eth1: NetDevice }, first: number, n: number, during?: (i: number) => void | Promise<void>): Promise<number> {
  const { tm, eth0, eth1 } = env;
  return tm.in_task(async () => {
    let sent = 0;
    for (let i = 0; i < n; i++) {
      await during?.(i);
      const r = await netdev_transmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 200, first + i));
      if (r === 0) sent++;
      if (i % 10 === 9) await msleep(2);
    }
    return sent;
  }, 60e9);
}

async function ethtool_stats(tm: Env, dev: string): Promise<Map<string, number>> {
  const r = await tm.in_task(() => net_control()!.ethtool(dev, { cmd: "stats" }));
  if (typeof r === "number" || r.kind !== "stats") throw new Error(`ethtool -S ${dev}: ${JSON.stringify(r)}`);
  return new Map(r.stats);
}

/** Let everything settle (rings drain, the watchdog folds the counters) and check the invariant. */
async function account(env: { tm: Env; eth0: NetDevice; eth1: NetDevice; got: number[] }, sent: number): Promise<Record<string, number>> {
  const { tm, eth0, eth1, got } = env;
  await tm.in_task(() => msleep(4500));
  const s1 = await ethtool_stats(tm, "eth1");
  const parts = {
    received: got.length,
    eth0_tx_dropped: eth0.stats.tx_dropped,
    hub_no_link: tm.hub.ports[1]!.dropped_no_link,
    eth1_missed: eth1.stats.rx_missed_errors,
    eth1_length: eth1.stats.rx_length_errors,
    eth1_filtered: s1.get("rx_filtered") ?? 0,
    eth1_dropped: eth1.stats.rx_dropped,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  expect({ sent, ...parts, total }).toEqual({ sent, ...parts, total: sent });
  return parts;
}

describe("fault injection with the e1000 driver", () => {
  it("link_flap: the driver reports link down and up, queued frames are counted, traffic resumes", async () => {
    const env = await setup();
    const { tm, got } = env;
    let sent = await traffic(env, 0, 100, (i) => {
      if (i === 50) expect(tm.nics[0]!.inject_fault("link_flap")).toBe("");
    });
    await tm.in_task(() => msleep(1000)); // autonegotiation completes, the watchdog sees the link
    sent += await traffic(env, 1000, 50);
    const log = tm.dmesg();
    expect(log).toMatch(/e1000: eth0 NIC Link is Down[\s\S]*e1000: eth0 NIC Link is Up/);
    expect(got.filter((s) => s >= 1000).length).toBe(50);
    await account(env, sent);
  });

  it("10 link flaps on both ends during a 50,000-frame flood: every frame delivered or counted", async () => {
    const env = await setup();
    const { tm, got } = env;
    const [nic0, nic1] = tm.nics as [NonNullable<(typeof tm.nics)[0]>, NonNullable<(typeof tm.nics)[0]>];
    // Every 5,000 frames (a second) one end loses its link: a pulled cable put back 50 ms later
    // (even flaps, on the receiver's side) or an injected link_flap (odd, the sender's side); each
    // comes back after autonegotiation (500 ms).
    const sent = await traffic(env, 0, 50_000, async (i) => {
      if (i % 5000 !== 2500) return;
      const k = (i - 2500) / 5000;
      if (k % 2 === 0) {
        nic1.set_link(false);
        await msleep(50);
        nic1.set_link(true);
      } else expect(nic0.inject_fault("link_flap")).toBe("");
    });
    await tm.in_task(() => msleep(1000));
    const parts = await account(env, sent);
    expect(sent).toBe(50_000);
    expect(got.length).toBeGreaterThan(20_000); // most of the flood got through
    expect((parts["eth0_tx_dropped"] ?? 0) + (parts["hub_no_link"] ?? 0)).toBeGreaterThan(0); // and the flaps cost frames, all counted
    expect(tm.dmesg().match(/eth1 NIC Link is Down/g)?.length).toBe(5);
  });

  it("rx_overrun: the next 20 frames are missed (MPC), counted as rx_missed_errors; the rest arrive", async () => {
    const env = await setup();
    const { tm, got } = env;
    expect(tm.nics[1]!.inject_fault("rx_overrun", "20")).toBe("");
    const sent = await traffic(env, 0, 100);
    const parts = await account(env, sent);
    expect(parts.eth1_missed).toBe(20);
    expect(got.length).toBe(80);
  });

  it("rx_no_buffers: RNBC and MPC count the lost frames; ethtool shows rx_no_buffer_count", async () => {
    const env = await setup();
    const { tm } = env;
    expect(tm.nics[1]!.inject_fault("rx_no_buffers", "15")).toBe("");
    const sent = await traffic(env, 0, 60);
    const parts = await account(env, sent);
    expect(parts.eth1_missed).toBe(15);
    expect((await ethtool_stats(tm, "eth1")).get("rx_no_buffer_count")).toBe(15);
  });

  it("tx_hang: the watchdog detects the hang, resets the adapter, counts the stuck frames; traffic resumes", async () => {
    const env = await setup();
    const { tm, got } = env;
    let sent = await traffic(env, 0, 40, (i) => {
      if (i === 20) expect(tm.nics[0]!.inject_fault("tx_hang")).toBe("");
    });
    await tm.in_task(() => msleep(6000));
    const log = tm.dmesg();
    expect(log).toMatch(/eth0: Detected Tx Unit Hang/);
    expect(log).toMatch(/eth0: Reset adapter/);
    await tm.in_task(() => msleep(1000));
    sent += await traffic(env, 1000, 30);
    expect(got.filter((s) => s >= 1000).length).toBe(30);
    await account(env, sent);
  });

  it("dma_abort: the transmit descriptor fetch master-aborts, the driver sees it in PCI Status and resets", async () => {
    const env = await setup();
    const { tm, got } = env;
    let sent = await traffic(env, 0, 20);
    expect(tm.nics[0]!.inject_fault("dma_abort")).toBe("");
    sent += await traffic(env, 100, 20);
    await tm.in_task(() => msleep(3000));
    const log = tm.dmesg();
    expect(tm.nics[0]!.last_dma_error).toMatch(/TX descriptor read .*injected/);
    expect(log).toMatch(/eth0: PCI bus error \(master abort\)/);
    expect(log).toMatch(/eth0: Reset adapter/);
    await tm.in_task(() => msleep(1000));
    sent += await traffic(env, 1000, 30);
    expect(got.filter((s) => s >= 1000).length).toBe(30);
    await account(env, sent);
  });

  it("surprise_removal of the receiver: the driver detaches it, its IRQ is released, the wire counts what it no longer hears", async () => {
    const env = await setup();
    const { tm, got } = env;
    let sent = await traffic(env, 0, 30);
    expect(tm.nics[1]!.inject_fault("surprise_removal")).toBe("");
    expect(tm.nics[1]!.irq_pin!.level).toBe(false);
    sent += await traffic(env, 100, 30);
    await tm.in_task(() => msleep(3000));
    expect(tm.dmesg()).toMatch(/eth1: PCIe link lost, device now detached/);
    expect(tm.nics[1]!.inject_fault("link_flap")).toMatch(/removed/);
    expect(tm.hub.ports[1]!.dropped_no_link).toBe(30);
    expect(got.length).toBe(30);
    await account(env, sent);
  });

  it("eeprom_corrupt: the next probe fails with Linux's checksum message; after clear it binds again", async () => {
    const env = await setup();
    const { tm } = env;
    expect(monitor_command(tm.machine, "inject eeprom_corrupt e1000.0")).toBe("e1000.0: injected eeprom_corrupt\n");
    expect(await tm.in_task(() => unload_module("e1000"))).toBe(0);
    await tm.in_task(() => load_module("e1000"));
    expect(tm.dmesg()).toMatch(/e1000 0000:00:03\.0: The EEPROM Checksum Is Not Valid/);
    expect(all_netdevs().filter((d) => d.type === "ether").length).toBe(1); // the other NIC probed fine
    expect(monitor_command(tm.machine, "inject clear e1000.0")).toBe("e1000.0: faults cleared\n");
    expect(await tm.in_task(() => unload_module("e1000"))).toBe(0);
    expect(await tm.in_task(() => load_module("e1000"))).toBe(0);
    expect(all_netdevs().filter((d) => d.type === "ether").length).toBe(2);
  });

  it("irq_storm: RXSEQ for 600 ms with throttling off — the kernel reports the storm; no frame is lost", async () => {
    const env = await setup({ InterruptThrottleRate: "0" });
    const { tm, got } = env;
    const before = tm.nics[1]!.interrupts_raised;
    let sent = await traffic(env, 0, 30);
    expect(tm.nics[1]!.inject_fault("irq_storm", "600ms")).toBe("");
    sent += await traffic(env, 100, 30);
    await tm.in_task(() => msleep(800));
    expect(tm.nics[1]!.interrupts_raised - before).toBeGreaterThan(500_000); // ~1 per us: ITR is off
    expect(tm.dmesg()).toMatch(/hard LOCKUP|interrupt storm|nobody cared/);
    sent += await traffic(env, 1000, 30);
    expect(got.filter((s) => s >= 1000).length).toBe(30);
    await account(env, sent);
  });

  it("autoneg_fail: the link stays down (frames counted on the wire) until clear; then it comes up and traffic flows", async () => {
    const env = await setup();
    const { tm, got } = env;
    expect(tm.nics[1]!.inject_fault("autoneg_fail")).toBe("");
    await tm.in_task(() => msleep(3000));
    expect(tm.nics[1]!.link_up).toBe(false);
    expect(tm.dmesg()).toMatch(/e1000: eth1 NIC Link is Down/);
    let sent = await traffic(env, 0, 20);
    expect(tm.hub.ports[1]!.dropped_no_link).toBe(20);
    expect(tm.nics[1]!.inject_fault("clear")).toBe("");
    await tm.in_task(() => msleep(1000));
    expect(tm.dmesg()).toMatch(/e1000: eth1 NIC Link is Up/);
    sent += await traffic(env, 1000, 20);
    expect(got.filter((s) => s >= 1000).length).toBe(20);
    await account(env, sent);
  });
});
