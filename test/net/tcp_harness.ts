/**
 * Two booted hosts for the TCP tests — 10.0.0.1 (x) and 10.0.0.2 (y) — on a (lossy, or clean) wire
 * that logs every TCP segment,
 * with helpers to run kernel-side socket code on either (as a kernel thread calling the socket layer
 * the system calls reach) and to read their TCP counters.
 */
import type { NetEndpoint } from "../../hw/net/net_endpoint.ts";
import { World } from "../../hw/world.ts";
import { AF_INET, type PollFd, SOCK_STREAM } from "../../include/uapi/in.ts";
import { get_current } from "../../kernel/sched/core.ts";
import { syscalls_for } from "../../kernel/syscalls.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { kthread_run } from "../../kernel/kthread.ts";
import { inet_control, type InetControl } from "../../kernel/net_control.ts";
import { tcp_sockets } from "../../net/ipv4/tcp_ipv4.ts";
import {
  type TcpSock,
} from "../../net/ipv4/tcp_sock.ts";
import { tcp_ext, tcp_mib, tcp_net, type TcpExtMib, type TcpMib } from "../../net/ipv4/tcp_net.ts";
import type { TestMachine } from "../helpers/boot.ts";
import { LossyWire, tcp_of_frame, type LossyWireOptions, type WireDir } from "../helpers/lossy_wire.ts";
import { boot_host } from "../helpers/net_machine.ts";

export const X_IP = 0x0a000001;
export const Y_IP = 0x0a000002;

/** A task's outcome: done, its value, or what it threw. */
export interface TaskResult<T> {
  done: boolean;
  value?: T;
  error?: unknown;
}

export interface Host {
  m: TestMachine;
  ip: number;
  /** Run `fn` with this host's kernel entered. */
  k<T>(fn: () => T): T;
  /** The socket layer (the system calls' InetControl) of this host. */
  ctl(): InetControl;
  /** Start `fn` as a kernel thread; its result appears in the returned object. */
  spawn<T>(fn: () => Promise<T>): TaskResult<T>;
  mib(): TcpMib;
  ext(): TcpExtMib;
  /** The host's TCP sockets (listeners, connections, TIME_WAIT). */
  socks(): TcpSock[];
  /** The descriptor owner for sockets made by tests (never exits). */
  readonly owner: { on_exit: (() => void)[] };
}

function host(m: TestMachine, ip: number): Host {
  const owner = { on_exit: [] as (() => void)[] };
  const k = <T>(fn: () => T): T => with_kernel(m.kernel, fn);
  return {
    m,
    ip,
    owner,
    k,
    ctl: () => {
      // Each call enters this host's kernel (a test runs between slices, outside any kernel).
      const c = k(() => inet_control()!);
      return new Proxy(c, {
        get: (t, prop) => {
          const v = (t as unknown as Record<string | symbol, unknown>)[prop];
          return typeof v === "function" ? (...a: unknown[]) => k(() => (v as (...x: unknown[]) => unknown).apply(t, a)) : v;
        },
      });
    },
    spawn<T>(fn: () => Promise<T>): TaskResult<T> {
      const r: TaskResult<T> = { done: false };
      k(() =>
        kthread_run(
          async () => {
            try {
              r.value = await fn();
            } catch (e) {
              r.error = e;
            }
            r.done = true;
          },
          null,
          "tcptest",
        ),
      );
      return r;
    },
    mib: () => k(() => tcp_mib()),
    ext: () => k(() => tcp_ext()),
    socks: () => k(() => tcp_sockets()),
  };
}

/** A TCP segment seen on the wire. */
export interface Seg {
  t: number;
  dir: WireDir;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  len: number;
  /** The TCP options' bytes. */
  opts: Uint8Array;
}

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

/** "SYN|ACK" for a segment's flags. */
export function flag_names(f: number): string {
  return ["FIN", "SYN", "RST", "PSH", "ACK"].filter((_, i) => f & (1 << i)).join("|");
}

/** The options of a segment as [kind, bytes after kind/len] pairs. */
export function parse_opts(o: Uint8Array): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  for (let i = 0; i < o.length; ) {
    const k = o[i]!;
    if (k === 0) break;
    if (k === 1) {
      i++;
      continue;
    }
    const len = o[i + 1]!;
    out.push([k, o.subarray(i + 2, i + len)]);
    i += len;
  }
  return out;
}

export interface Pair {
  world: World;
  x: Host;
  y: Host;
  /** The wire between them (without impairment unless `lossy` was given); `filter` may be set. */
  wire: LossyWire;
  /** Every TCP segment that entered the wire (before any impairment), oldest first. */
  segs: Seg[];
  /** Run the world for `ns` of virtual time. */
  step(ns?: number): Promise<void>;
  /** Run until `cond()` (or `max_ns`); returns cond(). */
  until(cond: () => boolean, max_ns?: number): Promise<boolean>;
}

/**
 * Boot x and y on a hub (or, with `lossy`, on a LossyWire) and let them come up. `sysctl` sets
 * net.ipv4.tcp_* values on both before anything runs.
 */
