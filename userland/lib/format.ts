/**
 * C's printf conversions, exactly as glibc prints them (printf, seq): integers of 64 bits
 * (d i o u x X), floating point (f F e E g G, correctly rounded to nearest-even from the double's
 * exact binary value, as glibc does), characters and strings (c s), with the flags "-+ #0", a
 * field width and a precision.
 */

export interface ConvSpec {
  /** Any of "-+ #0". */
  readonly flags: string;
  /** Field width (a negative one means "-" and its absolute value, as C's "*"). */
  readonly width: number | null;
  /** Precision; null when not given (a negative "*" precision counts as not given). */
  readonly prec: number | null;
  /** The conversion character. */
  readonly conv: string;
}

const U64 = (1n << 64n) - 1n;

/** Pad `body` (after its sign/prefix `lead`) to the field width. `zero`: pad with zeros after the lead. */
function pad(spec: ConvSpec, lead: string, body: string, zero: boolean): string {
  let width = spec.width ?? 0;
  let left = spec.flags.includes("-");
  if (width < 0) {
    left = true;
    width = -width;
  }
  const len = lead.length + body.length;
  if (len >= width) return lead + body;
  if (left) return lead + body + " ".repeat(width - len);
  if (zero) return lead + "0".repeat(width - len) + body;
  return " ".repeat(width - len) + lead + body;
}

/** %d %i (signed) and %o %u %x %X (the value taken modulo 2^64). */
export function format_integer(v: bigint, spec: ConvSpec): string {
  const c = spec.conv;
  const signed = c === "d" || c === "i";
  let lead = "";
  let mag: bigint;
  if (signed) {
    if (v < 0n) {
      lead = "-";
      mag = -v;
    } else {
      mag = v;
      if (spec.flags.includes("+")) lead = "+";
      else if (spec.flags.includes(" ")) lead = " ";
    }
  } else mag = v & U64;
  const base = c === "o" ? 8 : c === "x" || c === "X" ? 16 : 10;
  let digits = mag.toString(base);
  if (c === "X") digits = digits.toUpperCase();
  const prec = spec.prec !== null && spec.prec >= 0 ? spec.prec : null;
  if (prec !== null) {
    if (prec === 0 && mag === 0n) digits = "";
    if (digits.length < prec) digits = "0".repeat(prec - digits.length) + digits;
  }
  if (spec.flags.includes("#")) {
    if (c === "o" && !digits.startsWith("0")) digits = `0${digits}`;
    if ((c === "x" || c === "X") && mag !== 0n) lead = c === "x" ? "0x" : "0X";
  }
  return pad(spec, lead, digits, spec.flags.includes("0") && prec === null && !spec.flags.includes("-"));
}

/* ---- Exact decimal conversion of doubles ---- */

/** |v| as mant × 2^exp with mant a non-negative integer. */
function decompose(v: number): { mant: bigint; exp: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(v));
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const e = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (e === 0) return { mant, exp: -1074 };
  mant |= 1n << 52n;
  return { mant, exp: e - 1075 };
}

/** round-half-even(|v| × 10^p) as an integer, exactly. */
function scaled(v: number, p: number): bigint {
  const { mant, exp } = decompose(v);
  let num = mant;
  let den = 1n;
  if (exp >= 0) num <<= BigInt(exp);
  else den <<= BigInt(-exp);
  if (p >= 0) num *= 10n ** BigInt(p);
  else den *= 10n ** BigInt(-p);
  const q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/** Digits of |v| with `prec` after the point (%f's body). */
function fixed_digits(v: number, prec: number, alt: boolean): string {
  const s = scaled(v, prec).toString().padStart(prec + 1, "0");
  const int = s.slice(0, s.length - prec);
  const frac = s.slice(s.length - prec);
  return prec > 0 ? `${int}.${frac}` : alt ? `${int}.` : int;
}

/** |v| as d.ddd (prec digits after the point) and its decimal exponent (%e's parts). */
function exp_parts(v: number, prec: number): { digits: string; e10: number } {
  if (v === 0) return { digits: "0".repeat(prec + 1), e10: 0 };
  let e10 = Math.floor(Math.log10(Math.abs(v)));
  for (;;) {
    const d = scaled(v, prec - e10).toString();
    if (d.length > prec + 1) {
      e10++; // the estimate was low, or rounding carried into a new digit
      continue;
    }
    if (d.length < prec + 1) {
      e10--;
      continue;
    }
    return { digits: d, e10 };
  }
}

function exp_body(digits: string, e10: number, alt: boolean, upper: boolean): string {
  const mant = digits.length > 1 || alt ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = `${upper ? "E" : "e"}${e10 < 0 ? "-" : "+"}${String(Math.abs(e10)).padStart(2, "0")}`;
  return mant + e;
}

/** %f %F %e %E %g %G. */
export function format_double(v: number, spec: ConvSpec): string {
  const c = spec.conv;
  const upper = c === "F" || c === "E" || c === "G";
  const alt = spec.flags.includes("#");
  const neg = v < 0 || Object.is(v, -0);
  const lead = neg ? "-" : spec.flags.includes("+") ? "+" : spec.flags.includes(" ") ? " " : "";
  if (!Number.isFinite(v)) {
    const t = Number.isNaN(v) ? "nan" : "inf";
    return pad(spec, Number.isNaN(v) ? lead.replace("-", "") : lead, upper ? t.toUpperCase() : t, false);
  }
  const prec = spec.prec !== null && spec.prec >= 0 ? spec.prec : 6;
  let body: string;
  if (c === "f" || c === "F") body = fixed_digits(v, prec, alt);
  else if (c === "e" || c === "E") {
    const { digits, e10 } = exp_parts(v, prec);
    body = exp_body(digits, e10, alt, upper);
  } else {
    const P = prec === 0 ? 1 : prec;
    const { digits, e10 } = exp_parts(v, P - 1);
    if (P > e10 && e10 >= -4) body = fixed_digits(v, P - 1 - e10, alt);
    else body = exp_body(digits, e10, alt, upper);
    if (!alt) {
      // Drop trailing zeros of the fraction, and then a bare point.
      const k = body.search(/[eE]/);
      let m = k < 0 ? body : body.slice(0, k);
      if (m.includes(".")) m = m.replace(/0+$/, "").replace(/\.$/, "");
      body = m + (k < 0 ? "" : body.slice(k));
    }
  }
  return pad(spec, lead, body, spec.flags.includes("0") && !spec.flags.includes("-"));
}

/** %s (precision: at most that many bytes) and %c (its first byte), over byte strings. */
export function format_string(s: string, spec: ConvSpec): string {
  let body = s;
  if (spec.conv === "c") body = s.length > 0 ? s[0]! : "\0";
  else if (spec.prec !== null && spec.prec >= 0) body = s.slice(0, spec.prec);
  return pad(spec, "", body, false);
}

/**
 * strtod() of a whole string (leading white space allowed, nothing after the number): decimal,
 * C99 hex ("0x1.8p3"), inf/infinity, nan; null when it is not all a number.
 */
export function strtod(s: string): number | null {
  const t = s.replace(/^[ \t\n\v\f\r]+/, "");
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  const m = /^([-+]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([-+]?\d+))?$/.exec(t);
  if (m !== null && m[2]! + m[3]! !== "") {
    const v = Number.parseInt(m[2]! + m[3]!, 16) * 2 ** (Number(m[4] ?? 0) - 4 * m[3]!.length);
    return m[1] === "-" ? -v : v;
  }
  if (/^[-+]?inf(inity)?$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^[-+]?nan$/i.test(t)) return NaN;
  return null;
}
