/**
 * The page's memory snapshot (web/state/mem_state.ts) against the kernel's own reports: the buddy
 * free lists as /proc/buddyinfo shows them, MemTotal/MemFree as /proc/meminfo does, and the pbuf
 * pool's counts — which must rise by the ring's buffers when the e1000 fills its RX ring, with the
 * RX and TX holders matching what the device's head and tail registers say is posted.
 */
import { describe, expect, it } from "vitest";
import { dev_get_by_name, dev_open, dev_queue_xmit } from "../../drivers/net/netdev.ts";
import { REG, TCTL_EN } from "../../hw/net/e1000_regs.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { check_free_lists } from "../../kernel/mm/page_alloc.ts";
import { pbuf_stats } from "../../kernel/mm/pbuf.ts";
import { show_buddyinfo, show_meminfo } from "../../kernel/mm/vmstat.ts";
import { load_module } from "../../kernel/module.ts";
import { msleep } from "../../kernel/sched/core.ts";
import type { E1000 } from "../../hw/net/e1000.ts";
import { boot_net_machine, test_frame, two_nics_on_a_hub, type NetTestMachine } from "../helpers/net_machine.ts";
import type { WebMachine } from "../../web/state/web_machine.ts";
import { mem_snapshot } from "../../web/state/mem_state.ts";

const web = (tm: NetTestMachine): WebMachine => ({ name: "ringzero", machine: tm.machine, kernel: tm.kernel });

/** /proc/meminfo's value of `key`, in kB. */
function meminfo_kb(tm: NetTestMachine, key: string): number {
  const text = with_kernel(tm.kernel, show_meminfo);
  const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(text);
  if (m === null) throw new Error(`no ${key} in /proc/meminfo`);
  return Number(m[1]);
}

/** Descriptors between head and tail of one of the model's rings: what the driver has posted. */
function posted(nic: E1000, head: number, tail: number, len: number): number {
  const count = nic.reg_read(len) / 16;
  return (nic.reg_read(tail) - nic.reg_read(head) + count) % count;
}

describe("mem_snapshot", () => {
  it("shows the buddy free lists /proc/buddyinfo shows, and the totals /proc/meminfo reports", async () => {
    const tm = await boot_net_machine();
    const wm = web(tm);
    const s = mem_snapshot(wm);
    const buddyinfo = with_kernel(tm.kernel, show_buddyinfo).trim().split(/\s+/).slice(4).map(Number);
    expect(buddyinfo.length).toBe(s.max_order + 1);
    expect([...s.free_blocks]).toEqual(buddyinfo);
    expect([...s.free_pages_by_order]).toEqual(buddyinfo.map((n, o) => n << o));
    expect(s.free_pages).toBe(buddyinfo.reduce((a, n, o) => a + (n << o), 0));
    expect(s.total_pages * 4).toBe(meminfo_kb(tm, "MemTotal"));
    // MemFree leaves out the pages tmpfs holds (Shmem); the free lists still count them.
    expect(s.free_pages * 4).toBe(meminfo_kb(tm, "MemFree") + meminfo_kb(tm, "Shmem"));
    expect(with_kernel(tm.kernel, check_free_lists)).toEqual([]);
    expect(s.free_pages).toBeGreaterThan(0);
    expect(s.free_pages).toBeLessThan(s.total_pages);
  });

  it("reuses one object per machine, and follows the allocator between calls", async () => {
    const tm = await boot_net_machine({ load: false });
    const wm = web(tm);
    const a = mem_snapshot(wm);
    const free_before = a.free_pages;
    const version = a.version;
    expect(mem_snapshot(wm)).toBe(a);
    expect(a.version).toBe(version); // nothing changed
    expect(await tm.in_task(() => load_module("e1000", {}, true))).toBe(0);
    const b = mem_snapshot(wm);
    expect(b).toBe(a);
    expect(b.version).toBeGreaterThan(version);
    expect(b.free_pages).toBeLessThan(free_before);
    expect(b.free_pages * 4).toBe(meminfo_kb(tm, "MemFree") + meminfo_kb(tm, "Shmem"));
  });

  it("counts the buffers the e1000 posts to its RX ring at probe, as the pool and the device's RDH/RDT see them", async () => {
    const tm = await boot_net_machine({ load: false });
    const wm = web(tm);
    const before = { ...mem_snapshot(wm).pbuf };
    expect(before.rx_ring).toBe(0);
    // Probe sets up the rings and fills the RX ring (drivers/net/e1000.ts e1000_probe).
    expect(await tm.in_task(() => load_module("e1000", {}, true))).toBe(0);
    const after = mem_snapshot(wm).pbuf;
    const rx_posted = posted(tm.nics[0]!, REG.RDH, REG.RDT, REG.RDLEN);
    expect(rx_posted).toBeGreaterThan(100);
    // The driver fills one slot more than it hands over: RDT names the last buffer it filled, and
    // the hardware owns RDH..RDT-1 (e1000_alloc_rx_buffers, as Linux's).
    expect(after.rx_ring).toBe(rx_posted + 1);
    expect(after.in_use - before.in_use).toBe(after.rx_ring);
    // The pool's own counts.
    const s = with_kernel(tm.kernel, pbuf_stats);
    expect([after.in_use, after.pages, after.peak, after.allocs, after.failures]).toEqual([s.in_use, s.pages, s.peak, s.allocs, s.failures]);
    expect(after.capacity).toBe(2 * s.pages);
    expect(after.free).toBe(after.capacity - after.in_use);
    expect(after.rx_ring + after.tx_ring + after.other).toBe(after.in_use);
  });

  it("counts frames queued on a stopped transmitter as TX in flight, and releases them when it runs", async () => {
    const tm = await two_nics_on_a_hub();
    await tm.in_task(async () => {
      for (const n of ["eth0", "eth1"]) expect(await dev_open(dev_get_by_name(n)!)).toBe(0);
      await msleep(600);
    });
    const wm = web(tm);
    const idle = { ...mem_snapshot(wm).pbuf };
    expect(idle.tx_ring).toBe(0);
    const nic = tm.nics[0]!;
    nic.reg_write(REG.TCTL, nic.reg_read(REG.TCTL) & ~TCTL_EN);
    const eth0 = dev_get_by_name("eth0")!;
    const eth1 = dev_get_by_name("eth1")!;
    await tm.in_task(async () => {
      for (let i = 0; i < 5; i++) expect(dev_queue_xmit(eth0, test_frame(eth1.dev_addr, eth0.dev_addr, 100, i), i < 4)).toBe(0);
      await msleep(1);
    });
    const held = mem_snapshot(wm).pbuf;
    expect(held.tx_ring).toBe(5);
    expect(posted(nic, REG.TDH, REG.TDT, REG.TDLEN)).toBe(5);
    expect(held.in_use).toBe(idle.in_use + 5);
    expect(held.rx_ring + held.tx_ring + held.other).toBe(held.in_use);
    nic.reg_write(REG.TCTL, nic.reg_read(REG.TCTL) | TCTL_EN);
    nic.reg_write(REG.TDT, nic.reg_read(REG.TDT)); // the tail again: the transmitter looks at the ring
    await tm.run_for(50e6);
    expect(mem_snapshot(wm).pbuf.tx_ring).toBe(0);
  });
});
