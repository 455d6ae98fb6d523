import { EINPROGRESS, ETIMEDOUT, strerror } from "../../include/linux/errno.ts";
import { AF_INET, F_GETFL, F_SETFL, inet_ntoa, IPPROTO_UDP, O_NONBLOCK, POLLERR, POLLHUP, POLLIN, POLLOUT, type PollFd, SHUT_WR, SO_ERROR, SO_REUSEADDR, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, inet_aton } from "../../include/uapi/in.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { gai_strerror, getaddrinfo } from "../lib/resolv.ts";
import { fail, getopt, print } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * nc (netcat), with busybox's option spellings:
 *   nc [-v] [-w SECS] [-s ADDR] [-p PORT] HOST PORT [MESSAGE...]   connect (from ADDR:PORT); lines typed
 *                                                 are sent, what arrives is printed
 *   nc -l [-k] [-v] [-w SECS] [-s ADDR] -p PORT (or nc -l PORT)   accept one connection (-k: one after another)
 *   nc -z [-v] [-w SECS] HOST PORT[-PORT]        scan: connect and close; exit 0 if any port is open
 *   nc -u ...                                    the same over UDP datagrams
 * -w SECS bounds the connect and, after standard input ends, the wait for the last data (UDP: the
 * wait for an answer, default 2). When standard input ends (^D) the sending side is shut down
 * (SHUT_WR) and nc prints until the peer closes. MESSAGE (ringzero's, not busybox's) is sent as one
 * line in place of standard input.
 */
export async function nc(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt(argv, "lkuzvnp:w:s:");
  if (typeof o === "string") return fail(sys, "nc", o);
  const listen = o.opts.has("l");
  const udp = o.opts.has("u");
  const verbose = o.opts.has("v");
  const wait_s = o.opts.has("w") ? Number(o.opts.get("w")) : null;
  if (wait_s !== null && !(wait_s >= 0)) return fail(sys, "nc", `invalid wait time '${String(o.opts.get("w"))}'`);
  const rest = o.args;
  if (udp) return nc_udp(sys, listen, rest, o.opts.get("p"), wait_s ?? 2);

  if (listen) {
    const port_text = o.opts.has("p") ? String(o.opts.get("p")) : rest[0];
    const port = Number(port_text);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(sys, "nc", `invalid port '${port_text ?? ""}'`);
    let local = 0;
    if (o.opts.has("s")) {
      const a = inet_aton(String(o.opts.get("s")));
      if (a === null) return fail(sys, "nc", `bad address '${String(o.opts.get("s"))}'`);
      local = a;
    }
    return nc_listen(sys, local, port, o.opts.has("k"), verbose, wait_s);
  }

  if (rest.length < 2) return fail(sys, "nc", "usage: nc [-v] [-w SECS] HOST PORT | nc -l -p PORT | nc -z HOST PORT[-PORT]");
  const addrs = await getaddrinfo(sys, rest[0]!);
  if (typeof addrs === "number") return fail(sys, "nc", `${rest[0]!}: ${gai_strerror(addrs)}`);
  const host = addrs[0]!;
  const range = /^(\d+)(?:-(\d+))?$/.exec(rest[1]!);
  const lo = range === null ? NaN : Number(range[1]);
  const hi = range?.[2] !== undefined ? Number(range[2]) : lo;
  if (!Number.isInteger(lo) || lo < 1 || hi > 65535 || hi < lo) return fail(sys, "nc", `invalid port '${rest[1]!}'`);

  if (o.opts.has("z")) {
    let open = false;
    for (let port = lo; port <= hi; port++) {
      const fd = sys.socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0) return fail(sys, "nc", strerror(fd));
      const r = await connect_timeout(sys, fd, host, port, wait_s);
      sys.close(fd);
      if (r === 0) {
        open = true;
        if (verbose) sys.write(2, `${rest[0]!} (${inet_ntoa(host)}:${port}) open\n`);
      } else if (verbose) sys.write(2, `nc: ${rest[0]!} (${inet_ntoa(host)}:${port}): ${strerror(r)}\n`);
    }
    return open ? 0 : 1;
  }
  if (hi !== lo) return fail(sys, "nc", "a port range needs -z");

  const fd = sys.socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return fail(sys, "nc", strerror(fd));
  try {
    // -p PORT / -s ADDR: the local end of the connection.
    if (o.opts.has("p") || o.opts.has("s")) {
      const lport = o.opts.has("p") ? Number(o.opts.get("p")) : 0;
      const laddr = o.opts.has("s") ? inet_aton(String(o.opts.get("s"))) : 0;
      if (!Number.isInteger(lport) || lport < 0 || lport > 65535 || laddr === null) return fail(sys, "nc", "bad local address or port");
      sys.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
      const b = sys.bind(fd, laddr, lport);
      if (b < 0) return fail(sys, "nc", `bind: ${strerror(b)}`);
    }
    const r = await connect_timeout(sys, fd, host, lo, wait_s);
    if (r < 0) return fail(sys, "nc", `can't connect to remote host (${inet_ntoa(host)}): ${strerror(r)}`);
    if (verbose) sys.write(2, `${rest[0]!} (${inet_ntoa(host)}:${lo}) open\n`);
    const message = rest.length > 2 ? rest.slice(2).join(" ") + "\n" : null;
    return await nc_io(sys, fd, wait_s, message);
  } finally {
    sys.close(fd);
  }
}

