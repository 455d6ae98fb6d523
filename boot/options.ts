/**
 * Command-line options, parsed in one place. Spellings follow QEMU where QEMU has the option
 * (-m, -device, -netdev, -nic, -append, -nodefaults), with GNU-style long forms beside them.
 */
import { DEVICE_TYPES } from "../hw/devices.ts";
import { DEFAULT_MEM_SIZE, MAX_MEM_SIZE, MIN_MEM_SIZE } from "../hw/machine.ts";
import type { ClockMode } from "../hw/world.ts";
import { LOCKUP_THRESH_MS_DEFAULT } from "./lockup_watchdog.ts";

export interface BootConfig {
  mem_size: number;
  clock: ClockMode;
  /** --clock was given (an external network back-end needs realtime and overrides the default). */
  clock_explicit: boolean;
  /** Commands for `-c`: run them, then power off with the last one's status. */
  command: string | null;
  /** QEMU -device specifications, in order. */
  devices: string[];
  /** QEMU -netdev / -nic specifications (taken by the network issues). */
  netdevs: string[];
  nics: string[];
  pcap: string | null;
  /** QEMU -object specifications (filter-dump). */
  objects: string[];
  /** --ws-relay [HOST:]PORT: WebSocket clients join the first NIC's wire (hw/net/netdev_ws_relay.ts). */
  ws_relay: { host: string; port: number } | null;
  /** Static address "ADDR/PREFIX[,GATEWAY]" instead of DHCP (taken by the network issues). */
  ip: string | null;
  /** Leave out the default devices. */
  nodefaults: boolean;
  /** Extra kernel command line (QEMU -append). */
  append: string;
  /** Modules loaded at boot (null = the default list). */
  modules: string[] | null;
  /** hw trace channels to enable. */
  trace: string[];
  /** Wall-clock milliseconds a slice may run before the lockup watchdog catches it (0: off). */
  watchdog_ms: number;
  /** -machine dma-coherent=on|off: devices snoop the CPU's caches (on, as x86) or not. */
  dma_coherent: boolean;
  /** -machine iommu=on|off: a DMA remapping unit between the devices and memory. */
  iommu: boolean;
  /** --share DIR[,rw]: the host directory mounted at /mnt/host (hostfs), writable only with rw. */
  share: { dir: string; rw: boolean } | null;
  help: boolean;
  /** `-device help`: list the device types (QEMU's format) and exit. */
  device_help: boolean;
}

/** "Devices: a, b, c" wrapped at 92 columns under the help text's second column. */
function wrap_list(lead: string, names: readonly string[]): string {
  const indent = " ".repeat(29);
  const lines: string[] = [];
  let line = indent + lead;
  names.forEach((n, i) => {
    const item = n + (i < names.length - 1 ? "," : "");
    if (line.length + item.length + 1 > 92 && line.trim() !== lead.trim()) {
      lines.push(line.trimEnd());
      line = indent + "  ";
    }
    line += (line.endsWith(" ") ? "" : " ") + item;
  });
  lines.push(line);
  return lines.join("\n");
}

