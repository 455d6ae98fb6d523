import { EACCES, EAGAIN, EINTR, EISDIR, ENOENT, ENOTDIR, EPERM, strerror } from "../../include/linux/errno.ts";
import { SIGINT, SIGTERM } from "../../include/linux/sched.ts";
import { AF_INET, inet_aton, inet_ntoa, MSG_NOSIGNAL, POLLIN, POLLOUT, type PollFd, SHUT_WR, SO_REUSEADDR, SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET } from "../../include/uapi/in.ts";
import { CLOCK_MONOTONIC, CLOCK_REALTIME, type Syscalls } from "../../include/uapi/syscalls.ts";
import { content_length, content_type, find_head_end, format_head, html_escape, http_date, parse_head, parse_request_line, percent_decode, percent_encode_segment, STATUS_TEXT } from "../lib/http.ts";
import { count_flag, fail, getopt } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * httpd, with busybox's option spellings: httpd [-fv[v[v]]] [-p [IP:]PORT] [-h HOME]
 *
 * Serves the machine's file tree (what read_file and readdir reach: /proc and /sys) below HOME
 * (default "/"; busybox's default is the current directory, which ringzero's processes do not
 * have yet; a relative HOME is taken from "/") over HTTP/1.0 and
 * HTTP/1.1: GET and HEAD; keep-alive (HTTP/1.1 unless "Connection: close", HTTP/1.0 with
 * "Connection: keep-alive"), pipelined requests answered in order; Content-Type by extension, else
 * text/plain for text and application/octet-stream for binary files; Content-Length, Date and
 * Server on every response. A directory is served as its index.html or, without one, as a listing;
 * "/dir" without its slash is redirected to "/dir/" (302, as busybox). A path that climbs above
 * HOME with ".." is refused (403; busybox says 400); the check is on the URL, and links inside the
 * tree are followed wherever they point, as busybox follows symbolic links. Other methods: 405
 * for the ones HTTP defines (with Allow), 501 for the rest; malformed requests 400.
 *
 * One process serves every connection from one poll() loop over non-blocking sockets (a task has
 * one thread of control, so there is no coroutine per connection blocking in recv); at most
 * MAX_CONNS at a time, the rest wait in the listen backlog, except that when all are taken and a
 * client waits, the keep-alive connection idle longest is closed for it. Pipelined requests are
 * taken one at a time, the next when the previous response is all sent. A request must arrive
 * within REQUEST_TIMEOUT_S of its first byte (408 if one was begun; an idle keep-alive connection
 * is just closed). A
 * connection that is to close is shut for writing once its response is out, and read until the
 * client closes (or LINGER_S), so a reset cannot destroy the response in flight.
 *
 * Without -f, httpd checks that it can bind the address, starts itself again with -f as a child
 * and exits 0 at once (busybox daemonises); the child keeps running after its parent has gone and
 * `ps` shows it as "httpd -f …". With -f it runs in the foreground until SIGINT (^C) or SIGTERM,
 * then closes its sockets and exits with 128+signal. -v logs each response on the console as
 * busybox's stderr does ("IP:PORT: response:200"); -vv adds "url:PATH", -vvv connects and closes.
 */
