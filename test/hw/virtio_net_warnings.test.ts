/**
 * virtio-net's help for driver writers: one-time warnings for the classic virtio mistakes the
 * model can see (issue 14), each printed once however often the mistake is repeated, and none for a
 * driver that does things right.
 */
import { describe, expect, it } from "vitest";
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
} from "../../include/uapi/linux/virtio_config.ts";
import * as C from "../../include/uapi/linux/virtio_pci.ts";
import type { Machine } from "../../hw/machine.ts";
import { MAC_A, MAC_B, make_frame } from "../helpers/nic_harness.ts";
import { BASIC, post_tx, RX_RING, TX_RING, virtio_machine, type VirtioDrv } from "../helpers/virtio_harness.ts";

const warnings = (m: Machine, re: RegExp): string[] => m.tracer.history.filter((l) => l.startsWith("warning: ") && re.test(l));

/** Negotiate without the harness's final status read (its negotiate() re-reads device_status). */
function write_features_ok(drv: VirtioDrv): void {
  drv.set_status(0);
  drv.set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE);
  drv.set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
  drv.wr(C.VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
  drv.wr(C.VIRTIO_PCI_COMMON_GF, 4, BASIC);
  drv.wr(C.VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
  drv.wr(C.VIRTIO_PCI_COMMON_GF, 4, 1);
  drv.set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
}

const S_ALL = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;

describe("virtio-net warnings for driver writers", () => {
  it("a correct bring-up and transmit warns about nothing", () => {
    const { m, drv } = virtio_machine();
    const { tx } = drv.bring_up(BASIC);
    post_tx(drv, tx, make_frame(MAC_B, MAC_A, 46), 0);
    drv.kick(1);
    drv.run();
    expect(warnings(m, /./)).toEqual([]);
  });

  it("DRIVER_OK without re-reading device_status after FEATURES_OK", () => {
    const { m, drv } = virtio_machine();
    for (let i = 0; i < 3; i++) {
      write_features_ok(drv);
      drv.setup_queue(0, RX_RING);
      drv.setup_queue(1, TX_RING);
      drv.set_status(S_ALL);
    }
    const w = warnings(m, /DRIVER_OK set without reading device_status after FEATURES_OK/);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/virtio-net\.0: .*re-read device_status and check FEATURES_OK/);
    expect(drv.status).toBe(S_ALL); // a warning only: the device still goes live
  });

  it("FEATURES_OK and DRIVER_OK in one write warns the same way", () => {
    const { m, drv } = virtio_machine();
    write_features_ok(drv);
    drv.set_status(0);
    drv.set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    drv.wr(C.VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    drv.wr(C.VIRTIO_PCI_COMMON_GF, 4, BASIC);
    drv.wr(C.VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
    drv.wr(C.VIRTIO_PCI_COMMON_GF, 4, 1);
    drv.set_status(S_ALL);
    expect(warnings(m, /DRIVER_OK set without reading device_status/)).toHaveLength(1);
  });

  it("VERSION_1 not accepted: FEATURES_OK refused with one warning", () => {
    const { m, drv } = virtio_machine();
    for (let i = 0; i < 3; i++) expect(drv.negotiate(BASIC, 0)).toBe(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    expect(warnings(m, /VERSION_1 not accepted/)).toHaveLength(1);
  });

  it("queue_enable before the ring addresses were written", () => {
    const { m, dev, drv } = virtio_machine();
    drv.negotiate(BASIC);
    for (const q of [0, 1, 0]) {
      drv.wr(C.VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
      drv.wr(C.VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    }
    const w = warnings(m, /queue_enable = 1 for queue 0 while queue_desc\/queue_driver\/queue_device are still 0/);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/write the ring addresses before enabling the queue/);
    expect(warnings(m, /queue_enable = 1 for queue/)).toHaveLength(1);
    expect(dev.rxq.enabled).toBe(true); // as QEMU: address 0 is accepted
  });

  it("avail.idx moved more than the queue size past the last seen index: a device error with a clear line", () => {
    const { m, drv } = virtio_machine();
    for (let i = 0; i < 2; i++) {
      const { tx } = drv.bring_up(BASIC);
      m.mem.view.setUint16(tx.avail + 2, 1000, true);
      drv.kick(1);
      expect(drv.status & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(VIRTIO_CONFIG_S_NEEDS_RESET);
    }
    const w = warnings(m, /avail\.idx/);
    expect(w).toEqual(["warning: virtio-net.0: virtqueue 1: driver moved avail.idx from 0 to 1000, more than the queue size 256; device needs reset"]);
  });

  it("a doorbell for a queue whose queue_enable is 0", () => {
    const { m, drv } = virtio_machine();
    drv.negotiate(BASIC);
    drv.setup_queue(0, RX_RING);
    drv.driver_ok();
    for (let i = 0; i < 3; i++) drv.kick(1);
    drv.kick(2);
    const w = warnings(m, /doorbell for queue/);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/doorbell for queue 1 whose queue_enable is 0 \(ignored\): program and enable the queue/);
  });
});
