/**
 * Intel PRO/1000 (8254x) network driver (≈ Linux's drivers/net/ethernet/intel/e1000/e1000_main.c
 * and the seeds' e1000.c). It meets the NIC only through PCI config space, MMIO registers, DMA
 * memory and its interrupt line. Read top to bottom it follows the driver's lifecycle:
 * id table → probe → open/stop → interrupt → NAPI poll → watchdog → reset → remove → module.
 *
 * Contexts: probe, remove, open, stop, the watchdog and the reset task run in process context and
 * may sleep; e1000_intr runs in hard-IRQ context (it only reads ICR, masks and schedules NAPI);
 * e1000_clean (the poll) runs in NET_RX_SOFTIRQ.
 */
import { netif_start_queue, netif_stop_queue, netif_wake_queue } from "./netdev_queue.ts";
import { DMA_BIT_MASK, dma_set_mask_and_coherent } from "../../kernel/dma/mapping.ts";
import { EINVAL, EIO, ENOMEM } from "../../include/linux/errno.ts";
import { IRQ_HANDLED, IRQ_NONE, IRQF_SHARED, type IrqReturn } from "../../include/linux/interrupt.ts";
import type { ModuleInfo } from "../../include/linux/module.ts";
import { PCI_STATUS, PCI_VENDOR_ID_INTEL } from "../../include/kernel/pci.ts";
import { PCI_DEVICE, type PciDev, type PciDeviceId, type PciDriver } from "../../include/linux/pci.ts";
import { IFF_UP, NETIF_F_HW_CSUM, NETIF_F_RXCSUM, NETIF_F_SG, NETIF_F_TSO, type NapiStruct, type NetDevice } from "../../include/net/netdevice.ts";
import { kernfs_create, kernfs_remove } from "../../kernel/fs/kernfs.ts";
import { free_irq, request_irq } from "../../kernel/irq/manage.ts";
import { pci_read_config_word, pci_write_config_word } from "../../kernel/pci/access.ts";
import { pci_dev_sysfs_path } from "../../kernel/pci/pci_sysfs.ts";
import {
  pci_clear_master,
  pci_disable_device,
  pci_enable_device,
  pci_get_drvdata,
  pci_iomap,
  pci_iounmap,
  pci_release_selected_regions,
  pci_request_selected_regions,
  pci_select_bars,
  pci_set_drvdata,
  pci_set_master,
} from "../../kernel/pci/pci.ts";
import { IORESOURCE_IO, IORESOURCE_MEM } from "../../include/linux/ioport.ts";
import { pci_register_driver, pci_unregister_driver } from "../../kernel/pci/pci_driver.ts";
import { pci_devices } from "../../kernel/pci/probe.ts";
import { module_param_sysfs } from "../../kernel/module.ts";
import { param_ops_uint } from "../../kernel/params.ts";
import { pr_err, pr_info } from "../../kernel/printk.ts";
import { HZ, ktime_get_ns, NSEC_PER_SEC } from "../../kernel/time/timekeeping.ts";
import { cancel_delayed_work_sync, cancel_work_sync, DelayedWork, mod_delayed_work, schedule_work, system_wq, WorkStruct } from "../../kernel/workqueue.ts";
import {
  alloc_etherdev,
  dev_alloc_name,
  napi_complete_done,
  napi_disable,
  napi_enable,
  napi_schedule,
  netif_carrier_off,
  netif_carrier_ok,
  netif_carrier_on,
  netif_napi_add,
  register_netdev,
  unregister_netdev,
} from "../net/netdev.ts";
import { E1000_REMOVED_VALUE, E1000Adapter, e1000_removed, e1000_write_flush, er32, ew32 } from "./e1000_adapter.ts";
import { e1000_ethtool_ops, e1000_dump_rings } from "./e1000_ethtool.ts";
import {
  E1000_DEFAULT_RXD,
  E1000_DEFAULT_TXD,
  E1000_DEV_ID_82540EM,
  E1000_DEV_ID_82544GC_COPPER,
  E1000_DEV_ID_82545EM_COPPER,
  E1000_ICR,
  E1000_ICR_LSC,
  E1000_ICR_RXSEQ,
  E1000_ICS,
  E1000_IMC,
  E1000_IMS,
  E1000_MAX_RXD,
  E1000_MAX_TXD,
  E1000_MIN_RXD,
  E1000_MIN_TXD,
  E1000_STATUS,
  E1000_STATUS_FD,
  E1000_STATUS_LU,
  E1000_STATUS_SPEED_100,
  E1000_STATUS_SPEED_1000,
  E1000_STATUS_SPEED_MASK,
  E1000_TDH,
  E1000_TDT,
  IMS_ENABLE_MASK,
  PCI_STATUS_DETECTED_PARITY,
  PCI_STATUS_REC_MASTER_ABORT,
  PCI_STATUS_REC_TARGET_ABORT,
  PCI_STATUS_SIG_SYSTEM_ERROR,
  PCI_STATUS_SIG_TARGET_ABORT,
} from "./e1000_hw.ts";
import { DEFAULT_ITR, e1000_itr_watchdog, e1000_set_itr } from "./e1000_itr.ts";
import { COPYBREAK_DEFAULT, e1000_check_options, e1000_params, E1000Params, e1000_probe_fault, PROBE_STAGES } from "./e1000_param.ts";
import { e1000_init_hw, e1000_power_phy, e1000_rar_set, e1000_read_mac_addr, e1000_reset_hw, e1000_update_stats, e1000_validate_eeprom_checksum } from "./e1000_mac.ts";
import { e1000_alloc_rx_buffers, e1000_clean_rx_irq, e1000_clean_rx_ring, e1000_configure_rx, e1000_enable_rx, e1000_free_rx_resources, e1000_set_rx_mode, e1000_setup_rx_resources } from "./e1000_rx.ts";
import { e1000_clean_tx_irq, e1000_clean_tx_ring, e1000_configure_tx, e1000_enable_tx, e1000_flush_tx, e1000_free_tx_resources, e1000_setup_tx_resources, e1000_xmit_frame } from "./e1000_tx.ts";

