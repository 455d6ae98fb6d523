/**
 * The Node entrypoint: parse options, build the machine, run the firmware, boot the kernel and
 * connect the terminal to the machine's serial port. This is the one module that holds both the
 * machine (hw/) and the kernel: it plays the board vendor, the BIOS and the terminal.
 */
import { World } from "../hw/world.ts";
import type { Machine } from "../hw/machine.ts";
import { DEFAULT_DEVICES, DEFAULT_NETDEVS, plug_device, type NicDevice } from "./board.ts";
import { parse_netdev, setup_network } from "./netdevs.ts";
import { inet_aton, inet_ntoa, prefix_mask } from "../include/uapi/in.ts";
import { device_help_text } from "../hw/core/qdev.ts";
import { host_share_open } from "./hostfs_node.ts";
import { DEVICE_TYPES } from "../hw/devices.ts";
import { MODULE_INDEX, modules_warnings, set_module_size_provider } from "./modules.ts";
import { boot_kernel } from "./kernel_boot.ts";
import { module_source_size_node } from "./module_size_node.ts";
import { ConsoleEscape, ConsoleTail, monitor_command, TRACE_CHANNELS } from "./monitor.ts";
import { parse_args, USAGE } from "./options.ts";
import { start_lockup_watchdog } from "./lockup_watchdog.ts";
import { with_kernel } from "../kernel/kernel.ts";
import { watchdog_recover_stuck_cpu } from "../kernel/watchdog.ts";

/**
 * The host terminal, when standard input is one: raw mode while the machine runs (the guest's tty
 * and readline edit and echo), given back however ringzero ends.
 */
let raw_tty = false;

function restore_terminal(): void {
  if (!raw_tty) return;
  raw_tty = false;
  try {
    process.stdin.setRawMode(false);
  } catch {
    // stdin is already gone: nothing to give back
  }
}

function raw_terminal(): void {
  if (process.stdin.isTTY !== true || raw_tty) return;
  process.stdin.setRawMode(true);
  raw_tty = true;
  process.on("exit", restore_terminal);
}

function die(msg: string, code = 2): never {
  restore_terminal();
  process.stderr.write(`ringzero: ${msg}\n`);
  process.exit(code);
}

/**
 * Back-ends started before boot, stopped once however ringzero ends (power-off, die(), ~., three
 * ^C, SIGTERM/SIGHUP): a TAP's down script runs and its helper goes, sockets close.
 */
const started_backends: { stop(): void }[] = [];
function stop_backends(): void {
  for (const b of started_backends.splice(0)) b.stop();
}

