/**
 * The stream-socket calls as the system calls reach them: listen backlog and its overflow,
 * non-blocking accept/connect/recv, poll over several descriptors, recv flags, shutdown, close
 * with unread data, binding rules, names, and socket options.
 */
import { describe, expect, it } from "vitest";
import { EAGAIN, EADDRINUSE, EALREADY, EINPROGRESS, EINVAL, ENOPROTOOPT, ENOTCONN, ECONNREFUSED, ECONNRESET, EISCONN, EPIPE } from "../../include/linux/errno.ts";
import { F_GETFL, F_SETFL, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK, MSG_WAITALL, O_NONBLOCK, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, type PollFd, SHUT_WR, SO_ERROR, SO_KEEPALIVE, SO_RCVBUF, SO_REUSEADDR, SO_SNDBUF, SO_TYPE, SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET, SOL_TCP, TCP_MAXSEG, TCP_NODELAY } from "../../include/uapi/in.ts";
import { TCP_ESTABLISHED, TCP_SYN_SENT } from "../../net/ipv4/tcp_sock.ts";
import { ProcessExit } from "../../kernel/process.ts";
import { get_current } from "../../kernel/sched/core.ts";
import { syscalls_for } from "../../kernel/syscalls.ts";
import { connected, pattern, read_all, same_bytes, states, syscalls_poll, tcp_listen, tcp_pair, tcp_socket, X_IP, Y_IP, type Host, type Pair } from "./tcp_harness.ts";

/** A poll() as the system call does it, run in a task on `h` (fd 0 is not used here). */
async function poll_in(p: Pair, h: Host, fds: PollFd[], timeout_ms: number): Promise<number> {
  const t = h.spawn(() => syscalls_poll(h, fds, timeout_ms));
  await p.until(() => t.done, 100e9);
  return t.value!;
}

describe("listen and accept", () => {
  it("backlog 1 keeps two connections for accept(); more SYNs are dropped (ListenOverflows) until accept() makes room", async () => {
    const p = await tcp_pair();
    const lfd = tcp_listen(p.y, 5000, 1);
    const fds = [0, 1, 2, 3].map(() => tcp_socket(p.x));
    const cons = fds.map((fd) => p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 5000)));
    // One handshake at a time may be pending (no SYN cookies): the others' SYNs are dropped
    // (TCPReqQFullDrop) and come again after 1 s, 3 s …; once two wait in the accept queue
    // (backlog + 1), further SYNs are dropped as ListenOverflows.
    await p.step(3.5e9);
    expect(cons.filter((c) => c.done).length).toBe(2);
    expect(states(p.x).filter((s) => s === TCP_SYN_SENT).length).toBe(2);
    expect(p.y.socks().find((s) => s.sport === 5000 && s.dport === 0)!.accept_queue.length).toBe(2);
    const ext = p.y.ext();
    expect(ext.TCPReqQFullDrop).toBeGreaterThanOrEqual(2);
    expect(ext.ListenOverflows).toBeGreaterThanOrEqual(2);
    expect(ext.ListenDrops).toBe(ext.ListenOverflows + ext.TCPReqQFullDrop);
    // ss/netstat's Recv-Q for a listener: the accept queue.
    expect(p.y.ctl().inet_diag()).toContainEqual(expect.objectContaining({ sport: 5000, rqueue: 2, wqueue: 1 }));
    const acc = p.y.spawn(async () => {
      const got = [];
      for (let i = 0; i < 4; i++) got.push(await p.y.ctl().accept(p.y.owner, lfd, 0));
      return got;
    });
    await p.until(() => acc.done && cons.every((c) => c.done), 30e9);
    expect(cons.map((c) => c.value)).toEqual([0, 0, 0, 0]);
    expect(acc.value!.map((a) => (typeof a === "object" ? a.addr : a))).toEqual([X_IP, X_IP, X_IP, X_IP]);
    expect(p.x.mib().RetransSegs).toBeGreaterThanOrEqual(2); // the dropped SYNs came again after 1 s
  });

  it("non-blocking accept says EAGAIN; poll() reports POLLIN on the listener once a connection waits", async () => {
    const p = await tcp_pair();
    const lfd = tcp_listen(p.y, 5000);
    expect(p.y.ctl().fcntl(lfd, F_SETFL, O_NONBLOCK)).toBe(0);
    expect(p.y.ctl().fcntl(lfd, F_GETFL) & O_NONBLOCK).toBe(O_NONBLOCK);
    const a0 = p.y.spawn(() => p.y.ctl().accept(p.y.owner, lfd, 0));
    await p.until(() => a0.done);
    expect(a0.value).toBe(-EAGAIN);
    const fds: PollFd[] = [{ fd: lfd, events: POLLIN, revents: 0 }];
    expect(await poll_in(p, p.y, fds, 0)).toBe(0);
    const cfd = tcp_socket(p.x);
    const pr = p.y.spawn(() => syscalls_poll(p.y, fds, 5000));
    p.x.spawn(() => p.x.ctl().connect(cfd, Y_IP, 5000));
    await p.until(() => pr.done);
    expect(pr.value).toBe(1);
    expect(fds[0]!.revents).toBe(POLLIN);
    const a1 = p.y.spawn(() => p.y.ctl().accept(p.y.owner, lfd, SOCK_NONBLOCK));
    await p.until(() => a1.done);
    const c = a1.value as { fd: number; addr: number; port: number };
    expect(c.addr).toBe(X_IP);
    expect(p.y.ctl().fcntl(c.fd, F_GETFL) & O_NONBLOCK).toBe(O_NONBLOCK); // accept4(SOCK_NONBLOCK)
  });
});