export const e1000_driver_name = "e1000";
export const e1000_driver_version = "7.3.21-k8-NAPI-ringzero";
/** How often the watchdog runs (Linux: every 2 s). */
const WATCHDOG_INTERVAL = 2 * HZ;
const WATCHDOG_INTERVAL_NS = 2 * NSEC_PER_SEC;

/* ---- id table ---- */

const e1000_pci_tbl: readonly PciDeviceId[] = [
  PCI_DEVICE(PCI_VENDOR_ID_INTEL, E1000_DEV_ID_82540EM),
  PCI_DEVICE(PCI_VENDOR_ID_INTEL, E1000_DEV_ID_82545EM_COPPER),
  PCI_DEVICE(PCI_VENDOR_ID_INTEL, E1000_DEV_ID_82544GC_COPPER),
];

/* ---- interrupts ---- */

export function e1000_irq_disable(adapter: E1000Adapter): void {
  ew32(adapter, E1000_IMC, 0xffffffff);
  e1000_write_flush(adapter);
}

export function e1000_irq_enable(adapter: E1000Adapter): void {
  ew32(adapter, E1000_IMS, IMS_ENABLE_MASK);
  e1000_write_flush(adapter);
}

/**
 * e1000_intr(): hard-IRQ handler. Reads ICR (which acknowledges everything), returns IRQ_NONE when
 * it is zero — on a shared line the interrupt was someone else's — or all ones (the device is gone:
 * er32 confirms it against STATUS and detaches the netdev), otherwise masks the device,
 * notes a link change for the watchdog, and leaves the work to NAPI.
 */
