/**
 * The 8254x as the driver sees it (≈ Linux's e1000_hw.h and the seeds' e1000.h): register byte
 * offsets with the section of Intel's PCI/PCI-X Family of Gigabit Ethernet Controllers Software
 * Developer's Manual (SDM) beside each, bit masks (unsigned), and the legacy descriptor layouts.
 * The device model keeps its own copy (hw/net/e1000_regs.ts); test/drivers/e1000_hw.test.ts checks
 * that the two agree.
 */

/* Registers. */
export const E1000_CTRL = 0x00000; // Device Control - RW (13.4.1)
export const E1000_STATUS = 0x00008; // Device Status - RO (13.4.2)
export const E1000_EECD = 0x00010; // EEPROM/Flash Control - RW (13.4.3)
export const E1000_EERD = 0x00014; // EEPROM Read - RW (13.4.4)
export const E1000_CTRL_EXT = 0x00018; // Extended Device Control - RW (13.4.6)
export const E1000_MDIC = 0x00020; // MDI Control - RW (13.4.7)
export const E1000_FCAL = 0x00028; // Flow Control Address Low - RW (13.4.8)
export const E1000_FCAH = 0x0002c; // Flow Control Address High - RW (13.4.9)
export const E1000_FCT = 0x00030; // Flow Control Type - RW (13.4.10)
export const E1000_VET = 0x00038; // VLAN Ether Type - RW (13.4.11)
export const E1000_ICR = 0x000c0; // Interrupt Cause Read - R/clr (13.4.17)
export const E1000_ITR = 0x000c4; // Interrupt Throttling Rate - RW (13.4.18)
export const E1000_ICS = 0x000c8; // Interrupt Cause Set - WO (13.4.19)
export const E1000_IMS = 0x000d0; // Interrupt Mask Set - RW (13.4.20)
export const E1000_IMC = 0x000d8; // Interrupt Mask Clear - WO (13.4.21)
export const E1000_RCTL = 0x00100; // RX Control - RW (13.4.22)
export const E1000_FCTTV = 0x00170; // Flow Control Transmit Timer Value - RW (13.4.12)
export const E1000_TCTL = 0x00400; // TX Control - RW (13.4.33)
export const E1000_TIPG = 0x00410; // TX Inter-packet gap - RW (13.4.34)
export const E1000_LEDCTL = 0x00e00; // LED Control - RW (13.4.16)
export const E1000_PBA = 0x01000; // Packet Buffer Allocation - RW (13.4.24)
export const E1000_RDBAL = 0x02800; // RX Descriptor Base Address Low - RW (13.4.27)
export const E1000_RDBAH = 0x02804; // RX Descriptor Base Address High - RW (13.4.28)
export const E1000_RDLEN = 0x02808; // RX Descriptor Length - RW (13.4.29)
export const E1000_RDH = 0x02810; // RX Descriptor Head - RW (13.4.30)
export const E1000_RDT = 0x02818; // RX Descriptor Tail - RW (13.4.31)
export const E1000_RDTR = 0x02820; // RX Delay Timer - RW (13.4.32)
export const E1000_RADV = 0x0282c; // RX Interrupt Absolute Delay Timer - RW (13.4.40)
export const E1000_TDBAL = 0x03800; // TX Descriptor Base Address Low - RW (13.4.36)
export const E1000_TDBAH = 0x03804; // TX Descriptor Base Address High - RW (13.4.37)
export const E1000_TDLEN = 0x03808; // TX Descriptor Length - RW (13.4.38)
export const E1000_TDH = 0x03810; // TX Descriptor Head - RW (13.4.39)
export const E1000_TDT = 0x03818; // TX Descriptor Tail - RW (13.4.40)
export const E1000_TIDV = 0x03820; // TX Interrupt Delay Value - RW (13.4.41)
export const E1000_TADV = 0x0382c; // TX Interrupt Absolute Delay Val - RW (13.4.44)
export const E1000_RXCSUM = 0x05000; // RX Checksum Control - RW (13.4.46)
export const E1000_MTA = 0x05200; // Multicast Table Array - RW Array (13.5.1)
export const E1000_RA = 0x05400; // Receive Address - RW Array (13.5.2)
export const E1000_VFTA = 0x05600; // VLAN Filter Table Array - RW Array (13.5.3)
export const E1000_MANC = 0x05820; // Management Control - RW (13.8)

