/**
 * 82540EM registers and bits as the device model sees them. Byte offsets into BAR0 with the
 * section of Intel's "PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's Manual"
 * (8254x SDM, rev 4.0) beside each. The driver keeps its own copy (drivers/net/e1000_hw.ts); a test
 * checks that the two agree.
 */
export const REG = {
  CTRL: 0x00000, // Device Control, 13.4.1
  STATUS: 0x00008, // Device Status, 13.4.2
  EECD: 0x00010, // EEPROM/Flash Control/Data, 13.4.3
  EERD: 0x00014, // EEPROM Read, 13.4.4
  CTRL_EXT: 0x00018, // Extended Device Control, 13.4.6
  MDIC: 0x00020, // MDI Control, 13.4.7
  FCAL: 0x00028, // Flow Control Address Low, 13.4.8
  FCAH: 0x0002c, // Flow Control Address High, 13.4.9
  FCT: 0x00030, // Flow Control Type, 13.4.10
  VET: 0x00038, // VLAN Ether Type, 13.4.11
  ICR: 0x000c0, // Interrupt Cause Read, 13.4.17
  ITR: 0x000c4, // Interrupt Throttling, 13.4.18
  ICS: 0x000c8, // Interrupt Cause Set, 13.4.19
  IMS: 0x000d0, // Interrupt Mask Set/Read, 13.4.20
  IMC: 0x000d8, // Interrupt Mask Clear, 13.4.21
  RCTL: 0x00100, // Receive Control, 13.4.22
  FCTTV: 0x00170, // Flow Control Transmit Timer Value, 13.4.12
  TXCW: 0x00178, // Transmit Configuration Word, 13.4.14
  RXCW: 0x00180, // Receive Configuration Word, 13.4.15
  TCTL: 0x00400, // Transmit Control, 13.4.33
  TIPG: 0x00410, // Transmit IPG, 13.4.34
  AIT: 0x00458, // Adaptive IFS Throttle, 13.4.35
  LEDCTL: 0x00e00, // LED Control, 13.4.16
  PBA: 0x01000, // Packet Buffer Allocation, 13.4.24
  FCRTL: 0x02160, // Flow Control Receive Threshold Low, 13.4.25
  FCRTH: 0x02168, // Flow Control Receive Threshold High, 13.4.26
  RDBAL: 0x02800, // RX Descriptor Base Low, 13.4.27
  RDBAH: 0x02804, // RX Descriptor Base High, 13.4.28
  RDLEN: 0x02808, // RX Descriptor Length, 13.4.29
  RDH: 0x02810, // RX Descriptor Head, 13.4.30
  RDT: 0x02818, // RX Descriptor Tail, 13.4.31
  RDTR: 0x02820, // RX Delay Timer, 13.4.32
  RXDCTL: 0x02828, // RX Descriptor Control, 13.4.42
  RADV: 0x0282c, // RX Interrupt Absolute Delay Timer, 13.4.40
  RDFH: 0x02410, // RX Data FIFO Head (diagnostic), 13.5.x
  RDFT: 0x02418, // RX Data FIFO Tail (diagnostic)
  RDFHS: 0x02420, // RX Data FIFO Head Saved (diagnostic)
  RDFTS: 0x02428, // RX Data FIFO Tail Saved (diagnostic)
  RDFPC: 0x02430, // RX Data FIFO Packet Count (diagnostic)
  RSRPD: 0x02c00, // RX Small Packet Detect, 13.4.41
  TDBAL: 0x03800, // TX Descriptor Base Low, 13.4.36
  TDBAH: 0x03804, // TX Descriptor Base High, 13.4.37
  TDLEN: 0x03808, // TX Descriptor Length, 13.4.38
  TDH: 0x03810, // TX Descriptor Head, 13.4.39
  TDT: 0x03818, // TX Descriptor Tail, 13.4.40
  TIDV: 0x03820, // TX Interrupt Delay Value, 13.4.41
  TXDCTL: 0x03828, // TX Descriptor Control, 13.4.43
  TADV: 0x0382c, // TX Absolute Interrupt Delay Value, 13.4.44
  TSPMT: 0x03830, // TCP Segmentation Pad and Threshold, 13.4.45
  TDFH: 0x03410, // TX Data FIFO Head (diagnostic), 13.5.x
  TDFT: 0x03418, // TX Data FIFO Tail (diagnostic)
  TDFHS: 0x03420, // TX Data FIFO Head Saved (diagnostic)
  TDFTS: 0x03428, // TX Data FIFO Tail Saved (diagnostic)
  TDFPC: 0x03430, // TX Data FIFO Packet Count (diagnostic)
  STATS: 0x04000, // first statistics register, 13.7
  STATS_END: 0x04100,
  RXCSUM: 0x05000, // RX Checksum Control, 13.4.46
  MTA: 0x05200, // Multicast Table Array (128 x 32 bits), 13.5.1
  RA: 0x05400, // Receive Address (16 pairs RAL/RAH), 13.5.2
  VFTA: 0x05600, // VLAN Filter Table Array (128 x 32 bits), 13.5.3
  WUC: 0x05800, // Wakeup Control, 13.6.1
  WUFC: 0x05808, // Wakeup Filter Control, 13.6.2
  WUS: 0x05810, // Wakeup Status, 13.6.3
  MANC: 0x05820, // Management Control, 13.8
  IPAV: 0x05838, // IP Address Valid, 13.6.4
  IP4AT: 0x05840, // IPv4 Address Table (4 entries, every 8 bytes), 13.6.5
  IP6AT: 0x05880, // IPv6 Address Table (one address, 4 dwords), 13.6.6
  WUPL: 0x05900, // Wakeup Packet Length (read-only), 13.6.7
  WUPM: 0x05a00, // Wakeup Packet Memory (128 bytes, read-only), 13.6.8
  FFLT: 0x05f00, // Flexible Filter Length Table (4 entries, every 8 bytes), 13.6.9
  FFMT: 0x09000, // Flexible Filter Mask Table (128 entries, every 8 bytes), 13.6.10
  FFVT: 0x09800, // Flexible Filter Value Table (128 entries, every 8 bytes), 13.6.11
  PBM: 0x10000, // Packet Buffer Memory (64 KiB window, diagnostic), 13.5.x
} as const;

