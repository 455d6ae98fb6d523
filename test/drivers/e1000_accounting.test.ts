/**
 * issue 10, driver side: a device that reads all ones (decode off) is detached and its storming
 * line disabled; carrier-off transmits are dropped and counted by the core; frames freed by a reset
 * are counted; filter refusals and unknown EtherTypes are visible; PCI master aborts are reported
 * and recovered; a bad EEPROM fails probe; module parameters are checked as e1000_param.c does.
 */
import { describe, expect, it } from "vitest";
import { PCI_COMMAND, PCI_COMMAND_MEMORY, PCI_STATUS } from "../../include/kernel/pci.ts";
import type { PBuf } from "../../include/net/netdevice.ts";
import { MEMORY_MAP } from "../../hw/firmware.ts";
import type { E1000 } from "../../hw/net/e1000.ts";
import { ICR_LSC, REG, TCTL_EN } from "../../hw/net/e1000_regs.ts";
import { dev_get_by_name, dev_open, dev_queue_xmit, netdev_transmit } from "../../drivers/net/netdev.ts";
import { e1000_params } from "../../drivers/net/e1000_param.ts";
import { dma_coherent_usage } from "../../kernel/dma/mapping.ts";
import { irq_to_desc } from "../../kernel/irq/irqdesc.ts";
import { pbuf_alloc, pbuf_stats } from "../../kernel/mm/pbuf.ts";
import { load_module, module_last_error, unload_module } from "../../kernel/module.ts";
import { net_control } from "../../kernel/net_control.ts";
import { pci_devices } from "../../kernel/pci/probe.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { link_stats_lines } from "../../userland/lib/ipaddress.ts";
import { MAC_B, make_frame, Sink } from "../helpers/nic_harness.ts";
import { boot_net_machine, two_nics_on_a_hub, type NetTestMachine } from "../helpers/net_machine.ts";

function frame(dst: Uint8Array, src: Uint8Array, len: number, type = 0x88b5): PBuf {
  const p = pbuf_alloc()!;
  p.data.set(dst, p.head);
  p.data.set(src, p.head + 6);
  p.data[p.head + 12] = type >> 8;
  p.data[p.head + 13] = type & 0xff;
  p.data.fill(0x5a, p.head + 14, p.head + len);
  p.len = len;
  return p;
}

async function up(tm: NetTestMachine, names = ["eth0"]): Promise<void> {
  await tm.in_task(async () => {
    for (const n of names) expect(await dev_open(dev_get_by_name(n)!)).toBe(0);
    await msleep(600);
  });
}

async function ethtool_stats(tm: NetTestMachine, dev = "eth0"): Promise<Map<string, number>> {
  const r = await tm.in_task(() => net_control()!.ethtool(dev, { cmd: "stats" }));
  if (typeof r === "number" || r.kind !== "stats") throw new Error("no stats");
  return new Map(r.stats);
}

function cfg16(tm: NetTestMachine, nic: E1000, off: number, v?: number): number {
  const addr = MEMORY_MAP.ECAM_BASE + (nic.devfn << 12) + off;
  if (v !== undefined) tm.machine.mmio.write(addr, 2, v);
  return tm.machine.mmio.read(addr, 2);
}

