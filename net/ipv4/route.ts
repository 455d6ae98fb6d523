import { EEXIST, EINVAL, ENETUNREACH, ESRCH } from "../../include/linux/errno.ts";
import { ETH_HLEN, IFF_UP, NETIF_F_SG, PBUF_HEADROOM, PBUF_SIZE, type NetDevice } from "../../include/net/netdevice.ts";
import { prefix_mask, type RouteEntry } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { kernfs_create, kernfs_remove } from "../../kernel/fs/kernfs.ts";
import { ktime_get_ns, NSEC_PER_SEC } from "../../kernel/time/timekeeping.ts";
import { inet_addr_on, inet_addrs, inet_local, inet_on_addr_change } from "./devinet.ts";
import { ipfrag_exit, ipfrag_init } from "./ip_fragment.ts";

/**
 * The routing table (net/ipv4/fib_*.c, reduced): on-link prefixes that come with addresses, and
 * routes through gateways (the default route among them). Longest prefix wins; our own addresses
 * are reached through the loopback device. There is no forwarding.
 *
 * And the path MTU cache (route.c's next-hop exceptions, fib_nh_exception): an ICMP "fragmentation
 * needed" lowers the MTU towards one destination for ip_rt_mtu_expires (10 minutes); below
 * min_pmtu (552) the entry is clamped to min_pmtu and locked (DF no longer set), as
 * __ip_rt_update_pmtu does. ip_route_mtu() is what senders (UDP, ping, TCP's MSS) ask.
 */
/** net.ipv4.route.min_pmtu default: 512 + 20 + 20. */
export const IP_RT_MIN_PMTU = 552;
/** net.ipv4.route.mtu_expires default: 10 minutes. */
export const IP_RT_MTU_EXPIRES_S = 600;
/** IPV4_MIN_MTU: the smallest MTU a host must accept (RFC 791). */
export const IPV4_MIN_MTU = 68;
/** Most destinations the cache remembers; a full cache forgets the entry closest to expiry first. */
export const FNHE_MAX = 1024;

/** A learned path MTU towards one destination (struct fib_nh_exception, the PMTU part). */
export interface FibNhException {
  readonly daddr: number;
  pmtu: number;
  /** Clamped to min_pmtu: DF is no longer set towards it, and later ICMPs do not change it. */
  locked: boolean;
  expires_ns: number;
}
export interface Route {
  readonly dst: number;
  readonly prefix: number;
  readonly mask: number;
  readonly gateway: number;
  readonly dev: NetDevice;
  readonly proto: RouteEntry["proto"];
}

class RouteState {
  readonly routes: Route[] = [];
  lo: NetDevice | null = null;
  readonly fnhe = new Map<number, FibNhException>();
  min_pmtu = IP_RT_MIN_PMTU;
  mtu_expires_s = IP_RT_MTU_EXPIRES_S;
}
const fib = DEFINE_PER_KERNEL(() => new RouteState());

/** Where a packet to `dst` goes: out of `dev`, to the link-layer neighbour `nexthop`, from `src`. */
export interface RouteResult {
  dev: NetDevice;
  nexthop: number;
  src: number;
}

/**
 * fib_init(): IPv4 routing comes up (inet_init). This is also where the rest of IPv4's bring-up
 * that inet_init does in Linux enters (ip_rt_init's sysctls, ipfrag_init), net/inet.ts calling only
 * fib_init and fib_reset. Process context.
 */
export function fib_init(lo: NetDevice): void {
  const st = fib.get();
  st.lo = lo;
  ip_rt_sysctl_register();
  ipfrag_init();
  inet_on_addr_change((a, added) => {
    const dst = (a.addr & a.mask) >>> 0;
    if (added) {
      if (!st.routes.some((r) => r.dst === dst && r.prefix === a.prefix && r.dev === a.dev)) st.routes.push({ dst, prefix: a.prefix, mask: a.mask, gateway: 0, dev: a.dev, proto: "kernel" });
    } else {
      const i = st.routes.findIndex((r) => r.proto === "kernel" && r.dst === dst && r.prefix === a.prefix && r.dev === a.dev);
      if (i >= 0) st.routes.splice(i, 1);
      // Routes whose gateway is no longer reachable through this device go too.
      for (let j = st.routes.length - 1; j >= 0; j--) {
        const r = st.routes[j]!;
        if (r.dev === a.dev && r.gateway !== 0 && (r.gateway & a.mask) === dst) st.routes.splice(j, 1);
      }
    }
  });
}

/** fib_reset(): IPv4 goes away (module exit): routes, the PMTU cache, the fragment queues. */
export function fib_reset(): void {
  const st = fib.get();
  st.routes.length = 0;
  st.lo = null;
  st.fnhe.clear();
  ipfrag_exit();
  kernfs_remove(ROUTE_SYSCTL);
}

