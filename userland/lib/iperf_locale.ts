/**
 * iperf3's output strings (src/iperf_locale.c), its number formatting (src/units.c unit_snprintf,
 * unit_atoi, unit_atof_rate) and the few printf conversions they need, rounded as glibc rounds
 * (to nearest, ties to even, on the exact binary value) so that the lines read as iperf3's do.
 */

export const IPERF_VERSION = "3.12";
/** PACKAGE_STRING: the "version" of -v and of the JSON output. */
export const IPERF_VERSION_STRING = `iperf ${IPERF_VERSION}`;

export const report_connecting = (host: string, port: number): string => `Connecting to host ${host}, port ${port}\n`;
export const report_reverse = (host: string): string => `Reverse mode, remote host ${host} is sending\n`;
export const report_accepted = (host: string, port: number): string => `Accepted connection from ${host}, port ${port}\n`;
export const report_cookie = (cookie: string): string => `      Cookie: ${cookie}\n`;
export const report_time = (time: string): string => `Time: ${time}\n`;
export const report_connected = (fd: number, lh: string, lp: number, rh: string, rp: number): string =>
  `[${fmt_d(fd, 3)}] local ${lh} port ${lp} connected to ${rh} port ${rp}\n`;
export const report_done = "iperf Done.\n";
export const report_omit_done = "Finished omit period, starting real test\n";
export const report_summary = "Test Complete. Summary Results:\n";
export const report_bw_separator = "- - - - - - - - - - - - - - - - - - - - - - - - -\n";
export const report_bw_header = "[ ID] Interval           Transfer     Bitrate\n";
export const report_bw_retrans_header = "[ ID] Interval           Transfer     Bitrate         Retr\n";
export const report_bw_retrans_cwnd_header = "[ ID] Interval           Transfer     Bitrate         Retr  Cwnd\n";
export const report_omitted = "(omitted)";
export const report_sender = "sender";
export const report_receiver = "receiver";
export const server_banner_rule = "-----------------------------------------------------------\n";

export const test_start_time = (proto: string, n: number, blksize: number, omit: number, duration: number, tos: number): string =>
  `Starting Test: protocol: ${proto}, ${n} streams, ${blksize} byte blocks, omitting ${omit} seconds, ${duration} second test, tos ${tos}\n`;
export const test_start_bytes = (proto: string, n: number, blksize: number, omit: number, bytes: number, tos: number): string =>
  `Starting Test: protocol: ${proto}, ${n} streams, ${blksize} byte blocks, omitting ${omit} seconds, ${bytes} bytes to send, tos ${tos}\n`;
export const test_start_blocks = (proto: string, n: number, blksize: number, omit: number, blocks: number, tos: number): string =>
  `Starting Test: protocol: ${proto}, ${n} streams, ${blksize} byte blocks, omitting ${omit} seconds, ${blocks} blocks to send, tos ${tos}\n`;

/** "[%3d]%s %6.2f-%-6.2f sec  %ss  %ss/sec                  %s\n" (report_bw_format; "[SUM]" for the sum). */
export function report_bw_format(id: string, role: string, st: number, et: number, xfer: string, rate: string, tail: string): string {
  return `[${id}]${role} ${fmt_f(st, 2, 6)}-${fmt_f(et, 2, 6, true)} sec  ${xfer}s  ${rate}s/sec                  ${tail}\n`;
}

/** "[%3d]%s %6.2f-%-6.2f sec  %ss  %ss/sec  %3u             %s\n" (report_bw_retrans_format and the SUM one). */
export function report_bw_retrans_format(id: string, role: string, st: number, et: number, xfer: string, rate: string, retr: number, tail: string): string {
  return `[${id}]${role} ${fmt_f(st, 2, 6)}-${fmt_f(et, 2, 6, true)} sec  ${xfer}s  ${rate}s/sec  ${fmt_d(retr, 3)}             ${tail}\n`;
}

/** The "[%3d]" of a stream: its socket descriptor, as iperf3 prints it. */
export function stream_tag(fd: number): string {
  return fmt_d(fd, 3);
}

export const report_cpu = (ls: string, lt: number, lu: number, lsys: number, rs: string, rt: number, ru: number, rsys: number): string =>
  `CPU Utilization: local/${ls} ${fmt_f(lt, 1)}% (${fmt_f(lu, 1)}%u/${fmt_f(lsys, 1)}%s), remote/${rs} ${fmt_f(rt, 1)}% (${fmt_f(ru, 1)}%u/${fmt_f(rsys, 1)}%s)\n`;

/** %d with a minimum width (right-aligned). */
export function fmt_d(n: number, width = 0): string {
  return String(Math.trunc(n)).padStart(width, " ");
}

const f64 = new DataView(new ArrayBuffer(8));

/**
 * %.<prec>f of `x`, exactly as glibc prints it: the double's exact value (mantissa × 2^exp),
 * rounded to `prec` decimals with ties to even. (toFixed rounds ties away from zero, which differs
 * on values such as 1.125 that byte counts divided by 1024 produce.) `width`/`left`: %6.2f, %-6.2f.
 */
