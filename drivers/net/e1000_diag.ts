/**
 * The e1000's offline self-test (`ethtool -t`, after Linux's e1000_diag_test in
 * e1000_ethtool.c): register, EEPROM, interrupt, MAC loopback and link tests. Process context;
 * the interface is taken down for it and brought back.
 */
import { IRQ_HANDLED, IRQ_NONE, IRQF_SHARED, type IrqReturn } from "../../include/linux/interrupt.ts";
import { IFF_UP, type NetDevice } from "../../include/net/netdevice.ts";
import type { EthtoolTestResult } from "../../include/uapi/ethtool.ts";
import { free_irq, request_irq } from "../../kernel/irq/manage.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { pr_err, pr_info } from "../../kernel/printk.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { dev_close, dev_open } from "../net/netdev.ts";
import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from "../../include/linux/dma-direction.ts";
import { dma_map_single, dma_mapping_error, dma_sync_single_for_cpu } from "../../kernel/dma/mapping.ts";
import { e1000_removed, e1000_unmap_slot, er32, ew32, type E1000Adapter } from "./e1000_adapter.ts";
import { e1000_down, e1000_intr_handler, e1000_reset } from "./e1000.ts";
import {
  E1000_DESC_SIZE,
  E1000_FCAH,
  E1000_FCT,
  E1000_ICR,
  E1000_ICS,
  E1000_IMC,
  E1000_IMS,
  E1000_RCTL,
  E1000_RCTL_BAM,
  E1000_RCTL_EN,
  E1000_RCTL_LBM_MAC,
  E1000_RCTL_SECRC,
  E1000_RDBAH,
  E1000_RDH,
  E1000_RDLEN,
  E1000_RDT,
  E1000_RDTR,
  E1000_RXD_STAT_DD,
  E1000_RXD_STATUS,
  E1000_STATUS,
  E1000_STATUS_LU,
  E1000_TCTL,
  E1000_TCTL_EN,
  E1000_TDBAH,
  E1000_TDLEN,
  E1000_TDT,
  E1000_TIDV,
  E1000_TXD_STAT_DD,
  E1000_TXD_STATUS,
  E1000_VET,
  MII_CR_AUTO_NEG_EN,
  PHY_CTRL,
} from "./e1000_hw.ts";
import { e1000_read_phy_reg, e1000_validate_eeprom_checksum } from "./e1000_mac.ts";
import { e1000_alloc_rx_buffers, e1000_clean_rx_ring, e1000_configure_rx } from "./e1000_rx.ts";
import { e1000_clean_tx_ring, e1000_configure_tx } from "./e1000_tx.ts";

/** The test strings (ETH_SS_TEST, Linux's e1000_gstrings_test), in the order results are reported. */
export const E1000_GSTRINGS_TEST = ["Register test  (offline)", "Eeprom test    (offline)", "Interrupt test (offline)", "Loopback test  (offline)", "Link test   (on/offline)"] as const;

const hex = (n: number, w: number): string => (n >>> 0).toString(16).toUpperCase().padStart(w, "0");

/** e_info / e_err: the driver's messages, prefixed with the PCI device and interface as netdev_info does. */
function e_info(a: E1000Adapter, msg: string): void {
  pr_info("e1000 %s %s: %s\n", a.pdev.name, a.netdev.name, msg);
}
function e_err(a: E1000Adapter, msg: string): void {
  pr_err("e1000 %s %s: %s\n", a.pdev.name, a.netdev.name, msg);
}

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
        const detail = `pattern test reg ${hex(reg, 4)} failed: got 0x${hex(got, 8)} expected 0x${hex((pat & mask) >>> 0, 8)}`;
        e_err(a, detail);
        return { name: E1000_GSTRINGS_TEST[0], result: 1, detail: `${name}: ${detail}` };
      }
    }
    ew32(a, reg, saved);
  }
  return { name: E1000_GSTRINGS_TEST[0], result: 0, detail: `${tests.length} registers` };
}

/** e1000_eeprom_test(): the words must sum to 0xBABA (2 when they do not). */
function eeprom_test(a: E1000Adapter): EthtoolTestResult {
  const r = e1000_validate_eeprom_checksum(a);
  return { name: E1000_GSTRINGS_TEST[1], result: r === 0 ? 0 : 2, detail: r === 0 ? "checksum 0xBABA" : "checksum does not sum to 0xBABA" };
}

/**
 * Interrupt test: with a test handler on the line, each cause must raise an interrupt when
 * unmasked and none when masked.
 */
async function intr_test(a: E1000Adapter): Promise<EthtoolTestResult> {
  const name = E1000_GSTRINGS_TEST[2];
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
  const name = E1000_GSTRINGS_TEST[3];
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

/**
 * e1000_link_test(): with autonegotiation on, give it the 4 s Linux waits before looking at
 * STATUS.LU (1 when there is no link).
 */
async function link_test(a: E1000Adapter): Promise<EthtoolTestResult> {
  const autoneg = e1000_read_phy_reg(a, PHY_CTRL);
  if (autoneg >= 0 && autoneg & MII_CR_AUTO_NEG_EN) await msleep(4000);
  const status = er32(a, E1000_STATUS);
  const up = !e1000_removed(a) && (status & E1000_STATUS_LU) !== 0;
  return { name: E1000_GSTRINGS_TEST[4], result: up ? 0 : 1, detail: up ? "link up" : "no link" };
}

/**
 * e1000_diag_test() for ETH_TEST_FL_OFFLINE: the link test first (before a reset disturbs
 * autonegotiation), then — with the interface closed — the register, EEPROM, interrupt and MAC
 * loopback tests, each after a reset; the interface is opened again and, as Linux does, the test
 * ends with a 4 s pause. Results are in the order of the test strings (link last).
 */
export async function e1000_diag_test(dev: NetDevice): Promise<EthtoolTestResult[]> {
  const a = dev.priv as E1000Adapter;
  e_info(a, "offline testing starting");
  const link = await link_test(a);
  if (e1000_removed(a)) {
    const gone = (i: number): EthtoolTestResult => ({ name: E1000_GSTRINGS_TEST[i]!, result: 1, detail: "the device is gone (reads all ones)" });
    return [gone(0), gone(1), gone(2), gone(3), link];
  }
  const running = (dev.flags & IFF_UP) !== 0;
  if (running) await dev_close(dev);
  else await e1000_down(a);
  await e1000_reset(a);
  const reg = reg_test(a);
  await e1000_reset(a);
  const eeprom = eeprom_test(a);
  await e1000_reset(a);
  const intr = await intr_test(a);
  await e1000_reset(a);
  const loopback = await loopback_test(a);
  const err = await e1000_reset(a);
  if (err) e_err(a, "the adapter did not come back from reset after the self-test");
  if (running) {
    await dev_open(dev);
  } else {
    e1000_configure_tx(a);
    e1000_configure_rx(a);
    e1000_alloc_rx_buffers(a, a.rx_ring.count);
  }
  const results = [reg, eeprom, intr, loopback, link];
  // The register test logged its own failure, as Linux does; say what the others found.
  for (const r of results.slice(1)) if (r.result !== 0) e_err(a, `${r.name.replace(/ +\(.*$/, "")}: ${r.detail}`);
  await msleep(4000);
  return results;
}
