import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { count_flag, fail, getopt, print, read_text } from "../lib/stdio.ts";
import { PCI_BASE_CLASSES, PCI_CAP_NAMES, PCI_CLASSES, PCI_DEVICES, PCI_SUBSYSTEMS, PCI_VENDORS } from "../lib/pci_ids.ts";
import type { Command } from "../lib/command.ts";

/**
 * lspci (pciutils) over /sys/bus/pci/devices: `lspci`, `-n` (numeric), `-nn` (both), `-v`
 * (BARs, IRQ, capabilities, bound driver), `-x` / `-xxx` / `-xxxx` (hex dump of 64 / 256 / 4096
 * bytes of configuration space), `-k` (driver only), `-s [[bus]:][slot][.[func]]`.
 */
const SYS = "/sys/bus/pci/devices";

interface Dev {
  name: string;
  cfg: Uint8Array;
}

const u16 = (c: Uint8Array, o: number): number => c[o]! | (c[o + 1]! << 8);
const u32 = (c: Uint8Array, o: number): number => (c[o]! | (c[o + 1]! << 8) | (c[o + 2]! << 16) | (c[o + 3]! << 24)) >>> 0;
const hx = (n: number, w: number): string => n.toString(16).padStart(w, "0");

function class_name(cls: number, numeric: number): string {
  const code = cls >> 8;
  const name = PCI_CLASSES[code] ?? (PCI_BASE_CLASSES[code >> 8] !== undefined ? `${PCI_BASE_CLASSES[code >> 8]} [${hx(code, 4)}]` : `Class ${hx(code, 4)}`);
  if (numeric === 1) return hx(code, 4);
  if (numeric >= 2) return `${PCI_CLASSES[code] ?? PCI_BASE_CLASSES[code >> 8] ?? "Class"} [${hx(code, 4)}]`;
  return name;
}

function device_name(v: number, d: number, numeric: number): string {
  const ids = `${hx(v, 4)}:${hx(d, 4)}`;
  if (numeric === 1) return ids;
  const vn = PCI_VENDORS[v];
  const dn = PCI_DEVICES[ids];
  if (vn === undefined) return numeric >= 2 ? `Device [${ids}]` : `Device ${ids}`;
  const name = dn === undefined ? `${vn} Device ${hx(d, 4)}` : `${vn} ${dn}`;
  return numeric >= 2 ? `${name} [${ids}]` : name;
}

function size_text(size: number): string {
  if (size >= 1 << 30 && size % (1 << 30) === 0) return `${size / (1 << 30)}G`;
  if (size >= 1 << 20 && size % (1 << 20) === 0) return `${size / (1 << 20)}M`;
  if (size >= 1 << 10 && size % (1 << 10) === 0) return `${size / (1 << 10)}K`;
  return `${size}`;
}

function verbose(sys: Syscalls, d: Dev, out: string[]): void {
  const c = d.cfg;
  const sv = u16(c, 0x2c);
  const sd = u16(c, 0x2e);
  if (c[0x0e]! === 0 && (sv !== 0 || sd !== 0)) {
    const vn = PCI_VENDORS[sv];
    const sn = PCI_SUBSYSTEMS[`${hx(sv, 4)}:${hx(sd, 4)}`];
    out.push(`\tSubsystem: ${vn === undefined ? `Device ${hx(sv, 4)}:${hx(sd, 4)}` : sn === undefined ? `${vn} Device ${hx(sd, 4)}` : `${vn} ${sn}`}`);
  }
  const cmd = u16(c, 0x04);
  const status = u16(c, 0x06);
  const flags: string[] = [];
  if (cmd & 0x4) flags.push("bus master");
  flags.push(["fast", "medium", "slow", "??"][(status >> 9) & 3]! + " devsel");
  flags.push(`latency ${c[0x0d]}`);
  const irq = read_text(sys, `${SYS}/${d.name}/irq`);
  const irqn = typeof irq === "string" ? Number(irq.trim()) : 0;
  if (c[0x3d]! !== 0 && irqn !== 0) flags.push(`IRQ ${irqn}`);
  out.push(`\tFlags: ${flags.join(", ")}`);
  const res = read_text(sys, `${SYS}/${d.name}/resource`);
  const lines = typeof res === "string" ? res.trim().split("\n") : [];
  for (let i = 0; i < 6; i++) {
    const [s, e, f] = (lines[i] ?? "0 0 0").split(" ").map((x) => Number(x));
    if (!f) continue;
    const size = e! - s! + 1;
    if (f & 0x100) {
      out.push(`\tI/O ports at ${hx(s!, 4)}${cmd & 0x1 ? "" : " [disabled]"} [size=${size_text(size)}]`);
    } else {
      const bits = f & 0x100000 ? "64-bit" : "32-bit";
      const pref = f & 0x2000 ? "prefetchable" : "non-prefetchable";
      out.push(`\tMemory at ${hx(s!, 8)} (${bits}, ${pref})${cmd & 0x2 ? "" : " [disabled]"} [size=${size_text(size)}]`);
    }
  }
  if (status & 0x10) {
    let pos = c[0x34]! & ~3;
    for (let ttl = 48; pos >= 0x40 && ttl > 0; ttl--) {
      const id = c[pos]!;
      const name = PCI_CAP_NAMES[id] ?? `#${hx(id, 2)}`;
      const extra = cap_summary(c, pos, id);
      out.push(`\tCapabilities: [${hx(pos, 2)}] ${name}${extra}`);
      pos = c[pos + 1]! & ~3;
    }
  }
}

