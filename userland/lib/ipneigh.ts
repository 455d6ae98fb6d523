/**
 * `ip neigh` as iproute2 6.1's ip/ipneigh.c does it: show (print_neigh), flush (dump, then
 * RTM_DELNEIGH for each entry the filter keeps, in rounds), add/change/replace/del (ipneigh_modify)
 * and get, with its messages and exit statuses.
 */
import { strerror } from "../../include/linux/errno.ts";
import {
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NUD_DELAY,
  NUD_FAILED,
  NUD_INCOMPLETE,
  NUD_NOARP,
  NUD_NONE,
  NUD_PERMANENT,
  NUD_PROBE,
  NUD_REACHABLE,
  NUD_STALE,
  type NeighInfo,
  type NeighSyscalls,
} from "../../include/uapi/if.ts";
import { inet_aton, inet_ntoa, prefix_mask, type NeighEntry } from "../../include/uapi/in.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { print } from "./stdio.ts";

export const NEIGH_USAGE =
  "Usage: ip neigh { add | del | change | replace }\n" +
  "                { ADDR [ lladdr LLADDR ] [ nud STATE ] proxy ADDR }\n" +
  "                [ dev DEV ] [ router ] [ use ] [ managed ] [ extern_learn ]\n" +
  "                [ protocol PROTO ]\n" +
  "\n" +
  "\tip neigh { show | flush } [ proxy ] [ to PREFIX ] [ dev DEV ] [ nud STATE ]\n" +
  "\t\t\t\t  [ vrf NAME ] [ nomaster ]\n" +
  "\tip neigh get { ADDR | proxy ADDR } dev DEV\n" +
  "\n" +
  "STATE := { delay | failed | incomplete | noarp | none |\n" +
  "           permanent | probe | reachable | stale }\n";

/** nud_state_a2n() / print_neigh_state()'s names, in print order. */
const NUD_NAMES: readonly [number, string][] = [
  [NUD_INCOMPLETE, "INCOMPLETE"],
  [NUD_REACHABLE, "REACHABLE"],
  [NUD_STALE, "STALE"],
  [NUD_DELAY, "DELAY"],
  [NUD_PROBE, "PROBE"],
  [NUD_FAILED, "FAILED"],
  [NUD_NOARP, "NOARP"],
  [NUD_PERMANENT, "PERMANENT"],
];
const NUD_BY_NAME: Readonly<Record<string, number>> = {
  permanent: NUD_PERMANENT,
  reachable: NUD_REACHABLE,
  noarp: NUD_NOARP,
  none: NUD_NONE,
  stale: NUD_STALE,
  incomplete: NUD_INCOMPLETE,
  delay: NUD_DELAY,
  probe: NUD_PROBE,
  failed: NUD_FAILED,
};
const STATE_BITS: Readonly<Record<NeighEntry["state"], number>> = { INCOMPLETE: NUD_INCOMPLETE, REACHABLE: NUD_REACHABLE, STALE: NUD_STALE, FAILED: NUD_FAILED, PERMANENT: NUD_PERMANENT };
/** USER_HZ, the unit of nda_cacheinfo; print_cacheinfo divides by it. */
const USER_HZ = 100;
/** Flush gives up after this many rounds (MAX_ROUNDS). */
const MAX_ROUNDS = 10;

/** One line on stderr, as iproute2 prints its own complaints; returns `status`. */
function err(sys: Syscalls, line: string, status: number): number {
  sys.write(2, `${line}\n`);
  return status;
}

/** The neighbour calls, when this kernel's system-call table offers them (RTM_*NEIGH). */
function neigh_calls(sys: Syscalls): Partial<NeighSyscalls> {
  return sys as Syscalls & Partial<NeighSyscalls>;
}

