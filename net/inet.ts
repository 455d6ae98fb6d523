/**
 * The IPv4 stack as a module (net/ipv4/af_inet.c inet_init, reduced): ARP, IP, ICMP, UDP, ping
 * sockets, packet sockets (AF_PACKET, for tcpdump) and the DHCP client, wired to the netdev core by EtherType, to interface events by a
 * notifier, and to userland by the socket and configuration system calls.
 */
import { EAFNOSUPPORT, EBADF, EINVAL, ENETDOWN, ENODEV, ENOPROTOOPT, EOPNOTSUPP, EPROTONOSUPPORT } from "../include/linux/errno.ts";
import type { ModuleInfo } from "../include/linux/module.ts";
import { ETH_P_ARP, ETH_P_IP, IFF_UP } from "../include/net/netdevice.ts";
import { AF_INET, AF_PACKET, inet_aton, IPPROTO_ICMP, IPPROTO_UDP, PACKET_STATISTICS, SOCK_DGRAM, SOCK_RAW, SOL_PACKET } from "../include/uapi/in.ts";
import { packet_bind, packet_close, packet_release_all, packet_socket, packet_statistics } from "./packet/af_packet.ts";
import { proc_create, proc_remove } from "../kernel/fs/proc.ts";
import { register_inet_control, type InetControl } from "../kernel/net_control.ts";
import { dev_add_pack, dev_get_by_name, dev_open, dev_remove_pack, netdev_list, register_netdevice_notifier } from "../drivers/net/netdev.ts";
import { sock_lookup, sock_recv } from "./socket.ts";
import { arp_announce, arp_rcv, neigh_flush_dev, neigh_list, show_arp, neigh_sysctl_register, neigh_sysctl_unregister } from "./ipv4/arp.ts";
import { dhcp_forget, dhcp_run, show_pnp } from "./ipv4/dhcp.ts";
import { inet_addr_add, inet_addr_del, inet_addr_list, inet_addr_on, inet_dev_flush, inet_on_addr_change, inet_reset } from "./ipv4/devinet.ts";
import { ip_rcv } from "./ipv4/ip.ts";
import { ping_bind, ping_close, ping_release_all, ping_sendto, ping_socket } from "./ipv4/ping.ts";
import { fib_add, fib_del, fib_flush_dev, fib_init, fib_list, fib_reset } from "./ipv4/route.ts";
import { show_snmp, snmp } from "./ipv4/snmp.ts";
import { udp_bind, udp_close, udp_release_all, udp_sendto, udp_socket } from "./ipv4/udp.ts";

const LOOPBACK_ADDR = inet_aton("127.0.0.1")!;

function hex_le(a: number): string {
  return ((((a & 0xff) << 24) | (((a >>> 8) & 0xff) << 16) | (((a >>> 16) & 0xff) << 8) | (a >>> 24)) >>> 0).toString(16).toUpperCase().padStart(8, "0");
}

/** /proc/net/route in Linux's layout (addresses as little-endian hex). */
function show_route(): string {
  let out = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
  for (const r of fib_list()) {
    const flags = 0x1 | (r.gateway !== 0 ? 0x2 : 0);
    out += `${r.ifname}\t${hex_le(r.dst)}\t${hex_le(r.gateway)}\t${flags.toString(16).padStart(4, "0")}\t0\t0\t0\t${hex_le(r.prefix === 0 ? 0 : (0xffffffff << (32 - r.prefix)) >>> 0)}\t0\t0\t0\n`;
  }
  return out;
}

const control: InetControl = {
  socket(owner, domain, type, protocol) {
    let sk;
    if (domain === AF_PACKET) {
      if (type !== SOCK_RAW) return -EINVAL;
      const r = packet_socket(protocol);
      if (typeof r === "number") return r;
      sk = r;
    } else if (domain !== AF_INET) return -EAFNOSUPPORT;
    else if (type !== SOCK_DGRAM) return -EINVAL;
    else if (protocol === 0 || protocol === IPPROTO_UDP) sk = udp_socket();
    else if (protocol === IPPROTO_ICMP) sk = ping_socket();
    else return -EPROTONOSUPPORT;
    const fd = sk.fd;
    owner.on_exit.push(() => void control.close(fd));
    return fd;
  },
  bind(fd, addr, port) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    return sk.kind === "udp" ? udp_bind(sk, addr, port) : sk.kind === "packet" ? packet_bind(sk, addr) : ping_bind(sk, port);
  },
  getsockopt(fd, level, optname) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.kind !== "packet" || level !== SOL_PACKET || optname !== PACKET_STATISTICS) return -ENOPROTOOPT;
    return packet_statistics(sk);
  },
  async sendto(fd, data, addr, port) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.kind === "packet") return -EOPNOTSUPP; // capture only: no frame injection
    return sk.kind === "udp" ? udp_sendto(sk, data, addr, port) : ping_sendto(sk, data, addr);
  },
  async recvfrom(fd, timeout_ms) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    return sock_recv(sk, timeout_ms);
  },
  close(fd) {
    const sk = sock_lookup(fd);
    if (sk === undefined) return -EBADF;
    if (sk.kind === "udp") udp_close(sk);
    else if (sk.kind === "packet") packet_close(sk);
    else ping_close(sk);
    return 0;
  },
  addr_list: () => inet_addr_list(),
  addr_add(ifname, addr, prefix) {
    const dev = dev_get_by_name(ifname);
    return dev === undefined ? -ENODEV : inet_addr_add(dev, addr, prefix);
  },
  addr_del(ifname, addr, prefix) {
    const dev = dev_get_by_name(ifname);
    return dev === undefined ? -ENODEV : inet_addr_del(dev, addr, prefix);
  },
  route_list: () => fib_list(),
  route_add(dst, prefix, gw, ifname) {
    const dev = ifname === null ? null : dev_get_by_name(ifname);
    if (dev === undefined) return -ENODEV;
    return fib_add(dst, prefix, gw, dev);
  },
  route_del: (dst, prefix) => fib_del(dst, prefix),
  neigh_list: () => neigh_list(),
  async dhcp(ifname) {
    const dev = dev_get_by_name(ifname);
    if (dev === undefined) return -ENODEV;
    if ((dev.flags & IFF_UP) === 0) return -ENETDOWN;
    return dhcp_run(dev);
  },
  snmp: () => JSON.parse(JSON.stringify(snmp.get())) as Record<string, Record<string, number>>,
};

let unsubscribe: (() => void) | null = null;

const inet_module: ModuleInfo = {
  name: "inet",
  description: "IPv4: ARP, IP, ICMP, UDP, ping sockets, DHCP client",
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
    proc_create("net/arp", show_arp);
    proc_create("net/snmp", show_snmp);
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
    for (const name of ["net/arp", "net/snmp", "net/route", "net/pnp"]) proc_remove(name);
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