export const MAX_CONNS = 32;
const REQUEST_TIMEOUT_S = 60;
const SERVER = "ringzero-httpd";
const LINGER_S = 2;
const BACKLOG = 16;
/** The longest request head (request line and fields) taken; longer ones get 431. */
const MAX_REQUEST_HEAD = 8192;
/** Methods HTTP defines besides GET and HEAD: 405, not 501 (RFC 9110 §9.3, §15.5.6). */
const KNOWN_METHODS = new Set(["POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);

const USAGE = "Usage: httpd [-fv[v]] [-p [IP:]PORT] [-h HOME]";
const HELP = `${USAGE}

Listen for incoming HTTP requests

	-f		Run in foreground
	-v[v]		Verbose
	-p [IP:]PORT	Bind to IP:PORT (default *:80)
	-h HOME		Home directory (default /)
`;

interface Config {
  home: string;
  verbose: number;
}

/** One client connection and where it is in its requests. */
interface Conn {
  readonly fd: number;
  readonly peer: string;
  /** Received bytes not yet taken as a request. */
  readonly inbuf: Uint8Array;
  inlen: number;
  /** Responses queued, the first sent up to out_off. */
  readonly out: Uint8Array[];
  out_off: number;
  /** The client has closed its sending side. */
  peer_eof: boolean;
  /** Close once `out` is sent. */
  close_after: boolean;
  /** Shut for writing; reading what is left until the client closes. */
  lingering: boolean;
  /** Requests answered on this connection (an idle one with some is an idle keep-alive). */
  served: number;
  /** Bytes of a request not yet complete have arrived: deadline_ns is that request's. */
  in_request: boolean;
  deadline_ns: number;
}

/** A response and what to do after it. */
interface Reply {
  status: number;
  bytes: Uint8Array;
  close: boolean;
  /** The request's path after decoding and normalisation (for -vv), if it got that far. */
  url: string | null;
}

export async function httpd(argv: readonly string[], sys: Syscalls): Promise<number> {
  const o = getopt(argv, "fvp:h:");
  if (typeof o === "string") return fail(sys, "httpd", `${o}\n${USAGE}`);
  if (o.args.length > 0) return fail(sys, "httpd", `unexpected argument '${o.args[0]!}'\n${USAGE}`);
  const where = parse_listen(String(o.opts.get("p") ?? "80"));
  if (typeof where === "string") return fail(sys, "httpd", where);
  const home = normalise_home(String(o.opts.get("h") ?? "/"));
  const dir = sys.readdir(home);
  if (typeof dir === "number") return fail(sys, "httpd", `can't change directory to '${home}': ${strerror(dir)}`);
  const cfg: Config = { home, verbose: count_flag(o.opts, "v") };

  if (!o.opts.has("f")) {
    // busybox binds before it daemonises, so a taken port is reported here. The child cannot
    // inherit our socket, so bind a trial one, let it go, and have the child bind again.
    const t = open_listener(sys, where.addr, where.port, false);
    if (typeof t === "string") return fail(sys, "httpd", t);
    sys.close(t);
    const pid = sys.spawn(["httpd", "-f", ...argv.slice(1)]);
    if (pid < 0) return fail(sys, "httpd", `can't start the server: ${strerror(pid)}`);
    return 0;
  }

  const lfd = open_listener(sys, where.addr, where.port, true);
  if (typeof lfd === "string") return fail(sys, "httpd", lfd);
  sys.sigaction(SIGINT, "catch");
  sys.sigaction(SIGTERM, "catch");
  return serve(sys, lfd, cfg);
}

/** "-p [IP:]PORT" → address and port, or busybox's complaint. */
function parse_listen(s: string): { addr: number; port: number } | string {
  const c = s.lastIndexOf(":");
  const ip = c < 0 ? "" : s.slice(0, c);
  const p = c < 0 ? s : s.slice(c + 1);
  const port = /^\d{1,5}$/.test(p) ? Number(p) : NaN;
  if (!(port >= 1 && port <= 65535)) return `bad port '${p}'`;
  const addr = ip === "" || ip === "*" ? 0 : inet_aton(ip);
  if (addr === null) return `bad address '${ip}'`;
  return { addr, port };
}

/** HOME as an absolute path without "." or ".." ("." and relative paths are taken from "/"). */
function normalise_home(h: string): string {
  const segs: string[] = [];
  for (const s of h.split("/")) {
    if (s === "" || s === ".") continue;
    if (s === "..") segs.pop();
    else segs.push(s);
  }
  return "/" + segs.join("/");
}

/** socket + SO_REUSEADDR + bind (+ listen): the descriptor, or "bind: …" as busybox words it. */
function open_listener(sys: Syscalls, addr: number, port: number, listen: boolean): number | string {
  const fd = sys.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return `socket: ${strerror(fd)}`;
  sys.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  const b = sys.bind(fd, addr, port);
  const l = b < 0 || !listen ? b : sys.listen(fd, BACKLOG);
  if (b < 0 || l < 0) {
    sys.close(fd);
    return b < 0 ? `bind: ${strerror(b)}` : `listen: ${strerror(l)}`;
  }
  return fd;
}

/** The server's loop: poll the listener and every connection, act on what is ready. */
async function serve(sys: Syscalls, lfd: number, cfg: Config): Promise<number> {
  const conns: Conn[] = [];
  const now = (): number => sys.clock_gettime(CLOCK_MONOTONIC);
  const log = async (c: Conn, msg: string): Promise<void> => {
    await sys.write(2, `${c.peer}: ${msg}\n`);
  };
  const drop = async (c: Conn): Promise<void> => {
    sys.close(c.fd);
    conns.splice(conns.indexOf(c), 1);
    if (cfg.verbose > 2) await log(c, "closed");
  };

  /** Send what is queued without blocking; then start closing if the last response said so. */
  const flush = async (c: Conn): Promise<void> => {
    while (c.out.length > 0) {
      const chunk = c.out[0]!;
      const r = await sys.send(c.fd, chunk.subarray(c.out_off), MSG_NOSIGNAL);
      if (r === -EAGAIN) return;
      if (r < 0) return await drop(c);
      c.deadline_ns = now() + REQUEST_TIMEOUT_S * 1e9;
      c.out_off += r;
      if (c.out_off === chunk.length) {
        c.out.shift();
        c.out_off = 0;
        // The next pipelined request is taken only now, so at most one response (one file) is
        // held per connection however many requests the client wrote ahead.
        if (c.out.length === 0 && !c.close_after && !c.lingering) await take_requests(c);
      }
    }
    if (c.close_after && !c.lingering) {
      if (c.peer_eof) return await drop(c);
      sys.shutdown(c.fd, SHUT_WR);
      c.lingering = true;
      c.inlen = 0;
      c.deadline_ns = now() + LINGER_S * 1e9;
    } else if (c.peer_eof && !c.close_after) await drop(c);
  };

  const queue = async (c: Conn, reply: Reply): Promise<void> => {
    c.out.push(reply.bytes);
    c.served++;
    if (reply.close) c.close_after = true;
    if (cfg.verbose > 1 && reply.url !== null) await log(c, `url:${reply.url}`);
    if (cfg.verbose > 0) await log(c, `response:${reply.status}`);
  };

  /**
   * Answer the next complete request in the buffer once the previous response is all sent
   * (pipelining, in order), until one closes; flush() calls this again when the queue empties.
   * A request's deadline starts with its first byte and is not moved by later ones.
   */
  const take_requests = async (c: Conn): Promise<void> => {
    while (!c.close_after && c.out.length === 0) {
      let skip = 0; // empty lines before a request line are ignored (RFC 9112 §2.2)
      while (skip < c.inlen && (c.inbuf[skip] === 0x0d || c.inbuf[skip] === 0x0a)) skip++;
      shift(c, skip);
      const end = find_head_end(c.inbuf, 0, c.inlen);
      if (end < 0) {
        if (c.inlen === c.inbuf.length) await queue(c, error_reply(sys, 431, false, true));
        else if (c.inlen > 0 && !c.in_request) {
          c.in_request = true;
          c.deadline_ns = now() + REQUEST_TIMEOUT_S * 1e9;
        }
        break;
      }
      const head = c.inbuf.slice(0, end);
      shift(c, end);
      c.in_request = false;
      await queue(c, handle_request(sys, cfg, head));
    }
  };

  const readable = async (c: Conn): Promise<void> => {
    const scratch = c.lingering ? new Uint8Array(4096) : c.inbuf.subarray(c.inlen);
    const r = scratch.length === 0 ? -EAGAIN : await sys.recv(c.fd, scratch);
    if (r === -EAGAIN) return;
    if (r < 0 || (r === 0 && c.lingering)) return await drop(c);
    if (c.lingering) return; // what the client still sends is dropped
    if (r === 0) c.peer_eof = true;
    else c.inlen += r;
    await take_requests(c);
    await flush(c);
  };

  const expire = async (t: number): Promise<void> => {
    for (const c of [...conns]) {
      if (t < c.deadline_ns) continue;
      // A request begun and not finished in time gets busybox's 408; an idle one is closed.
      if (c.lingering || c.out.length > 0 || c.inlen === 0) await drop(c);
      else {
        c.inlen = 0;
        c.in_request = false;
        await queue(c, error_reply(sys, 408, false, true));
        await flush(c);
      }
    }
  };

  const pfds: PollFd[] = [];
  for (;;) {
    pfds.length = 0;
    // When full, the listener is polled only if an idle keep-alive connection could make room.
    const full = conns.length >= MAX_CONNS;
    pfds.push({ fd: lfd, events: !full || oldest_idle(conns) !== null ? POLLIN : 0, revents: 0 });
    let next = Infinity;
    for (const c of conns) {
      pfds.push({ fd: c.fd, events: c.out.length > 0 ? POLLOUT : POLLIN, revents: 0 });
      next = Math.min(next, c.deadline_ns);
    }
    const t0 = now();
    const timeout = next === Infinity ? -1 : Math.max(0, Math.ceil((next - t0) / 1e6));
    const n = await sys.poll(pfds, timeout);
    if (n === -EINTR) {
      const sig = sys.sigpending();
      const stop = sig & (1 << SIGINT) ? SIGINT : sig & (1 << SIGTERM) ? SIGTERM : 0;
      if (stop === 0) continue;
      for (const c of [...conns]) await drop(c);
      sys.close(lfd);
      return 128 + stop;
    }
    if (n < 0) {
      for (const c of [...conns]) await drop(c);
      sys.close(lfd);
      return fail(sys, "httpd", `poll: ${strerror(n)}`);
    }
    const ready = pfds.map((p) => p.revents);
    const polled = [...conns];
    if (ready[0]! & POLLIN) {
      for (;;) {
        if (conns.length >= MAX_CONNS && oldest_idle(conns) === null) break;
        const a = await sys.accept(lfd, SOCK_NONBLOCK);
        if (typeof a === "number") break; // -EAGAIN: the queue is empty (or the client gave up)
        // Full, and a client waits: the connection idle longest between requests gives way to it.
        if (conns.length >= MAX_CONNS) await drop(oldest_idle(conns)!);
        const c: Conn = {
          fd: a.fd,
          peer: `${inet_ntoa(a.addr)}:${a.port}`,
          inbuf: new Uint8Array(MAX_REQUEST_HEAD),
          inlen: 0,
          out: [],
          out_off: 0,
          peer_eof: false,
          close_after: false,
          lingering: false,
          in_request: false,
          served: 0,
          deadline_ns: now() + REQUEST_TIMEOUT_S * 1e9,
        };
        conns.push(c);
        if (cfg.verbose > 2) await log(c, "connected");
      }
    }
    for (let i = 0; i < polled.length; i++) {
      const c = polled[i]!;
      const ev = ready[i + 1]!;
      if (ev === 0 || !conns.includes(c)) continue;
      if (c.out.length > 0) await flush(c);
      else await readable(c);
    }
    await expire(now());
  }
}

/**
 * The keep-alive connection idle longest: every response sent, no request begun, not closing
 * (its deadline, set by its last send, is the earliest); null if there is none.
 */
function oldest_idle(conns: readonly Conn[]): Conn | null {
  let best: Conn | null = null;
  for (const c of conns) {
    if (c.served === 0 || c.out.length > 0 || c.inlen > 0 || c.close_after || c.lingering || c.peer_eof) continue;
    if (best === null || c.deadline_ns < best.deadline_ns) best = c;
  }
  return best;
}

function shift(c: Conn, n: number): void {
  if (n === 0) return;
  c.inbuf.copyWithin(0, n, c.inlen);
  c.inlen -= n;
}

/** The response to one request head. */
function handle_request(sys: Syscalls, cfg: Config, head: Uint8Array): Reply {
  const h = parse_head(head);
  if (typeof h === "string") return error_reply(sys, 400, false, true);
  const rl = parse_request_line(h.start);
  if (rl === null) return error_reply(sys, 400, false, true);
  if (rl.major !== 1) return error_reply(sys, 505, false, true);
  const conn = rl.minor >= 1 ? (h.fields.has_token("connection", "close") ? "close" : "") : h.fields.has_token("connection", "keep-alive") ? "keep-alive" : "close";
  const clen = content_length(h.fields);
  // A request body is not read: answer and close, so it is never taken for the next request.
  const has_body = h.fields.get("transfer-encoding") !== undefined || clen === "bad" || (clen ?? 0) > 0;
  const close = conn === "close" || has_body;
  const head_only = rl.method === "HEAD";
  if (clen === "bad") return error_reply(sys, 400, head_only, true);
  if (rl.minor >= 1 && h.fields.get("host") === undefined) return error_reply(sys, 400, head_only, true); // RFC 9112 §3.2
  if (rl.method !== "GET" && !head_only) {
    if (KNOWN_METHODS.has(rl.method)) return error_reply(sys, 405, false, close, [["Allow", "GET, HEAD"]], conn);
    return error_reply(sys, 501, false, close, [], conn);
  }

  // origin-form "/path?query", or absolute-form "http://host/path?query" (RFC 9112 §3.2.2).
  let target = rl.target;
  if (/^http:\/\//i.test(target)) {
    const slash = target.indexOf("/", 7);
    target = slash < 0 ? "/" : target.slice(slash);
  }
  if (!target.startsWith("/")) return error_reply(sys, 400, head_only, close, [], conn);
  const q = target.indexOf("?");
  const query = q < 0 ? "" : target.slice(q);
  const raw = percent_decode(q < 0 ? target : target.slice(0, q));
  if (raw === null || raw.includes(0)) return error_reply(sys, 400, head_only, close, [], conn);
  const path = new TextDecoder().decode(raw);
  const segs = url_segments(path);
  if (segs === null) return error_reply(sys, 403, head_only, close, [], conn, path);
  const dir_url = path.endsWith("/") || segs.length === 0;
  const url = "/" + segs.join("/") + (dir_url && segs.length > 0 ? "/" : "");
  const fs_path = cfg.home === "/" ? "/" + segs.join("/") : [cfg.home, ...segs].join("/");

  const file = sys.read_file(fs_path);
  if (typeof file !== "number") {
    if (dir_url) return error_reply(sys, 404, head_only, close, [], conn, url); // a file is not a directory
    return reply(sys, 200, content_type(segs[segs.length - 1] ?? "", file), file, head_only, close, [], conn, url);
  }
  if (file !== -EISDIR) return error_reply(sys, errno_status(file), head_only, close, [], conn, url);
  if (!dir_url) {
    const loc = "/" + segs.map(percent_encode_segment).join("/") + "/";
    return error_reply(sys, 302, head_only, close, [["Location", `${loc}${query}`]], conn, url);
  }
  const index = sys.read_file(`${fs_path === "/" ? "" : fs_path}/index.html`);
  if (typeof index !== "number") return reply(sys, 200, "text/html", index, head_only, close, [], conn, url);
  const page = listing(sys, fs_path, url);
  if (typeof page === "number") return error_reply(sys, errno_status(page), head_only, close, [], conn, url);
  return reply(sys, 200, "text/html", page, head_only, close, [], conn, url);
}

/** The URL path's segments with "." and ".." resolved; null if ".." climbs above the root. */
function url_segments(path: string): string[] | null {
  const out: string[] = [];
  for (const s of path.split("/")) {
    if (s === "" || s === ".") continue;
    if (s !== "..") out.push(s);
    else if (out.pop() === undefined) return null;
  }
  return out;
}

function errno_status(err: number): number {
  if (err === -ENOENT || err === -ENOTDIR) return 404;
  if (err === -EACCES || err === -EPERM) return 403;
  return 500;
}

/** An HTML page listing a directory: links to its entries, directories with a trailing slash. */
function listing(sys: Syscalls, fs_path: string, url: string): Uint8Array | number {
  const names = sys.readdir(fs_path);
  if (typeof names === "number") return names;
  const base = fs_path === "/" ? "" : fs_path;
  const title = `Index of ${html_escape(url)}`;
  let items = url === "/" ? "" : '<li><a href="../">../</a></li>\n';
  for (const n of names) {
    const dir = typeof sys.readdir(`${base}/${n}`) !== "number";
    const shown = html_escape(n) + (dir ? "/" : "");
    items += `<li><a href="${percent_encode_segment(n)}${dir ? "/" : ""}">${shown}</a></li>\n`;
  }
  return new TextEncoder().encode(`<!DOCTYPE html>\n<html><head><title>${title}</title></head>\n<body><h1>${title}</h1>\n<ul>\n${items}</ul>\n<hr><address>${SERVER}</address>\n</body></html>\n`);
}

/** What the error pages say under their heading. */
const ERROR_TEXT: Readonly<Record<number, string>> = {
  302: "The document has moved.",
  400: "The request could not be understood.",
  403: "You do not have permission to access this URL.",
  404: "The requested URL was not found.",
  405: "The method is not allowed for this URL.",
  408: `No request appeared within ${REQUEST_TIMEOUT_S} seconds.`,
  431: "The request header fields are too large.",
  500: "The file could not be read.",
  501: "The requested method is not recognized.",
  505: "Only HTTP/1.0 and HTTP/1.1 are spoken here.",
};

/** An error (or redirect) response with its small HTML page. */
function error_reply(sys: Syscalls, status: number, head_only: boolean, close: boolean, extra: readonly [string, string][] = [], conn = "", url: string | null = null): Reply {
  const title = `${status} ${STATUS_TEXT[status] ?? ""}`;
  const body = new TextEncoder().encode(`<!DOCTYPE html>\n<html><head><title>${title}</title></head>\n<body><h1>${title}</h1>\n<p>${ERROR_TEXT[status] ?? ""}</p>\n<hr><address>${SERVER}</address>\n</body></html>\n`);
  return reply(sys, status, "text/html", body, head_only, close, extra, conn, url);
}

/**
 * A whole response: status line, Date, Server, Content-Type, Content-Length, `extra`, and
 * Connection (close when closing; keep-alive to an HTTP/1.0 client that asked for it), then the
 * body unless it answers HEAD.
 */
function reply(sys: Syscalls, status: number, type: string, body: Uint8Array, head_only: boolean, close: boolean, extra: readonly [string, string][], conn: string, url: string | null): Reply {
  const fields: [string, string][] = [
    ["Date", http_date(sys.clock_gettime(CLOCK_REALTIME) / 1e6)],
    ["Server", SERVER],
    ["Content-Type", type],
    ["Content-Length", String(body.length)],
    ...extra,
  ];
  if (close) fields.push(["Connection", "close"]);
  else if (conn === "keep-alive") fields.push(["Connection", "keep-alive"]);
  const head = format_head(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ""}`, fields);
  if (head_only) return { status, bytes: head, close, url };
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(head);
  bytes.set(body, head.length);
  return { status, bytes, close, url };
}

export const httpd_command: Command = {
  name: "httpd",
  summary: "serve files over HTTP: httpd [-fv] [-p [IP:]PORT] [-h HOME] (without -f: in the background)",
  usage: HELP,
  main: httpd,
};
