/**
 * `~inject` for virtio-net NICs (issue 14): link_down / link_up / link_flap, config_change and
 * needs_reset, seen by a register-level driver; NIC targeting by name next to e1000s, and a
 * one-line error for a fault the NIC's model does not have.
 */
import { describe, expect, it } from "vitest";
import { VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_NEEDS_RESET } from "../../include/uapi/linux/virtio_config.ts";
import * as C from "../../include/uapi/linux/virtio_pci.ts";
import { VIRTIO_NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP } from "../../include/uapi/linux/virtio_net.ts";
import { plug_device } from "../../boot/board.ts";
import { monitor_command } from "../../boot/monitor.ts";
import { World } from "../../hw/world.ts";
import { VIRTIO_NET_FAULTS } from "../../hw/net/virtio_net_faults.ts";
import { MAC_A, MAC_B, make_frame } from "../helpers/nic_harness.ts";
import { BASIC, post_tx, virtio_machine } from "../helpers/virtio_harness.ts";

describe("virtio-net fault injection from the monitor", () => {
  it("link_down, link_up, link_flap and config_change: config.status, config_generation and a config interrupt", () => {
    const { m, drv, dev } = virtio_machine();
    drv.bring_up(BASIC);
    drv.isr();
    const gen = (): number => drv.rd(C.VIRTIO_PCI_COMMON_CFGGENERATION, 1);
    const link = (): number => drv.net_cfg(VIRTIO_NET_CFG_STATUS, 2) & VIRTIO_NET_S_LINK_UP;
    const g0 = gen();
    expect(monitor_command(m, "inject link_down virtio-net.0")).toBe("virtio-net.0: injected link_down\n");
    expect(link()).toBe(0);
    expect(gen()).toBe((g0 + 1) & 0xff);
    expect(drv.isr()).toBe(3);
    expect(monitor_command(m, "inject link_up virtio-net.0")).toBe("virtio-net.0: injected link_up\n");
    expect(link()).toBe(VIRTIO_NET_S_LINK_UP);
    expect(gen()).toBe((g0 + 2) & 0xff);
    expect(drv.isr()).toBe(3);
    expect(monitor_command(m, "inject link_flap")).toBe("virtio-net.0: injected link_flap\n"); // the only NIC: the default
    expect(link()).toBe(VIRTIO_NET_S_LINK_UP);
    expect(gen()).toBe((g0 + 4) & 0xff);
    expect(drv.isr()).toBe(3);
    expect(monitor_command(m, "inject config_change")).toBe("virtio-net.0: injected config_change\n");
    expect(gen()).toBe((g0 + 5) & 0xff);
    expect(drv.isr()).toBe(3);
    expect(link()).toBe(VIRTIO_NET_S_LINK_UP);
    expect(dev.device_errors).toBe(0);
  });

  it("needs_reset: DEVICE_NEEDS_RESET, a config interrupt, queues stop until the driver resets", () => {
    const { m, drv, dev } = virtio_machine();
    const { tx } = drv.bring_up(BASIC);
    drv.isr();
    expect(monitor_command(m, "inject needs_reset")).toBe("virtio-net.0: injected needs_reset\n");
    expect(drv.status & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(VIRTIO_CONFIG_S_NEEDS_RESET);
    expect(drv.status & VIRTIO_CONFIG_S_DRIVER_OK).toBe(VIRTIO_CONFIG_S_DRIVER_OK);
    expect(drv.isr()).toBe(3);
    expect(dev.device_errors).toBe(1);
    expect(m.tracer.history.join("\n")).toMatch(/virtio-net\.0: injected fault needs_reset; device needs reset/);
    post_tx(drv, tx, make_frame(MAC_B, MAC_A, 46), 0);
    drv.kick(1);
    expect(tx.used_idx).toBe(0);
    // A reset and a fresh bring-up bring it back.
    const again = drv.bring_up(BASIC);
    expect(drv.status & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(0);
    post_tx(drv, again.tx, make_frame(MAC_B, MAC_A, 46), 0);
    drv.kick(1);
    drv.run();
    expect(again.tx.reap()).toHaveLength(1);
  });

  it("lists the virtio faults, targets NICs by name and refuses another model's faults in one line", () => {
    const m = new World().add_machine({ mem_size: 8 << 20 });
    expect(plug_device(m, "e1000,id=lan")).toBeNull();
    expect(plug_device(m, "virtio-net-pci,id=vn")).toBeNull();
    const list = monitor_command(m, "inject");
    for (const f of ["rx_overrun", "tx_hang", "clear", ...VIRTIO_NET_FAULTS.map((d) => d.name)]) expect(list).toMatch(new RegExp(`^  ${f} +\\S`, "m"));
    expect(list).toMatch(/^virtio-net faults/m);
    // e1000 faults still work and still go to the first NIC by default.
    expect(monitor_command(m, "inject rx_overrun=5")).toBe("lan: injected rx_overrun=5\n");
    expect(monitor_command(m, "inject clear lan")).toBe("lan: faults cleared\n");
    expect(monitor_command(m, "inject link_down vn")).toBe("vn: injected link_down\n");
    expect(monitor_command(m, "info network")).toMatch(/vn: model=virtio-net-pci .*link=down/);
    expect(monitor_command(m, "inject link_up vn")).toBe("vn: injected link_up\n");
    expect(monitor_command(m, "info network")).toMatch(/vn: model=virtio-net-pci .*link=up/);
    for (const [cmd, re] of [
      ["inject rx_overrun vn", /^inject: vn is a virtio-net NIC and 'rx_overrun' is an e1000 fault \(virtio-net faults: link_down, /],
      ["inject clear vn", /^inject: vn is a virtio-net NIC and 'clear' is an e1000 fault/],
      ["inject bogus vn", /^inject: vn is a virtio-net NIC and 'bogus' is not a fault/],
      ["inject link_down=3 vn", /^inject: link_down takes no argument/],
      ["inject needs_reset lan", /^inject: unknown fault 'needs_reset'/],
      ["inject link_down nope", /^inject: no NIC 'nope' \(NICs: lan, vn\)/],
    ] as const) {
      const out = monitor_command(m, cmd);
      expect(out).toMatch(re);
      expect(out.trimEnd().split("\n").length).toBe(1);
    }
  });
});