/* Statistics registers (13.7): read-only, clear on read; 64-bit counters clear on reading the high half. */
export const E1000_CRCERRS = 0x04000; // CRC Error Count
export const E1000_ALGNERRC = 0x04004; // Alignment Error Count
export const E1000_SYMERRS = 0x04008; // Symbol Error Count
export const E1000_RXERRC = 0x0400c; // Receive Error Count
export const E1000_MPC = 0x04010; // Missed Packet Count
export const E1000_SCC = 0x04014; // Single Collision Count
export const E1000_ECOL = 0x04018; // Excessive Collision Count
export const E1000_MCC = 0x0401c; // Multiple Collision Count
export const E1000_LATECOL = 0x04020; // Late Collision Count
export const E1000_COLC = 0x04028; // Collision Count
export const E1000_DC = 0x04030; // Defer Count
export const E1000_TNCRS = 0x04034; // TX-No CRS
export const E1000_SEC = 0x04038; // Sequence Error Count
export const E1000_CEXTERR = 0x0403c; // Carrier Extension Error Count
export const E1000_RLEC = 0x04040; // Receive Length Error Count
export const E1000_XONRXC = 0x04048; // XON RX Count
export const E1000_XONTXC = 0x0404c; // XON TX Count
export const E1000_XOFFRXC = 0x04050; // XOFF RX Count
export const E1000_XOFFTXC = 0x04054; // XOFF TX Count
export const E1000_FCRUC = 0x04058; // Flow Control RX Unsupported Count
export const E1000_PRC64 = 0x0405c; // Packets RX (64 bytes)
export const E1000_PRC127 = 0x04060; // Packets RX (65-127 bytes)
export const E1000_PRC255 = 0x04064; // Packets RX (128-255 bytes)
export const E1000_PRC511 = 0x04068; // Packets RX (256-511 bytes)
export const E1000_PRC1023 = 0x0406c; // Packets RX (512-1023 bytes)
export const E1000_PRC1522 = 0x04070; // Packets RX (1024-1522 bytes)
export const E1000_GPRC = 0x04074; // Good Packets RX Count
export const E1000_BPRC = 0x04078; // Broadcast Packets RX Count
export const E1000_MPRC = 0x0407c; // Multicast Packets RX Count
export const E1000_GPTC = 0x04080; // Good Packets TX Count
export const E1000_GORCL = 0x04088; // Good Octets RX Count Low
export const E1000_GORCH = 0x0408c; // Good Octets RX Count High
export const E1000_GOTCL = 0x04090; // Good Octets TX Count Low
export const E1000_GOTCH = 0x04094; // Good Octets TX Count High
export const E1000_RNBC = 0x040a0; // RX No Buffers Count
export const E1000_RUC = 0x040a4; // RX Undersize Count
export const E1000_RFC = 0x040a8; // RX Fragment Count
export const E1000_ROC = 0x040ac; // RX Oversize Count
export const E1000_RJC = 0x040b0; // RX Jabber Count
export const E1000_TORL = 0x040c0; // Total Octets RX Low
export const E1000_TORH = 0x040c4; // Total Octets RX High
export const E1000_TOTL = 0x040c8; // Total Octets TX Low
export const E1000_TOTH = 0x040cc; // Total Octets TX High
export const E1000_TPR = 0x040d0; // Total Packets RX
export const E1000_TPT = 0x040d4; // Total Packets TX
export const E1000_PTC64 = 0x040d8; // Packets TX (64 bytes)
export const E1000_PTC127 = 0x040dc; // Packets TX (65-127 bytes)
export const E1000_PTC255 = 0x040e0; // Packets TX (128-255 bytes)
export const E1000_PTC511 = 0x040e4; // Packets TX (256-511 bytes)
export const E1000_PTC1023 = 0x040e8; // Packets TX (512-1023 bytes)
export const E1000_PTC1522 = 0x040ec; // Packets TX (1024-1522 Bytes)
export const E1000_MPTC = 0x040f0; // Multicast Packets TX Count
export const E1000_BPTC = 0x040f4; // Broadcast Packets TX Count
export const E1000_TSCTC = 0x040f8; // TCP Segmentation Context TX
export const E1000_TSCTFC = 0x040fc; // TCP Segmentation Context TX Fail

