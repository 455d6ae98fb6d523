/**
 * The host's sockets from Node (node:net, node:dgram) for the user network's NAT (host_net.ts).
 *
 * Every socket is unref()'d: an open NAT connection never keeps Node alive after the machine has
 * stopped. Instead the run loop is told about them: `on_ref` when a socket opens and `on_unref`
 * when it closes (boot/ counts them in World.external_sources, so an idle machine waits for their
 * input rather than stopping), and `kick` after every callback that handed something to the
 * machine (wake the loop). TCP sockets allow half-open connections (a FIN each way on its own)
 * and have Nagle off: the NAT already coalesces what the guest sends.
 *
 * Nothing thrown by a callback reaches Node's event loop: it is caught and counted in `failures`.
 */
import { createConnection, createServer, type Socket } from "node:net";
import { createSocket, type Socket as DgramSocket } from "node:dgram";
import { inet_aton, inet_ntoa } from "../../include/uapi/in.ts";
import { type HostNet, type HostTcpAccept, type HostTcpEvents, type HostTcpHandle, type HostTcpListener, type HostUdpEvents, type HostUdpSocket } from "./host_net.ts";

/** A peer's address as Node reports it (dotted quad, or IPv4-mapped "::ffff:a.b.c.d"), or null. */
function ip_parse(text: string): number | null {
  return inet_aton(text.replace(/^::ffff:/i, ""));
}

export interface NodeHostNetOptions {
  /** A socket opened (the run loop should wait for its input) … */
  on_ref?: () => void;
  /** … and closed. */
  on_unref?: () => void;
  /** Something was handed to the machine: wake the run loop. */
  kick?: () => void;
}

export interface NodeHostNet extends HostNet {
  /** Callbacks that threw (their exception was swallowed). */
  failures: number;
  /** Sockets open now (TCP connections, listeners, UDP sockets). */
  open(): number;
  /** Close everything (the machine stops). */
  close_all(): void;
}

/** Node's error code for an error, or a generic one. */
function code_of(e: unknown): string {
  const c = (e as NodeJS.ErrnoException | null)?.code;
  return typeof c === "string" ? c : "EIO";
}

