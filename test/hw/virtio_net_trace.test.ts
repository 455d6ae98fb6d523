/**
 * Trace channels of the virtio-net model (hw/trace.ts TRACE_CHANNELS): the channels it shares with
 * the e1000 (tx, txerr, rx, rxfilter, rxerr, interrupt, unknown) and the transport's `virtio`
 * channel; switched from the monitor as `--trace` / `~trace` do. Off, they cost nothing visible:
 * no line, and the model does not even format one.
 */
import { describe, expect, it } from "vitest";
import { PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE } from "../../include/kernel/pci.ts";
import { VIRTIO_RING_F_EVENT_IDX } from "../../include/uapi/linux/virtio_config.ts";
import * as C from "../../include/uapi/linux/virtio_pci.ts";
import { VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_MRG_RXBUF } from "../../include/uapi/linux/virtio_net.ts";
import { VRING_AVAIL_F_NO_INTERRUPT } from "../../include/uapi/linux/virtio_ring.ts";
import { monitor_command } from "../../boot/monitor.ts";
import { TRACE_CHANNELS } from "../../hw/trace.ts";
import { BROADCAST, MAC_A, MAC_B, make_frame } from "../helpers/nic_harness.ts";
import { BASIC, bit, HDR, post_rx, post_tx, TX_BUFS, virtio_machine } from "../helpers/virtio_harness.ts";

/** Lines of `channel` emitted since `from` in the machine's tracer history. */
function lines(m: { tracer: { history: string[] } }, channel: string, from = 0): string[] {
  return m.tracer.history.slice(from).filter((l) => l.startsWith(`${channel}: `));
}