/** connect(), bounded by `wait_s` seconds when given (non-blocking connect + poll, as busybox's alarm). */
async function connect_timeout(sys: Syscalls, fd: number, host: number, port: number, wait_s: number | null): Promise<number> {
  if (wait_s === null) return sys.connect(fd, host, port);
  const flags = sys.fcntl(fd, F_GETFL);
  sys.fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  let r = await sys.connect(fd, host, port);
  if (r === -EINPROGRESS) {
    const p: PollFd[] = [{ fd, events: POLLOUT, revents: 0 }];
    const n = await sys.poll(p, wait_s * 1000);
    if (n < 0) r = n;
    else if (n === 0) r = -ETIMEDOUT;
    else {
      const e = sys.getsockopt(fd, SOL_SOCKET, SO_ERROR);
      r = typeof e === "number" && e > 0 ? -e : 0;
    }
  }
  sys.fcntl(fd, F_SETFL, flags);
  return r;
}

/** Accept one connection (or, with -k, one after another) and run the I/O loop on it. */
async function nc_listen(sys: Syscalls, local: number, port: number, keep: boolean, verbose: boolean, wait_s: number | null): Promise<number> {
  const lfd = sys.socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) return fail(sys, "nc", strerror(lfd));
  try {
    sys.setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, 1);
    const b = sys.bind(lfd, local, port);
    if (b < 0) return fail(sys, "nc", `bind: ${strerror(b)}`);
    const l = sys.listen(lfd, keep ? 16 : 1);
    if (l < 0) return fail(sys, "nc", `listen: ${strerror(l)}`);
    if (verbose) sys.write(2, `listening on ${inet_ntoa(local)}:${port} ...\n`);
    let status = 0;
    do {
      if (wait_s !== null) {
        const p: PollFd[] = [{ fd: lfd, events: POLLIN, revents: 0 }];
        const n = await sys.poll(p, wait_s * 1000);
        if (n <= 0) return n < 0 ? 1 : fail(sys, "nc", "timed out");
      }
      const c = await sys.accept(lfd);
      if (typeof c === "number") return fail(sys, "nc", `accept: ${strerror(c)}`);
      if (verbose) sys.write(2, `connect to ${inet_ntoa(local)}:${port} from ${inet_ntoa(c.addr)}:${c.port}\n`);
      if (!keep) sys.close(lfd);
      try {
        status = await nc_io(sys, c.fd, wait_s, null);
      } finally {
        sys.close(c.fd);
      }
    } while (keep);
    return status;
  } finally {
    sys.close(lfd);
  }
}

/**
 * The I/O loop: poll standard input and the connection; print what arrives, send what is typed.
 * Standard input's end shuts our sending side; the peer's end (or an error) finishes.
 */
