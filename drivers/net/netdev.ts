/**
 * The network-device core (the seeds' netdev.c; Linux's net/core/dev.c, reduced): registration and
 * naming (eth0, eth1, …), open/stop, the transmit queue that drivers stop and wake, receive
 * demultiplexing by EtherType to protocol handlers, NAPI polling from NET_RX_SOFTIRQ, carrier state
 * and notifier events. Loaded as the `netdev` module; drivers and the protocol stack depend on it.
 *
 * The packet path (dev_queue_xmit, netdev_receive, NAPI) allocates nothing per frame and never
 * touches the notifier emitter.
 */
import { EventEmitter } from "eventemitter3";
import { EAGAIN, EBUSY, EINVAL, EMSGSIZE, ENETDOWN, ENODEV, EOPNOTSUPP } from "../../include/linux/errno.ts";
import type { ModuleInfo } from "../../include/linux/module.ts";
import {
  ETH_HLEN,
  ETH_ZLEN,
  IFF_ALLMULTI,
  IFF_LOWER_UP,
  IFF_PROMISC,
  IFF_RUNNING,
  IFF_UP,
  NapiStruct,
  NETDEV_TX_OK,
  NetDevice,
  type NetDeviceOps,
  type NetdevEvent,
  type PBuf,
} from "../../include/net/netdevice.ts";
import type { EthtoolCmd, EthtoolReply } from "../../include/uapi/ethtool.ts";
import type { IfChange, IfInfo } from "../../include/uapi/if.ts";
import { proc_create, proc_remove } from "../../kernel/fs/proc.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pbuf_put, show_pbuf } from "../../kernel/mm/pbuf.ts";
import { get_features, netdev_xmit_drops, set_features, validate_xmit } from "./netdev_features.ts";
import { register_net_control } from "../../kernel/net_control.ts";
import { LockupKill, oops } from "../../kernel/panic.ts";
import { pr_info } from "../../kernel/printk.ts";
import { init_waitqueue_head, wait_event_interruptible, wake_up_all, type WaitQueueHead } from "../../kernel/sched/wait.ts";
import { NET_RX_SOFTIRQ, NET_TX_SOFTIRQ, open_softirq, raise_softirq } from "../../kernel/softirq.ts";
import { loopback_dev_init } from "./loopback.ts";
import { __netif_schedule, net_tx_action, netif_stop_queue, netif_wake_queue } from "./netdev_queue.ts";
import { netdev_register_kobject, netdev_unregister_kobject } from "./net_sysfs.ts";

/** A protocol's receive function. It is handed one reference to `p` and must pbuf_put it. */
export type PacketHandler = (p: PBuf, dev: NetDevice) => void;
/** A tap (ETH_P_ALL) sees every frame in both directions and must not keep it without pbuf_get. */
export type PacketTap = (p: PBuf, dev: NetDevice, outgoing: boolean) => void;

/** Budget of one NET_RX_SOFTIRQ run across all devices (net.core.netdev_budget). */
export const NETDEV_BUDGET = 300;
/** Default NAPI weight (NAPI_POLL_WEIGHT). */
export const NAPI_POLL_WEIGHT = 64;

class NetdevState {
  readonly devices: NetDevice[] = [];
  next_ifindex = 1;
  readonly handlers = new Map<number, PacketHandler>();
  readonly taps: PacketTap[] = [];
  readonly poll_list: NapiStruct[] = [];
  readonly notifier = new EventEmitter<{ event: [NetdevEvent, NetDevice] }>();
  loaded = false;
  /** NET_RX_SOFTIRQ runs that stopped with work left (softnet_stat time_squeeze). */
  time_squeeze = 0;
}

const netdev_state = DEFINE_PER_KERNEL(() => new NetdevState());

function notify(event: NetdevEvent, dev: NetDevice): void {
  netdev_state.get().notifier.emit("event", event, dev);
}

/** register_netdevice_notifier(): be told about register/up/down/change/unregister. Returns the undo. */
export function register_netdevice_notifier(fn: (event: NetdevEvent, dev: NetDevice) => void): () => void {
  const n = netdev_state.get().notifier;
  n.on("event", fn);
  return () => n.off("event", fn);
}

export function mac_to_string(mac: Uint8Array): string {
  let s = "";
  for (let i = 0; i < 6; i++) s += (i ? ":" : "") + mac[i]!.toString(16).padStart(2, "0");
  return s;
}

