import { this_kernel } from "../kernel.ts";
import { ktime_get_ns } from "./timekeeping.ts";

/** /proc/uptime: seconds since boot, and seconds the CPU spent halted. */
export function format_uptime(): string {
  return `${(ktime_get_ns() / 1e9).toFixed(2)} ${(this_kernel().idle_ns / 1e9).toFixed(2)}\n`;
}
