/**
 * Host forwarding rules, spelled as QEMU's `-netdev user,hostfwd=…` (net/slirp.c slirp_hostfwd):
 *
 *   hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport      (repeatable)
 *
 * An empty protocol is tcp; hostport 0 lets the host choose; guestport is 1..65535; ports may be
 * written in decimal, 0x hex or 0-led octal (QEMU's strtol base 0). An empty guestaddr is the
 * first DHCP address (10.0.2.15), as in libslirp.
 *
 * One departure: an empty hostaddr is 127.0.0.1 here, where QEMU binds INADDR_ANY (every
 * interface of the host). A forwarded guest port is then reachable from this host only, unless
 * the rule names an address (hostfwd=tcp:0.0.0.0:8080-:80 for QEMU's behaviour).
 *
 * Errors are QEMU's, word for word: "Invalid host forwarding rule 'RULE' (REASON)" for a rule that
 * does not parse, "Could not set up host forwarding rule 'RULE'" for one the host cannot bind.
 */
import { inet_aton, inet_ntoa } from "../../include/uapi/in.ts";
import { INADDR_LOOPBACK } from "./host_net.ts";

export interface HostFwdRule {
  /** As written on the command line. */
  readonly text: string;
  readonly udp: boolean;
  readonly host_addr: number;
  /** As asked for (0: the host chooses). */
  readonly host_port: number;
  /** 0: the user network's first DHCP address. */
  readonly guest_addr: number;
  readonly guest_port: number;
  /** The port bound, once listening. */
  bound_port: number;
  /** Connections (tcp) or datagrams (udp) taken from the host. */
  accepted: number;
}

/** QEMU's get_str_sep: the text before the first `sep` and the rest, or null without one. */
function str_sep(p: string, sep: string): [string, string] | null {
  const i = p.indexOf(sep);
  return i < 0 ? null : [p.slice(0, i), p.slice(i + 1)];
}

/** A port as strtol(…, 0) reads it: decimal, 0x hex or 0-led octal; null if not all digits. */
function port_num(s: string): number | null {
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16);
  if (/^0[0-7]*$/.test(s)) return parseInt(s, 8);
  if (/^[1-9]\d*$/.test(s)) return Number(s);
  return null;
}

export function parse_hostfwd(text: string): HostFwdRule | string {
  const bad = (why: string): string => `Invalid host forwarding rule '${text}' (${why})`;
  const a = str_sep(text, ":");
  if (a === null) return bad("No : separators");
  const [proto, r1] = a;
  if (proto !== "" && proto !== "tcp" && proto !== "udp") return bad("Bad protocol name");
  const b = str_sep(r1, ":");
  if (b === null) return bad("Missing : separator");
  const host_addr = b[0] === "" ? INADDR_LOOPBACK : inet_aton(b[0]);
  if (host_addr === null) return bad("Bad host address");
  const c = str_sep(b[1], "-");
  if (c === null) return bad("Bad host port separator");
  const host_port = port_num(c[0]);
  if (host_port === null || host_port > 65535) return bad("Bad host port");
  const d = str_sep(c[1], ":");
  if (d === null) return bad("Missing guest address");
  const guest_addr = d[0] === "" ? 0 : inet_aton(d[0]);
  if (guest_addr === null) return bad("Bad guest address");
  const guest_port = port_num(d[1]);
  if (guest_port === null || guest_port < 1 || guest_port > 65535) return bad("Bad guest port");
  return { text, udp: proto === "udp", host_addr, host_port, guest_addr, guest_port, bound_port: 0, accepted: 0 };
}

/** The error line for a rule the host could not bind. */
export function hostfwd_setup_error(rule: HostFwdRule): string {
  return `Could not set up host forwarding rule '${rule.text}'`;
}

/** One line for `info network`: "hostfwd tcp 127.0.0.1:8080 -> 10.0.2.15:80 accepted=3". */
export function describe_hostfwd(rule: HostFwdRule, dhcp_start: number): string {
  const port = rule.bound_port !== 0 ? rule.bound_port : rule.host_port;
  return `hostfwd ${rule.udp ? "udp" : "tcp"} ${inet_ntoa(rule.host_addr)}:${port} -> ${inet_ntoa(rule.guest_addr !== 0 ? rule.guest_addr : dhcp_start)}:${rule.guest_port} ${rule.udp ? "datagrams" : "accepted"}=${rule.accepted}`;
}