export function e1000_intr(_irq: number, dev_id: unknown): IrqReturn {
  const netdev = dev_id as NetDevice;
  const adapter = netdev.priv as E1000Adapter;
  // A device that is gone cannot have interrupted: if it still holds the line asserted, declining
  // lets the core's "nobody cared" detector disable the line instead of spinning here forever.
  if (e1000_removed(adapter)) {
    adapter.irq_none++;
    return IRQ_NONE;
  }
  const icr = er32(adapter, E1000_ICR);
  if (icr === 0 || icr === E1000_REMOVED_VALUE) {
    adapter.irq_none++;
    return IRQ_NONE;
  }
  adapter.irq_count++;
  if ((icr & (E1000_ICR_LSC | E1000_ICR_RXSEQ)) !== 0) {
    adapter.get_link_status = true;
    if (!adapter.down && adapter.watchdog_task !== null) mod_delayed_work(system_wq(), adapter.watchdog_task, 1);
  }
  // Mask everything; the poll unmasks when it is done (or nothing does, while we are down).
  e1000_irq_disable(adapter);
  if (adapter.napi !== null && napi_schedule(adapter.napi)) {
    // A new round of polling (it runs in NET_RX_SOFTIRQ, after we return): what it moves is
    // what e1000_set_itr classifies at its end.
    adapter.total_tx_bytes = 0;
    adapter.total_tx_packets = 0;
    adapter.total_rx_bytes = 0;
    adapter.total_rx_packets = 0;
  }
  return IRQ_HANDLED;
}

/**
 * e1000_clean(): the NAPI poll. Reclaims finished transmits, receives up to `budget` frames, and
 * only when it finished under budget completes NAPI and unmasks the device's interrupts.
 */
function e1000_clean(napi: NapiStruct, budget: number): number {
  const adapter = napi.dev.priv as E1000Adapter;
  const tx_done = e1000_clean_tx_irq(adapter);
  let work = e1000_clean_rx_irq(adapter, budget);
  if (!tx_done) work = budget;
  if (work < budget) {
    // Dynamic modes (1, 3): retune the throttle from what this interrupt's polls moved.
    if ((adapter.itr_setting & 3) !== 0) e1000_set_itr(adapter);
    napi_complete_done(napi, work);
    if (!adapter.down) e1000_irq_enable(adapter);
  }
  return work;
}

/* ---- up / down ---- */

/** e1000_up(): program rings and filters, post receive buffers, enable RX/TX and interrupts. */
export function e1000_up(adapter: E1000Adapter): void {
  e1000_configure_tx(adapter);
  e1000_configure_rx(adapter);
  e1000_alloc_rx_buffers(adapter, adapter.rx_ring.count);
  adapter.down = false;
  e1000_enable_rx(adapter, true);
  e1000_enable_tx(adapter, true);
  if (adapter.napi !== null) napi_enable(adapter.napi);
  e1000_irq_enable(adapter);
  netif_start_queue(adapter.netdev);
  netif_wake_queue(adapter.netdev);
  // Start the watchdog at once, as Linux does by firing a link-change interrupt.
  ew32(adapter, E1000_ICS, E1000_ICR_LSC);
}

/**
 * e1000_down(): stop the queue, mask interrupts, stop NAPI, turn off receive and transmit, stop the
 * watchdog, and give back every buffer in both rings — counting every frame the hardware had not
 * sent (tx_dropped, tx_reset_dropped) or received frames not yet handed up (rx_dropped).
 */
export async function e1000_down(adapter: E1000Adapter): Promise<void> {
  adapter.down = true;
  netif_stop_queue(adapter.netdev);
  e1000_irq_disable(adapter);
  if (adapter.napi !== null) napi_disable(adapter.napi);
  e1000_enable_rx(adapter, false);
  e1000_enable_tx(adapter, false);
  e1000_write_flush(adapter);
  if (adapter.watchdog_task !== null) await cancel_delayed_work_sync(adapter.watchdog_task);
  netif_carrier_off(adapter.netdev);
  adapter.link_speed = 0;
  adapter.last_tdh = -1;
  // Fold the hardware counters in now: the reset that usually follows clears them.
  if (!e1000_removed(adapter)) e1000_update_stats(adapter);
  e1000_clean_tx_ring(adapter);
  e1000_clean_rx_ring(adapter);
}

