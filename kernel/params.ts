/**
 * Module parameters' value parsing and printing (kernel/params.c, lib/kstrtox.c, lib/kstrtobool.c):
 * the kernel_param_ops of the int, uint, bool and charp types, as parse_args uses them at load and
 * /sys/module/NAME/parameters/PARAM uses them on read and write (kernel/module.ts makes the files).
 */
import { EINVAL, ENOSPC } from "../include/linux/errno.ts";

/**
 * struct kernel_param_ops for one parameter: `get` prints the current value as Linux's
 * param_get_* does (with the newline); `set` parses a written value (what one write(2) gave,
 * newline included) and stores it, returning 0 or a negative errno. No `set`: the value cannot be
 * changed once loaded (a write is -EPERM, as param_attr_store without ops->set).
 */
export interface KernelParamOps {
  get(): string;
  set?(val: string): number;
}

/**
 * kstrtoint(s, 0) / kstrtouint(s, 0): optional sign, 0x hex, leading-0 octal or decimal, one
 * trailing newline; null when it does not parse or does not fit 32 bits.
 */
export function kstrtoint(val: string, signed: boolean): number | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\n?$/.exec(val);
  if (m === null || (m[1] === "-" && !signed)) return null;
  const body = m[2]!;
  const mag = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : body.length > 1 && body[0] === "0" ? parseInt(body, 8) : parseInt(body, 10);
  const v = m[1] === "-" ? -mag : mag;
  if (signed ? v < -0x80000000 || v > 0x7fffffff : v > 0xffffffff) return null;
  return v;
}

/** kstrtobool(): y/Y/1/on/true … and n/N/0/off/false … by their first one or two characters; null otherwise. */
export function kstrtobool(val: string): boolean | null {
  const c = val[0];
  if (c === "y" || c === "Y" || c === "t" || c === "T" || c === "1") return true;
  if (c === "n" || c === "N" || c === "f" || c === "F" || c === "0") return false;
  if (c === "o" || c === "O") {
    const d = val[1];
    if (d === "n" || d === "N") return true;
    if (d === "f" || d === "F") return false;
  }
  return null;
}

/** param_ops_int: "%i\n"; kstrtoint(…, 0). */
export function param_ops_int(get: () => number, set?: (v: number) => void): KernelParamOps {
  return {
    get: () => `${get()}\n`,
    set:
      set &&
      ((val) => {
        const v = kstrtoint(val, true);
        if (v === null) return -EINVAL;
        set(v);
        return 0;
      }),
  };
}

/** param_ops_uint: "%u\n"; kstrtouint(…, 0). */
export function param_ops_uint(get: () => number, set?: (v: number) => void): KernelParamOps {
  return {
    get: () => `${get() >>> 0}\n`,
    set:
      set &&
      ((val) => {
        const v = kstrtoint(val, false);
        if (v === null) return -EINVAL;
        set(v);
        return 0;
      }),
  };
}

/** param_ops_bool: "Y\n" or "N\n"; kstrtobool. */
export function param_ops_bool(get: () => boolean, set?: (v: boolean) => void): KernelParamOps {
  return {
    get: () => (get() ? "Y\n" : "N\n"),
    set:
      set &&
      ((val) => {
        const v = kstrtobool(val);
        if (v === null) return -EINVAL;
        set(v);
        return 0;
      }),
  };
}

/** The longest string param_set_charp takes. */
const CHARP_MAX = 1024;

/**
 * param_ops_charp: "%s\n"; the value is stored as written — a trailing newline included, as Linux
 * keeps it (`echo -n` writes without one).
 */
export function param_ops_charp(get: () => string, set?: (v: string) => void): KernelParamOps {
  return {
    get: () => `${get()}\n`,
    set:
      set &&
      ((val) => {
        if (val.length > CHARP_MAX) return -ENOSPC;
        set(val);
        return 0;
      }),
  };
}
