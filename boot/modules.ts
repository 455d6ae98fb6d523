/**
 * The module index (this kernel's /lib/modules): every loadable module by name, how to load it,
 * and its size (the module's source bytes, shown by lsmod).
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ModuleIndex, ModuleIndexEntry, ModuleInfo } from "../include/linux/module.ts";

const ROOT = process.env["RINGZERO_ROOT"] ?? join(fileURLToPath(import.meta.url), "..", "..");

function source_size(rel: string): number {
  try {
    return statSync(join(ROOT, rel)).size;
  } catch {
    return 0;
  }
}

function entry(rel: string, load: () => Promise<{ default: ModuleInfo }>): ModuleIndexEntry {
  return { load: async () => (await load()).default, size: source_size(rel) };
}

export const MODULE_INDEX: ModuleIndex = new Map([
  ["netdev", entry("drivers/net/netdev.ts", () => import("../drivers/net/netdev.ts"))],
  ["e1000", entry("drivers/net/e1000.ts", () => import("../drivers/net/e1000.ts"))],
  ["inet", entry("net/inet.ts", () => import("../net/inet.ts"))],
  ["edu", entry("drivers/misc/edu.ts", () => import("../drivers/misc/edu.ts"))],
  ["virtio", entry("drivers/virtio/virtio.ts", () => import("../drivers/virtio/virtio.ts"))],
  ["virtio_pci", entry("drivers/virtio/virtio_pci_common.ts", () => import("../drivers/virtio/virtio_pci_common.ts"))],
  ["virtio_net", entry("drivers/net/virtio_net.ts", () => import("../drivers/net/virtio_net.ts"))],
  ["test_lockup", entry("drivers/misc/test_lockup.ts", () => import("../drivers/misc/test_lockup.ts"))],
]);

/** Loaded at boot unless --modules says otherwise (dependencies come along: e1000 brings netdev). */
export const DEFAULT_MODULES: readonly string[] = ["e1000", "inet", "edu"];
/**
 * Also loaded at boot when the machine has a virtio function (what udev's coldplug does by the
 * device's modalias): the transport and the network driver.
 */
export const VIRTIO_MODULES: readonly string[] = ["virtio_pci", "virtio_net"];