/** e1000_reset(): hardware reset and re-initialisation (MAC address, MTA, link, ITR). */
export async function e1000_reset(adapter: E1000Adapter): Promise<number> {
  const err = await e1000_reset_hw(adapter);
  if (err) return err;
  e1000_init_hw(adapter);
  return 0;
}

/** e1000_reinit_locked(): down, reset, up — the recovery path after a transmit hang. */
export async function e1000_reinit_locked(adapter: E1000Adapter): Promise<void> {
  if (adapter.resetting) return;
  adapter.resetting = true;
  await e1000_down(adapter);
  const err = await e1000_reset(adapter);
  if (err) pr_err("e1000 %s %s: hardware reset failed (%d)\n", adapter.pdev.name, adapter.netdev.name, err);
  else e1000_up(adapter);
  adapter.resetting = false;
}

/**
 * e1000_set_features() (ndo_set_features): only NETIF_F_RXCSUM needs the hardware — RXCSUM may be
 * written only with the receiver off (13.4.46), so a running interface is reinitialised, as Linux
 * does; a down one is programmed at the next e1000_up. The transmit features need nothing: each
 * frame asks for its own offload. Returns 1 (dev.features set here) or 0 (the core sets them).
 */
async function e1000_set_features(netdev: NetDevice, features: number): Promise<number> {
  const adapter = netdev.priv as E1000Adapter;
  const changed = features ^ netdev.features;
  if ((changed & NETIF_F_RXCSUM) === 0) return 0;
  netdev.features = features;
  adapter.rx_csum = (features & NETIF_F_RXCSUM) !== 0;
  if ((netdev.flags & IFF_UP) !== 0) await e1000_reinit_locked(adapter);
  return 1;
}

/** ndo_open (ifup): power the PHY up and bring the rings and interrupts up. */
async function e1000_open(netdev: NetDevice): Promise<number> {
  const adapter = netdev.priv as E1000Adapter;
  if (adapter.resetting) return -EINVAL;
  const err = e1000_power_phy(adapter, true);
  if (err) return err;
  e1000_up(adapter);
  return 0;
}

/** ndo_stop (ifdown): take everything down and power the PHY off (the link goes down). */
async function e1000_close(netdev: NetDevice): Promise<number> {
  const adapter = netdev.priv as E1000Adapter;
  await e1000_down(adapter);
  e1000_power_phy(adapter, false);
  return 0;
}

function e1000_set_mac(netdev: NetDevice, mac: Uint8Array): number {
  const adapter = netdev.priv as E1000Adapter;
  netdev.dev_addr.set(mac);
  e1000_rar_set(adapter, mac);
  return 0;
}

/* ---- watchdog and reset ---- */

/** Take the link's speed and duplex from STATUS and say the link is up, as e1000_watchdog does. */
function e1000_print_link_up(adapter: E1000Adapter): void {
  const status = er32(adapter, E1000_STATUS);
  const speed = status & E1000_STATUS_SPEED_MASK;
  adapter.link_speed = speed === E1000_STATUS_SPEED_1000 ? 1000 : speed === E1000_STATUS_SPEED_100 ? 100 : 10;
  adapter.link_full_duplex = (status & E1000_STATUS_FD) !== 0;
  pr_info("e1000: %s NIC Link is Up %d Mbps %s Duplex, Flow Control: %s\n", adapter.netdev.name, adapter.link_speed, adapter.link_full_duplex ? "Full" : "Half", "None");
}

