import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { read_text } from "./stdio.ts";

/**
 * Module lookup by alias (libkmod's kmod_module_new_from_lookup, as lspci -k uses it): the modules
 * whose `alias` lines in /lib/modules/$(uname -r)/modules.alias (and modules.builtin.alias, for
 * built-in drivers) match a device's modalias, as fnmatch(3) patterns, in file order, each once.
 * Without those files there is nothing to match and the answer is empty.
 */

/** fnmatch(3) without flags: `*`, `?` and `[…]` classes (with `!`/`^` negation and ranges). */
export function fnmatch(pattern: string, text: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else if (ch === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) {
        re += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, end);
      if (body.startsWith("!")) body = "^" + body.slice(1);
      re += `[${body.replace(/\\/g, "\\\\")}]`;
      i = end;
    } else re += ch.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  try {
    return new RegExp(re + "$", "s").test(text);
  } catch {
    return false;
  }
}

function alias_file(sys: Syscalls, name: string): [string, string][] {
  const text = read_text(sys, `/lib/modules/${sys.uname().release}/${name}`);
  if (typeof text !== "string") return [];
  const out: [string, string][] = [];
  for (const line of text.split("\n")) {
    const m = /^alias\s+(\S+)\s+(\S+)/.exec(line);
    if (m !== null) out.push([m[1]!, m[2]!]);
  }
  return out;
}

/** The module names whose aliases match `modalias`. */
export function kmod_lookup_alias(sys: Syscalls, modalias: string): string[] {
  const out: string[] = [];
  for (const [pattern, module] of [...alias_file(sys, "modules.alias"), ...alias_file(sys, "modules.builtin.alias")]) {
    if (fnmatch(pattern, modalias) && !out.includes(module)) out.push(module);
  }
  return out;
}
