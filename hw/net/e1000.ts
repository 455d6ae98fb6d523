import { PCI_CLASS_NETWORK_ETHERNET, PCI_VENDOR_ID_INTEL, PCI_VENDOR_ID_REDHAT_QUMRANET } from "../../include/kernel/pci.ts";
import { ClockEvent, type VirtualClock } from "../clock.ts";
import { PCI_STATUS_REC_MASTER_ABORT, PciDevice } from "../pci/pci_device.ts";
import { build_eeprom, e1000_set_eerd, EepromMicrowire } from "./e1000_eeprom.ts";
import { e1000_rx_timer_fired, e1000_rx_written, e1000_set_ics, e1000_tx_written, e1000_update_irq, IntrState } from "./e1000_intr.ts";
import { E1000Phy, e1000_set_mdic } from "./e1000_phy.ts";
import {
  CTRL_PHY_RST,
  CTRL_RST,
  ICR_LSC,
  ICR_VALID_MASK,
  RAH_AV,
  RCTL_BAM,
  RCTL_EN,
  RCTL_LBM_MASK,
  E1000_PB_KIB,
  E1000_REG_TABLE,
  PBA_RXA_MASK,
  PBA_TXA_SHIFT,
  RDTR_FPD,
  REG,
  REG_KIND_RO,
  REG_KIND_RW,
  REG_KIND_W1C,
  STATUS_LU,
  TCTL_EN,
} from "./e1000_regs.ts";
import { e1000_inject_fault, e1000_storm_tick, FaultState } from "./e1000_faults.ts";
import { e1000_describe, e1000_reg_name } from "./e1000_info.ts";
import { e1000_receive, e1000_rx_fifo_drain, e1000_rx_fifo_flush, RxState } from "./e1000_rx.ts";
import { e1000_stat_add64, e1000_stat_inc, e1000_stat_read } from "./e1000_stats.ts";
import { e1000_start_xmit, TxState } from "./e1000_tx.ts";
import { RX_NO_LINK, type NetEndpoint } from "./net_endpoint.ts";
import type { PciDeviceTypeInfo } from "../core/qdev.ts";
import { nic_mac } from "./nic_props.ts";

/**
 * The Intel 82540EM Gigabit Ethernet controller (PCI 8086:100E), modelled at register level after
 * Intel's 8254x Software Developer's Manual (SDM), with QEMU's `-device e1000` as the second
 * reference (../shared/reference/e1000-model.md has both side by side).
 *
 * One register file (a Uint32Array over the 128 KiB BAR0) with a reset table and per-register
 * behaviour; the interrupt line is derived from ICR & IMS, throttled by ITR and delayed by
 * RDTR/RADV/TIDV/TADV, all on the virtual clock; descriptors and buffers move by DMA through
 * physical memory (only with Bus Master on). Transmit is e1000_tx.ts, receive e1000_rx.ts, the
 * EEPROM and EERD e1000_eeprom.ts, the PHY and MDIC e1000_phy.ts, interrupts and their timers
 * e1000_intr.ts, the statistics registers e1000_stats.ts.
 *
 * Where the hardware and QEMU differ we follow the hardware unless a driver written for QEMU would
 * break. The choices, row by row with their SDM sections, are tabled in e1000_departures.md beside
 * this file (keep it current when a behaviour changes).
 */
export const E1000_DEV_ID_82540EM = 0x100e;
export const E1000_DEV_ID_82545EM_COPPER = 0x100f;
export const E1000_DEV_ID_82544GC_COPPER = 0x100c;
export const E1000_MMIO_SIZE = 0x20000;
export const E1000_IO_SIZE = 8;

export interface E1000Options {
  mac: Uint8Array;
  device_id?: number;
  name?: string;
}


