import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { count_flag, fail, getopt, read_text } from "../lib/stdio.ts";
import { PCI_IDS_BUILTIN } from "../lib/pci_ids.ts";
import { type PciIdDb, pci_class_name, pci_device_name, pci_id_db_new, pci_ids_parse, pci_progif_name, pci_show_size, pci_subsystem_name } from "../lib/pci_names.ts";
import { show_caps } from "../lib/pci_caps.ts";
import { kmod_lookup_alias } from "../lib/kmod.ts";
import type { Command } from "../lib/command.ts";

/**
 * lspci (pciutils 3.9) over /sys/bus/pci/devices, reading each function's configuration space
 * from its `config` file as pciutils' sysfs back-end does: `lspci`, `-n` (numbers), `-nn` (both),
 * `-v` / `-vv` / `-vvv` (verbose: Flags or Control/Status/Latency/Interrupt, Regions, Expansion ROM,
 * capabilities), `-k` (kernel driver and modules), `-x` / `-xxx` / `-xxxx` (hex dump of 64 / 256 /
 * 4096 bytes), `-D` (domain numbers), `-s [[bus]:][slot][.[func]]`.
 *
 * Names come from pci.ids: the built-in slice (userland/lib/pci_ids.ts) with /usr/share/misc/pci.ids
 * read over it when the machine has one. "Kernel modules:" lists the modules whose aliases match
 * the device's modalias in /lib/modules/$(uname -r)/modules.alias (userland/lib/kmod.ts).
 */
const SYS = "/sys/bus/pci/devices";
const PCI_IDS_FILE = "/usr/share/misc/pci.ids";

/* Configuration-space registers and bits (include/uapi/linux/pci_regs.h). */
const PCI_COMMAND = 0x04;
const PCI_STATUS = 0x06;
const PCI_COMMAND_IO = 0x1;
const PCI_COMMAND_MEMORY = 0x2;
const PCI_COMMAND_MASTER = 0x4;
const PCI_BASE_ADDRESS_0 = 0x10;
const PCI_ROM_ADDRESS = 0x30;
const PCI_ROM_ADDRESS_ENABLE = 0x1;
const PCI_ROM_ADDRESS_MASK = ~0x7ff;
/* struct resource flags as /sys/…/resource shows them (include/linux/ioport.h). */
const IORESOURCE_IO = 0x100;
const IORESOURCE_MEM = 0x200;
const IORESOURCE_PREFETCH = 0x2000;
const IORESOURCE_MEM_64 = 0x100000;

const hx = (n: number, w: number): string => n.toString(16).padStart(w, "0");

class Dev {
  readonly name: string;
  readonly c: Uint8Array;
  constructor(name: string, c: Uint8Array) {
    this.name = name;
    this.c = c;
  }
  byte(o: number): number {
    return this.c[o] ?? 0;
  }
  word(o: number): number {
    return this.byte(o) | (this.byte(o + 1) << 8);
  }
  long(o: number): number {
    return (this.word(o) | (this.word(o + 2) << 16)) >>> 0;
  }
}

/** One line of /sys/…/resource: start, end, flags (pciutils' sysfs_get_resources). */
interface Resource {
  start: number;
  size: number;
  flags: number;
}

function resources(sys: Syscalls, d: Dev): Resource[] {
  const text = read_text(sys, `${SYS}/${d.name}/resource`);
  if (typeof text !== "string") return [];
  return text
    .trim()
    .split("\n")
    .map((l) => {
      const [s, e, f] = l.trim().split(/\s+/).map((x) => Number(x));
      const start = s ?? 0;
      const end = e ?? 0;
      return { start, size: end > start ? end - start + 1 : 0, flags: f ?? 0 };
    });
}