describe("non-blocking and poll", () => {
  it("connect: EINPROGRESS, EALREADY, POLLOUT when established, SO_ERROR 0, then 0 and EISCONN", async () => {
    const p = await tcp_pair();
    tcp_listen(p.y, 5000);
    const fd = tcp_socket(p.x, SOCK_STREAM | SOCK_NONBLOCK);
    const c1 = p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 5000));
    const c2 = p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 5000));
    await p.until(() => c1.done && c2.done);
    expect([c1.value, c2.value]).toEqual([-EINPROGRESS, -EALREADY]);
    const fds: PollFd[] = [{ fd, events: POLLOUT, revents: 0 }];
    expect(await poll_in(p, p.x, fds, 1000)).toBe(1);
    expect(fds[0]!.revents).toBe(POLLOUT);
    expect(p.x.ctl().getsockopt(fd, SOL_SOCKET, SO_ERROR)).toBe(0);
    const c3 = p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 5000));
    const c4 = p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 5000));
    await p.until(() => c3.done && c4.done);
    expect([c3.value, c4.value]).toEqual([0, -EISCONN]);
  });

  it("a refused non-blocking connect shows POLLERR|POLLHUP, SO_ERROR ECONNREFUSED (read once)", async () => {
    const p = await tcp_pair();
    const fd = tcp_socket(p.x, SOCK_STREAM | SOCK_NONBLOCK);
    const c = p.x.spawn(() => p.x.ctl().connect(fd, Y_IP, 5999));
    await p.until(() => c.done);
    expect(c.value).toBe(-EINPROGRESS);
    const fds: PollFd[] = [{ fd, events: POLLOUT, revents: 0 }];
    expect(await poll_in(p, p.x, fds, 1000)).toBe(1);
    expect(fds[0]!.revents & (POLLERR | POLLHUP)).toBe(POLLERR | POLLHUP);
    expect(p.x.ctl().getsockopt(fd, SOL_SOCKET, SO_ERROR)).toBe(ECONNREFUSED);
    expect(p.x.ctl().getsockopt(fd, SOL_SOCKET, SO_ERROR)).toBe(0);
  });

  it("recv: EAGAIN when non-blocking or MSG_DONTWAIT; MSG_PEEK leaves the bytes; MSG_WAITALL waits for all", async () => {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p);
    const buf = new Uint8Array(100);
    const r1 = p.y.spawn(() => p.y.ctl().recv(sfd, buf, MSG_DONTWAIT));
    await p.until(() => r1.done);
    expect(r1.value).toBe(-EAGAIN);
    const w = p.x.spawn(() => p.x.ctl().send(cfd, pattern(30)));
    await p.until(() => w.done);
    await p.step(5e6);
    const peek = p.y.spawn(() => p.y.ctl().recv(sfd, buf, MSG_PEEK));
    await p.until(() => peek.done);
    expect(peek.value).toBe(30);
    const all = p.y.spawn(() => p.y.ctl().recv(sfd, buf.subarray(0, 50), MSG_WAITALL));
    await p.step(5e6);
    expect(all.done).toBe(false); // 30 of 50
    p.x.spawn(() => p.x.ctl().send(cfd, pattern(20, 1)));
    await p.until(() => all.done);
    expect(all.value).toBe(50);
    expect(buf.subarray(0, 30)).toEqual(pattern(30));
  });

  it("poll over several descriptors wakes on the one that became readable, and times out on the virtual clock", async () => {
    const p = await tcp_pair();
    const a = await connected(p, 5000);
    const b = await connected(p, 5001);
    const fds: PollFd[] = [
      { fd: a.sfd, events: POLLIN, revents: 0 },
      { fd: b.sfd, events: POLLIN, revents: 0 },
    ];
    const t0 = p.world.clock.now_ns();
    expect(await poll_in(p, p.y, fds, 250)).toBe(0);
    expect(Math.round((p.world.clock.now_ns() - t0) / 1e6)).toBe(250);
    const pr = p.y.spawn(() => syscalls_poll(p.y, fds, -1));
    await p.step(10e6);
    expect(pr.done).toBe(false);
    p.x.spawn(() => p.x.ctl().send(b.cfd, pattern(5)));
    await p.until(() => pr.done);
    expect(pr.value).toBe(1);
    expect(fds.map((f) => f.revents)).toEqual([0, POLLIN]);
    // The peer's FIN: readable (EOF) and POLLRDHUP.
    p.x.ctl().shutdown(a.cfd, SHUT_WR);
    await p.step(5e6);
    expect(await poll_in(p, p.y, fds, 0)).toBe(2);
    expect(fds[0]!.revents).toBe(POLLIN);
    const f2: PollFd[] = [{ fd: a.sfd, events: POLLIN | POLLRDHUP, revents: 0 }];
    await poll_in(p, p.y, f2, 0);
    expect(f2[0]!.revents).toBe(POLLIN | POLLRDHUP);
  });
});

