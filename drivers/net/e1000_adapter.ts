/**
 * The driver's data model (≈ the adapter and ring structs of Linux's e1000.h): one E1000Adapter per
 * bound 8254x, holding the mapped registers, both descriptor rings, the NAPI context, deferred work
 * and the accumulated statistics.
 */
import type { PciDev } from "../../include/linux/pci.ts";
import type { NapiStruct, NetDevice, PBuf } from "../../include/net/netdevice.ts";
import { ENOMEM } from "../../include/linux/errno.ts";
import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from "../../include/linux/dma-direction.ts";
import { dma_alloc_coherent, dma_free_coherent, dma_unmap_single, type DmaCoherent } from "../../kernel/dma/mapping.ts";
import { pbuf_put } from "../../kernel/mm/pbuf.ts";
import { readl, writel } from "../../kernel/io.ts";
import { pr_err } from "../../kernel/printk.ts";
import { netif_carrier_off, netif_device_detach } from "../net/netdev.ts";
import type { DelayedWork, WorkStruct } from "../../kernel/workqueue.ts";
import { E1000_DESC_SIZE, E1000_STATUS } from "./e1000_hw.ts";

/** A descriptor ring (struct e1000_tx_ring / e1000_rx_ring). */
export class E1000Ring {
  /** The descriptors, in coherent DMA memory. */
  desc: DmaCoherent | null = null;
  count: number;
  next_to_use = 0;
  next_to_clean = 0;
  /**
   * The packet buffer each slot holds (RX: the posted buffer; TX: the frame, in the slot of its
   * last (EOP) descriptor, until it completes — context and earlier data descriptors hold null).
   */
  buffer_info: (PBuf | null)[] = [];
  /**
   * TX: for the first descriptor of each frame, the index of its EOP descriptor (Linux's
   * next_to_watch), -1 elsewhere. Only the EOP descriptor asks for status (RS), so completion is
   * read there.
   */
  next_to_watch: Int32Array = new Int32Array(0);
  /** TX: segments and wire bytes (replicated headers included) of the frame ending in each slot. */
  segs: Int32Array = new Int32Array(0);
  bytecount: Int32Array = new Int32Array(0);
  /**
   * The streaming DMA mapping of the buffer piece each slot's descriptor points at (Linux's
   * buffer_info->dma and ->length): bus address and bytes, 0 bytes when the slot maps nothing.
   */
  dma: Float64Array = new Float64Array(0);
  dma_len: Int32Array = new Int32Array(0);
  /** Register offsets of head and tail. */
  readonly head_reg: number;
  readonly tail_reg: number;
  /** How the ring's buffers are mapped: DMA_TO_DEVICE (transmit) or DMA_FROM_DEVICE (receive). */
  readonly dma_dir: number;

  constructor(count: number, head_reg: number, tail_reg: number, dma_dir: number) {
    this.count = count;
    this.head_reg = head_reg;
    this.tail_reg = tail_reg;
    this.dma_dir = dma_dir;
  }
}

/** Unmap what slot `i` has mapped (e1000_unmap_and_free_tx_resource's first half). Any context. */
export function e1000_unmap_slot(adapter: E1000Adapter, ring: E1000Ring, i: number): void {
  const len = ring.dma_len[i]!;
  if (len === 0) return;
  dma_unmap_single(adapter.pdev, ring.dma[i]!, len, ring.dma_dir);
  ring.dma_len[i] = 0;
}

/** Allocate a ring's descriptors in coherent memory and its empty buffer table. 0 or -ENOMEM. */
export function e1000_setup_ring(adapter: E1000Adapter, ring: E1000Ring): number {
  const mem = dma_alloc_coherent(adapter.pdev, ring.count * E1000_DESC_SIZE);
  if (mem === null) return -ENOMEM;
  ring.desc = mem;
  ring.buffer_info = new Array<PBuf | null>(ring.count).fill(null);
  ring.next_to_watch = new Int32Array(ring.count).fill(-1);
  ring.segs = new Int32Array(ring.count);
  ring.bytecount = new Int32Array(ring.count);
  ring.dma = new Float64Array(ring.count);
  ring.dma_len = new Int32Array(ring.count);
  ring.next_to_use = ring.next_to_clean = 0;
  return 0;
}