/** ip route add: `dev` may be omitted when the gateway is on a connected subnet. */
export function fib_add(dst: number, prefix: number, gateway: number, dev: NetDevice | null, proto: Route["proto"] = "static"): number {
  const st = fib.get();
  const mask = prefix_mask(prefix);
  let out = dev;
  if (gateway !== 0) {
    const via = st.routes.find((r) => r.gateway === 0 && (gateway & r.mask) === r.dst && (dev === null || r.dev === dev));
    if (via === undefined) return -ENETUNREACH;
    out = via.dev;
  }
  if (out === null) return -ENETUNREACH;
  if (st.routes.some((r) => r.dst === ((dst & mask) >>> 0) && r.prefix === prefix && r.gateway === gateway)) return -EEXIST;
  st.routes.push({ dst: (dst & mask) >>> 0, prefix, mask, gateway, dev: out, proto });
  return 0;
}

export function fib_del(dst: number, prefix: number): number {
  const st = fib.get();
  const i = st.routes.findIndex((r) => r.dst === ((dst & prefix_mask(prefix)) >>> 0) && r.prefix === prefix);
  if (i < 0) return -ESRCH;
  st.routes.splice(i, 1);
  return 0;
}

/** ip_route_output(): the route to `dst`, or null (ENETUNREACH). */
export function ip_route_output(dst: number): RouteResult | null {
  const st = fib.get();
  const local = inet_local(dst);
  if (local !== undefined || (dst >>> 24) === 127) {
    if (st.lo === null) return null;
    return { dev: st.lo, nexthop: dst, src: local?.addr ?? dst };
  }
  let best: Route | null = null;
  for (const r of st.routes) {
    if (((dst & r.mask) >>> 0) !== r.dst || (r.dev.flags & IFF_UP) === 0) continue;
    if (best === null || r.prefix > best.prefix) best = r;
  }
  if (best === null) {
    if (dst === 0xffffffff) {
      const a = inet_addrs().find((x) => x.dev.type === "ether" && (x.dev.flags & IFF_UP) !== 0);
      return a === undefined ? null : { dev: a.dev, nexthop: dst, src: a.addr };
    }
    return null;
  }
  const src = inet_addr_on(best.dev)?.addr ?? 0;
  return { dev: best.dev, nexthop: best.gateway !== 0 ? best.gateway : dst, src };
}

/**
 * The main table as an RTM_GETROUTE dump (and /proc/net/route) gives it: in fib_trie's order —
 * by destination, and for one destination the longest prefix first. The connected routes of a
 * loopback device are not in it: Linux keeps them in the local table (fib_add_ifaddr, RTN_LOCAL).
 */
export function fib_list(): RouteEntry[] {
  return fib
    .get()
    .routes.filter((r) => !(r.proto === "kernel" && r.dev.type === "loopback"))
    .sort((a, b) => a.dst - b.dst || b.prefix - a.prefix)
    .map((r) => {
      // A connected route's preferred source is the address that brought it (fib_add_ifaddr's prim).
      const own = inet_addrs().find((a) => a.dev === r.dev && a.prefix === r.prefix && ((a.addr & a.mask) >>> 0) === r.dst);
      return { dst: r.dst, prefix: r.prefix, gateway: r.gateway, ifname: r.dev.name, src: (own ?? inet_addr_on(r.dev))?.addr ?? 0, proto: r.proto };
    });
}

export function fib_flush_dev(dev: NetDevice): void {
  const st = fib.get();
  for (let i = st.routes.length - 1; i >= 0; i--) if (st.routes[i]!.dev === dev) st.routes.splice(i, 1);
}

/* ---- path MTU (route.c: ipv4_mtu, __ip_rt_update_pmtu, update_or_create_fnhe) ---- */

/**
 * The MTU a device can take a frame of in one piece. A device without scatter-gather can only send
 * what fits one packet buffer (validate_xmit linearizes, and a frame longer than a buffer is
 * dropped): for such a device (lo today, whose MTU is 65536) the MTU is capped there, so IPv4
 * fragments what Linux would send whole. Devices with NETIF_F_SG take chains up to their MTU.
 */
export function ip_dev_mtu(dev: NetDevice): number {
  if ((dev.features & NETIF_F_SG) !== 0) return dev.mtu;
  return Math.min(dev.mtu, PBUF_SIZE - PBUF_HEADROOM - ETH_HLEN);
}

