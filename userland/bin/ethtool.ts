import { strerror } from "../../include/linux/errno.ts";
import type { EthtoolCmd, EthtoolFeature, EthtoolReply } from "../../include/uapi/ethtool.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * ethtool: `ethtool DEV` (link settings), `-i` (driver), `-S` (statistics), `-d` (register dump),
 * `-g`/`-G DEV rx N tx N` (rings), `-c`/`-C DEV rx-usecs N` (interrupt coalescing), `-t DEV`
 * (offline self-test), `-k` / `-K DEV rx|tx|sg|tso|FEATURE on|off …` (offload features),
 * `--dump-rings DEV` (ringzero: the ring inspector).
 */
const USAGE = "Usage: ethtool [ -i | -S | -d | -g | -l | -c | -k | -t | --dump-rings ] DEVNAME | ethtool -G DEVNAME [rx N] [tx N] | ethtool -C DEVNAME rx-usecs N | ethtool -K DEVNAME [rx|tx|sg|tso|FEATURE on|off] ...";

/**
 * ethtool(8)'s feature groups (off_flag_def): short name, long name, member features. Members with
 * `sub` are listed under the group line, as ethtool -k does for groups of several features.
 */
const OFF_FLAGS: readonly { short: string; long: string; members: readonly string[]; sub: boolean }[] = [
  { short: "rx", long: "rx-checksumming", members: ["rx-checksum"], sub: false },
  { short: "tx", long: "tx-checksumming", members: ["tx-checksum-ipv4", "tx-checksum-ip-generic"], sub: true },
  { short: "sg", long: "scatter-gather", members: ["tx-scatter-gather"], sub: true },
  { short: "tso", long: "tcp-segmentation-offload", members: ["tx-tcp-segmentation"], sub: true },
  { short: "rxvlan", long: "rx-vlan-offload", members: ["rx-vlan-hw-parse"], sub: false },
  { short: "txvlan", long: "tx-vlan-offload", members: ["tx-vlan-hw-insert"], sub: false },
];

function feature_line(f: EthtoolFeature, requested?: boolean): string {
  const req = requested !== undefined && requested !== f[1] ? ` [requested ${requested ? "on" : "off"}]` : "";
  return `${f[0]}: ${f[1] ? "on" : "off"}${f[2] ? "" : " [fixed]"}${req}`;
}

/** The `ethtool -k` listing: groups first (with their members), then every other feature. */
function show_features(features: EthtoolFeature[], only?: Set<string>, requested?: Map<string, boolean>): string {
  const by = new Map(features.map((f) => [f[0], f]));
  const grouped = new Set<string>();
  let out = "";
  for (const g of OFF_FLAGS) {
    const ms = g.members.map((m) => by.get(m)).filter((m): m is EthtoolFeature => m !== undefined);
    for (const m of ms) grouped.add(m[0]);
    if (only !== undefined && !ms.some((m) => only.has(m[0]))) continue;
    const on = ms.some((m) => m[1]);
    const fixed = !ms.some((m) => m[2]);
    out += `${g.long}: ${on ? "on" : "off"}${fixed ? " [fixed]" : ""}
`;
    if (g.sub) for (const m of ms) if (only === undefined || only.has(m[0])) out += `	${feature_line(m, requested?.get(m[0]))}
`;
  }
  for (const f of features) {
    if (grouped.has(f[0]) || (only !== undefined && !only.has(f[0]))) continue;
    out += `${feature_line(f, requested?.get(f[0]))}
`;
  }
  return out;
}