/* Device Control (13.4.1). */
export const E1000_CTRL_FD = 0x00000001; // Full duplex
export const E1000_CTRL_ASDE = 0x00000020; // Auto-speed detect enable
export const E1000_CTRL_SLU = 0x00000040; // Set link up (force link)
export const E1000_CTRL_FRCSPD = 0x00000800; // Force speed
export const E1000_CTRL_FRCDPLX = 0x00001000; // Force duplex
export const E1000_CTRL_RST = 0x04000000; // Global reset
export const E1000_CTRL_VME = 0x40000000; // IEEE VLAN mode enable
export const E1000_CTRL_PHY_RST = 0x80000000; // PHY reset

/* Device Status (13.4.2). */
export const E1000_STATUS_FD = 0x00000001; // Full duplex
export const E1000_STATUS_LU = 0x00000002; // Link up
export const E1000_STATUS_SPEED_MASK = 0x000000c0;
export const E1000_STATUS_SPEED_10 = 0x00000000;
export const E1000_STATUS_SPEED_100 = 0x00000040;
export const E1000_STATUS_SPEED_1000 = 0x00000080;

/* EEPROM Read (13.4.4), 82540/82544/82545/82546 layout. */
export const E1000_EEPROM_RW_REG_START = 0x00000001;
export const E1000_EEPROM_RW_REG_DONE = 0x00000010;
export const E1000_EEPROM_RW_ADDR_SHIFT = 8;
export const E1000_EEPROM_RW_REG_DATA = 16;
export const EEPROM_CHECKSUM_REG = 0x003f;
export const EEPROM_SUM = 0xbaba;
export const EEPROM_WORD_SIZE = 64;

/* MDI Control (13.4.7). */
export const E1000_MDIC_REG_SHIFT = 16;
export const E1000_MDIC_PHY_SHIFT = 21;
export const E1000_MDIC_OP_WRITE = 0x04000000;
export const E1000_MDIC_OP_READ = 0x08000000;
export const E1000_MDIC_READY = 0x10000000;
export const E1000_MDIC_ERROR = 0x40000000;
export const E1000_PHY_ADDR = 1;
export const PHY_CTRL = 0x00; // BMCR
export const PHY_STATUS = 0x01; // BMSR
export const PHY_ID1 = 0x02;
export const PHY_ID2 = 0x03;
export const MII_CR_POWER_DOWN = 0x0800;
export const MII_CR_AUTO_NEG_EN = 0x1000;
export const MII_CR_RESTART_AUTO_NEG = 0x0200;
export const MII_CR_LOOPBACK = 0x4000;
export const MII_SR_LINK_STATUS = 0x0004;
export const M88E1011_I_PHY_ID = 0x01410c20;

/* Interrupt causes (13.4.17); the same bits in ICS, IMS and IMC. */
export const E1000_ICR_TXDW = 0x00000001; // Transmit desc written back
export const E1000_ICR_TXQE = 0x00000002; // Transmit Queue empty
export const E1000_ICR_LSC = 0x00000004; // Link Status Change
export const E1000_ICR_RXSEQ = 0x00000008; // RX sequence error
export const E1000_ICR_RXDMT0 = 0x00000010; // RX desc min. threshold (0)
export const E1000_ICR_RXO = 0x00000040; // RX overrun
export const E1000_ICR_RXT0 = 0x00000080; // RX timer intr (ring 0)
export const E1000_ICR_MDAC = 0x00000200; // MDIO access complete
/** What the driver enables (Linux's IMS_ENABLE_MASK). */
export const IMS_ENABLE_MASK = E1000_ICR_RXT0 | E1000_ICR_TXDW | E1000_ICR_RXDMT0 | E1000_ICR_RXSEQ | E1000_ICR_LSC | E1000_ICR_RXO;

