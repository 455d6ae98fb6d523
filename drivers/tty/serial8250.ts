/**
 * The 8250/16550 UART driver for the console port (drivers/tty/serial/8250): enable the receive
 * interrupt, and in the handler drain every byte the UART holds into the tty. Built in, started by
 * an initcall (it is the console, so it cannot be a module).
 */
import { EBUSY } from "../../include/linux/errno.ts";
import { IRQ_HANDLED, IRQ_NONE } from "../../include/linux/interrupt.ts";
import { inb, outb } from "../../kernel/io.ts";
import { request_irq } from "../../kernel/irq/manage.ts";
import { pr_info } from "../../kernel/printk.ts";
import { release_region, request_region } from "../../kernel/resource.ts";
import { tty_receive_char, tty_rx_overruns, tty_throttle_rx, tty_tx_bytes } from "../../kernel/tty.ts";
import { proc_create } from "../../kernel/fs/proc.ts";

/* Register offsets and bits (include/uapi/linux/serial_reg.h). */
const UART_RX = 0;
const UART_IER = 1;
const UART_IER_RDI = 0x01;
const UART_FCR = 2;
const UART_LCR = 3;
const UART_LCR_WLEN8 = 0x03;
const UART_MCR = 4;
const UART_MCR_DTR = 0x01;
const UART_MCR_RTS = 0x02;
const UART_MCR_OUT2 = 0x08;
const UART_LSR = 5;
const UART_LSR_DR = 0x01;

/** The legacy COM1 resources (a PC's serial port is not enumerable: these are fixed). */
export const SERIAL8250_PORT = 0x3f8;
export const SERIAL8250_IRQ = 4;

interface Uart8250 {
  readonly iobase: number;
  rx: number;
}

/** Hard IRQ: move every received byte to the tty. Bounded so a stuck LSR cannot hang us. */
function serial8250_interrupt(_irq: number, dev_id: unknown): typeof IRQ_HANDLED | typeof IRQ_NONE {
  const up = dev_id as Uart8250;
  let n = 0;
  while (n < 4096 && (inb(up.iobase + UART_LSR) & UART_LSR_DR) !== 0) {
    if (tty_throttle_rx(() => outb(UART_IER_RDI, up.iobase + UART_IER))) {
      // The tty is full: the rest stays in the UART, its interrupt off until the tty has room.
      outb(0, up.iobase + UART_IER);
      break;
    }
    tty_receive_char(inb(up.iobase + UART_RX));
    n++;
  }
  up.rx += n;
  if (n === 4096 && (inb(up.iobase + UART_LSR) & UART_LSR_DR) !== 0) {
    // Too much work for one interrupt, and more is waiting. The ISA line is edge-triggered and the
    // UART's INTR output stays high while data is available, so no new edge would ever come:
    // drop INTR by clearing IER and raise it again, so the rest arrives with the next interrupt.
    outb(0, up.iobase + UART_IER);
    outb(UART_IER_RDI, up.iobase + UART_IER);
  }
  return n > 0 ? IRQ_HANDLED : IRQ_NONE;
}

/** The UART's register block: 8 ports from the base. */
const UART_REGION_SIZE = 8;

/**
 * Initcall: claim the ports (serial8250_request_std_resource: request_region under "serial", which
 * /proc/ioports shows as "03f8-03ff : serial"), program the UART (8N1, FIFO on, RX interrupt,
 * OUT2) and take its IRQ. -EBUSY when someone holds the ports.
 */
export function serial8250_init(): number {
  const up: Uart8250 = { iobase: SERIAL8250_PORT, rx: 0 };
  if (request_region(up.iobase, UART_REGION_SIZE, "serial") === null) return -EBUSY;
  outb(UART_LCR_WLEN8, up.iobase + UART_LCR);
  outb(0x01, up.iobase + UART_FCR);
  const err = request_irq(SERIAL8250_IRQ, serial8250_interrupt, 0, "ttyS0", up);
  if (err) {
    release_region(up.iobase, UART_REGION_SIZE);
    return err;
  }
  outb(UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2, up.iobase + UART_MCR);
  outb(UART_IER_RDI, up.iobase + UART_IER);
  // Bytes that arrived before the interrupt was enabled.
  serial8250_interrupt(SERIAL8250_IRQ, up);
  pr_info("serial8250: ttyS0 at I/O 0x%x (irq = %d) is a 16550A\n", up.iobase, SERIAL8250_IRQ);
  // serial_core's uart_proc_show: the port's byte counters, and the bytes lost to overruns (oe,
  // shown only when non-zero) — where a guest sees console input that was dropped.
  proc_create("tty/driver/serial", () => {
    const oe = tty_rx_overruns();
    return `serinfo:1.0 driver revision:\n0: uart:16550A port:${up.iobase.toString(16).toUpperCase().padStart(8, "0")} irq:${SERIAL8250_IRQ} tx:${tty_tx_bytes()} rx:${up.rx}${oe > 0 ? ` oe:${oe}` : ""} RTS|DTR\n`;
  });
  return 0;
}
