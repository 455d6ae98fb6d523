/**
 * web/state/ring_state.ts against a booted machine: a ping over the built-in user network, with a
 * snapshot taken between every two slices of the run loop (the page takes one per animation
 * frame, the same place). Each snapshot is checked against what the device and the driver hold,
 * read another way (the registers by name, the driver's own ring through its CPU view).
 */
import { describe, expect, it } from "vitest";
import { E1000 } from "../../hw/net/e1000.ts";
import { REG } from "../../hw/net/e1000_regs.ts";
import { UserNet } from "../../hw/net/user_net.ts";
import { VirtioNet } from "../../hw/net/virtio_net.ts";
import { World } from "../../hw/world.ts";
import type { E1000Adapter } from "../../drivers/net/e1000_adapter.ts";
import { E1000_DESC_SIZE, E1000_RXD_STAT_DD, E1000_RXD_STATUS, E1000_TXD_STAT_DD, E1000_TXD_STATUS } from "../../drivers/net/e1000_hw.ts";
import { dev_get_by_name } from "../../drivers/net/netdev.ts";
import type { VirtnetInfo } from "../../drivers/net/virtio_net_info.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { boot_host, boot_net_machine } from "../helpers/net_machine.ts";
import type { WebMachine } from "../../web/state/web_machine.ts";
import { DESC_F, DESC_STATE, ring_snapshot, type NicRings, type RingSnapshot } from "../../web/state/ring_state.ts";

function ping_host(nic: "e1000" | "virtio-net-pci"): { world: World; wm: WebMachine } {
  const world = new World();
  const tm = boot_host(world, { wires: [new UserNet(world.clock)], cmdline: "ip=dhcp", command: "ping -c 3 10.0.2.2", nic });
  return { world, wm: { name: "ringzero", machine: tm.machine, kernel: tm.kernel } };
}

/** DD bits in the driver's own view of its descriptors (coherent memory, through the CPU). */
function driver_dd(a: E1000Adapter, rx: boolean): number {
  const ring = rx ? a.rx_ring : a.tx_ring;
  let n = 0;
  for (let i = 0; i < ring.count; i++) {
    const st = ring.desc!.view.getUint8(i * E1000_DESC_SIZE + (rx ? E1000_RXD_STATUS : E1000_TXD_STATUS));
    if ((st & (rx ? E1000_RXD_STAT_DD : E1000_TXD_STAT_DD)) !== 0) n++;
  }
  return n;
}

/** Descriptors of `r` with DD set that are not in DONE state (should be none). */
function dd_outside_done(r: RingSnapshot): number {
  let n = 0;
  for (let i = 0; i < r.size; i++) if ((r.flags[i]! & DESC_F.DD) !== 0 && r.state[i] !== DESC_STATE.DONE) n++;
  return n;
}