/* ---- devices ---- */

/** alloc_etherdev(): a net_device named "eth%d" (the name is fixed at registration). */
export function alloc_etherdev(ops: NetDeviceOps): NetDevice {
  const dev = new NetDevice("eth%d", ops);
  dev.tx_wait = init_waitqueue_head("tx_wait");
  return dev;
}

/** dev_alloc_name(): give "eth%d" the lowest free number now (before register, e.g. for request_irq). */
export function dev_alloc_name(dev: NetDevice): number {
  if (!dev.name.includes("%d")) return 0;
  const taken = new Set(netdev_state.get().devices.map((d) => d.name));
  for (let i = 0; i < 1000; i++) {
    const n = dev.name.replace("%d", String(i));
    if (!taken.has(n)) {
      dev.name = n;
      return 0;
    }
  }
  return -EBUSY;
}

export function dev_get_by_name(name: string): NetDevice | undefined {
  return netdev_state.get().devices.find((d) => d.name === name);
}

export function netdev_list(): readonly NetDevice[] {
  return netdev_state.get().devices;
}

/** operstate as RFC 2863 and `ip link` name it. */
export function operstate(dev: NetDevice): string {
  if ((dev.flags & IFF_UP) === 0) return "DOWN";
  if (dev.type === "loopback") return "UNKNOWN";
  return dev.carrier ? "UP" : "DOWN";
}

/**
 * register_netdev() / netdev_register(): name the device (eth0, eth1, …), give it an ifindex,
 * publish it and announce it. Process context. Returns 0 or -errno.
 */
export function register_netdev(dev: NetDevice): number {
  const st = netdev_state.get();
  if (!st.loaded) return -ENODEV;
  if (dev.registered) return -EBUSY;
  const err = dev_alloc_name(dev);
  if (err) return err;
  if (dev.tx_wait === null) dev.tx_wait = init_waitqueue_head("tx_wait");
  dev.ifindex = st.next_ifindex++;
  dev.wanted_features = dev.features & dev.hw_features;
  dev.registered = true;
  st.devices.push(dev);
  netdev_register_kobject(dev);
  notify("register", dev);
  return 0;
}
export const netdev_register = register_netdev;

/** unregister_netdev() / netdev_unregister(): close it if up, unpublish it. Process context. */
export async function unregister_netdev(dev: NetDevice): Promise<void> {
  const st = netdev_state.get();
  if (!dev.registered) return;
  if (dev.flags & IFF_UP) await dev_close(dev);
  // Blocked senders hear that the device is gone (their next try fails and their timers go on).
  if (dev.tx_blocked.length > 0) __netif_schedule(dev);
  const i = st.devices.indexOf(dev);
  if (i >= 0) st.devices.splice(i, 1);
  dev.registered = false;
  netdev_unregister_kobject(dev);
  notify("unregister", dev);
}
export const netdev_unregister = unregister_netdev;

/** dev_open() (ifup). Process context. */
export async function dev_open(dev: NetDevice): Promise<number> {
  if (dev.flags & IFF_UP) return 0;
  let err: number;
  try {
    err = await dev.netdev_ops.ndo_open(dev);
  } catch (e) {
    if (e instanceof LockupKill) throw e; // the watchdog is unwinding this task: let it
    oops(`BUG: ${dev.name}: exception in ndo_open`, e);
    err = -EINVAL;
  }
  if (err !== 0) return err;
  dev.flags |= IFF_UP;
  dev_set_rx_mode(dev);
  notify("up", dev);
  return 0;
}

/**
 * dev_set_rx_mode(): hand the receive mode (IFF_PROMISC, IFF_ALLMULTI; address lists when there
 * are some) to the driver. Only an interface that is up is programmed; dev_open programs it then.
 */
export function dev_set_rx_mode(dev: NetDevice): void {
  if ((dev.flags & IFF_UP) === 0) return;
  try {
    dev.netdev_ops.ndo_set_rx_mode?.(dev);
  } catch (e) {
    if (e instanceof LockupKill) throw e;
    oops(`BUG: ${dev.name}: exception in ndo_set_rx_mode`, e);
  }
}

/**
 * __dev_set_promiscuity() / __dev_set_allmulti(), reduced to on/off (Linux counts users of each:
 * a tap and the administrator may both want promiscuity; here the last word wins).
 */
