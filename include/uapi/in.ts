/**
 * IPv4 as userland and the kernel both see it (include/uapi/linux/in.h, socket.h, reduced).
 * Addresses are 32-bit unsigned numbers in host order: 10.0.2.2 is 0x0a000202.
 */
export const AF_INET = 2;
export const AF_PACKET = 17;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
/** socket()/accept4() type flag: the new descriptor is non-blocking (= O_NONBLOCK). */
export const SOCK_NONBLOCK = 0o4000;
/** The bits of socket()'s type that are flags, not the type (include/linux/net.h SOCK_TYPE_MASK). */
export const SOCK_TYPE_MASK = 0xf;
/** getsockopt level and option for packet socket statistics (include/uapi/linux/if_packet.h). */
export const SOL_PACKET = 263;
export const PACKET_STATISTICS = 6;
/** sockaddr_ll.sll_pkttype, in a packet socket's Datagram.port (include/uapi/linux/if_packet.h). */
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;
export const IPPROTO_IP = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const INADDR_ANY = 0;
export const INADDR_BROADCAST = 0xffffffff;
export const INADDR_LOOPBACK = 0x7f000001;

/* Socket options (include/uapi/asm-generic/socket.h, include/uapi/linux/tcp.h). */
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
/** Level of the TCP_* options (Linux's SOL_TCP is IPPROTO_TCP). */
export const SOL_TCP = 6;
/** Turn Nagle's algorithm off (RFC 896): small segments go out at once. */
export const TCP_NODELAY = 1;
/** The largest segment the socket sends (read: the current MSS; set before connect: a cap). */
export const TCP_MAXSEG = 2;
export const TCP_KEEPIDLE = 4;
export const TCP_KEEPINTVL = 5;
export const TCP_KEEPCNT = 6;

/*
 * IP_MTU_DISCOVER values (include/uapi/linux/in.h): whether a
 * socket's datagrams carry DF and may be fragmented locally.
 */
export const IP_MTU_DISCOVER = 10;
/** Never set DF; fragment as needed. */
export const IP_PMTUDISC_DONT = 0;
/** DF when the datagram fits the path MTU, else fragment locally (Linux's default). */
export const IP_PMTUDISC_WANT = 1;
/** Always DF; a datagram larger than the path MTU is refused with EMSGSIZE. */
export const IP_PMTUDISC_DO = 2;
/** Always DF, against the device MTU, ignoring the path MTU. */
export const IP_PMTUDISC_PROBE = 3;

/* send()/recv() flags (include/linux/socket.h). */
export const MSG_PEEK = 0x2;
export const MSG_DONTWAIT = 0x40;
export const MSG_WAITALL = 0x100;
/** Do not raise SIGPIPE when the connection is closed for writing (EPIPE is still returned). */
export const MSG_NOSIGNAL = 0x4000;

/* shutdown() (include/linux/net.h). */
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

/* fcntl() (include/uapi/asm-generic/fcntl.h): only the file status flags. */
export const F_GETFL = 3;
export const F_SETFL = 4;
export const O_NONBLOCK = 0o4000;

/* poll() events (include/uapi/asm-generic/poll.h). */
export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;
export const POLLRDNORM = 0x040;
export const POLLWRNORM = 0x100;
export const POLLRDHUP = 0x2000;

/** struct pollfd: `revents` is written by poll(). fd 0 is the console (standard input). */
export interface PollFd {
  fd: number;
  events: number;
  revents: number;
}

/** struct sockaddr_in, as getsockname/getpeername/accept return it (host order). */
export interface SockAddrIn {
  addr: number;
  port: number;
}


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

/**
 * One TCP socket as sock_diag (NETLINK_SOCK_DIAG, inet_diag_msg) reports it to ss(8). `rqueue` /
 * `wqueue`: bytes unread and unacknowledged; for a listener, connections waiting in the accept
 * queue and its backlog.
 */
export interface InetDiagSock {
  state: number;
  saddr: number;
  sport: number;
  daddr: number;
  dport: number;
  rqueue: number;
  wqueue: number;
  inode: number;
}

/** The socket and IPv4 configuration system calls (socket, bind, sendto, recvfrom, close, rtnetlink). */
export interface InetSyscalls {
  /**
   * AF_INET/SOCK_STREAM (TCP), AF_INET/SOCK_DGRAM (UDP, ICMP ping) or AF_PACKET/SOCK_RAW/ETH_P_ALL.
   * SOCK_NONBLOCK may be or'ed into `type`.
   */
  socket(domain: number, type: number, protocol: number): number;
  /** AF_INET: local address and port. AF_PACKET: `addr` is the ifindex (0 = all), `port` unused. */
  bind(fd: number, addr: number, port: number): number;
  /**
   * SOL_PACKET/PACKET_STATISTICS: frames seen and dropped since the last call. SOL_SOCKET and
   * SOL_TCP integer options (SO_ERROR, SO_RCVBUF, TCP_MAXSEG …): the value (>= 0). -errno otherwise.
   */
  getsockopt(fd: number, level: number, optname: number): { tp_packets: number; tp_drops: number } | number;
  /** setsockopt(2) with an integer option value. */
  setsockopt(fd: number, level: number, optname: number, value: number): number;
  /** Datagram sockets: one datagram to addr:port. Stream sockets: as send() (the address is ignored). */
  sendto(fd: number, data: Uint8Array, addr: number, port: number): Promise<number>;
  /**
   * Waits up to `timeout_ms` (null = forever): the datagram, -EAGAIN on timeout, -EINTR on a signal.
   * Stream sockets: what has arrived (up to 64 KiB), with the peer's address; empty data at EOF.
   */
  recvfrom(fd: number, timeout_ms: number | null): Promise<Datagram | number>;
  close(fd: number): number;
  /** listen(2): a bound (or auto-bound) stream socket starts accepting; backlog capped at 4096. */
  listen(fd: number, backlog: number): number;
  /** accept4(2): the next connection's descriptor and peer. `flags` may hold SOCK_NONBLOCK. */
  accept(fd: number, flags?: number): Promise<(SockAddrIn & { fd: number }) | number>;
  /** connect(2): 0, -EINPROGRESS (non-blocking), -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH … */
  connect(fd: number, addr: number, port: number): Promise<number>;
  /** send(2) on a connected socket: bytes queued (a blocking send queues them all), or -errno. */
  send(fd: number, data: Uint8Array, flags?: number): Promise<number>;
  /** recv(2) into `buf`: bytes read, 0 at end of stream, or -errno (-EAGAIN when non-blocking). */
  recv(fd: number, buf: Uint8Array, flags?: number): Promise<number>;
  /** shutdown(2): SHUT_RD, SHUT_WR or SHUT_RDWR. */
  shutdown(fd: number, how: number): number;
  getsockname(fd: number): SockAddrIn | number;
  getpeername(fd: number): SockAddrIn | number;
  /** fcntl(2), F_GETFL / F_SETFL with O_NONBLOCK only. */
  fcntl(fd: number, cmd: number, arg?: number): number;
  /** sock_diag (inet_diag) dump of every TCP socket, as ss asks the kernel over netlink. */
  inet_diag(): InetDiagSock[] | number;
  addr_list(): IfAddr[] | number;
  /** RTM_NEWADDR: `broadcast` is IFA_BROADCAST (host order; 0 or absent: none). */
  addr_add(ifname: string, addr: number, prefix: number, broadcast?: number): number;
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
