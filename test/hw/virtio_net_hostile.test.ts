/**
 * virtio-net against a hostile driver: malformed rings and chains end in DEVICE_NEEDS_RESET with a
 * config notification and a one-time warning — never an exception, a hang or a touched buffer —
 * and a reset brings the device back.
 */
import { describe, expect, it } from "vitest";
import { VIRTIO_CONFIG_S_NEEDS_RESET, VIRTIO_RING_F_INDIRECT_DESC } from "../../include/uapi/linux/virtio_config.ts";
import { VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT } from "../../include/uapi/linux/virtio_ring.ts";
import { MAC_A, MAC_B, make_frame } from "../helpers/nic_harness.ts";
import { BASIC, bit, HDR, post_tx, RX_BUFS, SCRATCH, TX_BUFS, virtio_machine, type DrvRing, type VirtioDrv } from "../helpers/virtio_harness.ts";

describe("virtio-net hostile drivers", () => {
  /** Bring up with an ISR-visible config interrupt, run `hostile`, check NEEDS_RESET and no exception. */
  function expect_needs_reset(hostile: (drv: VirtioDrv, tx: DrvRing, rx: DrvRing) => void, message: RegExp, features = BASIC): void {
    const { drv, dev, m, sink } = virtio_machine();
    const { tx, rx } = drv.bring_up(features);
    hostile(drv, tx, rx);
    expect(drv.status & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(VIRTIO_CONFIG_S_NEEDS_RESET);
    expect(drv.isr() & 2).toBe(2); // config change notification
    expect(dev.model_errors).toBe(0);
    expect(dev.last_device_error).toMatch(message);
    expect(m.tracer.history.join("\n")).toMatch(/device needs reset/);
    // The broken device ignores doorbells and frames until reset.
    const used = tx.used_idx;
    post_tx(drv, tx, make_frame(MAC_B, MAC_A, 46), 100);
    drv.kick(1);
    sink.inject(make_frame(MAC_A, MAC_B, 46));
    expect(tx.used_idx).toBe(used);
    drv.set_status(0);
    expect(drv.status).toBe(0);
  }

  it("a descriptor loop", () => {
    expect_needs_reset((drv, tx) => {
      tx.set_desc(0, TX_BUFS, 64, VRING_DESC_F_NEXT, 1);
      tx.set_desc(1, TX_BUFS, 64, VRING_DESC_F_NEXT, 0);
      tx.make_available(0);
      drv.kick(1);
    }, /loop/);
  });

  it("a head index beyond the queue", () => {
    expect_needs_reset((drv, tx) => {
      tx.make_available(300);
      drv.kick(1);
    }, /beyond the queue size/);
  });

  it("a next index beyond the queue", () => {
    expect_needs_reset((drv, tx) => {
      tx.set_desc(0, TX_BUFS, 64, VRING_DESC_F_NEXT, 999);
      tx.make_available(0);
      drv.kick(1);
    }, /links to 999/);
  });

  it("avail.idx moved by more than the queue size", () => {
    expect_needs_reset((drv, tx) => {
      drv.m.mem.view.setUint16(tx.avail + 2, 1000, true);
      drv.kick(1);
    }, /more than the queue size/);
  });

  it("an indirect descriptor inside an indirect table", () => {
    expect_needs_reset(
      (drv, tx) => {
        tx.set_desc(0, SCRATCH, 32, VRING_DESC_F_INDIRECT, 0);
        tx.set_desc(0, SCRATCH + 0x100, 16, VRING_DESC_F_INDIRECT, 0, SCRATCH);
        tx.make_available(0);
        drv.kick(1);
      },
      /indirect descriptor inside an indirect table/,
      BASIC | bit(VIRTIO_RING_F_INDIRECT_DESC),
    );
  });

  it("an indirect table whose length is not a multiple of 16", () => {
    expect_needs_reset((drv, tx) => {
      tx.set_desc(0, SCRATCH, 20, VRING_DESC_F_INDIRECT, 0);
      tx.make_available(0);
      drv.kick(1);
    }, /not a non-zero multiple of 16/);
  });

  it("a readable descriptor after a writable one", () => {
    expect_needs_reset((drv, tx) => {
      tx.add([
        { addr: TX_BUFS, len: 64, write: true },
        { addr: TX_BUFS + 64, len: 64 },
      ]);
      drv.kick(1);
    }, /readable descriptor after a device-writable/);
  });

  it("a header-only transmit chain", () => {
    expect_needs_reset((drv, tx) => {
      tx.add([{ addr: TX_BUFS, len: 12 }]);
      drv.kick(1);
    }, /no frame after the 12-byte/);
  });

  it("a receive chain with no writable descriptor", () => {
    expect_needs_reset((_drv, _tx, rx) => {
      rx.add([{ addr: RX_BUFS, len: 1526 }]);
      _drv.dev.receive_frame(make_frame(MAC_A, MAC_B, 46), 60);
    }, /no device-writable descriptors/);
  });

  it("a descriptor pointing outside physical memory", () => {
    expect_needs_reset((drv, tx) => {
      tx.add([{ addr: 0x7fff0000, len: 100 }]);
      drv.kick(1);
    }, /not readable/);
  });

  it("indirect descriptors: a valid indirect chain is sent", () => {
    const { drv, sink } = virtio_machine();
    const { tx } = drv.bring_up(BASIC | bit(VIRTIO_RING_F_INDIRECT_DESC));
    const f = make_frame(MAC_B, MAC_A, 80);
    drv.m.mem.u8.fill(0, TX_BUFS, TX_BUFS + HDR);
    drv.m.mem.u8.set(f, TX_BUFS + 0x100);
    tx.set_desc(0, TX_BUFS, HDR, VRING_DESC_F_NEXT, 1, SCRATCH);
    tx.set_desc(1, TX_BUFS + 0x100, f.length, 0, 0, SCRATCH);
    tx.set_desc(0, SCRATCH, 32, VRING_DESC_F_INDIRECT, 0);
    tx.make_available(0);
    drv.kick(1);
    expect(sink.frames).toEqual([f]);
    expect(tx.reap()).toEqual([{ id: 0, len: 0 }]);
  });
});
