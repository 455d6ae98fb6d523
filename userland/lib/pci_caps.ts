/**
 * lspci's capability list (pciutils 3.9 ls-caps.c show_caps and ls-caps-vendor.c), from a
 * function's configuration space: one "\tCapabilities: [xx] …" line per entry, with the detail
 * lines -vv adds. Decoded as pciutils decodes them: Power Management, MSI, MSI-X, vendor-specific
 * (virtio's structures on Red Hat 1af4:1000–107f), Slot ID, Debug port, Hot-plug, the fixed-text
 * ones and, for an id it does not know, "Capability ID 0xNN [cccc]". The long decoders pciutils has
 * for AGP, VPD, PCI-X, HyperTransport, PCI Express, SATA, AF and EA are not carried: no device this
 * machine can have offers them, and for those a short "<?>" line stands in.
 */

const FLAG = (v: number, bit: number): string => ((v & bit) !== 0 ? "+" : "-");
const hx = (n: number, w: number): string => (n >>> 0).toString(16).padStart(w, "0");

export const PCI_STATUS_CAP_LIST = 0x10;
const PCI_CAPABILITY_LIST = 0x34;

/** Capability ids (include/linux/pci_regs.h PCI_CAP_ID_*). */
const CAP = {
  NULL: 0x00,
  PM: 0x01,
  AGP: 0x02,
  VPD: 0x03,
  SLOTID: 0x04,
  MSI: 0x05,
  CHSWP: 0x06,
  PCIX: 0x07,
  HT: 0x08,
  VNDR: 0x09,
  DBG: 0x0a,
  CCRC: 0x0b,
  HOTPLUG: 0x0c,
  SSVID: 0x0d,
  AGP3: 0x0e,
  SECURE: 0x0f,
  EXP: 0x10,
  MSIX: 0x11,
  SATA: 0x12,
  AF: 0x13,
  EA: 0x14,
} as const;

/** Names for the capabilities whose decoders are not carried (see above). */
const UNDECODED: Readonly<Record<number, string>> = {
  [CAP.AGP]: "AGP",
  [CAP.VPD]: "Vital Product Data",
  [CAP.PCIX]: "PCI-X",
  [CAP.HT]: "HyperTransport",
  [CAP.EXP]: "Express",
  [CAP.SATA]: "SATA HBA",
  [CAP.AF]: "PCI Advanced Features",
  [CAP.EA]: "Enhanced Allocation (EA)",
};

const PM_AUX_CURRENT = [0, 55, 100, 160, 220, 270, 320, 375];

