import { createSocket, type Socket } from "node:dgram";
import type { VirtualClock } from "../clock.ts";
import type { Tracer } from "../trace.ts";
import { NET_BUFSIZE, SocketBackend } from "./netdev_socket.ts";

/**
 * QEMU's `-netdev dgram` over UDP (and the legacy `socket,udp=…,localaddr=…`): one Ethernet frame
 * per datagram, no length prefix, no FCS (net/dgram.c). The local address is bound; frames go to
 * the remote address. A remote multicast group puts several machines on one segment (with
 * multicast loopback on, as QEMU sets it). AF_UNIX datagram sockets are not available in Node.
 */
export class DgramBackend extends SocketBackend {
  readonly local: { host: string; port: number };
  readonly remote: { host: string; port: number };
  private sock: Socket | null = null;
  /** connect_remote() was done: the kernel takes datagrams from the remote address only. */
  private peer_connected = false;

  constructor(id: string, clock: VirtualClock, tracer: Tracer, kick: () => void, local: { host: string; port: number }, remote: { host: string; port: number }) {
    super(id, clock, tracer, kick);
    this.local = local;
    this.remote = remote;
  }

  where(): string {
    return `dgram udp ${this.local.host}:${this.local.port} -> ${this.remote.host}:${this.remote.port}`;
  }

  connected(): boolean {
    return this.sock !== null;
  }

  start(): Promise<string | null> {
    const multicast = /^2(2[4-9]|3\d)\./.test(this.remote.host);
    const s = createSocket({ type: "udp4", reuseAddr: multicast });
    s.on("message", (msg: Buffer) => {
      if (msg.length > NET_BUFSIZE) {
        this.stats.oversize++;
        return;
      }
      this.enqueue(msg); // a fresh buffer per datagram: ours to keep
    });
    return new Promise((resolve) => {
      s.once("error", (e) => resolve(`-netdev ${this.id}: cannot bind ${this.local.host}:${this.local.port}: ${e.message}`));
      s.bind(this.local.port, multicast ? undefined : this.local.host, () => {
        s.removeAllListeners("error");
        this.local.port = s.address().port; // port 0 asks for any free one: name the one bound
        s.on("error", (e) => this.warn(`socket error: ${e.message}`));
        try {
          if (multicast) {
            s.addMembership(this.remote.host);
            s.setMulticastLoopback(true);
          }
        } catch (e) {
          resolve(`-netdev ${this.id}: cannot join ${this.remote.host}: ${(e as Error).message}`);
          return;
        }
        this.sock = s;
        this.stats.connects++;
        this.set_carrier(true);
        this.kick();
        resolve(null);
      });
    });
  }

  stop(): void {
    this.sock?.close();
    this.sock = null;
    this.peer_connected = false;
  }

  /**
   * Connect the bound socket to `remote` (connect(2) on a UDP socket): from then on the kernel
   * drops datagrams from any other sender, so no other local process can put frames on this wire.
   * Host context, after start(). Null, or one error line.
   */
  protected connect_remote(): Promise<string | null> {
    const s = this.sock;
    if (s === null) return Promise.resolve(`-netdev ${this.id}: not bound`);
    return new Promise((resolve) => {
      try {
        s.connect(this.remote.port, this.remote.host, () => {
          this.peer_connected = true;
          resolve(null);
        });
      } catch (e) {
        resolve(`-netdev ${this.id}: cannot connect to ${this.remote.host}:${this.remote.port}: ${(e as Error).message}`);
      }
    });
  }

  /** The send completes later, after the NIC has reused its buffer: send a copy. */
  protected send(frame: Uint8Array, len: number): void {
    const copy = Buffer.from(frame.subarray(0, len));
    if (this.peer_connected) this.sock!.send(copy);
    else this.sock!.send(copy, this.remote.port, this.remote.host);
  }
}
