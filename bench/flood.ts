/**
 * An ICMP echo flooder that speaks QEMU's `-netdev stream` framing: each Ethernet frame (no FCS) is
 * preceded by its length as a 4-byte big-endian integer (QEMU net/stream.c). The flooder is the
 * SERVER end of the stream; the guest's NIC connects to it as the client. It resolves the guest's
 * MAC with ARP, keeps WINDOW echo requests outstanding for SECONDS (a new one for each reply, the
 * window refilled if nothing comes back for 200 ms), counts echo replies per second, then measures
 * the sequential echo RTT: COUNT requests, one at a time, each sent when the previous reply arrives.
 * It also answers ARP requests for its own address, so the guest can resolve it.
 *
 *   npx tsx bench/flood.ts --unix /tmp/flood.sock [--tcp 127.0.0.1:5555] [--guest 10.0.9.1]
 *        [--ip 10.0.9.2] [--window 32] [--seconds 10] [--count 1000] [--payload 56] [--json]
 *
 * Against ringzero (start the flooder first; it waits for the connection):
 *   npm start -- -nodefaults -netdev stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/flood.sock \
 *       -device e1000,netdev=n0 --ip 10.0.9.1/24
 *
 * Against a QEMU guest (Linux, address 10.0.9.1/24 on the e1000, e.g. `ip addr add 10.0.9.1/24 dev
 * eth0; ip link set eth0 up`):
 *   qemu-system-x86_64 ... -netdev stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/flood.sock \
 *       -device e1000,netdev=n0
 * or over TCP: `--tcp 127.0.0.1:5555` here and `addr.type=inet,addr.host=127.0.0.1,addr.port=5555`
 * there.
 *
 * Output: a line per second of the flood (replies in that second), then a summary; with --json a
 * single JSON object { replies_per_s, per_second, sent, received, rtt: { min, avg, max, mdev, n } }
 * (RTT in milliseconds, measured here, i.e. including both socket hops).
 */
import { createServer, type Server, type Socket } from "node:net";
import { existsSync, unlinkSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { ip_compute_csum } from "../lib/inet_checksum.ts";
import { inet_aton } from "../include/uapi/in.ts";

function parse_ip(s: string): number {
  const a = inet_aton(s);
  if (a === null) throw new Error(`bad IPv4 address '${s}'`);
  return a;
}

export interface FloodOptions {
  unix?: string;
  tcp?: { host: string; port: number };
  guest: string;
  ip: string;
  window: number;
  seconds: number;
  count: number;
  payload: number;
  /** Give up if the guest has not connected and answered ARP within this many ms. */
  connect_timeout_ms: number;
  log?: (line: string) => void;
}

export interface FloodResult {
  replies_per_s: number;
  per_second: number[];
  sent: number;
  received: number;
  rtt: { min: number; avg: number; max: number; mdev: number; n: number };
}

const FLOODER_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0xfe, 0xed, 0x01);
const ICMP_ID = 0x7a7a;

/** The ARP frame (request or reply) with its 4-byte stream length prefix. */
function arp_record(op: 1 | 2, sha: Uint8Array, spa: number, tha: Uint8Array, tpa: number, dst: Uint8Array): Buffer {
  const f = Buffer.alloc(4 + 42);
  f.writeUInt32BE(42, 0);
  f.set(dst, 4);
  f.set(sha, 10);
  f.writeUInt16BE(0x0806, 16);
  f.writeUInt16BE(1, 18);
  f.writeUInt16BE(0x0800, 20);
  f[22] = 6;
  f[23] = 4;
  f.writeUInt16BE(op, 24);
  f.set(sha, 26);
  f.writeUInt32BE(spa, 32);
  f.set(tha, 36);
  f.writeUInt32BE(tpa, 42);
  return f;
}