describe("ring_snapshot", () => {
  it("e1000: follows TX tail and head, DD write-back and next_to_clean through a ping, agreeing with device and driver", async () => {
    const { world, wm } = ping_host("e1000");
    const nic = [...wm.machine.pci.devices.values()].find((d) => d instanceof E1000) as E1000;
    // Boot until the driver has set the rings up.
    const first = (): NicRings | undefined => ring_snapshot(wm)[0];
    await world.run({ until: () => (first()?.bound ?? false) && first()!.rings[1]!.size > 0 && first()!.rings[0]!.hw_owned > 0, for_ns: 30e9 });
    const snaps = ring_snapshot(wm);
    expect(snaps.length).toBe(1);
    const n0 = snaps[0]!;
    expect(n0.model).toBe("e1000");
    expect(n0.name).toBe("eth0");
    expect(n0.pci).toBe("00:03.0");
    const [rx0, tx0] = n0.rings as [RingSnapshot, RingSnapshot];
    expect(rx0.id).toBe("eth0-rx");
    expect(tx0.id).toBe("eth0-tx");
    const a = with_kernel(wm.kernel, () => dev_get_by_name("eth0")!.priv as E1000Adapter);
    expect(tx0.size).toBe(a.tx_ring.count);
    expect(rx0.size).toBe(a.rx_ring.count);
    expect(tx0.base).toBe(a.tx_ring.desc!.dma_handle);
    expect(rx0.base).toBe(a.rx_ring.desc!.dma_handle);
    const tail_start = tx0.tail_advances;
    const ntc_start = rx0.ntc_advances;

    let checks = 0;
    let tx_dd_seen = 0;
    let tx_eop_dd_seen = 0;
    let rx_dd_seen = 0;
    let mismatch = "";
    const check = (): boolean => {
      const s = ring_snapshot(wm);
      // The same objects every time: the page's 60 calls a second allocate nothing new.
      if (s !== snaps || s[0] !== n0) mismatch ||= "snapshot objects were not reused";
      const [rx, tx] = n0.rings as [RingSnapshot, RingSnapshot];
      checks++;
      const r = nic.regs;
      if (tx.head !== r[REG.TDH >> 2] || tx.tail !== r[REG.TDT >> 2] || rx.head !== r[REG.RDH >> 2] || rx.tail !== r[REG.RDT >> 2]) mismatch ||= `head/tail differ from the registers at check ${checks}`;
      if (tx.ntu !== a.tx_ring.next_to_use || tx.ntc !== a.tx_ring.next_to_clean || rx.ntu !== a.rx_ring.next_to_use || rx.ntc !== a.rx_ring.next_to_clean) mismatch ||= `ntu/ntc differ from the adapter at check ${checks}`;
      if (tx.dd !== driver_dd(a, false) || rx.dd !== driver_dd(a, true)) mismatch ||= `DD count ${tx.dd}/${rx.dd} differs from the driver's view ${driver_dd(a, false)}/${driver_dd(a, true)} at check ${checks}`;
      if (dd_outside_done(tx) !== 0 || dd_outside_done(rx) !== 0) mismatch ||= `a DD descriptor outside next_to_clean..HEAD at check ${checks}`;
      if (tx.dd > 0) {
        tx_dd_seen++;
        // The frames behind the tail: every DD descriptor is an EOP one (only EOP asks for RS).
        for (let i = 0; i < tx.size; i++) if ((tx.flags[i]! & (DESC_F.DD | DESC_F.EOP)) === (DESC_F.DD | DESC_F.EOP) && tx.len[i]! > 0) tx_eop_dd_seen++;
      }
      if (rx.dd > 0) {
        rx_dd_seen++;
        for (let i = 0; i < rx.size; i++) if ((rx.flags[i]! & DESC_F.DD) !== 0 && rx.len[i]! < 60) mismatch ||= `RX descriptor ${i} done with length ${rx.len[i]}`;
      }
      return wm.machine.powered_off;
    };
    await world.run({ until: check, for_ns: 60e9 });
    expect(wm.machine.console_output).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
    expect(mismatch).toBe("");
    expect(checks).toBeGreaterThan(20);
    const [rx, tx] = n0.rings as [RingSnapshot, RingSnapshot];
    // At least the three echo requests went out: TX tail moved by as many descriptors.
    expect(tx.tail_advances - tail_start).toBeGreaterThanOrEqual(3);
    expect(tx.head_advances - tail_start).toBeGreaterThanOrEqual(3);
    expect(tx.frames).toBeGreaterThanOrEqual(3);
    expect(tx.packets).toBe(a.netdev.stats.tx_packets);
    // Written back frames were seen between slices, before the driver cleaned them.
    expect(tx_dd_seen).toBeGreaterThan(0);
    expect(tx_eop_dd_seen).toBeGreaterThan(0);
    expect(rx_dd_seen).toBeGreaterThan(0);
    // The three replies (and ARP) were cleaned: next_to_clean moved over at least three descriptors.
    expect(rx.ntc_advances - ntc_start).toBeGreaterThanOrEqual(3);
    expect(rx.packets).toBe(a.netdev.stats.rx_packets);
    expect(rx.frames).toBe(nic.rx.frames);
    // Counts add up: hardware-owned RX descriptors are the posted buffers between RDH and RDT.
    expect(rx.hw_owned).toBe((rx.tail - rx.head + rx.size) % rx.size);
  });

  it("virtio-net: avail and used indices, the driver's last_used_idx and free count, per-slot state", async () => {
    const { world, wm } = ping_host("virtio-net-pci");
    const dev = [...wm.machine.pci.devices.values()].find((d) => d instanceof VirtioNet) as VirtioNet;
    const first = (): NicRings | undefined => ring_snapshot(wm)[0];
    await world.run({ until: () => (first()?.bound ?? false) && first()!.rings[0]!.hw_owned > 0, for_ns: 30e9 });
    const n0 = first()!;
    expect(n0.model).toBe("virtio-net");
    expect(n0.name).toBe("eth0");
    expect(n0.rings.map((r) => r.id)).toEqual(["eth0-rx", "eth0-tx", "eth0-ctrl"]);
    expect(n0.rings.map((r) => r.size)).toEqual([256, 256, 64]);
    const vi = with_kernel(wm.kernel, () => dev_get_by_name("eth0")!.priv as VirtnetInfo);
    const tx_tail0 = n0.rings[1]!.tail_advances;
    let mismatch = "";
    let rx_done_seen = 0;
    let checks = 0;
    const check = (): boolean => {
      ring_snapshot(wm);
      checks++;
      const [rx, tx] = n0.rings as [RingSnapshot, RingSnapshot];
      for (const [r, q, d] of [[rx, dev.rxq, vi.rq], [tx, dev.txq, vi.sq]] as const) {
        if (r.used_idx !== (q.used_idx & 0xffff) || r.last_avail_idx !== (q.last_avail_idx & 0xffff)) mismatch ||= `${r.id}: device indices differ at check ${checks}`;
        if (r.avail_idx !== d.ring.view.getUint16(d.avail_addr - d.desc_addr + 2, true)) mismatch ||= `${r.id}: avail idx differs from the driver's ring at check ${checks}`;
        if (r.num_free !== d.num_free) mismatch ||= `${r.id}: num_free differs at check ${checks}`;
        if (r.hw_owned !== ((r.avail_idx - r.used_idx) & 0xffff)) mismatch ||= `${r.id}: ${r.hw_owned} slots owned by the device, indices say ${(r.avail_idx - r.used_idx) & 0xffff}`;
        if (r.done !== ((r.used_idx - r.last_used_idx) & 0xffff)) mismatch ||= `${r.id}: ${r.done} slots done, indices say ${(r.used_idx - r.last_used_idx) & 0xffff}`;
      }
      // One descriptor per receive buffer: what is not free is in the ring, posted or used-not-reaped.
      if (rx.num_free !== rx.size - ((rx.avail_idx - rx.last_used_idx) & 0xffff)) mismatch ||= `rx: num_free ${rx.num_free} vs avail ${rx.avail_idx} last_used ${rx.last_used_idx}`;
      if (rx.done > 0) {
        rx_done_seen++;
        for (let i = 0; i < rx.size; i++) if (rx.state[i] === DESC_STATE.DONE && rx.len[i]! < 12 + 42) mismatch ||= `rx slot ${i} used with length ${rx.len[i]}`;
      }
      return wm.machine.powered_off;
    };
    await world.run({ until: check, for_ns: 60e9 });
    expect(wm.machine.console_output).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
    expect(mismatch).toBe("");
    const [rx, tx] = n0.rings as [RingSnapshot, RingSnapshot];
    expect(tx.tail_advances - tx_tail0).toBeGreaterThanOrEqual(3);
    expect(tx.frames).toBe(dev.stats.tx_frames);
    expect(tx.frames).toBeGreaterThanOrEqual(3);
    // Everything sent was completed by the device.
    expect(tx.used_idx).toBe(tx.avail_idx);
    expect(rx_done_seen).toBeGreaterThan(0);
    expect(rx.ntc_advances).toBeGreaterThanOrEqual(3);
    expect(rx.packets).toBe(vi.dev.stats.rx_packets);
  });

  it("a NIC without a driver shows the device side only", async () => {
    const tm = await boot_net_machine({ load: false });
    const wm: WebMachine = { name: "ringzero", machine: tm.machine, kernel: tm.kernel };
    const s = ring_snapshot(wm);
    expect(s.length).toBe(1);
    expect(s[0]!.bound).toBe(false);
    expect(s[0]!.name).toBe("e1000.0");
    expect(s[0]!.rings[1]!.id).toBe("e1000.0-tx");
    expect(s[0]!.rings[1]!.ntu).toBe(-1);
    expect(s[0]!.rings[1]!.size).toBe(0);
  });
});
