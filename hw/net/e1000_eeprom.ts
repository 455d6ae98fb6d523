import type { E1000 } from "./e1000.ts";
import {
  EECD_CS,
  EECD_DI,
  EECD_DO,
  EECD_FWE_MASK,
  EECD_GNT,
  EECD_PRES,
  EECD_REQ,
  EECD_SK,
  EEPROM_SUM,
  EEPROM_WORDS,
  EERD_ADDR_SHIFT,
  EERD_DATA_SHIFT,
  EERD_DONE,
  EERD_START,
  REG,
} from "./e1000_regs.ts";

/**
 * The 82540EM's serial EEPROM: 64 16-bit words (a 93C46-class Microwire part), reachable two ways:
 * EERD (one register write starts a read of a word; SDM 13.4.4) and EECD bit-banging (SDM 5.3,
 * the path Linux's e1000 uses on the 82540).
 *
 * Contents follow QEMU's image (hw/net/e1000.c) so that drivers see what they see under QEMU:
 * words 0-2 the MAC (little-endian byte pairs), PBA, init control words, subsystem and device IDs,
 * and word 0x3F chosen so that the 16-bit sum of all 64 words is 0xBABA (SDM 5.6.1).
 */
const TEMPLATE: Readonly<Record<number, number>> = {
  0x03: 0x0000, 0x04: 0xffff, 0x05: 0x0000, 0x06: 0x0000, 0x07: 0x0000,
  0x08: 0x3000, 0x09: 0x1000, 0x0a: 0x6403, 0x0b: 0x100e, 0x0c: 0x8086, 0x0d: 0x100e, 0x0e: 0x8086, 0x0f: 0x3040,
  0x10: 0x0008, 0x11: 0x2000, 0x12: 0x7e14, 0x13: 0x0048, 0x14: 0x1000, 0x15: 0x00d8, 0x16: 0x0000, 0x17: 0x2700,
  0x18: 0x6cc9, 0x19: 0x3150, 0x1a: 0x0722, 0x1b: 0x040b, 0x1c: 0x0984, 0x1d: 0x0000, 0x1e: 0xc000, 0x1f: 0x0706,
  0x20: 0x1008, 0x21: 0x0000, 0x22: 0x0f04, 0x23: 0x7fff, 0x24: 0x4d01,
  0x30: 0x0100, 0x31: 0x4000, 0x32: 0x121c,
};

/** Build the EEPROM image for `mac` and PCI device ID `device_id`, with a valid checksum. */
export function build_eeprom(mac: Uint8Array, device_id: number): Uint16Array {
  const w = new Uint16Array(EEPROM_WORDS).fill(0xffff);
  for (const [k, v] of Object.entries(TEMPLATE)) w[Number(k)] = v;
  for (let i = 0; i < 3; i++) w[i] = mac[2 * i]! | (mac[2 * i + 1]! << 8);
  w[0x0b] = device_id;
  w[0x0d] = device_id;
  let sum = 0;
  for (let i = 0; i < EEPROM_WORDS - 1; i++) sum = (sum + w[i]!) & 0xffff;
  w[EEPROM_WORDS - 1] = (EEPROM_SUM - sum) & 0xffff;
  return w;
}

/** Microwire READ opcode with its start bit: 1 1 0. */
const MICROWIRE_READ = 0b110;

/**
 * EECD bit-bang state (SDM 5.3.1): with CS high, the host clocks in a start bit, a 2-bit opcode
 * and a 6-bit address on rising SK edges (DI), then clocks 16 data bits out, MSB first, one per
 * falling edge (DO); reading continues into the following words.
 */
export class EepromMicrowire {
  private readonly words: Uint16Array;
  /** Last value written to EECD's host-controlled bits. */
  private last = 0;
  private bits_in = 0;
  private value_in = 0;
  /** Bit position in the EEPROM being shifted out (word * 16 + bit), -1 before the first. */
  private bit_out = 0;
  private reading = false;

  constructor(words: Uint16Array) {
    this.words = words;
  }

  reset(): void {
    this.last = 0;
    this.bits_in = this.value_in = this.bit_out = 0;
    this.reading = false;
  }

  write(val: number): void {
    const old = this.last;
    this.last = val & (EECD_SK | EECD_CS | EECD_DI | EECD_FWE_MASK | EECD_REQ);
    if ((val & EECD_CS) === 0) return;
    if (((val ^ old) & EECD_CS) !== 0) {
      // Chip select rising: a new command starts.
      this.bits_in = this.value_in = this.bit_out = 0;
      this.reading = false;
    }
    if (((val ^ old) & EECD_SK) === 0) return;
    if ((val & EECD_SK) === 0) {
      this.bit_out++; // falling edge: next output bit
      return;
    }
    this.value_in = (this.value_in << 1) | ((val & EECD_DI) !== 0 ? 1 : 0);
    if (++this.bits_in === 9 && !this.reading) {
      this.reading = ((this.value_in >> 6) & 0b111) === MICROWIRE_READ;
      this.bit_out = (this.value_in & 0x3f) * 16 - 1;
    }
  }

  /** EECD as read back: present, access granted, the host's bits, and DO. */
  read(): number {
    let v = EECD_PRES | EECD_GNT | this.last;
    const pos = this.bit_out;
    const bit = pos < 0 ? 1 : (this.words[(pos >> 4) & 0x3f]! >> (15 - (pos & 15))) & 1;
    if (!this.reading || bit === 1) v |= EECD_DO;
    return v;
  }
}

/**
 * EERD write (QEMU: flash_eerd_read): START with an address reads that word at once, DONE set
 * (SDM 13.4.4, 82540 layout); an address past the EEPROM reads 0.
 */
export function e1000_set_eerd(s: E1000, val: number): void {
  if ((val & EERD_START) === 0) {
    s.regs[REG.EERD >> 2] = val & ~EERD_DONE;
    return;
  }
  const addr = (val >>> EERD_ADDR_SHIFT) & 0xff;
  const data = addr < EEPROM_WORDS ? s.eeprom[addr]! : 0;
  if (s.trace_on("eeprom")) s.trace("eeprom", `EERD word 0x${addr.toString(16)} = 0x${data.toString(16).padStart(4, "0")}`);
  s.regs[REG.EERD >> 2] = ((data << EERD_DATA_SHIFT) | (addr << EERD_ADDR_SHIFT) | EERD_DONE) >>> 0;
}
