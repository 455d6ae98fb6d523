/**
 * A stand-in for the system-call table, for running a userland program on fixture files: the
 * files, directories and symlinks it is given, uname's release, an ethtool answerer, and what the
 * program wrote to stdout and stderr. Only the calls lspci, ethtool and their libraries use.
 */
import type { EthtoolCmd, EthtoolReply } from "../../include/uapi/ethtool.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";

const ENOENT = -2;
const EINVAL = -22;

export interface FakeSys {
  sys: Syscalls;
  out(): string;
  err(): string;
}

export function fake_sys(opts: { files?: Map<string, string | Uint8Array>; links?: Map<string, string>; release?: string; ethtool?: (dev: string, cmd: EthtoolCmd) => EthtoolReply | number }): FakeSys {
  const files = opts.files ?? new Map<string, string | Uint8Array>();
  const links = opts.links ?? new Map<string, string>();
  let out = "";
  let err = "";
  const text = (d: string | Uint8Array): string => (typeof d === "string" ? d : new TextDecoder().decode(d));
  const impl = {
    write: async (fd: number, data: string | Uint8Array): Promise<number> => {
      if (fd === 1) out += text(data);
      else err += text(data);
      return typeof data === "string" ? data.length : data.length;
    },
    read_file: (path: string): Uint8Array | number => {
      const f = files.get(path);
      if (f === undefined) return ENOENT;
      return typeof f === "string" ? new TextEncoder().encode(f) : f;
    },
    readdir: (path: string): string[] | number => {
      const prefix = path.endsWith("/") ? path : `${path}/`;
      const names = new Set<string>();
      for (const p of [...files.keys(), ...links.keys()]) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split("/")[0]!);
      return names.size === 0 ? ENOENT : [...names].sort();
    },
    readlink: (path: string): string | number => links.get(path) ?? (files.has(path) ? EINVAL : ENOENT),
    uname: () => ({ sysname: "Linux", nodename: "test", release: opts.release ?? "6.1.0-test", version: "#1 SMP", machine: "x86_64" }),
    ethtool: async (dev: string, cmd: EthtoolCmd): Promise<EthtoolReply | number> => (opts.ethtool === undefined ? -19 : opts.ethtool(dev, cmd)),
  };
  const sys = new Proxy(impl, {
    get(target, key) {
      if (key in target) return target[key as keyof typeof target];
      return () => {
        throw new Error(`fake_sys: ${String(key)} is not provided`);
      };
    },
  }) as unknown as Syscalls;
  return { sys, out: () => out, err: () => err };
}
