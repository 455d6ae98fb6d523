/**
 * ethtool's register dumper for the e1000 (ethtool 6.1 e1000.c e1000_dump_regs): the words of
 * Linux's e1000_get_regs decoded by position — CTRL, STATUS, RCTL, the receive and transmit
 * descriptor registers, TCTL, then the M88 PHY's status and control registers. The MAC type (from
 * the device id in the dump's version) decides which lines appear, as in ethtool.
 */

/* enum e1000_mac_type, in ethtool's order (comparisons use it). */
const MAC = {
  undefined: 0,
  e82542: 1,
  e82543: 2,
  e82544: 3,
  e82540: 4,
  e82545: 5,
  e82545_rev_3: 6,
  e82546: 7,
  e82546_rev_3: 8,
  e82541: 9,
  e82541_rev_2: 10,
  e82547: 11,
  e82547_rev_2: 12,
  e82571: 13,
  e82572: 14,
  e82573: 15,
  e80003es2lan: 16,
  ich8lan: 17,
} as const;

/** e1000_get_mac_type(): by PCI device id; an unknown id is taken for an old 82543, as ethtool does. */
function e1000_get_mac_type(id: number): number {
  const groups: [number, number[]][] = [
    [MAC.e82542, [0x1000]],
    [MAC.e82543, [0x1001, 0x1004]],
    [MAC.e82544, [0x1008, 0x1009, 0x100c, 0x100d]],
    [MAC.e82540, [0x100e, 0x1015, 0x1017, 0x1016, 0x101e]],
    [MAC.e82545, [0x100f, 0x1011]],
    [MAC.e82545_rev_3, [0x1026, 0x1027, 0x1028]],
    [MAC.e82546, [0x1010, 0x1012, 0x101d]],
    [MAC.e82546_rev_3, [0x1079, 0x107a, 0x107b, 0x108a, 0x1099, 0x10b5]],
    [MAC.e82541, [0x1013, 0x1018, 0x1014]],
    [MAC.e82541_rev_2, [0x1078, 0x1076, 0x107c, 0x1077]],
    [MAC.e82547, [0x1019, 0x101a]],
    [MAC.e82547_rev_2, [0x1075]],
    [MAC.e82571, [0x105e, 0x105f, 0x1060, 0x10a4, 0x10a5, 0x10bc]],
    [MAC.e82572, [0x10b9, 0x107d, 0x107e, 0x107f]],
    [MAC.e82573, [0x108b, 0x108c, 0x109a]],
    [MAC.e80003es2lan, [0x1096, 0x1098, 0x10ba, 0x10bb]],
    [MAC.ich8lan, [0x104c, 0x10c4, 0x10c5, 0x104d, 0x1049, 0x104a, 0x104b]],
  ];
  for (const [type, ids] of groups) if (ids.includes(id)) return type;
  return MAC.e82543;
}

const X = (v: number): string => (v >>> 0).toString(16).toUpperCase().padStart(8, "0");
const on = (v: number, bit: number, yes: string, no: string): string => ((v & bit) !== 0 ? yes : no);

/** One "      Label:  value" line, the label padded to ethtool's 37 columns. */
function field(label: string, value: string): string {
  return `      ${(label + ":").padEnd(35)}${value}\n`;
}

/**
 * The dump, or null when ethtool's dumper would refuse it (a version other than 1): ethtool then
 * falls back to a hex dump.
 */