class Cfg {
  readonly c: Uint8Array;
  constructor(c: Uint8Array) {
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

function cap_pm(d: Cfg, where: number, cap: number, verbose: number, out: string[]): void {
  out.push(`Power Management version ${cap & 7}`);
  if (verbose < 2) return;
  out.push(
    `\t\tFlags: PMEClk${FLAG(cap, 0x8)} DSI${FLAG(cap, 0x20)} D1${FLAG(cap, 0x200)} D2${FLAG(cap, 0x400)} AuxCurrent=${PM_AUX_CURRENT[(cap & 0x1c0) >> 6]}mA PME(D0${FLAG(cap, 0x800)},D1${FLAG(cap, 0x1000)},D2${FLAG(cap, 0x2000)},D3hot${FLAG(cap, 0x4000)},D3cold${FLAG(cap, 0x8000)})`,
  );
  const t = d.word(where + 4);
  out.push(`\t\tStatus: D${t & 3} NoSoftRst${FLAG(t, 0x8)} PME-Enable${FLAG(t, 0x100)} DSel=${(t & 0x1e00) >> 9} DScale=${(t & 0x6000) >> 13} PME${FLAG(t, 0x8000)}`);
  const b = d.byte(where + 6);
  if (b !== 0) out.push(`\t\tBridge: PM${FLAG(b, 0x80)} B3${FLAG(~b, 0x40)}`);
}

function cap_msi(d: Cfg, where: number, cap: number, verbose: number, out: string[]): void {
  out.push(`MSI: Enable${FLAG(cap, 0x1)} Count=${1 << ((cap & 0x70) >> 4)}/${1 << ((cap & 0x0e) >> 1)} Maskable${FLAG(cap, 0x100)} 64bit${FLAG(cap, 0x80)}`);
  if (verbose < 2) return;
  const is64 = (cap & 0x80) !== 0;
  const data = is64 ? d.word(where + 12) : d.word(where + 8);
  out.push(`\t\tAddress: ${is64 ? hx(d.long(where + 8), 8) : ""}${hx(d.long(where + 4), 8)}  Data: ${hx(data, 4)}`);
  if (cap & 0x100) {
    const mask = d.long(where + (is64 ? 16 : 12));
    const pending = d.long(where + (is64 ? 20 : 16));
    out.push(`\t\tMasking: ${hx(mask, 8)}  Pending: ${hx(pending, 8)}`);
  }
}

function cap_msix(d: Cfg, where: number, cap: number, verbose: number, out: string[]): void {
  out.push(`MSI-X: Enable${FLAG(cap, 0x8000)} Count=${(cap & 0x7ff) + 1} Masked${FLAG(cap, 0x4000)}`);
  if (verbose < 2) return;
  let off = d.long(where + 4);
  out.push(`\t\tVector table: BAR=${off & 7} offset=${hx((off & ~7) >>> 0, 8)}`);
  off = d.long(where + 8);
  out.push(`\t\tPBA: BAR=${off & 7} offset=${hx((off & ~7) >>> 0, 8)}`);
}

/** show_vendor_caps(): virtio's structures (struct virtio_pci_cap) on Red Hat's virtio functions. */
function cap_vendor(d: Cfg, where: number, cap: number, verbose: number, out: string[]): void {
  const vendor = d.word(0);
  const device = d.word(2);
  const length = cap & 0xff;
  const type = (cap >> 8) & 0xff;
  if (vendor === 0x1af4 && device >= 0x1000 && device <= 0x107f && length >= 16) {
    const tname = ["", "CommonCfg", "Notify", "ISR", "DeviceCfg"][type] || "<unknown>";
    out.push(`Vendor Specific Information: VirtIO: ${tname}`);
    if (verbose < 2) return;
    let line = `\t\tBAR=${d.byte(where + 4)} offset=${hx(d.long(where + 8), 8)} size=${hx(d.long(where + 12), 8)}`;
    if (type === 2 && length >= 20) line += ` multiplier=${hx(d.long(where + 16), 8)}`;
    out.push(line);
    return;
  }
  out.push(`Vendor Specific Information: Len=${hx(length, 2)} <?>`);
}

/**
 * show_caps(): walk the list from 0x34 (when Status.Cap is set), guarding against loops and
 * broken chains as pciutils does. Lines are pushed to `out` without their trailing newline.
 */
export function show_caps(config: Uint8Array, verbose: number, out: string[]): void {
  const d = new Cfg(config);
  if ((d.word(0x06) & PCI_STATUS_CAP_LIST) === 0) return;
  let where = d.byte(PCI_CAPABILITY_LIST) & ~3;
  const been_there = new Uint8Array(256);
  while (where !== 0) {
    const id = d.byte(where);
    const next = d.byte(where + 1) & ~3;
    const cap = d.word(where + 2);
    const head = `\tCapabilities: [${hx(where, 2)}] `;
    if (been_there[where]!++ !== 0) {
      out.push(`${head}<chain looped>`);
      break;
    }
    if (id === 0xff) {
      out.push(`${head}<chain broken>`);
      break;
    }
    const lines: string[] = [];
    switch (id) {
      case CAP.NULL:
        lines.push("Null");
        break;
      case CAP.PM:
        cap_pm(d, where, cap, verbose, lines);
        break;
      case CAP.SLOTID:
        lines.push(`Slot ID: ${cap & 0x1f} slots, First${FLAG(cap & 0xff, 0x20)}, chassis ${hx(cap >> 8, 2)}`);
        break;
      case CAP.MSI:
        cap_msi(d, where, cap, verbose, lines);
        break;
      case CAP.CHSWP:
        lines.push("CompactPCI hot-swap <?>");
        break;
      case CAP.VNDR:
        cap_vendor(d, where, cap, verbose, lines);
        break;
      case CAP.DBG:
        lines.push(`Debug port: BAR=${cap >> 13} offset=${hx(cap & 0x1fff, 4)}`);
        break;
      case CAP.CCRC:
        lines.push("CompactPCI central resource control <?>");
        break;
      case CAP.HOTPLUG:
        lines.push("Hot-plug capable");
        break;
      case CAP.SSVID: {
        const sv = d.word(where + 4);
        const sd = d.word(where + 6);
        lines.push(`Subsystem: ${hx(sv, 4)}:${hx(sd, 4)}`);
        break;
      }
      case CAP.AGP3:
        lines.push("AGP3 <?>");
        break;
      case CAP.SECURE:
        lines.push("Secure device <?>");
        break;
      case CAP.MSIX:
        cap_msix(d, where, cap, verbose, lines);
        break;
      default:
        lines.push(UNDECODED[id] !== undefined ? `${UNDECODED[id]} <?>` : `Capability ID ${id === 0 ? "0" : `0x${hx(id, 1)}`} [${hx(cap, 4)}]`);
    }
    out.push(head + lines[0]!, ...lines.slice(1));
    where = next;
  }
}
