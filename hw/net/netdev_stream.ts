import { createConnection, createServer, type Server, type Socket } from "node:net";
import { existsSync, unlinkSync } from "node:fs";
import { host_strerror } from "./host_errno.ts";
import type { VirtualClock } from "../clock.ts";
import type { Tracer } from "../trace.ts";
import { NET_BUFSIZE, SocketBackend } from "./netdev_socket.ts";
import { StreamRecordParser } from "./stream_framing.ts";

/**
 * QEMU's `-netdev stream` (and the legacy `socket,listen=/connect=`): a byte stream over TCP or a
 * UNIX socket in which each frame is a 4-byte big-endian length followed by that many bytes of
 * Ethernet frame (no FCS). Records may be split or merged across reads and are reassembled. A
 * length over 69632 or a connection that ends mid-record closes that connection with a log line.
 * As a server it accepts one peer at a time and the next one after it leaves; as a client it
 * retries until the peer is there and reconnects after a drop. While not connected the link is
 * down and transmitted frames are dropped, as in QEMU (net/stream.c, net/stream_data.c).
 * passt speaks the same framing on its UNIX socket.
 */
export interface StreamAddress {
  type: "inet" | "unix";
  host?: string;
  port?: number;
  path?: string;
}

export class StreamBackend extends SocketBackend {
  readonly server_mode: boolean;
  readonly addr: StreamAddress;
  readonly reconnect_ms: number;
  private server: Server | null = null;
  private sock: Socket | null = null;
  /** Peers that connected while another was attached (server mode). */
  private readonly waiting: Socket[] = [];
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  /** The last connect failure was reported (once per outage, not once per retry). */
  private connect_failure_reported = false;
  /** Reassembly of records split or merged across reads. */
  private readonly reassembly = new StreamRecordParser(NET_BUFSIZE);

  constructor(id: string, clock: VirtualClock, tracer: Tracer, kick: () => void, server: boolean, addr: StreamAddress, reconnect_ms = 1000) {
    super(id, clock, tracer, kick);
    this.server_mode = server;
    this.addr = addr;
    this.reconnect_ms = reconnect_ms;
  }

  where(): string {
    const where = this.addr.type === "unix" ? this.addr.path : `${this.addr.host}:${this.addr.port}`;
    return `stream ${this.server_mode ? "server" : "client"} ${this.addr.type}:${where} ${this.sock ? "connected" : "not connected"}`;
  }

  connected(): boolean {
    return this.sock !== null;
  }

  start(): Promise<string | null> {
    this.set_carrier(false);
    if (!this.server_mode) {
      this.connect();
      return Promise.resolve(null);
    }
    return new Promise((resolve) => {
      const where = this.addr.type === "unix" ? this.addr.path! : `${this.addr.host}:${this.addr.port}`;
      // A stale socket file from an earlier run would make bind fail (QEMU removes it too).
      if (this.addr.type === "unix" && existsSync(where)) unlinkSync(where);
      const srv = createServer((s) => this.accept(s));
      srv.once("error", (e) => resolve(`-netdev ${this.id}: cannot listen on ${where}: ${e.message}`));
      srv.once("listening", () => {
        srv.on("error", (e) => this.warn(`server error: ${e.message}`));
        this.log(`listening on ${where}`);
        resolve(null);
      });
      this.server = srv;
      if (this.addr.type === "unix") srv.listen(where);
      else srv.listen(this.addr.port, this.addr.host);
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.retry !== null) clearTimeout(this.retry);
    this.sock?.destroy();
    for (const w of this.waiting.splice(0)) w.destroy();
    this.server?.close();
  }

  private connect(): void {
    if (this.stopped) return;
    const s = this.addr.type === "unix" ? createConnection(this.addr.path!) : createConnection(this.addr.port!, this.addr.host);
    s.once("connect", () => {
      if (this.connect_failure_reported) this.warn(`connected to ${this.peer_address()}`);
      this.connect_failure_reported = false;
      this.attach(s);
    });
    s.once("error", (e: NodeJS.ErrnoException) => {
      s.destroy();
      if (!this.connect_failure_reported && !this.stopped) {
        // QEMU gives up here ("Failed to connect to …"); this client keeps trying, so a peer started
        // later is found, but the user hears why the link is down, once per outage.
        this.connect_failure_reported = true;
        this.warn(`cannot connect to ${this.peer_address()}: ${host_strerror(e)}; link down, retrying every ${this.reconnect_ms} ms`);
      }
      if (this.sock === null) this.schedule_retry();
    });
  }

  private peer_address(): string {
    return this.addr.type === "unix" ? this.addr.path! : `${this.addr.host}:${this.addr.port}`;
  }

  /**
   * Retry on the host's timer, not the machine's clock: reaching a host socket is host business,
   * and the machine may be idle (or its clock far ahead in time) while we wait for the peer.
   */
  private schedule_retry(): void {
    if (this.stopped || this.retry !== null) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect();
    }, this.reconnect_ms);
  }

  /**
   * One peer at a time. QEMU stops accepting while a peer is connected, so a second one waits in
   * the listen backlog; here it waits paused (its bytes stay unread) until the first one leaves.
   */
  private accept(s: Socket): void {
    if (this.sock === null) {
      this.attach(s);
      return;
    }
    s.pause();
    s.on("error", () => {});
    s.once("close", () => {
      const i = this.waiting.indexOf(s);
      if (i >= 0) this.waiting.splice(i, 1);
    });
    this.waiting.push(s);
  }

  private attach(s: Socket): void {
    this.sock = s;
    this.reassembly.reset();
    this.stats.connects++;
    s.setNoDelay(true);
    s.on("data", (d: Buffer) => this.input(d));
    s.resume();
    s.on("close", () => this.detach(s));
    s.on("error", () => {});
    this.log(`connected (${this.server_mode ? "accepted a peer" : "to the server"})`);
    this.set_carrier(true);
    this.kick();
  }

  /** The peer closed the connection (or it broke). */
  private detach(s: Socket): void {
    if (this.sock !== s) return;
    if (this.reassembly.pending()) {
      this.stats.truncated++;
      this.warn("connection closed in the middle of a record: partial frame dropped");
    }
    this.drop_peer();
  }

  /** Forget the current peer, whoever ended it: link down, then reconnect or take the next one. */
  private drop_peer(): void {
    const s = this.sock!;
    this.sock = null;
    this.reassembly.reset();
    this.stats.disconnects++;
    this.log("disconnected");
    this.set_carrier(false);
    this.kick();
    s.destroy();
    this.next_peer();
  }

  /** After a peer is gone: a client reconnects, a server takes the next waiting peer. */
  private next_peer(): void {
    if (!this.server_mode) {
      this.schedule_retry();
      return;
    }
    const s = this.waiting.shift();
    if (s !== undefined) this.attach(s);
  }

  /** Records from a chunk of the stream (Node gives every read a fresh buffer and never reuses it). */
  private input(d: Buffer): void {
    const bad = this.reassembly.feed(d, (f) => this.enqueue(f));
    if (bad !== null) {
      this.stats.oversize++;
      this.warn(`oversized packet: record length ${bad} > ${NET_BUFSIZE}; closing the connection`);
      this.drop_peer();
    }
  }

  protected send(frame: Uint8Array, len: number): void {
    const b = Buffer.allocUnsafe(4 + len);
    b.writeUInt32BE(len, 0);
    b.set(frame.subarray(0, len), 4);
    this.sock!.write(b);
  }
}