/** What lspci -v prints after a capability's name (ls-caps.c): PM version, MSI-X state, vendor length. */
function cap_summary(c: Uint8Array, pos: number, id: number): string {
  if (id === 0x01) return ` version ${c[pos + 2]! & 7}`;
  if (id === 0x11) {
    const ctrl = c[pos + 2]! | (c[pos + 3]! << 8);
    const pm = (on: boolean): string => (on ? "+" : "-");
    return `: Enable${pm((ctrl & 0x8000) !== 0)} Count=${(ctrl & 0x7ff) + 1} Masked${pm((ctrl & 0x4000) !== 0)}`;
  }
  if (id === 0x09) {
    // pciutils' show_vendor_caps_virtio for Red Hat's virtio functions (1af4:1000-107f).
    const vendor = c[0]! | (c[1]! << 8);
    const device = c[2]! | (c[3]! << 8);
    if (vendor === 0x1af4 && device >= 0x1000 && device <= 0x107f) {
      const type = ["", "CommonCfg", "Notify", "ISR", "DeviceCfg"][c[pos + 3]!] || "<unknown>";
      return `: VirtIO: ${type}`;
    }
    return `: Len=${hx(c[pos + 2]!, 2)} <?>`;
  }
  return "";
}

/**
 * The bound driver. pciutils takes the basename of the `driver` symlink; without a readlink call
 * the same name is the DRIVER= line of the device's uevent file (present only while bound).
 */
function driver_line(sys: Syscalls, d: Dev, out: string[]): void {
  const ev = read_text(sys, `${SYS}/${d.name}/uevent`);
  const drv = typeof ev === "string" ? /^DRIVER=(.*)$/m.exec(ev)?.[1] : undefined;
  if (drv !== undefined && drv !== "") out.push(`\tKernel driver in use: ${drv}`);
}

function hexdump(c: Uint8Array, bytes: number, out: string[]): void {
  for (let off = 0; off < bytes; off += 16) {
    const row: string[] = [];
    for (let i = 0; i < 16; i++) row.push(hx(c[off + i]!, 2));
    out.push(`${hx(off, 2)}: ${row.join(" ")}`);
  }
}

function slot_filter(spec: string): ((name: string) => boolean) | null {
  const m = /^(?:([0-9a-f]{1,2}):)?([0-9a-f]{1,2})?(?:\.([0-7]))?$/i.exec(spec);
  if (m === null) return null;
  const [, bus, slot, fn] = m;
  return (name) => {
    const [, b, sf] = name.split(":");
    const [s, f] = sf!.split(".");
    return (bus === undefined || parseInt(bus, 16) === parseInt(b!, 16)) && (slot === undefined || parseInt(slot, 16) === parseInt(s!, 16)) && (fn === undefined || fn === f);
  };
}

export async function lspci(argv: readonly string[], sys: Syscalls): Promise<number> {
  const parsed = getopt(argv, "nvxks:");
  if (typeof parsed === "string") return fail(sys, "lspci", parsed, 2);
  const { opts, args } = parsed;
  if (args.length > 0) return fail(sys, "lspci", `unexpected argument '${args[0]}'`, 2);
  const numeric = count_flag(opts, "n");
  const v = count_flag(opts, "v");
  const x = count_flag(opts, "x");
  const k = count_flag(opts, "k");
  const s = opts.get("s");
  const filter = typeof s === "string" ? slot_filter(s) : () => true;
  if (filter === null) return fail(sys, "lspci", `-s: invalid slot number '${s}'`, 2);
  const names = sys.readdir(SYS);
  if (typeof names === "number") return fail(sys, "lspci", `cannot read ${SYS}`, 1);
  const out: string[] = [];
  for (const name of names) {
    if (!filter(name)) continue;
    const cfg = sys.read_file(`${SYS}/${name}/config`);
    if (typeof cfg === "number") continue;
    const d: Dev = { name, cfg };
    const c = d.cfg;
    const cls = u32(c, 0x08) >>> 8;
    const rev = c[0x08]!;
    const short = name.replace(/^0000:/, "");
    const classtxt = class_name(cls, numeric);
    out.push(`${short} ${classtxt}: ${device_name(u16(c, 0), u16(c, 2), numeric)}${rev ? ` (rev ${hx(rev, 2)})` : ""}`);
    if (v > 0) verbose(sys, d, out);
    if (v > 0 || k > 0) driver_line(sys, d, out);
    if (x > 0) hexdump(c, x >= 4 ? 4096 : x >= 3 ? 256 : 64, out);
    if (v > 0 || x > 0) out.push("");
  }
  if (out.length > 0) print(sys, out.join("\n") + "\n");
  return 0;
}

export const lspci_command: Command = {
  name: "lspci",
  summary: "list PCI devices (-n, -nn, -v, -k, -x, -s SLOT)",
  usage: "Usage: lspci\n\nList PCI devices (-n, -nn, -v, -k, -x, -s SLOT).\n",
  main: lspci,
};
