/**
 * The host's sockets as the user network's NAT sees them (what libslirp reaches through the host's
 * BSD sockets in socket.c / tcp_subr.c / udp.c). The board injects one: boot/ builds the Node one
 * (host_net_node.ts: node:net and node:dgram), tests pass the in-memory one (slirp_fake.ts). A user
 * network without a HostNet has no NAT: guest traffic to other hosts goes unanswered.
 *
 * Addresses are IPv4 numbers in host order (0x7f000001 is 127.0.0.1), ports plain numbers.
 *
 * Context: every callback runs on the host's side of the machine (a Node I/O callback, or a clock
 * event of the fake), never inside a CPU slice, and may call back into the handle that raised it.
 * Callbacks must not throw (the Node implementation catches and counts what does).
 *
 * Ownership: bytes handed to write()/send() belong to the handle from then on (it may keep them
 * until the host has taken them: the caller must not reuse the buffer); bytes handed to data() or
 * datagram() belong to the receiver.
 */

/** What a host TCP connection tells its owner (the NAT's connection). */
export interface HostTcpEvents {
  /** tcp_connect() only: the connection is up. */
  connected(): void;
  /** Bytes from the host's peer, in order. */
  data(bytes: Uint8Array): void;
  /** The host's peer sends no more (its FIN). */
  end(): void;
  /** The write backlog (HostTcpHandle.backlog) went down to zero after having grown. */
  drain(): void;
  /**
   * The connection is gone; called once, last. `err` is null after an orderly close, else an errno
   * name: ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ETIMEDOUT (connect failed), ECONNRESET (the
   * peer reset), or another one the host reported.
   */
  closed(err: string | null): void;
}

/** One host TCP connection. */
export interface HostTcpHandle {
  /** Queue bytes for the host's peer (ownership passes). Ignored after end()/destroy(). */
  write(bytes: Uint8Array): void;
  /** Bytes written that the host has not taken yet (the write side's back-pressure). */
  backlog(): number;
  /** Shut the write side once the backlog is written (a FIN to the host's peer). */
  end(): void;
  /** Drop the connection at once: with `reset`, the peer sees an RST; otherwise a close. */
  destroy(reset: boolean): void;
  /** Stop reading from the host's peer (its data waits in the host's buffers) … */
  pause(): void;
  /** … and start again. */
  resume(): void;
}

export interface HostTcpListener {
  /** The port actually bound (the one asked for, or the one the host chose for port 0). */
  readonly port: number;
  close(): void;
}

/**
 * A connection the host accepted on a listener: the owner attaches its events (or refuses it by
 * returning null, and the connection is closed). An accepted handle starts paused.
 */
export type HostTcpAccept = (handle: HostTcpHandle, peer_addr: number, peer_port: number) => HostTcpEvents | null;

/** What a host UDP socket tells its owner. */
export interface HostUdpEvents {
  datagram(bytes: Uint8Array, from_addr: number, from_port: number): void;
}

export interface HostUdpSocket {
  /** Send one datagram (ownership passes). Errors are the host's business and are dropped. */
  send(bytes: Uint8Array, addr: number, port: number): void;
  /** The port it is bound to (0 while an unbound socket has sent nothing). */
  local_port(): number;
  close(): void;
}

export interface HostNet {
  /** Connect to addr:port; the result arrives through `ev` (connected, or closed with an errno name). */
  tcp_connect(addr: number, port: number, ev: HostTcpEvents): HostTcpHandle;
  /** Listen on addr:port (addr 0: every address). Resolves to the listener or an errno name. */
  tcp_listen(addr: number, port: number, accept: HostTcpAccept): Promise<HostTcpListener | string>;
  /** An unbound UDP socket: the host picks its port on the first send (one per guest source port). */
  udp_open(ev: HostUdpEvents): HostUdpSocket;
  /** A UDP socket bound to addr:port. Resolves to it or an errno name. */
  udp_bind(addr: number, port: number, ev: HostUdpEvents): Promise<HostUdpSocket | string>;
}

export const INADDR_ANY = 0;
export const INADDR_LOOPBACK = 0x7f000001;

/** 127.0.0.0/8. */
export function is_loopback(addr: number): boolean {
  return addr >>> 24 === 127;
}