export function e1000_dump_regs(version: number, regs: readonly number[]): string | null {
  if (version >>> 24 !== 1) return null;
  const mac_type = e1000_get_mac_type(version & 0xffff);
  const r = (i: number): number => regs[i] ?? 0;
  let out = "MAC Registers\n-------------\n";

  let reg = r(0);
  out += `0x00000: CTRL (Device control register)  0x${X(reg)}\n`;
  out += field("Endian mode (buffers)", on(reg, 0x2, "big", "little"));
  out += field("Link reset", on(reg, 0x8, "reset", "normal"));
  out += field("Set link up", on(reg, 0x40, "1", "0"));
  out += field("Invert Loss-Of-Signal", on(reg, 0x80, "yes", "no"));
  out += field("Receive flow control", on(reg, 0x08000000, "enabled", "disabled"));
  out += field("Transmit flow control", on(reg, 0x10000000, "enabled", "disabled"));
  out += field("VLAN mode", on(reg, 0x40000000, "enabled", "disabled"));
  if (mac_type >= MAC.e82543) {
    const spd = reg & 0x300;
    out += field("Auto speed detect", on(reg, 0x20, "enabled", "disabled"));
    out += field("Speed select", spd === 0 ? "10Mb/s" : spd === 0x100 ? "100Mb/s" : spd === 0x200 ? "1000Mb/s" : "not used");
    out += field("Force speed", on(reg, 0x800, "yes", "no"));
    out += field("Force duplex", on(reg, 0x1000, "yes", "no"));
  }

  reg = r(1);
  const speed = (reg & 0xc0) === 0 ? "10Mb/s" : (reg & 0xc0) === 0x40 ? "100Mb/s" : (reg & 0xc0) === 0x80 ? "1000Mb/s" : "not used";
  out += `0x00008: STATUS (Device status register) 0x${X(reg)}\n`;
  out += field("Duplex", on(reg, 0x1, "full", "half"));
  out += field("Link up", on(reg, 0x2, "link config", "no link config"));
  if (mac_type >= MAC.e82571) {
    out += field("TBI mode", on(reg, 0x20, "enabled", "disabled"));
    out += field("Link speed", speed);
    out += field("Bus type", "PCI Express");
    out += field("Port number", (reg & 0xc) === 0 ? "0" : "1");
  } else if (mac_type >= MAC.e82543) {
    const pcix = (reg & 0x2000) !== 0;
    out += field("TBI mode", on(reg, 0x20, "enabled", "disabled"));
    out += field("Link speed", speed);
    out += field("Bus type", pcix ? "PCI-X" : "PCI");
    out += field("Bus speed", pcix ? (reg & 0x8000 ? "133MHz" : reg & 0x4000 ? "100MHz" : "66MHz") : reg & 0x800 ? "66MHz" : "33MHz");
    out += field("Bus width", on(reg, 0x1000, "64-bit", "32-bit"));
  }

  reg = r(2);
  const rdmts = reg & 0x300;
  out += `0x00100: RCTL (Receive control register) 0x${X(reg)}\n`;
  out += field("Receiver", on(reg, 0x2, "enabled", "disabled"));
  out += field("Store bad packets", on(reg, 0x4, "enabled", "disabled"));
  out += field("Unicast promiscuous", on(reg, 0x8, "enabled", "disabled"));
  out += field("Multicast promiscuous", on(reg, 0x10, "enabled", "disabled"));
  out += field("Long packet", on(reg, 0x20, "enabled", "disabled"));
  out += field("Descriptor minimum threshold size", rdmts === 0 ? "1/2" : rdmts === 0x100 ? "1/4" : rdmts === 0x200 ? "1/8" : "reserved");
  out += field("Broadcast accept mode", on(reg, 0x8000, "accept", "ignore"));
  out += field("VLAN filter", on(reg, 0x40000, "enabled", "disabled"));
  out += field("Canonical form indicator", on(reg, 0x80000, "enabled", "disabled"));
  out += field("Discard pause frames", on(reg, 0x400000, "ignored", "filtered"));
  out += field("Pass MAC control frames", on(reg, 0x800000, "pass", "don't pass"));
  const sz = reg & 0x30000;
  const small = sz === 0 ? "2048" : sz === 0x10000 ? "1024" : sz === 0x20000 ? "512" : "256";
  if (mac_type >= MAC.e82543 && reg & 0x02000000) out += field("Receive buffer size", sz === 0x10000 ? "16384" : sz === 0x20000 ? "8192" : sz === 0x30000 ? "4096" : "reserved");
  else out += field("Receive buffer size", small);

  out += `0x02808: RDLEN (Receive desc length)     0x${X(r(3))}\n`;
  out += `0x02810: RDH   (Receive desc head)       0x${X(r(4))}\n`;
  out += `0x02818: RDT   (Receive desc tail)       0x${X(r(5))}\n`;
  out += `0x02820: RDTR  (Receive delay timer)     0x${X(r(6))}\n`;

  reg = r(7);
  out += `0x00400: TCTL (Transmit ctrl register)   0x${X(reg)}\n`;
  out += field("Transmitter", on(reg, 0x2, "enabled", "disabled"));
  out += field("Pad short packets", on(reg, 0x8, "enabled", "disabled"));
  out += field("Software XOFF Transmission", on(reg, 0x400000, "enabled", "disabled"));
  if (mac_type >= MAC.e82543) out += field("Re-transmit on late collision", on(reg, 0x01000000, "enabled", "disabled"));

  out += `0x03808: TDLEN (Transmit desc length)    0x${X(r(8))}\n`;
  out += `0x03810: TDH   (Transmit desc head)      0x${X(r(9))}\n`;
  out += `0x03818: TDT   (Transmit desc tail)      0x${X(r(10))}\n`;
  out += `0x03820: TIDV  (Transmit delay timer)    0x${X(r(11))}\n`;

  const phy_type = r(12);
  out += `PHY type:                                ${phy_type === 0 ? "M88" : phy_type === 1 ? "IGP" : phy_type === 2 ? "IGP2" : "unknown"}\n`;
  if (phy_type === 0) {
    reg = r(13);
    const cl = reg & 0x380;
    const spd = reg & 0xc000;
    out += `M88 PHY STATUS REGISTER:                 0x${X(reg)}\n`;
    out += field("Jabber", on(reg, 0x1, "yes", "no"));
    out += field("Polarity", on(reg, 0x2, "reverse", "normal"));
    out += field("Downshifted", on(reg, 0x20, "yes", "no"));
    out += field("MDI/MDIX", on(reg, 0x40, "MDIX", "MDI"));
    out += field("Cable Length Estimate", `${cl === 0 ? "0-50" : cl === 0x80 ? "50-80" : cl === 0x100 ? "80-110" : cl === 0x180 ? "110-140" : cl === 0x200 ? "140+" : "unknown"} meters`);
    out += field("Link State", on(reg, 0x400, "Up", "Down"));
    out += field("Speed & Duplex Resolved", on(reg, 0x800, "Yes", "No"));
    out += field("Page Received", on(reg, 0x1000, "Yes", "No"));
    out += field("Duplex", on(reg, 0x2000, "Full", "Half"));
    out += field("Speed", `${spd === 0 ? "10" : spd === 0x4000 ? "100" : spd === 0x8000 ? "1000" : "unknown"} mbps`);

    reg = r(17);
    const mdi = reg & 0x60;
    out += `M88 PHY CONTROL REGISTER:                0x${X(reg)}\n`;
    out += field("Jabber function", on(reg, 0x1, "disabled", "enabled"));
    out += field("Auto-polarity", on(reg, 0x2, "enabled", "disabled"));
    out += field("SQE Test", on(reg, 0x4, "enabled", "disabled"));
    out += field("CLK125", on(reg, 0x10, "disabled", "enabled"));
    out += field("Auto-MDIX", mdi === 0 ? "force MDI" : mdi === 0x20 ? "force MDIX" : mdi === 0x40 ? "1000 auto, 10/100 MDI" : "auto");
    out += field("Extended 10Base-T Distance", on(reg, 0x80, "enabled", "disabled"));
    out += field("100Base-TX Interface", on(reg, 0x100, "5-bit", "MII"));
    out += field("Scrambler", on(reg, 0x200, "disabled", "enabled"));
    out += field("Force Link Good", on(reg, 0x400, "forced", "disabled"));
    out += field("Assert CRS on Transmit", on(reg, 0x800, "enabled", "disabled"));
  }
  return out;
}
