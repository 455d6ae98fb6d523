/**
 * ethtool support for the e1000 (≈ Linux's e1000_ethtool.c): driver info, link settings, the
 * statistics of `ethtool -S`, a decoded register dump (`ethtool -d`), ring sizes (`-g`/`-G`),
 * interrupt coalescing (`-c`/`-C`), the offline self-test (`-t`: register, EEPROM, interrupt,
 * MAC loopback and link tests) and a ring inspector.
 */
import { EINVAL } from "../../include/linux/errno.ts";
import { IRQ_HANDLED, IRQ_NONE, IRQF_SHARED, type IrqReturn } from "../../include/linux/interrupt.ts";
import { IFF_UP, type EthtoolOps, type NetDevice } from "../../include/net/netdevice.ts";
import type { EthtoolTestResult } from "../../include/uapi/ethtool.ts";
import { free_irq, request_irq } from "../../kernel/irq/manage.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { dev_close, dev_open } from "../net/netdev.ts";
import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from "../../include/linux/dma-direction.ts";
import { dma_map_single, dma_mapping_error, dma_sync_single_for_cpu } from "../../kernel/dma/mapping.ts";
import { E1000Ring, e1000_removed, e1000_unmap_slot, er32, ew32, type E1000Adapter } from "./e1000_adapter.ts";
import { e1000_down, e1000_driver_name, e1000_driver_version, e1000_intr_handler, e1000_reset, e1000_up } from "./e1000.ts";
import { valid_ring_size } from "./e1000_param.ts";
import {
  E1000_CTRL,
  E1000_DESC_SIZE,
  E1000_FCAH,
  E1000_FCT,
  E1000_ICR,
  E1000_ICS,
  E1000_IMC,
  E1000_IMS,
  E1000_ITR,
  E1000_MAX_RXD,
  E1000_MAX_TXD,
  E1000_MIN_RXD,
  E1000_MIN_TXD,
  E1000_RCTL,
  E1000_RCTL_BAM,
  E1000_RCTL_EN,
  E1000_RCTL_LBM_MAC,
  E1000_RCTL_SECRC,
  E1000_RDBAH,
  E1000_RDBAL,
  E1000_RDH,
  E1000_RDLEN,
  E1000_RDT,
  E1000_RDTR,
  E1000_RADV,
  E1000_RXD_STAT_DD,
  E1000_RXD_STAT_EOP,
  E1000_RXD_STATUS,
  E1000_STATUS,
  E1000_STATUS_LU,
  E1000_TCTL,
  E1000_TCTL_EN,
  E1000_TDBAH,
  E1000_TDBAL,
  E1000_TDH,
  E1000_TDLEN,
  E1000_TDT,
  E1000_TIDV,
  E1000_TADV,
  E1000_TIPG,
  E1000_TXD_CMD,
  E1000_TXD_STAT_DD,
  E1000_TXD_STATUS,
  E1000_VET,
} from "./e1000_hw.ts";
import { e1000_rx_filtered, e1000_update_stats, e1000_validate_eeprom_checksum } from "./e1000_mac.ts";
import { e1000_itr_to_usecs, e1000_set_itr_usecs } from "./e1000_itr.ts";
import { e1000_alloc_rx_buffers, e1000_clean_rx_ring, e1000_configure_rx, e1000_free_rx_resources, e1000_setup_rx_resources } from "./e1000_rx.ts";
import { e1000_clean_tx_ring, e1000_configure_tx, e1000_free_tx_resources, e1000_setup_tx_resources } from "./e1000_tx.ts";

const priv = (dev: NetDevice): E1000Adapter => dev.priv as E1000Adapter;

/** e1000_get_ethtool_stats(): fold the hardware counters in first, as Linux does, so they are current. */
function get_ethtool_stats(dev: NetDevice): [string, number][] {
  e1000_update_stats(priv(dev));
  return stats_list(dev);
}

