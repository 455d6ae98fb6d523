/**
 * Network back-ends from the command line, in QEMU's syntax (qemu-options.hx):
 *
 *   -netdev user,id=ID[,net=ADDR/PREFIX][,host=A][,dns=A][,dhcpstart=A]
 *               [,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...
 *        (its name server answers from the host's /etc/hosts, and with --clock realtime from the
 *        host's resolver too: hw/net/host_resolver.ts; with --clock realtime, guest TCP and UDP to
 *        other hosts go out through the host's sockets, 10.0.2.2 being the host's 127.0.0.1:
 *        hw/net/host_net_node.ts, hw/net/slirp.ts; hostfwd as QEMU spells it, but HOSTADDR
 *        defaults to 127.0.0.1: hw/net/slirp_hostfwd.ts. A user netdev with hostfwd rules binds
 *        them before boot and needs the realtime clock.)
 *   -netdev stream,id=ID,server=on|off,addr.type=unix,addr.path=PATH[,reconnect-ms=N]
 *   -netdev stream,id=ID,server=on|off,addr.type=inet,addr.host=H,addr.port=P[,reconnect-ms=N]
 *   -netdev dgram,id=ID,local.type=inet,local.host=H,local.port=P,remote.type=inet,remote.host=H,remote.port=P
 *   -netdev socket,id=ID,listen=[H]:P | connect=H:P | udp=H:P,localaddr=H:P | mcast=GROUP:P
 *   -netdev tap,id=ID[,ifname=NAME][,script=FILE|no][,downscript=FILE|no][,br=BRIDGE]
 *        (a host TAP device through the socat helper: hw/net/netdev_tap.ts)
 *   -netdev hubport,id=ID,hubid=N[,loss=P%][,delay=T][,jitter=T][,dup=P%][,reorder=P%][,seed=N][,limit=N]
 *   -object filter-dump,id=ID,netdev=NETDEV,file=PATH      (and --pcap FILE for the first NIC)
 *
 * The hubport's loss/delay/jitter/dup/reorder/seed/limit options are ringzero's own (QEMU's hub has
 * none): a lossy wire after Linux's netem, on the virtual clock and seeded (hw/net/hub_netem.ts).
 * They configure the whole hub; any hubport of that hubid may give them, all that do must agree.
 * T is a time (2ms, 500us, 100ns, 1s; a bare number is ms); P a percentage ("1%", or a bare "1").
 *
 * NICs name their back-end with `-device e1000,netdev=ID`; `-nic TYPE,...` makes both at once.
 */
import type { Machine } from "../hw/machine.ts";
import type { World } from "../hw/world.ts";
import { nic_model, type NicDevice } from "./board.ts";
import { Hub, HubPort } from "../hw/net/hub.ts";
import { describe_netem, HUB_NETEM_DEFAULTS, HUB_NETEM_KEYS, parse_hub_netem } from "../hw/net/hub_netem.ts";
import { net_connect, type NetEndpoint } from "../hw/net/net_endpoint.ts";
import { DgramBackend } from "../hw/net/netdev_dgram.ts";
import { TapBackend, tap_ifname_valid } from "../hw/net/netdev_tap.ts";
import { SocketBackend } from "../hw/net/netdev_socket.ts";
import { StreamBackend, type StreamAddress } from "../hw/net/netdev_stream.ts";
import { PcapTap, PcapWriter } from "../hw/net/pcap.ts";
import { UserNet, type UserNetConfig } from "../hw/net/user_net.ts";
import { WsRelay } from "../hw/net/netdev_ws_relay.ts";
import type { HostResolver } from "../hw/net/user_net_dns.ts";
import { node_host_resolver } from "../hw/net/host_resolver.ts";
import { node_host_net, type NodeHostNet } from "../hw/net/host_net_node.ts";
import { describe_hostfwd, parse_hostfwd, type HostFwdRule } from "../hw/net/slirp_hostfwd.ts";
import { inet_aton } from "../include/uapi/in.ts";

export interface NetdevSpec {
  type: string;
  id: string;
  props: Map<string, string>;
  /** Every key=value in order, repeats included (hostfwd= may be given several times). */
  all: [string, string][];
}