export class E1000 extends PciDevice implements NetEndpoint {
  readonly regs = new Uint32Array(E1000_MMIO_SIZE >> 2);
  readonly mac: Uint8Array;
  readonly eeprom: Uint16Array;
  private readonly eecd: EepromMicrowire;
  readonly phy: E1000Phy;
  readonly clock: VirtualClock;
  peer: NetEndpoint | null = null;
  /** The user's cable (set_link) and the peer's carrier; the PHY sees both. */
  private user_link = true;
  private peer_carrier = true;
  /** Register kinds (REG_KIND_*), write masks and reset values from E1000_REG_TABLE, by offset >> 2. */
  private readonly kind = new Uint8Array(E1000_MMIO_SIZE >> 2);
  private readonly reg_mask = new Uint32Array(E1000_MMIO_SIZE >> 2);
  private readonly reg_reset = new Uint32Array(E1000_MMIO_SIZE >> 2);
  /** I/O BAR: IOADDR selects a register, IODATA accesses it (SDM 13.2.2). */
  private ioaddr = 0;

  /** Interrupt line, ITR and delay timers (e1000_intr.ts); INTx assertions so far. */
  readonly intr: IntrState;
  interrupts_raised = 0;
  /** Resumes the transmitter when the wire is free again. */
  private readonly wire_event: ClockEvent;

  /* Transmit and receive state (preallocated buffers live here; on-chip memory once realized). */
  tx = new TxState();
  rx = new RxState();

  /** DMA that hit no memory: count and the last one, for tests and the ring inspector. */
  dma_errors = 0;
  last_dma_error = "";
  /** Armed injected faults (e1000_faults.ts). */
  readonly faults: FaultState;

  constructor(clock: VirtualClock, opts: E1000Options) {
    const device_id = opts.device_id ?? E1000_DEV_ID_82540EM;
    super(opts.name ?? "e1000", {
      vendor: PCI_VENDOR_ID_INTEL,
      device: device_id,
      revision: 0x03,
      class_code: PCI_CLASS_NETWORK_ETHERNET << 8,
      subsystem_vendor: PCI_VENDOR_ID_REDHAT_QUMRANET,
      subsystem_id: 0x1100,
      interrupt_pin: 1,
    });
    this.clock = clock;
    this.mac = Uint8Array.from(opts.mac);
    this.eeprom = build_eeprom(this.mac, device_id);
    this.eecd = new EepromMicrowire(this.eeprom);
    // Timer callbacks enter the model from the clock: each is guarded like a register access.
    this.phy = new E1000Phy(clock, (up) => this.guarded("link change", () => this.link_changed(up)));
    this.intr = new IntrState(this, (where, fn) => this.guarded(where, fn));
    // The callbacks are made once here: a clock event fires per frame, and must not allocate.
    const xmit = (): void => e1000_start_xmit(this);
    this.wire_event = new ClockEvent(`${this.name}-wire`, () => this.guarded("transmit (wire free)", xmit));
    const storm = (): void => e1000_storm_tick(this, this.clock);
    this.faults = new FaultState(() => this.guarded("irq_storm timer", storm));
    for (const [off, count, stride, reset, mask, kind] of E1000_REG_TABLE) {
      for (let i = 0; i < count; i++) {
        const at = (off + i * stride) >> 2;
        this.kind[at] = kind;
        this.reg_mask[at] = mask;
        this.reg_reset[at] = reset;
      }
    }
    this.register_bar(0, { kind: "mem32", size: E1000_MMIO_SIZE, name: "e1000-mmio", ops: { read: (o, w) => this.mmio_read(o, w), write: (o, w, v) => this.mmio_write(o, w, v) } });
    this.register_bar(1, { kind: "io", size: E1000_IO_SIZE, name: "e1000-io", ops: { read: (o, w) => this.io_read(o, w), write: (o, w, v) => this.io_write(o, w, v) } });
    this.mac_reset();
  }

  /* ---- tracing ---- */

  trace_on(channel: string): boolean {
    return this.bus?.tracer.on(channel) ?? false;
  }

  trace(channel: string, msg: string): void {
    this.bus?.tracer.trace(channel, `${this.name}: ${msg}`);
  }

  warn_once(key: string, msg: string): void {
    this.bus?.tracer.warn_once(`${this.name}:${key}`, `${this.name}: ${msg}`);
  }

