/**
 * The IPv4 stack as a module (net/ipv4/af_inet.c inet_init, reduced): ARP, IP, ICMP, UDP, TCP,
 * ping sockets, packet sockets (AF_PACKET, for tcpdump) and the DHCP client, wired to the netdev core by EtherType, to interface events by a
 * notifier, and to userland by the socket and configuration system calls.
 */
import { EAFNOSUPPORT, EBADF, EINVAL, ENETDOWN, ENODEV, ENOPROTOOPT, ENOTCONN, EOPNOTSUPP, EPROTONOSUPPORT, EDESTADDRREQ } from "../include/linux/errno.ts";
import type { ModuleInfo } from "../include/linux/module.ts";
import { ETH_P_ARP, ETH_P_IP, IFF_UP } from "../include/net/netdevice.ts";
import { AF_INET, AF_PACKET, F_GETFL, F_SETFL, inet_aton, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, O_NONBLOCK, PACKET_STATISTICS, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_RAW, SOCK_STREAM, SOCK_TYPE_MASK, SOL_PACKET, IPPROTO_IP } from "../include/uapi/in.ts";
import { packet_bind, packet_close, packet_release_all, packet_socket, packet_statistics } from "./packet/af_packet.ts";
import { proc_create, proc_remove } from "../kernel/fs/proc.ts";
import { register_inet_control, type InetControl } from "../kernel/net_control.ts";
import { dev_add_pack, dev_get_by_name, dev_open, dev_remove_pack, netdev_list, register_netdevice_notifier } from "../drivers/net/netdev.ts";
import { sock_alloc, sock_lookup, sock_recv, sock_release, type Sock } from "./socket.ts";
import {
  inet_bind,
  inet_csk_accept,
  inet_listen,
  inet_stream_connect,
  tcp_close,
  tcp_exit,
  tcp_getname,
  tcp_init,
  tcp_poll,
  tcp_recvmsg,
  tcp_sendmsg,
  tcp_shutdown,
  tcp_sock_alloc,
} from "./ipv4/tcp.ts";
import type { TcpSock } from "./ipv4/tcp_sock.ts";
import { tcp_getsockopt, tcp_setsockopt } from "./ipv4/tcp_sockopt.ts";
import { tcp_ext, tcp_mib } from "./ipv4/tcp_net.ts";
import { tcp_diag_dump } from "./ipv4/tcp_ipv4.ts";
import { arp_announce, arp_rcv, neigh_add, neigh_delete, neigh_dump, neigh_flush_dev, neigh_list, show_arp, neigh_sysctl_register, neigh_sysctl_unregister } from "./ipv4/arp.ts";
import { dhcp_forget, dhcp_run, show_pnp } from "./ipv4/dhcp.ts";
import { inet_addr_add, inet_addr_del, inet_addr_list, inet_addr_on, inet_dev_flush, inet_on_addr_change, inet_reset } from "./ipv4/devinet.ts";
import { ip_rcv, ip_setsockopt } from "./ipv4/ip.ts";
import { ping_bind, ping_close, ping_release_all, ping_sendto, ping_socket } from "./ipv4/ping.ts";
import { fib_add, fib_del, fib_flush_dev, fib_init, fib_list, fib_reset } from "./ipv4/route.ts";
import { snmp } from "./ipv4/snmp.ts";
import { show_netstat, show_snmp } from "./ipv4/proc.ts";
import { udp_bind, udp_close, udp_release_all, udp_sendto, udp_socket } from "./ipv4/udp.ts";

const LOOPBACK_ADDR = inet_aton("127.0.0.1")!;
/** fcntl's access mode of a socket descriptor. */
const O_RDWR = 2;

function hex_le(a: number): string {
  return ((((a & 0xff) << 24) | (((a >>> 8) & 0xff) << 16) | (((a >>> 16) & 0xff) << 8) | (a >>> 24)) >>> 0).toString(16).toUpperCase().padStart(8, "0");
}

/**
 * /proc/net/route as fib_route_seq_show prints the main table: addresses as little-endian hex,
 * flags RTF_UP | RTF_GATEWAY in upper-case hex, every line padded with spaces to 127 characters.
 */
