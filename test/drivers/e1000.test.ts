/**
 * The e1000 driver against the model: Linux's ethtool self-test list, the two-NIC exchange, a full
 * TX ring that blocks and resumes, RX overrun recovery, transmit-hang recovery, and leak checks for
 * probe failures and insmod/rmmod cycles.
 */
import { describe, expect, it } from "vitest";
import { IFF_UP } from "../../include/net/netdevice.ts";
import { REG, TCTL_EN } from "../../hw/net/e1000_regs.ts";
import { dev_get_by_name, dev_open, dev_close, dev_queue_xmit, netdev_transmit, netdev_list as all_netdevs } from "../../drivers/net/netdev.ts";
import { PROBE_STAGES } from "../../drivers/net/e1000_param.ts";
import type { E1000Adapter } from "../../drivers/net/e1000_adapter.ts";
import { net_control } from "../../kernel/net_control.ts";
import { dma_coherent_usage } from "../../kernel/dma/mapping.ts";
import { dma_debug_error_count } from "../../kernel/dma/debug.ts";
import { fail_page_alloc_attr } from "../../kernel/mm/fail_page_alloc.ts";
import { irq_actions } from "../../kernel/irq/manage.ts";
import { nr_free_pages } from "../../kernel/mm/page_alloc.ts";
import { pbuf_put, pbuf_stats } from "../../kernel/mm/pbuf.ts";
import { load_module, unload_module } from "../../kernel/module.ts";
import { pci_devices } from "../../kernel/pci/probe.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { Sink } from "../helpers/nic_harness.ts";
import { boot_net_machine, record_test_frames, test_frame as frame, two_nics_on_a_hub, type NetTestMachine } from "../helpers/net_machine.ts";


/** The Ethernet devices (the netdev core also registers lo). */
const netdev_list = () => all_netdevs().filter((d) => d.type === "ether");


async function up_both(tm: NetTestMachine): Promise<void> {
  await tm.in_task(async () => {
    for (const d of netdev_list()) expect(await dev_open(d)).toBe(0);
    await msleep(600); // autonegotiation after the PHY powers up
  });
  for (const d of netdev_list()) expect(d.carrier).toBe(true);
}

describe("e1000 probe", () => {
  it("binds every 8254x, registers eth0/eth1 and takes the shared IRQ under the netdev's name", async () => {
    const tm = await two_nics_on_a_hub();
    expect(netdev_list().map((d) => [d.name, d.parent, [...d.dev_addr].map((b) => b.toString(16)).join(":")])).toEqual([
      ["eth0", "0000:00:03.0", "52:54:0:12:34:56"],
      ["eth1", "0000:00:04.0", "52:54:0:12:34:57"],
    ]);
    expect(pci_devices().filter((d) => d.driver?.name === "e1000").length).toBe(2);
    expect(irq_actions(11).map((a) => a.name)).toEqual(["eth0"]);
    expect(irq_actions(10).map((a) => a.name)).toEqual(["eth1"]);
    expect(tm.dmesg()).toMatch(/e1000 0000:00:03\.0 eth0: Intel\(R\) PRO\/1000 Network Connection/);
  });

  it("passes the ethtool offline self-test: register, EEPROM, interrupt, MAC loopback, link", async () => {
    const tm = await two_nics_on_a_hub();
    await up_both(tm);
    const reply = await tm.in_task(() => net_control()!.ethtool("eth0", { cmd: "test" }));
    if (typeof reply === "number" || reply.kind !== "test") throw new Error(`self-test failed to run: ${JSON.stringify(reply)}`);
    // In the order of Linux's e1000_gstrings_test (the link test runs first, its result is last).
    expect(reply.results.map((r) => [r.name.split(" ")[0], r.result])).toEqual([
      ["Register", 0],
      ["Eeprom", 0],
      ["Interrupt", 0],
      ["Loopback", 0],
      ["Link", 0],
    ]);
    expect(reply.results.find((r) => r.name.startsWith("Loopback"))!.detail).toBe("64 frames, every byte back");
    // The interface came back up and still works afterwards.
    expect(dev_get_by_name("eth0")!.flags & IFF_UP).toBe(IFF_UP);
  });

  it("fails the link test with the cable pulled", async () => {
    const tm = await two_nics_on_a_hub();
    await up_both(tm);
    tm.nics[0]!.set_link(false);
    const reply = await tm.in_task(() => net_control()!.ethtool("eth0", { cmd: "test" }));
    if (typeof reply === "number" || reply.kind !== "test") throw new Error("no result");
    expect(reply.results[4]).toMatchObject({ name: "Link test   (on/offline)", result: 1, detail: "no link" });
  });
});

