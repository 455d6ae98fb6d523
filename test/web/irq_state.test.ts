/**
 * web/state/irq_state.ts against booted machines: the lines and counts agree with /proc/interrupts
 * (kernel/irq/proc.ts, the text the shell's `cat` shows), the e1000's throttle agrees with its ITR
 * register and the driver's InterruptThrottleRate, and a throttled interrupt is seen being held.
 */
import { describe, expect, it } from "vitest";
import { E1000 } from "../../hw/net/e1000.ts";
import { REG } from "../../hw/net/e1000_regs.ts";
import { UserNet } from "../../hw/net/user_net.ts";
import { World } from "../../hw/world.ts";
import type { E1000Adapter } from "../../drivers/net/e1000_adapter.ts";
import { e1000_itr_reg } from "../../drivers/net/e1000_itr.ts";
import { dev_get_by_name, dev_open, dev_queue_xmit, netdev_list } from "../../drivers/net/netdev.ts";
import type { NetDevice } from "../../include/net/netdevice.ts";
import { show_interrupts } from "../../kernel/irq/proc.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { boot_host, test_frame, two_nics_on_a_hub } from "../helpers/net_machine.ts";
import type { WebMachine } from "../../web/state/web_machine.ts";
import { irq_snapshot, itr_reg_to_rate, type IrqSnapshot } from "../../web/state/irq_state.ts";

/** Every line of /proc/interrupts with a number: irq → [count, names]. */
function proc_interrupts(wm: WebMachine): Map<number, [number, string]> {
  const text = with_kernel(wm.kernel, show_interrupts);
  const out = new Map<number, [number, string]>();
  for (const m of text.matchAll(/^ *(\d+): +(\d+) +\S+ +\d+-\S+(?: +(.*))?$/gm)) out.set(Number(m[1]), [Number(m[2]), m[3] ?? ""]);
  return out;
}

function agrees_with_proc(wm: WebMachine, s: IrqSnapshot): void {
  const proc = proc_interrupts(wm);
  expect(s.lines.map((l) => l.irq)).toEqual([...proc.keys()]);
  for (const l of s.lines) expect([l.count, l.names]).toEqual(proc.get(l.irq));
}

