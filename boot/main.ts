/**
 * The Node entrypoint: parse options, build the machine, run the firmware, boot the kernel and
 * connect the terminal to the machine's serial port. This is the one module that holds both the
 * machine (hw/) and the kernel: it plays the board vendor, the BIOS and the terminal.
 */
import { createInterface } from "node:readline";
import { World } from "../hw/world.ts";
import type { Machine } from "../hw/machine.ts";
import { serial8250_init } from "../drivers/tty/serial8250.ts";
import { start_kernel } from "../kernel/main.ts";
import { PROGRAMS } from "../userland/programs.ts";
import { DEFAULT_DEVICES, DEFAULT_NETDEVS, plug_device, type NicDevice } from "./board.ts";
import { parse_netdev, setup_network } from "./netdevs.ts";
import { inet_aton, inet_ntoa, prefix_mask } from "../include/uapi/in.ts";
import { ip_auto_config } from "../net/ipv4/ipconfig.ts";
import { device_help_text } from "../hw/core/qdev.ts";
import { DEVICE_TYPES } from "../hw/devices.ts";
import { coldplug_modules, DEFAULT_MODULES, MODULE_INDEX, modules_warnings } from "./modules.ts";
import { monitor_command, TRACE_CHANNELS } from "./monitor.ts";
import { parse_args, USAGE } from "./options.ts";
import { start_lockup_watchdog } from "./lockup_watchdog.ts";
import { with_kernel } from "../kernel/kernel.ts";
import { watchdog_recover_stuck_cpu } from "../kernel/watchdog.ts";