describe("virtio-net trace channels", () => {
  it("the monitor lists the virtio channel with the shared ones, and switches it", () => {
    const { m } = virtio_machine();
    expect(TRACE_CHANNELS).toEqual(["tx", "txerr", "rx", "rxfilter", "rxerr", "interrupt", "eeprom", "unknown", "virtio"]);
    expect(monitor_command(m, "trace")).toMatch(/^virtio: off +virtio transport: status, features/m);
    expect(monitor_command(m, "help")).toMatch(/virtio the virtio transport's/);
    expect(monitor_command(m, "trace virtio,rx on")).toBe("");
    expect(m.tracer.channels()).toEqual(["rx", "virtio"]);
    expect(monitor_command(m, "trace")).toMatch(/^virtio: on /m);
  });

  it("virtio: status, feature negotiation, queue select/enable, notify, reset, config generation, vectors", () => {
    const { m, drv, dev } = virtio_machine();
    monitor_command(m, "trace virtio on");
    drv.negotiate(BASIC);
    drv.setup_queue(1, 0x410000);
    drv.driver_ok();
    drv.kick(1);
    drv.wr(C.VIRTIO_PCI_COMMON_MSIX, 2, 9);
    dev.set_link(false);
    drv.set_status(0);
    const v = lines(m, "virtio").map((l) => l.replace("virtio: virtio-net.0: ", ""));
    expect(v).toEqual([
      "virtio_set_status 0x00 (modern): reset",
      "virtio_reset",
      "driver uses the modern interface",
      "virtio_set_status 0x01 (ACKNOWLEDGE)",
      "virtio_set_status 0x03 (ACKNOWLEDGE|DRIVER)",
      "virtio_set_features 0x1_00010020 accepted",
      "virtio_set_status 0x0b (ACKNOWLEDGE|DRIVER|FEATURES_OK)",
      "queue_select 1",
      "virtio_queue_enable 1: num 256 desc 0x410000 driver 0x411000 device 0x412000",
      "virtio_set_status 0x0f (ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK)",
      "virtio_queue_notify 1",
      "config_msix_vector 9 (refused: NO_VECTOR)",
      "config_generation 1",
      "virtio_set_status 0x00 (modern): reset",
      "virtio_reset",
    ]);
    // A refused feature set says why.
    drv.negotiate(BASIC, 0);
    expect(lines(m, "virtio").join("\n")).toMatch(/virtio_set_features 0x0_00010020 refused: VIRTIO_F_VERSION_1 not accepted/);
  });

  it("tx, rx: each frame with its chain head, num_buffers and used len; txerr: a bad chain", () => {
    const { m, drv } = virtio_machine();
    const { rx, tx } = drv.bring_up(BASIC | bit(VIRTIO_NET_F_MRG_RXBUF));
    monitor_command(m, "trace tx,txerr,rx on");
    post_tx(drv, tx, make_frame(MAC_B, MAC_A, 100, 0x0800), 0);
    drv.kick(1);
    expect(lines(m, "tx")).toEqual(["tx: virtio-net.0: frame of 114 bytes to 52:54:00:12:34:57 type 0x0800 from chain head 0"]);
    post_rx(rx, 0, 64);
    post_rx(rx, 1, 64);
    drv.dev.receive_frame(make_frame(MAC_A, MAC_B, 86), 100);
    expect(lines(m, "rx")).toEqual(["rx: virtio-net.0: frame of 100 bytes from 52:54:00:12:34:57 into head 0: num_buffers 2, used len 112 (12-byte header)"]);
    // A header-only chain: txerr (and a device error).
    tx.add([{ addr: TX_BUFS, len: HDR }]);
    drv.kick(1);
    expect(lines(m, "txerr")).toEqual(["txerr: virtio-net.0: chain at head 1: 12 readable bytes, no frame after the header"]);
  });

  it("rxfilter and rxerr: refused by the receive mode, no buffer, too big, not ready", () => {
    const { m, drv, sink } = virtio_machine();
    monitor_command(m, "trace rxfilter,rxerr on");
    sink.inject(make_frame(MAC_A, MAC_B, 46)); // before DRIVER_OK
    expect(lines(m, "rxerr")).toEqual(["rxerr: virtio-net.0: frame of 60 bytes dropped: DRIVER_OK clear"]);
    const { rx } = drv.bring_up(BASIC | bit(VIRTIO_NET_F_CTRL_VQ) | bit(VIRTIO_NET_F_CTRL_RX));
    sink.inject(make_frame(MAC_A, MAC_B, 46)); // no buffer posted
    post_rx(rx, 0, 40);
    sink.inject(make_frame(MAC_A, MAC_B, 46)); // 12 + 60 > 40
    expect(lines(m, "rxerr").slice(1)).toEqual([
      "rxerr: virtio-net.0: no receive buffer for a 60-byte frame: dropped",
      "rxerr: virtio-net.0: frame of 60 bytes + 12-byte header does not fit the 40-byte buffer (no MRG_RXBUF): dropped",
    ]);
    drv.dev.rx_mode.promisc = false;
    sink.inject(make_frame(MAC_B, MAC_A, 46)); // not our address
    sink.inject(make_frame(BROADCAST, MAC_B, 46)); // broadcast: accepted
    expect(lines(m, "rxfilter")).toEqual(["rxfilter: virtio-net.0: 52:54:00:12:34:57 rejected by the receive mode / MAC table"]);
  });

  it("interrupt: INTx with the ISR, the ISR read lowering it, MSI-X vectors, suppressed notifications, config changes", () => {
    const { m, drv, dev, sink } = virtio_machine();
    monitor_command(m, "trace interrupt on");
    dev.set_link(false); // before DRIVER_OK: no interrupt
    dev.set_link(true);
    const { rx } = drv.bring_up(BASIC);
    post_rx(rx, 0, 1526);
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    drv.isr();
    rx.avail_flags = VRING_AVAIL_F_NO_INTERRUPT;
    post_rx(rx, 1, 1526);
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    expect(lines(m, "interrupt").map((l) => l.replace("interrupt: virtio-net.0: ", ""))).toEqual([
      "config change before DRIVER_OK: no interrupt (as QEMU)",
      "config change before DRIVER_OK: no interrupt (as QEMU)",
      "queue 0: ISR 0x1, INTx asserted",
      "ISR read 0x1: cleared, INTx low",
      "queue 0: notification suppressed by the driver (avail.flags NO_INTERRUPT)",
    ]);
    const from = m.tracer.history.length;
    m.mmio.write(drv.bar1, 4, 0xfee00000);
    m.mmio.write(drv.bar1 + 8, 4, 0x45);
    m.mmio.write(drv.bar1 + 12, 4, 0);
    drv.cfg_write(0x98 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    drv.wr(C.VIRTIO_PCI_COMMON_MSIX, 2, 0);
    dev.set_link(false);
    drv.wr(C.VIRTIO_PCI_COMMON_MSIX, 2, C.VIRTIO_MSI_NO_VECTOR);
    dev.set_link(true);
    expect(lines(m, "interrupt", from).map((l) => l.replace("interrupt: virtio-net.0: ", ""))).toEqual(["config change: MSI-X vector 0", "config change: NO_VECTOR mapped, nothing sent"]);
  });

  it("interrupt: with EVENT_IDX the suppression names used_event", () => {
    const { m, drv, sink } = virtio_machine();
    const { rx } = drv.bring_up(BASIC | bit(VIRTIO_RING_F_EVENT_IDX));
    rx.used_event = 0;
    post_rx(rx, 0, 1526);
    post_rx(rx, 1, 1526);
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    monitor_command(m, "trace interrupt on");
    sink.inject(make_frame(MAC_A, MAC_B, 46)); // used_event 0 already passed: suppressed
    expect(lines(m, "interrupt")).toEqual(["interrupt: virtio-net.0: queue 0: notification suppressed by the driver (used_event, used.idx 2)"]);
  });

  it("unknown: offsets with no register in the modern BAR and past the device config", () => {
    const { m, drv } = virtio_machine();
    monitor_command(m, "trace unknown on");
    expect(drv.rd(0x38, 4)).toBe(0);
    expect(drv.rd(0x1004, 1)).toBe(0);
    drv.wr(0x1000, 1, 1); // ISR is read-only
    expect(drv.net_cfg(10, 2)).toBe(0xffff);
    expect(drv.rd(C.VIRTIO_PCI_COMMON_STATUS, 1)).toBe(0); // a register: not traced
    expect(lines(m, "unknown").map((l) => l.replace("unknown: virtio-net.0: ", ""))).toEqual([
      "4-byte read of modern BAR +0x38 (no register there)",
      "1-byte read of modern BAR +0x1004 (no register there)",
      "1-byte write of 0x1 to modern BAR +0x1000 (no register there; ignored)",
      "2-byte read of device config +0xa, past its 10 bytes",
    ]);
  });

  it("off, the channels cost nothing visible: no line, and no line is even formatted", () => {
    const run = (on: boolean): { lines: number; calls: number } => {
      const { m, drv, dev, sink } = virtio_machine();
      if (on) monitor_command(m, "trace all on");
      let calls = 0;
      const trace = dev.trace.bind(dev);
      dev.trace = (ch, msg) => {
        calls++;
        trace(ch, msg);
      };
      const { rx, tx } = drv.bring_up(BASIC);
      for (let i = 0; i < 4; i++) {
        post_rx(rx, i, 1526);
        sink.inject(make_frame(MAC_A, MAC_B, 46 + i));
        post_tx(drv, tx, make_frame(MAC_B, MAC_A, 60), i);
        drv.kick(1);
        drv.isr();
      }
      sink.inject(make_frame(MAC_A, MAC_B, 46)); // no buffer
      drv.rd(0x38, 4);
      dev.set_link(false);
      return { lines: m.tracer.history.filter((l) => !l.startsWith("warning: ")).length, calls };
    };
    const on = run(true);
    expect(on.lines).toBeGreaterThan(20);
    expect(on.calls).toBe(on.lines);
    expect(run(false)).toEqual({ lines: 0, calls: 0 });
  });
});