/** RTM_GETNEIGH dump. Without NDA_CACHEINFO from the kernel, `cacheinfo` is false. */
function neigh_dump(sys: Syscalls): { entries: NeighInfo[]; cacheinfo: boolean } | number {
  const ns = neigh_calls(sys);
  if (ns.neigh_dump !== undefined) {
    const r = ns.neigh_dump();
    return typeof r === "number" ? r : { entries: r, cacheinfo: true };
  }
  const r = sys.neigh_list();
  if (typeof r === "number") return r;
  return { entries: r.map((e) => ({ addr: e.addr, ifname: e.ifname, lladdr: e.mac, state: STATE_BITS[e.state], refcnt: 0, used: 0, confirmed: 0, updated: 0, probes: 0 })), cacheinfo: false };
}

interface Filter {
  dev: string | null;
  /** NUD bits shown; 0x100 also shows NUD_NONE entries. */
  state: number;
  pfx: { addr: number; prefix: number } | null;
}

/** print_neigh(): "10.0.2.2 dev eth0 lladdr 52:55:0a:00:02:02 REACHABLE " (dev left out when filtered by it). */
function neigh_line(e: NeighInfo, f: Filter, stats: number, cacheinfo: boolean): string {
  let out = `${inet_ntoa(e.addr)} `;
  if (f.dev === null) out += `dev ${e.ifname} `;
  if (e.lladdr !== "") out += `lladdr ${e.lladdr} `;
  if (stats > 0 && cacheinfo) {
    if (e.refcnt !== 0) out += ` ref ${e.refcnt}`;
    out += ` used ${Math.floor(e.used / USER_HZ)}/${Math.floor(e.confirmed / USER_HZ)}/${Math.floor(e.updated / USER_HZ)}`;
    out += `probes ${e.probes} `;
  }
  for (const [bit, name] of NUD_NAMES) if (e.state & bit) out += `${name} `;
  return `${out}\n`;
}

/** The entries print_neigh keeps under `f`. */
function matches(e: NeighInfo, f: Filter): boolean {
  if (f.dev !== null && e.ifname !== f.dev) return false;
  if (!(f.state & e.state) && (e.state !== 0 || !(f.state & 0x100))) return false;
  if (f.pfx !== null && ((e.addr & prefix_mask(f.pfx.prefix)) >>> 0) !== ((f.pfx.addr & prefix_mask(f.pfx.prefix)) >>> 0)) return false;
  return true;
}

/** get_prefix(): "10.0.2.0/24", "10.0.2.2", or all/any/default for every address. */
function parse_prefix(s: string): { addr: number; prefix: number } | null {
  if (s === "all" || s === "any" || s === "default") return { addr: 0, prefix: 0 };
  const m = /^([\d.]+)(?:\/(\d+))?$/.exec(s);
  const a = m === null ? null : inet_aton(m[1]!);
  const p = m?.[2] === undefined ? 32 : Number(m[2]);
  return a === null || p > 32 ? null : { addr: a, prefix: p };
}