/** Statistics registers (13.7); all read-only and clear-on-read on the 82540EM. */
export const STAT = {
  CRCERRS: 0x04000,
  ALGNERRC: 0x04004,
  SYMERRS: 0x04008,
  RXERRC: 0x0400c,
  MPC: 0x04010, // Missed Packets
  SCC: 0x04014,
  ECOL: 0x04018,
  MCC: 0x0401c,
  LATECOL: 0x04020,
  COLC: 0x04028,
  DC: 0x04030,
  TNCRS: 0x04034,
  SEC: 0x04038,
  CEXTERR: 0x0403c,
  RLEC: 0x04040,
  XONRXC: 0x04048,
  XONTXC: 0x0404c,
  XOFFRXC: 0x04050,
  XOFFTXC: 0x04054,
  FCRUC: 0x04058,
  PRC64: 0x0405c,
  PRC127: 0x04060,
  PRC255: 0x04064,
  PRC511: 0x04068,
  PRC1023: 0x0406c,
  PRC1522: 0x04070,
  GPRC: 0x04074, // Good Packets Received
  BPRC: 0x04078, // Broadcast Packets Received
  MPRC: 0x0407c, // Multicast Packets Received
  GPTC: 0x04080, // Good Packets Transmitted
  GORCL: 0x04088, // Good Octets Received (64 bits: low, high)
  GORCH: 0x0408c,
  GOTCL: 0x04090, // Good Octets Transmitted
  GOTCH: 0x04094,
  RNBC: 0x040a0, // Receive No Buffers
  RUC: 0x040a4,
  RFC: 0x040a8,
  ROC: 0x040ac, // Receive Oversize
  RJC: 0x040b0,
  MGTPRC: 0x040b4,
  MGTPDC: 0x040b8,
  MGTPTC: 0x040bc,
  TORL: 0x040c0, // Total Octets Received
  TORH: 0x040c4,
  TOTL: 0x040c8, // Total Octets Transmitted
  TOTH: 0x040cc,
  TPR: 0x040d0, // Total Packets Received
  TPT: 0x040d4, // Total Packets Transmitted
  PTC64: 0x040d8,
  PTC127: 0x040dc,
  PTC255: 0x040e0,
  PTC511: 0x040e4,
  PTC1023: 0x040e8,
  PTC1522: 0x040ec,
  MPTC: 0x040f0,
  BPTC: 0x040f4,
  TSCTC: 0x040f8,
  TSCTFC: 0x040fc,
} as const;