describe("shutdown and close", () => {
  it("SHUT_WR: the peer reads the end of the stream and can still answer; sending again is EPIPE", async () => {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p);
    const w = p.x.spawn(() => p.x.ctl().send(cfd, pattern(1000)));
    await p.until(() => w.done);
    expect(p.x.ctl().shutdown(cfd, SHUT_WR)).toBe(0);
    const r = p.y.spawn(() => read_all(p.y.ctl(), sfd));
    await p.until(() => r.done);
    expect(r.value!.data).toEqual(pattern(1000));
    expect(r.value!.end).toBe(0);
    const back = p.y.spawn(() => p.y.ctl().send(sfd, pattern(500, 3)));
    const got = p.x.spawn(() => read_all(p.x.ctl(), cfd, 500));
    await p.until(() => back.done && got.done);
    expect(got.value!.data).toEqual(pattern(500, 3));
    const again = p.x.spawn(() => p.x.ctl().send(cfd, pattern(10)));
    await p.until(() => again.done);
    expect(again.value).toBe(-EPIPE);
  });

  it("a send on a connection shut for writing raises SIGPIPE (the process ends, 128+13) unless MSG_NOSIGNAL", async () => {
    const p = await tcp_pair();
    const { cfd } = await connected(p);
    p.x.ctl().shutdown(cfd, SHUT_WR);
    const quiet = p.x.spawn(() => p.x.k(() => syscalls_for(get_current()!)).send(cfd, pattern(10), MSG_NOSIGNAL));
    await p.until(() => quiet.done);
    expect(quiet.value).toBe(-EPIPE);
    const loud = p.x.spawn(() => p.x.k(() => syscalls_for(get_current()!)).send(cfd, pattern(10)));
    await p.until(() => loud.done);
    expect(loud.error).toBeInstanceOf(ProcessExit);
    expect((loud.error as ProcessExit).code).toBe(141);
  });

  it("closing with unread data aborts with a RST (TCPAbortOnClose); the peer sees ECONNRESET", async () => {
    const p = await tcp_pair();
    const { cfd, sfd } = await connected(p);
    const w = p.x.spawn(() => p.x.ctl().send(cfd, pattern(100)));
    await p.until(() => w.done);
    await p.step(5e6);
    p.y.ctl().close(sfd);
    expect(p.y.ext().TCPAbortOnClose).toBe(1);
    expect(p.y.mib().OutRsts).toBe(1);
    const r = p.x.spawn(() => p.x.ctl().recv(cfd, new Uint8Array(10)));
    await p.until(() => r.done);
    expect(r.value).toBe(-ECONNRESET);
    expect(p.x.mib().EstabResets).toBe(1);
    expect(states(p.x)).toEqual([]); // closed, still held by its descriptor but out of the tables
  });

  it("closing a listener resets connections nobody accepted", async () => {
    const p = await tcp_pair();
    const { cfd, lfd } = await connected(p);
    const fd2 = tcp_socket(p.x);
    const c = p.x.spawn(() => p.x.ctl().connect(fd2, Y_IP, 5000));
    await p.until(() => c.done);
    p.y.ctl().close(lfd);
    const r = p.x.spawn(() => p.x.ctl().recv(fd2, new Uint8Array(4)));
    await p.until(() => r.done);
    expect(r.value).toBe(-ECONNRESET);
    expect(states(p.x, undefined).length).toBe(1); // the accepted one lives on
    void cfd;
  });
});