/** ethtool -K: expand groups to their changeable members, send, and report what else changed. */
async function set_features(sys: Syscalls, dev: string, rest: string[]): Promise<number> {
  if (rest.length === 0 || rest.length % 2 !== 0) return fail(sys, "ethtool", `bad command line argument(s)\n${USAGE}`);
  const cur = await call(sys, dev, { cmd: "features" });
  if (typeof cur === "string") return fail(sys, "ethtool", cur, 1);
  if (cur.kind !== "features") return fail(sys, "ethtool", "unexpected reply", 1);
  const by = new Map(cur.features.map((f) => [f[0], f]));
  const changes: Record<string, boolean> = {};
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i]!;
    const val = rest[i + 1]!;
    if (val !== "on" && val !== "off") return fail(sys, "ethtool", `bad value for ${name}: '${val}'`);
    const on = val === "on";
    const g = OFF_FLAGS.find((o) => o.short === name || o.long === name);
    if (g !== undefined) {
      // A group changes only its changeable members; fixed ones stay as they are.
      for (const m of g.members) if (by.get(m)?.[2]) changes[m] = on;
      continue;
    }
    if (!by.has(name)) return fail(sys, "ethtool", `bad command line argument(s)\n${USAGE}`);
    changes[name] = on;
  }
  if (Object.keys(changes).length === 0) return fail(sys, "ethtool", "Could not change any device features", 1);
  const r = await call(sys, dev, { cmd: "set_features", changes });
  if (typeof r === "string") return fail(sys, "ethtool", r === "Operation not supported" ? "Could not change any device features" : r, 1);
  if (r.kind !== "features") return 0;
  // ethtool prints "Actual changes:" when the device did not do exactly what was asked.
  const requested = new Map(Object.entries(changes));
  const changed = new Set<string>();
  let surprise = false;
  for (const f of r.features) {
    const before = by.get(f[0]);
    const want = requested.get(f[0]);
    if ((before !== undefined && before[1] !== f[1]) || (want !== undefined && want !== f[1])) changed.add(f[0]);
    if ((want === undefined && before !== undefined && before[1] !== f[1]) || (want !== undefined && want !== f[1])) surprise = true;
  }
  if (surprise) print(sys, "Actual changes:\n" + show_features(r.features, changed, requested));
  return 0;
}

async function call(sys: Syscalls, dev: string, cmd: EthtoolCmd): Promise<EthtoolReply | string> {
  const r = await sys.ethtool(dev, cmd);
  if (typeof r !== "number") return r;
  if (r === -19) return `Cannot get device settings: No such device`;
  if (r === -95) return `Operation not supported`;
  return strerror(r);
}

function pairs(args: string[], allowed: string[]): Record<string, number> | string {
  const out: Record<string, number> = {};
  for (let i = 0; i < args.length; i += 2) {
    const k = args[i]!;
    const v = Number(args[i + 1]);
    if (!allowed.includes(k)) return `bad command line argument(s): '${k}'`;
    if (args[i + 1] === undefined || !Number.isInteger(v) || v < 0) return `bad value for ${k}: '${args[i + 1] ?? ""}'`;
    out[k] = v;
  }
  return out;
}