describe("e1000: a device that reads all ones", () => {
  it("decode off with LSC pending: detached once, the storming line disabled, the machine runs on, rmmod frees everything", async () => {
    const tm = await boot_net_machine({ wires: [new Sink()] });
    await up(tm);
    const nic = tm.nics[0]!;
    const eth0 = dev_get_by_name("eth0")!;
    const irq = nic.irq_pin!.gsi;
    nic.reg_write(REG.ICS, ICR_LSC); // the line is asserted...
    cfg16(tm, nic, PCI_COMMAND, cfg16(tm, nic, PCI_COMMAND) & ~PCI_COMMAND_MEMORY); // ...and ICR now reads ~0
    // Bounded by virtual time; before the fix this never returned (ICR ~0 was claimed forever).
    const t = await tm.in_task(async () => {
      await msleep(3000);
      return "timers still run";
    });
    expect(t).toBe("timers still run");
    const log = tm.dmesg();
    expect(log.match(/e1000 0000:00:03\.0 eth0: PCIe link lost, device now detached/g)?.length).toBe(1);
    expect(log).toMatch(new RegExp(`irq ${irq}: nobody cared`));
    expect(irq_to_desc(irq)!.spurious_disabled).toBe(true);
    expect(eth0.present).toBe(false);
    expect(eth0.carrier).toBe(false);
    // Sending is dropped and counted by the core, never blocks.
    expect(await tm.in_task(() => netdev_transmit(eth0, frame(eth0.broadcast, eth0.dev_addr, 100)))).toBe(0);
    expect(eth0.stats.tx_dropped).toBeGreaterThanOrEqual(1);
    // ethtool still answers, and says there is no link.
    const link = await tm.in_task(() => net_control()!.ethtool("eth0", { cmd: "link" }));
    expect(link).toMatchObject({ kind: "link", settings: { link: false } });
    expect(await tm.in_task(() => unload_module("e1000"))).toBe(0);
    expect(dma_coherent_usage().allocations).toBe(0);
    expect(pbuf_stats().in_use).toBe(0);
  });
});

describe("e1000: carrier off", () => {
  it("the core drops and counts what is sent with no carrier; frames caught in the ring at link loss are counted too", async () => {
    const tm = await two_nics_on_a_hub();
    await up(tm, ["eth0", "eth1"]);
    const eth0 = dev_get_by_name("eth0")!;
    const eth1 = dev_get_by_name("eth1")!;
    const base = pbuf_stats().in_use;
    // The cable goes; 20 frames reach the driver before the watchdog has noticed.
    tm.nics[0]!.set_link(false);
    await tm.in_task(() => {
      for (let i = 0; i < 20; i++) expect(dev_queue_xmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 100), i < 19)).toBe(0);
    });
    await tm.run_for(5e9);
    expect(eth0.carrier).toBe(false);
    expect(eth0.stats.tx_packets + eth0.stats.tx_dropped).toBe(20);
    // Now the core itself refuses to hand frames to the driver: 10 more, all counted.
    const before = { ...eth0.stats };
    await tm.in_task(async () => {
      for (let i = 0; i < 10; i++) expect(await netdev_transmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 100))).toBe(0);
    });
    expect(eth0.stats.tx_dropped - before.tx_dropped).toBe(10);
    expect(eth0.stats.tx_carrier_errors - before.tx_carrier_errors).toBe(10);
    expect(eth0.stats.tx_packets).toBe(before.tx_packets);
    expect(pbuf_stats().in_use).toBe(base);
  });
});

describe("e1000: resets free nothing uncounted", () => {
  it("50 frames accepted, then a TX hang: after the reset tx_packets + tx_dropped accounts for all 50", async () => {
    const tm = await two_nics_on_a_hub();
    await up(tm, ["eth0", "eth1"]);
    const eth0 = dev_get_by_name("eth0")!;
    const eth1 = dev_get_by_name("eth1")!;
    const nic = tm.nics[0]!;
    nic.reg_write(REG.TCTL, nic.reg_read(REG.TCTL) & ~TCTL_EN); // the transmitter stops behind our back
    await tm.in_task(async () => {
      for (let i = 0; i < 50; i++) expect(await netdev_transmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 100))).toBe(0);
      await msleep(6000);
    });
    expect(tm.dmesg()).toMatch(/eth0: Reset adapter/);
    expect(eth0.stats.tx_packets + eth0.stats.tx_dropped).toBe(50);
    const s = await ethtool_stats(tm);
    expect(s.get("tx_reset_dropped")).toBe(50);
    expect(s.get("tx_timeout_count")).toBe(1);
  });

  it("ifdown with frames still in the ring counts them", async () => {
    const tm = await two_nics_on_a_hub();
    await up(tm, ["eth0", "eth1"]);
    const eth0 = dev_get_by_name("eth0")!;
    const nic = tm.nics[0]!;
    const base = pbuf_stats().in_use;
    nic.reg_write(REG.TCTL, nic.reg_read(REG.TCTL) & ~TCTL_EN);
    await tm.in_task(async () => {
      for (let i = 0; i < 7; i++) expect(await netdev_transmit(eth0, frame(eth0.broadcast, eth0.dev_addr, 100))).toBe(0);
      expect(await net_control()!.setlink("eth0", { up: false })).toBe(0);
    });
    expect(eth0.stats.tx_dropped).toBe(7);
    expect((await ethtool_stats(tm)).get("tx_reset_dropped")).toBe(7);
    expect(pbuf_stats().in_use).toBeLessThan(base); // the RX ring's buffers went back too
  });
});

