/**
 * The machine description: which devices sit in which PCI slots. A device is one line here.
 */
import { EduDevice } from "../hw/misc/edu.ts";
import type { Machine } from "../hw/machine.ts";

export interface DeviceSpec {
  driver: string;
  props: Map<string, string>;
}

/** "edu,addr=05.0" → { driver: "edu", props: { addr: "05.0" } } */
export function parse_device_spec(spec: string): DeviceSpec | string {
  const [driver, ...rest] = spec.split(",");
  if (driver === undefined || driver === "") return `-device: empty specification`;
  const props = new Map<string, string>();
  for (const kv of rest) {
    const i = kv.indexOf("=");
    if (i <= 0) return `-device ${spec}: '${kv}' is not key=value`;
    props.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return { driver, props };
}

function parse_addr(s: string): [number, number] | null {
  const m = /^([0-9a-f]{1,2})(?:\.([0-7]))?$/i.exec(s);
  return m === null ? null : [parseInt(m[1]!, 16), Number(m[2] ?? 0)];
}

function first_free_slot(m: Machine): number {
  for (let slot = 1; slot < 32; slot++) if (m.pci.find(slot) === undefined) return slot;
  return -1;
}

/** Plug one -device into the machine. Returns an error line or null. */
export function plug_device(m: Machine, spec: string): string | null {
  const d = parse_device_spec(spec);
  if (typeof d === "string") return d;
  const addr = d.props.get("addr");
  let slot: number;
  let fn = 0;
  if (addr !== undefined) {
    const a = parse_addr(addr);
    if (a === null || a[0] > 31) return `-device ${spec}: bad addr '${addr}' (expected SLOT[.FN], hex, slot < 0x20)`;
    [slot, fn] = a;
  } else {
    slot = first_free_slot(m);
    if (slot < 0) return `-device ${spec}: no free PCI slot`;
  }
  for (const k of d.props.keys()) if (k !== "addr" && k !== "id") return `-device ${d.driver}: unknown property '${k}'`;
  if (m.pci.find(slot, fn) !== undefined) return `-device ${spec}: PCI address 00:${slot.toString(16).padStart(2, "0")}.${fn} is taken`;
  switch (d.driver) {
    case "edu":
      m.pci.plug(new EduDevice(m.clock, d.props.get("id") ?? `edu@${slot.toString(16)}.${fn}`), slot, fn);
      return null;
    default:
      return `-device: unknown device '${d.driver}' (available: edu)`;
  }
}

/** The default machine: QEMU's edu device at 00:04.0 (the e1000 will take 00:03.0). */
export const DEFAULT_DEVICES: readonly string[] = ["edu,addr=04.0"];