export function flood(o: FloodOptions): Promise<FloodResult> {
  const log = o.log ?? (() => {});
  const me = parse_ip(o.ip);
  const guest = parse_ip(o.guest);
  const frame_len = 14 + 20 + 8 + o.payload;
  // One echo request template; id/seq and both checksums are patched per send.
  const echo = Buffer.alloc(4 + frame_len);
  echo.writeUInt32BE(frame_len, 0);
  echo.set(FLOODER_MAC, 10);
  echo.writeUInt16BE(0x0800, 16);
  echo[18] = 0x45;
  echo.writeUInt16BE(20 + 8 + o.payload, 20);
  echo[26] = 64;
  echo[27] = 1;
  echo.writeUInt32BE(me, 30);
  echo.writeUInt32BE(guest, 34);
  echo.writeUInt16BE(ip_compute_csum(echo, 18, 20), 28);
  echo[38] = 8;
  echo.writeUInt16BE(ICMP_ID, 42);
  for (let i = 0; i < o.payload; i++) echo[46 + i] = i & 0xff;

  return new Promise((resolve, reject) => {
    let server: Server;
    let sock: Socket | null = null;
    let guest_mac: Uint8Array | null = null;
    let seq = 0;
    const sent_at = new Float64Array(65536);
    let phase: "arp" | "flood" | "rtt" | "done" = "arp";
    let outstanding = 0;
    let sent = 0;
    let received = 0;
    let last_reply = 0;
    const per_second: number[] = [];
    let this_second = 0;
    const rtts: number[] = [];
    const timers: NodeJS.Timeout[] = [];
    let rx: Buffer = Buffer.alloc(0);

    const finish = (err: Error | null): void => {
      if (phase === "done") return;
      phase = "done";
      for (const t of timers) clearInterval(t);
      sock?.destroy();
      server.close();
      if (o.unix !== undefined && existsSync(o.unix)) unlinkSync(o.unix);
      if (err !== null) return reject(err);
      const n = rtts.length;
      const avg = n > 0 ? rtts.reduce((a, b) => a + b, 0) / n : NaN;
      const mdev = n > 0 ? Math.sqrt(rtts.reduce((a, b) => a + (b - avg) * (b - avg), 0) / n) : NaN;
      resolve({
        replies_per_s: per_second.length > 0 ? per_second.reduce((a, b) => a + b, 0) / per_second.length : 0,
        per_second,
        sent,
        received,
        rtt: { min: n > 0 ? Math.min(...rtts) : NaN, avg, max: n > 0 ? Math.max(...rtts) : NaN, mdev, n },
      });
    };

    const send_echo = (): void => {
      if (sock === null || guest_mac === null) return;
      seq = (seq + 1) & 0xffff;
      echo.set(guest_mac, 4);
      echo.writeUInt16BE(seq, 44);
      echo.writeUInt16BE(0, 40);
      echo.writeUInt16BE(ip_compute_csum(echo, 38, 8 + o.payload), 40);
      sent_at[seq] = performance.now();
      sent++;
      outstanding++;
      sock.write(Buffer.from(echo)); // a copy: the socket may still hold the previous one
    };

    const start_rtt = (): void => {
      phase = "rtt";
      outstanding = 0;
      log(`sequential RTT: ${o.count} echo requests, one at a time`);
      send_echo();
      // A lost request would stall the sequence: resend after 200 ms of silence.
      timers.push(setInterval(() => {
        if (phase === "rtt" && performance.now() - last_reply > 200) send_echo();
      }, 200));
    };

    const start_flood = (): void => {
      phase = "flood";
      log(`guest ${o.guest} is at ${[...guest_mac!].map((b) => b.toString(16).padStart(2, "0")).join(":")}; flooding with a window of ${o.window} for ${o.seconds} s`);
      last_reply = performance.now();
      for (let i = 0; i < o.window; i++) send_echo();
      timers.push(setInterval(() => {
        per_second.push(this_second);
        log(`  ${per_second.length} s: ${this_second} replies`);
        this_second = 0;
        if (per_second.length >= o.seconds) {
          clearInterval(timers.pop()!);
          clearInterval(timers.pop()!);
          start_rtt();
        }
      }, 1000));
      // Requests (or replies) lost on the way: refill the window after 200 ms without a reply.
      timers.push(setInterval(() => {
        if (phase !== "flood" || performance.now() - last_reply < 200) return;
        outstanding = 0;
        for (let i = 0; i < o.window; i++) send_echo();
      }, 200));
    };

    const on_frame = (f: Buffer): void => {
      if (f.length < 14) return;
      const type = f.readUInt16BE(12);
      if (type === 0x0806 && f.length >= 42) {
        const op = f.readUInt16BE(20);
        const spa = f.readUInt32BE(28);
        const tpa = f.readUInt32BE(38);
        if (op === 1 && tpa === me) sock?.write(arp_record(2, FLOODER_MAC, me, f.subarray(22, 28), spa, f.subarray(6, 12)));
        if (op === 2 && spa === guest && guest_mac === null) {
          guest_mac = Uint8Array.from(f.subarray(22, 28));
          clearInterval(timers.pop()!);
          start_flood();
        }
        return;
      }
      // IPv4 ICMP echo reply from the guest to us, with our id.
      if (type !== 0x0800 || f.length < 42 || f[23] !== 1) return;
      const ihl = (f[14]! & 0x0f) * 4;
      const icmp = 14 + ihl;
      if (f.readUInt32BE(26) !== guest || f.readUInt32BE(30) !== me || f[icmp] !== 0 || f.readUInt16BE(icmp + 4) !== ICMP_ID) return;
      const s = f.readUInt16BE(icmp + 6);
      const now = performance.now();
      received++;
      last_reply = now;
      if (outstanding > 0) outstanding--;
      if (phase === "flood") {
        this_second++;
        while (outstanding < o.window) send_echo();
      } else if (phase === "rtt" && s === seq) {
        rtts.push(now - sent_at[s]!);
        if (rtts.length >= o.count) finish(null);
        else send_echo();
      }
    };

    const on_data = (d: Buffer): void => {
      rx = rx.length === 0 ? d : Buffer.concat([rx, d]);
      let off = 0;
      while (rx.length - off >= 4) {
        const len = rx.readUInt32BE(off);
        if (len > 69632) return finish(new Error(`stream record of ${len} bytes: not QEMU stream framing`));
        if (rx.length - off - 4 < len) break;
        on_frame(rx.subarray(off + 4, off + 4 + len));
        off += 4 + len;
      }
      rx = off === rx.length ? Buffer.alloc(0) : rx.subarray(off);
    };

    server = createServer((s) => {
      if (sock !== null) return void s.destroy();
      sock = s;
      s.setNoDelay(true);
      log("guest connected; resolving its MAC with ARP");
      s.on("data", on_data);
      s.on("error", () => {});
      s.on("close", () => finish(phase === "rtt" && rtts.length > 0 ? null : new Error("the guest closed the connection")));
      const ask = (): void => {
        s.write(arp_record(1, FLOODER_MAC, me, new Uint8Array(6), guest, Uint8Array.of(255, 255, 255, 255, 255, 255)));
      };
      ask();
      timers.push(setInterval(ask, 100));
    });
    server.on("error", (e) => finish(e));
    const t_give_up = setTimeout(() => {
      if (phase === "arp") finish(new Error(`no ARP reply from ${o.guest} within ${o.connect_timeout_ms} ms`));
    }, o.connect_timeout_ms);
    t_give_up.unref();
    if (o.unix !== undefined) {
      if (existsSync(o.unix)) unlinkSync(o.unix);
      server.listen(o.unix, () => log(`listening on ${o.unix}`));
    } else if (o.tcp !== undefined) {
      server.listen(o.tcp.port, o.tcp.host, () => log(`listening on ${o.tcp!.host}:${o.tcp!.port}`));
    } else reject(new Error("give --unix PATH or --tcp HOST:PORT"));
  });
}