export const CTRL_FD = 0x00000001;
export const CTRL_LRST = 0x00000008;
export const CTRL_ASDE = 0x00000020;
export const CTRL_SLU = 0x00000040;
export const CTRL_ILOS = 0x00000080;
export const CTRL_SPEED_1000 = 0x00000200;
export const CTRL_FRCSPD = 0x00000800;
export const CTRL_FRCDPLX = 0x00001000;
export const CTRL_RST = 0x04000000;
export const CTRL_VME = 0x40000000;
export const CTRL_PHY_RST = 0x80000000;

export const STATUS_FD = 0x00000001;
export const STATUS_LU = 0x00000002;
export const STATUS_TXOFF = 0x00000010;
export const STATUS_SPEED_1000 = 0x00000080;

export const EECD_SK = 0x00000001;
export const EECD_CS = 0x00000002;
export const EECD_DI = 0x00000004;
export const EECD_DO = 0x00000008;
export const EECD_FWE_MASK = 0x00000030;
export const EECD_REQ = 0x00000040;
export const EECD_GNT = 0x00000080;
export const EECD_PRES = 0x00000100;

/** EERD, 82540/82544/82545/82546 layout (13.4.4): START bit 0, DONE bit 4, ADDR 15:8, DATA 31:16. */
export const EERD_START = 0x00000001;
export const EERD_DONE = 0x00000010;
export const EERD_ADDR_SHIFT = 8;
export const EERD_DATA_SHIFT = 16;

export const MDIC_DATA_MASK = 0x0000ffff;
export const MDIC_REG_SHIFT = 16;
export const MDIC_PHY_SHIFT = 21;
export const MDIC_OP_WRITE = 0x04000000;
export const MDIC_OP_READ = 0x08000000;
export const MDIC_READY = 0x10000000;
export const MDIC_INT_EN = 0x20000000;
export const MDIC_ERROR = 0x40000000;

/** Interrupt causes: ICR/ICS/IMS/IMC bits (13.4.17). */
export const ICR_TXDW = 0x00000001;
export const ICR_TXQE = 0x00000002;
export const ICR_LSC = 0x00000004;
export const ICR_RXSEQ = 0x00000008;
export const ICR_RXDMT0 = 0x00000010;
export const ICR_RXO = 0x00000040;
export const ICR_RXT0 = 0x00000080;
export const ICR_MDAC = 0x00000200;
export const ICR_RXCFG = 0x00000400;
export const ICR_TXD_LOW = 0x00008000;
export const ICR_SRPD = 0x00010000;
/** Bits 31:17 are reserved on the 8254x; software writes to IMS/ICS may set only the low 17. */
export const ICR_VALID_MASK = 0x0001ffff;