function dev_set_rx_flag(dev: NetDevice, flag: number, on: boolean): void {
  if (((dev.flags & flag) !== 0) === on) return;
  dev.flags = on ? dev.flags | flag : dev.flags & ~flag;
  if (flag === IFF_PROMISC) pr_info("%s%s: %s promiscuous mode\n", dev.driver ? `${dev.driver} ${dev.parent} ` : "", dev.name, on ? "entered" : "left");
  dev_set_rx_mode(dev);
}

/** dev_close() (ifdown): stop the device; senders blocked on its queue give up. Process context. */
export async function dev_close(dev: NetDevice): Promise<number> {
  if ((dev.flags & IFF_UP) === 0) return 0;
  dev.flags &= ~IFF_UP;
  try {
    await dev.netdev_ops.ndo_stop(dev);
  } catch (e) {
    if (e instanceof LockupKill) throw e;
    oops(`BUG: ${dev.name}: exception in ndo_stop`, e);
  }
  netif_carrier_off(dev);
  if (dev.tx_wait !== null) wake_up_all(dev.tx_wait as WaitQueueHead);
  notify("down", dev);
  return 0;
}

/** netdev_set_mac(): change the station address (through the driver when it has a hook). */
export function netdev_set_mac(dev: NetDevice, mac: Uint8Array): number {
  if (mac.length !== 6 || (mac[0]! & 1) !== 0) return -EINVAL;
  const set = dev.netdev_ops.ndo_set_mac_address;
  if (set !== undefined) return set(dev, mac);
  dev.dev_addr.set(mac);
  return 0;
}

/* ---- carrier and the transmit queue ---- */

export function netif_carrier_on(dev: NetDevice): void {
  if (dev.carrier) return;
  dev.carrier = true;
  dev.carrier_changes++;
  dev.flags |= IFF_LOWER_UP | IFF_RUNNING;
  notify("change", dev);
}

/**
 * netif_carrier_off(): the link is gone. From now on dev_queue_xmit drops and counts instead of
 * handing frames to the driver, so senders blocked on a stopped queue are woken to find that out
 * (they must not wait for a ring that only a link-up can drain). Any context.
 */
export function netif_carrier_off(dev: NetDevice): void {
  if (!dev.carrier) return;
  dev.carrier = false;
  dev.carrier_changes++;
  dev.flags &= ~(IFF_LOWER_UP | IFF_RUNNING);
  if (dev.tx_wait !== null) wake_up_all(dev.tx_wait as WaitQueueHead);
  notify("change", dev);
}

export function netif_carrier_ok(dev: NetDevice): boolean {
  return dev.carrier;
}

/**
 * netif_device_detach(): the hardware is gone (surprise removal) or asleep: mark it not present
 * and stop the queue. The core drops (and counts) what is sent to it from now on. Any context.
 */
export function netif_device_detach(dev: NetDevice): void {
  if (!dev.present) return;
  dev.present = false;
  netif_stop_queue(dev);
  if (dev.tx_wait !== null) wake_up_all(dev.tx_wait as WaitQueueHead);
}

/** netif_device_attach(): present again (resume); the queue is woken if the interface is up. */
export function netif_device_attach(dev: NetDevice): void {
  if (dev.present) return;
  dev.present = true;
  if (dev.flags & IFF_UP) netif_wake_queue(dev);
}

export function netif_device_present(dev: NetDevice): boolean {
  return dev.present;
}

/**
 * dev_queue_xmit(): hand `p` to the driver without waiting. Returns 0 when the driver took it (it
 * now owns `p`) or when the core dropped it for want of carrier (counted in tx_dropped and
 * tx_carrier_errors; `p` is freed), or -errno with `p` still the caller's: -EAGAIN while the queue is stopped,
 * -ENETDOWN when the interface is down, -EMSGSIZE for a frame outside ETH_ZLEN..MTU+ETH_HLEN.
 * `more` lets the driver delay its doorbell until the last frame of a batch. Any context.
 */