function stats_list(dev: NetDevice): [string, number][] {
  const a = priv(dev);
  const n = dev.stats;
  const h = a.hw_stats;
  return [
    ["rx_packets", n.rx_packets],
    ["tx_packets", n.tx_packets],
    ["rx_bytes", n.rx_bytes],
    ["tx_bytes", n.tx_bytes],
    ["rx_broadcast", h.bprc],
    ["tx_broadcast", h.bptc],
    ["rx_multicast", h.mprc],
    ["tx_multicast", h.mptc],
    ["rx_errors", n.rx_errors],
    ["tx_errors", n.tx_errors],
    ["tx_dropped", n.tx_dropped],
    ["multicast", n.multicast],
    ["collisions", n.collisions],
    ["rx_length_errors", n.rx_length_errors],
    ["rx_over_errors", n.rx_over_errors],
    ["rx_crc_errors", n.rx_crc_errors],
    ["rx_frame_errors", n.rx_frame_errors],
    ["rx_no_buffer_count", h.rnbc],
    ["rx_missed_errors", n.rx_missed_errors],
    ["tx_aborted_errors", n.tx_aborted_errors],
    ["tx_carrier_errors", n.tx_carrier_errors],
    ["tx_fifo_errors", n.tx_fifo_errors],
    ["tx_heartbeat_errors", n.tx_heartbeat_errors],
    ["tx_window_errors", h.latecol],
    ["tx_abort_late_coll", h.latecol],
    ["tx_deferred_ok", h.dc],
    ["tx_single_coll_ok", h.scc],
    ["tx_multi_coll_ok", h.mcc],
    ["tx_timeout_count", a.tx_timeout_count],
    ["tx_restart_queue", a.restart_queue],
    ["rx_long_length_errors", h.roc],
    ["rx_short_length_errors", h.ruc],
    ["rx_align_errors", h.algnerrc],
    ["tx_tcp_seg_good", h.tsctc],
    ["tx_tcp_seg_failed", h.tsctfc],
    ["rx_flow_control_xon", h.xonrxc],
    ["rx_flow_control_xoff", h.xoffrxc],
    ["tx_flow_control_xon", h.xontxc],
    ["tx_flow_control_xoff", h.xofftxc],
    ["rx_long_byte_count", h.gorc],
    ["rx_csum_offload_good", a.hw_csum_good],
    ["rx_csum_offload_errors", a.hw_csum_err],
    ["alloc_rx_buff_failed", a.alloc_rx_buff_failed],
    ["tx_smbus", 0], // no manageability (SMBus) traffic on the model
    ["rx_smbus", 0],
    ["dropped_smbus", 0],
    // ringzero's own, each a reason a frame went nowhere (tx_dma_failed is e1000e's name):
    ["tx_dma_failed", a.tx_dma_failed],
    ["rx_multi_desc_dropped", a.rx_multi_desc_dropped],
    ["rx_filtered", e1000_rx_filtered(a)], // refused by the address/VLAN filter: TPR - GPRC - errors
    ["rx_nohandler", n.rx_nohandler], // no protocol for the EtherType
    ["rx_reset_dropped", a.rx_reset_dropped], // received but still in the ring at a reset/down
    ["tx_reset_dropped", a.tx_reset_dropped], // never sent: freed from the ring at a reset/down
    ["pci_bus_errors", a.pci_bus_errors],
    ["tx_csum_offload", a.tx_csum_offload], // frames sent with the hardware filling the TCP/UDP checksum
    ["tx_csum_offload_ctxt", a.tx_csum_ctxt], // checksum context descriptors written (only on a change)
    ["tx_tso", a.tx_tso], // TSO frames handed to the hardware
    ["tx_tso_ctxt", a.tx_tso_ctxt],
    ["reset_count", a.reset_count],
    ["hw_rx_total_packets", h.tpr],
    ["hw_rx_packets", h.gprc],
    ["hw_tx_packets", h.gptc],
    ["interrupts", a.irq_count],
    ["interrupts_not_ours", a.irq_none],
    ["napi_polls", a.napi?.polls ?? 0],
  ];
}

