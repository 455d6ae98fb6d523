/**
 * The host's resolver for the user network's name server (user_net_dns.ts), from Node:
 *   - the host's /etc/hosts, read once, synchronously, on first use (so a run on the virtual clock
 *     sees the same table from start to end and answers at once);
 *   - in realtime mode only, names the table does not know go to Node's dns.lookup (getaddrinfo:
 *     nsswitch, the host's DNS) and addresses to dns.reverse; their answers arrive when they arrive.
 * On the virtual clock there is no waiting on the host: unknown names are NXDOMAIN.
 */
import { lookup as dns_lookup, reverse as dns_reverse } from "node:dns";
import { readFileSync } from "node:fs";
import { hosts_resolver, parse_hosts, type HostResolver, type HostsTable } from "./user_net_dns.ts";

export const HOSTS_PATH = "/etc/hosts";

let hosts_cache: HostsTable | null = null;

/** The host's /etc/hosts, parsed; read on the first call only. An unreadable file is an empty table. */
export function host_hosts_table(): HostsTable {
  if (hosts_cache === null) {
    let text = "";
    try {
      text = readFileSync(HOSTS_PATH, "utf8");
    } catch {
      // No hosts file (or not readable): only the built-in localhost.
    }
    hosts_cache = parse_hosts(text);
  }
  return hosts_cache;
}

export interface NodeResolverOptions {
  /** Ask the host's resolver for names the hosts table lacks (realtime clock only). */
  realtime: boolean;
  /** A lookup went to the host (the run loop should not call the world idle) … */
  on_start?: () => void;
  /** … and its answer has been handed over (wake the run loop). */
  on_done?: () => void;
  /** A table instead of the host's /etc/hosts (tests). */
  hosts?: HostsTable;
}

function ipv4_of(text: string): number | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  return m === null ? null : ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** The host's resolver. `failures` counts answers that could not be handed over (never thrown). */
export function node_host_resolver(opts: NodeResolverOptions): HostResolver & { failures: number } {
  const base = hosts_resolver(opts.hosts ?? host_hosts_table());
  const r: HostResolver & { failures: number } = { lookup: base.lookup, reverse: base.reverse, failures: 0 };
  if (!opts.realtime) return r;
  /** Run `fn` in a Node callback: nothing thrown there may reach Node's event loop. */
  const settle = (fn: () => void): void => {
    try {
      fn();
    } catch {
      r.failures++;
    }
    opts.on_done?.();
  };
  r.lookup_async = (name, done) => {
    opts.on_start?.();
    try {
      dns_lookup(name, { family: 4, all: true }, (err, addrs) => {
        settle(() => {
          if (err === null) done(addrs.map((a) => ipv4_of(a.address)).filter((a): a is number => a !== null));
          else if (err.code === "ENOTFOUND") done(null);
          else if (err.code === "ENODATA") done([]);
          else done("fail");
        });
      });
    } catch {
      settle(() => done("fail")); // a name Node refuses to look up
    }
  };
  r.reverse_async = (addr, done) => {
    opts.on_start?.();
    const ip = `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
    try {
      dns_reverse(ip, (err, names) => {
        settle(() => {
          if (err === null) done(names.length > 0 ? names[0]!.toLowerCase() : null);
          else if (err.code === "ENOTFOUND") done(null);
          else done("fail");
        });
      });
    } catch {
      settle(() => done("fail"));
    }
  };
  return r;
}