describe("e1000: every drop reason visible", () => {
  it("address-filter refusals, runts, oversize frames and unknown EtherTypes show in ethtool -S and ip -s -s link", async () => {
    const sink = new Sink();
    const tm = await boot_net_machine({ wires: [sink] });
    await up(tm);
    const eth0 = dev_get_by_name("eth0")!;
    const me = eth0.dev_addr;
    for (let i = 0; i < 5; i++) sink.inject(make_frame(MAC_B, MAC_B, 100)); // unicast to someone else
    for (let i = 0; i < 3; i++) sink.inject(make_frame(me, MAC_B, 100, 0x9999)); // nobody handles 0x9999
    for (let i = 0; i < 2; i++) sink.inject(make_frame(me, MAC_B, 1600)); // oversize (LPE clear)
    await tm.run_for(2.5e9); // the watchdog folds the counters in
    const s = await ethtool_stats(tm);
    expect(s.get("rx_filtered")).toBe(5);
    expect(s.get("rx_nohandler")).toBe(3);
    expect(s.get("rx_long_length_errors")).toBe(2);
    // Linux's e1000_gstrings_stats names are all there.
    for (const name of ["rx_packets", "tx_dropped", "rx_length_errors", "rx_over_errors", "rx_no_buffer_count", "rx_missed_errors", "tx_fifo_errors", "tx_heartbeat_errors", "tx_window_errors", "tx_timeout_count", "rx_long_length_errors", "rx_short_length_errors", "rx_align_errors", "tx_tcp_seg_good", "tx_tcp_seg_failed", "rx_long_byte_count", "alloc_rx_buff_failed", "tx_smbus", "rx_smbus", "dropped_smbus"]) {
      expect(s.has(name), name).toBe(true);
    }
    const info = net_control()!.getlinks().find((l) => l.name === "eth0")!;
    expect(info.stats.rx_nohandler).toBe(3);
    expect(link_stats_lines(info, 2)).toContain(" nohandler\n");
  });

  it("ip -s -s link prints the error breakdown as iproute2 6.1 does (nohandler only when non-zero)", () => {
    const z = { rx_packets: 0, tx_packets: 0, rx_bytes: 0, tx_bytes: 0, rx_errors: 0, tx_errors: 0, rx_dropped: 0, tx_dropped: 0, multicast: 0, collisions: 0, rx_missed_errors: 0, rx_crc_errors: 0, rx_over_errors: 0, rx_length_errors: 0, rx_frame_errors: 0, rx_fifo_errors: 0, tx_aborted_errors: 0, tx_carrier_errors: 0, tx_fifo_errors: 0, tx_heartbeat_errors: 0, tx_window_errors: 0, rx_nohandler: 0 };
    const info = { ifindex: 2, name: "eth0", flags: 0, mtu: 1500, mac: "", carrier: true, type: "ether" as const, driver: "", parent: "", tx_queue_stopped: false, carrier_changes: 2 };
    expect(link_stats_lines({ ...info, stats: { ...z, rx_bytes: 27416170, rx_packets: 19520, tx_bytes: 1788446, tx_packets: 14184 } }, 2)).toBe(
      "    RX:  bytes packets errors dropped  missed   mcast           \n" +
        "      27416170   19520      0       0       0       0 \n" +
        "    RX errors:  length    crc   frame    fifo overrun\n" +
        "                     0      0       0       0       0 \n" +
        "    TX:  bytes packets errors dropped carrier collsns           \n" +
        "       1788446   14184      0       0       0       0 \n" +
        "    TX errors: aborted   fifo  window heartbt transns\n" +
        "                     0      0       0       0       2 \n",
    );
    const text = link_stats_lines({ ...info, stats: { ...z, rx_nohandler: 3, rx_length_errors: 2 } }, 2);
    // iproute2 6.1 prints the column as " nohandler" in cols[6] + 1, right after "overrun".
    expect(text.split("\n")[2]).toBe("    RX errors:  length    crc   frame    fifo overrun  nohandler");
    expect(text.split("\n")[3]).toBe("                     2      0       0       0       0          3 ");
    expect(link_stats_lines({ ...info, stats: z }, 1)).not.toContain("RX errors");
  });
});