/** "type,k=v,k=v" → spec, for `-netdev` or `-object` (named `opt` in errors); both need an id. */
export function parse_netdev(spec: string, opt = "-netdev"): NetdevSpec | string {
  const [type, ...rest] = spec.split(",");
  const props = new Map<string, string>();
  const all: [string, string][] = [];
  for (const kv of rest) {
    const i = kv.indexOf("=");
    if (i <= 0) return `${opt} ${spec}: '${kv}' is not key=value`;
    props.set(kv.slice(0, i), kv.slice(i + 1));
    all.push([kv.slice(0, i), kv.slice(i + 1)]);
  }
  if (type === undefined || type === "") return `${opt}: missing type`;
  const id = props.get("id");
  if (id === undefined) return `${opt} ${spec}: Parameter 'id' is missing`;
  props.delete("id");
  return { type, id, props, all };
}

function take(spec: NetdevSpec, allowed: readonly string[]): string | null {
  for (const k of spec.props.keys()) if (!allowed.includes(k)) return `-netdev ${spec.type},id=${spec.id}: Invalid parameter '${k}'`;
  return null;
}

function host_port(s: string | undefined, what: string, default_host = "127.0.0.1"): { host: string; port: number } | string {
  if (s === undefined) return `${what} is missing`;
  const i = s.lastIndexOf(":");
  const host = i <= 0 ? default_host : s.slice(0, i);
  const port = Number(s.slice(i + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `${what}: bad port in '${s}'`;
  return { host, port };
}

function user_config(spec: NetdevSpec): Partial<UserNetConfig> | string {
  const bad = take(spec, ["net", "host", "dns", "dhcpstart", "hostfwd"]);
  if (bad) return bad;
  const cfg: Partial<UserNetConfig> = {};
  const net = spec.props.get("net");
  if (net !== undefined) {
    const m = /^([\d.]+)\/(\d+)$/.exec(net);
    const a = m ? inet_aton(m[1]!) : null;
    if (m === null || a === null || Number(m[2]) > 30) return `-netdev user: bad net '${net}' (expected ADDR/PREFIX)`;
    cfg.prefix = Number(m[2]);
    const base = (a & ((0xffffffff << (32 - cfg.prefix)) >>> 0)) >>> 0;
    Object.assign(cfg, { net: base, host: base + 2, dns: base + 3, dhcp_start: base + 15 });
  }
  for (const [k, field] of [["host", "host"], ["dns", "dns"], ["dhcpstart", "dhcp_start"]] as const) {
    const v = spec.props.get(k);
    if (v === undefined) continue;
    const a = inet_aton(v);
    if (a === null) return `-netdev user: bad ${k} '${v}'`;
    cfg[field] = a;
  }
  return cfg;
}

/**
 * The host's resolver for a user network's name server: /etc/hosts (read once), and in realtime
 * mode the host's DNS for other names; while a lookup is out, the world counts it as a source of
 * input, and its answer wakes the run loop.
 */
function user_resolver(world: World): HostResolver {
  return node_host_resolver({
    realtime: world.mode === "realtime",
    on_start: () => world.external_sources++,
    on_done: () => {
      world.external_sources--;
      world.kick();
    },
  });
}

/**
 * The host's sockets for a user network's NAT: while one is open the world counts it as a
 * source of input, and what arrives on it wakes the run loop. Only on the realtime clock (or for
 * hostfwd rules, which need it anyway): on the virtual clock time does not wait for the host, so
 * the guest would see its connects time out; there the user network has no NAT, as QEMU's
 * `restrict=on`, and runs deterministically.
 */
function user_host_net(world: World, rules: readonly HostFwdRule[]): NodeHostNet | null {
  if (world.mode !== "realtime" && rules.length === 0) return null;
  return node_host_net({
    on_ref: () => world.external_sources++,
    on_unref: () => {
      world.external_sources--;
      world.kick();
    },
    kick: () => world.kick(),
  });
}

/** The hostfwd rules of a `-netdev user` (QEMU's errors word for word, after the option). */
function user_hostfwd(spec: NetdevSpec, text: string): HostFwdRule[] | string {
  const rules: HostFwdRule[] = [];
  for (const [k, v] of spec.all) {
    if (k !== "hostfwd") continue;
    const r = parse_hostfwd(v);
    if (typeof r === "string") return `-netdev ${text}: ${r}`;
    rules.push(r);
  }
  return rules;
}

/** A back-end that reaches outside before boot: started (and its error shown) by boot/main.ts. */
export interface ExternalBackend {
  readonly id: string;
  /** Bind / connect (host context, before boot): null, or one error line. */
  start(): Promise<string | null>;
  stop(): void;
  /** Where it is, without counters. */
  where(): string;
}

/** A user network's host forwarding, bound before boot (QEMU binds them as the netdev is made). */
function hostfwd_backend(id: string, text: string, user: UserNet, rules: HostFwdRule[], host_net: NodeHostNet | null): ExternalBackend {
  const stop = (): void => {
    user.stop();
    host_net?.close_all();
  };
  return {
    id,
    start: async () => {
      for (const r of rules) {
        const err = await user.add_hostfwd(r);
        if (err !== null) {
          stop();
          return `-netdev ${text}: ${err}`;
        }
      }
      return null;
    },
    stop,
    where: () => rules.map((r) => describe_hostfwd(r, user.cfg.dhcp_start)).join(", "),
  };
}

function stream_backend(spec: NetdevSpec, env: BackendEnv): SocketBackend | string {
  const bad = take(spec, ["server", "addr.type", "addr.path", "addr.host", "addr.port", "reconnect-ms", "reconnect"]);
  if (bad) return bad;
  const server = spec.props.get("server") ?? "off";
  if (server !== "on" && server !== "off") return `-netdev stream: server must be on or off`;
  const type = spec.props.get("addr.type");
  let addr: StreamAddress;
  if (type === "unix") {
    const path = spec.props.get("addr.path");
    if (path === undefined) return `-netdev stream: addr.path is missing`;
    addr = { type: "unix", path };
  } else if (type === "inet") {
    const port = Number(spec.props.get("addr.port"));
    if (!Number.isInteger(port) || port < 1 || port > 65535) return `-netdev stream: bad addr.port`;
    addr = { type: "inet", host: spec.props.get("addr.host") ?? "127.0.0.1", port };
  } else return `-netdev stream: addr.type must be unix or inet (fd is not supported)`;
  const reconnect = spec.props.has("reconnect-ms") ? Number(spec.props.get("reconnect-ms")) : spec.props.has("reconnect") ? Number(spec.props.get("reconnect")) * 1000 : 1000;
  if (!(reconnect > 0)) return `-netdev stream: bad reconnect value`;
  return new StreamBackend(spec.id, env.world.clock, env.machine.tracer, env.kick, server === "on", addr, reconnect);
}

function dgram_backend(spec: NetdevSpec, env: BackendEnv): SocketBackend | string {
  const bad = take(spec, ["local.type", "local.host", "local.port", "local.path", "remote.type", "remote.host", "remote.port", "remote.path"]);
  if (bad) return bad;
  for (const side of ["local", "remote"]) {
    const t = spec.props.get(`${side}.type`);
    if (t !== "inet") return `-netdev dgram: ${side}.type must be inet (${t === "unix" ? "AF_UNIX datagram sockets are not available in Node" : "missing"})`;
  }
  const lp = Number(spec.props.get("local.port"));
  const rp = Number(spec.props.get("remote.port"));
  if (!Number.isInteger(lp) || !Number.isInteger(rp) || lp < 1 || rp < 1 || lp > 65535 || rp > 65535) return `-netdev dgram: bad local.port or remote.port`;
  return new DgramBackend(spec.id, env.world.clock, env.machine.tracer, env.kick, { host: spec.props.get("local.host") ?? "127.0.0.1", port: lp }, { host: spec.props.get("remote.host") ?? "127.0.0.1", port: rp });
}

/** `-netdev tap,id=ID[,ifname=NAME][,script=FILE|no][,downscript=FILE|no][,br=BRIDGE]` (QEMU's spelling). */
function tap_backend(spec: NetdevSpec, env: BackendEnv): SocketBackend | string {
  const bad = take(spec, ["ifname", "script", "downscript", "br"]);
  if (bad) return bad;
  const ifname = spec.props.get("ifname") ?? null;
  if (ifname !== null && !tap_ifname_valid(ifname)) return `-netdev tap,id=${spec.id}: ifname '${ifname}' is not a valid interface name (1-15 of A-Z a-z 0-9 _ . -)`;
  const br = spec.props.get("br") ?? null;
  if (br !== null && !tap_ifname_valid(br)) return `-netdev tap,id=${spec.id}: br '${br}' is not a valid interface name`;
  return new TapBackend(spec.id, env.world.clock, env.machine.tracer, env.kick, { ifname, script: spec.props.get("script") ?? null, downscript: spec.props.get("downscript") ?? null, br });
}

function socket_backend(spec: NetdevSpec, env: BackendEnv): SocketBackend | string {
  const bad = take(spec, ["listen", "connect", "udp", "localaddr", "mcast"]);
  if (bad) return bad;
  const p = spec.props;
  if (p.has("listen") || p.has("connect")) {
    const hp = host_port(p.get("listen") ?? p.get("connect"), p.has("listen") ? "listen" : "connect", p.has("listen") ? "0.0.0.0" : "127.0.0.1");
    if (typeof hp === "string") return `-netdev socket: ${hp}`;
    return new StreamBackend(spec.id, env.world.clock, env.machine.tracer, env.kick, p.has("listen"), { type: "inet", ...hp });
  }
  if (p.has("udp") || p.has("mcast")) {
    const remote = host_port(p.get("udp") ?? p.get("mcast"), p.has("udp") ? "udp" : "mcast");
    if (typeof remote === "string") return `-netdev socket: ${remote}`;
    const local = p.has("localaddr") ? host_port(p.get("localaddr"), "localaddr") : p.has("mcast") ? { host: "0.0.0.0", port: remote.port } : "localaddr is missing";
    if (typeof local === "string") return `-netdev socket: ${local}`;
    return new DgramBackend(spec.id, env.world.clock, env.machine.tracer, env.kick, local, remote);
  }
  return `-netdev socket: one of listen=, connect=, udp= or mcast= is needed`;
}

/** Hubs by hubid, shared by every machine of a world. */
const world_hubs = new WeakMap<World, Map<string, Hub>>();

/** `-netdev hubport,id=ID,hubid=N[,lossy-wire options]`: a new port on hub N (made on first use). */
function hub_port(spec: NetdevSpec, world: World, m: Machine): HubPort | string {
  const bad = take(spec, ["hubid", ...HUB_NETEM_KEYS]);
  if (bad) return bad;
  const hubid = spec.props.get("hubid");
  if (hubid === undefined) return `-netdev hubport,id=${spec.id}: Parameter 'hubid' is missing`;
  if (!/^\d+$/.test(hubid)) return `-netdev hubport,id=${spec.id}: Parameter 'hubid' expects an integer, got '${hubid}'`;
  const netem = parse_hub_netem(spec.props);
  if (typeof netem === "string") return `-netdev ${netem}`;
  let hubs = world_hubs.get(world);
  if (hubs === undefined) world_hubs.set(world, (hubs = new Map()));
  let hub = hubs.get(hubid);
  if (hub === undefined) hubs.set(hubid, (hub = new Hub(`hub${hubid}`)));
  if (HUB_NETEM_KEYS.some((k) => spec.props.has(k))) {
    const want = describe_netem({ ...HUB_NETEM_DEFAULTS, ...netem });
    if (hub.netem === null) hub.set_netem(m.clock, netem);
    else if (describe_netem(hub.netem.cfg) !== want) return `-netdev hubport,id=${spec.id}: hub ${hubid} already has other lossy-wire options (${describe_netem(hub.netem.cfg)})`;
  }
  return hub.port();
}

interface BackendEnv {
  world: World;
  machine: Machine;
  kick: () => void;
}

export interface NetworkSetup {
  /**
   * Back-ends that talk to the outside world (they need the realtime clock): socket back-ends,
   * and user networks with hostfwd rules.
   */
  external: (SocketBackend | ExternalBackend)[];
  writers: PcapWriter[];
  /** Hubs this machine has ports on (stop() them when the machine stops: held frames are counted). */
  hubs: Hub[];
}

/**
 * Create the back-ends, capture points and connections. Returns what was made, or one error line.
 * `dumps` are filter-dump objects: [netdev id, file]. `ws_relay` (--ws-relay): the first NIC with a
 * back-end and that back-end are joined through the relay's hub, where WebSocket clients plug in.
 */
export function setup_network(
  world: World,
  m: Machine,
  netdevs: readonly string[],
  nic_netdev: ReadonlyMap<NicDevice, string | undefined>,
  dumps: readonly [string, string][],
  ws_relay: { host: string; port: number } | null = null,
): NetworkSetup | string {
  const env: BackendEnv = { world, machine: m, kick: () => world.kick() };
  const backends = new Map<string, NetEndpoint>();
  const external: (SocketBackend | ExternalBackend)[] = [];
  for (const s of netdevs) {
    const spec = parse_netdev(s);
    if (typeof spec === "string") return spec;
    if (backends.has(spec.id)) return `-netdev ${s}: Duplicate ID '${spec.id}' for netdev`;
    let b: NetEndpoint | string;
    switch (spec.type) {
      case "user": {
        const cfg = user_config(spec);
        const rules = user_hostfwd(spec, s);
        if (typeof cfg === "string" || typeof rules === "string") {
          b = typeof cfg === "string" ? cfg : (rules as string);
          break;
        }
        const host_net = user_host_net(world, rules);
        const user = new UserNet(m.clock, cfg, user_resolver(world), host_net);
        user.warn = (msg) => m.tracer.warn(`netdev ${spec.id}: ${msg}`);
        if (host_net !== null) {
          // NAT sockets (and those of finished connections not yet closed) go at power-off, with
          // or without hostfwd rules; the hostfwd back-end's stop() does the same at exit.
          const prev = m.on_power_off;
          m.on_power_off = () => {
            user.stop();
            host_net.close_all();
            prev?.();
          };
        }
        if (rules.length > 0) external.push(hostfwd_backend(spec.id, s, user, rules, host_net));
        b = user;
        break;
      }
      case "stream":
        b = stream_backend(spec, env);
        break;
      case "dgram":
        b = dgram_backend(spec, env);
        break;
      case "socket":
        b = socket_backend(spec, env);
        break;
      case "tap":
        b = tap_backend(spec, env);
        break;
      case "hubport":
        b = hub_port(spec, world, m);
        break;
      default:
        return `-netdev ${s}: network back-end '${spec.type}' is not available (user, tap, stream, dgram, socket, hubport)`;
    }
    if (typeof b === "string") return b;
    if (b instanceof SocketBackend) external.push(b);
    backends.set(spec.id, b);
  }
  const writers: PcapWriter[] = [];
  const dumped = new Map<string, PcapWriter>();
  for (const [id, file] of dumps) {
    if (!backends.has(id)) return `-object filter-dump: netdev '${id}' does not exist`;
    if (dumped.has(id)) return `-object filter-dump: netdev '${id}' already has a dump`;
    try {
      const w = new PcapWriter(file, m.clock);
      dumped.set(id, w);
      writers.push(w);
    } catch (e) {
      return `cannot write capture file '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
  }
  const relay = ws_relay === null ? null : new WsRelay({ ...ws_relay, clock: m.clock, tracer: m.tracer, kick: env.kick });
  const used = new Set<string>();
  for (const [nic, id] of nic_netdev) {
    if (id === undefined) continue;
    const b = backends.get(id);
    if (b === undefined) return `-device ${nic_model(nic)},netdev=${id}: Property 'netdev' can't find value '${id}'`;
    if (used.has(id)) return `-device ${nic_model(nic)},netdev=${id}: netdev '${id}' is already in use by another NIC`;
    used.add(id);
    // The first NIC with a back-end: the relay's hub goes between them (a capture stays at the NIC).
    let front: NetEndpoint = b;
    if (relay !== null && relay.net_side.peer === null) {
      net_connect(relay.net_side, b);
      front = relay.nic_side;
    }
    const w = dumped.get(id);
    if (w === undefined) net_connect(front, nic);
    else {
      const tap = new PcapTap(w);
      net_connect(nic, tap.nic_side);
      net_connect(tap.net_side, front);
    }
  }
  if (relay !== null) {
    if (relay.net_side.peer === null) return "--ws-relay: there is no NIC with a network back-end to relay";
    external.push(relay);
  }
  const hubs = [...new Set([...backends.values()].filter((b): b is HubPort => b instanceof HubPort).map((p) => p.hub))];
  return { external, writers, hubs };
}