describe("e1000 data path", () => {
  it("`ip link set eth1 promisc on` sets RCTL.UPE and MPE, and eth1 then takes frames for other stations; off restores the filter", async () => {
    const tm = await two_nics_on_a_hub();
    const { got } = record_test_frames();
    await up_both(tm);
    const [eth0] = netdev_list();
    const other = Uint8Array.of(0x52, 0x54, 0, 0xaa, 0xbb, 0xcc);
    const send = async (seq: number): Promise<void> => {
      await tm.in_task(async () => {
        expect(await netdev_transmit(eth0!, frame(other, eth0!.dev_addr, 100, seq))).toBe(0);
        await msleep(2);
      });
    };
    await send(1);
    expect(got.length).toBe(0);
    expect(await net_control()!.setlink("eth1", { promisc: true })).toBe(0);
    const UPE_MPE = 0x18;
    expect(tm.nics[1]!.reg_read(REG.RCTL) & UPE_MPE).toBe(UPE_MPE);
    expect(tm.dmesg()).toContain("e1000 0000:00:04.0 eth1: entered promiscuous mode");
    await send(2);
    expect(got.map((g) => [g[0], g[1]])).toEqual([["eth1", 2]]);
    // A reset (ethtool -G reconfigures the rings) keeps the mode.
    expect(await net_control()!.ethtool("eth1", { cmd: "set_ring", rx: 128 })).toEqual({ kind: "ok" });
    expect(tm.nics[1]!.reg_read(REG.RCTL) & UPE_MPE).toBe(UPE_MPE);
    expect(await net_control()!.setlink("eth1", { promisc: false, allmulti: true })).toBe(0);
    expect(tm.nics[1]!.reg_read(REG.RCTL) & UPE_MPE).toBe(0x10);
    await send(3);
    expect(got.length).toBe(1);
  });

  it("two NICs on a hub exchange frames through two driver instances, every byte intact", async () => {
    const tm = await two_nics_on_a_hub();
    const { got } = record_test_frames();
    await up_both(tm);
    const [eth0, eth1] = netdev_list() as [NonNullable<ReturnType<typeof dev_get_by_name>>, NonNullable<ReturnType<typeof dev_get_by_name>>];
    await tm.in_task(async () => {
      for (let i = 0; i < 50; i++) {
        expect(await netdev_transmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 60 + i * 29, i))).toBe(0);
        expect(await netdev_transmit(eth1, frame(eth0.dev_addr, eth1.dev_addr, 1514 - i * 29, 1000 + i))).toBe(0);
      }
      await msleep(10);
    });
    const to1 = got.filter((g) => g[0] === "eth1");
    const to0 = got.filter((g) => g[0] === "eth0");
    expect(to1.map((g) => g[1])).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(to0.map((g) => g[1])).toEqual(Array.from({ length: 50 }, (_, i) => 1000 + i));
    expect(got.every((g) => g[3])).toBe(true);
    expect(to1.map((g) => g[2])).toEqual(Array.from({ length: 50 }, (_, i) => 60 + i * 29));
    expect(eth0.stats.tx_packets).toBe(50);
    expect(eth1.stats.rx_packets).toBe(50);
  });

  it("refuses frames outside 60..1514 bytes with a clear error", async () => {
    const tm = await two_nics_on_a_hub();
    await up_both(tm);
    const eth0 = dev_get_by_name("eth0")!;
    const r = await tm.in_task(() => {
      const short = frame(eth0.dev_addr, eth0.dev_addr, 60, 0);
      short.len = 59;
      const long = frame(eth0.dev_addr, eth0.dev_addr, 1514, 0);
      long.len = 1515;
      const out = [dev_queue_xmit(eth0, short), dev_queue_xmit(eth0, long)];
      pbuf_put(short);
      pbuf_put(long);
      return out;
    });
    expect(r).toEqual([-90, -90]); // -EMSGSIZE
  });

  it("a full TX ring stops the queue, the sender blocks, completions wake it, nothing is lost", async () => {
    const tm = await two_nics_on_a_hub({ TxDescriptors: "48", RxDescriptors: "256" });
    const { got } = record_test_frames();
    await up_both(tm);
    const eth0 = dev_get_by_name("eth0")!;
    const eth1 = dev_get_by_name("eth1")!;
    const N = 400;
    await tm.in_task(async () => {
      for (let i = 0; i < N; i++) expect(await netdev_transmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 100, i))).toBe(0);
      await msleep(10);
    });
    expect(eth0.tx_busy).toBeGreaterThan(0); // the queue really was stopped
    expect(got.map((g) => g[1])).toEqual(Array.from({ length: N }, (_, i) => i));
    const stats = await tm.in_task(() => net_control()!.ethtool("eth0", { cmd: "stats" }));
    if (typeof stats === "number" || stats.kind !== "stats") throw new Error("no stats");
    expect(stats.stats.find(([k]) => k === "tx_restart_queue")![1]).toBeGreaterThan(0);
  });

  it("recovers from an RX overrun: missed frames are counted, later ones arrive", async () => {
    const tm = await two_nics_on_a_hub({ RxDescriptors: "48", TxDescriptors: "256" });
    const { got } = record_test_frames();
    await up_both(tm);
    const eth0 = dev_get_by_name("eth0")!;
    const eth1 = dev_get_by_name("eth1")!;
    await tm.in_task(async () => {
      // 200 frames in one step: eth1's 48-descriptor ring overflows before its poll can run. Its
      // 48 KiB receive FIFO would hold the excess (the 15 or so frames that find no descriptor), so
      // PBA.RXA = 0 leaves it no FIFO: a frame that finds no descriptor is missed at once.
      tm.nics[1]!.reg_write(REG.PBA, 0);
      for (let i = 0; i < 200; i++) expect(dev_queue_xmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 100, i), i < 199)).toBe(0);
      await msleep(2100); // NAPI drains; the watchdog folds MPC into the statistics
      for (let i = 0; i < 10; i++) expect(await netdev_transmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 100, 500 + i))).toBe(0);
      await msleep(10);
    });
    expect(eth1.stats.rx_missed_errors).toBeGreaterThan(0);
    const first = got.filter((g) => g[1] < 200).length;
    expect(first + eth1.stats.rx_missed_errors).toBe(200); // every frame either arrived or was counted missed
    expect(got.filter((g) => g[1] >= 500).map((g) => g[1])).toEqual(Array.from({ length: 10 }, (_, i) => 500 + i));
  });

  it("ip link down powers the PHY off (the link drops); up renegotiates", async () => {
    const tm = await two_nics_on_a_hub();
    await up_both(tm);
    const eth0 = dev_get_by_name("eth0")!;
    await tm.in_task(() => dev_close(eth0));
    expect(tm.nics[0]!.link_up).toBe(false);
    expect(eth0.carrier).toBe(false);
    await tm.in_task(async () => {
      await dev_open(eth0);
      await msleep(600);
    });
    expect(tm.nics[0]!.link_up).toBe(true);
    expect(eth0.carrier).toBe(true);
    expect(tm.dmesg()).toMatch(/e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex/);
  });

  it("a pulled cable turns the carrier off through LSC and the watchdog", async () => {
    const tm = await two_nics_on_a_hub();
    await up_both(tm);
    tm.nics[1]!.set_link(false);
    await tm.run_for(10e6);
    expect(dev_get_by_name("eth1")!.carrier).toBe(false);
    expect(tm.dmesg()).toMatch(/e1000: eth1 NIC Link is Down/);
  });
});

