import type { Syscalls } from "../../include/uapi/syscalls.ts";
import type { Command } from "../lib/command.ts";
import { process_escape_sequence } from "../lib/escape.ts";
import { format_double, format_integer, format_string, strtod, type ConvSpec } from "../lib/format.ts";
import { BufWriter, bstr_to_utf8, show_usage, utf8_to_bstr } from "../lib/stdio.ts";

/**
 * printf FORMAT [ARG]... (busybox coreutils/printf.c): C's printf over the arguments, the FORMAT
 * used again while arguments remain. Conversions diouxX (64-bit), feEgG (double), c, s, %b (the
 * argument's backslash escapes, \c stops all output) and %%; flags "-+ #0", widths and precisions
 * (also "*"); l/L/h/z size letters are ignored. Backslash escapes in FORMAT as echo -e's. A
 * numeric argument may be 0x hex, 0 octal, or 'C / "C for C's code. A bad number prints
 * "printf: invalid number 'x'", counts as 0 and makes the exit status 1; a bad directive prints
 * "printf: %…: invalid format" and stops.
 */
const USAGE = "Usage: printf FORMAT [ARG]...\n\nFormat and print ARG(s) according to FORMAT (a-la C printf)\n";

interface State {
  readonly sys: Syscalls;
  readonly out: BufWriter;
  conv_err: boolean;
}

/** bb_strtoll / bb_strtoull with base 0: a whole-string number, or null. */
function strtoll(s: string): bigint | null {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (m === null) return null;
  const t = m[2]!;
  const mag = /^0[xX]/.test(t) ? BigInt(t) : t.length > 1 && t.startsWith("0") ? BigInt(`0o${t.slice(1)}`) : BigInt(t);
  return m[1] === "-" ? -mag : mag;
}

/** multiconvert() for integers: 'C and "C give C's code; else the number (0 and a message if bad). */
function arg_integer(st: State, arg: string, unsigned: boolean): bigint {
  let a = arg.replace(/^[ \t\n\v\f\r]+/, "");
  if (a.startsWith("'") || a.startsWith('"')) a = String(a.length > 1 ? a.charCodeAt(1) : 0);
  const body = a.startsWith("+") ? a.slice(1) : a;
  // bb_strtoull refuses a sign; busybox then takes the signed value (printf %x -2 is fffffffffffffffe).
  const v = /^[-0-9a-zA-Z]/.test(body) ? strtoll(body) : null;
  const limit = unsigned && !body.startsWith("-") ? 1n << 64n : 1n << 63n;
  if (v === null || v >= limit || v < -(1n << 63n)) {
    st.sys.write(2, `printf: invalid number '${bstr_to_utf8(a)}'\n`);
    st.conv_err = true;
    return 0n;
  }
  return v;
}

/** strtod() of the whole argument (leading space allowed), else 0 and a message. */
function arg_double(st: State, arg: string): number {
  let a = arg;
  if (a.startsWith("'") || a.startsWith('"')) a = String(a.length > 1 ? a.charCodeAt(1) : 0);
  const v = strtod(a);
  // strtod's ERANGE (a result too large, or too small to be normal) is reported, the value kept.
  const t = a.trim();
  const erange = v !== null && ((!Number.isFinite(v) && !/inf|nan/i.test(t)) || (v !== 0 && Math.abs(v) < 2.2250738585072014e-308) || (v === 0 && /^[-+]?0*[.]?0*[1-9]/.test(t.replace(/^[-+]?0[xX]/, ""))));
  if (v === null || erange) {
    st.sys.write(2, `printf: invalid number '${bstr_to_utf8(a)}'\n`);
    st.conv_err = true;
  }
  return v ?? 0;
}

/** get_width_prec(): a "*" argument, decimal, possibly negative; a bad one is 0 (and, as busybox, no error status). */
function width_arg(st: State, arg: string): number {
  if (/^-?\d+$/.test(arg) && Math.abs(Number(arg)) <= 0x7fffffff) return Number(arg);
  st.sys.write(2, `printf: invalid number '${bstr_to_utf8(arg)}'\n`);
  return 0;
}