export function fmt_f(x: number, prec: number, width = 0, left = false): string {
  let s: string;
  if (Number.isNaN(x)) s = "nan";
  else if (!Number.isFinite(x)) s = x < 0 ? "-inf" : "inf";
  else {
    const neg = x < 0 || Object.is(x, -0);
    f64.setFloat64(0, Math.abs(x));
    const hi = f64.getUint32(0);
    const lo = f64.getUint32(4);
    const exp_bits = (hi >>> 20) & 0x7ff;
    let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
    let e: number;
    if (exp_bits === 0) e = -1074;
    else {
      mant |= 1n << 52n;
      e = exp_bits - 1075;
    }
    const scale = 10n ** BigInt(prec);
    let n: bigint;
    if (e >= 0) n = (mant << BigInt(e)) * scale;
    else {
      const num = mant * scale;
      const sh = BigInt(-e);
      let q = num >> sh;
      const twice_r = (num - (q << sh)) << 1n;
      const den = 1n << sh;
      if (twice_r > den || (twice_r === den && (q & 1n) === 1n)) q += 1n;
      n = q;
    }
    let digits = n.toString();
    if (prec > 0) {
      digits = digits.padStart(prec + 1, "0");
      digits = `${digits.slice(0, -prec)}.${digits.slice(-prec)}`;
    }
    s = neg ? `-${digits}` : digits;
  }
  return left ? s.padEnd(width, " ") : s.padStart(width, " ");
}

/** %1.<prec>g: shortest of %e/%f style with `prec` significant digits, trailing zeros removed. */
export function fmt_g(x: number, prec: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const e_form = x.toExponential(prec - 1);
  const [mant, exp_text] = e_form.split("e") as [string, string];
  const ex = Number(exp_text);
  const strip = (t: string): string => (t.includes(".") ? t.replace(/0+$/, "").replace(/\.$/, "") : t);
  if (ex < -4 || ex >= prec) {
    const sign = ex < 0 ? "-" : "+";
    return `${strip(mant)}e${sign}${String(Math.abs(ex)).padStart(2, "0")}`;
  }
  return strip(x.toFixed(prec - 1 - ex));
}

const LABEL_BYTE = ["Byte", "KByte", "MByte", "GByte", "TByte"];
const LABEL_BIT = ["bit", "Kbit", "Mbit", "Gbit", "Tbit"];

/**
 * unit_snprintf(): `n` bytes in format `fmt` — 'A' adaptive bytes (1024s), 'a' adaptive bits
 * (1000s), K/M/G/T bytes, k/m/g/t bits — as "#.## Unit" fitting in four places. The caller
 * appends "s" ("MBytes", "Mbits/sec"), as iperf3's format strings do.
 */
export function unit_snprintf(n: number, fmt: string): string {
  const upper = fmt >= "A" && fmt <= "Z";
  let num = upper ? n : n * 8;
  let conv: number;
  switch (fmt.toUpperCase()) {
    case "B":
      conv = 0;
      break;
    case "K":
      conv = 1;
      break;
    case "M":
      conv = 2;
      break;
    case "G":
      conv = 3;
      break;
    case "T":
      conv = 4;
      break;
    default: {
      let t = num;
      conv = 0;
      const base = upper ? 1024 : 1000;
      while (t >= base && conv < 4) {
        t /= base;
        conv++;
      }
    }
  }
  // conversion_bytes[] / conversion_bits[]: the factor is 1/1024^conv (1/1000^conv), computed as C does.
  let factor = 1;
  for (let i = 0; i < conv; i++) factor = factor / (upper ? 1024 : 1000);
  num *= factor;
  const label = (upper ? LABEL_BYTE : LABEL_BIT)[conv]!;
  const prec = num < 9.995 ? 2 : num < 99.95 ? 1 : 0;
  return `${fmt_f(num, prec, 4)} ${label}`;
}

/** strtod()'s prefix of `s` (what sscanf "%lf" takes), or NaN; and the character after it. */
function scan_double(s: string): { n: number; suffix: string } {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(.?)/.exec(s);
  if (m === null) return { n: NaN, suffix: "" };
  return { n: Number(m[1]), suffix: m[2] ?? "" };
}

/** unit_atoi(): "#[KMGT]" with 1024-based suffixes → a byte count; null when `s` is not a number. */
export function unit_atoi(s: string): number | null {
  const { n, suffix } = scan_double(s);
  if (Number.isNaN(n)) return null;
  const mult: Record<string, number> = { t: 1024 ** 4, g: 1024 ** 3, m: 1024 ** 2, k: 1024 };
  return Math.trunc(n * (mult[suffix.toLowerCase()] ?? 1));
}

/** unit_atof_rate(): "#[KMGT]" with 1000-based suffixes → bits per second; null when not a number. */
export function unit_atof_rate(s: string): number | null {
  const { n, suffix } = scan_double(s);
  if (Number.isNaN(n)) return null;
  const mult: Record<string, number> = { t: 1e12, g: 1e9, m: 1e6, k: 1e3 };
  return n * (mult[suffix.toLowerCase()] ?? 1);
}

/** atoi(): the leading integer of `s` (0 when there is none), as iperf3 reads -p, -t, -P, -O. */
export function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number(m[1]);
}

/** atof(). */
export function atof(s: string): number {
  const { n } = scan_double(s);
  return Number.isNaN(n) ? 0 : n;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** strftime("%a, %d %b %Y %H:%M:%S %Z", gmtime(secs)): the "Time:" line and JSON timestamp. */
export function rfc1123_time(secs: number): string {
  const d = new Date(secs * 1000);
  const p2 = (n: number): string => String(n).padStart(2, "0");
  return `${DAYS[d.getUTCDay()]!}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]!} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} GMT`;
}
