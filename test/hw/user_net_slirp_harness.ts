/**
 * A guest on the built-in user network with NAT, for the slirp tests: one machine (e1000, DHCP)
 * whose user network has a HostNet — the in-memory FakeHostNet on the virtual clock, or any
 * other — optionally behind an in-process hub with a lossy wire, and a few test programs in /bin
 * that move bytes through sockets and print what they saw.
 */
import { strerror } from "../../include/linux/errno.ts";
import { expect } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { E1000 } from "../../hw/net/e1000.ts";
import type { HostNet } from "../../hw/net/host_net.ts";
import { Hub } from "../../hw/net/hub.ts";
import type { HubNetemConfig } from "../../hw/net/hub_netem.ts";
import { net_connect } from "../../hw/net/net_endpoint.ts";
import { FakeHostNet } from "../../hw/net/slirp_fake.ts";
import { UserNet } from "../../hw/net/user_net.ts";
import { hosts_resolver } from "../../hw/net/user_net_dns.ts";
import { World } from "../../hw/world.ts";
import { AF_INET, inet_aton, inet_ntoa, IPPROTO_UDP, SHUT_WR, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR } from "../../include/uapi/in.ts";
import type { Program, Syscalls } from "../../include/uapi/syscalls.ts";
import { ip_auto_config } from "../../net/ipv4/ipconfig.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { boot_test_machine, type TestMachine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";

/** Bytes 0..n-1 of a recognisable pattern (the same on both sides). */
export function pattern(n: number, seed = 0): Uint8Array {
  const a = new Uint8Array(n);
  let x = (seed * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    a[i] = x >>> 24;
  }
  return a;
}

/** FNV-1a of some bytes, as 8 hex digits. */
export function fnv(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 16777619) >>> 0;
  return h.toString(16).padStart(8, "0");
}

function addr_of(sys: Syscalls, text: string): number {
  const a = inet_aton(text);
  if (a === null) {
    sys.write(2, `bad address ${text}\n`);
    return 0;
  }
  return a;
}

/** Connect a stream socket; prints the error and returns -1 on failure. */
async function dial(sys: Syscalls, name: string, host: string, port: number): Promise<number> {
  const fd = sys.socket(AF_INET, SOCK_STREAM, 0);
  const r = await sys.connect(fd, addr_of(sys, host), port);
  if (r < 0) {
    sys.write(1, `${name}: connect: ${strerror(r)}\n`);
    sys.close(fd);
    return -1;
  }
  return fd;
}

/** Read a stream to its end; the bytes' count and hash (and the error, if it ended with one). */
async function drain(sys: Syscalls, fd: number, limit = Infinity): Promise<{ n: number; hash: string; err: number; bytes: Uint8Array }> {
  const buf = new Uint8Array(65536);
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const r = n >= limit ? 0 : await sys.recv(fd, buf.subarray(0, Math.min(buf.length, limit - n)));
    if (r <= 0) {
      const all = new Uint8Array(n);
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      return { n, hash: fnv(all), err: r, bytes: all };
    }
    parts.push(buf.slice(0, r));
    n += r;
  }
}

/**
 * `tcpget HOST PORT [DELAY_MS [LIMIT]]`: (wait DELAY_MS after connecting, then) read to the end —
 * or LIMIT bytes, then close with the rest unread; print the byte count and hash.
 */
const tcpget: Program = async (argv, sys) => {
  const fd = await dial(sys, "tcpget", argv[1]!, Number(argv[2]));
  if (fd < 0) return 1;
  if (argv[3] !== undefined) await sys.nanosleep(Number(argv[3]) * 1e6);
  const d = await drain(sys, fd, argv[4] !== undefined ? Number(argv[4]) : Infinity);
  sys.close(fd);
  sys.write(1, `tcpget: ${d.n} bytes ${d.hash}${d.err < 0 ? ` (${strerror(d.err)})` : ""}\n`);
  return d.err < 0 ? 1 : 0;
};

/**
 * `tcpput HOST PORT N SEED`: send N pattern bytes, shut the write side, read the answer to the end
 * (printed when it is short).
 */
const tcpput: Program = async (argv, sys) => {
  const fd = await dial(sys, "tcpput", argv[1]!, Number(argv[2]));
  if (fd < 0) return 1;
  const data = pattern(Number(argv[3]), Number(argv[4] ?? 0));
  const s = await sys.send(fd, data);
  if (s < 0) sys.write(1, `tcpput: send: ${strerror(s)}\n`);
  else sys.write(1, `tcpput: sent ${s}\n`);
  sys.shutdown(fd, SHUT_WR);
  const d = await drain(sys, fd);
  sys.close(fd);
  const text = d.n > 0 && d.n <= 64 ? ` '${new TextDecoder().decode(d.bytes)}'` : "";
  sys.write(1, `tcpput: answer ${d.n} bytes${text}${d.err < 0 ? ` (${strerror(d.err)})` : ""}\n`);
  return s < 0 || d.err < 0 ? 1 : 0;
};