function flags(v: number, names: [number, string][]): string {
  const set = names.filter(([bit]) => (v & bit) !== 0).map(([, n]) => n);
  return set.length === 0 ? "-" : set.join(" ");
}

function regs_dump(dev: NetDevice): [string, number, number, string][] {
  const a = priv(dev);
  const r = (off: number): number => er32(a, off);
  const ctrl = r(E1000_CTRL);
  const status = r(E1000_STATUS);
  const rctl = r(E1000_RCTL);
  const tctl = r(E1000_TCTL);
  const speed = ["10", "100", "1000", "1000"][(status >>> 6) & 3]!;
  return [
    ["CTRL", E1000_CTRL, ctrl, flags(ctrl, [[1, "FD"], [0x40, "SLU"], [0x800, "FRCSPD"], [0x1000, "FRCDPLX"], [0x40000000, "VME"]])],
    ["STATUS", E1000_STATUS, status, `link ${status & 2 ? "up" : "down"}, ${speed} Mb/s, ${status & 1 ? "full" : "half"} duplex`],
    ["RCTL", E1000_RCTL, rctl, flags(rctl, [[2, "EN"], [8, "UPE"], [0x10, "MPE"], [0x20, "LPE"], [0xc0, "LBM"], [0x8000, "BAM"], [0x4000000, "SECRC"]])],
    ["RDBAL", E1000_RDBAL, r(E1000_RDBAL), "receive ring base (low)"],
    ["RDBAH", E1000_RDBAH, r(E1000_RDBAH), "receive ring base (high)"],
    ["RDLEN", E1000_RDLEN, r(E1000_RDLEN), `${r(E1000_RDLEN) / E1000_DESC_SIZE} descriptors`],
    ["RDH", E1000_RDH, r(E1000_RDH), "receive head"],
    ["RDT", E1000_RDT, r(E1000_RDT), "receive tail"],
    ["RDTR", E1000_RDTR, r(E1000_RDTR), `${(r(E1000_RDTR) & 0xffff) * 1.024} us packet timer`],
    ["RADV", E1000_RADV, r(E1000_RADV), `${(r(E1000_RADV) & 0xffff) * 1.024} us absolute timer`],
    ["TCTL", E1000_TCTL, tctl, `${flags(tctl, [[2, "EN"], [8, "PSP"], [0x1000000, "RTLC"]])} CT=${(tctl >>> 4) & 0xff} COLD=${(tctl >>> 12) & 0x3ff}`],
    ["TIPG", E1000_TIPG, r(E1000_TIPG), `IPGT ${r(E1000_TIPG) & 0x3ff} IPGR1 ${(r(E1000_TIPG) >>> 10) & 0x3ff} IPGR2 ${(r(E1000_TIPG) >>> 20) & 0x3ff}`],
    ["TDBAL", E1000_TDBAL, r(E1000_TDBAL), "transmit ring base (low)"],
    ["TDBAH", E1000_TDBAH, r(E1000_TDBAH), "transmit ring base (high)"],
    ["TDLEN", E1000_TDLEN, r(E1000_TDLEN), `${r(E1000_TDLEN) / E1000_DESC_SIZE} descriptors`],
    ["TDH", E1000_TDH, r(E1000_TDH), "transmit head"],
    ["TDT", E1000_TDT, r(E1000_TDT), "transmit tail"],
    ["TIDV", E1000_TIDV, r(E1000_TIDV), `${(r(E1000_TIDV) & 0xffff) * 1.024} us`],
    ["TADV", E1000_TADV, r(E1000_TADV), `${(r(E1000_TADV) & 0xffff) * 1.024} us`],
    ["IMS", E1000_IMS, r(E1000_IMS), flags(r(E1000_IMS), [[1, "TXDW"], [2, "TXQE"], [4, "LSC"], [8, "RXSEQ"], [0x10, "RXDMT0"], [0x40, "RXO"], [0x80, "RXT0"]])],
    ["ITR", E1000_ITR, r(E1000_ITR), r(E1000_ITR) === 0 ? "off" : `${Math.round(1e9 / (r(E1000_ITR) * 256))} interrupts/s max`],
  ];
}