describe("loopback", () => {
  it("a host talks to itself over lo (127.0.0.1, and its own address): segments as large as one buffer holds", async () => {
    const p = await tcp_pair();
    const lfd = tcp_listen(p.x, 7000);
    for (const addr of [0x7f000001, X_IP]) {
      const fd = tcp_socket(p.x);
      const acc = p.x.spawn(() => p.x.ctl().accept(p.x.owner, lfd, 0));
      const con = p.x.spawn(() => p.x.ctl().connect(fd, addr, 7000));
      await p.until(() => acc.done && con.done);
      expect(con.value).toBe(0);
      const sfd = (acc.value as { fd: number }).fd;
      // Both go through lo: 1970 (one buffer's frame) − 40 − 12 bytes of timestamps.
      expect(p.x.ctl().getsockopt(fd, SOL_TCP, TCP_MAXSEG)).toBe(1918);
      const data = pattern(500_000, 5);
      const w = p.x.spawn(() => p.x.ctl().send(fd, data));
      const r = p.x.spawn(() => read_all(p.x.ctl(), sfd, data.length));
      await p.until(() => w.done && r.done);
      expect(same_bytes(r.value!.data, data)).toBe(true);
      expect(p.x.ctl().getpeername(sfd)).toEqual({ addr, port: (p.x.ctl().getsockname(fd) as { port: number }).port });
    }
    expect(p.segs.length).toBe(0); // nothing went out on the wire
  });
});