/** Give back every buffer the ring holds and zero its descriptors. */
export function e1000_clean_ring(adapter: E1000Adapter, ring: E1000Ring): void {
  for (let i = 0; i < ring.buffer_info.length; i++) {
    e1000_unmap_slot(adapter, ring, i);
    const p = ring.buffer_info[i];
    if (p) {
      pbuf_put(p);
      ring.buffer_info[i] = null;
    }
  }
  ring.desc?.cpu_addr.fill(0);
  ring.next_to_watch.fill(-1);
  ring.next_to_use = ring.next_to_clean = 0;
}

/** Clean the ring, then free its descriptor memory. */
export function e1000_free_ring(adapter: E1000Adapter, ring: E1000Ring): void {
  e1000_clean_ring(adapter, ring);
  if (ring.desc !== null) dma_free_coherent(adapter.pdev, ring.count * E1000_DESC_SIZE, ring.desc);
  ring.desc = null;
}

/** The hardware counters, accumulated (the registers clear on read). Names follow struct e1000_hw_stats. */
export class E1000HwStats {
  crcerrs = 0;
  algnerrc = 0;
  symerrs = 0;
  rxerrc = 0;
  mpc = 0;
  scc = 0;
  ecol = 0;
  mcc = 0;
  latecol = 0;
  colc = 0;
  dc = 0;
  tncrs = 0;
  sec = 0;
  cexterr = 0;
  rlec = 0;
  xonrxc = 0;
  xontxc = 0;
  xoffrxc = 0;
  xofftxc = 0;
  fcruc = 0;
  gprc = 0;
  bprc = 0;
  mprc = 0;
  gptc = 0;
  gorc = 0;
  gotc = 0;
  rnbc = 0;
  ruc = 0;
  rfc = 0;
  roc = 0;
  rjc = 0;
  tor = 0;
  tot = 0;
  tpr = 0;
  tpt = 0;
  mptc = 0;
  bptc = 0;
  tsctc = 0;
  tsctfc = 0;
}

export class E1000Adapter {
  readonly pdev: PciDev;
  readonly netdev: NetDevice;
  /**
   * BAR0 as mapped by pci_iomap: registers are at hw_addr + offset. Cleared to 0 when the device is
   * found gone (e1000_check_removed); every register access then reads ~0 without touching the bus.
   */
  hw_addr: number;
  /** The mapping to give back at remove, kept when hw_addr is cleared. */
  readonly iomap: number;
  tx_ring: E1000Ring;
  rx_ring: E1000Ring;
  napi: NapiStruct | null = null;
  readonly eeprom = new Uint16Array(64);
  /**
   * Interrupt throttling (e1000_itr.ts): the InterruptThrottleRate mode (0 off, 1/3 dynamic,
   * 4 simplified, else a fixed rate with the low two bits clear) and the rate now, in ints/s.
   */
  itr_setting: number;
  itr: number;
  /** The latency class (LATENCY_RANGE) each direction was last put in by e1000_set_itr. */
  tx_itr = 0;
  rx_itr = 0;
  /** What the polls since the last interrupt moved (reset in e1000_intr, read by e1000_set_itr). */
  total_tx_bytes = 0;
  total_tx_packets = 0;
  total_rx_bytes = 0;
  total_rx_packets = 0;
  /** Good octets sent / received between the last two statistics updates (InterruptThrottleRate=4). */
  gotcl = 0;
  gorcl = 0;
  /** The interface is down (or being reset): the IRQ path must not re-enable interrupts. */
  down = true;
  resetting = false;
  get_link_status = true;
  link_speed = 0;
  link_full_duplex = false;
  watchdog_task: DelayedWork | null = null;
  reset_task: WorkStruct | null = null;
  /** Frames queued with `more` whose tail has not been written yet. */
  tx_tail_pending = false;
  /** TX hang detection: TDH seen by the previous watchdog run with work pending (-1 = none). */
  last_tdh = -1;
  /** A frame spanning descriptors is being thrown away up to its EOP. */
  rx_discarding = false;
  readonly hw_stats = new E1000HwStats();
  /* Software counters (ethtool -S). */
  tx_timeout_count = 0;
  restart_queue = 0;
  alloc_rx_buff_failed = 0;
  /** Received frames up to this long are copied and their mapped buffer reused (module parameter copybreak, set at probe). */
  copybreak = 0;
  /** Transmit frames dropped because a buffer could not be mapped for DMA (Linux's tx_dma_failed). */
  tx_dma_failed = 0;
  rx_multi_desc_dropped = 0;
  irq_count = 0;
  irq_none = 0;
  /** Frames the hardware never sent, freed from the TX ring by a reset, ifdown or remove. */
  tx_reset_dropped = 0;
  /** Frames the hardware received that were still in the RX ring when it was cleaned. */
  rx_reset_dropped = 0;
  /** PCI bus errors (Received/Signalled Master Abort) seen by the watchdog; each schedules a reset. */
  pci_bus_errors = 0;
  /** When the last bus-error reset was scheduled (they are at most one per watchdog interval). */
  last_bus_error_reset_ns = -Infinity;
  /** Resets scheduled by the watchdog for any reason (hang, link loss with work queued, bus error). */
  reset_count = 0;
  /* Offloads. */
  /** Receive checksum offload is on (NETIF_F_RXCSUM): RXCSUM.TUOFL/IPOFL are programmed. */
  rx_csum = true;
  /** Received frames whose TCP/UDP checksum the hardware verified, and ones it found bad (ethtool -S rx_csum_offload_good/errors). */
  hw_csum_good = 0;
  hw_csum_err = 0;
  /** Frames sent with the hardware inserting the TCP/UDP checksum, and TSO frames handed to it. */
  tx_csum_offload = 0;
  tx_tso = 0;
  /** Context descriptors written for checksum offload (e1000_tx_csum) and for TSO (e1000_tso). */
  tx_csum_ctxt = 0;
  tx_tso_ctxt = 0;
  /**
   * The checksum-offload context the hardware holds (TUCSS, TUCSO, TUCMD; -1 = unknown, after a
   * reset or a TSO context). A frame with the same parameters reuses it without a new context
   * descriptor: the SDM (3.3.6) keeps a context until the next context descriptor replaces it.
   */
  tx_ctx_css = -1;
  tx_ctx_cso = -1;
  tx_ctx_cmd = -1;
  /** During the self-test interrupt check: causes seen by the test handler. */
  test_icr = 0;

