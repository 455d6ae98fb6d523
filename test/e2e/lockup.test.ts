/**
 * A JavaScript loop that never returns, in a module's init (as a probe stuck polling) or in an
 * interrupt handler, through the real entrypoint: the lockup watchdog thread catches it, the kernel
 * prints Linux's soft-lockup report with the stuck stack, the offender is unwound, and the console
 * keeps working. Wall time matters here only as the watchdog's threshold (300 ms).
 */
import { describe, expect, it } from "vitest";
import { run_ringzero } from "../helpers/run_entry.ts";

const V = ["--clock", "virtual", "--watchdog-ms", "300"];

describe("lockup watchdog (synchronous loops)", () => {
  it("a module init that spins forever is reported with its stack and killed; the shell goes on", async () => {
    const r = await run_ringzero([...V, "-c", "insmod test_lockup; echo status $?; echo alive"], "", 30_000);
    expect(r.stdout).toMatch(/watchdog: BUG: soft lockup - CPU#0 stuck for \d+s! \[insmod:\d+\]/);
    expect(r.stdout).toMatch(/test_lockup_spin \(drivers\/misc\/test_lockup\.ts:\d+\)/);
    expect(r.stdout).toMatch(/load_module \(kernel\/module\.ts:\d+\)/);
    expect(r.stdout).toContain("killing insmod");
    expect(r.stdout).toContain("status 137\nalive\n");
    expect(r.code).toBe(0);
  });

  it("a PCI driver's probe that spins forever: reported, insmod killed, the device binds to its own driver again", async () => {
    const r = await run_ringzero([...V, "-c", "rmmod edu; insmod test_lockup context=probe; echo status $?; insmod test_lockup context=probe how=delay; echo status $?; insmod edu; lspci -k -s 04.0"], "", 30_000);
    expect(r.stdout).toMatch(/test_lockup_probe \(drivers\/misc\/test_lockup\.ts:\d+\)\n.*driver_probe_device \(kernel\/pci\/pci_driver\.ts:\d+\)/);
    expect(r.stdout.match(/^status 137$/gm)).toHaveLength(2); // the second load is not refused: the first left nothing behind
    expect(r.stdout).toContain("test_lockup: init was killed; running its exit to release what it registered");
    expect(r.stdout).toContain("Kernel driver in use: edu");
    expect(r.code).toBe(0);
  });

  it("an interrupt handler that spins forever: reported in IRQ context, its line disabled until every handler on it is freed", async () => {
    const r = await run_ringzero(
      [...V, "-c", "insmod test_lockup context=irq irq=11; ping -c 1 -W 1 10.0.2.2; echo alive; rmmod test_lockup; rmmod e1000; insmod e1000; dhclient eth0; ping -c 1 10.0.2.2"],
      "",
      30_000,
    );
    expect(r.stdout).toMatch(/watchdog: BUG: soft lockup - CPU#0 stuck for \d+s! \[swapper\/0:0\]/);
    expect(r.stdout).toMatch(/<IRQ>\n.*test_lockup_spin/);
    expect(r.stdout).toContain("Disabling IRQ #11");
    expect(r.stdout).toContain("1 packets transmitted, 0 received"); // the shared line is off: eth0 hears nothing
    expect(r.stdout).toContain("alive\n");
    // With both handlers gone the line starts afresh: the reloaded driver works.
    expect(r.stdout).toContain("1 packets transmitted, 1 received");
    expect(r.code).toBe(0);
  });

  it("a timer callback that spins: the softirq pass is abandoned, timers keep working", async () => {
    const r = await run_ringzero([...V, "-c", "insmod test_lockup context=timer; sleep 1; echo after"], "", 30_000);
    expect(r.stdout).toMatch(/<SOFTIRQ>\n.*test_lockup_spin/);
    expect(r.stdout).toContain("after\n");
    expect(r.code).toBe(0);
  });

  it("interactive: after the catch the monitor and the shell answer", async () => {
    const r = await run_ringzero([...V.slice(2), "--clock", "realtime"], "insmod test_lockup\n~help\necho alive\npoweroff\n", 30_000);
    expect(r.stdout).toContain("BUG: soft lockup");
    expect(r.stdout).toContain("monitor commands");
    expect(r.stdout).toContain("alive\n");
    expect(r.code).toBe(0);
  });

  it("busy-waiting with mdelay is caught on the virtual clock, with the watchdog thread off", async () => {
    const r = await run_ringzero(["--clock", "virtual", "--watchdog-ms", "0", "-c", "insmod test_lockup how=delay; echo status $?"], "", 30_000);
    expect(r.stdout).toMatch(/watchdog: BUG: soft lockup - CPU#0 stuck for 2\ds! \[insmod:\d+\]/);
    expect(r.stdout).toContain("status 137\n");
  });

  it("an uninterruptible sleep past 120 s is a hung task", async () => {
    const r = await run_ringzero(["--clock", "virtual", "-c", "insmod test_lockup how=dstate time_secs=130; echo status $?"], "", 30_000);
    expect(r.stdout).toMatch(/INFO: task insmod:\d+ blocked for more than 120 seconds\./);
    expect(r.stdout).toContain("status 0\n");
  });

  it("bad parameters are named", async () => {
    const r = await run_ringzero(["--clock", "virtual", "-c", "insmod test_lockup context=nowhere"], "", 30_000);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("test_lockup: context=init|probe|irq|timer");
  });
});