/* Receive Control (13.4.22). */
export const E1000_RCTL_EN = 0x00000002; // enable
export const E1000_RCTL_SBP = 0x00000004; // store bad packet
export const E1000_RCTL_UPE = 0x00000008; // unicast promiscuous enable
export const E1000_RCTL_MPE = 0x00000010; // multicast promiscuous enable
export const E1000_RCTL_LPE = 0x00000020; // long packet enable
export const E1000_RCTL_LBM_NO = 0x00000000; // no loopback mode
export const E1000_RCTL_LBM_MAC = 0x00000040; // MAC loopback mode
export const E1000_RCTL_RDMTS_HALF = 0x00000000; // rx desc min threshold size
export const E1000_RCTL_MO_0 = 0x00000000; // multicast offset 47:36
export const E1000_RCTL_BAM = 0x00008000; // broadcast enable
export const E1000_RCTL_SZ_2048 = 0x00000000; // rx buffer size 2048
export const E1000_RCTL_SECRC = 0x04000000; // Strip Ethernet CRC

/* Transmit Control (13.4.33). */
export const E1000_TCTL_EN = 0x00000002; // enable tx
export const E1000_TCTL_PSP = 0x00000008; // pad short packets
export const E1000_TCTL_CT = 0x00000ff0; // collision threshold
export const E1000_TCTL_COLD = 0x003ff000; // collision distance
export const E1000_TCTL_RTLC = 0x01000000; // Re-transmit on late collision
export const E1000_CT_SHIFT = 4;
export const E1000_COLD_SHIFT = 12;
export const E1000_COLLISION_THRESHOLD = 15;
export const E1000_COLLISION_DISTANCE = 63;

/* TIPG for copper (13.4.34): IPGT 8, IPGR1 8, IPGR2 6 — Linux's values. */
export const DEFAULT_82543_TIPG_IPGT_COPPER = 8;
export const DEFAULT_82543_TIPG_IPGR1 = 8;
export const DEFAULT_82543_TIPG_IPGR2 = 6;
export const E1000_TIPG_IPGR1_SHIFT = 10;
export const E1000_TIPG_IPGR2_SHIFT = 20;

export const E1000_RAH_AV = 0x80000000; // Receive address valid

/*
 * Legacy transmit descriptor (3.3.3), 16 bytes little-endian:
 *   63            48 47   40 39   32 31   24 23   16 15             0
 *   +---------------------------------------------------------------+
 *   |                      Buffer address                           |  bytes 0-7
 *   +---------------+-------+-------+-------+-------+---------------+
 *   |    Special    |  CSS  |  STA  |  CMD  |  CSO  |    Length     |  bytes 8-15
 *   +---------------------------------------------------------------+
 */
export const E1000_TXD_ADDR = 0;
export const E1000_TXD_LENGTH = 8;
export const E1000_TXD_CSO = 10;
export const E1000_TXD_CMD = 11;
export const E1000_TXD_STATUS = 12;
export const E1000_TXD_CSS = 13;
export const E1000_TXD_SPECIAL = 14;
export const E1000_TXD_CMD_EOP = 0x01; // End of Packet
export const E1000_TXD_CMD_IFCS = 0x02; // Insert FCS (Ethernet CRC)
export const E1000_TXD_CMD_IC = 0x04; // Insert Checksum
export const E1000_TXD_CMD_RS = 0x08; // Report Status
export const E1000_TXD_CMD_DEXT = 0x20; // Descriptor extension (0 = legacy)
export const E1000_TXD_CMD_IDE = 0x80; // Enable Tidv register
export const E1000_TXD_STAT_DD = 0x01; // Descriptor Done