export async function ethtool(argv: readonly string[], sys: Syscalls): Promise<number> {
  const args = argv.slice(1);
  const opt = args[0]?.startsWith("-") ? args[0] : "";
  const dev = opt === "" ? args[0] : args[1];
  if (dev === undefined) return fail(sys, "ethtool", USAGE);
  const rest = args.slice(opt === "" ? 1 : 2);
  let cmd: EthtoolCmd;
  switch (opt) {
    case "":
      cmd = { cmd: "link" };
      break;
    case "-i":
    case "--driver":
      cmd = { cmd: "drvinfo" };
      break;
    case "-S":
    case "--statistics":
      cmd = { cmd: "stats" };
      break;
    case "-d":
    case "--register-dump":
      cmd = { cmd: "regs" };
      break;
    case "--dump-rings":
      cmd = { cmd: "rings_dump" };
      break;
    case "-g":
    case "--show-ring":
      cmd = { cmd: "ring" };
      break;
    case "-l":
    case "--show-channels":
      cmd = { cmd: "channels" };
      break;
    case "-c":
    case "--show-coalesce":
      cmd = { cmd: "coalesce" };
      break;
    case "-k":
    case "--show-features":
    case "--show-offload":
      cmd = { cmd: "features" };
      break;
    case "-K":
    case "--features":
    case "--offload":
      return set_features(sys, dev, rest);
    case "-t":
    case "--test":
      if (rest.length > 0 && rest[0] !== "offline") return fail(sys, "ethtool", `only the offline test exists (got '${rest[0]}')`);
      cmd = { cmd: "test" };
      break;
    case "-G":
    case "--set-ring": {
      const p = pairs(rest, ["rx", "tx"]);
      if (typeof p === "string") return fail(sys, "ethtool", p);
      if (Object.keys(p).length === 0) return fail(sys, "ethtool", "no ring parameters changed, aborting");
      cmd = { cmd: "set_ring", ...(p["rx"] === undefined ? {} : { rx: p["rx"] }), ...(p["tx"] === undefined ? {} : { tx: p["tx"] }) };
      break;
    }
    case "-C":
    case "--coalesce": {
      const p = pairs(rest, ["rx-usecs"]);
      if (typeof p === "string") return fail(sys, "ethtool", p);
      if (p["rx-usecs"] === undefined) return fail(sys, "ethtool", "no coalesce parameters changed, aborting");
      cmd = { cmd: "set_coalesce", rx_usecs: p["rx-usecs"] };
      break;
    }
    default:
      return fail(sys, "ethtool", `bad command line argument(s)\n${USAGE}`);
  }
  const r = await call(sys, dev, cmd);
  if (typeof r === "string") return fail(sys, "ethtool", r, 1);
  switch (r.kind) {
    case "link": {
      const s = r.settings;
      // A NIC with no PHY (virtio) reports no ports or modes, as ethtool prints for it.
      const modes = s.port === "Other" ? `\tSupported ports: [  ]\n\tSupported link modes:   Not reported\n` : `\tSupported ports: [ TP ]\n\tSupported link modes:   10baseT/Half 10baseT/Full\n\t                        100baseT/Half 100baseT/Full\n\t                        1000baseT/Full\n`;
      print(sys, `Settings for ${dev}:\n${modes}\tSpeed: ${s.link && s.speed >= 0 ? `${s.speed}Mb/s` : "Unknown!"}\n\tDuplex: ${s.duplex === "Unknown" ? "Unknown! (255)" : s.duplex}\n\tAuto-negotiation: ${s.autoneg ? "on" : "off"}\n\tPort: ${s.port}\n\tLink detected: ${s.link ? "yes" : "no"}\n`);
      return 0;
    }
    case "drvinfo": {
      const i = r.info;
      const yn = (n: number | undefined): string => ((n ?? 0) > 0 ? "yes" : "no");
      print(sys, `driver: ${i.driver}\nversion: ${i.version}\nfirmware-version: \nexpansion-rom-version: \nbus-info: ${i.bus_info}\nsupports-statistics: ${yn(i.n_stats)}\nsupports-test: ${yn(i.testinfo_len)}\nsupports-eeprom-access: ${yn(i.eedump_len)}\nsupports-register-dump: ${yn(i.regdump_len)}\nsupports-priv-flags: no\n`);
      return 0;
    }
    case "stats":
      print(sys, "NIC statistics:\n" + r.stats.map(([k, v]) => `     ${k}: ${v}\n`).join(""));
      return 0;
    case "regs":
      print(sys, r.regs.map(([name, off, val, text]) => `0x${off.toString(16).padStart(5, "0")}: ${name.padEnd(8)} 0x${val.toString(16).padStart(8, "0")}  ${text}\n`).join(""));
      return 0;
    case "text":
      print(sys, r.text);
      return 0;
    case "ring":
      print(sys, `Ring parameters for ${dev}:\nPre-set maximums:\nRX:\t\t${r.ring.rx_max_pending}\nTX:\t\t${r.ring.tx_max_pending}\nCurrent hardware settings:\nRX:\t\t${r.ring.rx_pending}\nTX:\t\t${r.ring.tx_pending}\n`);
      return 0;
    case "channels": {
      const c = r.channels;
      const na = (n: number): string => (n === 0 ? "n/a" : String(n));
      print(sys, `Channel parameters for ${dev}:\nPre-set maximums:\nRX:\t\t${na(c.max_rx)}\nTX:\t\t${na(c.max_tx)}\nOther:\t\t${na(c.max_other)}\nCombined:\t${na(c.max_combined)}\nCurrent hardware settings:\nRX:\t\t${na(c.rx_count)}\nTX:\t\t${na(c.tx_count)}\nOther:\t\t${na(c.other_count)}\nCombined:\t${na(c.combined_count)}\n`);
      return 0;
    }
    case "coalesce":
      print(sys, `Coalesce parameters for ${dev}:\nrx-usecs: ${r.coalesce.rx_usecs}\ntx-usecs: ${r.coalesce.tx_usecs}\n`);
      return 0;
    case "test": {
      const pass = r.results.every((t) => t.result === 0);
      let out = `The test result is ${pass ? "PASS" : "FAIL"}\nThe test extra info:\n`;
      for (const t of r.results) out += `${t.name}\t ${t.result}\t(${t.detail})\n`;
      print(sys, out);
      return pass ? 0 : 1;
    }
    case "features":
      print(sys, `Features for ${dev}:\n` + show_features(r.features));
      return 0;
    case "ok":
      return 0;
  }
}

export const ethtool_command: Command = {
  name: "ethtool",
  summary: "NIC settings, statistics (-S), registers (-d), rings (-g/-G), coalescing (-c/-C), self-test (-t)",
  usage: `${USAGE}\n`,
  main: ethtool,
};
