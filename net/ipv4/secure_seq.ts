/**
 * Initial sequence numbers and timestamp offsets that an off-path attacker cannot guess (RFC 6528;
 * Linux's net/core/secure_seq.c with its HalfSipHash): a keyed hash of the connection's addresses
 * and ports plus a clock. The key is per boot.
 */
import { this_kernel } from "../../kernel/kernel.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { tcp_net } from "./tcp_net.ts";

/** HalfSipHash-2-4 state, reused (the hash runs to completion on one CPU). */
const sip = new Uint32Array(4);

function rotl(x: number, b: number): number {
  return ((x << b) | (x >>> (32 - b))) >>> 0;
}

function sipround(): void {
  const v = sip;
  v[0] = v[0]! + v[1]!;
  v[1] = rotl(v[1]!, 5) ^ v[0]!;
  v[0] = rotl(v[0]!, 16);
  v[2] = v[2]! + v[3]!;
  v[3] = rotl(v[3]!, 8) ^ v[2]!;
  v[0] = v[0]! + v[3]!;
  v[3] = rotl(v[3]!, 7) ^ v[0]!;
  v[2] = v[2]! + v[1]!;
  v[1] = rotl(v[1]!, 13) ^ v[2]!;
  v[2] = rotl(v[2]!, 16);
}

function sip_word(m: number): void {
  sip[3] = sip[3]! ^ m;
  sipround();
  sipround();
  sip[0] = sip[0]! ^ m;
}

/** hsiphash_3u32(): HalfSipHash-2-4 of three words under a 64-bit key (Linux's hsiphash on 32-bit machines). */
function hsiphash_3u32(a: number, b: number, c: number, k0: number, k1: number): number {
  sip[0] = k0;
  sip[1] = k1;
  sip[2] = 0x6c796765 ^ k0;
  sip[3] = 0x74656462 ^ k1;
  sip_word(a);
  sip_word(b);
  sip_word(c);
  const last = (12 << 24) >>> 0;
  sip[3] = sip[3]! ^ last;
  sipround();
  sipround();
  sip[0] = sip[0]! ^ last;
  sip[2] = sip[2]! ^ 0xff;
  for (let i = 0; i < 4; i++) sipround();
  return (sip[1]! ^ sip[3]!) >>> 0;
}

/**
 * net_secret_init(): the per-boot key. Linux draws it from the entropy pool; here a seeded
 * generator (xorshift32) seeded from the boot command line, so a given machine's ISNs replay
 * exactly and two machines with different command lines differ.
 */
export function net_secret_init(): void {
  const key = tcp_net.get().secret;
  let h = 0x811c9dc5;
  for (const ch of this_kernel().platform.firmware.cmdline) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  let x = h || 0x2545f491;
  for (let i = 0; i < key.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    key[i] = x >>> 0;
  }
}

/**
 * secure_tcp_seq(): RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, key), F a
 * keyed hash (HalfSipHash) and M a timer ticking every 4 µs (RFC 9293 §3.4.1's clock; Linux uses
 * 64 ns).
 */
export function secure_tcp_seq(saddr: number, daddr: number, sport: number, dport: number): number {
  const k = tcp_net.get().secret;
  return (hsiphash_3u32(saddr, daddr, ((sport << 16) | dport) >>> 0, k[0]!, k[1]!) + Math.floor(ktime_get_ns() / 4000)) >>> 0;
}

/** secure_tcp_ts_off(): the per-pair offset of our timestamp clock (RFC 7323 §7.1). */
export function secure_tcp_ts_off(saddr: number, daddr: number): number {
  const k = tcp_net.get().secret;
  return hsiphash_3u32(saddr, daddr, 0, k[2]!, k[3]!);
}
