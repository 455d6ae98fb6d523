/**
 * What the page's panels cost the machine: the state readers (web/state/) that run once per
 * animation frame, between slices of the run loop, timed on a booted e1000 machine after a ping,
 * as a share of a 60 Hz frame. The DOM writes are the browser's and are not measured here.
 */
import { World } from "../hw/world.ts";
import { net_connect } from "../hw/net/net_endpoint.ts";
import { UserNet } from "../hw/net/user_net.ts";
import { machine_nics, plug_device } from "../boot/board.ts";
import { boot_kernel } from "../boot/kernel_boot.ts";
import { ring_snapshot } from "../web/state/ring_state.ts";
import { irq_snapshot } from "../web/state/irq_state.ts";
import { mem_snapshot } from "../web/state/mem_state.ts";
import { pci_tree } from "../web/state/pci_state.ts";
import { ClockSampler } from "../web/state/clock_state.ts";
import { packet_capture_attach } from "../web/state/packet_capture.ts";
import type { WebMachine } from "../web/state/web_machine.ts";
import { median, type Figure } from "./figure.ts";

const FRAME_NS = 1e9 / 60;

/** The page's machine (an e1000 on the user network) running `command` to power-off; returns it and the wall ms the run took. */
async function page_machine(command: string, capture: boolean): Promise<{ wm: WebMachine; world: World; ms: number; cap: ReturnType<typeof packet_capture_attach> | null }> {
  const world = new World("virtual");
  const machine = world.add_machine({ mem_size: 64 << 20, name: "ringzero" });
  for (const spec of ["e1000,addr=03.0", "edu,addr=04.0"]) {
    const err = plug_device(machine, spec);
    if (err !== null) throw new Error(err);
  }
  net_connect(new UserNet(machine.clock), machine_nics(machine)[0]!);
  const kernel = await boot_kernel(machine, { command, modules: null, cmdline: "quiet ip=dhcp" });
  const cap = capture ? packet_capture_attach(kernel) : null;
  const t0 = performance.now();
  await world.run();
  const ms = performance.now() - t0;
  if (!/ 0% packet loss/.test(machine.console_output)) throw new Error(`page panels bench: the ping failed:\n${machine.console_output}`);
  return { wm: { name: "ringzero", machine, kernel }, world, ms, cap };
}

export async function bench_page_panels(figures: Figure[], rounds: number): Promise<void> {
  const { wm, world, cap: c } = await page_machine("ping -c 20 -i 0.01 10.0.2.2", true);
  const cap = c!;
  const clock = new ClockSampler();
  let t_ms = 0;
  const read_all = (): void => {
    ring_snapshot(wm);
    irq_snapshot(wm);
    mem_snapshot(wm);
    pci_tree(wm);
    clock.sample(world, (t_ms += 16.7));
  };
  const N = 2000;
  for (let i = 0; i < N; i++) read_all(); // warm up the JIT
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) read_all();
    samples.push(Number(process.hrtime.bigint() - t0) / N);
  }
  const per_frame = median(samples);
  figures.push({
    name: "page panels: state read per animation frame",
    value: per_frame / 1000,
    unit: "us",
    target: "<= 1 % of a 60 Hz frame",
    met: per_frame <= FRAME_NS / 100,
    note: `${((per_frame / FRAME_NS) * 100).toFixed(3)} % of 16.7 ms; rings, interrupts, memory, PCI and clock of one e1000 machine`,
  });
  // The packet panel's hex view of the selected frame (the one-line summaries are printed once and cached).
  const lines: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    let n = 0;
    for (let i = cap.first; i < cap.end; i++, n++) cap.hex_dump(i);
    lines.push(Number(process.hrtime.bigint() - t0) / Math.max(1, n));
  }
  figures.push({ name: "  page packet list: hex view of one frame", value: median(lines) / 1000, unit: "us", note: `${cap.count} frames captured by the AF_PACKET tap during boot and the ping` });
  cap.detach();
  // The packet list's capture is on for as long as the page runs: it copies every frame. A ping
  // flood with and without it, alternating.
  const FLOOD = "ping -q -c 3000 -i 0.002 10.0.2.2";
  const with_cap: number[] = [];
  const without: number[] = [];
  for (let r = 0; r < 3; r++) {
    without.push((await page_machine(FLOOD, false)).ms);
    const w = await page_machine(FLOOD, true);
    with_cap.push(w.ms);
    w.cap!.detach();
  }
  const a = median(with_cap);
  const b = median(without);
  figures.push({ name: "  page packet capture on: 3000 pings at 2 ms (virtual), wall time", value: a, unit: "ms", note: `${(a / b).toFixed(2)}x the same flood without the capture (${b.toFixed(0)} ms), alternating runs; boot included` });
}