/**
 * e1000_watchdog(): every 2 s (and at once after a link change) — follow the link into carrier
 * state, fold the hardware counters into the statistics, and detect a transmit hang: work queued,
 * but TDH has not moved since the previous run. A hang schedules the reset task (process context:
 * it sleeps). Runs on the system workqueue.
 */
async function e1000_watchdog(adapter: E1000Adapter): Promise<void> {
  if (adapter.down || e1000_removed(adapter)) return;
  const netdev = adapter.netdev;
  const status = er32(adapter, E1000_STATUS);
  if (e1000_removed(adapter)) return; // that read found the device gone (and said so)
  if (e1000_check_pci_errors(adapter)) return;
  const link = (status & E1000_STATUS_LU) !== 0;
  adapter.get_link_status = false;
  if (link && !netif_carrier_ok(netdev)) {
    e1000_print_link_up(adapter);
    netif_carrier_on(netdev);
  } else if (!link && netif_carrier_ok(netdev)) {
    adapter.link_speed = 0;
    pr_info("e1000: %s NIC Link is Down\n", netdev.name);
    netif_carrier_off(netdev);
  }
  e1000_update_stats(adapter);
  e1000_itr_watchdog(adapter); // InterruptThrottleRate=4: from the byte balance just counted
  const ring = adapter.tx_ring;
  if (!link && ring.next_to_clean !== ring.next_to_use) {
    // The link is gone, so the transmitter stops, but frames are queued that will never go out:
    // reset to flush them (each one is counted as it is freed). Linux's e1000_watchdog does this.
    adapter.tx_timeout_count++;
    adapter.reset_count++;
    adapter.last_tdh = -1;
    if (adapter.reset_task !== null) schedule_work(adapter.reset_task);
    return;
  }
  if (ring.next_to_clean !== ring.next_to_use) {
    const tdh = er32(adapter, E1000_TDH);
    if (tdh === adapter.last_tdh) {
      pr_err(
        "e1000 %s %s: Detected Tx Unit Hang\n" +
          "  TDH                  <%x>\n" +
          "  TDT                  <%x>\n" +
          "  next_to_use          <%x>\n" +
          "  next_to_clean        <%x>\n",
        adapter.pdev.name,
        netdev.name,
        tdh,
        er32(adapter, E1000_TDT),
        ring.next_to_use,
        ring.next_to_clean,
      );
      adapter.tx_timeout_count++;
      adapter.reset_count++;
      adapter.last_tdh = -1;
      if (adapter.reset_task !== null) schedule_work(adapter.reset_task);
      return;
    }
    adapter.last_tdh = tdh;
  } else {
    adapter.last_tdh = -1;
  }
  if (!adapter.down && adapter.watchdog_task !== null) mod_delayed_work(system_wq(), adapter.watchdog_task, WATCHDOG_INTERVAL);
}

/**
 * A DMA the device started hit nothing (a descriptor or buffer address in a hole): the function
 * records Received Master Abort (other bus errors set the other W1C bits) in PCI Status. Report
 * it, clear the bits, count it, and for a master abort reset the adapter (the rings are
 * reprogrammed) — at most once per watchdog interval, so an error that comes straight back cannot
 * turn into a reset loop. Process context. Returns true when a reset was scheduled.
 */
function e1000_check_pci_errors(adapter: E1000Adapter): boolean {
  const pdev = adapter.pdev;
  const status = pci_read_config_word(pdev, PCI_STATUS);
  if (status === 0xffff) return false; // config space gone too: the removal path handles it
  const errs = status & (PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_DETECTED_PARITY);
  if (errs === 0) return false;
  const what = errs & PCI_STATUS_REC_MASTER_ABORT ? "master abort" : errs & (PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_SIG_TARGET_ABORT) ? "target abort" : errs & PCI_STATUS_DETECTED_PARITY ? "parity error" : "system error";
  pr_err("e1000 %s %s: PCI bus error (%s), status 0x%04x\n", pdev.name, adapter.netdev.name, what, status);
  pci_write_config_word(pdev, PCI_STATUS, errs); // write-1-to-clear
  adapter.pci_bus_errors++;
  const now = ktime_get_ns();
  if ((errs & PCI_STATUS_REC_MASTER_ABORT) === 0 || now - adapter.last_bus_error_reset_ns < WATCHDOG_INTERVAL_NS) return false;
  adapter.last_bus_error_reset_ns = now;
  adapter.reset_count++;
  adapter.last_tdh = -1;
  if (adapter.reset_task !== null) schedule_work(adapter.reset_task);
  return true;
}