export function dev_queue_xmit(dev: NetDevice, p: PBuf, more = false): number {
  if ((dev.flags & IFF_UP) === 0) return -ENETDOWN;
  if (p.len < ETH_ZLEN || (p.len > dev.mtu + ETH_HLEN && p.gso_size === 0)) return -EMSGSIZE;
  if (!dev.carrier || !dev.present) {
    // Linux: with the carrier off the qdisc is noop_qdisc, which drops and returns NET_XMIT_CN —
    // to a socket that is success (net_xmit_errno). The frame is consumed and counted here.
    if (dev.type !== "loopback") {
      dev.stats.tx_dropped++;
      dev.stats.tx_carrier_errors++;
      pbuf_put(p);
      return 0;
    }
  }
  if (dev.tx_stopped) return -EAGAIN;
  if (!validate_xmit(dev, p)) return 0;
  const taps = netdev_state.get().taps;
  for (let i = 0; i < taps.length; i++) taps[i]!(p, dev, true);
  p.dev = dev;
  if (dev.netdev_ops.ndo_start_xmit(p, dev, more) !== NETDEV_TX_OK) {
    if (!more) dev.netdev_ops.ndo_flush_xmit?.(dev);
    return -EAGAIN;
  }
  return 0;
}

/**
 * netdev_transmit(): send `p`, waiting (interruptibly) while the driver's ring is full — a full
 * ring never drops a frame. Process context. Returns 0 (the driver owns `p`) or -errno (the caller
 * still owns it; -ERESTARTSYS if a signal interrupted the wait).
 */
export async function netdev_transmit(dev: NetDevice, p: PBuf): Promise<number> {
  for (;;) {
    const r = dev_queue_xmit(dev, p);
    if (r !== -EAGAIN) return r;
    const w = await wait_event_interruptible(dev.tx_wait as WaitQueueHead, () => !dev.tx_stopped || (dev.flags & IFF_UP) === 0 || !dev.carrier || !dev.present);
    if (w < 0) return w;
  }
}

/* ---- receive ---- */

/** dev_add_pack(): route frames of EtherType `type` (or every frame, ETH_P_ALL, as a tap). */
export function dev_add_pack(type: number, handler: PacketHandler): number {
  const st = netdev_state.get();
  if (st.handlers.has(type)) return -EBUSY;
  st.handlers.set(type, handler);
  return 0;
}

export function dev_remove_pack(type: number): void {
  netdev_state.get().handlers.delete(type);
}

export function dev_add_tap(tap: PacketTap): () => void {
  const taps = netdev_state.get().taps;
  taps.push(tap);
  return () => {
    const i = taps.indexOf(tap);
    if (i >= 0) taps.splice(i, 1);
  };
}

/**
 * netdev_receive() (netif_receive_skb): a driver hands up a received frame, giving away its
 * reference. Taps see it, then the handler for its EtherType takes it; with no handler it is
 * dropped and counted. Softirq (NAPI) context.
 */
export function netdev_receive(dev: NetDevice, p: PBuf): void {
  const st = netdev_state.get();
  p.dev = dev;
  const d = p.data;
  const h = p.head;
  p.protocol = (d[h + 12]! << 8) | d[h + 13]!;
  const taps = st.taps;
  for (let i = 0; i < taps.length; i++) taps[i]!(p, dev, false);
  const handler = st.handlers.get(p.protocol);
  if (handler === undefined) {
    dev.stats.rx_nohandler++;
    pbuf_put(p);
    return;
  }
  try {
    handler(p, dev);
  } catch (e) {
    oops(`BUG: exception in the protocol handler for 0x${p.protocol.toString(16)}`, e);
  }
}

/* ---- NAPI ---- */

/** netif_napi_add(): attach a poll function to the device (weight 64 by default). */
export function netif_napi_add(dev: NetDevice, poll: (napi: NapiStruct, budget: number) => number, weight = NAPI_POLL_WEIGHT): NapiStruct {
  const napi = new NapiStruct(dev, poll, weight);
  dev.napi = napi;
  return napi;
}

export function napi_enable(napi: NapiStruct): void {
  napi.enabled = true;
}

/** napi_disable(): no more polls. With one CPU no poll is running while this executes. */
export function napi_disable(napi: NapiStruct): void {
  napi.enabled = false;
  if (napi.scheduled) {
    napi.scheduled = false;
    const list = netdev_state.get().poll_list;
    const i = list.indexOf(napi);
    if (i >= 0) list.splice(i, 1);
  }
}