/** The ring inspector: indices, hardware head/tail and each slot's DD/EOP state. */
export function e1000_dump_rings(dev: NetDevice): string {
  const a = priv(dev);
  const dump = (name: string, ring: E1000Ring, head: number, tail: number, status_off: number, done: number, eop_of: (i: number) => boolean): string => {
    let out = `${name} ring: ${ring.count} descriptors at 0x${ring.desc?.dma_handle.toString(16) ?? "-"}\n`;
    out += `  head (hw) ${head}  tail (hw) ${tail}  next_to_use ${ring.next_to_use}  next_to_clean ${ring.next_to_clean}\n`;
    out += "  slots: D = DD set, E = DD+EOP, b = buffer held, . = empty\n";
    const v = ring.desc?.view;
    for (let row = 0; row < ring.count; row += 64) {
      let line = `  ${String(row).padStart(4)}: `;
      for (let i = row; i < Math.min(row + 64, ring.count); i++) {
        const st = v === undefined ? 0 : v.getUint8(i * E1000_DESC_SIZE + status_off);
        line += st & done ? (eop_of(i) ? "E" : "D") : ring.buffer_info[i] ? "b" : ".";
      }
      out += line + "\n";
    }
    return out;
  };
  const tv = a.tx_ring.desc?.view;
  const rv = a.rx_ring.desc?.view;
  return (
    dump("TX", a.tx_ring, er32(a, E1000_TDH), er32(a, E1000_TDT), E1000_TXD_STATUS, E1000_TXD_STAT_DD, (i) => ((tv?.getUint8(i * 16 + E1000_TXD_CMD) ?? 0) & 1) !== 0) +
    dump("RX", a.rx_ring, er32(a, E1000_RDH), er32(a, E1000_RDT), E1000_RXD_STATUS, E1000_RXD_STAT_DD, (i) => ((rv?.getUint8(i * 16 + E1000_RXD_STATUS) ?? 0) & E1000_RXD_STAT_EOP) !== 0)
  );
}

/* ---- self-test (ethtool -t), after Linux's e1000_diag_test ---- */

/** Register test: patterns written to read/write registers must read back through their masks. */
function reg_test(a: E1000Adapter): EthtoolTestResult {
  const tests: [string, number, number][] = [
    ["FCAH", E1000_FCAH, 0x0000ffff],
    ["FCT", E1000_FCT, 0x0000ffff],
    ["VET", E1000_VET, 0x0000ffff],
    ["RDTR", E1000_RDTR, 0x0000ffff],
    ["RDBAH", E1000_RDBAH, 0xffffffff],
    ["RDLEN", E1000_RDLEN, 0x000fff80],
    ["RDH", E1000_RDH, 0x0000ffff],
    ["RDT", E1000_RDT, 0x0000ffff],
    ["TDBAH", E1000_TDBAH, 0xffffffff],
    ["TDLEN", E1000_TDLEN, 0x000fff80],
    ["TIDV", E1000_TIDV, 0x0000ffff],
  ];
  for (const [name, reg, mask] of tests) {
    const saved = er32(a, reg);
    for (const pat of [0x5a5a5a5a, 0xa5a5a5a5, 0x00000000, 0xffffffff]) {
      ew32(a, reg, (pat & mask) >>> 0);
      const got = er32(a, reg);
      if (((got & mask) >>> 0) !== ((pat & mask) >>> 0)) {
        ew32(a, reg, saved);
        return { name: "Register test  (offline)", result: 1, detail: `${name} (0x${reg.toString(16)}): wrote 0x${((pat & mask) >>> 0).toString(16)}, read 0x${got.toString(16)}` };
      }
    }
    ew32(a, reg, saved);
  }
  return { name: "Register test  (offline)", result: 0, detail: `${tests.length} registers` };
}

