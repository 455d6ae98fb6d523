/**
 * The Node entrypoint: parse options, build the machine, run the firmware, boot the kernel and
 * connect the terminal to the machine's serial port. This is the one module that holds both the
 * machine (hw/) and the kernel: it plays the board vendor, the BIOS and the terminal.
 */
import { createInterface } from "node:readline";
import { World } from "../hw/world.ts";
import { serial8250_init } from "../drivers/tty/serial8250.ts";
import { start_kernel } from "../kernel/main.ts";
import { PROGRAMS } from "../userland/programs.ts";
import { DEFAULT_DEVICES, plug_device } from "./board.ts";
import { DEFAULT_MODULES, MODULE_INDEX } from "./modules.ts";
import { monitor_command, TRACE_CHANNELS } from "./monitor.ts";
import { parse_args, USAGE } from "./options.ts";

function die(msg: string, code = 2): never {
  process.stderr.write(`ringzero: ${msg}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const cfg = parse_args(process.argv.slice(2));
  if (typeof cfg === "string") die(cfg);
  if (cfg.help) {
    process.stdout.write(USAGE + "\n");
    return;
  }
  if (cfg.netdevs.length > 0 || cfg.nics.length > 0 || cfg.pcap !== null || cfg.ip !== null) {
    die("networking options need a NIC, and this build has no network device yet (-netdev, -nic, --pcap, --ip)");
  }
  for (const m of cfg.modules ?? []) if (!MODULE_INDEX.has(m)) die(`--modules: no module '${m}' (available: ${[...MODULE_INDEX.keys()].join(", ")})`);

  const interactive = cfg.command === null;
  const world = new World(cfg.clock);
  // Track what follows the last newline on the console, so readline redraws keep the prompt.
  let tail = "";
  let rl: ReturnType<typeof createInterface> | null = null;
  const machine = world.add_machine({
    mem_size: cfg.mem_size,
    name: "ringzero",
    cmdline: [interactive ? "" : "quiet", cfg.append].filter((s) => s !== "").join(" "),
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
  for (const spec of [...(cfg.nodefaults ? [] : DEFAULT_DEVICES), ...cfg.devices]) {
    const err = plug_device(machine, spec);
    if (err !== null) die(err);
  }

  start_kernel(machine.platform(), {
    initcalls: [serial8250_init],
    modules: MODULE_INDEX,
    default_modules: cfg.modules ?? DEFAULT_MODULES,
    programs: PROGRAMS,
    init_argv: interactive ? ["init"] : ["init", "-c", cfg.command!],
  });

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

  const why = await world.run();
  rl?.close();
  if (why !== "powered_off") die("the machine has nothing left to run and no way to get input; stopping", 1);
  process.exitCode = machine.exit_code;
}

await main();