export const RCTL_EN = 0x00000002;
export const RCTL_SBP = 0x00000004;
export const RCTL_UPE = 0x00000008;
export const RCTL_MPE = 0x00000010;
export const RCTL_LPE = 0x00000020;
export const RCTL_LBM_MASK = 0x000000c0;
export const RCTL_LBM_MAC = 0x00000040;
export const RCTL_LBM_TCVR = 0x000000c0;
export const RCTL_RDMTS_SHIFT = 8;
export const RCTL_RDMTS_MASK = 0x00000300;
export const RCTL_MO_SHIFT = 12;
export const RCTL_MO_MASK = 0x00003000;
export const RCTL_BAM = 0x00008000;
export const RCTL_BSIZE_SHIFT = 16;
export const RCTL_BSIZE_MASK = 0x00030000;
export const RCTL_VFE = 0x00040000;
export const RCTL_BSEX = 0x02000000;
export const RCTL_SECRC = 0x04000000;

export const TCTL_EN = 0x00000002;
export const TCTL_PSP = 0x00000008;

export const RAH_AV = 0x80000000;

export const RDTR_FPD = 0x80000000;

/** Legacy transmit descriptor (3.3.3): 16 bytes, little-endian. */
export const TXD_ADDR = 0; // 8 bytes
export const TXD_LENGTH = 8; // 2 bytes
export const TXD_CSO = 10;
export const TXD_CMD = 11;
export const TXD_STATUS = 12;
export const TXD_CSS = 13;
export const TXD_SPECIAL = 14;
export const TXD_CMD_EOP = 0x01;
export const TXD_CMD_IFCS = 0x02;
export const TXD_CMD_IC = 0x04;
export const TXD_CMD_RS = 0x08;
export const TXD_CMD_RPS = 0x10;
export const TXD_CMD_DEXT = 0x20;
export const TXD_CMD_VLE = 0x40;
export const TXD_CMD_IDE = 0x80;
export const TXD_STAT_DD = 0x01;
export const TXD_STAT_EC = 0x02;
export const TXD_STAT_LC = 0x04;
export const TXD_STAT_TU = 0x08;

/** Legacy receive descriptor (3.2.3): 16 bytes, little-endian. */
export const RXD_ADDR = 0; // 8 bytes
export const RXD_LENGTH = 8; // 2 bytes
export const RXD_CSUM = 10; // 2 bytes
export const RXD_STATUS = 12;
export const RXD_ERRORS = 13;
export const RXD_SPECIAL = 14;
export const RXD_STAT_DD = 0x01;
export const RXD_STAT_EOP = 0x02;
export const RXD_STAT_IXSM = 0x04;
export const RXD_STAT_VP = 0x08;
export const RXD_STAT_TCPCS = 0x20; // TCP/UDP checksum calculated (8254x: one bit for both; no UDPCS)
export const RXD_STAT_IPCS = 0x40; // IPv4 header checksum calculated
export const RXD_STAT_PIF = 0x80;
export const RXD_ERR_CE = 0x01;
export const RXD_ERR_TCPE = 0x20; // TCP/UDP checksum error
export const RXD_ERR_IPE = 0x40; // IPv4 header checksum error
export const RXD_ERR_RXE = 0x80;

/** RXCSUM (13.4.46): packet checksum start, IPv4 and TCP/UDP offload enables; bits 31:10 reserved. */
export const RXCSUM_PCSS_MASK = 0x000000ff;
export const RXCSUM_IPOFL = 0x00000100;
export const RXCSUM_TUOFL = 0x00000200;

/** PBA (13.4.24): RXA in KiB (bits 15:0, writable); TXA (31:16) is what is left of the 64 KiB buffer. */
export const PBA_RXA_MASK = 0x0000ffff;
export const PBA_TXA_SHIFT = 16;
export const E1000_PB_KIB = 64;

export const DESC_SIZE = 16;