/** %b: the argument with escapes (and \0NNN); true when \c ended all output. */
async function print_esc_string(st: State, s: string): Promise<boolean> {
  let out = "";
  for (let i = 0; i < s.length; ) {
    const c = s[i++]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    if (s[i] === "0" && s.charCodeAt(i + 1) - 0x30 >= 0 && s.charCodeAt(i + 1) - 0x30 < 8) i++;
    else if (s[i] === "c") {
      await st.out.write(out);
      return true;
    }
    const e = process_escape_sequence(s, i);
    out += String.fromCharCode(e.byte);
    i = e.next;
  }
  await st.out.write(out);
  return false;
}

/**
 * One pass of the format over `args` from `ai`: the index after the arguments used, "stop" for \c,
 * or "error" after an invalid directive.
 */
async function print_formatted(st: State, f: string, args: string[], ai: number): Promise<number | "stop" | "error"> {
  const out = st.out;
  for (let i = 0; i < f.length; i++) {
    const ch = f[i]!;
    if (ch === "\\") {
      if (f[i + 1] === "c") return "stop";
      const e = process_escape_sequence(f, i + 1);
      await out.write(String.fromCharCode(e.byte));
      i = e.next - 1;
      continue;
    }
    if (ch !== "%") {
      await out.write(ch);
      continue;
    }
    const start = i++;
    if (f[i] === "%") {
      await out.write("%");
      continue;
    }
    if (f[i] === "b") {
      if (ai < args.length && (await print_esc_string(st, args[ai++]!))) return "stop";
      continue;
    }
    let flags = "";
    while (i < f.length && "-+ #0".includes(f[i]!)) flags += f[i++];
    let width: number | null = null;
    let prec: number | null = null;
    if (f[i] === "*") {
      i++;
      width = ai < args.length ? width_arg(st, args[ai++]!) : 0;
    } else {
      const m = /^\d+/.exec(f.slice(i));
      if (m !== null) {
        width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (f[i] === ".") {
      i++;
      if (f[i] === "*") {
        i++;
        prec = ai < args.length ? width_arg(st, args[ai++]!) : 0;
        if (prec < 0) prec = null;
      } else {
        const m = /^\d*/.exec(f.slice(i))!;
        prec = m[0] === "" ? 0 : Number(m[0]);
        i += m[0].length;
      }
    }
    // Size modifiers are dropped (from the text an error message shows, too).
    let j = i;
    while (j < f.length && /[lLhz]/.test(f[j]!)) j++;
    const conv = f[j];
    if (conv === undefined || !"diouxXfeEgGcs".includes(conv)) {
      const shown = f.slice(start, i) + f.slice(j);
      st.sys.write(2, `printf: ${bstr_to_utf8(shown)}: invalid format\n`);
      return "error";
    }
    i = j;
    const arg = ai < args.length ? args[ai++]! : "";
    const spec: ConvSpec = { flags, width, prec, conv };
    if ("di".includes(conv)) await out.write(format_integer(arg_integer(st, arg, false), spec));
    else if ("ouxX".includes(conv)) await out.write(format_integer(arg_integer(st, arg, true), spec));
    else if ("feEgG".includes(conv)) await out.write(format_double(arg_double(st, arg), spec));
    else await out.write(format_string(arg, spec));
  }
  return ai;
}

export async function printf(argv: readonly string[], sys: Syscalls): Promise<number> {
  let a = argv.slice(1);
  if (a[0] === "--") a = a.slice(1);
  if (a.length === 0) return show_usage(sys, "printf", USAGE, null);
  const format = utf8_to_bstr(a[0]!);
  const args = a.slice(1).map(utf8_to_bstr);
  const st: State = { sys, out: new BufWriter(sys), conv_err: false };
  let ai = 0;
  let status = 0;
  for (;;) {
    const r = await print_formatted(st, format, args, ai);
    if (r === "error") {
      status = 1;
      break;
    }
    if (r === "stop" || r === ai || r >= args.length) break;
    ai = r;
  }
  const w = await st.out.finish("printf");
  return status || w || (st.conv_err ? 1 : 0);
}

export const printf_command: Command = {
  name: "printf",
  summary: "format and print data",
  usage: USAGE,
  main: printf,
};