export const USAGE = `usage: npm start -- [options]

Boots the ringzero machine to a shell.

  -c, --command "CMD; CMD"   run commands non-interactively, exit with the last status
  -m, --memory SIZE          RAM size: bytes or with K/M/G suffix (default 128M; 4M-1G)
  -machine, --machine [dma-coherent=on|off][,iommu=on|off]
                             dma-coherent=off: devices do not snoop the CPU's caches (a
                             non-coherent SoC): streaming DMA needs its syncs (default on);
                             iommu=on: a device reaches only what is mapped for it (default off)
  --clock virtual|realtime   virtual: as fast as possible; realtime: paced to the wall clock
                             (default: realtime)
  -device, --device NAME[,addr=SLOT[.FN]][,id=ID][,PROP=VALUE]...
                             add a PCI device (QEMU syntax; repeatable). NICs also take
                             netdev=ID and mac=MAC and become eth0, eth1, ... in slot order.
${wrap_list("Devices: ", DEVICE_TYPES.map((t) => t.name))}
                             (-device help lists them as QEMU does)
  -nodefaults, --nodefaults  no default devices (the default machine: an e1000 at 00:03.0 on
                             the user network, and edu at 00:04.0)
  -netdev, --netdev SPEC     network back-end (QEMU syntax):
                               user,id=ID[,net=A/P][,host=A][,dns=A][,dhcpstart=A]
                                    [,hostfwd=[tcp|udp]:[HADDR]:HPORT-[GADDR]:GPORT]...
                               stream,id=ID,server=on|off,addr.type=unix,addr.path=PATH
                               stream,id=ID,server=on|off,addr.type=inet,addr.host=H,addr.port=P
                               dgram,id=ID,local.type=inet,local.host=H,local.port=P,
                                     remote.type=inet,remote.host=H,remote.port=P
                               socket,id=ID,listen=[H]:P|connect=H:P|udp=H:P,localaddr=H:P|mcast=G:P
                               tap,id=ID[,ifname=NAME][,script=FILE|no][,downscript=FILE|no]
                                   [,br=BRIDGE]  (a host TAP device, opened through socat)
                               hubport,id=ID,hubid=N[,loss=P%][,delay=T][,jitter=T][,dup=P%]
                                     [,reorder=P%][,seed=N][,limit=N]  (the lossy-wire options
                                     are ringzero's own; QEMU's hub has none)
  -nic, --nic SPEC           NIC + back-end shorthand (QEMU syntax): user | TYPE,opts[,mac=MAC] | none
  --pcap FILE                capture every frame of the first NIC to FILE (libpcap)
  -object, --object filter-dump,id=ID,netdev=NETDEV,file=FILE
                             capture every frame on NETDEV to FILE (libpcap)
  --ws-relay [HOST:]PORT     WebSocket clients (a ringzero page) join the first NIC's wire at
                             ws://HOST:PORT/ (HOST defaults to 127.0.0.1; QEMU stream framing)
  --ip ADDR/PREFIX[,GW]      static IPv4 address instead of DHCP
  -append, --append "ARGS"   kernel command line (quiet, loglevel=N)
  --modules LIST             modules to load at boot, comma separated ("" for none)
  --share DIR[,rw]           share host directory DIR with the machine at /mnt/host
                             (hostfs; read-only unless ,rw)
  --trace CHANNELS           machine trace channels, comma separated
  --watchdog-ms MS           catch a JavaScript loop that never returns after MS of wall
                             time: soft-lockup report, offender killed (default ${LOCKUP_THRESH_MS_DEFAULT}; 0: off)
  -h, --help                 this text`;

/** "128M", "1G", "65536" → bytes; NaN when malformed. */
export function parse_size(s: string): number {
  const m = /^(\d+)([KMG]?)(?:i?B)?$/i.exec(s.trim());
  if (m === null) return NaN;
  const mult = { "": 1, K: 1024, M: 1024 * 1024, G: 1024 * 1024 * 1024 }[m[2]!.toUpperCase() as "" | "K" | "M" | "G"];
  return Number(m[1]) * mult;
}

/**
 * -machine [TYPE,]PROP=VALUE[,…] as QEMU spells it. The machine type is the one ringzero has (pc,
 * also accepted as q35); the properties are dma-coherent=on|off and iommu=on|off. Returns a
 * one-line error or null.
 */
function parse_machine(spec: string, cfg: BootConfig): string | null {
  for (const [i, part] of spec.split(",").entries()) {
    if (i === 0 && !part.includes("=")) {
      if (part === "pc" || part === "q35" || part === "ringzero") continue;
      return `-machine: unsupported machine type '${part}' (ringzero has one: pc)`;
    }
    const [key, value] = part.split("=", 2) as [string, string | undefined];
    if (key !== "dma-coherent" && key !== "iommu") return `-machine: unknown property '${key}' (ringzero knows dma-coherent=on|off, iommu=on|off)`;
    if (value !== "on" && value !== "off") return `-machine: ${key} expects on or off, got '${value ?? ""}'`;
    if (key === "dma-coherent") cfg.dma_coherent = value === "on";
    else cfg.iommu = value === "on";
  }
  return null;
}