async function main(): Promise<void> {
  process.on("exit", stop_backends);
  // A signal ends ringzero through process.exit, so the exit handlers above run.
  for (const [sig, code] of [["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    process.on(sig, () => {
      restore_terminal();
      process.exit(code);
    });
  }
  set_module_size_provider(module_source_size_node);
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
  // --share DIR[,rw]: the host directory hostfs mounts at /mnt/host, checked before boot.
  const share = cfg.share === null ? null : host_share_open(cfg.share.dir, cfg.share.rw);
  if (typeof share === "string") die(`--share: ${share}`);

  const interactive = cfg.command === null;
  const world = new World(cfg.clock);
  // What follows the last newline on the console: the monitor draws it again after its output.
  const tail = new ConsoleTail();
  const machine = world.add_machine({
    mem_size: cfg.mem_size,
    dma_coherent: cfg.dma_coherent,
    iommu: cfg.iommu,
    name: "ringzero",
    cmdline: "",
    console_sink: (text) => {
      process.stdout.write(text);
      tail.push(text);
    },
    trace_sink: (line) => process.stderr.write(`[hw] ${line}\n`),
  });
  machine.hostfs = share;
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
  const net = setup_network(world, machine, netdevs, nic_netdev, dumps, cfg.ws_relay);
  if (typeof net === "string") die(net);
  if (net.external.length > 0 && cfg.clock_explicit && cfg.clock === "virtual") {
    const what = net.external[0]!.id === "ws-relay" ? "--ws-relay" : `netdev '${net.external[0]!.id}'`;
    die(`--clock virtual: ${what} talks to the outside world, which runs on wall-clock time; use --clock realtime`);
  }
  for (const b of net.external) {
    const err = await b.start();
    if (err !== null) die(err);
    started_backends.push(b);
    world.external_sources++;
  }
  const has_net = [...nic_netdev.values()].some((id) => id !== undefined);

  if (cfg.modules !== null) for (const w of modules_warnings(machine, cfg.modules, has_net || cfg.ip !== null)) process.stderr.write(`ringzero: warning: ${w}\n`);
  const kernel = await boot_kernel(machine, {
    command: cfg.command,
    modules: cfg.modules,
    cmdline: [interactive ? "" : "quiet", has_net || cfg.ip !== null ? ip_arg : "", cfg.append].filter((s) => s !== "").join(" "),
  });
  // A JavaScript loop that never returns is caught from a second thread (boot/lockup_watchdog.ts).
  const watchdog =
    cfg.watchdog_ms > 0
      ? start_lockup_watchdog(world, cfg.watchdog_ms, (r) => with_kernel(kernel, () => watchdog_recover_stuck_cpu(r.stuck_ms, r.frames)))
      : null;

  // Standard input reaches the guest through the console UART byte for byte: on a terminal in
  // raw mode (the guest's tty and the shell's readline edit, echo and complete; ^C is the byte
  // 0x03, a signal only inside the guest), piped as it comes. End of input is ^D. Interactive runs
  // watch for the monitor escape (`~` at the start of a line); `-c` runs give the command its
  // standard input untouched, and a third ^C within two seconds gives up on the machine.
  const detach_stdin = attach_stdin(world, machine, interactive, () => tail.text);

  const why = await world.run();
  watchdog?.stop();
  detach_stdin();
  restore_terminal();
  stop_backends();
  // Frames a lossy hub still holds (delay, reorder) are counted as discarded, not lost.
  for (const h of net.hubs) h.stop();
  for (const w of net.writers) w.close();
  if (why !== "powered_off") die("the machine has nothing left to run and no way to get input; stopping", 1);
  process.exitCode = machine.exit_code;
}

/**
 * Feed the host's standard input to the console UART until it ends (then ^D); on a terminal, in
 * raw mode. With `monitor`, lines starting with `~` go to the monitor (ConsoleEscape). ^C — the
 * byte on a raw terminal, SIGINT otherwise — reaches the guest; outside the monitor's reach (`-c`,
 * or SIGINT when input is piped) a third within two seconds stops ringzero. Counts as an external
 * source while open. Returns the function that lets go.
 */
function attach_stdin(world: World, machine: Machine, monitor: boolean, console_tail: () => string): () => void {
  let open = true;
  world.external_sources++;
  raw_terminal();
  const to_guest = (bytes: Uint8Array): void => {
    machine.uart.receive(bytes);
    world.kick();
  };
  const interrupts: number[] = [];
  /** A ^C: three within two seconds and the machine is given up. */
  const count_interrupt = (): void => {
    const now = performance.now();
    interrupts.push(now);
    while (interrupts.length > 0 && now - interrupts[0]! > 2000) interrupts.shift();
    if (interrupts.length >= 3) {
      restore_terminal();
      process.stderr.write("\nringzero: interrupted three times; stopping the machine\n");
      process.exit(130);
    }
  };
  const escape = monitor
    ? new ConsoleEscape(
        {
          to_guest,
          run: (cmd) => monitor_command(machine, cmd),
          print: (text) => process.stdout.write(text),
          console_tail,
          quit: () => {
            restore_terminal();
            process.stderr.write("ringzero: stopped by ~.\n");
            process.exit(0);
          },
        },
        raw_tty,
      )
    : null;
  const on_data = (chunk: Buffer): void => {
    if (escape !== null) {
      escape.feed(chunk);
      return;
    }
    if (raw_tty) for (const b of chunk) if (b === 0x03) count_interrupt();
    to_guest(chunk);
  };
  const on_end = (): void => {
    if (!open) return;
    open = false;
    to_guest(Uint8Array.of(0x04));
    world.external_sources--;
  };
  const on_sigint = (): void => {
    count_interrupt();
    to_guest(Uint8Array.of(0x03));
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