async function e1000_reset_task(adapter: E1000Adapter): Promise<void> {
  if (adapter.down || e1000_removed(adapter)) return;
  pr_info("e1000 %s %s: Reset adapter\n", adapter.pdev.name, adapter.netdev.name);
  await e1000_reinit_locked(adapter);
}

/* ---- probe / remove ---- */

/**
 * e1000_probe(): enable the function, claim its BARs, become bus master, map BAR0, create the netdev, reset the
 * MAC, read and check the EEPROM, set the link up, clear the multicast table, allocate and program
 * both rings, post receive buffers, take the (shared) interrupt and register the netdev — last, so
 * nothing sees it half made. A failure at any stage undoes the stages before it in reverse order
 * (the `unwind` list is Linux's goto ladder: each entry is named after what it releases).
 */
async function e1000_probe(pdev: PciDev, _ent: PciDeviceId): Promise<number> {
  const params = e1000_params.get();
  const unwind: [string, () => void | Promise<void>][] = [];
  const fail = async (err: number, stage: string): Promise<number> => {
    for (const [, undo] of unwind.reverse()) await undo();
    pr_err("e1000 %s: probe failed at %s (%d)\n", pdev.name, stage, err);
    return err;
  };

  let err = e1000_probe_fault("enable") ? -EIO : pci_enable_device(pdev);
  if (err) return fail(err, "enable");
  unwind.push(["err_pci_enable", () => pci_disable_device(pdev)]);
  // e1000_is_need_ioport(): these MACs decode an I/O BAR besides BAR0, and Linux claims both under
  // the driver's name (what /proc/iomem and /proc/ioports show below the BARs).
  const bars = pci_select_bars(pdev, IORESOURCE_MEM | IORESOURCE_IO);
  err = pci_request_selected_regions(pdev, bars, e1000_driver_name);
  if (err) return fail(err, "regions");
  unwind.push(["err_pci_reg", () => pci_release_selected_regions(pdev, bars)]);
  pci_set_master(pdev);
  unwind.push(["err_master", () => pci_clear_master(pdev)]);
  // The 82540EM sits on conventional PCI: 32-bit DMA (Linux tries 64 only for PCI-X parts).
  err = dma_set_mask_and_coherent(pdev, DMA_BIT_MASK(32));
  if (err) {
    pr_err("e1000: No usable DMA config, aborting\n");
    return fail(err, "dma");
  }

  const hw_addr = e1000_probe_fault("iomap") ? 0 : pci_iomap(pdev, 0, 0);
  if (hw_addr === 0) return fail(-EIO, "iomap");
  unwind.push(["err_ioremap", () => pci_iounmap(pdev, hw_addr)]);

  if (e1000_probe_fault("alloc")) return fail(-ENOMEM, "alloc");
  const netdev = alloc_etherdev({
    ndo_open: e1000_open,
    ndo_stop: e1000_close,
    ndo_start_xmit: e1000_xmit_frame,
    ndo_flush_xmit: (dev) => e1000_flush_tx(dev.priv as E1000Adapter),
    ndo_set_mac_address: e1000_set_mac,
    ndo_set_rx_mode: (dev) => e1000_set_rx_mode(dev.priv as E1000Adapter),
    ndo_set_features: e1000_set_features,
  });
  // Offloads as Linux's e1000_probe offers them on an 82540 (generic checksum, scatter-gather, TSO),
  // plus receive checksumming, which ringzero turns on by default.
  netdev.hw_features = NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_TSO | NETIF_F_RXCSUM;
  netdev.features = netdev.hw_features;
  const adapter = new E1000Adapter(pdev, netdev, hw_addr, params.tx_descriptors, params.rx_descriptors, params.itr_setting, params.itr);
  adapter.copybreak = params.copybreak;
  netdev.priv = adapter;
  netdev.parent = pdev.name;
  netdev.sysfs_parent = pci_dev_sysfs_path(pdev); // SET_NETDEV_DEV: eth0 lives under the PCI function in sysfs
  netdev.driver = e1000_driver_name;
  netdev.ethtool_ops = e1000_ethtool_ops;

  err = e1000_probe_fault("reset") ? -EIO : await e1000_reset_hw(adapter);
  if (err) return fail(err, "reset");

  err = e1000_probe_fault("eeprom") ? -EIO : e1000_validate_eeprom_checksum(adapter);
  if (err) {
    pr_err("e1000 %s: The EEPROM Checksum Is Not Valid\n", pdev.name);
    return fail(err, "eeprom");
  }
  const mac = e1000_read_mac_addr(adapter);
  if ((mac[0]! & 1) !== 0 || mac.every((b) => b === 0)) {
    pr_err("e1000 %s: Invalid MAC Address\n", pdev.name);
    return fail(-EIO, "eeprom");
  }
  netdev.dev_addr.set(mac);
  e1000_init_hw(adapter);

  err = e1000_probe_fault("tx_ring") ? -ENOMEM : e1000_setup_tx_resources(adapter);
  if (err) return fail(err, "tx_ring");
  unwind.push(["err_setup_tx", () => e1000_free_tx_resources(adapter)]);
  err = e1000_probe_fault("rx_ring") ? -ENOMEM : e1000_setup_rx_resources(adapter);
  if (err) return fail(err, "rx_ring");
  unwind.push(["err_setup_rx", () => e1000_free_rx_resources(adapter)]);

  e1000_configure_tx(adapter);
  e1000_configure_rx(adapter);
  const posted = e1000_probe_fault("rx_buffers") ? 0 : e1000_alloc_rx_buffers(adapter, adapter.rx_ring.count);
  unwind.push(["err_rx_buffers", () => e1000_clean_rx_ring(adapter)]);
  if (posted === 0) return fail(-ENOMEM, "rx_buffers");

  adapter.napi = netif_napi_add(netdev, e1000_clean);
  err = dev_alloc_name(netdev); // so /proc/interrupts shows eth0
  if (err) return fail(err, "irq");
  err = e1000_probe_fault("irq") ? -EINVAL : request_irq(pdev.irq, e1000_intr, IRQF_SHARED, netdev.name, netdev);
  if (err) return fail(err, "irq");
  unwind.push(["err_req_irq", () => void free_irq(pdev.irq, netdev)]);

  adapter.watchdog_task = new DelayedWork(() => e1000_watchdog(adapter));
  adapter.reset_task = new WorkStruct(() => e1000_reset_task(adapter));

  err = e1000_probe_fault("register") ? -EIO : register_netdev(netdev);
  if (err) return fail(err, "register");

  pci_set_drvdata(pdev, adapter);
  kernfs_create(`/sys/kernel/debug/e1000/${netdev.name}/rings`, { show: () => e1000_dump_rings(netdev) });
  pr_info("e1000 %s %s: (PCI:33MHz:32-bit) %pM\n", pdev.name, netdev.name, mac);
  pr_info("e1000 %s %s: Intel(R) PRO/1000 Network Connection\n", pdev.name, netdev.name);
  return 0;
}

