import type { EthtoolCmd, EthtoolReply } from "../include/uapi/ethtool.ts";
import type { IfChange, IfInfo, NeighSyscalls } from "../include/uapi/if.ts";
import type { InetSyscalls, SockAddrIn } from "../include/uapi/in.ts";
import type { WaitQueueHead } from "./sched/wait.ts";
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

/**
 * The IPv4 stack's side of the door: the socket and configuration calls, installed by the `inet`
 * module. `socket` and `accept` are told which process owns the new descriptor, so it is closed
 * when that process exits. `sock_poll` serves poll(): a socket's current events and the wait queue
 * that is woken when they change (-EBADF for a descriptor that is not a socket). The neighbour
 * table calls (RTM_*NEIGH) are here too, and addr_add takes RTM_NEWADDR's IFA_BROADCAST
 * (`broadcast`: 0 for none; omitted, the address gets the one SIOCSIFADDR would give it).
 */
export interface InetControl extends Omit<InetSyscalls, "socket" | "accept" | "addr_add">, NeighSyscalls {
  addr_add(ifname: string, addr: number, prefix: number, broadcast?: number): number;
  socket(owner: { on_exit: (() => void)[] }, domain: number, type: number, protocol: number): number;
  accept(owner: { on_exit: (() => void)[] }, fd: number, flags: number): Promise<(SockAddrIn & { fd: number }) | number>;
  sock_poll(fd: number): { mask: number; wq: WaitQueueHead } | number;
}

const inet = DEFINE_PER_KERNEL((): { c: InetControl | null } => ({ c: null }));

export function register_inet_control(c: InetControl | null): void {
  inet.get().c = c;
}

export function inet_control(): InetControl | null {
  return inet.get().c;
}