/** do_show_or_flush() */
async function show_or_flush(args: string[], sys: Syscalls, stats: number, flush: boolean): Promise<number> {
  if (flush && args.length === 0) return err(sys, "Flush requires arguments.", 1);
  const f: Filter = { dev: null, state: flush ? ~(NUD_PERMANENT | NUD_NOARP) : 0xff & ~NUD_NOARP, pfx: null };
  let state_given = false;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w === "dev") {
      const d = args[++i];
      if (d === undefined) return incomplete(sys);
      f.dev = d;
    } else if (w === "nud") {
      const v = args[++i];
      if (v === undefined) return incomplete(sys);
      if (!state_given) {
        state_given = true;
        f.state = 0;
      }
      let st = NUD_BY_NAME[v];
      if (st === undefined) {
        if (v !== "all") return err(sys, `Error: argument "${v}" is wrong: nud state is bad`, 255);
        st = flush ? ~NUD_NOARP : ~0;
      }
      f.state |= st === 0 ? 0x100 : st;
    } else if (w === "proxy" || w === "unused" || w === "nomaster") {
      // No proxy entries exist; nothing is filtered away by the rest.
    } else {
      const p = parse_prefix(w === "to" ? (args[++i] ?? "") : w);
      if (p === null) return err(sys, `Error: any valid prefix is expected rather than "${w === "to" ? (args[i] ?? "") : w}".`, 1);
      f.pfx = p;
    }
  }
  if (f.dev !== null) {
    const links = sys.getlinks();
    if (typeof links !== "number" && !links.some((l) => l.name === f.dev)) return err(sys, `Cannot find device "${f.dev}"`, 1);
  }
  if (!flush) {
    const d = neigh_dump(sys);
    if (typeof d === "number") return err(sys, `Dump terminated: ${strerror(d)}`, 1);
    await print(sys, d.entries.filter((e) => matches(e, f)).map((e) => neigh_line(e, f, stats, d.cacheinfo)).join(""));
    return 0;
  }
  const del = neigh_calls(sys).neigh_del;
  let out = "";
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const d = neigh_dump(sys);
    if (typeof d === "number") return err(sys, `Cannot send dump request: ${strerror(d)}`, 1);
    const doomed = d.entries.filter((e) => matches(e, f));
    if (doomed.length === 0) {
      if (stats > 0) out += round === 0 ? "Nothing to flush.\n" : `*** Flush is complete after ${round} round${round > 1 ? "s" : ""} ***\n`;
      await print(sys, out);
      return 0;
    }
    if (stats > 1) out += doomed.map((e) => neigh_line(e, f, stats, d.cacheinfo)).join("");
    if (del === undefined) {
      await print(sys, out);
      return err(sys, `RTNETLINK answers: ${strerror(-95)}`, 2);
    }
    for (const e of doomed) del(e.ifname, e.addr);
    if (stats > 0) out += `\n*** Round ${round + 1}, deleting ${doomed.length} entries ***\n`;
    // FAILED entries are not looked for again.
    f.state &= ~NUD_FAILED;
  }
  await print(sys, `${out}*** Flush not complete bailing out after ${MAX_ROUNDS} rounds\n`);
  return 1;
}

/** "Command line is not complete. Try option "help"" (NEXT_ARG at the end of the line). */
function incomplete(sys: Syscalls): number {
  return err(sys, 'Command line is not complete. Try option "help"', 255);
}

/** ll_addr_a2n(): "52:54:00:12:34:56" → its octets, or null. */
function ll_addr_a2n(s: string): number[] | null {
  const parts = s.split(":");
  if (parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) return null;
  return parts.map((p) => parseInt(p, 16));
}