function die(msg: string, code = 2): never {
  process.stderr.write(`ringzero: ${msg}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  // A closed pipe on the console (`npm start -- -c … | head`) ends the run quietly, as SIGPIPE
  // ends a C program, instead of an unhandled 'error' event.
  for (const out of [process.stdout, process.stderr]) {
    out.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  const cfg = parse_args(process.argv.slice(2));
  if (typeof cfg === "string") die(cfg);
  if (cfg.device_help) {
    process.stdout.write(device_help_text(DEVICE_TYPES));
    return;
  }
  if (cfg.help) {
    process.stdout.write(USAGE + "\n");
    return;
  }
  let ip_arg = "ip=dhcp";
  if (cfg.ip !== null) {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)(?:,(\d+\.\d+\.\d+\.\d+))?$/.exec(cfg.ip);
    const prefix = m ? Number(m[2]) : -1;
    if (m === null || inet_aton(m[1]!) === null || prefix < 1 || prefix > 32 || (m[3] !== undefined && inet_aton(m[3]) === null)) die(`--ip: expected ADDR/PREFIX[,GATEWAY], e.g. 10.0.2.15/24,10.0.2.2 (got '${cfg.ip}')`);
    ip_arg = `ip=${m[1]}::${m[3] ?? ""}:${inet_ntoa(prefix_mask(prefix))}::eth0:off`;
  }
  for (const m of cfg.modules ?? []) if (!MODULE_INDEX.has(m)) die(`--modules: no module '${m}' (available: ${[...MODULE_INDEX.keys()].join(", ")})`);

  const interactive = cfg.command === null;
  const world = new World(cfg.clock);
  // Track what follows the last newline on the console, so readline redraws keep the prompt.
  let tail = "";
  let rl: ReturnType<typeof createInterface> | null = null;
  const machine = world.add_machine({
    mem_size: cfg.mem_size,
    dma_coherent: cfg.dma_coherent,
    iommu: cfg.iommu,
    name: "ringzero",
    cmdline: "",
    console_sink: (text) => {
      process.stdout.write(text);
      const nl = text.lastIndexOf("\n");
      tail = nl >= 0 ? text.slice(nl + 1) : tail + text;
      rl?.setPrompt(tail);
    },
    trace_sink: (line) => process.stderr.write(`[hw] ${line}\n`),
  });
  for (const ch of cfg.trace) {
    if (ch !== "all" && !(TRACE_CHANNELS as readonly string[]).includes(ch)) die(`--trace: unknown channel '${ch}' (${TRACE_CHANNELS.join(", ")}, all)`);
    for (const c of ch === "all" ? TRACE_CHANNELS : [ch]) machine.tracer.enable(c);
  }
  // Devices and network back-ends. -nic TYPE[,mac=…] is a NIC plus its own back-end.
  const nic_netdev = new Map<NicDevice, string | undefined>();
  const explicit_net = cfg.netdevs.length > 0 || cfg.nics.length > 0 || cfg.devices.some((d) => d.startsWith("e1000") || d.startsWith("virtio-net"));
  const defaults = cfg.nodefaults ? [] : explicit_net ? DEFAULT_DEVICES.filter((d) => !d.startsWith("e1000")) : DEFAULT_DEVICES;
  const netdevs = [...(cfg.nodefaults || explicit_net ? [] : DEFAULT_NETDEVS), ...cfg.netdevs];
  const nic_devices: string[] = [];
  cfg.nics.forEach((spec, i) => {
    const [type, ...props] = spec.split(",");
    if (type === "none") return;
    netdevs.push(`${type},id=nic${i}${props.filter((p) => !p.startsWith("mac=") && !p.startsWith("model=")).map((p) => "," + p).join("")}`);
    const mac = props.find((p) => p.startsWith("mac="));
    // model= picks the NIC as QEMU's -nic does (e1000 by default on the pc machine).
    const model = props.find((p) => p.startsWith("model="))?.slice(6) ?? "e1000";
    nic_devices.push(`${model},netdev=nic${i}${mac ? "," + mac : ""}`);
  });
  for (const spec of [...defaults.filter((d) => d.startsWith("e1000")), ...nic_devices, ...cfg.devices, ...defaults.filter((d) => !d.startsWith("e1000"))]) {
    const err = plug_device(machine, spec, nic_netdev);
    if (err !== null) die(err);
  }
  // Capture: -object filter-dump,id=…,netdev=…,file=… and --pcap FILE (the first NIC's netdev).
  const dumps: [string, string][] = [];
  for (const spec of cfg.objects) {
    const o = parse_netdev(spec, "-object");
    if (typeof o === "string") die(o);
    if (o.type !== "filter-dump") die(`-object ${spec}: object type '${o.type}' is not available (filter-dump)`);
    const netdev = o.props.get("netdev");
    const file = o.props.get("file");
    for (const k of o.props.keys()) if (k !== "netdev" && k !== "file") die(`-object filter-dump,id=${o.id}: Invalid parameter '${k}'`);
    if (netdev === undefined || file === undefined) die(`-object filter-dump,id=${o.id}: Parameter '${netdev === undefined ? "netdev" : "file"}' is missing`);
    dumps.push([netdev, file]);
  }
  if (cfg.pcap !== null) {
    const first = [...nic_netdev.values()].find((id) => id !== undefined);
    if (first === undefined) die("--pcap: there is no NIC with a network back-end to capture");
    dumps.push([first, cfg.pcap]);
  }
  const net = setup_network(world, machine, netdevs, nic_netdev, dumps);
  if (typeof net === "string") die(net);
  if (net.external.length > 0 && cfg.clock_explicit && cfg.clock === "virtual") {
    die(`--clock virtual: netdev '${net.external[0]!.id}' talks to the outside world, which runs on wall-clock time; use --clock realtime`);
  }
  for (const b of net.external) {
    const err = await b.start();
    if (err !== null) die(err);
    world.external_sources++;
  }
  const has_net = [...nic_netdev.values()].some((id) => id !== undefined);

  machine.cmdline = [interactive ? "" : "quiet", has_net || cfg.ip !== null ? ip_arg : "", cfg.append].filter((s) => s !== "").join(" ");
  if (cfg.modules !== null) for (const w of modules_warnings(machine, cfg.modules, has_net || cfg.ip !== null)) process.stderr.write(`ringzero: warning: ${w}\n`);
  const kernel = start_kernel(machine.platform(), {
    initcalls: [serial8250_init],
    late_initcalls: [ip_auto_config],
    modules: MODULE_INDEX,
    default_modules: cfg.modules ?? [...DEFAULT_MODULES, ...coldplug_modules(machine)],
    programs: PROGRAMS,
    init_argv: interactive ? ["init"] : ["init", "-c", cfg.command!],
  });
  // A JavaScript loop that never returns is caught from a second thread (boot/lockup_watchdog.ts).
  const watchdog =
    cfg.watchdog_ms > 0
      ? start_lockup_watchdog(world, cfg.watchdog_ms, (r) => with_kernel(kernel, () => watchdog_recover_stuck_cpu(r.stuck_ms, r.frames)))
      : null;

  if (interactive) {
    world.external_sources++;
    const tty = process.stdin.isTTY === true;
    rl = createInterface({
      input: process.stdin,
      output: tty ? process.stdout : undefined,
      terminal: tty,
      prompt: "",
      historySize: 500,
      completer: (line: string): [string[], string] => {
        const word = line.split(/\s+/).pop() ?? "";
        const first = line.trim().split(/\s+/).length <= 1;
        const pool = first ? [...PROGRAMS.keys(), "help", "exit"] : [...MODULE_INDEX.keys()];
        const hits = pool.filter((c) => c.startsWith(word)).sort();
        return [hits.length > 0 ? hits : pool.sort(), word];
      },
    });
    rl.on("line", (line) => {
      if (line.startsWith("~")) {
        process.stdout.write(monitor_command(machine, line.slice(1)));
        rl?.prompt(true);
        return;
      }
      tail = "";
      rl?.setPrompt("");
      machine.uart.receive(line + "\n");
      world.kick();
    });
    rl.on("SIGINT", () => {
      rl?.write(null, { ctrl: true, name: "u" });
      machine.uart.receive("\x03");
      world.kick();
    });
    rl.on("close", () => {
      machine.uart.receive("\x04");
      world.external_sources--;
      world.kick();
    });
  }

  // -c mode: standard input reaches the command through the console (`printf … | npm start -- -c
  // "nc HOST PORT"`), end of input is ^D, and ^C (SIGINT) goes to the foreground command as on a
  // terminal; a third ^C within two seconds gives up on the machine.
  const detach_stdin = interactive ? null : attach_stdin(world, machine);

  const why = await world.run();
  watchdog?.stop();
  rl?.close();
  detach_stdin?.();
  for (const b of net.external) b.stop();
  // Frames a lossy hub still holds (delay, reorder) are counted as discarded, not lost.
  for (const h of net.hubs) h.stop();
  for (const w of net.writers) w.close();
  if (why !== "powered_off") die("the machine has nothing left to run and no way to get input; stopping", 1);
  process.exitCode = machine.exit_code;
}

/**
 * Feed the host's standard input to the console UART byte for byte (latin1, as a serial line
 * carries bytes) until it ends; SIGINT becomes ^C. Counts as an external source while open.
 * Returns the function that lets go of both.
 */
function attach_stdin(world: World, machine: Machine): () => void {
  let open = true;
  world.external_sources++;
  const on_data = (chunk: Buffer): void => {
    machine.uart.receive(chunk.toString("latin1"));
    world.kick();
  };
  const on_end = (): void => {
    if (!open) return;
    open = false;
    machine.uart.receive("\x04");
    world.external_sources--;
    world.kick();
  };
  const interrupts: number[] = [];
  const on_sigint = (): void => {
    const now = performance.now();
    interrupts.push(now);
    while (interrupts.length > 0 && now - interrupts[0]! > 2000) interrupts.shift();
    if (interrupts.length >= 3) {
      process.stderr.write("ringzero: interrupted three times; stopping the machine\n");
      process.exit(130);
    }
    machine.uart.receive("\x03");
    world.kick();
  };
  process.stdin.on("data", on_data);
  process.stdin.on("end", on_end);
  process.stdin.on("error", on_end);
  process.on("SIGINT", on_sigint);
  return () => {
    process.stdin.off("data", on_data);
    process.stdin.off("end", on_end);
    process.stdin.off("error", on_end);
    process.off("SIGINT", on_sigint);
    process.stdin.pause();
    process.stdin.unref?.();
    if (open) {
      open = false;
      world.external_sources--;
    }
  };
}

await main();
