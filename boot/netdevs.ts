/**
 * Network back-ends from the command line (QEMU syntax): `-netdev user,id=ID[,net=A/P,host=A,
 * dns=A,dhcpstart=A]` and NICs that use them (`-device e1000,netdev=ID`), or the `-nic user`
 * shorthand. With no network options the default e1000 gets the built-in user network, like QEMU.
 */
import type { Machine } from "../hw/machine.ts";
import { E1000 } from "../hw/net/e1000.ts";
import { net_connect, type NetEndpoint } from "../hw/net/net_endpoint.ts";
import { UserNet, type UserNetConfig } from "../hw/net/user_net.ts";
import { inet_aton } from "../include/uapi/in.ts";

export interface NetdevSpec {
  type: string;
  id: string;
  props: Map<string, string>;
}

export function parse_netdev(spec: string): NetdevSpec | string {
  const [type, ...rest] = spec.split(",");
  const props = new Map<string, string>();
  for (const kv of rest) {
    const i = kv.indexOf("=");
    if (i <= 0) return `-netdev ${spec}: '${kv}' is not key=value`;
    props.set(kv.slice(0, i), kv.slice(i + 1));
  }
  if (type === undefined || type === "") return `-netdev: missing type`;
  const id = props.get("id");
  if (id === undefined) return `-netdev ${spec}: Parameter 'id' is missing`;
  props.delete("id");
  return { type, id, props };
}

function user_config(spec: NetdevSpec): Partial<UserNetConfig> | string {
  const cfg: Partial<UserNetConfig> = {};
  for (const [k, v] of spec.props) {
    if (k === "net") {
      const m = /^([\d.]+)\/(\d+)$/.exec(v);
      const a = m ? inet_aton(m[1]!) : null;
      if (m === null || a === null || Number(m[2]) > 30) return `-netdev user: bad net '${v}' (expected ADDR/PREFIX)`;
      cfg.net = a;
      cfg.prefix = Number(m[2]);
      const base = (a & ((0xffffffff << (32 - cfg.prefix)) >>> 0)) >>> 0;
      cfg.host ??= base + 2;
      cfg.dns ??= base + 3;
      cfg.dhcp_start ??= base + 15;
    } else if (k === "host" || k === "dns" || k === "dhcpstart") {
      const a = inet_aton(v);
      if (a === null) return `-netdev user: bad ${k} '${v}'`;
      if (k === "host") cfg.host = a;
      else if (k === "dns") cfg.dns = a;
      else cfg.dhcp_start = a;
    } else return `-netdev user: unknown parameter '${k}'`;
  }
  return cfg;
}

/** Create the back-ends and connect NICs to them. Returns an error line or null. */
export function setup_network(m: Machine, netdevs: readonly string[], nic_netdev: ReadonlyMap<E1000, string | undefined>): string | null {
  const backends = new Map<string, NetEndpoint>();
  for (const s of netdevs) {
    const spec = parse_netdev(s);
    if (typeof spec === "string") return spec;
    if (backends.has(spec.id)) return `-netdev ${s}: Duplicate ID '${spec.id}' for netdev`;
    if (spec.type !== "user") return `-netdev ${s}: network back-end '${spec.type}' is not available (available: user)`;
    const cfg = user_config(spec);
    if (typeof cfg === "string") return cfg;
    backends.set(spec.id, new UserNet(m.clock, cfg));
  }
  const used = new Set<string>();
  for (const [nic, id] of nic_netdev) {
    if (id === undefined) continue;
    const b = backends.get(id);
    if (b === undefined) return `-device e1000,netdev=${id}: Property 'netdev' can't find value '${id}'`;
    if (used.has(id)) return `-device e1000,netdev=${id}: netdev '${id}' is already in use by another NIC`;
    used.add(id);
    net_connect(b, nic);
  }
  return null;
}