export async function tcp_pair(opts: { lossy?: LossyWireOptions; sysctl?: Partial<Record<string, number>>; cmd_x?: string; cmd_y?: string } = {}): Promise<Pair> {
  const world = new World();
  const wire = new LossyWire(world.clock, opts.lossy ?? {});
  const wx: NetEndpoint = wire.a;
  const wy: NetEndpoint = wire.b;
  const segs: Seg[] = [];
  wire.tap = (f, len, dir) => {
    const t = tcp_of_frame(f.subarray(0, len));
    if (t === null) return;
    const o = 14 + (f[14]! & 0x0f) * 4;
    segs.push({ t: world.clock.now_ns(), dir, sport: t.sport, dport: t.dport, seq: t.seq, ack: t.ack, flags: t.flags, window: t.window, len: t.payload, opts: f.slice(o + 20, o + t.hlen) });
  };
  const mx = boot_host(world, { wires: [wx], cmdline: "ip=10.0.0.1::::::off", command: opts.cmd_x ?? "sleep 1000000" });
  const my = boot_host(world, { wires: [wy], cmdline: "ip=10.0.0.2::::::off", command: opts.cmd_y ?? "sleep 1000000", base_mac: 0x70 });
  const x = host(mx, X_IP);
  const y = host(my, Y_IP);
  await world.run({ for_ns: 1e9 });
  if (opts.sysctl !== undefined) {
    for (const h of [x, y]) {
      h.k(() => {
        const s = tcp_net.get().sysctl as unknown as Record<string, number>;
        for (const [k, v] of Object.entries(opts.sysctl!)) s[k] = v!;
      });
    }
  }
  return {
    world,
    x,
    y,
    wire,
    segs,
    step: async (ns = 10e6) => {
      await world.run({ for_ns: ns });
    },
    until: async (cond, max_ns = 10e9) => {
      await world.run({ until: cond, for_ns: max_ns });
      return cond();
    },
  };
}

/** socket(AF_INET, SOCK_STREAM) on `h`, or throws. */
export function tcp_socket(h: Host, type = SOCK_STREAM): number {
  const fd = h.k(() => inet_control()!.socket(h.owner, AF_INET, type, 0));
  if (fd < 0) throw new Error(`socket: ${fd}`);
  return fd;
}

/** A listening socket on `port` of `h`. */
export function tcp_listen(h: Host, port: number, backlog = 16, before?: (fd: number) => void): number {
  const fd = tcp_socket(h);
  before?.(fd);
  const b = h.ctl().bind(fd, 0, port);
  if (b < 0) throw new Error(`bind: ${b}`);
  const l = h.ctl().listen(fd, backlog);
  if (l < 0) throw new Error(`listen: ${l}`);
  return fd;
}

/** Bytes 0..n-1 of a recognisable pattern. */
export function pattern(n: number, seed = 0): Uint8Array {
  const a = new Uint8Array(n);
  let x = (seed * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    a[i] = x >>> 24;
  }
  return a;
}

/** Read until `n` bytes or EOF/error; returns the bytes (and the final result code). */
export async function read_all(ctl: InetControl, fd: number, n = Infinity): Promise<{ data: Uint8Array; end: number }> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(65536);
  let end = 0;
  while (total < n) {
    const r = await ctl.recv(fd, buf.subarray(0, Math.min(buf.length, n - total)));
    if (r <= 0) {
      end = r;
      break;
    }
    chunks.push(buf.slice(0, r));
    total += r;
  }
  const data = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return { data, end };
}

/** An established connection x → y:port: the client's, the server's and the listener's descriptors. */
export async function connected(p: Pair, port = 5000, setup?: { before_listen?: (fd: number) => void; before_connect?: (fd: number) => void }): Promise<{ cfd: number; sfd: number; lfd: number }> {
  const lfd = tcp_listen(p.y, port, 16, setup?.before_listen);
  const cfd = tcp_socket(p.x);
  setup?.before_connect?.(cfd);
  const acc = p.y.spawn(() => p.y.ctl().accept(p.y.owner, lfd, 0));
  const con = p.x.spawn(() => p.x.ctl().connect(cfd, Y_IP, port));
  await p.until(() => acc.done && con.done, 5e9);
  if (con.value !== 0) throw new Error(`connect: ${String(con.value)} ${String(con.error)}`);
  if (typeof acc.value !== "object") throw new Error(`accept: ${String(acc.value)}`);
  return { cfd, sfd: acc.value.fd, lfd };
}

/** The states of `h`'s sockets on local port `port` (or all), as /proc/net/tcp numbers, ascending. */
export function states(h: Host, port?: number): number[] {
  return h
    .socks()
    .filter((s) => port === undefined || s.sport === port)
    .map((s) => s.state)
    .sort((a, b) => a - b);
}

/** Segments from x (dir "ab") or y ("ba") with a payload. */
export function data_segs(p: Pair, dir: WireDir): Seg[] {
  return p.segs.filter((s) => s.dir === dir && s.len > 0);
}

/** Byte-for-byte equality (vitest's deep equality is slow on megabytes). */
export function same_bytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/**
 * poll() through the system-call layer itself (kernel/syscalls.ts do_poll), for the calling kernel
 * thread of `h`. Call it inside h.spawn().
 */
export function syscalls_poll(h: Host, fds: PollFd[], timeout_ms: number): Promise<number> {
  return h.k(() => syscalls_for(get_current()!).poll(fds, timeout_ms));
}