/** `tcpecho PORT`: accept one connection, echo it back until its end, close. */
const tcpecho: Program = async (argv, sys) => {
  const lfd = sys.socket(AF_INET, SOCK_STREAM, 0);
  sys.setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, 1);
  if (sys.bind(lfd, 0, Number(argv[1])) < 0 || sys.listen(lfd, 4) < 0) return 1;
  const c = await sys.accept(lfd);
  if (typeof c === "number") return 1;
  const buf = new Uint8Array(65536);
  let n = 0;
  for (;;) {
    const r = await sys.recv(c.fd, buf);
    if (r <= 0) break;
    n += r;
    await sys.send(c.fd, buf.subarray(0, r));
  }
  sys.close(c.fd);
  sys.close(lfd);
  sys.write(1, `tcpecho: ${n} bytes from ${inet_ntoa(c.addr)}:${c.port}\n`);
  return 0;
};

/** `udpecho PORT N`: answer N datagrams with "echo:" + the datagram, printing each sender. */
const udpecho: Program = async (argv, sys) => {
  const fd = sys.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  if (sys.bind(fd, 0, Number(argv[1])) < 0) return 1;
  for (let i = 0; i < Number(argv[2]); i++) {
    const d = await sys.recvfrom(fd, null);
    if (typeof d === "number") return 1;
    const text = new TextDecoder().decode(d.data);
    sys.write(1, `udpecho: '${text}' from ${inet_ntoa(d.addr)}:${d.port}\n`);
    await sys.sendto(fd, new TextEncoder().encode(`echo:${text}`), d.addr, d.port);
  }
  sys.close(fd);
  return 0;
};

/** `udpping HOST PORT MSG...`: from one socket, send each MSG and print the answer (or "timeout") and its sender. */
const udpping: Program = async (argv, sys) => {
  const fd = sys.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  const to = addr_of(sys, argv[1]!);
  for (const msg of argv.slice(3)) {
    await sys.sendto(fd, new TextEncoder().encode(msg), to, Number(argv[2]));
    const d = await sys.recvfrom(fd, 2000);
    if (typeof d === "number") sys.write(1, "udpping: timeout\n");
    else sys.write(1, `udpping: '${new TextDecoder().decode(d.data)}' from ${inet_ntoa(d.addr)}:${d.port}\n`);
  }
  sys.close(fd);
  return 0;
};

export const TEST_PROGRAMS: [string, Program][] = [
  ["udpping", udpping],
  ["tcpget", tcpget],
  ["tcpput", tcpput],
  ["tcpecho", tcpecho],
  ["udpecho", udpecho],
];

export interface SlirpGuest {
  world: World;
  tm: TestMachine;
  user: UserNet;
  /** The fake host (when no other HostNet was given). */
  host: FakeHostNet;
  hub: Hub | null;
  /** Run the world for `ns` of virtual time. */
  step(ns: number): Promise<void>;
  /** Run until `cond()` or `max_ns`; returns cond(). */
  until(cond: () => boolean, max_ns?: number): Promise<boolean>;
  /** The console since boot. */
  out(): string;
}

/**
 * Boot a guest that runs `command` in its shell, on a user network with NAT through `host_net`
 * (a FakeHostNet by default) — behind a hub with `lossy` options if given — and let it get its
 * address by DHCP.
 */
export async function boot_slirp_guest(opts: { command: string; lossy?: Partial<HubNetemConfig>; host_net?: HostNet; world?: World }): Promise<SlirpGuest> {
  const world = opts.world ?? new World();
  const host = new FakeHostNet(world.clock);
  const user = new UserNet(world.clock, {}, hosts_resolver(), opts.host_net ?? host);
  const hub = opts.lossy !== undefined ? new Hub("hub0", { clock: world.clock, ...opts.lossy }) : null;
  const tm = boot_test_machine({
    world,
    mem_size: 64 << 20,
    cmdline: "quiet ip=dhcp",
    setup: (m) => {
      const nic = new E1000(m.clock, { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56), name: "e1000.0" });
      m.pci.plug(nic, 3);
      if (hub === null) net_connect(user, nic);
      else {
        net_connect(hub.port(), user);
        net_connect(hub.port(), nic);
      }
    },
    boot: {
      initcalls: [serial8250_init],
      modules: MODULES,
      default_modules: ["e1000", "inet"],
      late_initcalls: [ip_auto_config],
      programs: new Map([...PROGRAMS, ...TEST_PROGRAMS]),
      init_argv: ["init", "-c", opts.command],
    },
  });
  const g: SlirpGuest = {
    world,
    tm,
    user,
    host,
    hub,
    step: async (ns) => {
      await world.run({ for_ns: ns });
    },
    until: async (cond, max_ns = 60e9) => {
      await world.run({ until: cond, for_ns: max_ns });
      return cond();
    },
    out: () => tm.machine.console_output,
  };
  await g.until(() => user.leases.size > 0 && user.neigh_lookup(0x0a00020f) !== null, 5e9);
  expect(user.leases.size).toBe(1);
  await g.step(50e6); // the DHCP ACK reaches the guest, which takes its address
  return g;
}