/*
 * Legacy receive descriptor (3.2.3), 16 bytes little-endian:
 *   +---------------------------------------------------------------+
 *   |                      Buffer address                           |  bytes 0-7
 *   +---------------+-------+-------+---------------+---------------+
 *   |    Special    | Errors| Status|   Checksum    |    Length     |  bytes 8-15
 *   +---------------------------------------------------------------+
 */
export const E1000_RXD_ADDR = 0;
export const E1000_RXD_LENGTH = 8;
export const E1000_RXD_CSUM = 10;
export const E1000_RXD_STATUS = 12;
export const E1000_RXD_ERRORS = 13;
export const E1000_RXD_SPECIAL = 14;
export const E1000_RXD_STAT_DD = 0x01; // Descriptor Done
export const E1000_RXD_STAT_EOP = 0x02; // End of Packet
export const E1000_RXD_ERR_CE = 0x01; // CRC Error
export const E1000_RXD_ERR_SE = 0x02; // Symbol Error
export const E1000_RXD_ERR_SEQ = 0x04; // Sequence Error
export const E1000_RXD_ERR_CXE = 0x10; // Carrier Extension Error
export const E1000_RXD_ERR_RXE = 0x80; // Rx Data Error
export const E1000_RXD_ERR_FRAME_ERR_MASK = E1000_RXD_ERR_CE | E1000_RXD_ERR_SE | E1000_RXD_ERR_SEQ | E1000_RXD_ERR_CXE | E1000_RXD_ERR_RXE;

/* Receive checksum offload (RXCSUM, 13.4.46) and the descriptor bits it drives (3.2.3.1/3.2.3.2). */
export const E1000_RXCSUM_PCSS_MASK = 0x000000ff; // Packet Checksum Start
export const E1000_RXCSUM_IPOFL = 0x00000100; // IPv4 checksum offload
export const E1000_RXCSUM_TUOFL = 0x00000200; // TCP / UDP checksum offload
export const E1000_RXD_STAT_IXSM = 0x04; // Ignore checksum
export const E1000_RXD_STAT_VP = 0x08; // IEEE VLAN Packet
export const E1000_RXD_STAT_UDPCS = 0x10; // UDP xsum calculated (later parts; bit 4 is reserved on the 8254x)
export const E1000_RXD_STAT_TCPCS = 0x20; // TCP (and on the 82544+ UDP) xsum calculated
export const E1000_RXD_STAT_IPCS = 0x40; // IP xsum calculated
export const E1000_RXD_ERR_TCPE = 0x20; // TCP/UDP Checksum Error
export const E1000_RXD_ERR_IPE = 0x40; // IP Checksum Error

/*
 * TCP/IP context transmit descriptor (3.3.6), 16 bytes little-endian:
 *   +-------+-------+---------------+-------+-------+---------------+
 *   | IPCSE (16)    | IPCSO | IPCSS |  ... bytes 0-3
 *   | TUCSE (16)    | TUCSO | TUCSS |  ... bytes 4-7
 *   | PAYLEN (20) + DTYP (4) | TUCMD |       bytes 8-11
 *   | MSS (16)      | HDRLEN| STA   |       bytes 12-15
 */
export const E1000_CTXD_IPCSS = 0;
export const E1000_CTXD_IPCSO = 1;
export const E1000_CTXD_IPCSE = 2;
export const E1000_CTXD_TUCSS = 4;
export const E1000_CTXD_TUCSO = 5;
export const E1000_CTXD_TUCSE = 6;
export const E1000_CTXD_CMD_LEN = 8; // 32 bits: PAYLEN 19:0, DTYP 23:20 (0 = context), TUCMD 31:24
export const E1000_CTXD_STATUS = 12;
export const E1000_CTXD_HDRLEN = 13;
export const E1000_CTXD_MSS = 14;
/*
 * TCP/IP data transmit descriptor (3.3.7): address, then a 32-bit word DTALEN 19:0, DTYP 23:20
 * (1 = data), DCMD 31:24; then STA (byte 12), POPTS (byte 13), special (bytes 14-15).
 */
