import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { createSocket } from "node:dgram";
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
 * The helper starts before boot; until it says its transfer loop runs, start() waits, and its
 * errors are QEMU's (could not configure /dev/net/tun (NAME): …). If it dies while the machine
 * runs, the carrier drops (the NIC reports its link down), what the NIC sends is counted as
 * no_peer, and ringzero says so once.
 *
 * As QEMU: without ifname the kernel's next free tapN is taken; `script` (default /etc/qemu-ifup
 * when it exists, else none) runs with the interface name once the TAP exists, and its failure
 * stops the start; `downscript` (default /etc/qemu-ifdown when it exists) runs the same way at
 * power-off. QEMU brings the interface up only through the script; so does this back-end.
 * `br=BRIDGE` is ringzero's: the TAP joins that existing bridge (`ip link set NAME master BRIDGE`)
 * before the script runs.
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

/** The first tapN with no interface of that name (what the kernel's "tap%d" would give). */
function next_free_tap(): string {
  for (let i = 0; ; i++) if (!existsSync(`/sys/class/net/tap${i}`)) return `tap${i}`;
}

/** A UDP port free on 127.0.0.1 now (for the helper's end). */
function free_udp_port(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/** socat's error line (` E …`) as QEMU words the same failure. */
export function tap_helper_error(line: string, ifname: string): string {
  const ioctl = /TUNSETIFF, \{"[^"]*"\}\)?: (.+)$/.exec(line);
  if (ioctl !== null) return `could not configure /dev/net/tun (${ifname}): ${ioctl[1]}`;
  const open = /open\("\/dev\/net\/tun"[^)]*\): (.+)$/.exec(line);
  if (open !== null) return `could not open /dev/net/tun: ${open[1]}`;
  return `the TAP helper failed: ${line.replace(/^.*? E /, "")}`;
}

/** Run a network script with the interface name; null, or QEMU's error line. */
function run_script(script: string, ifname: string): string | null {
  const r = spawnSync(script, [ifname], { stdio: ["ignore", "inherit", "inherit"], timeout: 30_000 });
  if (r.error !== undefined) return `could not launch network script ${script}: ${(r.error as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : r.error.message}`;
  if (r.status !== 0) return `network script ${script} failed with status ${r.status ?? `signal ${r.signal}`}`;
  return null;
}

export class TapBackend extends DgramBackend {
  readonly opts: TapOptions;
  /** The TAP's name (given, or picked at start). */
  ifname: string;
  private helper: ChildProcess | null = null;
  private helper_pid = 0;
  /** The helper's exit status once it has exited (null while it runs or before it started). */
  private helper_exit: string | null = null;
  private last_error = "";
  private stopping = false;
  private readonly down_script: string | null;
  private readonly kill_on_exit = (): void => {
    this.helper?.kill("SIGTERM");
  };

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
      this.stop_helper();
      super.stop();
      return `-netdev tap,id=${this.id}: ${msg}`;
    };
    const socat = find_program("socat");
    if (socat === null) return `-netdev tap,id=${this.id}: socat not found: ringzero opens TAP devices through it (Debian package: socat; apt-get install socat)`;
    if (this.opts.br !== null && !existsSync(`/sys/class/net/${this.opts.br}/bridge`)) return `-netdev tap,id=${this.id}: failed to get mtu of bridge \`${this.opts.br}': No such device`;
    const script = tap_script(this.opts.script, DEFAULT_NETWORK_SCRIPT);
    if (this.ifname === "") this.ifname = next_free_tap();
    const err = await super.start();
    if (err !== null) return err;
    this.remote.port = await free_udp_port();
    const up = await this.start_helper(socat);
    if (up !== null) return fail(up);
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

  /** Start socat and wait until it has attached the TAP (or failed). */
  private start_helper(socat: string): Promise<string | null> {
    const args = ["-d", "-d", "-b", "65536", `TUN,tun-type=tap,tun-name=${this.ifname},iff-no-pi`, `UDP-DATAGRAM:127.0.0.1:${this.local.port},bind=127.0.0.1:${this.remote.port}`];
    const child = spawn(socat, args, { stdio: ["ignore", "ignore", "pipe"] });
    this.helper = child;
    this.helper_pid = child.pid ?? 0;
    process.once("exit", this.kill_on_exit);
    return new Promise((resolve) => {
      let settled = false;
      let buf = "";
      const settle = (r: string | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => settle(`the TAP helper did not attach ${this.ifname} within ${HELPER_START_MS / 1000} s`), HELPER_START_MS);
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (/ E /.test(line)) this.last_error = line;
          if (line.includes("starting data transfer loop")) settle(null);
        }
      });
      child.on("error", (e) => settle(`could not start socat: ${e.message}`));
      child.on("exit", (code, signal) => {
        this.helper_exit = code !== null ? `status ${code}` : `signal ${signal}`;
        process.off("exit", this.kill_on_exit);
        if (!settled) {
          settle(this.last_error !== "" ? tap_helper_error(this.last_error, this.ifname) : `socat exited (${this.helper_exit}) before attaching ${this.ifname}`);
          return;
        }
        if (this.stopping) return;
        // The wire is gone while the machine runs: no carrier from now on, said once.
        this.stats.disconnects++;
        this.set_carrier(false);
        this.warn(`TAP helper socat (pid ${this.helper_pid}) exited with ${this.helper_exit}${this.last_error !== "" ? ` (${this.last_error.replace(/^.*? E /, "")})` : ""}: ${this.ifname} has no carrier; frames the NIC sends are dropped and counted (no_peer)`);
        this.kick();
      });
    });
  }

  private stop_helper(): void {
    this.stopping = true;
    if (this.helper !== null && this.helper_exit === null) this.helper.kill("SIGTERM");
    process.off("exit", this.kill_on_exit);
  }

  /** At power-off: the helper goes, then the down script runs (QEMU's order). */
  override stop(): void {
    const was_up = this.helper !== null && !this.stopping;
    this.stop_helper();
    super.stop();
    if (was_up && this.down_script !== null) {
      const e = run_script(this.down_script, this.ifname);
      if (e !== null) this.warn(e);
    }
  }
}
