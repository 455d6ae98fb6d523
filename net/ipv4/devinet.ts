import { EADDRNOTAVAIL, EEXIST, EINVAL } from "../../include/linux/errno.ts";
import type { NetDevice } from "../../include/net/netdevice.ts";
import { inet_ntoa, prefix_mask, type IfAddr } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pr_info } from "../../kernel/printk.ts";

/**
 * IPv4 addresses on interfaces (net/ipv4/devinet.c): each address brings its on-link route with
 * it (see route.ts) and is announced with a gratuitous ARP.
 */
export interface InIfAddr {
  readonly dev: NetDevice;
  readonly addr: number;
  readonly prefix: number;
  readonly mask: number;
  readonly broadcast: number;
}

class DevinetState {
  readonly addrs: InIfAddr[] = [];
  /** Called when an address is added or removed (route.ts keeps connected routes in step). */
  on_change: ((a: InIfAddr, added: boolean) => void)[] = [];
}
const devinet = DEFINE_PER_KERNEL(() => new DevinetState());

export function inet_addrs(): readonly InIfAddr[] {
  return devinet.get().addrs;
}

export function inet_addr_on(dev: NetDevice): InIfAddr | undefined {
  return devinet.get().addrs.find((a) => a.dev === dev);
}

export function inet_on_addr_change(fn: (a: InIfAddr, added: boolean) => void): void {
  devinet.get().on_change.push(fn);
}

/** The interface address `addr`, if it is one of ours. */
export function inet_local(addr: number): InIfAddr | undefined {
  return devinet.get().addrs.find((a) => a.addr === addr);
}

/** Is `addr` a broadcast address of one of our subnets (or the limited broadcast)? */
export function inet_is_broadcast(addr: number): boolean {
  return addr === 0xffffffff || devinet.get().addrs.some((a) => a.broadcast === addr && a.prefix < 31);
}

export function inet_addr_add(dev: NetDevice, addr: number, prefix: number): number {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32 || addr === 0) return -EINVAL;
  const st = devinet.get();
  if (st.addrs.some((a) => a.dev === dev && a.addr === addr)) return -EEXIST;
  const mask = prefix_mask(prefix);
  const a: InIfAddr = { dev, addr, prefix, mask, broadcast: ((addr & mask) | (~mask >>> 0)) >>> 0 };
  st.addrs.push(a);
  if (dev.type !== "loopback") pr_info(`${dev.name}: address ${inet_ntoa(addr)}/${prefix}`);
  for (const fn of st.on_change) fn(a, true);
  return 0;
}

export function inet_addr_del(dev: NetDevice, addr: number, prefix: number | null): number {
  const st = devinet.get();
  const i = st.addrs.findIndex((a) => a.dev === dev && a.addr === addr && (prefix === null || a.prefix === prefix));
  if (i < 0) return -EADDRNOTAVAIL;
  const [a] = st.addrs.splice(i, 1);
  for (const fn of st.on_change) fn(a!, false);
  return 0;
}

/** Forget every address on `dev` (it is going away). */
export function inet_dev_flush(dev: NetDevice): void {
  for (const a of [...devinet.get().addrs]) if (a.dev === dev) inet_addr_del(dev, a.addr, a.prefix);
}

export function inet_addr_list(): IfAddr[] {
  return devinet.get().addrs.map((a) => ({ ifname: a.dev.name, addr: a.addr, prefix: a.prefix, broadcast: a.broadcast }));
}

export function inet_reset(): void {
  const st = devinet.get();
  st.addrs.length = 0;
  st.on_change = [];
}