export function node_host_net(opts: NodeHostNetOptions = {}): NodeHostNet {
  const live = new Set<{ close(): void }>();
  const net: NodeHostNet = {
    failures: 0,
    open: () => live.size,
    close_all: () => {
      for (const s of [...live]) s.close();
    },
    tcp_connect,
    tcp_listen,
    udp_open,
    udp_bind,
  };

  /** Run `fn` from a Node callback: nothing may escape, and the loop is woken. */
  const settle = (fn: () => void): void => {
    try {
      fn();
    } catch {
      net.failures++;
    }
    opts.kick?.();
  };

  /** Count a socket as open (on_ref) until done() (on_unref, once); close() closes it. */
  const track = (close: () => void): { close(): void; done(): void } => {
    let open = true;
    const entry = {
      close,
      done: () => {
        if (!open) return;
        open = false;
        live.delete(entry);
        opts.on_unref?.();
      },
    };
    live.add(entry);
    opts.on_ref?.();
    return entry;
  };

  /** Wire a connected (or connecting) socket to `ev`; the handle the NAT holds. */
  function wrap(s: Socket, get_ev: () => HostTcpEvents | null): HostTcpHandle {
    let err: string | null = null;
    const t = track(() => s.destroy());
    s.unref();
    s.setNoDelay(true);
    s.on("data", (b: Buffer) => {
      const ev = get_ev();
      if (ev !== null) settle(() => ev.data(b));
    });
    s.on("end", () => {
      const ev = get_ev();
      if (ev !== null) settle(() => ev.end());
    });
    s.on("drain", () => {
      const ev = get_ev();
      if (ev !== null) settle(() => ev.drain());
    });
    s.on("error", (e) => {
      err ??= code_of(e);
    });
    s.on("close", () => {
      t.done();
      const ev = get_ev();
      if (ev !== null) settle(() => ev.closed(err));
    });
    return {
      write: (bytes) => {
        if (!s.destroyed && s.writable) s.write(bytes);
      },
      backlog: () => (s.destroyed ? 0 : s.writableLength),
      end: () => {
        if (!s.destroyed) s.end();
      },
      destroy: (reset) => {
        if (s.destroyed) return;
        try {
          // A reset (SO_LINGER 0: the host peer sees ECONNRESET, as slirp's RST gives it) only when
          // no shutdown or write is pending: libuv's uv_tcp_close_reset with a pending shutdown
          // request never finishes closing, and Node then spins at exit waiting for the handle.
          if (reset && !s.writableEnded && s.writableLength === 0) s.resetAndDestroy();
          else s.destroy();
        } catch {
          s.destroy();
        }
      },
      pause: () => {
        s.pause();
      },
      resume: () => {
        if (!s.destroyed) s.resume();
      },
    };
  }

  function tcp_connect(addr: number, port: number, ev: HostTcpEvents): HostTcpHandle {
    let s: Socket;
    try {
      s = createConnection({ host: inet_ntoa(addr), port, allowHalfOpen: true });
    } catch (e) {
      // An address or port Node refuses outright: the connect fails, later (never inside the call).
      const code = code_of(e);
      queueMicrotask(() => settle(() => ev.closed(code === "ERR_SOCKET_BAD_PORT" ? "ECONNREFUSED" : code)));
      return { write: () => {}, backlog: () => 0, end: () => {}, destroy: () => {}, pause: () => {}, resume: () => {} };
    }
    s.on("connect", () => settle(() => ev.connected()));
    return wrap(s, () => ev);
  }

  function tcp_listen(addr: number, port: number, accept: HostTcpAccept): Promise<HostTcpListener | string> {
    return new Promise((resolve) => {
      const srv = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => {
        let ev: HostTcpEvents | null = null;
        const peer = ip_parse(s.remoteAddress ?? "") ?? 0;
        const h = wrap(s, () => ev);
        settle(() => {
          ev = accept(h, peer, s.remotePort ?? 0);
          if (ev === null) s.destroy();
        });
      });
      let listening = false;
      const t = track(() => srv.close());
      srv.unref();
      srv.on("close", () => t.done());
      srv.on("error", (e) => {
        if (listening) return; // an accept() that failed: the listener stays
        t.done();
        resolve(code_of(e));
      });
      try {
        srv.listen({ host: inet_ntoa(addr), port, exclusive: true }, () => {
          listening = true;
          const a = srv.address();
          resolve({ port: typeof a === "object" && a !== null ? a.port : port, close: () => srv.close() });
        });
      } catch (e) {
        t.done();
        resolve(code_of(e));
      }
    });
  }

  function udp(ev: HostUdpEvents): { s: DgramSocket; h: HostUdpSocket } {
    const s = createSocket({ type: "udp4" });
    s.unref();
    let closed = false;
    const t = track(() => {
      if (!closed) {
        closed = true;
        s.close();
      }
    });
    s.on("message", (msg, rinfo) => {
      const from = ip_parse(rinfo.address);
      if (from !== null) settle(() => ev.datagram(msg, from, rinfo.port));
    });
    s.on("error", () => {
      // A send the host refused (ICMP port unreachable on Linux, EACCES for a broadcast …): dropped.
    });
    s.on("close", () => {
      closed = true;
      t.done();
    });
    const h: HostUdpSocket = {
      send: (bytes, addr, port) => {
        if (closed) return;
        try {
          s.send(bytes, port, inet_ntoa(addr));
        } catch {
          // A port Node refuses (0), or the socket went away: dropped.
        }
      },
      local_port: () => {
        try {
          return s.address().port;
        } catch {
          return 0; // not bound yet
        }
      },
      close: () => t.close(),
    };
    return { s, h };
  }

  function udp_open(ev: HostUdpEvents): HostUdpSocket {
    return udp(ev).h;
  }

  function udp_bind(addr: number, port: number, ev: HostUdpEvents): Promise<HostUdpSocket | string> {
    return new Promise((resolve) => {
      const { s, h } = udp(ev);
      let bound = false;
      s.once("error", (e) => {
        if (!bound) {
          h.close();
          resolve(code_of(e));
        }
      });
      try {
        s.bind({ address: inet_ntoa(addr), port, exclusive: true }, () => {
          bound = true;
          resolve(h);
        });
      } catch (e) {
        h.close();
        resolve(code_of(e));
      }
    });
  }

  return net;
}