function show_route(): string {
  const line = (text: string): string => `${text.padEnd(127)}\n`;
  let out = line("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT");
  for (const r of fib_list()) {
    const flags = 0x1 | (r.gateway !== 0 ? 0x2 : 0);
    out += line(`${r.ifname}\t${hex_le(r.dst)}\t${hex_le(r.gateway)}\t${flags.toString(16).toUpperCase().padStart(4, "0")}\t0\t0\t0\t${hex_le(r.prefix === 0 ? 0 : (0xffffffff << (32 - r.prefix)) >>> 0)}\t0\t0\t0`);
  }
  return out;
}

function nonblock(sk: Sock): boolean {
  return (sk.f_flags & O_NONBLOCK) !== 0;
}

/** A stream socket's TcpSock, or -EBADF / -EOPNOTSUPP. */
function tcp_of(fd: number): TcpSock | number {
  const sk = sock_lookup(fd);
  if (sk === undefined) return -EBADF;
  return sk.tcp ?? -EOPNOTSUPP;
}

/** A descriptor for a new stream socket, closed when `owner` exits. */
function tcp_fd(owner: { on_exit: (() => void)[] }, tp: TcpSock, flags: number): Sock {
  const sk = sock_alloc("tcp");
  sk.tcp = tp;
  tp.sock = sk;
  if (flags & SOCK_NONBLOCK) sk.f_flags |= O_NONBLOCK;
  const fd = sk.fd;
  owner.on_exit.push(() => void control.close(fd));
  return sk;
}

/** The most a stream recvfrom() returns at once. */
const TCP_RECVFROM_MAX = 65536;