describe("e1000 recovery and leaks", () => {
  it("a transmit hang is detected by the watchdog, the adapter is reset and traffic resumes", async () => {
    const tm = await two_nics_on_a_hub();
    const { got } = record_test_frames();
    await up_both(tm);
    const eth0 = dev_get_by_name("eth0")!;
    const eth1 = dev_get_by_name("eth1")!;
    // Every buffer in use must sit in one of the rings (copybreak may leave one more posted).
    const in_rings = (): number =>
      [eth0, eth1].reduce((n, d) => {
        const a = d.priv as E1000Adapter;
        return n + a.rx_ring.buffer_info.filter((p) => p !== null).length + a.tx_ring.buffer_info.filter((p) => p !== null).length;
      }, 0);
    expect(pbuf_stats().in_use).toBe(in_rings());
    // The transmitter stops behind the driver's back (a hardware hiccup).
    const nic = tm.nics[0]!;
    nic.reg_write(REG.TCTL, nic.reg_read(REG.TCTL) & ~TCTL_EN);
    await tm.in_task(async () => {
      expect(await netdev_transmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 100, 1))).toBe(0);
      await msleep(6000);
    });
    const log = tm.dmesg();
    expect(log).toMatch(/eth0: Detected Tx Unit Hang\n.*TDH +<0>/);
    expect(log).toMatch(/e1000 0000:00:03\.0 eth0: Reset adapter/);
    await tm.in_task(async () => {
      await msleep(600);
      expect(await netdev_transmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 100, 2))).toBe(0);
      await msleep(10);
    });
    expect(got.map((g) => g[1])).toContain(2);
    expect(pbuf_stats().in_use).toBe(in_rings()); // the stuck frame's buffer was given back
  });

  it.each(PROBE_STAGES.map((s) => [s]))("a probe failing at '%s' unwinds and leaks nothing", async (stage) => {
    const tm = await boot_net_machine({ load: false });
    await tm.in_task(() => load_module("netdev"));
    const free = nr_free_pages();
    expect(await tm.in_task(() => load_module("e1000", { inject_fault: stage }))).toBe(0);
    expect(pci_devices().find((d) => d.name === "0000:00:03.0")!.driver).toBeNull();
    expect(tm.dmesg()).toMatch(new RegExp(`probe failed at ${stage}`));
    expect(netdev_list().length).toBe(0);
    expect(irq_actions(11)).toEqual([]);
    expect(dma_coherent_usage().allocations).toBe(0);
    expect(pbuf_stats().in_use).toBe(0);
    expect(await tm.in_task(() => unload_module("e1000"))).toBe(0);
    expect(nr_free_pages()).toBe(free);
  });

  it("100 insmod/rmmod cycles (with the interface up and traffic) leak nothing", async () => {
    const sink = new Sink();
    const tm = await boot_net_machine({ load: false, wires: [sink] });
    await tm.in_task(() => load_module("netdev"));
    const free = nr_free_pages();
    for (let i = 0; i < 100; i++) {
      expect(await tm.in_task(() => load_module("e1000"))).toBe(0);
      const eth0 = dev_get_by_name("eth0")!;
      if (i % 10 === 0) {
        await tm.in_task(async () => {
          await dev_open(eth0);
          await msleep(600);
          expect(await netdev_transmit(eth0, frame(eth0.broadcast, eth0.dev_addr, 200, i))).toBe(0);
          await msleep(5);
        });
      }
      expect(await tm.in_task(() => unload_module("e1000"))).toBe(0);
      expect(nr_free_pages()).toBe(free);
    }
    expect(sink.frames.length).toBe(10);
    expect(irq_actions(11)).toEqual([]);
    expect(pbuf_stats()).toMatchObject({ in_use: 0, pages: 0 });
  });
});

