/** printk's Linux-style format strings: vsprintf arguments, the trailing newline, pr_cont, printk_once. */
import { describe, expect, it } from "vitest";
import { LOGLEVEL_ERR, LOGLEVEL_WARNING } from "../../include/linux/printk.ts";
import { dmesg_text, log_records, pr_cont, pr_err_once, pr_info, pr_notice, printk } from "../../kernel/printk.ts";
import { boot_test_machine } from "../helpers/boot.ts";

/** What the console received since `start`. */
function console_since(tm: ReturnType<typeof boot_test_machine>, start: number): string {
  return tm.machine.console_output.slice(start);
}

describe("printk formats", () => {
  it("formats the arguments, and the trailing newline ends the record without being part of its text", async () => {
    const tm = boot_test_machine({ cmdline: "loglevel=8" });
    await tm.run_for(2_000_000_000);
    const start = tm.machine.console_output.length;
    const mac = Uint8Array.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    pr_info("e1000 %s %s: NIC Link is Up %d Mbps %s Duplex, status 0x%04x, %pM\n", "0000:00:03.0", "eth0", 1000, "Full", 0x8b, mac);
    const rec = log_records().at(-1)!;
    expect(rec.text).toBe("e1000 0000:00:03.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, status 0x008b, 52:54:00:12:34:56");
    expect(console_since(tm, start)).toBe("[    2.000000] e1000 0000:00:03.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, status 0x008b, 52:54:00:12:34:56\n");
    expect(dmesg_text()).toMatch(/\[ {4}2\.000000\] e1000 0000:00:03\.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, status 0x008b, 52:54:00:12:34:56\n$/);
    // One record per call; a multi-line message keeps every line behind the timestamp.
    const n = log_records().length;
    printk(LOGLEVEL_ERR, "%s\n", ["first line", "second line"].join("\n"));
    expect(log_records().length).toBe(n + 1);
    expect(console_since(tm, start)).toMatch(/\n\[ {4}2\.000000\] first line\n\[ {4}2\.000000\] second line\n$/);
  });

  it("prints %% as one percent sign, and a value holding % verbatim (the value is never a format)", () => {
    const tm = boot_test_machine({ cmdline: "loglevel=8" });
    const start = tm.machine.console_output.length;
    pr_info("share %d%% of CPU#0\n", 42);
    const hostile = "100%s %d %n %pM %%";
    pr_info("ip=%s\n", hostile);
    const texts = log_records()
      .slice(-2)
      .map((r) => r.text);
    expect(texts).toEqual(["share 42% of CPU#0", `ip=${hostile}`]);
    expect(console_since(tm, start)).toMatch(/\] share 42% of CPU#0\n\[[ .0-9]+\] ip=100%s %d %n %pM %%\n$/);
  });

  it("pr_cont continues a record left open (no newline) and its newline closes it", () => {
    const tm = boot_test_machine({ cmdline: "loglevel=8" });
    const n = log_records().length;
    const start = tm.machine.console_output.length;
    pr_info("hub ports:");
    pr_cont(" %d", 1);
    pr_cont(" %d", 2);
    pr_cont("\n");
    expect(log_records().length).toBe(n + 1);
    expect(log_records().at(-1)!.text).toBe("hub ports: 1 2");
    expect(dmesg_text()).toMatch(/\] hub ports: 1 2\n$/);
    // The console shows every piece at once (nothing is held back), each behind the record's stamp.
    expect(console_since(tm, start)).toMatch(/^\[[ .0-9]+\] hub ports:\n\[[ .0-9]+\]  1\n\[[ .0-9]+\]  2\n$/);
    // The record is closed now: a further pr_cont starts a record of its own at the default level.
    pr_cont("stray\n");
    expect(log_records().length).toBe(n + 2);
    expect(log_records().at(-1)!.text).toBe("stray");
    expect(log_records().at(-1)!.level).toBe(LOGLEVEL_WARNING);
  });

  it("a message without a newline is a finished record when the next printk has a level", () => {
    const tm = boot_test_machine({ cmdline: "loglevel=8" });
    const n = log_records().length;
    const start = tm.machine.console_output.length;
    pr_notice("reboot: Power down");
    // Shown at once, as a whole line.
    expect(console_since(tm, start)).toMatch(/^\[[ .0-9]+\] reboot: Power down\n$/);
    pr_notice("next %s\n", "message");
    expect(log_records().length).toBe(n + 2);
    expect(log_records().slice(-2).map((r) => r.text)).toEqual(["reboot: Power down", "next message"]);
  });

  it("pr_err_once prints once per format (printk_once's call site), whatever the arguments", () => {
    boot_test_machine();
    const n = log_records().length;
    pr_err_once("e1000 %s: RX DMA map failed\n", "0000:00:03.0");
    pr_err_once("e1000 %s: RX DMA map failed\n", "0000:00:04.0");
    pr_err_once("e1000 %s: RX DMA map failed\n", "0000:00:03.0");
    expect(log_records().slice(n).map((r) => r.text)).toEqual(["e1000 0000:00:03.0: RX DMA map failed"]);
  });
});
