/**
 * The page's machine options, carried in its URL (`?nic=virtio-net-pci&mem=64M&seed=7`) so a
 * link reproduces the machine: same devices, same clock mode, same seed. Parsing never throws: a
 * value that is not understood becomes the default and a one-line warning for the page to show.
 */
import { DEFAULT_MEM_SIZE, MAX_MEM_SIZE, MIN_MEM_SIZE } from "../hw/machine.ts";
import { TRACE_CHANNELS } from "../hw/trace.ts";

export const WEB_NIC_MODELS = ["e1000", "virtio-net-pci"] as const;
export type WebNicModel = (typeof WEB_NIC_MODELS)[number];

/**
 * single: one machine on the built-in user network (DHCP, 10.0.2.2 is the gateway).
 * hub: two machines on an in-page hub, 10.0.0.1 and 10.0.0.2, each with its terminal.
 * relay: one machine whose wire is a WebSocket to `npm start -- --ws-relay PORT`.
 */
export const WEB_PRESETS = ["single", "hub", "relay"] as const;
export type WebPreset = (typeof WEB_PRESETS)[number];

export interface WebOptions {
  preset: WebPreset;
  nic: WebNicModel;
  mem_size: number;
  dma_coherent: boolean;
  clock: "realtime" | "virtual";
  /** Appended to the kernel command line as `seed=N`: the guest's random generators start from it. */
  seed: number;
  /** ws:// URL of the relay (preset relay). */
  relay: string;
  /** Trace channels switched on at boot. */
  trace: string[];
}

export const WEB_DEFAULTS: WebOptions = {
  preset: "single",
  nic: "e1000",
  mem_size: DEFAULT_MEM_SIZE,
  dma_coherent: true,
  clock: "realtime",
  seed: 1,
  relay: "ws://127.0.0.1:8765/",
  trace: [],
};

/** "64M", "1G", "65536" → bytes; NaN when malformed. */
export function parse_mem(v: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(v);
  if (m === null) return NaN;
  const mult = { "": 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 }[m[2]!.toUpperCase() as "" | "K" | "M" | "G"];
  return Number(m[1]) * mult;
}

export function mem_text(n: number): string {
  return n % (1 << 30) === 0 ? `${n / (1 << 30)}G` : n % (1 << 20) === 0 ? `${n / (1 << 20)}M` : `${n / 1024}K`;
}

/** A seed as the URL and the seed field take it: an integer 0..2^32-1, or null. */
export function parse_seed(v: string): number | null {
  return /^\d{1,10}$/.test(v) && Number(v) <= 0xffffffff ? Number(v) : null;
}

/** Options from a URL query string; warnings name each value that was not understood. */
export function parse_web_options(search: string): { opts: WebOptions; warnings: string[] } {
  const q = new URLSearchParams(search);
  const opts: WebOptions = { ...WEB_DEFAULTS, trace: [] };
  const warnings: string[] = [];
  const pick = <T extends string>(key: string, allowed: readonly T[], set: (v: T) => void): void => {
    const v = q.get(key);
    if (v === null) return;
    if ((allowed as readonly string[]).includes(v)) set(v as T);
    else warnings.push(`${key}=${v}: expected ${allowed.join(" or ")}`);
  };
  pick("preset", WEB_PRESETS, (v) => (opts.preset = v));
  pick("nic", WEB_NIC_MODELS, (v) => (opts.nic = v));
  pick("dma-coherent", ["on", "off"] as const, (v) => (opts.dma_coherent = v === "on"));
  pick("clock", ["realtime", "virtual"] as const, (v) => (opts.clock = v));
  const mem = q.get("mem");
  if (mem !== null) {
    const n = parse_mem(mem);
    if (Number.isInteger(n) && n % 4096 === 0 && n >= MIN_MEM_SIZE && n <= MAX_MEM_SIZE) opts.mem_size = n;
    else warnings.push(`mem=${mem}: expected a size between ${MIN_MEM_SIZE >> 20}M and ${MAX_MEM_SIZE >> 20}M`);
  }
  const seed = q.get("seed");
  if (seed !== null) {
    const n = parse_seed(seed);
    if (n !== null) opts.seed = n;
    else warnings.push(`seed=${seed}: expected an integer 0-4294967295`);
  }
  const relay = q.get("relay");
  if (relay !== null) {
    if (/^wss?:\/\/[^\s]+$/.test(relay)) opts.relay = relay;
    else warnings.push(`relay=${relay}: expected a ws:// or wss:// URL`);
  }
  const trace = q.get("trace");
  if (trace !== null && trace !== "") {
    for (const ch of trace.split(",")) {
      if ((TRACE_CHANNELS as readonly string[]).includes(ch)) opts.trace.push(ch);
      else warnings.push(`trace=${ch}: no such trace channel (${TRACE_CHANNELS.join(", ")})`);
    }
  }
  return { opts, warnings };
}

/** The query string for `opts`, leaving out what equals the default (short, stable links). */
export function web_options_query(opts: WebOptions): string {
  const q = new URLSearchParams();
  if (opts.preset !== WEB_DEFAULTS.preset) q.set("preset", opts.preset);
  if (opts.nic !== WEB_DEFAULTS.nic) q.set("nic", opts.nic);
  if (opts.mem_size !== WEB_DEFAULTS.mem_size) q.set("mem", mem_text(opts.mem_size));
  if (opts.dma_coherent !== WEB_DEFAULTS.dma_coherent) q.set("dma-coherent", opts.dma_coherent ? "on" : "off");
  if (opts.clock !== WEB_DEFAULTS.clock) q.set("clock", opts.clock);
  if (opts.seed !== WEB_DEFAULTS.seed) q.set("seed", String(opts.seed));
  if (opts.preset === "relay" && opts.relay !== WEB_DEFAULTS.relay) q.set("relay", opts.relay);
  if (opts.trace.length > 0) q.set("trace", opts.trace.join(","));
  const s = q.toString();
  return s === "" ? "" : `?${s}`;
}