describe("irq_snapshot", () => {
  it("lists /proc/interrupts' lines; the e1000 line counts up through a ping; ITR as the register and the driver hold it", async () => {
    const world = new World();
    const tm = boot_host(world, { wires: [new UserNet(world.clock)], cmdline: "ip=dhcp", command: "ping -c 3 10.0.2.2", nic: "e1000" });
    const wm: WebMachine = { name: "ringzero", machine: tm.machine, kernel: tm.kernel };
    const nic = [...wm.machine.pci.devices.values()].find((d) => d instanceof E1000) as E1000;
    await world.run({ until: () => irq_snapshot(wm).itr[0]?.irq !== -1 && irq_snapshot(wm).lines.some((l) => l.names.includes("eth0")), for_ns: 30e9 });
    const s = irq_snapshot(wm);
    agrees_with_proc(wm, s);
    const line = s.lines.find((l) => l.names.split(", ").includes("eth0"))!;
    expect(line).toBeDefined();
    const before = line.count;
    expect(line.itr.map((t) => t.name)).toEqual(["eth0"]);
    const a = with_kernel(wm.kernel, () => dev_get_by_name("eth0")!.priv as E1000Adapter);
    expect(line.irq).toBe(a.pdev.irq);

    let itr_checks = 0;
    let bad = "";
    const check = (): boolean => {
      const snap = irq_snapshot(wm);
      const t = snap.itr[0]!;
      itr_checks++;
      const reg = nic.regs[REG.ITR >> 2]! & 0xffff;
      if (t.reg !== reg) bad ||= `ITR ${t.reg}, register ${reg}`;
      if (t.interval_ns !== reg * 256) bad ||= `interval ${t.interval_ns} for ITR ${reg}`;
      if (t.mode !== a.itr_setting || t.driver_itr !== a.itr) bad ||= `driver mode/itr ${t.mode}/${t.driver_itr}, adapter ${a.itr_setting}/${a.itr}`;
      // Dynamic mode: the driver programs the register from its current rate.
      if (reg !== e1000_itr_reg(a.itr)) bad ||= `register ${reg} is not the driver's rate ${a.itr}`;
      if (t.raised !== nic.interrupts_raised || t.handled !== a.irq_count) bad ||= "interrupt counters differ";
      return wm.machine.powered_off;
    };
    await world.run({ until: check, for_ns: 60e9 });
    expect(wm.machine.console_output).toMatch(/0% packet loss/);
    expect(bad).toBe("");
    expect(itr_checks).toBeGreaterThan(10);
    const after = irq_snapshot(wm);
    agrees_with_proc(wm, after);
    expect(line.count).toBeGreaterThanOrEqual(before + 3);
    const t = after.itr[0]!;
    expect(t.mode).toBe(3);
    expect(t.mode_name).toBe("dynamic conservative");
    expect(t.reg).toBeGreaterThan(0);
    expect(t.max_per_s).toBe(Math.floor(1e9 / (t.reg * 256)));
  });

  it("a fixed InterruptThrottleRate=100 shows 100/s and an interrupt held back by ITR", async () => {
    const tm = await two_nics_on_a_hub({ InterruptThrottleRate: "100" });
    const wm: WebMachine = { name: "ringzero", machine: tm.machine, kernel: tm.kernel };
    await tm.in_task(async () => {
      for (const d of netdev_list().filter((x) => x.type === "ether")) expect(await dev_open(d)).toBe(0);
      await msleep(600);
    });
    const s = irq_snapshot(wm);
    expect(s.itr.map((t) => t.name)).toEqual(["eth0", "eth1"]);
    for (const t of s.itr) {
      expect(t.mode).toBe(100);
      expect(t.mode_name).toBe("fixed 100/s");
      expect(t.reg).toBe(e1000_itr_reg(100));
      expect(t.max_per_s).toBe(100);
    }
    expect(itr_reg_to_rate(0)).toBe(0);
    // Two bursts 1 ms apart: the second's interrupt must wait out the 10 ms interval.
    let held = 0;
    let held_ok = true;
    const send = async (): Promise<void> => {
      const [eth0, eth1] = netdev_list().filter((x) => x.type === "ether") as [NetDevice, NetDevice];
      for (let i = 0; i < 4; i++) dev_queue_xmit(eth0, test_frame(eth1.dev_addr, eth0.dev_addr, 100, i));
    };
    const counts0 = irq_snapshot(wm).lines.map((l) => l.count).reduce((x, y) => x + y, 0);
    await tm.in_task(async () => {
      await send();
      await msleep(1);
      await send();
    });
    await tm.world.run({
      until: () => {
        const snap = irq_snapshot(wm);
        for (const t of snap.itr) {
          if (t.throttled) {
            held++;
            if (!(t.held_until_ns > snap.now_ns && t.pending && !t.asserted)) held_ok = false;
          }
        }
        return false;
      },
      for_ns: 50e6,
    });
    expect(held).toBeGreaterThan(0);
    expect(held_ok).toBe(true);
    const after = irq_snapshot(wm);
    expect(after.itr.every((t) => !t.throttled)).toBe(true);
    expect(after.lines.map((l) => l.count).reduce((x, y) => x + y, 0)).toBeGreaterThan(counts0);
    agrees_with_proc(wm, after);
  });

  it("virtio-net: its MSI-X lines, no ITR", async () => {
    const world = new World();
    const tm = boot_host(world, { wires: [new UserNet(world.clock)], cmdline: "ip=dhcp", command: "ping -c 2 10.0.2.2", nic: "virtio-net-pci" });
    const wm: WebMachine = { name: "ringzero", machine: tm.machine, kernel: tm.kernel };
    await world.run({ until: () => wm.machine.powered_off, for_ns: 60e9 });
    const s = irq_snapshot(wm);
    agrees_with_proc(wm, s);
    expect(s.itr).toEqual([]);
    const input = s.lines.find((l) => l.names === "virtio0-input.0")!;
    expect(input.chip).toBe("PCI-MSI");
    expect(input.count).toBeGreaterThanOrEqual(2);
  });
});