describe("binding, names and options", () => {
  it("EADDRINUSE without SO_REUSEADDR, and never two listeners on one port", async () => {
    const p = await tcp_pair();
    tcp_listen(p.y, 5000);
    const b = tcp_socket(p.y);
    expect(p.y.ctl().bind(b, 0, 5000)).toBe(-EADDRINUSE);
    const r1 = tcp_socket(p.y);
    const r2 = tcp_socket(p.y);
    for (const fd of [r1, r2]) expect(p.y.ctl().setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)).toBe(0);
    expect(p.y.ctl().bind(r1, 0, 6000)).toBe(0);
    expect(p.y.ctl().bind(r2, 0, 6000)).toBe(0);
    expect(p.y.ctl().listen(r1, 5)).toBe(0);
    expect(p.y.ctl().listen(r2, 5)).toBe(-EADDRINUSE);
    expect(p.y.ctl().bind(r1, 0, 6001)).toBe(-EINVAL); // already bound
  });

  it("getsockname / getpeername, and ENOTCONN before a connection", async () => {
    const p = await tcp_pair();
    const fd = tcp_socket(p.x);
    expect(p.x.ctl().getpeername(fd)).toBe(-ENOTCONN);
    const { cfd, sfd } = await connected(p);
    const local = p.x.ctl().getsockname(cfd) as { addr: number; port: number };
    expect(local.addr).toBe(X_IP);
    expect(local.port).toBeGreaterThanOrEqual(32768);
    expect(p.x.ctl().getpeername(cfd)).toEqual({ addr: Y_IP, port: 5000 });
    expect(p.y.ctl().getpeername(sfd)).toEqual(local);
    expect(p.y.ctl().getsockname(sfd)).toEqual({ addr: Y_IP, port: 5000 });
  });

  it("options: Linux's buffer defaults and doubling, TCP_NODELAY, TCP_MAXSEG, SO_KEEPALIVE, SO_TYPE, unknown ones", async () => {
    const p = await tcp_pair();
    const fd = tcp_socket(p.x);
    const c = p.x.ctl();
    expect(c.getsockopt(fd, SOL_SOCKET, SO_RCVBUF)).toBe(131072);
    expect(c.getsockopt(fd, SOL_SOCKET, SO_SNDBUF)).toBe(16384);
    expect(c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 100000)).toBe(0);
    expect(c.getsockopt(fd, SOL_SOCKET, SO_RCVBUF)).toBe(200000);
    expect(c.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, 1)).toBe(0);
    expect(c.getsockopt(fd, SOL_SOCKET, SO_SNDBUF)).toBe(4608); // SOCK_MIN_SNDBUF
    expect(c.getsockopt(fd, SOL_TCP, TCP_MAXSEG)).toBe(536);
    expect(c.getsockopt(fd, SOL_TCP, TCP_NODELAY)).toBe(0);
    expect(c.setsockopt(fd, SOL_TCP, TCP_NODELAY, 1)).toBe(0);
    expect(c.getsockopt(fd, SOL_TCP, TCP_NODELAY)).toBe(1);
    expect(c.setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, 1)).toBe(0);
    expect(c.getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE)).toBe(1);
    expect(c.getsockopt(fd, SOL_SOCKET, SO_TYPE)).toBe(SOCK_STREAM);
    expect(c.setsockopt(fd, SOL_TCP, TCP_MAXSEG, 10)).toBe(-EINVAL);
    expect(c.setsockopt(fd, SOL_SOCKET, 999, 1)).toBe(-ENOPROTOOPT);
    expect(c.getsockopt(fd, 999, 1)).toBe(-ENOPROTOOPT);
    // Once established the send buffer grows with the window (tcp_sndbuf_expand); the MSS is known.
    const { cfd } = await connected(p);
    expect(p.x.ctl().getsockopt(cfd, SOL_TCP, TCP_MAXSEG)).toBe(1448);
    expect(p.x.ctl().getsockopt(cfd, SOL_SOCKET, SO_SNDBUF)).toBe(81920);
    expect(states(p.x)).toEqual([TCP_ESTABLISHED]);
  });
});
