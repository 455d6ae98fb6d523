import { describe, expect, it } from "vitest";
import { World } from "../../hw/world.ts";
import type { E1000 } from "../../hw/net/e1000.ts";
import { plug_device } from "../../boot/board.ts";
import { parse_mac } from "../../hw/net/nic_props.ts";
import { monitor_command } from "../../boot/monitor.ts";

function machine() {
  const m = new World().add_machine({ mem_size: 8 << 20 });
  expect(plug_device(m, "e1000")).toBeNull();
  expect(plug_device(m, "e1000,mac=02:00:00:00:00:09,id=lan")).toBeNull();
  expect(plug_device(m, "e1000")).toBeNull();
  return m;
}

describe("board and monitor", () => {
  it("gives each NIC without mac= the next default address, as QEMU does", () => {
    const m = machine();
    const macs = [...m.pci.devices.values()].slice(1).map((d) => [...(d as E1000).mac].map((b) => b.toString(16).padStart(2, "0")).join(":"));
    expect(macs).toEqual(["52:54:00:12:34:56", "02:00:00:00:00:09", "52:54:00:12:34:58"]);
  });

  it("refuses bad MACs and unknown properties", () => {
    const m = new World().add_machine({ mem_size: 8 << 20 });
    expect(plug_device(m, "e1000,mac=01:00:5e:00:00:01")).toMatch(/bad mac/);
    expect(plug_device(m, "e1000,mac=zz")).toMatch(/bad mac/);
    expect(plug_device(m, "e1000,speed=10")).toBe("-device e1000: unknown property 'speed'");
    expect(parse_mac("52:54:00:12:34:56")).toEqual(Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56));
  });

  it("pulls a cable and switches trace channels at run time", () => {
    const m = machine();
    expect(monitor_command(m, "info network")).toContain("lan: model=82540EM,macaddr=02:00:00:00:00:09 link=up");
    expect(monitor_command(m, "set_link lan off")).toBe("");
    expect(monitor_command(m, "info network")).toContain("lan: model=82540EM,macaddr=02:00:00:00:00:09 link=down");
    expect(monitor_command(m, "set_link nope off")).toMatch(/^set_link: usage/);
    expect(monitor_command(m, "trace rx,txerr on")).toBe("");
    expect(m.tracer.channels()).toEqual(["rx", "txerr"]);
    expect(monitor_command(m, "trace bogus on")).toMatch(/unknown: bogus/);
    expect(monitor_command(m, "nonsense")).toMatch(/unknown monitor command/);
  });

  it("~inject lists the faults, injects into a NIC by name and answers bad input with one line", () => {
    const m = machine();
    const list = monitor_command(m, "inject");
    for (const f of ["link_flap", "rx_overrun", "rx_no_buffers", "tx_hang", "dma_abort", "surprise_removal", "eeprom_corrupt", "irq_storm", "autoneg_fail", "clear"]) {
      expect(list).toMatch(new RegExp(`^  ${f} +\\S`, "m"));
    }
    expect(monitor_command(m, "help")).toMatch(/~inject FAULT\[=ARG\] \[NAME\]/);
    expect(monitor_command(m, "inject rx_overrun=5 lan")).toBe("lan: injected rx_overrun=5\n");
    expect(monitor_command(m, "info network")).toMatch(/lan: .*\n .*model_errors=0.*faults=rx_overrun=5/);
    expect(monitor_command(m, "inject clear lan")).toBe("lan: faults cleared\n");
    for (const bad of ["inject bogus", "inject rx_overrun=abc", "inject rx_overrun=0", "inject irq_storm=soon", "inject link_flap=3", "inject tx_hang nope", "inject a b c"]) {
      const out = monitor_command(m, bad);
      expect(out).toMatch(/^inject: /);
      expect(out.trimEnd().split("\n").length).toBe(1);
    }
    expect(monitor_command(m, "inject surprise_removal lan")).toBe("lan: injected surprise_removal\n");
    expect(monitor_command(m, "info network")).toMatch(/REMOVED/);
    expect(monitor_command(m, "inject link_flap lan")).toMatch(/^inject: lan: the function was removed/);
  });
});
