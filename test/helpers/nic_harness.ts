/**
 * Bare-metal access to an e1000 model for register-level tests: no kernel, no driver — config
 * space, MMIO registers and descriptors written straight into physical memory, as a qtest does.
 */
import { PCI_COMMAND, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY } from "../../include/kernel/pci.ts";
import { MEMORY_MAP } from "../../hw/firmware.ts";
import type { Machine } from "../../hw/machine.ts";
import { E1000 } from "../../hw/net/e1000.ts";
import { DESC_SIZE, REG, TXD_CMD_EOP, TXD_CMD_IFCS, TXD_CMD_RS } from "../../hw/net/e1000_regs.ts";
import { net_connect, type NetEndpoint } from "../../hw/net/net_endpoint.ts";
import { World } from "../../hw/world.ts";

export const MAC_A = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
export const MAC_B = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x57);

export class Nic {
  readonly m: Machine;
  readonly dev: E1000;
  readonly bar: number;
  /** Where this NIC's rings and buffers live in physical memory. */
  readonly rx_ring: number;
  readonly tx_ring: number;
  readonly rx_bufs: number;
  readonly tx_bufs: number;
  tx_tail = 0;

  constructor(m: Machine, dev: E1000, region: number) {
    this.m = m;
    this.dev = dev;
    this.bar = dev.bar_address(0);
    this.rx_ring = region;
    this.tx_ring = region + 0x1000;
    this.rx_bufs = region + 0x10000;
    this.tx_bufs = region + 0x100000;
  }

  rd(reg: number): number {
    return this.m.mmio.read(this.bar + reg, 4);
  }

  wr(reg: number, v: number): void {
    this.m.mmio.write(this.bar + reg, 4, v >>> 0);
  }

  cfg_write16(off: number, v: number): void {
    this.m.mmio.write(MEMORY_MAP.ECAM_BASE + (this.dev.devfn << 12) + off, 2, v);
  }

  get irq_asserted(): boolean {
    return this.dev.irq_pin!.level;
  }

  /** Program an RX ring of `n` descriptors with 2 KiB buffers, handing n-1 to the device. */
  setup_rx(n: number, rctl: number): void {
    const v = this.m.mem.view;
    for (let i = 0; i < n; i++) {
      v.setUint32(this.rx_ring + i * 16, this.rx_bufs + i * 2048, true);
      v.setUint32(this.rx_ring + i * 16 + 4, 0, true);
      v.setUint32(this.rx_ring + i * 16 + 8, 0, true);
      v.setUint32(this.rx_ring + i * 16 + 12, 0, true);
    }
    this.wr(REG.RDBAL, this.rx_ring);
    this.wr(REG.RDBAH, 0);
    this.wr(REG.RDLEN, n * DESC_SIZE);
    this.wr(REG.RDH, 0);
    this.wr(REG.RDT, n - 1);
    this.wr(REG.RCTL, rctl);
  }

  setup_tx(n: number, tctl: number): void {
    this.m.mem.u8.fill(0, this.tx_ring, this.tx_ring + n * 16);
    this.wr(REG.TDBAL, this.tx_ring);
    this.wr(REG.TDBAH, 0);
    this.wr(REG.TDLEN, n * DESC_SIZE);
    this.wr(REG.TDH, 0);
    this.wr(REG.TDT, 0);
    this.tx_tail = 0;
    this.wr(REG.TCTL, tctl);
  }

  /** Put `frame` in descriptor tx_tail (without ringing the doorbell). */
  queue_tx(frame: Uint8Array, cmd = TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS): number {
    const n = this.rd(REG.TDLEN) / 16;
    const i = this.tx_tail;
    const buf = this.tx_bufs + i * 2048;
    this.m.mem.u8.set(frame, buf);
    const d = this.tx_ring + i * 16;
    const v = this.m.mem.view;
    v.setUint32(d, buf, true);
    v.setUint32(d + 4, 0, true);
    v.setUint16(d + 8, frame.length, true);
    v.setUint8(d + 10, 0);
    v.setUint8(d + 11, cmd);
    v.setUint8(d + 12, 0);
    this.tx_tail = (i + 1) % n;
    return i;
  }

  /** Queue `frame`, ring the doorbell and let the wire carry it (the frame's wire time passes). */
  send(frame: Uint8Array, cmd?: number): number {
    const i = this.queue_tx(frame, cmd);
    this.wr(REG.TDT, this.tx_tail);
    this.drain();
    return i;
  }

  /** Let 1 ms of virtual time pass: every queued frame leaves at line rate. */
  drain(): void {
    this.m.clock.advance_to(this.m.clock.now_ns() + 1_000_000);
  }

  tx_status(i: number): number {
    return this.m.mem.u8[this.tx_ring + i * 16 + 12]!;
  }

  rx_desc(i: number): { len: number; status: number; errors: number; special: number; data: Uint8Array } {
    const d = this.rx_ring + i * 16;
    const v = this.m.mem.view;
    const len = v.getUint16(d + 8, true);
    return { len, status: v.getUint8(d + 12), errors: v.getUint8(d + 13), special: v.getUint16(d + 14, true), data: this.m.mem.u8.slice(this.rx_bufs + i * 2048, this.rx_bufs + i * 2048 + len) };
  }
}

/** A world with `count` machines-worth of NICs? No: one machine, `macs.length` NICs, firmware run, decode + bus master on. */
export function nic_machine(macs: Uint8Array[] = [MAC_A], world = new World()): { world: World; m: Machine; nics: Nic[] } {
  const m = world.add_machine({ mem_size: 64 << 20 });
  const devs = macs.map((mac, i) => {
    const dev = new E1000(m.clock, { mac, name: `e1000.${i}` });
    m.pci.plug(dev, 3 + i);
    return dev;
  });
  m.platform(); // firmware: BARs, interrupt lines, decode on
  const nics = devs.map((dev, i) => {
    const nic = new Nic(m, dev, 0x400000 + i * 0x400000);
    nic.cfg_write16(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    m.ioapic.unmask(dev.irq_pin!.gsi);
    return nic;
  });
  return { world, m, nics };
}

/** A wire end that records what reaches it. */
export class Sink implements NetEndpoint {
  peer: NetEndpoint | null = null;
  readonly frames: Uint8Array[] = [];
  receive_frame(frame: Uint8Array, len: number): void {
    this.frames.push(frame.slice(0, len));
  }
  /** Send a frame to whatever this end is plugged into. */
  inject(frame: Uint8Array): void {
    this.peer?.receive_frame(frame, frame.length);
  }
}

/** An Ethernet frame: dst, src, type and a payload of `len` bytes following a pattern. */
export function make_frame(dst: Uint8Array, src: Uint8Array, payload_len: number, type = 0x88b5, seed = 0): Uint8Array {
  const f = new Uint8Array(14 + payload_len);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  for (let i = 0; i < payload_len; i++) f[14 + i] = (i * 31 + seed) & 0xff;
  return f;
}

export const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** One NIC whose wire ends in a Sink that records what it sends. */
export function wired(): ReturnType<typeof nic_machine> & { nic: Nic; sink: Sink } {
  const env = nic_machine();
  const nic = env.nics[0]!;
  const sink = new Sink();
  net_connect(sink, nic.dev);
  return { ...env, nic, sink };
}