/** show_bases() for a header-type-0 function: the six BARs. */
function show_bases(d: Dev, res: Resource[], verbose: number, out: string[]): void {
  const cmd = d.word(PCI_COMMAND);
  for (let i = 0; i < 6; i++) {
    const r = res[i] ?? { start: 0, size: 0, flags: 0 };
    const io = (r.flags & IORESOURCE_IO) !== 0;
    const mem = !io && (r.flags & IORESOURCE_MEM) !== 0;
    if (r.start === 0 && !io && !mem && r.size === 0) continue;
    // Detect a region the OS reports but the device does not decode (pciutils' "virtual"),
    // reading the upper half at +1 exactly as pciutils 3.9 does.
    const hw_lower = d.long(PCI_BASE_ADDRESS_0 + 4 * i);
    let hw_upper = 0;
    let broken = false;
    let virt = false;
    if ((hw_lower & 1) === (io ? 1 : 0)) {
      if (mem && (hw_lower & 0x6) === 0x4) {
        if (i >= 5) broken = true;
        else hw_upper = d.long(PCI_BASE_ADDRESS_0 + 4 * i + 1);
      }
      if (r.start !== 0 && hw_lower === 0 && hw_upper === 0) virt = true;
    }
    let line = verbose > 1 ? `\tRegion ${i}: ` : "\t";
    if (io) {
      const a = r.start & ~3;
      line += "I/O ports at ";
      line += a !== 0 || cmd & PCI_COMMAND_IO ? hx(a, 4) : hw_lower !== 0 ? "<ignored>" : "<unassigned>";
      if (virt) line += " [virtual]";
      else if (!(cmd & PCI_COMMAND_IO)) line += " [disabled]";
    } else {
      const a = Math.floor(r.start / 16) * 16;
      line += "Memory at ";
      line += broken ? "<broken-64-bit-slot>" : a !== 0 ? hx(a, 8) : hw_lower !== 0 || hw_upper !== 0 ? "<ignored>" : "<unassigned>";
      line += ` (${r.flags & IORESOURCE_MEM_64 ? "64-bit" : "32-bit"}, ${r.flags & IORESOURCE_PREFETCH ? "" : "non-"}prefetchable)`;
      if (virt) line += " [virtual]";
      else if (!(cmd & PCI_COMMAND_MEMORY)) line += " [disabled]";
    }
    out.push(line + pci_show_size(r.size));
  }
}

/** show_rom(): the expansion ROM BAR (resource line 6). */
function show_rom(d: Dev, res: Resource[], out: string[]): void {
  const r = res[6] ?? { start: 0, size: 0, flags: 0 };
  let flg = d.long(PCI_ROM_ADDRESS);
  const rom = r.start;
  if (rom === 0 && flg === 0 && r.size === 0) return;
  let virt = false;
  if ((rom & PCI_ROM_ADDRESS_MASK) !== 0 && (flg & PCI_ROM_ADDRESS_MASK) === 0) {
    flg = rom;
    virt = true;
  }
  let line = "\tExpansion ROM at ";
  line += (rom & PCI_ROM_ADDRESS_MASK) !== 0 ? hx((rom & PCI_ROM_ADDRESS_MASK) >>> 0, 8) : (flg & PCI_ROM_ADDRESS_MASK) !== 0 ? "<ignored>" : "<unassigned>";
  if (virt) line += " [virtual]";
  if (!(flg & PCI_ROM_ADDRESS_ENABLE)) line += " [disabled]";
  else if (!virt && !(d.word(PCI_COMMAND) & PCI_COMMAND_MEMORY)) line += " [disabled by cmd]";
  out.push(line + pci_show_size(r.size));
}

const FLAG = (v: number, bit: number): string => ((v & bit) !== 0 ? "+" : "-");
const DEVSEL = ["fast", "medium", "slow", "??"];

