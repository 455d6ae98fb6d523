/**
 * Wall-clock time: the kernel reads the machine's RTC (read_persistent_clock_ns) once and runs on
 * from its clocksource, so CLOCK_REALTIME and file times move with the machine's clock — virtual
 * time in a virtual world — not with the host's.
 */
import { describe, expect, it } from "vitest";
import { ktime_get_ns, ktime_get_real_ns } from "../../kernel/time/timekeeping.ts";
import { boot_test_machine } from "../helpers/boot.ts";

describe("timekeeping", () => {
  it("CLOCK_REALTIME is the RTC at power-on plus the machine's clock", async () => {
    const t = boot_test_machine();
    await t.run_for(1e9);
    const a = await t.in_task(() => ({ real: ktime_get_real_ns(), mono: ktime_get_ns() }));
    expect(a.real - a.mono).toBe(t.machine.rtc_base_ns);
    // An hour of virtual time later the wall clock has moved by exactly that hour.
    await t.run_for(3600e9);
    const b = await t.in_task(() => ktime_get_real_ns());
    expect(b - a.real).toBeGreaterThanOrEqual(3600e9);
    expect(b - a.real).toBeLessThan(3600e9 + 1e8);
  });
});
