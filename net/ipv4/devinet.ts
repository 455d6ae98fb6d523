import { EADDRNOTAVAIL, EEXIST, EINVAL } from "../../include/linux/errno.ts";
import { IFF_BROADCAST, type NetDevice } from "../../include/net/netdevice.ts";
import { IFA_F_DEPRECATED, IFA_F_PERMANENT, IFA_F_SECONDARY, INFINITY_LIFE_TIME, RT_SCOPE_HOST, RT_SCOPE_UNIVERSE, type IfAddrInfo } from "../../include/uapi/if.ts";
import { prefix_mask, type IfAddr } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pr_info } from "../../kernel/printk.ts";
import { ktime_get_ns, NSEC_PER_SEC } from "../../kernel/time/timekeeping.ts";

/**
 * IPv4 addresses on interfaces (net/ipv4/devinet.c): each address brings its on-link route with
 * it (see route.ts) and is announced with a gratuitous ARP.
 */
export interface InIfAddr {
  readonly dev: NetDevice;
  readonly addr: number;
  readonly prefix: number;
  readonly mask: number;
  /** ifa_broadcast: 0 when the address has none (IFA_BROADCAST absent). */
  readonly broadcast: number;
  /** RT_SCOPE_HOST for 127/8 (iproute2's default_scope, devinet's loopback setup), else universe. */
  readonly scope: number;
  /**
   * Lifetimes in seconds from `tstamp_ns` (ifa_valid_lft / ifa_preferred_lft / ifa_tstamp), or
   * INFINITY_LIFE_TIME: a permanent address (IFA_F_PERMANENT) has both infinite.
   */
  valid_lft: number;
  preferred_lft: number;
  tstamp_ns: number;
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

/**
 * Is `addr` a broadcast address of one of our subnets (or the limited broadcast)? As fib_add_ifaddr
 * adds broadcast routes: the subnet's all-ones address (prefixes up to /30), and the address's
 * own ifa_broadcast when it has one.
 */
export function inet_is_broadcast(addr: number): boolean {
  return addr === 0xffffffff || devinet.get().addrs.some((a) => (a.prefix < 31 && ((a.addr | ~a.mask) >>> 0) === addr) || (a.broadcast !== 0 && a.broadcast === addr));
}

/**
 * Add `addr`/`prefix` to `dev`, permanent. `broadcast` null asks for the one SIOCSIFADDR sets
 * (devinet_ioctl: the subnet's all-ones address on an IFF_BROADCAST device, prefixes up to /30,
 * else none); a number is taken as given (RTM_NEWADDR's IFA_BROADCAST; 0 = none, as `ip addr add`
 * without `brd`).
 */
export function inet_addr_add(dev: NetDevice, addr: number, prefix: number, broadcast: number | null = null): number {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32 || addr === 0) return -EINVAL;
  const st = devinet.get();
  if (st.addrs.some((a) => a.dev === dev && a.addr === addr)) return -EEXIST;
  const mask = prefix_mask(prefix);
  const brd = broadcast ?? ((dev.flags & IFF_BROADCAST) !== 0 && prefix < 31 ? ((addr & mask) | (~mask >>> 0)) >>> 0 : 0);
  const a: InIfAddr = { dev, addr, prefix, mask, broadcast: brd >>> 0, scope: addr >>> 24 === 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE, valid_lft: INFINITY_LIFE_TIME, preferred_lft: INFINITY_LIFE_TIME, tstamp_ns: ktime_get_ns() };
  st.addrs.push(a);
  if (dev.type !== "loopback") pr_info("%s: address %pI4/%d\n", dev.name, addr, prefix);
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

/**
 * Give `dev`'s `addr` lifetimes (seconds from now; INFINITY_LIFE_TIME for none), as a DHCP client
 * does with `ip addr change … valid_lft L preferred_lft L` on each lease and renewal. The address
 * then shows as dynamic; whoever set the lifetime removes it when it runs out (the DHCP client at
 * lease expiry). Returns 0 or -EADDRNOTAVAIL.
 */
export function inet_addr_set_lifetime(dev: NetDevice, addr: number, valid_lft: number, preferred_lft: number): number {
  const a = devinet.get().addrs.find((x) => x.dev === dev && x.addr === addr);
  if (a === undefined) return -EADDRNOTAVAIL;
  a.valid_lft = Math.min(valid_lft, INFINITY_LIFE_TIME);
  a.preferred_lft = Math.min(preferred_lft, a.valid_lft);
  a.tstamp_ns = ktime_get_ns();
  return 0;
}

/**
 * The addresses as RTM_GETADDR dumps them (inet_fill_ifaddr): per device the primaries before the
 * secondaries — an address is secondary when an earlier one on its device has the same prefix and
 * subnet (__inet_insert_ifa; deleting the primary promotes it, as promote_secondaries=1 does) —
 * with IFA_F_PERMANENT unless it has lifetimes, and the lifetimes left (whole seconds elapsed
 * taken off; IFA_F_DEPRECATED once the preferred one is used up).
 */
export function inet_addr_list(): (IfAddr & IfAddrInfo)[] {
  const all = devinet.get().addrs;
  const now = ktime_get_ns();
  const out = all.map((a, i) => {
    const secondary = all.slice(0, i).some((b) => b.dev === a.dev && b.prefix === a.prefix && ((b.addr & b.mask) >>> 0) === ((a.addr & a.mask) >>> 0));
    let flags = secondary ? IFA_F_SECONDARY : 0;
    let valid = INFINITY_LIFE_TIME;
    let preferred = INFINITY_LIFE_TIME;
    if (a.valid_lft === INFINITY_LIFE_TIME && a.preferred_lft === INFINITY_LIFE_TIME) flags |= IFA_F_PERMANENT;
    else {
      const elapsed = Math.floor((now - a.tstamp_ns) / NSEC_PER_SEC);
      preferred = a.preferred_lft === INFINITY_LIFE_TIME ? a.preferred_lft : Math.max(0, a.preferred_lft - elapsed);
      valid = a.valid_lft === INFINITY_LIFE_TIME ? a.valid_lft : Math.max(0, a.valid_lft - elapsed);
      if (preferred === 0) flags |= IFA_F_DEPRECATED;
    }
    return { ifname: a.dev.name, addr: a.addr, prefix: a.prefix, broadcast: a.broadcast, flags, scope: a.scope, valid_lft: valid, preferred_lft: preferred };
  });
  // Device by device (in the order they first got an address): its primaries, then its secondaries.
  const devs = [...new Set(all.map((a) => a.dev))];
  return devs.flatMap((d) => {
    const mine = out.filter((_, i) => all[i]!.dev === d);
    return [...mine.filter((e) => (e.flags & IFA_F_SECONDARY) === 0), ...mine.filter((e) => (e.flags & IFA_F_SECONDARY) !== 0)];
  });
}

export function inet_reset(): void {
  const st = devinet.get();
  st.addrs.length = 0;
  st.on_change = [];
}