export const E1000_TXD_LOWER = 8;
export const E1000_TXD_POPTS = 13;
/* The 32-bit command/length word of both extended descriptors (Linux's E1000_TXD_* of lower.data). */
export const E1000_TXD_DTYP_D = 0x00100000; // Data Descriptor
export const E1000_TXD_DTYP_C = 0x00000000; // Context Descriptor
export const E1000_TXD_CMD_EOP_L = 0x01000000; // End of Packet
export const E1000_TXD_CMD_IFCS_L = 0x02000000; // Insert FCS
export const E1000_TXD_CMD_RS_L = 0x08000000; // Report Status
export const E1000_TXD_CMD_DEXT_L = 0x20000000; // Descriptor extension (0 = legacy)
export const E1000_TXD_CMD_IDE_L = 0x80000000; // Enable Tidv register
export const E1000_TXD_CMD_TCP = 0x01000000; // TUCMD: TCP packet (else UDP)
export const E1000_TXD_CMD_IP = 0x02000000; // TUCMD: IP packet (IPv4)
export const E1000_TXD_CMD_TSE = 0x04000000; // TUCMD / DCMD: TCP Segmentation Enable
export const E1000_TXD_POPTS_IXSM = 0x01; // Insert IP checksum
export const E1000_TXD_POPTS_TXSM = 0x02; // Insert TCP/UDP checksum
/** Largest data buffer one descriptor may carry (E1000_MAX_DATA_PER_TXD). */
export const E1000_MAX_DATA_PER_TXD = 1 << 12;

export const E1000_DESC_SIZE = 16;

/* Ring sizes (e1000_param.c): defaults, bounds, and the multiple-of-8 rule (RDLEN/TDLEN are in 128-byte units). */
export const E1000_DEFAULT_RXD = 256;
export const E1000_DEFAULT_TXD = 256;
export const E1000_MIN_RXD = 48;
export const E1000_MIN_TXD = 48;
export const E1000_MAX_RXD = 4096;
export const E1000_MAX_TXD = 4096;
export const REQ_RX_DESCRIPTOR_MULTIPLE = 8;
export const REQ_TX_DESCRIPTOR_MULTIPLE = 8;

/** Refill the receive ring in batches of this many (E1000_RX_BUFFER_WRITE). */
export const E1000_RX_BUFFER_WRITE = 16;
/**
 * Wake a stopped transmit queue once this many descriptors are free: TX_WAKE_THRESHOLD, which
 * e1000_main.c's e1000_clean_tx_irq defines as 32 (e1000.h's E1000_TX_QUEUE_WAKE, 16, is unused).
 */
export const TX_WAKE_THRESHOLD = 32;

/* PCI device IDs (e1000_hw.h). */
export const E1000_DEV_ID_82540EM = 0x100e;
export const E1000_DEV_ID_82545EM_COPPER = 0x100f;
export const E1000_DEV_ID_82544GC_COPPER = 0x100c;

/** E1000_DESC_UNUSED: free slots, keeping one empty so that head == tail means "empty". */
export function e1000_desc_unused(count: number, next_to_use: number, next_to_clean: number): number {
  return (next_to_clean > next_to_use ? 0 : count) + next_to_clean - next_to_use - 1;
}

/*
 * PCI Status error bits (PCI Local Bus 3.0 §6.2.3; Linux's pci_regs.h), all write-1-to-clear.
 * They belong in include/kernel/pci.ts; kept here until that header carries them.
 */
export const PCI_STATUS_SIG_TARGET_ABORT = 0x0800; // Set on target abort
export const PCI_STATUS_REC_TARGET_ABORT = 0x1000; // Master ack of target abort
export const PCI_STATUS_REC_MASTER_ABORT = 0x2000; // Set on master abort
export const PCI_STATUS_SIG_SYSTEM_ERROR = 0x4000; // Set when we drive SERR
export const PCI_STATUS_DETECTED_PARITY = 0x8000; // Set on parity error