  constructor(pdev: PciDev, netdev: NetDevice, hw_addr: number, tx_count: number, rx_count: number, itr_setting: number, itr: number) {
    this.pdev = pdev;
    this.netdev = netdev;
    this.hw_addr = hw_addr;
    this.iomap = hw_addr;
    this.tx_ring = new E1000Ring(tx_count, 0x03810, 0x03818, DMA_TO_DEVICE);
    this.rx_ring = new E1000Ring(rx_count, 0x02810, 0x02818, DMA_FROM_DEVICE);
    this.itr_setting = itr_setting;
    this.itr = itr;
  }
}

/** What a read from a function that no longer decodes (or is gone) returns. */
export const E1000_REMOVED_VALUE = 0xffffffff;

/**
 * The device reads all ones: is it gone? (igb_rd32's check.) STATUS never reads ~0 on a live
 * 8254x, so a second all-ones read from it confirms a surprise removal or Memory Space decode
 * turned off. Then — once — log it, clear the register base so no later access touches the bus,
 * and let the core know (netif_device_detach, carrier off). Any context (hard IRQ included).
 */
function e1000_check_removed(adapter: E1000Adapter, reg: number): void {
  if (adapter.hw_addr === 0) return;
  if (reg !== E1000_STATUS && readl(adapter.hw_addr + E1000_STATUS) >>> 0 !== E1000_REMOVED_VALUE) return;
  adapter.hw_addr = 0;
  pr_err("e1000 %s %s: PCIe link lost, device now detached\n", adapter.pdev.name, adapter.netdev.name);
  netif_device_detach(adapter.netdev);
  netif_carrier_off(adapter.netdev);
}

/** The device was found gone: registers read ~0 and writes go nowhere. */
export function e1000_removed(adapter: E1000Adapter): boolean {
  return adapter.hw_addr === 0;
}

/**
 * er32/ew32 (e1000_osdep.h): 32-bit register access. Any context. A read of ~0 is checked against
 * STATUS (e1000_check_removed); after removal reads return ~0 and writes are dropped.
 */
export function er32(adapter: E1000Adapter, reg: number): number {
  if (adapter.hw_addr === 0) return E1000_REMOVED_VALUE;
  const v = readl(adapter.hw_addr + reg) >>> 0;
  if (v === E1000_REMOVED_VALUE) e1000_check_removed(adapter, reg);
  return v;
}

export function ew32(adapter: E1000Adapter, reg: number, value: number): void {
  if (adapter.hw_addr === 0) return;
  writel(value, adapter.hw_addr + reg);
}

/** E1000_WRITE_FLUSH: read STATUS so posted writes reach the device before we go on. */
export function e1000_write_flush(adapter: E1000Adapter): void {
  er32(adapter, E1000_STATUS);
}