async function nc_io(sys: Syscalls, fd: number, wait_s: number | null, message: string | null): Promise<number> {
  const dec = new TextDecoder();
  const enc = new TextEncoder();
  const buf = new Uint8Array(16384);
  let stdin_open = message === null;
  if (message !== null) {
    const s = await sys.send(fd, enc.encode(message));
    if (s < 0) return fail(sys, "nc", strerror(s));
    sys.shutdown(fd, SHUT_WR);
  }
  const fds: PollFd[] = [
    { fd, events: POLLIN, revents: 0 },
    { fd: 0, events: POLLIN, revents: 0 },
  ];
  for (;;) {
    const watch = stdin_open ? fds : fds.slice(0, 1);
    const n = await sys.poll(watch, !stdin_open && wait_s !== null ? wait_s * 1000 : -1);
    if (n < 0) return 1;
    if (n === 0) return 0; // -w after the end of input: done
    if (fds[0]!.revents & (POLLIN | POLLHUP | POLLERR)) {
      const r = await sys.recv(fd, buf);
      if (r < 0) return fail(sys, "nc", strerror(r));
      if (r === 0) {
        const tail = dec.decode();
        if (tail !== "") print(sys, tail);
        return 0;
      }
      print(sys, dec.decode(buf.subarray(0, r), { stream: true }));
    }
    if (stdin_open && fds[1]!.revents & POLLIN) {
      const line = await sys.read_line();
      if (typeof line === "number") return 1;
      if (line === null) {
        stdin_open = false;
        sys.shutdown(fd, SHUT_WR);
      } else {
        const s = await sys.send(fd, enc.encode(line));
        if (s < 0) return fail(sys, "nc", strerror(s));
      }
    }
  }
}

/** nc -u: datagrams. `nc -u HOST PORT [MESSAGE]` sends each line and prints the answer; `nc -u -l PORT` prints what arrives. */
async function nc_udp(sys: Syscalls, listen: boolean, rest: string[], port_opt: string | true | undefined, wait: number): Promise<number> {
  const fd = sys.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  if (fd < 0) return fail(sys, "nc", strerror(fd));
  sys.sigaction(SIGINT, "catch");
  try {
    if (listen) {
      const text = typeof port_opt === "string" ? port_opt : rest[0];
      const port = Number(text);
      if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(sys, "nc", `invalid port '${text ?? ""}'`);
      const r = sys.bind(fd, 0, port);
      if (r < 0) return fail(sys, "nc", `bind: ${strerror(r)}`);
      for (;;) {
        const d = await sys.recvfrom(fd, null);
        if (typeof d === "number") return 0;
        if (d.error === undefined) print(sys, new TextDecoder().decode(d.data));
      }
    }
    const addrs = await getaddrinfo(sys, rest[0] ?? "");
    if (typeof addrs === "number") return fail(sys, "nc", `${rest[0] ?? "(none)"}: ${gai_strerror(addrs)}`);
    const host = addrs[0]!;
    const port = Number(rest[1]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(sys, "nc", `invalid port '${rest[1] ?? ""}'`);
    let status = 0;
    const exchange = async (msg: string): Promise<void> => {
      const s = await sys.sendto(fd, new TextEncoder().encode(msg), host, port);
      if (s < 0) {
        status = fail(sys, "nc", `sendto ${inet_ntoa(host)}:${port}: ${strerror(s)}`);
        return;
      }
      const d = await sys.recvfrom(fd, wait * 1000);
      if (typeof d === "number") return;
      if (d.error !== undefined) status = fail(sys, "nc", `${inet_ntoa(host)}:${port}: ${d.error.text}`);
      else print(sys, new TextDecoder().decode(d.data));
    };
    if (rest.length > 2) {
      await exchange(rest.slice(2).join(" ") + "\n");
      return status;
    }
    for (;;) {
      const line = await sys.read_line();
      if (typeof line !== "string") return status;
      await exchange(line);
    }
  } finally {
    sys.close(fd);
  }
}

export const nc_command: Command = {
  name: "nc",
  summary: "TCP and UDP: nc [-w S] [-p PORT] HOST PORT | nc -l [-p] PORT | nc -z HOST PORT[-PORT] | nc -u HOST PORT [MSG] | nc -u -l PORT",
  usage: "Usage: nc [-w S] [-p PORT] HOST PORT\n       nc -l [-p] PORT\n       nc -z HOST PORT[-PORT]\n       nc -u HOST PORT [MSG]\n       nc -u -l PORT\n\nTCP and UDP.\n",
  main: nc,
};
