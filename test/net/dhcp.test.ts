/**
 * The DHCP client against a scripted server on the wire: replies sent as passt sends them (unicast
 * to the offered address and our MAC, before we have any address), INIT-REBOOT when `dhclient` runs
 * with a lease held (ACK, NAK, silence), and the lease timer: RENEWING at T1 (unicast), REBINDING at
 * T2 (broadcast), expiry, a NAK on renewal. Deterministic, on the virtual clock.
 */
import { describe, expect, it } from "vitest";
import { csum_fold, csum_partial, csum_tcpudp_nofold } from "../../lib/inet_checksum.ts";
import { ClockEvent, type VirtualClock } from "../../hw/clock.ts";
import type { NetEndpoint } from "../../hw/net/net_endpoint.ts";
import { World } from "../../hw/world.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { snmp } from "../../net/ipv4/snmp.ts";
import { boot_host } from "../helpers/net_machine.ts";

const SERVER_IP = 0x0a000202;
const SERVER_MAC = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);
const BCAST_MAC = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

const ip = (a: number) => `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
const view = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset, f.byteLength);

/** What the server saw of one client message. */
interface Seen {
  at_s: number;
  type: number;
  eth_dst: string;
  ip_src: string;
  ip_dst: string;
  ciaddr: string;
  requested?: string;
  server_id?: string;
  broadcast_flag: boolean;
}

type Verdict = "ack" | "nak" | "ignore";

/**
 * A DHCP server on the wire (and ARP and ping for its address). `passt: true` sends every reply unicast to
 * the client's MAC and the offered address, whatever the broadcast flag says — what passt does;
 * otherwise replies go as RFC 2131 4.1 says. `on_request` decides each REQUEST; `offer` picks the
 * address offered. Replies leave 10 µs later, never inside the NIC's transmit call.
 */
class DhcpServer implements NetEndpoint {
  peer: NetEndpoint | null = null;
  readonly seen: Seen[] = [];
  passt = true;
  lease_s = 3600;
  offer = 0x0a00020f;
  on_request: (s: Seen) => Verdict = (s) => (s.requested === ip(this.offer) || s.ciaddr === ip(this.offer) ? "ack" : "nak");
  private readonly out: Uint8Array[] = [];
  private readonly ev: ClockEvent;
  private readonly clock: VirtualClock;

  constructor(clock: VirtualClock) {
    this.clock = clock;
    this.ev = new ClockEvent("dhcp-server", () => {
      for (const f of this.out.splice(0)) this.peer?.receive_frame(f, f.length);
    });
  }

  private send(f: Uint8Array): void {
    this.out.push(f);
    if (!this.ev.armed) this.clock.arm_in(this.ev, 10_000);
  }

  receive_frame(f: Uint8Array, len: number): void {
    const v = view(f);
    if (len >= 42 && v.getUint16(12) === 0x0806 && v.getUint16(20) === 1 && v.getUint32(38) === SERVER_IP) {
      const r = new Uint8Array(60);
      const rv = view(r);
      r.set(f.subarray(6, 12), 0);
      r.set(SERVER_MAC, 6);
      rv.setUint16(12, 0x0806);
      rv.setUint16(14, 1);
      rv.setUint16(16, 0x0800);
      r[18] = 6;
      r[19] = 4;
      rv.setUint16(20, 2);
      r.set(SERVER_MAC, 22);
      rv.setUint32(28, SERVER_IP);
      r.set(f.subarray(22, 32), 32);
      this.send(r);
      return;
    }
    if (len >= 42 && v.getUint16(12) === 0x0800 && f[23] === 1 && v.getUint32(30) === SERVER_IP && f[34] === 8) {
      // An echo request (unfragmented, no options): the same message back as a reply.
      const r = f.slice(0, 14 + v.getUint16(16));
      const rv = view(r);
      r.set(f.subarray(6, 12), 0);
      r.set(SERVER_MAC, 6);
      rv.setUint32(26, SERVER_IP);
      rv.setUint32(30, v.getUint32(26));
      rv.setUint16(24, 0);
      rv.setUint16(24, csum_fold(csum_partial(r, 14, 20)));
      r[34] = 0;
      rv.setUint16(36, 0);
      rv.setUint16(36, csum_fold(csum_partial(r, 34, r.length - 34)));
      this.send(r);
      return;
    }
    if (len < 42 + 240 || v.getUint16(12) !== 0x0800 || f[23] !== 17 || v.getUint16(36) !== 67) return;
    const b = f.subarray(42, len);
    const bv = view(b);
    let type = 0;
    let requested: number | undefined;
    let server_id: number | undefined;
    for (let o = 240; o < b.length && b[o] !== 255; ) {
      if (b[o] === 0) {
        o++;
        continue;
      }
      if (b[o] === 53) type = b[o + 2]!;
      if (b[o] === 50) requested = bv.getUint32(o + 2);
      if (b[o] === 54) server_id = bv.getUint32(o + 2);
      o += 2 + b[o + 1]!;
    }
    const s: Seen = {
      at_s: Math.round(this.clock.now_ns() / 1e8) / 10,
      type,
      eth_dst: [...f.subarray(0, 6)].map((x) => x.toString(16).padStart(2, "0")).join(":"),
      ip_src: ip(v.getUint32(26)),
      ip_dst: ip(v.getUint32(30)),
      ciaddr: ip(bv.getUint32(12)),
      broadcast_flag: (bv.getUint16(10) & 0x8000) !== 0,
      ...(requested !== undefined ? { requested: ip(requested) } : {}),
      ...(server_id !== undefined ? { server_id: ip(server_id) } : {}),
    };
    this.seen.push(s);
    if (type === 1) this.reply(b, 2, this.offer);
    else if (type === 3) {
      const verdict = this.on_request(s);
      if (verdict !== "ignore") this.reply(b, verdict === "ack" ? 5 : 6, verdict === "ack" ? (requested ?? bv.getUint32(12)) : 0);
    }
  }

  /** OFFER (2), ACK (5) or NAK (6) for the client message `req`. */
  private reply(req: Uint8Array, type: number, yiaddr: number): void {
    const m = new Uint8Array(300);
    const mv = view(m);
    m[0] = 2;
    m[1] = 1;
    m[2] = 6;
    m.set(req.subarray(4, 8), 4); // xid
    m.set(req.subarray(10, 12), 10); // flags
    const ciaddr = view(req).getUint32(12);
    mv.setUint32(12, ciaddr);
    mv.setUint32(16, yiaddr);
    mv.setUint32(20, SERVER_IP);
    m.set(req.subarray(28, 34), 28);
    mv.setUint32(236, 0x63825363);
    let o = 240;
    const opt = (code: number, val: number[]): void => {
      m[o++] = code;
      m[o++] = val.length;
      for (const x of val) m[o++] = x;
    };
    const b4 = (a: number) => [a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff];
    opt(53, [type]);
    opt(54, b4(SERVER_IP));
    if (type !== 6) {
      opt(51, b4(this.lease_s));
      opt(1, b4(0xffffff00));
      opt(3, b4(SERVER_IP));
      opt(6, b4(0x0a000203));
    }
    m[o++] = 255;
    // Where it goes: passt unicasts to the offered address; RFC 2131 4.1 otherwise.
    let dst: number;
    let mac: Uint8Array;
    if (this.passt && yiaddr !== 0) {
      dst = yiaddr;
      mac = req.subarray(28, 34);
    } else if (ciaddr !== 0) {
      dst = ciaddr;
      mac = req.subarray(28, 34);
    } else {
      dst = 0xffffffff;
      mac = BCAST_MAC;
    }
    const f = new Uint8Array(42 + m.length);
    const v = view(f);
    f.set(mac, 0);
    f.set(SERVER_MAC, 6);
    v.setUint16(12, 0x0800);
    f[14] = 0x45;
    v.setUint16(16, 28 + m.length);
    f[22] = 64;
    f[23] = 17;
    v.setUint32(26, SERVER_IP);
    v.setUint32(30, dst);
    v.setUint16(24, csum_fold(csum_partial(f, 14, 20)));
    v.setUint16(34, 67);
    v.setUint16(36, 68);
    v.setUint16(38, 8 + m.length);
    f.set(m, 42);
    const c = csum_fold(csum_partial(f, 34, 8 + m.length, csum_tcpudp_nofold(SERVER_IP, dst, 8 + m.length, 17)));
    v.setUint16(40, c === 0 ? 0xffff : c);
    this.send(f);
  }
}

async function run(world: World, h: ReturnType<typeof boot_host>, max_ns: number): Promise<void> {
  await world.run({ until: () => h.machine.powered_off, for_ns: max_ns });
  expect(h.machine.powered_off, `did not finish:\n${h.machine.console_output}`).toBe(true);
}

const REQUEST = 3;
const DISCOVER = 1;

describe("DHCP replies sent as passt sends them", () => {
  it("an OFFER and ACK unicast to the offered address and our MAC are accepted: bound at boot, the server answers ping", async () => {
    const world = new World();
    const server = new DhcpServer(world.clock);
    const h = boot_host(world, { wires: [server], cmdline: "ip=dhcp", command: "ip addr show dev eth0; ping -c 1 10.0.2.2" });
    await run(world, h, 30e9);
    const out = h.machine.console_output;
    expect(out).toContain("inet 10.0.2.15/24");
    expect(out).toMatch(/1 packets transmitted, 1 received, 0% packet loss/);
    expect(h.dmesg()).toContain("IP-Config: Got DHCP answer from 10.0.2.2, my address is 10.0.2.15");
    // The client asked for broadcast replies; the server did not care.
    expect(server.seen.map((s) => [s.type, s.broadcast_flag])).toEqual([
      [DISCOVER, true],
      [REQUEST, true],
    ]);
    // IP itself still drops the two unicasts to an address it did not have, and counts them, as Linux's does.
    expect(with_kernel(h.kernel, () => snmp.get().Ip.InAddrErrors)).toBe(2);
  });

  it("dhclient eth0 gets the same lease by the same path", async () => {
    const world = new World();
    const server = new DhcpServer(world.clock);
    const h = boot_host(world, { wires: [server], cmdline: "", command: "dhclient eth0" });
    await run(world, h, 30e9);
    expect(h.machine.console_output).toContain("DHCPDISCOVER on eth0 to 255.255.255.255 port 67\nbound to 10.0.2.15\n");
  });
});

describe("dhclient with a lease held: INIT-REBOOT", () => {
  it("REQUESTs the address it holds (option 50, no server id, ciaddr 0, broadcast) instead of DISCOVER; the ACK keeps it", async () => {
    const world = new World();
    const server = new DhcpServer(world.clock);
    const h = boot_host(world, { wires: [server], cmdline: "ip=dhcp", command: "sleep 5; dhclient eth0; ip addr show dev eth0" });
    await run(world, h, 30e9);
    const out = h.machine.console_output;
    expect(out).toContain("DHCPREQUEST for 10.0.2.15 on eth0 to 255.255.255.255 port 67\nbound to 10.0.2.15\n");
    const after_boot = server.seen.filter((s) => s.at_s > 4);
    expect(after_boot).toEqual([{ at_s: after_boot[0]!.at_s, type: REQUEST, eth_dst: "ff:ff:ff:ff:ff:ff", ip_src: "0.0.0.0", ip_dst: "255.255.255.255", ciaddr: "0.0.0.0", requested: "10.0.2.15", broadcast_flag: true }]);
    expect(h.dmesg()).toMatch(/DHCP: eth0: lease of 10\.0\.2\.15 confirmed by 10\.0\.2\.2 \(INIT-REBOOT\)/);
  });

  it("a NAK takes the address away and the client starts over with DISCOVER (and gets another address)", async () => {
    const world = new World();
    const server = new DhcpServer(world.clock);
    const h = boot_host(world, { wires: [server], cmdline: "ip=dhcp", command: "sleep 5; dhclient eth0; ip addr show dev eth0" });
    await world.run({ for_ns: 3e9 });
    server.offer = 0x0a000220; // the server has forgotten us: 10.0.2.15 is refused, 10.0.2.32 offered
    await run(world, h, 30e9);
    const out = h.machine.console_output;
    expect(out).toContain("bound to 10.0.2.32\n");
    expect(out).not.toContain("10.0.2.15/24");
    expect(server.seen.filter((s) => s.at_s > 4).map((s) => [s.type, s.requested])).toEqual([
      [REQUEST, "10.0.2.15"],
      [DISCOVER, undefined],
      [REQUEST, "10.0.2.32"],
    ]);
    expect(h.dmesg()).toContain("DHCP: eth0: 10.0.2.15 refused (DHCPNAK); starting over");
  });

  it("no answer to the INIT-REBOOT REQUEST: DISCOVER after 3 s", async () => {
    const world = new World();
    const server = new DhcpServer(world.clock);
    const h = boot_host(world, { wires: [server], cmdline: "ip=dhcp", command: "sleep 5; dhclient eth0" });
    await world.run({ for_ns: 3e9 });
    server.on_request = (s) => (s.server_id === undefined ? "ignore" : "ack");
    await run(world, h, 30e9);
    const later = server.seen.filter((s) => s.at_s > 4);
    expect(later.map((s) => s.type)).toEqual([REQUEST, REQUEST, DISCOVER, REQUEST]);
    expect(later[2]!.at_s - later[0]!.at_s).toBeCloseTo(3, 1);
    expect(h.machine.console_output).toContain("bound to 10.0.2.15\n");
  });
});

describe("the lease timer", () => {
  it("RENEWING at T1: a REQUEST with ciaddr, unicast to the server (no option 50 or 54); the ACK renews", async () => {
    const world = new World();
    const server = new DhcpServer(world.clock);
    server.passt = false;
    server.lease_s = 100;
    const h = boot_host(world, { wires: [server], cmdline: "ip=dhcp", command: "sleep 60" });
    await run(world, h, 100e9);
    const renew = server.seen.filter((s) => s.at_s > 10);
    expect(renew.length).toBe(1);
    expect(renew[0]!.at_s).toBeGreaterThanOrEqual(50);
    expect(renew[0]!.at_s).toBeLessThan(51);
    expect(renew[0]).toEqual({ at_s: renew[0]!.at_s, type: REQUEST, eth_dst: "52:55:0a:00:02:02", ip_src: "10.0.2.15", ip_dst: "10.0.2.2", ciaddr: "10.0.2.15", broadcast_flag: false });
    expect(h.dmesg()).toContain("DHCP: eth0: lease of 10.0.2.15 renewed for 100 s");
  });

  it("an unanswered renewal is retried, then REBINDING at T2 broadcasts; its ACK keeps the address", async () => {
    const world = new World();
    const server = new DhcpServer(world.clock);
    server.passt = false;
    server.lease_s = 1000; // T1 500 s, T2 875 s
    const h = boot_host(world, { wires: [server], cmdline: "ip=dhcp", command: "sleep 900" });
    await world.run({ for_ns: 10e9 });
    server.on_request = (s) => (s.eth_dst === "ff:ff:ff:ff:ff:ff" ? "ack" : "ignore"); // the server only hears broadcasts
    await run(world, h, 1000e9);
    const later = server.seen.filter((s) => s.at_s > 10);
    // RENEWING: 3 tries (1, 2, 4 s apart) from T1 = 500 s, over at 507 s; then half the time left
    // to T2 (368 s → 184 s, in whole seconds rounded up), again (88 s), then at least 60 s, then
    // what is left: T2 = 875 s, REBINDING, broadcast.
    const unicast = later.filter((s) => s.eth_dst !== "ff:ff:ff:ff:ff:ff");
    const bcast = later.filter((s) => s.eth_dst === "ff:ff:ff:ff:ff:ff");
    expect(unicast.map((s) => Math.floor(s.at_s))).toEqual([500, 501, 503, 692, 693, 695, 788, 789, 791, 855, 856, 858]);
    expect(bcast.length).toBe(1);
    expect(bcast[0]).toEqual({ at_s: bcast[0]!.at_s, type: REQUEST, eth_dst: "ff:ff:ff:ff:ff:ff", ip_src: "10.0.2.15", ip_dst: "255.255.255.255", ciaddr: "10.0.2.15", broadcast_flag: false });
    expect(bcast[0]!.at_s).toBeGreaterThanOrEqual(875);
    expect(bcast[0]!.at_s).toBeLessThan(876.5);
    expect(h.dmesg()).toContain("DHCP: eth0: lease of 10.0.2.15 rebound for 1000 s");
    expect(h.machine.console_output).toBe("");
  });

  it("a lease nobody renews expires: the address goes and the client starts over with DISCOVER", async () => {
    const world = new World();
    const server = new DhcpServer(world.clock);
    server.passt = false;
    server.lease_s = 100;
    const h = boot_host(world, { wires: [server], cmdline: "ip=dhcp", command: "sleep 110; ip addr show dev eth0" });
    await world.run({ for_ns: 10e9 });
    server.on_request = () => "ignore";
    const offer_count = () => server.seen.filter((s) => s.type === DISCOVER).length;
    await world.run({ for_ns: 89e9 });
    expect(offer_count()).toBe(1);
    await run(world, h, 60e9);
    expect(h.dmesg()).toContain("DHCP: eth0: lease of 10.0.2.15 expired; starting over");
    expect(h.machine.console_output).not.toContain("10.0.2.15");
    expect(offer_count()).toBeGreaterThan(1);
  });

  it("a NAK on renewal drops the address and starts over", async () => {
    const world = new World();
    const server = new DhcpServer(world.clock);
    server.passt = false;
    server.lease_s = 100;
    const h = boot_host(world, { wires: [server], cmdline: "ip=dhcp", command: "sleep 60; ip addr show dev eth0" });
    await world.run({ for_ns: 10e9 });
    server.offer = 0x0a000221;
    await run(world, h, 100e9);
    expect(h.dmesg()).toContain("DHCP: eth0: 10.0.2.15 refused (DHCPNAK); starting over");
    expect(h.machine.console_output).toContain("inet 10.0.2.33/24");
    expect(h.machine.console_output).not.toContain("10.0.2.15");
  });
});
