/**
 * JSON as iperf3's bundled cJSON (src/cjson.c, 1.7.15 with 64-bit integers) prints and reads it:
 * cJSON_Print's layout for -J (tabs, "key":<TAB>value, arrays as "[a, b]"), cJSON_PrintUnformatted
 * for the control connection, its number rendering (integers as integers, otherwise %1.15g, or
 * %1.17g when that does not read back), and `valueint`, the integer view of a number iperf3 takes
 * for its int fields.
 */
import { fmt_g } from "./iperf_locale.ts";

export type Json = number | string | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** print_number(): cJSON's rendering of a double. */
export function cjson_number(d: number): string {
  if (!Number.isFinite(d)) return "null";
  if (Number.isInteger(d) && Math.abs(d) < 2 ** 63) return BigInt(d).toString();
  const s15 = fmt_g(d, 15);
  const back = Number(s15);
  const max = Math.max(Math.abs(back), Math.abs(d));
  return Math.abs(back - d) <= max * Number.EPSILON ? s15 : fmt_g(d, 17);
}

/** print_string_ptr(): quotes, backslash, \b \f \n \r \t, other control characters as \u00XX. */
export function cjson_string(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (c === 8) out += "\\b";
    else if (c === 12) out += "\\f";
    else if (c === 10) out += "\\n";
    else if (c === 13) out += "\\r";
    else if (c === 9) out += "\\t";
    else if (c < 32) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

function print_value(v: Json, depth: number, fmt: boolean): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return cjson_number(v);
  if (typeof v === "string") return cjson_string(v);
  if (Array.isArray(v)) return `[${v.map((x) => print_value(x, depth + 1, fmt)).join(fmt ? ", " : ",")}]`;
  const keys = Object.keys(v);
  if (!fmt) return `{${keys.map((k) => `${cjson_string(k)}:${print_value(v[k]!, depth + 1, fmt)}`).join(",")}}`;
  const inner = "\t".repeat(depth + 1);
  const body = keys.map((k) => `${inner}${cjson_string(k)}:\t${print_value(v[k]!, depth + 1, fmt)}`).join(",\n");
  return `{\n${body}${keys.length > 0 ? "\n" : ""}${"\t".repeat(depth)}}`;
}

/** cJSON_Print(): what -J writes. */
export function cjson_print(v: Json): string {
  return print_value(v, 0, true);
}

/** cJSON_PrintUnformatted(): what goes over the control connection. */
export function cjson_print_unformatted(v: Json): string {
  return print_value(v, 0, false);
}

/** cJSON's CJSON_NESTING_LIMIT: arrays and objects nested deeper do not parse. */
export const CJSON_NESTING_LIMIT = 1000;

/** Whether `text` nests arrays/objects deeper than CJSON_NESTING_LIMIT (brackets in strings aside). */
function too_deep(text: string): boolean {
  let depth = 0;
  let in_string = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (in_string) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) in_string = false;
    } else if (c === 0x22) in_string = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > CJSON_NESTING_LIMIT) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * cJSON_Parse(): an object, or null for anything that is not one or that nests deeper than
 * cJSON's limit (so a peer cannot make the recursive printers above overflow the stack). Never
 * throws.
 */
export function cjson_parse_object(text: string): JsonObject | null {
  if (too_deep(text)) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as JsonObject) : null;
  } catch {
    return null;
  }
}

/**
 * `valueint` stored into a C int: cJSON saturates a number to int64 (true/false/strings read as
 * 0), and the int keeps the low 32 bits — so the 18446744073709551615 that iperf3 3.12 prints for
 * -1 (an int64 printed with PRIu64) reads back as -1.
 */
export function cjson_int(v: Json | undefined): number {
  if (typeof v !== "number" || Number.isNaN(v)) return 0;
  if (v >= 2 ** 63) return -1;
  if (v <= -(2 ** 63)) return 0;
  return Number(BigInt.asIntN(32, BigInt(Math.trunc(v))));
}

/** `valueint` stored into an iperf_size_t (uint64): byte counts. */
export function cjson_uint64(v: Json | undefined): number {
  if (typeof v !== "number" || Number.isNaN(v)) return 0;
  if (v >= 2 ** 63) return 2 ** 63 - 1;
  const t = Math.trunc(v);
  return t < 0 ? 2 ** 64 + t : t;
}

/** `valuedouble` (0 for non-numbers). */
export function cjson_double(v: Json | undefined): number {
  return typeof v === "number" ? v : 0;
}