function eeprom_test(a: E1000Adapter): EthtoolTestResult {
  const r = e1000_validate_eeprom_checksum(a);
  return { name: "Eeprom test    (offline)", result: r === 0 ? 0 : 2, detail: r === 0 ? "checksum 0xBABA" : "checksum does not sum to 0xBABA" };
}

/**
 * Interrupt test: with a test handler on the line, each cause must raise an interrupt when
 * unmasked and none when masked.
 */
async function intr_test(a: E1000Adapter): Promise<EthtoolTestResult> {
  const name = "Interrupt test (offline)";
  const irq = a.pdev.irq;
  const netdev = a.netdev;
  free_irq(irq, netdev);
  const handler = (): IrqReturn => {
    const icr = er32(a, E1000_ICR);
    if (icr === 0) return IRQ_NONE;
    a.test_icr |= icr;
    return IRQ_HANDLED;
  };
  let result: EthtoolTestResult = { name, result: 0, detail: "causes 0-9 masked and unmasked" };
  if (request_irq(irq, handler, IRQF_SHARED, netdev.name, a) !== 0) {
    result = { name, result: 1, detail: "could not take the interrupt" };
  } else {
    ew32(a, E1000_IMC, 0xffffffff);
    await msleep(10);
    for (let i = 0; i < 10 && result.result === 0; i++) {
      const mask = 1 << i;
      if (i === 5 || i === 8) continue; // reserved on the 8254x
      a.test_icr = 0;
      ew32(a, E1000_IMC, mask);
      ew32(a, E1000_ICS, mask);
      await msleep(10);
      if (a.test_icr & mask) result = { name, result: 3, detail: `cause ${i} interrupted while masked` };
      er32(a, E1000_ICR);
      a.test_icr = 0;
      ew32(a, E1000_IMS, mask);
      ew32(a, E1000_ICS, mask);
      await msleep(10);
      if (!(a.test_icr & mask) && result.result === 0) result = { name, result: 4, detail: `cause ${i} did not interrupt when unmasked` };
      ew32(a, E1000_IMC, 0xffffffff);
      er32(a, E1000_ICR);
    }
    free_irq(irq, a);
  }
  request_irq(irq, e1000_intr_handler, IRQF_SHARED, netdev.name, netdev);
  return result;
}

/**
 * MAC loopback test: with RCTL.LBM set, send 64 frames of different sizes and check every byte
 * comes back in the receive ring, by polling descriptors (interrupts off).
 */