/** Parse argv (without node and the script). Returns the config or a one-line error. */
export function parse_args(argv: readonly string[]): BootConfig | string {
  const cfg: BootConfig = {
    mem_size: DEFAULT_MEM_SIZE,
    clock: "realtime",
    clock_explicit: false,
    command: null,
    devices: [],
    netdevs: [],
    nics: [],
    pcap: null,
    objects: [],
    ws_relay: null,
    ip: null,
    nodefaults: false,
    append: "",
    modules: null,
    trace: [],
    watchdog_ms: LOCKUP_THRESH_MS_DEFAULT,
    dma_coherent: true,
    iommu: false,
    share: null,
    help: false,
    device_help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.startsWith("--") ? raw.indexOf("=") : -1;
    const opt = eq > 0 ? raw.slice(0, eq) : raw;
    const value = (): string | null => {
      if (eq > 0) return raw.slice(eq + 1);
      const v = argv[i + 1];
      if (v === undefined) return null;
      i++;
      return v;
    };
    const need = (): string => {
      const v = value();
      if (v === null) throw new Error(`option '${opt}' needs a value`);
      return v;
    };
    try {
      switch (opt) {
        case "-h":
        case "--help":
          cfg.help = true;
          break;
        case "-c":
        case "--command":
          cfg.command = need();
          break;
        case "-m":
        case "--memory": {
          const v = need();
          const n = parse_size(v);
          if (!Number.isFinite(n) || n % 4096 !== 0 || n < MIN_MEM_SIZE || n > MAX_MEM_SIZE) {
            return `invalid memory size '${v}': give 4M to 1G in whole 4 KiB pages (e.g. -m 256M)`;
          }
          cfg.mem_size = n;
          break;
        }
        case "-machine":
        case "--machine": {
          const err = parse_machine(need(), cfg);
          if (err !== null) return err;
          break;
        }
        case "--clock": {
          const v = need();
          if (v !== "virtual" && v !== "realtime") return `invalid --clock '${v}': use virtual or realtime`;
          cfg.clock = v;
          cfg.clock_explicit = true;
          break;
        }
        case "-device":
        case "--device": {
          const v = need();
          if (v === "help" || v === "?") cfg.device_help = true;
          else cfg.devices.push(v);
          break;
        }
        case "-netdev":
        case "--netdev":
          cfg.netdevs.push(need());
          break;
        case "-nic":
        case "--nic":
          cfg.nics.push(need());
          break;
        case "-object":
        case "--object":
          cfg.objects.push(need());
          break;
        case "--pcap":
          cfg.pcap = need();
          break;
        case "--ws-relay": {
          const v = need();
          const m = /^(?:(\[[0-9A-Fa-f:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(v);
          const port = m === null ? NaN : Number(m[2]);
          if (m === null || port < 1 || port > 65535) return `--ws-relay: expected [HOST:]PORT, e.g. 8765 or 127.0.0.1:8765 (got '${v}')`;
          cfg.ws_relay = { host: m[1]?.replace(/^\[|\]$/g, "") ?? "127.0.0.1", port };
          break;
        }
        case "--ip":
          cfg.ip = need();
          break;
        case "-nodefaults":
        case "--nodefaults":
          cfg.nodefaults = true;
          break;
        case "-append":
        case "--append":
          cfg.append = need();
          break;
        case "--modules": {
          const v = need();
          cfg.modules = v === "" ? [] : v.split(",");
          break;
        }
        case "--share": {
          if (cfg.share !== null) return "--share: only one directory can be shared";
          const v = need();
          const m = /^(.*?)(?:,(rw|ro))?$/s.exec(v)!;
          if (m[1] === "") return `--share: expected DIR[,rw] (got '${v}')`;
          cfg.share = { dir: m[1]!, rw: m[2] === "rw" };
          break;
        }
        case "--trace":
          cfg.trace.push(...need().split(",").filter((s) => s !== ""));
          break;
        case "--watchdog-ms": {
          const v = need();
          if (!/^\d+$/.test(v) || (Number(v) > 0 && Number(v) < 100)) return `invalid --watchdog-ms '${v}': give milliseconds, 100 or more (0 turns the watchdog off)`;
          cfg.watchdog_ms = Number(v);
          break;
        }
        default:
          return `unknown option '${raw}' (see --help)`;
      }
    } catch (e) {
      return (e as Error).message;
    }
  }
  return cfg;
}
