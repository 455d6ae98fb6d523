import { strerror } from "../../include/linux/errno.ts";
import type { EthtoolCmd, EthtoolReply } from "../../include/uapi/ethtool.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print } from "../lib/stdio.ts";

/**
 * ethtool: `ethtool DEV` (link settings), `-i` (driver), `-S` (statistics), `-d` (register dump),
 * `-g`/`-G DEV rx N tx N` (rings), `-c`/`-C DEV rx-usecs N` (interrupt coalescing), `-t DEV`
 * (offline self-test), `--dump-rings DEV` (ringzero: the ring inspector).
 */
const USAGE = "Usage: ethtool [ -i | -S | -d | -g | -c | -t | --dump-rings ] DEVNAME | ethtool -G DEVNAME [rx N] [tx N] | ethtool -C DEVNAME rx-usecs N";

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
    case "-c":
    case "--show-coalesce":
      cmd = { cmd: "coalesce" };
      break;
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
      print(sys, `Settings for ${dev}:\n\tSupported ports: [ TP ]\n\tSupported link modes:   10baseT/Half 10baseT/Full\n\t                        100baseT/Half 100baseT/Full\n\t                        1000baseT/Full\n\tSpeed: ${s.link ? `${s.speed}Mb/s` : "Unknown!"}\n\tDuplex: ${s.duplex}\n\tAuto-negotiation: ${s.autoneg ? "on" : "off"}\n\tPort: ${s.port}\n\tLink detected: ${s.link ? "yes" : "no"}\n`);
      return 0;
    }
    case "drvinfo": {
      const i = r.info;
      print(sys, `driver: ${i.driver}\nversion: ${i.version}\nfirmware-version: \nexpansion-rom-version: \nbus-info: ${i.bus_info}\nsupports-statistics: yes\nsupports-test: yes\nsupports-eeprom-access: yes\nsupports-register-dump: yes\nsupports-priv-flags: no\n`);
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
    case "ok":
      return 0;
  }
}