  /** Run a timer or link callback; an exception becomes a model error, never reaches the clock. */
  private guarded(where: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.model_error(where, e);
    }
  }

  /** A DMA that hit nothing: master abort in PCI Status, a trace line, the count. */
  dma_failed(what: string, addr: number, len: number): void {
    this.dma_errors++;
    const injected = this.dma_injected;
    this.dma_injected = false;
    this.last_dma_error = `${what} at 0x${addr.toString(16)} (${len} bytes)${injected ? " (injected dma_abort)" : ""}`;
    if (this.bus_master) this.config[0x07] = this.config[0x07]! | (PCI_STATUS_REC_MASTER_ABORT >> 8);
    if (injected) this.warn_once("dma:injected", `${what} master-aborted (injected fault dma_abort)`);
    else this.warn_once(`dma:${what}`, `${what} at 0x${addr.toString(16)} is outside physical memory: check the address the driver programmed`);
  }

  /** The last refused DMA was an injected dma_abort (for dma_failed's message). */
  private dma_injected = false;

  /** The injected dma_abort fault: the next N transfers master-abort (true = this one does). */
  private injected_dma_abort(): boolean {
    if (this.faults.dma_abort === 0 || !this.bus_master || this.removed) return false;
    this.faults.dma_abort--;
    this.dma_injected = true;
    return true;
  }

  override dma_read(addr: number, dst: Uint8Array, dst_offset: number, len: number): boolean {
    return !this.injected_dma_abort() && super.dma_read(addr, dst, dst_offset, len);
  }

  override dma_write(addr: number, src: Uint8Array, src_offset: number, len: number): boolean {
    return !this.injected_dma_abort() && super.dma_write(addr, src, src_offset, len);
  }

  /* ---- fault injection (e1000_faults.ts) ---- */

  /** Inject fault `name` (see E1000_FAULTS); "" on success, else a one-line error. */
  inject_fault(name: string, arg?: string): string {
    try {
      return e1000_inject_fault(this, name, arg);
    } catch (e) {
      this.model_error(`inject_fault ${name}`, e);
      return `${name}: failed inside the model (${(e as Error).message})`;
    }
  }

  /** The function was pulled: stop every timer; the wire end hears nothing from now on. */
  protected override surprise_removed(): void {
    this.intr.disarm(this.clock);
    for (const ev of [this.wire_event, this.faults.storm_event]) this.clock.disarm(ev);
    this.intr.asserted = false;
  }

  /** Register names for warnings: the SDM mnemonic where we have one. */
  protected override reg_name(bar: number, off: number): string {
    return e1000_reg_name(bar, off, this.ioaddr);
  }

  /** One line of counters for `~info network`. */
  describe_counters(): string {
    return e1000_describe(this);
  }

  /* ---- reset ---- */

  /** Software or power-on reset of the MAC: registers to their reset values, rings and timers idle. */
  private mac_reset(): void {
    const r = this.regs;
    // Reset values (E1000_REG_TABLE): CTRL SPEED=1000, SLU, SDP0/SDP2 data (QEMU's value); LEDCTL;
    // PBA 48 KiB receive (the TX share, 16 KiB, is computed on read); VET 0x8100; MANC.
    r.set(this.reg_reset);
    // RA[0] is loaded from EEPROM words 0-2 with Address Valid (SDM 5.6.1).
    const e = this.eeprom;
    r[REG.RA >> 2] = (e[0]! | (e[1]! << 16)) >>> 0;
    r[(REG.RA + 4) >> 2] = (e[2]! | RAH_AV) >>> 0;
    this.eecd.reset();
    this.intr.disarm(this.clock);
    this.clock.disarm(this.wire_event);
    this.intr.next_ok_ns = 0;
    this.tx.reset();
    this.rx.reset();
    // Frames still in the receive FIFO are lost; after the statistics were cleared above, MPC
    // counts them so the guest still sees them (a power-on reset finds the FIFO empty).
    e1000_rx_fifo_flush(this, "reset");
    this.faults.tx_hang = false; // an injected transmitter hang lasts until reset
    this.update_irq();
  }

  /** Machine reset: PHY and MAC to power-on state; a removed card is back in its slot. */
  /** On the bus: the transmit and receive buffers move into the machine's on-chip memory. */
  override realize(): void {
    const mem = this.bus!.mem;
    const alloc = (len: number): Uint8Array => mem.alloc_onchip(len);
    this.tx = new TxState(alloc);
    this.rx = new RxState(alloc);
  }

  reset(): void {
    this.removed = false;
    this.phy.reset();
    this.mac_reset();
  }

  /* ---- link ---- */

  /** The cable is pulled (QEMU's nc->link_down: set_link(false)), whatever the peer's carrier. */
  get link_down(): boolean {
    return !this.user_link;
  }

  /** Pull (false) or plug (true) the cable. */
  set_link(up: boolean): void {
    this.user_link = up;
    this.phy.set_cable(this.user_link && this.peer_carrier);
  }

  get link_up(): boolean {
    return this.phy.link_up;
  }

  peer_link_changed(up: boolean): void {
    this.peer_carrier = up;
    this.phy.set_cable(this.user_link && this.peer_carrier);
  }

  private link_changed(up: boolean): void {
    if (this.trace_on("interrupt")) this.trace("interrupt", `link ${up ? "up" : "down"}: LSC`);
    this.set_ics(ICR_LSC);
    if (up) e1000_start_xmit(this); // the transmitter stopped while the link was down
  }

  status(): number {
    return (0x80080781 | (this.phy.link_up ? STATUS_LU : 0)) >>> 0; // FD, 1000 Mb/s, ASDV, GIO master enable
  }

  /* ---- interrupts (e1000_intr.ts) ---- */

  /** Raise interrupt causes (ICS, or the device itself). */
  set_ics(causes: number): void {
    e1000_set_ics(this, causes);
  }

  /** Drive INTx from ICR & IMS, throttled by ITR (SDM 13.4.18). */
  update_irq(): void {
    e1000_update_irq(this);
  }

  /** A received frame was written back: RXT0 now, or after the RDTR/RADV delays (SDM 3.2.7). */
  rx_written(): void {
    e1000_rx_written(this);
  }

  /** A transmit descriptor with RS was written back: TXDW now, or delayed for IDE (SDM 3.4). */
  tx_written(ide: boolean): void {
    e1000_tx_written(this, ide);
  }

  /** The transmitter has frames but the wire is busy until `t`. */
  tx_wait_for_wire(t: number): void {
    if (!this.wire_event.armed || this.wire_event.when !== t) this.clock.arm(this.wire_event, t);
  }

  /* ---- statistics (SDM 13.7, e1000_stats.ts): saturating, clear on read ---- */

  /** Add `n` to the 32-bit statistics register at `off`. */
  stat_inc(off: number, n = 1): void {
    e1000_stat_inc(this.regs, off, n);
  }

  /** Add to a 64-bit counter (low register at `lo`), saturating. */
  stat_add64(lo: number, n: number): void {
    e1000_stat_add64(this.regs, lo, n);
  }

  /* ---- register access ---- */

  private mmio_read(off: number, width: number): number {
    const v = this.reg_read(off & ~3);
    if (width === 4) return v;
    return (v >>> ((off & 3) * 8)) & (width === 2 ? 0xffff : 0xff);
  }

  private mmio_write(off: number, width: number, value: number): void {
    if (width === 4) {
      this.reg_write(off, value >>> 0);
      return;
    }
    // Narrow writes merge into the register (the 8254x expects 32-bit accesses).
    const aligned = off & ~3;
    const shift = (off & 3) * 8;
    const mask = (width === 2 ? 0xffff : 0xff) << shift;
    this.reg_write(aligned, ((this.regs[aligned >> 2]! & ~mask) | ((value << shift) & mask)) >>> 0);
  }

  /** I/O BAR: IOADDR at +0 picks a register, IODATA at +4 reads or writes it. */
  private io_read(off: number, _width: number): number {
    if (off === 0) return this.ioaddr;
    if (off === 4) return this.reg_read(this.ioaddr & 0x1fffc);
    return 0;
  }

  private io_write(off: number, _width: number, value: number): void {
    if (off === 0) this.ioaddr = value >>> 0;
    else if (off === 4) this.reg_write(this.ioaddr & 0x1fffc, value >>> 0);
  }

  reg_read(off: number): number {
    const r = this.regs;
    switch (off) {
      case REG.STATUS:
        return this.status();
      case REG.ICR: {
        const v = r[REG.ICR >> 2]!;
        r[REG.ICR >> 2] = 0; // read to clear (SDM 13.4.17)
        this.update_irq();
        return v;
      }
      case REG.ICS:
        return r[REG.ICR >> 2]!; // write-only on the SDM; reads mirror ICR as in QEMU
      case REG.IMC:
        return 0;
      case REG.EECD:
        return this.eecd.read();
      case REG.PBA: {
        // TXA (31:16, read-only) is what the receive allocation leaves of the 64 KiB buffer (13.4.24).
        const rxa = r[REG.PBA >> 2]! & PBA_RXA_MASK;
        return (r[REG.PBA >> 2]! | ((rxa < E1000_PB_KIB ? E1000_PB_KIB - rxa : 0) << PBA_TXA_SHIFT)) >>> 0;
      }
    }
    if (off >= REG.STATS && off < REG.STATS_END) return e1000_stat_read(r, off);
    if (this.kind[off >> 2] !== 0) return r[off >> 2]!;
    if (this.trace_on("unknown")) this.trace("unknown", `read of unknown register 0x${off.toString(16)}`);
    return 0;
  }

  reg_write(off: number, val: number): void {
    const r = this.regs;
    switch (off) {
      case REG.CTRL:
        if (val & CTRL_RST) {
          if (this.trace_on("interrupt")) this.trace("interrupt", "CTRL.RST: device reset");
          this.mac_reset(); // RST self-clears: CTRL now reads its reset value
          return;
        }
        if ((val & CTRL_PHY_RST) !== 0 && (r[REG.CTRL >> 2]! & CTRL_PHY_RST) === 0) this.phy.reset();
        r[REG.CTRL >> 2] = (val & this.reg_mask[REG.CTRL >> 2]!) >>> 0;
        return;
      case REG.EECD:
        this.eecd.write(val);
        return;
      case REG.EERD:
        e1000_set_eerd(this, val);
        return;
      case REG.MDIC:
        e1000_set_mdic(this, val);
        return;
      case REG.ICR:
        r[REG.ICR >> 2] = (r[REG.ICR >> 2]! & ~val) >>> 0; // write 1 to clear
        this.update_irq();
        return;
      case REG.ICS:
        this.set_ics(val);
        return;
      case REG.IMS:
        r[REG.IMS >> 2] = (r[REG.IMS >> 2]! | (val & ICR_VALID_MASK)) >>> 0;
        this.update_irq();
        return;
      case REG.IMC:
        r[REG.IMS >> 2] = (r[REG.IMS >> 2]! & ~val) >>> 0;
        this.update_irq();
        return;
      case REG.ITR:
        r[REG.ITR >> 2] = val & 0xffff;
        return;
      case REG.RCTL: {
        const was = r[REG.RCTL >> 2]!;
        r[REG.RCTL >> 2] = (val & this.reg_mask[REG.RCTL >> 2]!) >>> 0;
        // Receiver disabled: the FIFO's frames are flushed (MPC); enabled: waiting frames may go.
        if ((was & RCTL_EN) !== 0 && (val & RCTL_EN) === 0) e1000_rx_fifo_flush(this, "RCTL.EN cleared");
        else if ((val & RCTL_EN) !== 0) e1000_rx_fifo_drain(this);
        if ((val & RCTL_EN) !== 0 && (val & RCTL_BAM) === 0) this.warn_once("bam", "receiver enabled with RCTL.BAM clear: broadcast frames (ARP, DHCP) will be dropped");
        if ((val & RCTL_LBM_MASK) !== 0) e1000_start_xmit(this); // loopback forces the link: a stalled transmitter may go
        return;
      }
      case REG.TCTL: {
        const was_on = (r[REG.TCTL >> 2]! & TCTL_EN) !== 0;
        r[REG.TCTL >> 2] = (val & this.reg_mask[REG.TCTL >> 2]!) >>> 0;
        this.tx.halted = false; // software restarts a DMA engine a master abort stopped
        // Turning the transmitter off abandons a packet it was assembling (or segmenting).
        if (was_on && (val & TCTL_EN) === 0) this.tx.end_packet();
        e1000_start_xmit(this);
        return;
      }
      case REG.RDLEN:
      case REG.TDLEN:
        if ((val & 0x7f) !== 0) this.warn_once(`len${off}`, `${off === REG.RDLEN ? "RDLEN" : "TDLEN"}=${val} is not a multiple of 128 bytes (8 descriptors); the low 7 bits are ignored`);
        r[off >> 2] = val & 0x000fff80;
        return;
      case REG.RDH:
      case REG.TDH:
        r[off >> 2] = val & 0xffff;
        if (off === REG.TDH) {
          // The ring is being reprogrammed: the DMA engine restarts and a half-assembled packet
          // (a TSE packet waiting for the wire, say) is forgotten.
          this.tx.halted = false;
          this.tx.end_packet();
        }
        return;
      case REG.RDT:
        r[REG.RDT >> 2] = val & 0xffff;
        this.rx.rdt_written = true;
        if ((r[REG.RCTL >> 2]! & RCTL_EN) !== 0) e1000_rx_fifo_drain(this); // descriptors came back
        return;
      case REG.TDT:
        r[REG.TDT >> 2] = val & 0xffff;
        e1000_start_xmit(this);
        return;
      case REG.RDTR:
        r[REG.RDTR >> 2] = val & 0xffff;
        if ((val & RDTR_FPD) !== 0 && (this.intr.rdtr_event.armed || this.intr.radv_event.armed)) e1000_rx_timer_fired(this); // flush partial descriptor block
        return;
      case REG.RADV:
      case REG.TIDV:
      case REG.TADV:
        r[off >> 2] = val & 0xffff;
        return;
    }
    if (off >= REG.STATS && off < REG.STATS_END) return; // read-only
    const k = this.kind[off >> 2];
    if (k === REG_KIND_RW) {
      r[off >> 2] = (val & this.reg_mask[off >> 2]!) >>> 0;
      return;
    }
    if (k === REG_KIND_W1C) {
      r[off >> 2] = (r[off >> 2]! & ~val) >>> 0;
      return;
    }
    if (k === REG_KIND_RO) return;
    if (this.trace_on("unknown")) this.trace("unknown", `write of 0x${val.toString(16)} to unknown register 0x${off.toString(16)}`);
  }

  /* ---- the wire ---- */

  /**
   * A frame from the peer (hub, back-end). RX_NO_LINK when the PHY is down or the card was removed
   * (the sender counts it); otherwise the model's counters account for it. The boundary with the
   * wire: an exception from the model is a model error and the frame counts as heard (TPR).
   */
  receive_frame(frame: Uint8Array, len: number): boolean {
    if (this.removed) return RX_NO_LINK;
    try {
      return e1000_receive(this, frame, len);
    } catch (e) {
      this.model_error(`receive of a ${len}-byte frame`, e, "receive");
      return true;
    }
  }
}

