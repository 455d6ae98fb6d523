import { describe, expect, it } from "vitest";
import { LOGLEVEL_DEBUG, LOGLEVEL_ERR, LOGLEVEL_INFO } from "../../include/linux/printk.ts";
import { dmesg_text, format_timestamp, LOG_BUF_RECORDS, log_records, printk, set_console_loglevel } from "../../kernel/printk.ts";
import { boot_test_machine } from "../helpers/boot.ts";

describe("printk", () => {
  it("stamps records with the virtual clock in dmesg's format", async () => {
    const tm = boot_test_machine();
    await tm.run_for(1_234_567_000);
    printk(LOGLEVEL_INFO, "e1000: eth0 NIC Link is Up");
    expect(dmesg_text()).toMatch(/\[ {4}1\.234567\] e1000: eth0 NIC Link is Up\n$/);
    expect(format_timestamp(12_000_001_000)).toBe("[   12.000001]");
  });

  it("writes to the console only below console_loglevel, and keeps everything for dmesg", () => {
    const tm = boot_test_machine({ cmdline: "loglevel=4" });
    const start = tm.machine.console_output.length;
    printk(LOGLEVEL_INFO, "chatty");
    printk(LOGLEVEL_ERR, "serious");
    const out = tm.machine.console_output.slice(start);
    expect(out).toMatch(/serious/);
    expect(out).not.toMatch(/chatty/);
    set_console_loglevel(8);
    printk(LOGLEVEL_DEBUG, "debug now");
    expect(tm.machine.console_output).toMatch(/debug now/);
    expect(dmesg_text()).toMatch(/chatty/);
  });

  it("keeps a bounded ring, dropping the oldest records", () => {
    boot_test_machine();
    for (let i = 0; i < LOG_BUF_RECORDS + 10; i++) printk(LOGLEVEL_INFO, `line ${i}`);
    const recs = log_records();
    expect(recs.length).toBe(LOG_BUF_RECORDS);
    expect(recs.at(-1)!.text).toBe(`line ${LOG_BUF_RECORDS + 9}`);
    expect(recs.some((r) => r.text === "line 0")).toBe(false);
  });

  it("boot logs the firmware memory map and the memory the allocator got", () => {
    const tm = boot_test_machine({ mem_size: 64 * 1024 * 1024 });
    const log = tm.dmesg();
    expect(log).toMatch(/BIOS-e820: \[mem 0x0000000000000000-0x000000000009fbff\] usable/);
    expect(log).toMatch(/BIOS-e820: \[mem 0x0000000000100000-0x0000000003ffffff\] usable/);
    expect(log).toMatch(/BIOS-e820: \[mem 0x00000000b0000000-0x00000000bfffffff\] reserved/);
    expect(log).toMatch(/Memory: \d+K\/65148K available \(\d+K reserved\)/);
  });
});