const control: InetControl = {
  socket(owner, domain, type, protocol) {
    const flags = type & ~SOCK_TYPE_MASK;
    type &= SOCK_TYPE_MASK;
    if ((flags & ~SOCK_NONBLOCK) !== 0) return -EINVAL;
    let sk;
    if (domain === AF_PACKET) {
      if (type !== SOCK_RAW) return -EINVAL;
      const r = packet_socket(protocol);
      if (typeof r === "number") return r;
      sk = r;
    } else if (domain !== AF_INET) return -EAFNOSUPPORT;
    else if (type === SOCK_STREAM) {
      if (protocol !== 0 && protocol !== IPPROTO_TCP) return -EPROTONOSUPPORT;
      return tcp_fd(owner, tcp_sock_alloc(), flags).fd;
    } else if (type !== SOCK_DGRAM) return -EINVAL;
    else if (protocol === 0 || protocol === IPPROTO_UDP) sk = udp_socket();
    else if (protocol === IPPROTO_ICMP) sk = ping_socket();
    else return -EPROTONOSUPPORT;
    if (flags & SOCK_NONBLOCK) sk.f_flags |= O_NONBLOCK;
    const fd = sk.fd;
    owner.on_exit.push(() => void control.close(fd));
    return fd;
  },
  bind(fd, addr, port) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.tcp !== null) return inet_bind(sk.tcp, addr, port);
    return sk.kind === "udp" ? udp_bind(sk, addr, port) : sk.kind === "packet" ? packet_bind(sk, addr) : ping_bind(sk, port);
  },
  getsockopt(fd, level, optname) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.tcp !== null) return tcp_getsockopt(sk.tcp, level, optname);
    if (sk.kind !== "packet" || level !== SOL_PACKET || optname !== PACKET_STATISTICS) return -ENOPROTOOPT;
    return packet_statistics(sk);
  },
  setsockopt(fd, level, optname, value) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    // IPPROTO_IP options (IP_MTU_DISCOVER) for every IPv4 socket; the rest are TCP's.
    if (level === IPPROTO_IP && sk.kind !== "packet") return ip_setsockopt(sk, level, optname, value);
    return sk.tcp === null ? -ENOPROTOOPT : tcp_setsockopt(sk.tcp, level, optname, value);
  },
  async sendto(fd, data, addr, port) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.tcp !== null) return tcp_sendmsg(sk.tcp, data, 0, nonblock(sk));
    if (sk.kind === "packet") return -EOPNOTSUPP; // capture only: no frame injection
    return sk.kind === "udp" ? udp_sendto(sk, data, addr, port) : ping_sendto(sk, data, addr);
  },
  async recvfrom(fd, timeout_ms) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.tcp !== null) {
      const tp = sk.tcp;
      const buf = new Uint8Array(TCP_RECVFROM_MAX);
      const n = await tcp_recvmsg(tp, buf, 0, nonblock(sk) || timeout_ms === 0, timeout_ms);
      if (n < 0) return n;
      return { data: buf.slice(0, n), addr: tp.daddr, port: tp.dport, ttl: 0, tstamp_ns: 0 };
    }
    return sock_recv(sk, nonblock(sk) ? 0 : timeout_ms);
  },
  close(fd) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.tcp !== null) tcp_close(sk.tcp);
    if (sk.kind === "udp") udp_close(sk);
    else if (sk.kind === "packet") packet_close(sk);
    else if (sk.kind === "ping") ping_close(sk);
    else sock_release(sk);
    return 0;
  },
  listen(fd, backlog) {
    const tp = tcp_of(fd);
    return typeof tp === "number" ? tp : inet_listen(tp, backlog);
  },
  async accept(owner, fd, flags) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.tcp === null) return -EOPNOTSUPP;
    if ((flags & ~SOCK_NONBLOCK) !== 0) return -EINVAL;
    const child = await inet_csk_accept(sk.tcp, nonblock(sk));
    if (typeof child === "number") return child;
    const nsk = tcp_fd(owner, child, flags);
    return { fd: nsk.fd, addr: child.daddr, port: child.dport };
  },
  async connect(fd, addr, port) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.tcp === null) return -EOPNOTSUPP;
    return inet_stream_connect(sk.tcp, addr, port, nonblock(sk));
  },
  async send(fd, data, flags = 0) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.tcp === null) return -EDESTADDRREQ;
    return tcp_sendmsg(sk.tcp, data, flags, nonblock(sk));
  },
  async recv(fd, buf, flags = 0) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.tcp === null) return -EOPNOTSUPP;
    return tcp_recvmsg(sk.tcp, buf, flags, nonblock(sk));
  },
  shutdown(fd, how) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    return sk.tcp === null ? -ENOTCONN : tcp_shutdown(sk.tcp, how);
  },
  getsockname(fd) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.tcp !== null) return tcp_getname(sk.tcp, false);
    return { addr: sk.kind === "packet" ? 0 : sk.addr, port: sk.port };
  },
  getpeername(fd) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    return sk.tcp === null ? -ENOTCONN : tcp_getname(sk.tcp, true);
  },
  fcntl(fd, cmd, arg = 0) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (cmd === F_GETFL) return O_RDWR | sk.f_flags;
    if (cmd === F_SETFL) {
      sk.f_flags = arg & O_NONBLOCK;
      return 0;
    }
    return -EINVAL;
  },
  inet_diag: () => tcp_diag_dump(),
  sock_poll(fd) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.tcp !== null) return { mask: tcp_poll(sk.tcp), wq: sk.tcp.wq };
    // Datagram sockets: readable with a datagram queued, always writable.
    return { mask: (sk.rxq.length > 0 ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM | (sk.closed ? POLLHUP : 0), wq: sk.wq };
  },
  addr_list: () => inet_addr_list(),
  addr_add(ifname, addr, prefix, broadcast?: number) {
    const dev = dev_get_by_name(ifname);
    return dev === undefined ? -ENODEV : inet_addr_add(dev, addr, prefix, broadcast ?? null);
  },
  addr_del(ifname, addr, prefix) {
    const dev = dev_get_by_name(ifname);
    return dev === undefined ? -ENODEV : inet_addr_del(dev, addr, prefix);
  },
  route_list: () => fib_list(),
  route_add(dst, prefix, gw, ifname) {
    const dev = ifname === null ? null : dev_get_by_name(ifname);
    if (dev === undefined) return -ENODEV;
    // `ip route add` without `proto` asks for RTPROT_BOOT.
    return fib_add(dst, prefix, gw, dev, "boot");
  },
  route_del: (dst, prefix) => fib_del(dst, prefix),
  neigh_list: () => neigh_list(),
  neigh_dump: () => neigh_dump(),
  neigh_add(ifname, addr, lladdr, state, flags) {
    const dev = dev_get_by_name(ifname);
    if (dev === undefined) return -ENODEV;
    let mac: Uint8Array | null = null;
    if (lladdr !== null) {
      const m = /^([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2})$/i.exec(lladdr);
      if (m === null) return -EINVAL;
      mac = Uint8Array.from(m.slice(1).map((x) => parseInt(x, 16)));
    }
    return neigh_add(dev, addr, mac, state, flags);
  },
  neigh_del(ifname, addr) {
    const dev = dev_get_by_name(ifname);
    return dev === undefined ? -ENODEV : neigh_delete(dev, addr);
  },
  async dhcp(ifname) {
    const dev = dev_get_by_name(ifname);
    if (dev === undefined) return -ENODEV;
    if ((dev.flags & IFF_UP) === 0) return -ENETDOWN;
    return dhcp_run(dev);
  },
  snmp: () => {
    const s = snmp.get();
    // /proc/net/snmp's groups (Ip with the IpExt counters), ringzero's Arp, /proc/net/netstat's TcpExt.
    return JSON.parse(JSON.stringify({ Ip: s.Ip, Icmp: s.Icmp, Tcp: tcp_mib(), Udp: s.Udp, UdpLite: s.UdpLite, Arp: s.Arp, TcpExt: tcp_ext() })) as Record<string, Record<string, number>>;
  },
};