function sys_number(sys: Syscalls, d: Dev, attr: string, fallback: number): number {
  const t = read_text(sys, `${SYS}/${d.name}/${attr}`);
  const n = typeof t === "string" ? Number(t.trim()) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

/** show_terse(): the slot line and, with -v or -k, the Subsystem line. */
function show_terse(db: PciIdDb, d: Dev, numeric: number, domains: boolean, verbose: number, kernel: boolean, out: string[]): void {
  const cls = d.word(0x0a);
  const rev = d.byte(0x08);
  const slot = domains ? d.name : d.name.replace(/^[0-9a-f]{4}:/, "");
  let line = `${slot} ${pci_class_name(db, cls, numeric)}: ${pci_device_name(db, d.word(0), d.word(2), numeric)}${rev ? ` (rev ${hx(rev, 2)})` : ""}`;
  if (verbose > 0) {
    const progif = d.byte(0x09);
    const x = pci_progif_name(db, cls, progif);
    if (progif !== 0 || x !== undefined) line += ` (prog-if ${hx(progif, 2)}${x !== undefined ? ` [${x}]` : ""})`;
  }
  out.push(line);
  if (verbose > 0 || kernel) {
    const sv = d.word(0x2c);
    const sd = d.word(0x2e);
    if ((d.byte(0x0e) & 0x7f) === 0 && sv !== 0 && sv !== 0xffff) out.push(`\tSubsystem: ${pci_subsystem_name(db, d.word(0), d.word(2), sv, sd, numeric)}`);
  }
}

/** show_verbose() for a function: everything between the slot line and the kernel lines. */
function show_verbose(sys: Syscalls, d: Dev, verbose: number, out: string[]): void {
  const htype = d.byte(0x0e) & 0x7f;
  const known = htype <= 2;
  const min_gnt = htype === 0 ? d.byte(0x3e) : 0;
  const max_lat = htype === 0 ? d.byte(0x3f) : 0;
  if (!known) out.push(`\t!!! Unknown header type ${hx(htype, 2)}`);
  const irq = sys_number(sys, d, "irq", 0);
  const numa = sys_number(sys, d, "numa_node", -1);
  const cmd = d.word(PCI_COMMAND);
  const status = d.word(PCI_STATUS);
  const devsel = DEVSEL[(status >> 9) & 3]!;
  if (known && verbose > 1) {
    out.push(`\tControl: I/O${FLAG(cmd, 0x1)} Mem${FLAG(cmd, 0x2)} BusMaster${FLAG(cmd, 0x4)} SpecCycle${FLAG(cmd, 0x8)} MemWINV${FLAG(cmd, 0x10)} VGASnoop${FLAG(cmd, 0x20)} ParErr${FLAG(cmd, 0x40)} Stepping${FLAG(cmd, 0x80)} SERR${FLAG(cmd, 0x100)} FastB2B${FLAG(cmd, 0x200)} DisINTx${FLAG(cmd, 0x400)}`);
    out.push(
      `\tStatus: Cap${FLAG(status, 0x10)} 66MHz${FLAG(status, 0x20)} UDF${FLAG(status, 0x40)} FastB2B${FLAG(status, 0x80)} ParErr${FLAG(status, 0x100)} DEVSEL=${devsel} >TAbort${FLAG(status, 0x800)} <TAbort${FLAG(status, 0x1000)} <MAbort${FLAG(status, 0x2000)} >SERR${FLAG(status, 0x4000)} <PERR${FLAG(status, 0x8000)} INTx${FLAG(status, 0x8)}`,
    );
    if (cmd & PCI_COMMAND_MASTER) {
      let line = `\tLatency: ${d.byte(0x0d)}`;
      if (min_gnt || max_lat) {
        const parts: string[] = [];
        if (min_gnt) parts.push(`${min_gnt * 250}ns min`);
        if (max_lat) parts.push(`${max_lat * 250}ns max`);
        line += ` (${parts.join(", ")})`;
      }
      const cache_line = d.byte(0x0c);
      if (cache_line) line += `, Cache Line Size: ${cache_line * 4} bytes`;
      out.push(line);
    }
  }
  if (verbose > 1) {
    const pin = known ? d.byte(0x3d) : 0;
    if (pin || irq) out.push(`\tInterrupt: pin ${pin ? String.fromCharCode(0x40 + pin) : "?"} routed to IRQ ${irq}`);
    if (numa !== -1) out.push(`\tNUMA node: ${numa}`);
  }
  if (known && verbose <= 1) {
    let flags = "\tFlags: ";
    if (cmd & PCI_COMMAND_MASTER) flags += "bus master, ";
    if (cmd & 0x20) flags += "VGA palette snoop, ";
    if (cmd & 0x80) flags += "stepping, ";
    if (cmd & 0x200) flags += "fast Back2Back, ";
    if (status & 0x20) flags += "66MHz, ";
    if (status & 0x40) flags += "user-definable features, ";
    flags += `${devsel} devsel`;
    if (cmd & PCI_COMMAND_MASTER) flags += `, latency ${d.byte(0x0d)}`;
    if (irq) flags += `, IRQ ${irq}`;
    if (numa !== -1) flags += `, NUMA node ${numa}`;
    out.push(flags);
  }
  const bist = known ? d.byte(0x0f) : 0;
  if (bist & 0x80) out.push(bist & 0x40 ? "\tBIST is running" : `\tBIST result: ${hx(bist & 0x0f, 2)}`);
  if (htype === 0) {
    const res = resources(sys, d);
    show_bases(d, res, verbose, out);
    show_rom(d, res, out);
    show_caps(d.c, verbose, out);
  }
}

/** show_kernel(): the bound driver (basename of the `driver` link) and the matching modules. */
function show_kernel(sys: Syscalls, d: Dev, out: string[]): void {
  const link = sys.readlink(`${SYS}/${d.name}/driver`);
  if (typeof link === "string") out.push(`\tKernel driver in use: ${link.slice(link.lastIndexOf("/") + 1)}`);
  const alias = read_text(sys, `${SYS}/${d.name}/modalias`);
  if (typeof alias !== "string") return;
  const modules = kmod_lookup_alias(sys, alias.trim());
  if (modules.length > 0) out.push(`\tKernel modules: ${modules.join(", ")}`);
}

function hexdump(d: Dev, x: number, out: string[]): void {
  const bytes = Math.min(x >= 4 ? 4096 : x >= 3 ? 256 : 64, d.c.length);
  for (let off = 0; off < bytes; off += 16) {
    let row = `${hx(off, 2)}:`;
    for (let i = 0; i < 16; i++) row += ` ${hx(d.byte(off + i), 2)}`;
    out.push(row);
  }
}

function slot_filter(spec: string): ((name: string) => boolean) | null {
  const m = /^(?:(?:([0-9a-f]{1,4}|\*):)?([0-9a-f]{1,2}|\*):)?([0-9a-f]{1,2}|\*)?(?:\.([0-7]|\*))?$/i.exec(spec);
  if (m === null) return null;
  const [, dom, bus, slot, fn] = m;
  const eq = (want: string | undefined, have: string): boolean => want === undefined || want === "*" || parseInt(want, 16) === parseInt(have, 16);
  return (name) => {
    const [d, b, sf] = name.split(":");
    const [s, f] = sf!.split(".");
    return eq(dom, d!) && eq(bus, b!) && eq(slot, s!) && eq(fn, f!);
  };
}

/** The ID database: the built-in slice, then the machine's pci.ids over it. */
function load_ids(sys: Syscalls): PciIdDb {
  const db = pci_id_db_new();
  pci_ids_parse(db, PCI_IDS_BUILTIN);
  const file = read_text(sys, PCI_IDS_FILE);
  if (typeof file === "string") pci_ids_parse(db, file);
  return db;
}

export async function lspci(argv: readonly string[], sys: Syscalls): Promise<number> {
  const parsed = getopt(argv, "nvxkDs:");
  if (typeof parsed === "string") return fail(sys, "lspci", parsed, 1);
  const { opts, args } = parsed;
  if (args.length > 0) return fail(sys, "lspci", `unexpected argument '${args[0]}'`, 1);
  const numeric = count_flag(opts, "n");
  const verbose = count_flag(opts, "v");
  const x = count_flag(opts, "x");
  const kernel = count_flag(opts, "k") > 0;
  const domains = count_flag(opts, "D") > 0;
  const s = opts.get("s");
  const filter = typeof s === "string" ? slot_filter(s) : () => true;
  if (filter === null) return fail(sys, "lspci", "-s: Invalid slot number", 1);
  const names = sys.readdir(SYS);
  if (typeof names === "number") return fail(sys, "lspci", `Cannot open ${SYS}`, 1);
  const db = load_ids(sys);
  const out: string[] = [];
  for (const name of names) {
    if (!filter(name)) continue;
    const cfg = sys.read_file(`${SYS}/${name}/config`);
    if (typeof cfg === "number") continue;
    const d = new Dev(name, cfg);
    show_terse(db, d, numeric, domains, verbose, kernel, out);
    if (verbose > 0) show_verbose(sys, d, verbose, out);
    if (verbose > 0 || kernel) show_kernel(sys, d, out);
    if (x > 0) hexdump(d, x, out);
    if (verbose > 0 || x > 0) out.push("");
  }
  if (out.length > 0) await sys.write(1, out.join("\n") + "\n");
  return 0;
}

export const lspci_command: Command = {
  name: "lspci",
  summary: "list PCI devices (-n, -nn, -v, -vv, -k, -x, -D, -s SLOT)",
  usage: "Usage: lspci [<switches>]\n\nList PCI devices.\n\n-n\t\tShow numeric ID's\n-nn\t\tShow both textual and numeric ID's (names & numbers)\n-v\t\tBe verbose (-vv or -vvv for higher verbosity)\n-k\t\tShow kernel drivers handling each device\n-x\t\tShow hex-dump of the standard part of the config space\n-xxx\t\tShow hex-dump of the whole config space (dangerous; root only)\n-xxxx\t\tShow hex-dump of the 4096-byte extended config space (root only)\n-D\t\tAlways show domain numbers\n-s [[[[<domain>]:]<bus>]:][<slot>][.[<func>]]\tShow only devices in selected slots\n",
  main: lspci,
};
