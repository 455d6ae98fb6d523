/**
 * IPv4 as userland and the kernel both see it (include/uapi/linux/in.h, socket.h, reduced).
 * Addresses are 32-bit unsigned numbers in host order: 10.0.2.2 is 0x0a000202.
 */
export const AF_INET = 2;
export const AF_PACKET = 17;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
/** getsockopt level and option for packet socket statistics (include/uapi/linux/if_packet.h). */
export const SOL_PACKET = 263;
export const PACKET_STATISTICS = 6;
/** sockaddr_ll.sll_pkttype, in a packet socket's Datagram.port (include/uapi/linux/if_packet.h). */
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const INADDR_ANY = 0;
export const INADDR_BROADCAST = 0xffffffff;

/** "10.0.2.15" → 0x0a00020f, or null if it is not a dotted quad. */
export function inet_aton(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (m === null) return null;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return null;
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

export function inet_ntoa(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** Netmask of a prefix length: 24 → 0xffffff00. */
export function prefix_mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** A datagram from recvfrom(). `error` is set for ICMP errors and local delivery failures (IP_RECVERR). */
export interface Datagram {
  data: Uint8Array;
  addr: number;
  port: number;
  /** TTL of the IP packet it arrived in. */
  ttl: number;
  /** Kernel clock (CLOCK_MONOTONIC ns) when the NIC handed it up (SO_TIMESTAMPNS). */
  tstamp_ns: number;
  error?: { type: number; code: number; from: number; text: string };
}

export interface IfAddr {
  ifname: string;
  addr: number;
  prefix: number;
  broadcast: number;
}

export interface RouteEntry {
  dst: number;
  prefix: number;
  gateway: number;
  ifname: string;
  src: number;
  proto: "kernel" | "boot" | "static" | "dhcp";
}

export interface NeighEntry {
  addr: number;
  ifname: string;
  mac: string;
  state: "INCOMPLETE" | "REACHABLE" | "STALE" | "FAILED" | "PERMANENT";
}

/** The socket and IPv4 configuration system calls (socket, bind, sendto, recvfrom, close, rtnetlink). */
export interface InetSyscalls {
  /** AF_INET/SOCK_DGRAM (UDP, ICMP ping) or AF_PACKET/SOCK_RAW/ETH_P_ALL. */
  socket(domain: number, type: number, protocol: number): number;
  /** AF_INET: local address and port. AF_PACKET: `addr` is the ifindex (0 = all), `port` unused. */
  bind(fd: number, addr: number, port: number): number;
  /** Only SOL_PACKET/PACKET_STATISTICS: frames seen and dropped since the last call. */
  getsockopt(fd: number, level: number, optname: number): { tp_packets: number; tp_drops: number } | number;
  sendto(fd: number, data: Uint8Array, addr: number, port: number): Promise<number>;
  /** Waits up to `timeout_ms` (null = forever): the datagram, -EAGAIN on timeout, -EINTR on a signal. */
  recvfrom(fd: number, timeout_ms: number | null): Promise<Datagram | number>;
  close(fd: number): number;
  addr_list(): IfAddr[] | number;
  addr_add(ifname: string, addr: number, prefix: number): number;
  addr_del(ifname: string, addr: number, prefix: number): number;
  route_list(): RouteEntry[] | number;
  route_add(dst: number, prefix: number, gateway: number, ifname: string | null): number;
  route_del(dst: number, prefix: number): number;
  neigh_list(): NeighEntry[] | number;
  /** Run the DHCP client on an interface (dhclient); resolves when bound or failed. */
  dhcp(ifname: string): Promise<number>;
  /** Protocol counters, as /proc/net/snmp groups them. */
  snmp(): Record<string, Record<string, number>> | number;
}