/** MII (PHY) registers (IEEE 802.3 clause 22; SDM 13.3) and the 82540EM's M88E1011-class PHY. */
export const PHY_ADDR = 1;
export const MII_BMCR = 0x00;
export const MII_BMSR = 0x01;
export const MII_PHYSID1 = 0x02;
export const MII_PHYSID2 = 0x03;
export const MII_ADVERTISE = 0x04;
export const MII_LPA = 0x05;
export const MII_EXPANSION = 0x06;
export const MII_CTRL1000 = 0x09;
export const MII_STAT1000 = 0x0a;
export const M88_PHY_SPEC_CTRL = 0x10;
export const M88_PHY_SPEC_STATUS = 0x11;
export const M88_EXT_PHY_SPEC_CTRL = 0x14;
export const M88_RX_ERR_CNTR = 0x15;
export const BMCR_RESET = 0x8000;
export const BMCR_LOOPBACK = 0x4000;
export const BMCR_ANENABLE = 0x1000;
export const BMCR_PDOWN = 0x0800;
export const BMCR_ANRESTART = 0x0200;
export const BMSR_LSTATUS = 0x0004;
export const BMSR_ANEGCOMPLETE = 0x0020;
export const LPA_LPACK = 0x4000;

/** EEPROM: 64 16-bit words; words 0x00-0x3F sum to 0xBABA (5.6.1, table 5-2). */
export const EEPROM_WORDS = 64;
export const EEPROM_SUM = 0xbaba;

/** How a register answers a plain access (anything not handled by name in E1000.reg_write). */
export const REG_KIND_RW = 1; // stored through its write mask; bits outside the mask read 0
export const REG_KIND_RO = 2; // writes ignored
export const REG_KIND_W1C = 3; // writing 1 clears a bit (WUS)

/**
 * The 82540EM register file as the SDM documents it (table 13-2 and the sections beside each
 * row): [offset, count, stride, reset value, write mask, kind]. Reserved bits are outside the
 * mask and read 0 (13.4: "reserved bits … read as 0b"). Reset values are QEMU's, which the SDM
 * shares where it gives one (PBA, LEDCTL, CTRL, MANC). Registers whose writes have side effects
 * (CTRL, EECD, EERD, MDIC, ICR/ICS/IMS/IMC, RCTL, TCTL, ring pointers, timers, PBA) are listed for
 * their mask and reset value and handled by name. Offsets not listed here are unknown: they read
 * 0, ignore writes and say so on the `unknown` trace channel. Statistics (13.7) are separate.
 */
