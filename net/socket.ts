import { EAGAIN, EBADF } from "../include/linux/errno.ts";
import type { Datagram } from "../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../kernel/kernel.ts";
import { init_waitqueue_head, wait_event_interruptible, wait_event_interruptible_timeout, wake_up_all, type WaitQueueHead } from "../kernel/sched/wait.ts";
import { msecs_to_jiffies } from "../kernel/time/timekeeping.ts";
import type { TcpSock } from "./ipv4/tcp_sock.ts";

/**
 * Sockets (net/socket.c, include/net/sock.h, reduced): a descriptor, its file status flags
 * (O_NONBLOCK), and for datagram and packet sockets a receive queue of datagrams (errors included,
 * as IP_RECVERR delivers them) and a wait queue. UDP and ping sockets build on this; a stream
 * socket's state is its TcpSock (`tcp`), which has its own buffers and wait queue. Sockets are
 * numbered per kernel (`fd`, from 3, never reused): the InetControl calls take that number. A process
 * reaches a socket through a descriptor in its own table (kernel/fs/sockfs.ts), which the system-call
 * layer translates; its last close closes the socket.
 */
export const SK_RCVQ_MAX = 64;

export type SockKind = "udp" | "ping" | "packet" | "tcp";

export class Sock {
  readonly fd: number;
  readonly kind: SockKind;
  /** UDP: local port. Ping: the ICMP identifier. 0 until bound. */
  port = 0;
  /** Bound local address (0 = any); packet sockets: the bound ifindex (0 = all). */
  addr = 0;
  readonly rxq: Datagram[] = [];
  readonly wq: WaitQueueHead = init_waitqueue_head("sk_wq");
  closed = false;
  /** Datagrams dropped because the queue was full. */
  drops = 0;
  /** Packet sockets: frames offered to this socket (queued or dropped). */
  rx_packets = 0;
  /** File status flags (fcntl F_GETFL/F_SETFL): O_NONBLOCK. */
  f_flags = 0;
  /** Stream sockets: the connection. */
  tcp: TcpSock | null = null;

  constructor(fd: number, kind: SockKind) {
    this.fd = fd;
    this.kind = kind;
  }
}

class SocketTable {
  readonly socks = new Map<number, Sock>();
  next_fd = 3;
}
const table = DEFINE_PER_KERNEL(() => new SocketTable());

export function sock_alloc(kind: SockKind): Sock {
  const t = table.get();
  const sk = new Sock(t.next_fd++, kind);
  t.socks.set(sk.fd, sk);
  return sk;
}

export function sock_lookup(fd: number): Sock | undefined {
  return table.get().socks.get(fd);
}

export function sock_release(sk: Sock): void {
  sk.closed = true;
  table.get().socks.delete(sk.fd);
  wake_up_all(sk.wq);
}

export function sock_count(): number {
  return table.get().socks.size;
}

/** Queue a datagram for the reader (dropped and counted when the queue is full). Any context. */
export function sock_queue_rcv(sk: Sock, d: Datagram): boolean {
  if (sk.closed || sk.rxq.length >= SK_RCVQ_MAX) {
    sk.drops++;
    return false;
  }
  sk.rxq.push(d);
  wake_up_all(sk.wq);
  return true;
}

/**
 * Take the next datagram, waiting up to `timeout_ms` (null = no limit). Returns -EAGAIN when the
 * time runs out, -ERESTARTSYS on a signal, -EBADF when the socket is closed. Process context.
 */
export async function sock_recv(sk: Sock, timeout_ms: number | null): Promise<Datagram | number> {
  const ready = (): boolean => sk.rxq.length > 0 || sk.closed;
  if (!ready()) {
    if (timeout_ms === 0) return -EAGAIN;
    const r = timeout_ms === null ? await wait_event_interruptible(sk.wq, ready) : await wait_event_interruptible_timeout(sk.wq, ready, msecs_to_jiffies(timeout_ms));
    if (r < 0) return r;
    if (!ready()) return -EAGAIN;
  }
  if (sk.closed) return -EBADF;
  return sk.rxq.shift()!;
}