let unsubscribe: (() => void) | null = null;

const inet_module: ModuleInfo = {
  name: "inet",
  description: "IPv4: ARP, IP, ICMP, UDP, TCP, ping sockets, DHCP client",
  license: "MIT",
  depends: ["netdev"],
  async init() {
    const lo = dev_get_by_name("lo");
    if (lo === undefined) return -ENODEV;
    fib_init(lo);
    neigh_sysctl_register();
    dev_add_pack(ETH_P_IP, ip_rcv);
    dev_add_pack(ETH_P_ARP, arp_rcv);
    unsubscribe = register_netdevice_notifier((event, dev) => {
      if (event === "up") {
        // Linux's devinet gives the loopback device 127.0.0.1/8 when it comes up.
        if (dev.type === "loopback") inet_addr_add(dev, LOOPBACK_ADDR, 8);
        else {
          const a = inet_addr_on(dev);
          if (a !== undefined) arp_announce(dev, a.addr);
        }
      } else if (event === "down") {
        neigh_flush_dev(dev);
        if (dev.type === "loopback") inet_addr_del(dev, LOOPBACK_ADDR, 8);
      } else if (event === "unregister") {
        neigh_flush_dev(dev);
        dhcp_forget(dev);
        inet_dev_flush(dev);
        fib_flush_dev(dev);
      }
    });
    // A new address on a running interface is announced at once.
    inet_on_addr_change((a, added) => {
      if (added && a.dev.type === "ether" && (a.dev.flags & IFF_UP) !== 0) arp_announce(a.dev, a.addr);
    });
    await dev_open(lo);
    const t = tcp_init();
    if (t < 0) return t;
    proc_create("net/arp", show_arp);
    proc_create("net/snmp", show_snmp);
    proc_create("net/netstat", show_netstat);
    proc_create("net/route", show_route);
    proc_create("net/pnp", show_pnp);
    register_inet_control(control);
    return 0;
  },
  exit() {
    register_inet_control(null);
    neigh_sysctl_unregister();
    unsubscribe?.();
    unsubscribe = null;
    dev_remove_pack(ETH_P_IP);
    dev_remove_pack(ETH_P_ARP);
    for (const name of ["net/arp", "net/snmp", "net/netstat", "net/route", "net/pnp"]) proc_remove(name);
    tcp_exit();
    for (const d of netdev_list()) {
      neigh_flush_dev(d);
      dhcp_forget(d);
    }
    udp_release_all();
    ping_release_all();
    packet_release_all();
    inet_reset();
    fib_reset();
  },
};
export default inet_module;