export const E1000_REG_TABLE: readonly (readonly [number, number, number, number, number, number])[] = [
  [REG.CTRL, 1, 4, 0x00140240, 0xd8fc1be9, REG_KIND_RW], // 13.4.1: bits 1,2,4,10,13-17,24,25,29 reserved; RST self-clears
  [REG.STATUS, 1, 4, 0, 0, REG_KIND_RO], // 13.4.2
  [REG.EECD, 1, 4, 0, 0x0000003f, REG_KIND_RW], // 13.4.3: SK, CS, DI, FWE (state machine in e1000_eeprom.ts)
  [REG.EERD, 1, 4, 0, 0x0000ff01, REG_KIND_RW], // 13.4.4: START, ADDR; DONE and DATA by hardware
  [REG.CTRL_EXT, 1, 4, 0, 0x00e29fff, REG_KIND_RW], // 13.4.6: GPI_EN, SDP6/7, ASDCHK, SPD_BYPS, RO_DIS, VREG, LINK_MODE; EE_RST self-clears
  [REG.MDIC, 1, 4, 0, 0x7fffffff, REG_KIND_RW], // 13.4.7
  [REG.FCAL, 1, 4, 0, 0xffffffff, REG_KIND_RW], // 13.4.8
  [REG.FCAH, 1, 4, 0, 0x0000ffff, REG_KIND_RW], // 13.4.9
  [REG.FCT, 1, 4, 0, 0x0000ffff, REG_KIND_RW], // 13.4.10
  [REG.VET, 1, 4, 0x00008100, 0x0000ffff, REG_KIND_RW], // 13.4.11
  [REG.ICR, 1, 4, 0, 0x0001ffff, REG_KIND_RW], // 13.4.17 (read clears)
  [REG.ITR, 1, 4, 0, 0x0000ffff, REG_KIND_RW], // 13.4.18
  [REG.ICS, 1, 4, 0, 0x0001ffff, REG_KIND_RW], // 13.4.19 (write-only; reads mirror ICR as QEMU)
  [REG.IMS, 1, 4, 0, 0x0001ffff, REG_KIND_RW], // 13.4.20
  [REG.IMC, 1, 4, 0, 0x0001ffff, REG_KIND_RW], // 13.4.21 (write-only, reads 0)
  [REG.RCTL, 1, 4, 0, 0x06dfb3fe, REG_KIND_RW], // 13.4.22: bits 0, 10, 11, 14, 21, 24, 31:27 reserved
  [REG.FCTTV, 1, 4, 0, 0x0000ffff, REG_KIND_RW], // 13.4.12
  [REG.TXCW, 1, 4, 0, 0xc000ffff, REG_KIND_RW], // 13.4.14: TxConfigWord, TxConfig, ANE
  [REG.RXCW, 1, 4, 0, 0, REG_KIND_RO], // 13.4.15
  [REG.TCTL, 1, 4, 0, 0x017ffffa, REG_KIND_RW], // 13.4.33: EN, PSP, CT, COLD, SWXOFF, RTLC
  [REG.TIPG, 1, 4, 0, 0x3fffffff, REG_KIND_RW], // 13.4.34: IPGT, IPGR1, IPGR2
  [REG.AIT, 1, 4, 0, 0x0000ffff, REG_KIND_RW], // 13.4.35: AIFS 15:0; 31:16 reserved
  [REG.LEDCTL, 1, 4, 0x00000602, 0xcfcfcfcf, REG_KIND_RW], // 13.4.16: per LED MODE 3:0, IVRT, BLINK
  [REG.PBA, 1, 4, 0x00100030, PBA_RXA_MASK, REG_KIND_RW], // 13.4.24: RXA; TXA = 64 - RXA (read-only)
  [REG.FCRTL, 1, 4, 0, 0x8000fff8, REG_KIND_RW], // 13.4.25: RTL 15:3, XONE 31
  [REG.FCRTH, 1, 4, 0, 0x0000fff8, REG_KIND_RW], // 13.4.26: RTH 15:3
  [REG.RDFH, 1, 4, 0, 0x00001fff, REG_KIND_RW], // FIFO diagnostics: 13 bits, as QEMU
  [REG.RDFT, 1, 4, 0, 0x00001fff, REG_KIND_RW],
  [REG.RDFHS, 1, 4, 0, 0x00001fff, REG_KIND_RW],
  [REG.RDFTS, 1, 4, 0, 0x00001fff, REG_KIND_RW],
  [REG.RDFPC, 1, 4, 0, 0x00001fff, REG_KIND_RW],
  [REG.RDBAL, 1, 4, 0, 0xfffffff0, REG_KIND_RW], // 13.4.27: 3:0 ignored, read 0
  [REG.RDBAH, 1, 4, 0, 0xffffffff, REG_KIND_RW], // 13.4.28
  [REG.RDLEN, 1, 4, 0, 0x000fff80, REG_KIND_RW], // 13.4.29
  [REG.RDH, 1, 4, 0, 0x0000ffff, REG_KIND_RW], // 13.4.30
  [REG.RDT, 1, 4, 0, 0x0000ffff, REG_KIND_RW], // 13.4.31
  [REG.RDTR, 1, 4, 0, 0x0000ffff, REG_KIND_RW], // 13.4.32: FPD (31) write-only, reads 0
  [REG.RXDCTL, 1, 4, 0, 0x013f3f3f, REG_KIND_RW], // 13.4.42: PTHRESH, HTHRESH, WTHRESH, GRAN
  [REG.RADV, 1, 4, 0, 0x0000ffff, REG_KIND_RW], // 13.4.40
  [REG.RSRPD, 1, 4, 0, 0x00000fff, REG_KIND_RW], // 13.4.41
  [REG.TDFH, 1, 4, 0, 0x000007ff, REG_KIND_RW], // FIFO diagnostics: 11/13 bits, as QEMU
  [REG.TDFT, 1, 4, 0, 0x000007ff, REG_KIND_RW],
  [REG.TDFHS, 1, 4, 0, 0x00001fff, REG_KIND_RW],
  [REG.TDFTS, 1, 4, 0, 0x00001fff, REG_KIND_RW],
  [REG.TDFPC, 1, 4, 0, 0x00001fff, REG_KIND_RW],
  [REG.TDBAL, 1, 4, 0, 0xfffffff0, REG_KIND_RW], // 13.4.36
  [REG.TDBAH, 1, 4, 0, 0xffffffff, REG_KIND_RW], // 13.4.37
  [REG.TDLEN, 1, 4, 0, 0x000fff80, REG_KIND_RW], // 13.4.38
  [REG.TDH, 1, 4, 0, 0x0000ffff, REG_KIND_RW], // 13.4.39
  [REG.TDT, 1, 4, 0, 0x0000ffff, REG_KIND_RW], // 13.4.40
  [REG.TIDV, 1, 4, 0, 0x0000ffff, REG_KIND_RW], // 13.4.41
  [REG.TXDCTL, 1, 4, 0, 0xff3f3f3f, REG_KIND_RW], // 13.4.43: PTHRESH, HTHRESH, WTHRESH, GRAN, LWTHRESH
  [REG.TADV, 1, 4, 0, 0x0000ffff, REG_KIND_RW], // 13.4.44
  [REG.TSPMT, 1, 4, 0, 0xffffffff, REG_KIND_RW], // 13.4.45: TSMT, TSPBP
  [REG.RXCSUM, 1, 4, 0, 0x000003ff, REG_KIND_RW], // 13.4.46: PCSS, IPOFL, TUOFL
  [REG.MTA, 128, 4, 0, 0xffffffff, REG_KIND_RW], // 13.5.1
  [REG.RA, 16, 8, 0, 0xffffffff, REG_KIND_RW], // 13.5.2 RAL
  [REG.RA + 4, 16, 8, 0, 0x8003ffff, REG_KIND_RW], // 13.5.2 RAH: RAH 15:0, ASEL 17:16, AV 31
  [REG.VFTA, 128, 4, 0, 0xffffffff, REG_KIND_RW], // 13.5.3
  [REG.WUC, 1, 4, 0, 0x0000000f, REG_KIND_RW], // 13.6.1: APME, PME_EN, PME_STAT, APMPME
  [REG.WUFC, 1, 4, 0, 0x000f00ff, REG_KIND_RW], // 13.6.2: LNKC…IPV6, FLX0-3
  [REG.WUS, 1, 4, 0, 0x000f00ff, REG_KIND_W1C], // 13.6.3: set by wake events, cleared by writing 1
  [REG.MANC, 1, 4, 0x00222300, 0x01ffffff, REG_KIND_RW], // 13.8: R/W (drivers clear ARP_EN at reset); bits 31:25 reserved; no manageability engine behind it
  [REG.IPAV, 1, 4, 0, 0x0001000f, REG_KIND_RW], // 13.6.4: V40-V43, V60
  [REG.IP4AT, 4, 8, 0, 0xffffffff, REG_KIND_RW], // 13.6.5
  [REG.IP6AT, 4, 4, 0, 0xffffffff, REG_KIND_RW], // 13.6.6
  [REG.WUPL, 1, 4, 0, 0, REG_KIND_RO], // 13.6.7
  [REG.WUPM, 32, 4, 0, 0, REG_KIND_RO], // 13.6.8
  [REG.FFLT, 4, 8, 0, 0x000007ff, REG_KIND_RW], // 13.6.9: LEN 10:0
  [REG.FFMT, 128, 8, 0, 0x0000000f, REG_KIND_RW], // 13.6.10: one mask bit per filter
  [REG.FFVT, 128, 8, 0, 0xffffffff, REG_KIND_RW], // 13.6.11: one byte per filter
  [REG.PBM, 16384, 4, 0, 0xffffffff, REG_KIND_RW], // packet buffer memory window (diagnostic)
];