/** ipneigh_modify(): RTM_NEWNEIGH with `flags`, or RTM_DELNEIGH. */
function modify(args: string[], sys: Syscalls, del: boolean, flags: number): number {
  let lla: string | null = null;
  let state = NUD_PERMANENT;
  let dev: string | null = null;
  let dst: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w.length > 0 && "lladdr".startsWith(w)) {
      const v = args[++i];
      if (v === undefined) return incomplete(sys);
      if (lla !== null) return err(sys, `Error: duplicate "lladdr": "${v}" is the second value.`, 255);
      lla = v;
    } else if (w === "nud") {
      const v = args[++i];
      if (v === undefined) return incomplete(sys);
      const st = NUD_BY_NAME[v];
      if (st === undefined) return err(sys, `Error: argument "${v}" is wrong: nud state is bad`, 255);
      state = st;
    } else if (w === "dev") {
      const v = args[++i];
      if (v === undefined) return incomplete(sys);
      dev = v;
    } else if (w === "router" || w === "use" || w === "managed" || w === "extern_learn") {
      // Flags this table does not keep.
    } else {
      const a = w === "to" ? args[++i] : w;
      if (a === undefined) return incomplete(sys);
      if (dst !== null) return err(sys, `Error: either "to" is duplicate, or "${a}" is a garbage.`, 255);
      dst = inet_aton(a);
      if (dst === null) return err(sys, `Error: any valid address is expected rather than "${a}".`, 1);
    }
  }
  if (dev === null || dst === null) return err(sys, "Device and destination are required arguments.", 255);
  let mac: string | null = null;
  if (lla !== null && lla !== "null") {
    const octets = ll_addr_a2n(lla);
    if (octets === null) return err(sys, `"${lla}" is invalid lladdr.`, 1);
    mac = octets.map((o) => o.toString(16).padStart(2, "0")).join(":");
  }
  const links = sys.getlinks();
  if (typeof links !== "number" && !links.some((l) => l.name === dev)) return err(sys, `Cannot find device "${dev}"`, 1);
  const ns = neigh_calls(sys);
  if (ns.neigh_add === undefined || ns.neigh_del === undefined) return err(sys, `RTNETLINK answers: ${strerror(-95)}`, 2);
  // The kernel's extack messages for an address of the wrong length, and for none to use.
  if (!del && mac !== null && mac.split(":").length !== 6) return err(sys, "Error: Invalid link address.", 2);
  const r = del ? ns.neigh_del(dev, dst) : ns.neigh_add(dev, dst, mac, state, flags);
  if (r === 0) return 0;
  if (r === -19) return err(sys, `Cannot find device "${dev}"`, 1);
  if (r === -22 && !del && mac === null) return err(sys, "Error: No link layer address given.", 2);
  return err(sys, `RTNETLINK answers: ${strerror(r)}`, 2);
}

/** ipneigh_get(): one entry, or "Error: Neighbour entry not found." */
async function get(args: string[], sys: Syscalls): Promise<number> {
  let dev: string | null = null;
  let dst: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w === "dev") dev = args[++i] ?? null;
    else if (w !== "proxy") {
      dst = inet_aton(w === "to" ? (args[++i] ?? "") : w);
      if (dst === null) return err(sys, `Error: any valid address is expected rather than "${w}".`, 1);
    }
  }
  if (dev === null || dst === null) return err(sys, "Device and address are required arguments.", 255);
  const d = neigh_dump(sys);
  if (typeof d === "number") return err(sys, `RTNETLINK answers: ${strerror(d)}`, 2);
  const e = d.entries.find((x) => x.ifname === dev && x.addr === dst);
  if (e === undefined) return err(sys, "Error: Neighbour entry not found.", 2);
  await print(sys, neigh_line(e, { dev: null, state: ~0, pfx: null }, 0, d.cacheinfo));
  return 0;
}

/** do_ipneigh(): `args` are what follows `ip neigh`; `stats` counts -s. */
export async function do_ipneigh(args: string[], sys: Syscalls, stats: number): Promise<number> {
  const cmd = args[0];
  const rest = args.slice(1);
  if (cmd === undefined) return show_or_flush([], sys, stats, false);
  // matches(): the word may be cut short; the first command it begins wins, in iproute2's order.
  const is = (full: string): boolean => cmd.length > 0 && full.startsWith(cmd);
  if (is("add")) return modify(rest, sys, false, NLM_F_CREATE | NLM_F_EXCL);
  if (is("change") || cmd === "chg") return modify(rest, sys, false, NLM_F_REPLACE);
  if (is("replace")) return modify(rest, sys, false, NLM_F_CREATE | NLM_F_REPLACE);
  if (is("delete")) return modify(rest, sys, true, 0);
  if (is("get")) return get(rest, sys);
  if (is("show") || is("lst") || is("list")) return show_or_flush(rest, sys, stats, false);
  if (is("flush")) return show_or_flush(rest, sys, stats, true);
  if (is("help")) return err(sys, NEIGH_USAGE.slice(0, -1), 255);
  return err(sys, `Command "${cmd}" is unknown, try "ip neigh help".`, 255);
}
