/**
 * vsnprintf() for kernel messages (Linux's lib/vsprintf.c, reduced; here under kernel/ because
 * ringzero's lib/ holds only code free of kernel headers): the conversions kernel code uses —
 * %d %i %u %x %X %o %c %s %% with flags (- 0 + space #), width and precision (also `*`), length
 * modifiers (h hh l ll z t) accepted and ignored (numbers are JavaScript numbers or bigints), and
 * the pointer extensions messages use: %pM / %pMR (a MAC address, six bytes), %pI4 (an IPv4
 * address, four bytes or a host-order number), %pe (an errno as its name, e.g. -ENOMEM, as Linux prints it).
 * A conversion with no argument left prints as Linux's "(null)" would not: it prints the
 * directive itself, so a broken format is visible rather than thrown.
 */
import { errname } from "../include/linux/errno.ts";

type Arg = unknown;

function pad(s: string, width: number, left: boolean, zero: boolean): string {
  if (s.length >= width) return s;
  if (left) return s + " ".repeat(width - s.length);
  if (zero) {
    const sign = s[0] === "-" || s[0] === "+" || s[0] === " " ? s[0] : "";
    const prefix = /^[-+ ]?0[xX]/.test(s) ? sign + s.slice(sign.length, sign.length + 2) : sign;
    return prefix + "0".repeat(width - s.length) + s.slice(prefix.length);
  }
  return " ".repeat(width - s.length) + s;
}

function integer(v: Arg): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isFinite(v)) return BigInt(Math.trunc(v));
  if (typeof v === "boolean") return v ? 1n : 0n;
  return 0n;
}

function hex2(b: number): string {
  return (b & 0xff).toString(16).padStart(2, "0");
}

function bytes_of(v: Arg): ArrayLike<number> | null {
  if (v instanceof Uint8Array || Array.isArray(v)) return v as ArrayLike<number>;
  return null;
}

/** %p extensions: the extension letters consumed and the text. */
function pointer(fmt: string, i: number, v: Arg): [number, string] {
  const ext = fmt.slice(i);
  if (ext.startsWith("MR") || ext.startsWith("M")) {
    const b = bytes_of(v);
    const n = ext.startsWith("MR") ? 2 : 1;
    if (b === null || b.length < 6) return [n, "(null)"];
    const order = n === 2 ? [5, 4, 3, 2, 1, 0] : [0, 1, 2, 3, 4, 5];
    return [n, order.map((k) => hex2(b[k]!)).join(":")];
  }
  if (ext.startsWith("I4")) {
    const b = bytes_of(v);
    if (b !== null && b.length >= 4) return [2, `${b[0]}.${b[1]}.${b[2]}.${b[3]}`];
    const x = Number(v) >>> 0;
    return [2, `${x >>> 24}.${(x >>> 16) & 0xff}.${(x >>> 8) & 0xff}.${x & 0xff}`];
  }
  if (ext.startsWith("e")) {
    const n = Number(v);
    const name = Number.isInteger(n) && n < 0 ? errname(-n) : undefined;
    return [1, name !== undefined ? `-${name}` : String(n)];
  }
  return [0, typeof v === "object" && v !== null ? `[${v.constructor.name}]` : String(v)];
}

/** Format `fmt` with `args` as the kernel's vsnprintf would. */
export function vsprintf(fmt: string, args: readonly Arg[]): string {
  let out = "";
  let a = 0;
  let i = 0;
  while (i < fmt.length) {
    const pct = fmt.indexOf("%", i);
    if (pct < 0) {
      out += fmt.slice(i);
      break;
    }
    out += fmt.slice(i, pct);
    const start = pct;
    i = pct + 1;
    if (fmt[i] === "%") {
      out += "%";
      i++;
      continue;
    }
    let left = false;
    let zero = false;
    let plus = false;
    let space = false;
    let alt = false;
    for (;;) {
      const c = fmt[i];
      if (c === "-") left = true;
      else if (c === "0") zero = true;
      else if (c === "+") plus = true;
      else if (c === " ") space = true;
      else if (c === "#") alt = true;
      else break;
      i++;
    }
    let width = 0;
    if (fmt[i] === "*") {
      width = Number(args[a++] ?? 0);
      if (width < 0) {
        left = true;
        width = -width;
      }
      i++;
    } else while (fmt[i] !== undefined && fmt[i]! >= "0" && fmt[i]! <= "9") width = width * 10 + Number(fmt[i++]);
    let precision = -1;
    if (fmt[i] === ".") {
      i++;
      precision = 0;
      if (fmt[i] === "*") {
        precision = Number(args[a++] ?? 0);
        i++;
      } else while (fmt[i] !== undefined && fmt[i]! >= "0" && fmt[i]! <= "9") precision = precision * 10 + Number(fmt[i++]);
    }
    while (fmt[i] === "h" || fmt[i] === "l" || fmt[i] === "z" || fmt[i] === "t" || fmt[i] === "L") i++;
    const conv = fmt[i++];
    if (conv === undefined || a >= args.length) {
      out += fmt.slice(start, i);
      continue;
    }
    const v = args[a++];
    let s: string;
    switch (conv) {
      case "d":
      case "i": {
        const n = integer(v);
        s = (n < 0n ? "-" : plus ? "+" : space ? " " : "") + (n < 0n ? -n : n).toString();
        break;
      }
      case "u":
        s = BigInt.asUintN(64, integer(v)).toString();
        break;
      case "x":
      case "X": {
        const n = integer(v);
        const bits = n < 0n ? (n >= -(1n << 31n) ? 32 : 64) : 64;
        s = BigInt.asUintN(bits, n).toString(16);
        if (precision >= 0) s = s.padStart(precision, "0");
        if (alt && n !== 0n) s = "0x" + s;
        if (conv === "X") s = s.toUpperCase();
        break;
      }
      case "o":
        s = BigInt.asUintN(64, integer(v)).toString(8);
        if (alt) s = "0" + s;
        break;
      case "c":
        s = typeof v === "number" ? String.fromCharCode(v & 0xff) : String(v).slice(0, 1);
        break;
      case "s":
        s = v === null || v === undefined ? "(null)" : String(v);
        if (precision >= 0) s = s.slice(0, precision);
        break;
      case "p": {
        const [used, text] = pointer(fmt, i, v);
        i += used;
        s = text;
        break;
      }
      default:
        // Not a conversion the kernel knows: print the directive, keep the argument for the next.
        a--;
        out += fmt.slice(start, i);
        continue;
    }
    out += pad(s, width, left, zero && !left && conv !== "s" && conv !== "c");
  }
  return out;
}