async function main(argv: string[]): Promise<void> {
  const o: FloodOptions = { guest: "10.0.9.1", ip: "10.0.9.2", window: 32, seconds: 10, count: 1000, payload: 56, connect_timeout_ms: 60_000 };
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === "--unix") o.unix = v();
    else if (a === "--tcp") {
      const m = /^(.*):(\d+)$/.exec(v());
      if (m === null) throw new Error("--tcp HOST:PORT");
      o.tcp = { host: m[1]!, port: Number(m[2]) };
    } else if (a === "--guest") o.guest = v();
    else if (a === "--ip") o.ip = v();
    else if (a === "--window") o.window = Number(v());
    else if (a === "--seconds") o.seconds = Number(v());
    else if (a === "--count") o.count = Number(v());
    else if (a === "--payload") o.payload = Number(v());
    else if (a === "--json") json = true;
    else throw new Error(`unknown option '${a}' (see the top of bench/flood.ts)`);
  }
  if (!json) o.log = (l) => console.log(l);
  const r = await flood(o);
  if (json) console.log(JSON.stringify(r));
  else {
    console.log(`${r.replies_per_s.toFixed(0)} echo replies/s over ${r.per_second.length} s (window ${o.window}); ${r.sent} sent, ${r.received} received in all`);
    console.log(`sequential rtt min/avg/max/mdev = ${r.rtt.min.toFixed(3)}/${r.rtt.avg.toFixed(3)}/${r.rtt.max.toFixed(3)}/${r.rtt.mdev.toFixed(3)} ms over ${r.rtt.n}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`flood: ${e.message}\n`);
    process.exit(1);
  });
}
