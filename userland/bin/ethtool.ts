import { ENODEV, EOPNOTSUPP, strerror } from "../../include/linux/errno.ts";
import type { EthtoolCmd, EthtoolFeature, EthtoolRegs, EthtoolReply, EthtoolTestResult } from "../../include/uapi/ethtool.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print } from "../lib/stdio.ts";
import { e1000_dump_regs } from "../lib/ethtool_e1000.ts";
import { ethtool_coalesce_text, ethtool_rings_text, ethtool_settings_text } from "../lib/ethtool_netlink.ts";
import type { Command } from "../lib/command.ts";

/**
 * ethtool (6.1, as Debian 12 runs it against a 6.1 kernel): `ethtool DEV` (link settings, as the
 * netlink LINKMODES/LINKINFO/WOL/DEBUG/LINKSTATE replies print), `-i` (driver), `-S`
 * (statistics), `-d` (register dump: the driver's own dumper for e1000, else hex), `-g`/`-G DEV
 * rx N tx N` (rings), `-c`/`-C DEV rx-usecs N` (interrupt coalescing), `-t DEV [offline]`
 * (self-test), `-k` / `-K DEV rx|tx|sg|tso|FEATURE on|off …` (offload features), `--dump-rings
 * DEV` (ringzero: the ring inspector). Errors are ethtool's: the ioctl commands' "Cannot …: "
 * messages and exit codes, and "netlink error: …" (exit 1) for those that go over netlink.
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
  if (r === -ENODEV) return `Cannot get device settings: No such device`;
  if (r === -EOPNOTSUPP) return `Operation not supported`;
  return strerror(r);
}

/** The request as ethtool makes it; the kernel's errno when it fails (no answer at all: -EOPNOTSUPP). */
async function request(sys: Syscalls, dev: string, cmd: EthtoolCmd): Promise<EthtoolReply | number> {
  const r = await sys.ethtool(dev, cmd);
  return r ?? -EOPNOTSUPP;
}

/** A netlink request's failure as ethtool's nlsock reports it (the kernel's extack first), exit 1. */
function netlink_error(sys: Syscalls, err: number): number {
  const extack = err === -ENODEV ? "netlink error: no device matches name (offset 24)\n" : "";
  sys.write(2, `${extack}netlink error: ${strerror(err)}\n`);
  return 1;
}

/** An ioctl command's failure: perror(what) and ethtool's exit code for it. */
function ioctl_error(sys: Syscalls, what: string, err: number, status: number): number {
  sys.write(2, `${what}: ${strerror(err)}\n`);
  return status;
}

/** dump_hex(): ethtool's fallback for a register dump no dumper decodes. */
function dump_hex(data: Uint8Array): string {
  let out = "Offset\t\tValues\n------\t\t------";
  for (let i = 0; i < data.length; i++) {
    if (i % 16 === 0) out += `\n0x${i.toString(16).padStart(4, "0")}:\t\t`;
    out += `${data[i]!.toString(16).padStart(2, "0")} `;
  }
  return out + "\n";
}

/** do_gregs(): driver info, then the dump, decoded by the driver's dumper when ethtool has one. */
async function do_gregs(sys: Syscalls, dev: string): Promise<number> {
  const info = await request(sys, dev, { cmd: "drvinfo" });
  if (typeof info === "number" || info.kind !== "drvinfo") return ioctl_error(sys, "Cannot get driver information", typeof info === "number" ? info : -EOPNOTSUPP, 72);
  const r = await request(sys, dev, { cmd: "regs" });
  if (typeof r === "number" || r.kind !== "regs" || r.regs.length === 0) return ioctl_error(sys, "Cannot get register dump", typeof r === "number" ? r : -EOPNOTSUPP, 74);
  const regs: EthtoolRegs = r.regs;
  const version = regs[0]![2];
  const words = regs.slice(1).map((w) => w[2] >>> 0);
  const text = info.info.driver === "e1000" || info.info.driver === "e1000e" ? e1000_dump_regs(version, words) : null;
  if (text !== null) {
    await print(sys, text);
    return 0;
  }
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w, true));
  await print(sys, dump_hex(bytes));
  return 0;
}