/**
 * The e1000 family as `-device` offers it (QEMU's e1000_devices[] and e1000_register_types): one
 * model, three PCI device ids. "e1000" is the 82540EM, QEMU's default NIC on the pc machine.
 */
function e1000_type(name: string, device_id: number, device: string, alias?: string): PciDeviceTypeInfo {
  return {
    name,
    ...(alias !== undefined ? { alias } : {}),
    model: "e1000",
    desc: "Intel Gigabit Ethernet",
    category: "network",
    nic: true,
    pci_ids: { vendor_id: PCI_VENDOR_ID_INTEL, vendor: "Intel Corporation", device_id, device },
    realize(props, ctx) {
      const mac = nic_mac(props, ctx.nic_index);
      return typeof mac === "string" ? mac : new E1000(ctx.clock, { mac, device_id, name: ctx.name });
    },
  };
}

export const E1000_TYPES: readonly PciDeviceTypeInfo[] = [
  e1000_type("e1000", E1000_DEV_ID_82540EM, "82540EM Gigabit Ethernet Controller", "e1000-82540em"),
  e1000_type("e1000-82544gc", E1000_DEV_ID_82544GC_COPPER, "82544GC Gigabit Ethernet Controller (Copper)"),
  e1000_type("e1000-82545em", E1000_DEV_ID_82545EM_COPPER, "82545EM Gigabit Ethernet Controller (Copper)"),
];