describe("e1000: injected faults", () => {
  it("a master abort is reported from PCI Status, cleared, and recovered by a reset", async () => {
    const tm = await two_nics_on_a_hub();
    await up(tm, ["eth0", "eth1"]);
    const eth0 = dev_get_by_name("eth0")!;
    const eth1 = dev_get_by_name("eth1")!;
    const nic = tm.nics[0]!;
    nic.reg_write(REG.TDBAL, 0xe0000000); // the TX ring now lies in a hole
    await tm.in_task(async () => {
      expect(await netdev_transmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 100))).toBe(0);
      await msleep(3000);
    });
    expect(tm.dmesg()).toMatch(/eth0: PCI bus error \(master abort\), status 0x2/);
    expect(cfg16(tm, nic, PCI_STATUS) & 0x2000).toBe(0);
    expect((await ethtool_stats(tm)).get("pci_bus_errors")).toBe(1);
    await tm.in_task(async () => {
      await msleep(700);
      expect(await netdev_transmit(eth0, frame(eth1.dev_addr, eth0.dev_addr, 100))).toBe(0);
      await msleep(10);
    });
    expect(eth1.stats.rx_packets).toBeGreaterThanOrEqual(1);
    expect(eth0.stats.tx_packets + eth0.stats.tx_dropped).toBe(2);
  });

  it("a corrupt EEPROM checksum fails probe with Linux's message", async () => {
    const tm = await boot_net_machine({ load: false });
    const ee = tm.nics[0]!.eeprom;
    ee[0x10] = ee[0x10]! ^ 0x0100;
    expect(await tm.in_task(() => load_module("e1000", {}, true))).toBe(0);
    expect(tm.dmesg()).toMatch(/e1000 0000:00:03\.0: The EEPROM Checksum Is Not Valid/);
    expect(pci_devices().find((d) => d.name === "0000:00:03.0")!.driver).toBeNull();
  });
});

describe("e1000 module parameters (e1000_param.c)", () => {
  it("a value that is not a number fails insmod, naming the parameter", async () => {
    const tm = await boot_net_machine({ load: false });
    expect(await tm.in_task(() => load_module("e1000", { RxDescriptors: "abc" }, true))).toBe(-22);
    expect(tm.dmesg()).toMatch(/e1000: `abc' invalid for parameter `RxDescriptors'/);
    expect(module_last_error()).toBe("Invalid parameters");
  });

  it("an out-of-range value falls back to the default, saying so, and probe goes on", async () => {
    const tm = await boot_net_machine({ load: false });
    expect(await tm.in_task(() => load_module("e1000", { RxDescriptors: "3", TxDescriptors: "100", InterruptThrottleRate: "7" }, true))).toBe(0);
    const log = tm.dmesg();
    expect(log).toMatch(/e1000: Invalid Receive Descriptors value specified \(3\) using default of 256/);
    expect(log).toMatch(/e1000: Transmit Descriptors set to 100/);
    expect(log).toMatch(/e1000: Invalid Interrupt Throttling Rate \(ints\/sec\) value specified \(7\) using default of 3/);
    expect(e1000_params.get()).toMatchObject({ rx_descriptors: 256, tx_descriptors: 104, itr: 20000 });
    expect(dev_get_by_name("eth0")).toBeDefined();
  });

  it("a bad inject_fault names the valid stages; an unknown parameter is ignored with a warning", async () => {
    const tm = await boot_net_machine({ load: false });
    expect(await tm.in_task(() => load_module("e1000", { inject_fault: "bogus", foo: "1" }, true))).toBe(0);
    const log = tm.dmesg();
    expect(log).toMatch(/e1000: Invalid inject_fault value specified \(bogus\) using default of none \(valid: enable, iomap/);
    expect(log).toMatch(/e1000: unknown parameter 'foo' ignored/);
    expect(dev_get_by_name("eth0")).toBeDefined();
  });
});