/** do_test() and dump_test(): the verdict, each test's string and result word, a blank line; exit 2 on failure (ETH_TEST_FL_FAILED). */
async function do_test(sys: Syscalls, dev: string): Promise<number> {
  const r = await request(sys, dev, { cmd: "test" });
  if (typeof r === "number" || r.kind !== "test") {
    const err = typeof r === "number" ? r : -EOPNOTSUPP;
    return err === -ENODEV ? ioctl_error(sys, "Cannot get strings", err, 74) : ioctl_error(sys, "Cannot test", err, 74);
  }
  const results: EthtoolTestResult[] = r.results;
  const failed = results.some((t) => t.result !== 0);
  let out = `The test result is ${failed ? "FAIL" : "PASS"}\n`;
  if (results.length > 0) out += "The test extra info:\n";
  for (const t of results) out += `${t.name}\t ${t.result}\n`;
  await print(sys, out + "\n");
  return failed ? 2 : 0;
}

/** nl_gset(): the settings block; "No data available" (75) when the device answers nothing. */
async function do_gset(sys: Syscalls, dev: string): Promise<number> {
  const r = await request(sys, dev, { cmd: "link" });
  if (typeof r === "number" || r.kind !== "link") {
    const err = typeof r === "number" ? r : -EOPNOTSUPP;
    // The five requests nl_gset makes each fail the same way; a missing device is reported by each.
    if (err === -ENODEV) for (let i = 0; i < 5; i++) sys.write(2, "netlink error: no device matches name (offset 24)\nnetlink error: No such device\n");
    await print(sys, "No data available\n");
    return 75;
  }
  await print(sys, ethtool_settings_text(dev, r.settings));
  return 0;
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
      return do_gset(sys, dev);
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
      return do_gregs(sys, dev);
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
      // The core runs the offline test only (it passes no ETH_TEST_FL_* flags to the driver).
      if (rest.length > 1 || (rest.length === 1 && !["online", "offline", "external_lb"].includes(rest[0]!))) return fail(sys, "ethtool", `bad command line argument(s)\n${USAGE}`);
      if (rest.length === 1 && rest[0] !== "offline") return fail(sys, "ethtool", `only the offline test exists (got '${rest[0]}')`);
      return do_test(sys, dev);
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
  const r = await request(sys, dev, cmd);
  if (typeof r === "number") {
    // How ethtool reports each request's failure: over netlink, or as the ioctl's perror.
    switch (cmd.cmd) {
      case "drvinfo":
        return ioctl_error(sys, "Cannot get driver information", r, 71);
      case "stats":
        return ioctl_error(sys, "Cannot get stats strings information", r, 96);
      case "ring":
      case "coalesce":
      case "channels":
      case "features":
        return netlink_error(sys, r);
      default:
        return fail(sys, "ethtool", r === -ENODEV ? "Cannot get device settings: No such device" : r === -EOPNOTSUPP ? "Operation not supported" : strerror(r), 1);
    }
  }
  switch (r.kind) {
    case "link":
      await print(sys, ethtool_settings_text(dev, r.settings));
      return 0;
    case "drvinfo": {
      const i = r.info;
      const yn = (n: number | undefined): string => ((n ?? 0) > 0 ? "yes" : "no");
      print(sys, `driver: ${i.driver}\nversion: ${i.version}\nfirmware-version: \nexpansion-rom-version: \nbus-info: ${i.bus_info}\nsupports-statistics: ${yn(i.n_stats)}\nsupports-test: ${yn(i.testinfo_len)}\nsupports-eeprom-access: ${yn(i.eedump_len)}\nsupports-register-dump: ${yn(i.regdump_len)}\nsupports-priv-flags: no\n`);
      return 0;
    }
    case "stats":
      print(sys, "NIC statistics:\n" + r.stats.map(([k, v]) => `     ${k}: ${v}\n`).join(""));
      return 0;
    case "text":
      print(sys, r.text);
      return 0;
    case "ring":
      await print(sys, ethtool_rings_text(dev, r.ring));
      return 0;
    case "channels": {
      const c = r.channels;
      const na = (n: number): string => (n === 0 ? "n/a" : String(n));
      print(sys, `Channel parameters for ${dev}:\nPre-set maximums:\nRX:\t\t${na(c.max_rx)}\nTX:\t\t${na(c.max_tx)}\nOther:\t\t${na(c.max_other)}\nCombined:\t${na(c.max_combined)}\nCurrent hardware settings:\nRX:\t\t${na(c.rx_count)}\nTX:\t\t${na(c.tx_count)}\nOther:\t\t${na(c.other_count)}\nCombined:\t${na(c.combined_count)}\n`);
      return 0;
    }
    case "coalesce":
      await print(sys, ethtool_coalesce_text(dev, r.coalesce));
      return 0;
    case "regs":
    case "test":
      return 0; // asked for by do_gregs and do_test, not here
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