/**
 * e1000_remove(): unregister the netdev (closing it if up), stop the deferred work, free the IRQ,
 * reset the MAC so it stops DMA, free both rings and every buffer, and release the PCI function.
 */
async function e1000_remove(pdev: PciDev): Promise<void> {
  const adapter = pci_get_drvdata<E1000Adapter>(pdev);
  const netdev = adapter.netdev;
  kernfs_remove(`/sys/kernel/debug/e1000/${netdev.name}`);
  await unregister_netdev(netdev);
  adapter.down = true;
  if (adapter.watchdog_task !== null) await cancel_delayed_work_sync(adapter.watchdog_task);
  if (adapter.reset_task !== null) await cancel_work_sync(adapter.reset_task);
  free_irq(pdev.irq, netdev);
  if (!e1000_removed(adapter)) await e1000_reset_hw(adapter); // stop DMA; a device that is gone does none
  e1000_free_rx_resources(adapter);
  e1000_free_tx_resources(adapter);
  pci_iounmap(pdev, adapter.iomap);
  pci_release_selected_regions(pdev, pci_select_bars(pdev, IORESOURCE_MEM | IORESOURCE_IO));
  pci_clear_master(pdev);
  pci_disable_device(pdev);
}

/**
 * A write to /sys/module/e1000/parameters/copybreak: the module's value and every bound adapter's,
 * which its receive path (e1000_clean_rx_irq) compares each frame's length with.
 */
