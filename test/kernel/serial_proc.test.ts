/** /proc/tty/driver/serial (serial_core's uart_proc_show): the console's byte counters, as a guest reads them. */
import { describe, expect, it } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { boot_test_machine } from "../helpers/boot.ts";

describe("/proc/tty/driver/serial", () => {
  it("counts the bytes written (UTF-8) and received on ttyS0", async () => {
    const tm = boot_test_machine({ boot: { initcalls: [serial8250_init], programs: PROGRAMS, init_argv: ["init", "-c", "read x; echo héllo; cat /proc/tty/driver/serial"] } });
    tm.machine.uart.receive("typed\n");
    expect(await tm.run_until(() => tm.machine.powered_off)).toBe(true);
    expect(tm.machine.console_output).toMatch(/^serinfo:1\.0 driver revision:\n0: uart:16550A port:000003F8 irq:4 tx:7 rx:6 RTS\|DTR\n$/m);
  });
});