async function loopback_test(a: E1000Adapter): Promise<EthtoolTestResult> {
  const name = "Loopback test  (offline)";
  e1000_configure_tx(a);
  e1000_configure_rx(a);
  e1000_alloc_rx_buffers(a, a.rx_ring.count);
  ew32(a, E1000_IMC, 0xffffffff);
  ew32(a, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC | E1000_RCTL_LBM_MAC);
  ew32(a, E1000_TCTL, er32(a, E1000_TCTL) | E1000_TCTL_EN);
  const count = Math.min(64, a.tx_ring.count - 1, a.rx_ring.count - 2);
  const sizes: number[] = [];
  let detail = "";
  const tx = a.tx_ring;
  const tdv = tx.desc!.view;
  for (let i = 0; i < count && detail === ""; i++) {
    const p = pbuf_alloc();
    if (p === null) {
      detail = "out of packet buffers";
      break;
    }
    const len = 60 + ((i * 23) % 1455);
    p.head = 0;
    p.len = len;
    p.data.set(a.netdev.dev_addr, 0);
    p.data.set(a.netdev.dev_addr, 6);
    p.data[12] = 0x88;
    p.data[13] = 0xb5;
    for (let b = 14; b < len; b++) p.data[b] = (b * 7 + i) & 0xff;
    // Filled, then handed to the device (mapping makes the bytes visible to it).
    const dma = dma_map_single(a.pdev, p.data, 0, len, DMA_TO_DEVICE);
    if (dma_mapping_error(a.pdev, dma) !== 0) {
      pbuf_put(p);
      detail = "DMA mapping failed";
      break;
    }
    tx.dma[i] = dma;
    tx.dma_len[i] = len;
    sizes.push(len);
    const off = i * E1000_DESC_SIZE;
    tdv.setUint32(off, dma >>> 0, true);
    tdv.setUint32(off + 4, 0, true);
    tdv.setUint16(off + 8, len, true);
    tdv.setUint8(off + 11, 0x0b); // EOP | IFCS | RS
    tdv.setUint8(off + 12, 0);
    tx.buffer_info[i] = p;
  }
  ew32(a, E1000_TDT, sizes.length);
  await msleep(10);
  const rx = a.rx_ring;
  const rdv = rx.desc!.view;
  for (let i = 0; i < sizes.length && detail === ""; i++) {
    const off = i * E1000_DESC_SIZE;
    if ((tdv.getUint8(off + E1000_TXD_STATUS) & E1000_TXD_STAT_DD) === 0) detail = `frame ${i} not sent`;
    else if ((rdv.getUint8(off + E1000_RXD_STATUS) & E1000_RXD_STAT_DD) === 0) detail = `frame ${i} not received`;
    else {
      const len = rdv.getUint16(off + 8, true);
      const sent = tx.buffer_info[i]!;
      const got = rx.buffer_info[i]!;
      // The device wrote the frame: sync it for the CPU before looking (e1000_check_lbtest_frame).
      dma_sync_single_for_cpu(a.pdev, rx.dma[i]!, len, DMA_FROM_DEVICE);
      if (len !== sizes[i]) detail = `frame ${i}: ${len} bytes back, ${sizes[i]} sent`;
      for (let b = 0; b < len && detail === ""; b++) if (got.data[b] !== sent.data[b]) detail = `frame ${i}: byte ${b} differs`;
    }
  }
  for (let i = 0; i < tx.count; i++) {
    e1000_unmap_slot(a, tx, i);
    const p = tx.buffer_info[i];
    if (p) pbuf_put(p);
    tx.buffer_info[i] = null;
  }
  // The test's own frames are not traffic: clear the write-backs so cleaning counts nothing.
  tx.desc!.cpu_addr.fill(0);
  rx.desc!.cpu_addr.fill(0);
  // Stop the receiver before its buffers are unmapped and freed (the hardware first, as Linux).
  ew32(a, E1000_RCTL, 0);
  e1000_clean_tx_ring(a);
  e1000_clean_rx_ring(a);
  return { name, result: detail === "" ? 0 : 13, detail: detail === "" ? `${sizes.length} frames, every byte back` : detail };
}

function link_test(a: E1000Adapter): EthtoolTestResult {
  const status = er32(a, E1000_STATUS);
  const up = !e1000_removed(a) && (status & E1000_STATUS_LU) !== 0;
  return { name: "Link test   (on/offline)", result: up ? 0 : 1, detail: up ? "link up" : "no link" };
}

async function self_test(dev: NetDevice): Promise<EthtoolTestResult[]> {
  const a = priv(dev);
  const results: EthtoolTestResult[] = [link_test(a)];
  if (e1000_removed(a)) return [...results, { name: "Register test  (offline)", result: 1, detail: "the device is gone (reads all ones)" }];
  const running = (dev.flags & IFF_UP) !== 0;
  if (running) await dev_close(dev);
  else await e1000_down(a);
  await e1000_reset(a);
  results.push(reg_test(a));
  await e1000_reset(a);
  results.push(eeprom_test(a));
  results.push(await intr_test(a));
  await e1000_reset(a);
  results.push(await loopback_test(a));
  const err = await e1000_reset(a);
  if (err) results.push({ name: "Reset", result: err, detail: "the adapter did not come back from reset" });
  if (running) {
    await dev_open(dev);
  } else {
    e1000_configure_tx(a);
    e1000_configure_rx(a);
    e1000_alloc_rx_buffers(a, a.rx_ring.count);
  }
  return results;
}

