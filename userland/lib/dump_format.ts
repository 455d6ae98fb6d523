/**
 * The parsed form of a hexdump/xxd format (busybox's dump.h): print units (PR), format units (FU)
 * and format strings (FS), their flag bits, and the -v modes. userland/lib/dump.ts parses formats
 * into these and runs them.
 */
import type { ConvSpec } from "./format.ts";

export const F_IGNORE = 0x01;
export const F_SETREP = 0x02;
export const F_ADDRESS = 0x001;
export const F_BPAD = 0x002;
export const F_C = 0x004;
export const F_CHAR = 0x008;
export const F_DBL = 0x010;
export const F_INT = 0x020;
export const F_P = 0x040;
export const F_STR = 0x080;
export const F_U = 0x100;
export const F_UINT = 0x200;
export const F_TEXT = 0x400;

/** -v: dump_vflag values. */
export const ALL = 0;
export const DUP = 1;
export const FIRST = 2;
export const WAIT = 3;

/** A print unit: one conversion with the text before and after it. */
export interface PR {
  flags: number;
  bcnt: number;
  pre: string;
  spec: ConvSpec;
  post: string;
  /** F_TEXT: the text. */
  text: string;
  /** Drop the last (white space) character on a unit's last repetition. */
  nospace: boolean;
  /** One-byte conversions already formatted, by byte value. */
  memo?: (string | undefined)[];
}

export interface FU {
  flags: number;
  reps: number;
  bcnt: number;
  fmt: string;
  prs: PR[];
}

export interface FS {
  fus: FU[];
  bcnt: number;
}
