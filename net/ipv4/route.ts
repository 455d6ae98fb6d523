import { EEXIST, ENETUNREACH, ESRCH } from "../../include/linux/errno.ts";
import { IFF_UP, type NetDevice } from "../../include/net/netdevice.ts";
import { prefix_mask, type RouteEntry } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { inet_addr_on, inet_addrs, inet_local, inet_on_addr_change } from "./devinet.ts";

/**
 * The routing table (net/ipv4/fib_*.c, reduced): on-link prefixes that come with addresses, and
 * routes through gateways (the default route among them). Longest prefix wins; our own addresses
 * are reached through the loopback device. There is no forwarding.
 */
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
}
const fib = DEFINE_PER_KERNEL(() => new RouteState());

/** Where a packet to `dst` goes: out of `dev`, to the link-layer neighbour `nexthop`, from `src`. */
export interface RouteResult {
  dev: NetDevice;
  nexthop: number;
  src: number;
}

export function fib_init(lo: NetDevice): void {
  const st = fib.get();
  st.lo = lo;
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

export function fib_reset(): void {
  const st = fib.get();
  st.routes.length = 0;
  st.lo = null;
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

export function fib_list(): RouteEntry[] {
  return fib.get().routes.map((r) => ({ dst: r.dst, prefix: r.prefix, gateway: r.gateway, ifname: r.dev.name, src: inet_addr_on(r.dev)?.addr ?? 0, proto: r.proto }));
}

export function fib_flush_dev(dev: NetDevice): void {
  const st = fib.get();
  for (let i = st.routes.length - 1; i >= 0; i--) if (st.routes[i]!.dev === dev) st.routes.splice(i, 1);
}