/** Resize both rings (ethtool -G): down, free, allocate at the new size, up again. */
async function set_ringparam(dev: NetDevice, rx: number, tx: number): Promise<number> {
  const a = priv(dev);
  if (!valid_ring_size(rx, E1000_MIN_RXD, E1000_MAX_RXD) || !valid_ring_size(tx, E1000_MIN_TXD, E1000_MAX_TXD)) return -EINVAL;
  const running = (dev.flags & IFF_UP) !== 0;
  if (running) await e1000_down(a);
  // New rings first; the old ones are freed only once the new ones exist, and put back if they
  // cannot be made (e1000_set_ringparam's err_setup path), so the interface keeps working.
  const old_rx = a.rx_ring;
  const old_tx = a.tx_ring;
  a.rx_ring = new E1000Ring(rx, old_rx.head_reg, old_rx.tail_reg, DMA_FROM_DEVICE);
  a.tx_ring = new E1000Ring(tx, old_tx.head_reg, old_tx.tail_reg, DMA_TO_DEVICE);
  let err = e1000_setup_tx_resources(a);
  if (err === 0) err = e1000_setup_rx_resources(a);
  const new_rx = a.rx_ring;
  const new_tx = a.tx_ring;
  if (err !== 0) {
    e1000_free_rx_resources(a);
    e1000_free_tx_resources(a);
    a.rx_ring = old_rx;
    a.tx_ring = old_tx;
  } else {
    a.rx_ring = old_rx;
    a.tx_ring = old_tx;
    e1000_free_rx_resources(a);
    e1000_free_tx_resources(a);
    a.rx_ring = new_rx;
    a.tx_ring = new_tx;
  }
  if (running) e1000_up(a);
  else {
    e1000_configure_tx(a);
    e1000_configure_rx(a);
    e1000_alloc_rx_buffers(a, a.rx_ring.count);
  }
  return err;
}

export const e1000_ethtool_ops: EthtoolOps = {
  get_drvinfo: (dev) => ({ driver: e1000_driver_name, version: e1000_driver_version, bus_info: dev.parent, n_stats: stats_list(dev).length, regdump_len: regs_dump(dev).length * 4, eedump_len: 128 }),
  get_link: (dev) => {
    const status = er32(priv(dev), E1000_STATUS);
    return !e1000_removed(priv(dev)) && (status & E1000_STATUS_LU) !== 0;
  },
  get_link_ksettings: (dev) => {
    const a = priv(dev);
    const status = er32(a, E1000_STATUS);
    const link = !e1000_removed(a) && (status & E1000_STATUS_LU) !== 0;
    return { link, speed: link ? (["10", "100", "1000", "1000"].map(Number)[(status >>> 6) & 3] ?? 0) : 0, duplex: link ? (status & 1 ? "Full" : "Half") : "Unknown", autoneg: true, port: "Twisted Pair" };
  },
  get_ethtool_stats,
  get_regs: regs_dump,
  get_ringparam: (dev) => ({ rx_max_pending: E1000_MAX_RXD, tx_max_pending: E1000_MAX_TXD, rx_pending: priv(dev).rx_ring.count, tx_pending: priv(dev).tx_ring.count }),
  set_ringparam,
  // e1000_get_coalesce: rx-usecs is the InterruptThrottleRate mode (0, 1, 3, 4) or the fixed
  // interval; one interrupt serves both directions, so tx-usecs is not used (0, as Linux).
  get_coalesce: (dev) => ({ rx_usecs: e1000_itr_to_usecs(priv(dev).itr_setting), tx_usecs: 0 }),
  set_coalesce: (dev, c) => {
    if (c.rx_usecs === undefined) return 0;
    return e1000_set_itr_usecs(priv(dev), c.rx_usecs) ? 0 : -EINVAL;
  },
  self_test,
  get_eeprom: (dev) => priv(dev).eeprom,
  dump_rings: e1000_dump_rings,
};