/** napi_schedule(): poll this device from NET_RX_SOFTIRQ. Typically from the IRQ handler. */
export function napi_schedule(napi: NapiStruct): boolean {
  if (napi.scheduled || !napi.enabled) return false;
  napi.scheduled = true;
  netdev_state.get().poll_list.push(napi);
  raise_softirq(NET_RX_SOFTIRQ);
  return true;
}

/** napi_complete_done(): the poll finished under budget; the driver will re-enable interrupts. */
export function napi_complete_done(napi: NapiStruct, _work_done: number): boolean {
  napi.scheduled = false;
  return true;
}

/** NET_RX_SOFTIRQ: poll scheduled devices, each up to its weight, all up to NETDEV_BUDGET. */
function net_rx_action(): void {
  const st = netdev_state.get();
  const list = st.poll_list;
  let budget = NETDEV_BUDGET;
  while (list.length > 0) {
    if (budget <= 0) {
      st.time_squeeze++;
      raise_softirq(NET_RX_SOFTIRQ); // the rest next time: tasks get the CPU in between
      return;
    }
    const napi = list.shift()!;
    let work = 0;
    try {
      work = napi.poll(napi, napi.weight);
    } catch (e) {
      oops(`BUG: ${napi.dev.name}: exception in NAPI poll`, e);
      napi.scheduled = false;
      continue;
    }
    napi.polls++;
    napi.work += work;
    budget -= work;
    // A poll that used its whole weight stays scheduled and goes to the back of the list.
    if (napi.scheduled) list.push(napi);
  }
}

/* ---- statistics and the system-call door ---- */

/** netdev_get_stats(): the generic counters plus the driver's own (ethtool -S). */
export function netdev_get_stats(dev: NetDevice): { stats: NetDevice["stats"]; driver: [string, number][] } {
  return { stats: dev.stats, driver: dev.ethtool_ops?.get_ethtool_stats(dev) ?? [] };
}

function if_info(dev: NetDevice): IfInfo {
  return {
    ifindex: dev.ifindex,
    name: dev.name,
    flags: dev.flags,
    mtu: dev.mtu,
    mac: mac_to_string(dev.dev_addr),
    carrier: dev.carrier,
    type: dev.type,
    driver: dev.driver,
    parent: dev.parent,
    tx_queue_stopped: dev.tx_stopped,
    carrier_changes: dev.carrier_changes,
    stats: { ...dev.stats },
  };
}

async function setlink(ifname: string, change: IfChange): Promise<number> {
  const dev = dev_get_by_name(ifname);
  if (dev === undefined) return -ENODEV;
  if (change.mtu !== undefined && (change.mtu < 68 || change.mtu > 1500)) return -EINVAL;
  if (change.mac !== undefined) {
    const m = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(change.mac);
    if (m === null) return -EINVAL;
    const r = netdev_set_mac(dev, Uint8Array.from(m.slice(1).map((x) => parseInt(x, 16))));
    if (r !== 0) return r;
  }
  if (change.mtu !== undefined) dev.mtu = change.mtu;
  if (change.promisc !== undefined) dev_set_rx_flag(dev, IFF_PROMISC, change.promisc);
  if (change.allmulti !== undefined) dev_set_rx_flag(dev, IFF_ALLMULTI, change.allmulti);
  if (change.up === true) return dev_open(dev);
  if (change.up === false) return dev_close(dev);
  return 0;
}

