/**
 * PCI ID to name translation (pciutils' lib/names-parse.c and lib/names.c): a pci.ids parser and
 * lspci's lookups, with the same fallbacks ("Device 1234:11e8", "Red Hat, Inc. Device 1100",
 * "Class ff00") and the -n (numeric) and -nn (both) forms.
 */

/** The parsed database: names by id, keys as pci.ids nests them. */
export interface PciIdDb {
  readonly vendors: Map<number, string>;
  /** "vvvv:dddd" */
  readonly devices: Map<string, string>;
  /** "vvvv:dddd:ssvv:ssdd" (per device) */
  readonly subsystems: Map<string, string>;
  /** Base class (0xcc) */
  readonly classes: Map<number, string>;
  /** Class with subclass (0xccss) */
  readonly subclasses: Map<number, string>;
  /** "ccss:pp" */
  readonly progifs: Map<string, string>;
}

/** lspci's show_size(): " [size=128K]" (nothing for 0). */
export function pci_show_size(x: number): string {
  if (x <= 0) return "";
  const suffix = ["", "K", "M", "G", "T"];
  let i = 0;
  for (; i < suffix.length - 1 && x % 1024 === 0; i++) x /= 1024;
  return ` [size=${x}${suffix[i]}]`;
}

export function pci_id_db_new(): PciIdDb {
  return { vendors: new Map(), devices: new Map(), subsystems: new Map(), classes: new Map(), subclasses: new Map(), progifs: new Map() };
}

const hx = (n: number, w: number): string => n.toString(16).padStart(w, "0");

/**
 * Add the entries of a pci.ids text to `db` (later entries replace earlier ones). Lines it does
 * not understand (device-independent subsystems, unknown sections) are skipped, as pciutils
 * skips sections it does not use.
 */
export function pci_ids_parse(db: PciIdDb, text: string): void {
  let vendor = -1;
  let device = -1;
  let cls = -1;
  let subclass = -1;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line === "" || line.startsWith("#")) continue;
    let m: RegExpExecArray | null;
    if ((m = /^C ([0-9a-f]{2})\s+(.*)$/i.exec(line)) !== null) {
      cls = parseInt(m[1]!, 16);
      vendor = -1;
      db.classes.set(cls, m[2]!);
    } else if ((m = /^([0-9a-f]{4})\s+(.*)$/i.exec(line)) !== null) {
      vendor = parseInt(m[1]!, 16);
      cls = -1;
      db.vendors.set(vendor, m[2]!);
    } else if (/^[A-Z] /.test(line)) {
      vendor = -1;
      cls = -1;
    } else if ((m = /^\t([0-9a-f]{4})\s+(.*)$/i.exec(line)) !== null && vendor >= 0) {
      device = parseInt(m[1]!, 16);
      db.devices.set(`${hx(vendor, 4)}:${hx(device, 4)}`, m[2]!);
    } else if ((m = /^\t\t([0-9a-f]{4}) ([0-9a-f]{4})\s+(.*)$/i.exec(line)) !== null && vendor >= 0 && device >= 0) {
      db.subsystems.set(`${hx(vendor, 4)}:${hx(device, 4)}:${m[1]!.toLowerCase()}:${m[2]!.toLowerCase()}`, m[3]!);
    } else if ((m = /^\t([0-9a-f]{2})\s+(.*)$/i.exec(line)) !== null && cls >= 0) {
      subclass = (cls << 8) | parseInt(m[1]!, 16);
      db.subclasses.set(subclass, m[2]!);
    } else if ((m = /^\t\t([0-9a-f]{2})\s+(.*)$/i.exec(line)) !== null && cls >= 0 && subclass >= 0) {
      db.progifs.set(`${hx(subclass, 4)}:${m[1]!.toLowerCase()}`, m[2]!);
    }
  }
}

/** How lspci was asked to show ids: names (0), numbers (-n: 1), or both (-nn: 2). */
export type NumericIds = number;

/** format_name_pair() for vendor + device (or subsystem vendor + subsystem). */
function name_pair(v: string | undefined, d: string | undefined, num: string, numeric: NumericIds): string {
  if (numeric === 1) return num;
  if (numeric >= 2) {
    if (v !== undefined && d !== undefined) return `${v} ${d} [${num}]`;
    return v === undefined ? `Device [${num}]` : `${v} Device [${num}]`;
  }
  if (v !== undefined && d !== undefined) return `${v} ${d}`;
  return v === undefined ? `Device ${num}` : `${v} Device ${num.slice(5)}`;
}

/** PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE: "Intel Corporation 82540EM Gigabit Ethernet Controller". */
export function pci_device_name(db: PciIdDb, vendor: number, device: number, numeric: NumericIds): string {
  return name_pair(db.vendors.get(vendor), db.devices.get(`${hx(vendor, 4)}:${hx(device, 4)}`), `${hx(vendor, 4)}:${hx(device, 4)}`, numeric);
}

/**
 * PCI_LOOKUP_SUBSYSTEM (id_lookup_subsys): the entry under the device, else — when the subsystem
 * ids repeat the device's — the device's own name; the vendor part is the subsystem vendor's.
 */
export function pci_subsystem_name(db: PciIdDb, vendor: number, device: number, sv: number, sd: number, numeric: NumericIds): string {
  let d = db.subsystems.get(`${hx(vendor, 4)}:${hx(device, 4)}:${hx(sv, 4)}:${hx(sd, 4)}`);
  if (d === undefined && vendor === sv && device === sd) d = db.devices.get(`${hx(vendor, 4)}:${hx(device, 4)}`);
  return name_pair(db.vendors.get(sv), d, `${hx(sv, 4)}:${hx(sd, 4)}`, numeric);
}

/** PCI_LOOKUP_CLASS of a 16-bit class (base << 8 | subclass): "Ethernet controller", "Bridge [0680]". */
export function pci_class_name(db: PciIdDb, cls: number, numeric: NumericIds): string {
  const num = hx(cls, 4);
  let name = db.subclasses.get(cls);
  let mixed = numeric >= 2;
  if (name === undefined) {
    name = db.classes.get(cls >> 8);
    if (name !== undefined && numeric !== 1) mixed = true;
  }
  if (numeric === 1) return num;
  if (name === undefined) return mixed ? `Class [${num}]` : `Class ${num}`;
  return mixed ? `${name} [${num}]` : name;
}

/** PCI_LOOKUP_PROGIF | PCI_LOOKUP_NO_NUMBERS: the programming interface's name, if pci.ids has one. */
export function pci_progif_name(db: PciIdDb, cls: number, progif: number): string | undefined {
  return db.progifs.get(`${hx(cls, 4)}:${hx(progif, 2)}`);
}