function e1000_set_copybreak(v: number): void {
  e1000_params.get().copybreak = v;
  for (const pdev of pci_devices()) {
    if (pdev.driver !== e1000_driver) continue;
    const adapter = pci_get_drvdata<E1000Adapter | null | undefined>(pdev);
    if (adapter instanceof E1000Adapter) adapter.copybreak = v;
  }
}

/** The handler the self-test puts back after its own interrupt check. */
export const e1000_intr_handler = e1000_intr;

export const e1000_driver: PciDriver = {
  name: e1000_driver_name,
  id_table: e1000_pci_tbl,
  probe: e1000_probe,
  remove: e1000_remove,
};

const e1000_module: ModuleInfo = {
  name: "e1000",
  description: "Intel(R) PRO/1000 Network Driver",
  license: "GPL-compatible (MIT)",
  depends: ["netdev"],
  params: {
    RxDescriptors: `receive descriptors per ring (${E1000_MIN_RXD}-${E1000_MAX_RXD}, rounded up to a multiple of 8, default ${E1000_DEFAULT_RXD})`,
    TxDescriptors: `transmit descriptors per ring (${E1000_MIN_TXD}-${E1000_MAX_TXD}, rounded up to a multiple of 8, default ${E1000_DEFAULT_TXD})`,
    InterruptThrottleRate: `Interrupt Throttling Rate: 0 off, 1 dynamic, 3 dynamic conservative, 4 simplified, or 100-100000 ints/s (default ${DEFAULT_ITR})`,
    inject_fault: `make probe fail at a stage (${PROBE_STAGES.join(", ")}), for testing error paths`,
    copybreak: `Maximum size of packet that is copied to a new buffer on receive (default ${COPYBREAK_DEFAULT})`,
  },
  param_types: { RxDescriptors: "int", TxDescriptors: "int", InterruptThrottleRate: "int", inject_fault: "charp", copybreak: "uint" },
  async init(params) {
    pr_info("e1000: Intel(R) PRO/1000 Network Driver - version %s\n", e1000_driver_version);
    Object.assign(e1000_params.get(), e1000_check_options(params));
    // module_param(copybreak, uint, 0644): the only parameter Linux's e1000 shows in sysfs (the
    // E1000_PARAM ones have perm 0). A write takes effect on the next received frame.
    module_param_sysfs("e1000", "copybreak", 0o644, param_ops_uint(() => e1000_params.get().copybreak, e1000_set_copybreak));
    return pci_register_driver(e1000_driver);
  },
  async exit() {
    await pci_unregister_driver(e1000_driver);
    Object.assign(e1000_params.get(), new E1000Params());
  },
};
export default e1000_module;
