/**
 * Module sizes on Node: the byte count of each module's source file in the tree (what lsmod and
 * /sys/module/NAME/coresize show).
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = process.env["RINGZERO_ROOT"] ?? join(fileURLToPath(import.meta.url), "..", "..");

export function module_source_size_node(rel: string): number {
  try {
    return statSync(join(ROOT, rel)).size;
  } catch {
    return 0;
  }
}
