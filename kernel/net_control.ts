import type { EthtoolCmd, EthtoolReply } from "../include/uapi/ethtool.ts";
import type { IfChange, IfInfo } from "../include/uapi/if.ts";
import { DEFINE_PER_KERNEL } from "./kernel.ts";

/**
 * The system-call layer's door to the network core. The kernel proper does not depend on the
 * netdev module; the module installs these handlers when it loads (as Linux's dev_ioctl and
 * rtnetlink handlers belong to net/core) and removes them when it unloads.
 */
export interface NetControl {
  getlinks(): IfInfo[];
  setlink(ifname: string, change: IfChange): Promise<number>;
  ethtool(ifname: string, cmd: EthtoolCmd): Promise<EthtoolReply | number>;
}

const control = DEFINE_PER_KERNEL((): { c: NetControl | null } => ({ c: null }));

export function register_net_control(c: NetControl | null): void {
  control.get().c = c;
}

export function net_control(): NetControl | null {
  return control.get().c;
}