/** The cached exception for `daddr`, forgetting it if it expired. */
function fnhe_lookup(daddr: number): FibNhException | undefined {
  const st = fib.get();
  const e = st.fnhe.get(daddr);
  if (e !== undefined && ktime_get_ns() >= e.expires_ns) {
    st.fnhe.delete(daddr);
    return undefined;
  }
  return e;
}

/** ipv4_mtu(): the MTU towards `daddr` out of `dev`: the device's, lowered by a learned path MTU. */
export function ip_dst_mtu(dev: NetDevice, daddr: number): number {
  const mtu = ip_dev_mtu(dev);
  const e = fnhe_lookup(daddr);
  return e === undefined ? mtu : Math.min(mtu, e.pmtu);
}

/** ip_mtu_locked(): the path MTU towards `daddr` was clamped to min_pmtu (DF is not set then). */
export function ip_mtu_locked(daddr: number): boolean {
  return fnhe_lookup(daddr)?.locked ?? false;
}

/**
 * ip_route_mtu(): the MTU a datagram to `daddr` may have without being fragmented — the output
 * device's MTU or the path MTU learned from ICMP, whichever is lower; 0 when there is no route.
 * What TCP should take its MSS from (MSS = ip_route_mtu(daddr) - 40). Any context.
 */
export function ip_route_mtu(daddr: number): number {
  const rt = ip_route_output(daddr);
  return rt === null ? 0 : ip_dst_mtu(rt.dev, daddr);
}

/**
 * ip_rt_update_pmtu() (__ip_rt_update_pmtu): an ICMP "fragmentation needed" says datagrams to
 * `daddr` must be at most `mtu` bytes. Never raises the MTU; below min_pmtu the entry is clamped to
 * min_pmtu and locked; a locked entry is left alone until it expires. The entry lives
 * mtu_expires seconds, refreshed when the same MTU is reported in the second half of its life.
 * Softirq context.
 */
export function ip_rt_update_pmtu(daddr: number, mtu: number): void {
  const st = fib.get();
  const rt = ip_route_output(daddr);
  if (rt === null || rt.dev.type === "loopback") return;
  const e = fnhe_lookup(daddr);
  if (e?.locked) return;
  const old_mtu = ip_dst_mtu(rt.dev, daddr);
  if (old_mtu < mtu) return;
  let lock = false;
  if (mtu < st.min_pmtu) {
    lock = true;
    mtu = Math.min(old_mtu, st.min_pmtu);
  }
  const now = ktime_get_ns();
  const life = st.mtu_expires_s * NSEC_PER_SEC;
  if (e !== undefined && e.pmtu === mtu && !lock && now < e.expires_ns - life / 2) return;
  if (e !== undefined) {
    e.pmtu = mtu;
    e.locked = lock;
    e.expires_ns = now + life;
    return;
  }
  if (st.fnhe.size >= FNHE_MAX) {
    let oldest: FibNhException | null = null;
    for (const x of st.fnhe.values()) if (oldest === null || x.expires_ns < oldest.expires_ns) oldest = x;
    if (oldest !== null) st.fnhe.delete(oldest.daddr);
  }
  st.fnhe.set(daddr, { daddr, pmtu: mtu, locked: lock, expires_ns: now + life });
}

/** The path MTU cache as `ip route show cache` would list it: destination, MTU, seconds left. */
export function ip_rt_pmtu_list(): { daddr: number; mtu: number; locked: boolean; expires_s: number }[] {
  const now = ktime_get_ns();
  const out: { daddr: number; mtu: number; locked: boolean; expires_s: number }[] = [];
  for (const e of fib.get().fnhe.values()) if (e.expires_ns > now) out.push({ daddr: e.daddr, mtu: e.pmtu, locked: e.locked, expires_s: Math.ceil((e.expires_ns - now) / NSEC_PER_SEC) });
  return out;
}

const ROUTE_SYSCTL = "/proc/sys/net/ipv4/route";

/** net.ipv4.route.mtu_expires (seconds) and min_pmtu (68 … 65535), readable and writable. */
function ip_rt_sysctl_register(): void {
  const st = fib.get();
  const knob = (name: string, get: () => number, set: (v: number) => void, min: number, max: number): void => {
    kernfs_create(`${ROUTE_SYSCTL}/${name}`, {
      show: () => `${get()}\n`,
      store: (data) => {
        const t = data.trim();
        if (!/^-?\d+$/.test(t) || Number(t) < min || Number(t) > max) return -EINVAL;
        set(Number(t));
        return data.length;
      },
    });
  };
  knob("mtu_expires", () => st.mtu_expires_s, (v) => (st.mtu_expires_s = v), 0, 2 ** 31 - 1);
  knob("min_pmtu", () => st.min_pmtu, (v) => (st.min_pmtu = v), IPV4_MIN_MTU, 65535);
}