describe("e1000 tuning", () => {
  it("ethtool -C sets the interrupt throttle and -G resizes the rings", async () => {
    const tm = await two_nics_on_a_hub();
    await up_both(tm);
    const nc = net_control()!;
    expect(await tm.in_task(() => nc.ethtool("eth0", { cmd: "set_coalesce", rx_usecs: 100 }))).toEqual({ kind: "ok" });
    expect(tm.nics[0]!.reg_read(REG.ITR)).toBe(390); // 100 us / 256 ns, truncated as Linux
    expect(await tm.in_task(() => nc.ethtool("eth0", { cmd: "set_ring", rx: 512, tx: 128 }))).toEqual({ kind: "ok" });
    expect(tm.nics[0]!.reg_read(REG.RDLEN)).toBe(512 * 16);
    expect(tm.nics[0]!.reg_read(REG.TDLEN)).toBe(128 * 16);
    expect(await tm.in_task(() => nc.ethtool("eth0", { cmd: "set_ring", rx: 100 }))).toBe(-22); // not a multiple of 8
    const { got } = record_test_frames();
    const eth0 = dev_get_by_name("eth0")!;
    const eth1 = dev_get_by_name("eth1")!;
    await tm.in_task(async () => {
      await msleep(600);
      expect(await netdev_transmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 300, 7))).toBe(0);
      await msleep(5);
    });
    expect(got.map((g) => g[1])).toEqual([7]);
  });

  it("ethtool -G that cannot get memory fails with -ENOMEM and keeps the old rings working", async () => {
    const tm = await two_nics_on_a_hub();
    await up_both(tm);
    const nc = net_control()!;
    const f = fail_page_alloc_attr();
    f.set_min_order(0);
    f.set_ignore_gfp_wait(false);
    f.attr.verbose = 0;
    f.attr.probability = 100;
    f.attr.times = 1; // the new transmit ring's descriptors
    expect(await tm.in_task(() => nc.ethtool("eth0", { cmd: "set_ring", rx: 512, tx: 512 }))).toBe(-12);
    expect(tm.nics[0]!.reg_read(REG.RDLEN)).toBe(256 * 16);
    expect(tm.nics[0]!.reg_read(REG.TDLEN)).toBe(256 * 16);
    const { got } = record_test_frames();
    const eth0 = dev_get_by_name("eth0")!;
    const eth1 = dev_get_by_name("eth1")!;
    await tm.in_task(async () => {
      await msleep(600);
      expect(await netdev_transmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 300, 8))).toBe(0);
      await msleep(5);
    });
    expect(got.map((g) => g[1])).toEqual([8]);
    expect(dma_debug_error_count()).toBe(0);
  });
});
