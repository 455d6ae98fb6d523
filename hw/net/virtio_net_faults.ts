import { E1000_FAULTS, type FaultDef } from "./e1000_faults.ts";
import type { VirtioNet } from "./virtio_net.ts";

/**
 * Fault injection for the virtio-net model, from the monitor (`~inject FAULT [NIC]`,
 * boot/monitor.ts) and from tests (`virtio_net_inject_fault(nic, name)`). Each fault is something a
 * virtio-net device does on its own (virtio 1.2 §2.1 status, §4.1.4.3 config notification, §5.1.4
 * config.status), so a driver meets it through device_status, config_generation, config.status and
 * the config interrupt exactly as it would under QEMU.
 */
export const VIRTIO_NET_FAULTS: readonly FaultDef[] = [
  { name: "link_down", arg: "", help: "config.status LINK_UP cleared: config_generation +1 and a config interrupt (as ~set_link NIC off)" },
  { name: "link_up", arg: "", help: "config.status LINK_UP set again: config_generation +1 and a config interrupt (as ~set_link NIC on)" },
  { name: "link_flap", arg: "", help: "link down then up at once: two config changes, the driver must re-read config.status" },
  { name: "config_change", arg: "", help: "config_generation +1 and a config interrupt (ISR 0x3 / config vector) with no field changed (virtio 1.2 §4.1.4.3)" },
  { name: "needs_reset", arg: "", help: "DEVICE_NEEDS_RESET set and a config interrupt, as a device error: queues stop until the driver resets (virtio 1.2 §2.1.1)" },
];

/** Inject fault `name` into `s`. Returns "" on success or a one-line error. Device context. */
export function virtio_net_inject_fault(s: VirtioNet, name: string, arg?: string): string {
  if (s.removed) return `${s.name}: the function was removed; only a machine reset brings it back`;
  const def = VIRTIO_NET_FAULTS.find((d) => d.name === name);
  if (def === undefined) {
    const kind = E1000_FAULTS.some((d) => d.name === name) ? "is an e1000 fault" : "is not a fault";
    return `${s.name} is a virtio-net NIC and '${name}' ${kind} (virtio-net faults: ${VIRTIO_NET_FAULTS.map((d) => d.name).join(", ")})`;
  }
  if (arg !== undefined && arg !== "") return `${name} takes no argument`;
  switch (name) {
    case "link_down":
      s.set_link(false);
      break;
    case "link_up":
      s.set_link(true);
      break;
    case "link_flap":
      s.set_link(false);
      s.set_link(true);
      break;
    case "config_change":
      s.config_changed();
      s.notify_config();
      break;
    case "needs_reset":
      s.virtio_error("injected", "injected fault needs_reset");
      break;
  }
  return "";
}
