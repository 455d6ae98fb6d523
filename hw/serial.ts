import type { MemoryRegionOps } from "./address_space.ts";
import type { IrqPin } from "./ioapic.ts";

/**
 * The console UART at I/O port 0x3F8, IRQ 4: the receive half of a 16550A (National Semiconductor
 * PC16550D datasheet): RBR/THR, IER, IIR, LCR, MCR, LSR, MSR, SCR. Bytes typed on the host
 * terminal arrive through `receive()`; the interrupt (edge, gated by MCR.OUT2 as on PCs) fires when
 * received data becomes available with IER.ERBFI set. Transmitted bytes go to `output`.
 */
export const UART_COM1_BASE = 0x3f8;
export const UART_COM1_GSI = 4;

/** Text from the host terminal goes in as UTF-8. */
const UTF8 = new TextEncoder();

const UART_RX = 0; // RBR (read), THR (write)
const UART_IER = 1;
const UART_IIR = 2;
const UART_LCR = 3;
const UART_MCR = 4;
const UART_LSR = 5;
const UART_MSR = 6;
const UART_SCR = 7;
const UART_IER_RDI = 0x01;
const UART_IIR_NO_INT = 0x01;
const UART_IIR_RDI = 0x04;
const UART_LSR_DR = 0x01;
const UART_LSR_THRE = 0x20;
const UART_LSR_TEMT = 0x40;
const UART_MCR_OUT2 = 0x08;

export class Uart16550 implements MemoryRegionOps {
  private readonly pin: IrqPin;
  private readonly output: (text: string) => void;
  private readonly rx: number[] = [];
  private rx_head = 0;
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  /** Bytes received from the host and not yet read by the guest. */
  get rx_pending(): number {
    return this.rx.length - this.rx_head;
  }

  constructor(pin: IrqPin, output: (text: string) => void) {
    this.pin = pin;
    this.output = output;
  }

  /** Bytes from the host terminal. */
  receive(bytes: Uint8Array | string): void {
    const was = this.irq_condition();
    if (typeof bytes === "string") for (const b of UTF8.encode(bytes)) this.rx.push(b);
    else for (const b of bytes) this.rx.push(b);
    if (!was) this.update_irq();
  }

  private irq_condition(): boolean {
    return (this.ier & UART_IER_RDI) !== 0 && (this.mcr & UART_MCR_OUT2) !== 0 && this.rx_pending > 0;
  }

  /** Edge-triggered ISA line: a rising edge each time the condition becomes true. */
  private update_irq(): void {
    this.pin.set(this.irq_condition());
  }

  read(off: number, _width: number): number {
    switch (off) {
      case UART_RX: {
        if (this.lcr & 0x80) return 0x01; // DLL: divisor 1 (115200 baud)
        if (this.rx_pending === 0) return 0;
        const b = this.rx[this.rx_head++]!;
        if (this.rx_head > 4096 && this.rx_head * 2 > this.rx.length) {
          this.rx.splice(0, this.rx_head);
          this.rx_head = 0;
        }
        this.update_irq();
        return b;
      }
      case UART_IER:
        return this.lcr & 0x80 ? 0 : this.ier;
      case UART_IIR:
        return 0xc0 | (this.irq_condition() ? UART_IIR_RDI : UART_IIR_NO_INT);
      case UART_LCR:
        return this.lcr;
      case UART_MCR:
        return this.mcr;
      case UART_LSR:
        return UART_LSR_THRE | UART_LSR_TEMT | (this.rx_pending > 0 ? UART_LSR_DR : 0);
      case UART_MSR:
        return 0xb0; // CTS, DSR, DCD asserted
      case UART_SCR:
        return this.scr;
      default:
        return 0xff;
    }
  }

  write(off: number, _width: number, value: number): void {
    const v = value & 0xff;
    switch (off) {
      case UART_RX:
        if (!(this.lcr & 0x80)) this.output(String.fromCharCode(v));
        break;
      case UART_IER:
        if (!(this.lcr & 0x80)) this.ier = v & 0x0f;
        break;
      case UART_LCR:
        this.lcr = v;
        break;
      case UART_MCR:
        this.mcr = v & 0x1f;
        break;
      case UART_SCR:
        this.scr = v;
        break;
    }
    this.pin.set(false);
    this.update_irq();
  }
}
