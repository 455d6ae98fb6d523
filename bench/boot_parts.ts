/**
 * Boot to the shell prompt, timed from outside (this process spawns `node boot/start.mjs --clock
 * virtual`, what `npm start` runs without npm itself) and broken into parts by when the console
 * lines arrive on the pipe (the console writes synchronously, so arrival ≈ printing):
 *  - Node start: `node -e "process.stdout.write('.')"`, spawn to its first byte on the pipe;
 *  - bundle load: `node boot/start.mjs --help` to its first byte minus Node start: the ES-module
 *    entry, the freshness check (~165 stats), compiling the bundle, reading its source map, running
 *    every module's top level and parsing the options, no machine. Functions compile lazily, on
 *    their first call, so most of the compiling is paid in the parts that follow;
 *  - machine build: from then to the first console line (World + RAM + devices, the kernel's early
 *    boot up to the serial console's registration, which replays the early log);
 *  - kernel boot: first console line to "NIC Link is Up" (PCI probe, modules, driver bring-up);
 *  - DHCP: link up to "IP-Config: Complete";
 *  - init + shell: from there to the prompt.
 * Each part is the median over the rounds of its own interval; the total is the median of whole
 * boots, so the parts need not add up to it exactly.
 */
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { median, type Figure } from "./figure.ts";

const ROOT = join(import.meta.dirname, "..");
const ENTRY = join(ROOT, "boot", "start.mjs");
const BUNDLE = join(ROOT, "node_modules", ".cache", "ringzero", "ringzero.mjs");
const MARKS = ["ringzero version", "NIC Link is Up", "IP-Config: Complete", "ringzero:/# "] as const;

/** ms from spawn to the child's first byte on stdout (so that process exit is not counted). */
function run_until_output(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let t = -1;
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "ignore"] });
    child.stdout.on("data", () => {
      if (t < 0) t = performance.now() - t0;
    });
    child.on("error", reject);
    child.on("close", () => (t < 0 ? reject(new Error(`no output from node ${args.join(" ")}`)) : resolve(t)));
  });
}

/** ms from spawn to each of MARKS (-1 when it never came). */
function boot_marks(): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [ENTRY, "--clock", "virtual"], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    const at = MARKS.map(() => -1);
    child.stdout.on("data", (d: Buffer) => {
      const now = performance.now() - t0;
      out += d.toString();
      MARKS.forEach((m, i) => {
        if (at[i]! < 0 && out.includes(m)) at[i] = now;
      });
      if (at[3]! >= 0 && !child.stdin.writableEnded) child.stdin.end("poweroff\n");
    });
    child.on("error", reject);
    child.on("close", () => (at[3]! < 0 ? reject(new Error("no prompt")) : resolve(at)));
  });
}

export async function bench_boot(figures: Figure[], rounds: number): Promise<void> {
  await boot_marks(); // builds the bundle if a source changed
  const node: number[] = [];
  const help: number[] = [];
  const marks: number[][] = [];
  for (let i = 0; i < rounds; i++) {
    node.push(await run_until_output(["-e", "process.stdout.write('.')"]));
    help.push(await run_until_output([ENTRY, "--help"]));
    marks.push(await boot_marks());
  }
  const node_ms = median(node);
  const load_ms = Math.max(0, median(help) - node_ms);
  const part = (i: number): number => median(marks.map((m) => (m[i]! >= 0 && m[i - 1]! >= 0 ? m[i]! - m[i - 1]! : NaN)));
  const total = median(marks.map((m) => m[3]!));
  const build = median(marks.map((m, i) => m[0]! - help[i]!));
  const kb = (f: string): string => {
    try {
      return `${Math.round(statSync(f).size / 1024)} KB`;
    } catch {
      return "missing";
    }
  };
  figures.push({
    name: "boot to shell prompt (process start -> prompt)",
    value: total,
    unit: "ms",
    target: "<= 150 ms",
    met: total <= 150,
    note: "node boot/start.mjs --clock virtual, bundle cached, DHCP from the built-in user net; xv6 in QEMU (TCG) ~250 ms",
  });
  const parts: [string, number, string][] = [
    ["Node start", node_ms, "node -e \"process.stdout.write('.')\", spawn to first output"],
    ["bundle load", load_ms, `start.mjs --help to first output, minus Node start: freshness check + bundle import (bundle ${kb(BUNDLE)}, map ${kb(`${BUNDLE}.map`)})`],
    ["machine build + early kernel", build, "--help's first output -> first console line"],
    ["kernel boot", part(1), "first console line -> NIC link up (PCI probe, modules, driver)"],
    ["DHCP", part(2), "link up -> IP-Config: Complete (virtual clock, built-in user net)"],
    ["init + shell", part(3), "IP-Config -> prompt"],
  ];
  for (const [name, ms, note] of parts) figures.push({ name: `  boot part: ${name}`, value: ms, unit: "ms", note });
}