async function ethtool(ifname: string, cmd: EthtoolCmd): Promise<EthtoolReply | number> {
  const dev = dev_get_by_name(ifname);
  if (dev === undefined) return -ENODEV;
  // Features belong to the core (net/ethtool/features.c): every device answers, lo included.
  if (cmd.cmd === "features") return { kind: "features", features: get_features(dev) };
  if (cmd.cmd === "set_features") {
    const r = await set_features(dev, cmd.changes);
    return r < 0 ? r : { kind: "features", features: get_features(dev) };
  }
  const ops = dev.ethtool_ops;
  if (ops === null) return -EOPNOTSUPP;
  switch (cmd.cmd) {
    case "drvinfo": {
      // ethtool_get_drvinfo(): the core adds what the driver's ops say it supports.
      const info = ops.get_drvinfo(dev);
      return { kind: "drvinfo", info: { ...info, testinfo_len: ops.self_test === undefined ? 0 : Math.max(1, info.testinfo_len ?? 0) } };
    }
    case "link":
      return ops.get_link_ksettings === undefined ? -EOPNOTSUPP : { kind: "link", settings: ops.get_link_ksettings(dev) };
    case "stats":
      return { kind: "stats", stats: ops.get_ethtool_stats(dev) };
    case "regs":
      return { kind: "regs", regs: ops.get_regs(dev) };
    case "rings_dump":
      return ops.dump_rings === undefined ? -EOPNOTSUPP : { kind: "text", text: ops.dump_rings(dev) };
    case "ring":
      return { kind: "ring", ring: ops.get_ringparam(dev) };
    case "channels":
      return ops.get_channels === undefined ? -EOPNOTSUPP : { kind: "channels", channels: ops.get_channels(dev) };
    case "set_ring": {
      if (ops.set_ringparam === undefined) return -EOPNOTSUPP;
      const cur = ops.get_ringparam(dev);
      const r = await ops.set_ringparam(dev, cmd.rx ?? cur.rx_pending, cmd.tx ?? cur.tx_pending);
      return r < 0 ? r : { kind: "ok" };
    }
    case "coalesce":
      return { kind: "coalesce", coalesce: ops.get_coalesce(dev) };
    case "set_coalesce": {
      if (ops.set_coalesce === undefined) return -EOPNOTSUPP;
      const r = ops.set_coalesce(dev, cmd.rx_usecs === undefined ? {} : { rx_usecs: cmd.rx_usecs });
      return r < 0 ? r : { kind: "ok" };
    }
    case "test":
      return ops.self_test === undefined ? -EOPNOTSUPP : { kind: "test", results: await ops.self_test(dev) };
  }
}

/** /proc/net/dev in Linux's layout. */
/**
 * dev_seq_show() (net/core/net-procfs.c): the two header lines, then per device
 * "%6s: %7llu %7llu %4llu %4llu %4llu %5llu %10llu %9llu %8llu %7llu %4llu %4llu %4llu %5llu %7llu %10llu",
 * with drop, frame and carrier summed as dev_seq_printf_stats sums them (compressed: always 0).
 */
function show_net_dev(): string {
  let out = "Inter-|   Receive                                                |  Transmit\n";
  out += " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";
  const RX_WIDTHS = [7, 7, 4, 4, 4, 5, 10, 9];
  const TX_WIDTHS = [8, 7, 4, 4, 4, 5, 7, 10];
  for (const d of netdev_state.get().devices) {
    const s = d.stats;
    const frame = s.rx_length_errors + s.rx_over_errors + s.rx_crc_errors + s.rx_frame_errors;
    const carrier = s.tx_carrier_errors + s.tx_aborted_errors + s.tx_window_errors + s.tx_heartbeat_errors;
    const rx = [s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped + s.rx_missed_errors, s.rx_fifo_errors, frame, 0, s.multicast];
    const tx = [s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, s.tx_fifo_errors, s.collisions, carrier, 0];
    out += `${d.name.padStart(6)}: ${rx.map((v, i) => String(v).padStart(RX_WIDTHS[i]!)).join(" ")} ${tx.map((v, i) => String(v).padStart(TX_WIDTHS[i]!)).join(" ")}\n`;
  }
  return out;
}

const netdev_module: ModuleInfo = {
  name: "netdev",
  description: "network device core (registration, NAPI, packet demultiplexing)",
  license: "MIT",
  init() {
    const st = netdev_state.get();
    st.loaded = true;
    open_softirq(NET_RX_SOFTIRQ, net_rx_action);
    open_softirq(NET_TX_SOFTIRQ, net_tx_action);
    proc_create("net/dev", show_net_dev);
    proc_create("net/pbuf", show_pbuf);
    // ringzero's: frames the core dropped before the driver, by reason (validate_xmit).
    proc_create("net/xmit_drops", () => Object.entries(netdev_xmit_drops()).map(([k, v]) => `${k} ${v}\n`).join(""));
    register_net_control({ getlinks: () => st.devices.map(if_info), setlink, ethtool });
    // The loopback device exists as soon as the core does, so it is lo, ifindex 1.
    st.next_ifindex = 1;
    return register_netdev(loopback_dev_init());
  },
  async exit() {
    const st = netdev_state.get();
    for (const d of [...st.devices]) await unregister_netdev(d);
    register_net_control(null);
    proc_remove("net/dev");
    proc_remove("net/pbuf");
    proc_remove("net/xmit_drops");
    st.loaded = false;
  },
};
export default netdev_module;
