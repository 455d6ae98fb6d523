import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { constants as os_constants } from "node:os";
import { delimiter, join } from "node:path";
import type { VirtualClock } from "../clock.ts";
import type { Tracer } from "../trace.ts";
import { DgramBackend } from "./netdev_dgram.ts";

/**
 * `-netdev tap,id=ID[,ifname=NAME][,script=FILE|no][,downscript=FILE|no][,br=BRIDGE]`: the NIC's
 * wire is a TAP device of the host's Linux kernel (QEMU's net/tap.c, net/tap-linux.c).
 *
 * Node cannot issue the TUNSETIFF ioctl, so a helper does: socat (Debian's package) opens
 * /dev/net/tun, attaches the TAP (IFF_TAP | IFF_NO_PI: bare Ethernet frames, as QEMU asks for
 * them) and copies each frame the host's kernel sends on the TAP into one UDP datagram to this
 * back-end on 127.0.0.1, and each datagram back as one frame: the dgram back-end does the rest.
 * Both UDP sockets are connected to each other, so the kernel drops datagrams from any other
 * local process: nobody else can put frames on the TAP or the wire. The helper starts before
 * boot; until it says its transfer loop runs, start() waits, and its errors are QEMU's
 * (could not configure /dev/net/tun (NAME): …). It lives in a session of its own (a ^C at the
 * terminal is the guest's) and dies with ringzero (setpriv --pdeathsig, util-linux). If it dies
 * while the machine runs, the carrier drops (the NIC reports its link down), what the NIC sends
 * is counted as no_peer, and ringzero says so once.
 *
 * Without ifname the kernel names the TAP (QEMU asks for "tap%d" the same way); the name is read
 * back from the helper's descriptor (/proc/PID/fdinfo: `iff:`). `script` runs with the interface
 * name once the TAP exists, and its failure stops the start; `downscript` runs at power-off (and
 * on every other way out), before the TAP is let go, as QEMU's exit notifier does. QEMU brings the
 * interface up only through the script; so does this back-end. QEMU's default script is
 * /etc/qemu-ifup (and it fails when that is missing); here the default runs only if it exists.
 * `br=BRIDGE` is QEMU's option for its bridge helper (helper=); here it needs no helper: the TAP
 * joins that existing bridge (`ip link set NAME master BRIDGE`) before the script runs.
 *
 * Host context only (process start, socket I/O); frames reach the NIC through the dgram queue on
 * the machine's clock.
 */
export interface TapOptions {
  ifname: string | null;
  /** null: QEMU's default script, when it exists. "" and "no": none. */
  script: string | null;
  downscript: string | null;
  br: string | null;
}

/** QEMU's defaults (DEFAULT_NETWORK_SCRIPT, DEFAULT_NETWORK_DOWN_SCRIPT). */
export const DEFAULT_NETWORK_SCRIPT = "/etc/qemu-ifup";
export const DEFAULT_NETWORK_DOWN_SCRIPT = "/etc/qemu-ifdown";
const os_signals = os_constants.signals;
/** How long the helper may take to attach the TAP (host time). */
const HELPER_START_MS = 5000;
/** IFNAMSIZ - 1, and the characters Linux's dev_valid_name allows that are safe in a path. */
const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

/** `name` on PATH, or null. */
export function find_program(name: string, path = process.env["PATH"] ?? ""): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

export function tap_ifname_valid(name: string): boolean {
  return IFNAME_RE.test(name) && name !== "." && name !== "..";
}

/** The script a `script=`/`downscript=` value names, or null for none (QEMU's rules). */
export function tap_script(value: string | null, fallback: string): string | null {
  if (value === null) return existsSync(fallback) ? fallback : null;
  if (value === "" || value === "no") return null;
  return value;
}

/** Is `name` a bridge in this network namespace (asked over netlink, as ip does)? */
function is_bridge(name: string): boolean {
  const r = spawnSync("ip", ["-d", "-j", "link", "show", "dev", name], { encoding: "utf8" });
  if (r.status !== 0) return false;
  try {
    const links = JSON.parse(r.stdout) as { linkinfo?: { info_kind?: string } }[];
    return links[0]?.linkinfo?.info_kind === "bridge";
  } catch {
    return false;
  }
}

/** The TAP a process holds on descriptor `fd`: its fdinfo's `iff:` line (tun_chr_show_fdinfo). */
function tap_name_of(pid: number, fd: number): string | null {
  try {
    return /^iff:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** socat's error line (` E …`) as QEMU words the same failure (no name when the kernel was to pick one). */
export function tap_helper_error(line: string, ifname: string): string {
  const ioctl = /TUNSETIFF, \{"[^"]*"\}\)?: (.+)$/.exec(line);
  if (ioctl !== null) return ifname !== "" ? `could not configure /dev/net/tun (${ifname}): ${ioctl[1]}` : `could not configure /dev/net/tun: ${ioctl[1]}`;
  const open = /open\("\/dev\/net\/tun"[^)]*\): (.+)$/.exec(line);
  if (open !== null) return `could not open /dev/net/tun: ${open[1]}`;
  return `the TAP helper failed: ${line.replace(/^.*? E /, "")}`;
}

/**
 * Run a network script with the interface name; null, or QEMU's error line. QEMU prints the raw
 * wait status (exit code 1 is "status 256"), and a script it cannot execute is its child's
 * _exit(1): the same line.
 */
function run_script(script: string, ifname: string): string | null {
  const r = spawnSync(script, [ifname], { stdio: ["ignore", "inherit", "inherit"], timeout: 30_000 });
  if (r.error !== undefined) return `network script ${script} failed with status 256`;
  if (r.status === 0) return null;
  const status = r.status !== null ? r.status << 8 : (os_signals[r.signal as keyof typeof os_signals] ?? 0);
  return `network script ${script} failed with status ${status}`;
}

export class TapBackend extends DgramBackend {
  readonly opts: TapOptions;
  /** The TAP's name (given, or the kernel's pick, read back once the helper holds it). */
  ifname: string;
  private helper: ChildProcess | null = null;
  private helper_pid = 0;
  /** The helper's exit status once it has exited (null while it runs or before it started). */
  private helper_exit: string | null = null;
  private last_error = "";
  /** stop() has run (it runs once, however ringzero ends). */
  private stopped = false;
  /** The TAP exists and the down script is owed at stop(). */
  private attached = false;
  private readonly down_script: string | null;

  constructor(id: string, clock: VirtualClock, tracer: Tracer, kick: () => void, opts: TapOptions) {
    super(id, clock, tracer, kick, { host: "127.0.0.1", port: 0 }, { host: "127.0.0.1", port: 0 });
    this.opts = opts;
    this.ifname = opts.ifname ?? "";
    this.down_script = tap_script(opts.downscript, DEFAULT_NETWORK_DOWN_SCRIPT);
  }

  override where(): string {
    const state = this.helper_exit !== null ? `helper socat (pid ${this.helper_pid}) exited: ${this.helper_exit}, no carrier` : this.helper_pid > 0 ? `helper socat pid ${this.helper_pid}` : "not started";
    return `tap ifname=${this.ifname || "-"}${this.opts.br !== null ? ` br=${this.opts.br}` : ""} ${state} (udp 127.0.0.1:${this.local.port} <-> 127.0.0.1:${this.remote.port})`;
  }

  override connected(): boolean {
    return super.connected() && this.helper !== null && this.helper_exit === null;
  }

  /** Before boot: socket, helper, bridge, script. Null, or one error line (QEMU's words). */
  override async start(): Promise<string | null> {
    const fail = (msg: string): string => {
      this.stop();
      return `-netdev tap,id=${this.id}: ${msg}`;
    };
    const socat = find_program("socat");
    if (socat === null) return `-netdev tap,id=${this.id}: socat not found: ringzero opens TAP devices through it (Debian package: socat; apt-get install socat)`;
    if (this.opts.br !== null && !is_bridge(this.opts.br)) return `-netdev tap,id=${this.id}: failed to get mtu of bridge \`${this.opts.br}': No such device`;
    const script = tap_script(this.opts.script, DEFAULT_NETWORK_SCRIPT);
    const err = await super.start();
    if (err !== null) return err;
    const up = await this.start_helper(socat);
    if (up !== null) return fail(up);
    // socat's end is bound and connected to ours: connect ours back, and nobody else is heard.
    const conn = await this.connect_remote();
    if (conn !== null) return fail(conn);
    this.attached = true;
    if (this.opts.br !== null) {
      const r = spawnSync("ip", ["link", "set", this.ifname, "master", this.opts.br], { encoding: "utf8" });
      if (r.status !== 0) return fail(`could not add ${this.ifname} to bridge ${this.opts.br}: ${(r.stderr || r.error?.message || "").trim()}`);
    }
    if (script !== null) {
      const e = run_script(script, this.ifname);
      if (e !== null) return fail(e);
    }
    return null;
  }

  /**
   * Start socat and wait until it has attached the TAP (or failed). Its UDP end binds any free
   * port and connects to ours; the port and, without ifname, the TAP's name are read back from
   * its notices and its descriptor.
   */
  private start_helper(socat: string): Promise<string | null> {
    const tun = `TUN,tun-type=tap${this.ifname !== "" ? `,tun-name=${this.ifname}` : ""},iff-no-pi`;
    const args = ["-d", "-d", "-b", "65536", tun, `UDP-CONNECT:127.0.0.1:${this.local.port},bind=127.0.0.1:0`];
    // setpriv (util-linux) makes the kernel send the helper SIGTERM when ringzero dies, however it dies.
    const setpriv = find_program("setpriv");
    const cmd = setpriv !== null ? [setpriv, "--pdeathsig", "TERM", socat, ...args] : [socat, ...args];
    // A session of its own: a ^C typed at ringzero's terminal is the guest's, not the helper's.
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "ignore", "pipe"], detached: true });
    this.helper = child;
    this.helper_pid = child.pid ?? 0;
    return new Promise((resolve) => {
      let settled = false;
      let buf = "";
      const settle = (r: string | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => settle(`the TAP helper did not attach ${this.ifname || "a TAP"} within ${HELPER_START_MS / 1000} s`), HELPER_START_MS);
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (/ E /.test(line)) this.last_error = line;
          const port = /successfully connected from local address AF=2 127\.0\.0\.1:(\d+)/.exec(line);
          if (port !== null) this.remote.port = Number(port[1]);
          const loop = /starting data transfer loop with FDs \[(\d+),/.exec(line);
          if (loop !== null) {
            if (this.ifname === "") this.ifname = tap_name_of(this.helper_pid, Number(loop[1])) ?? "";
            if (this.remote.port === 0 || this.ifname === "") settle(`the TAP helper attached, but its ${this.remote.port === 0 ? "UDP port" : "interface name"} could not be read back`);
            else settle(null);
          }
        }
      });
      child.on("error", (e) => settle(`could not start socat: ${e.message}`));
      // "close", not "exit": its last error line has been read by then.
      child.on("close", (code, signal) => {
        this.helper_exit = code !== null ? `status ${code}` : `signal ${signal}`;
        if (!settled) {
          settle(this.last_error !== "" ? tap_helper_error(this.last_error, this.ifname) : `socat exited (${this.helper_exit}) before attaching ${this.ifname || "a TAP"}`);
          return;
        }
        if (this.stopped) return;
        // The wire is gone while the machine runs: no carrier from now on, said once.
        this.stats.disconnects++;
        this.set_carrier(false);
        this.warn(`TAP helper socat (pid ${this.helper_pid}) exited with ${this.helper_exit}${this.last_error !== "" ? ` (${this.last_error.replace(/^.*? E /, "")})` : ""}: ${this.ifname} has no carrier; frames the NIC sends are dropped and counted (no_peer)`);
        this.kick();
      });
    });
  }

  /**
   * Power-off, or any other way out (boot/main.ts calls it from the process's exit too): the down
   * script runs while the TAP still exists (QEMU's order), then the helper and the socket go.
   * Synchronous, and only once.
   */
  override stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.attached && this.down_script !== null) {
      const e = run_script(this.down_script, this.ifname);
      if (e !== null) this.warn(e);
    }
    if (this.helper !== null && this.helper_exit === null) this.helper.kill("SIGTERM");
    super.stop();
  }
}
