import { EINPROGRESS, EINTR, ENOSPC, strerror } from "../../include/linux/errno.ts";
import { O_CREAT, O_EXCL, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import { AF_INET, F_GETFL, F_SETFL, inet_ntoa, MSG_NOSIGNAL, O_NONBLOCK, POLLERR, POLLHUP, POLLIN, POLLOUT, type PollFd, SO_ERROR, SOCK_STREAM, SOL_SOCKET } from "../../include/uapi/in.ts";
import { CLOCK_MONOTONIC, type Syscalls } from "../../include/uapi/syscalls.ts";
import {
  base64_encode,
  ChunkedDecoder,
  content_length,
  find_head_end,
  format_head,
  type HttpHead,
  type HttpUrl,
  parse_head,
  parse_http_url,
  parse_status_line,
  percent_encode_target,
  resolve_reference,
  sanitize,
} from "../lib/http.ts";
import { getaddrinfo } from "../lib/resolv.ts";
import { fail, getopt } from "../lib/stdio.ts";
import type { Command } from "../lib/command.ts";

/**
 * wget, with busybox's option spellings and messages:
 *   wget [-qS] [-O FILE|-] [-T SEC] [-U AGENT] URL...
 * An HTTP/1.1 GET per URL (Host, User-Agent: Wget, Connection: close, Authorization: Basic for
 * http://user:pass@host/); names resolved with getaddrinfo; a scheme-less URL is http (busybox
 * and GNU). Redirects (300, 301, 302, 303, 307, 308; Location absolute or relative, resolved as
 * RFC 3986 says) are followed up to MAX_REDIRECTS ("too many redirections"; GNU's limit, busybox
 * stops at 16), with a new "Connecting to" line when the host or port changes.
 *
 * The body is framed by Transfer-Encoding: chunked, Content-Length or the end of the connection,
 * and goes to FILE, to stdout with -O -, or (without -O) to the URL's last path component
 * ("index.html" for a directory; the query is left out of the name). -O FILE is opened once for
 * all the URLs; without -O each URL's file must be new (busybox's O_EXCL). The body is bytes end
 * to end: Uint8Array from recv() to the output's write(), also with -O - (descriptor 1; a failed
 * write ends the download with an error). A chunked body ends at its zero-size chunk (busybox).
 *
 * -S prints every response head on stderr, indented, a TAB shown as a space and the line cut at
 * any other control character (busybox's sanitize_string); peer bytes quoted in errors likewise. -T SEC bounds every wait for the network (connect, response, each
 * read of the body: "download timed out"); 0 waits forever. Progress goes to stderr as busybox
 * draws it; -q silences everything but errors. Errors print one busybox-worded line and exit 1.
 */
const MAX_REDIRECTS = 20;
/** The statuses whose Location wget follows (busybox's list). */
const REDIRECTS: readonly number[] = [300, 301, 302, 303, 307, 308];
/** busybox's default -T. */
const DEFAULT_TIMEOUT_S = 900;
/** The longest response head wget reads. */
const MAX_HEAD = 64 * 1024;

const USAGE = "Usage: wget [-qS] [-O FILE] [-T SEC] [-U AGENT] URL...";
const HELP = `${USAGE}

Retrieve files via HTTP

	-q		Quiet
	-S		Show server response
	-T SEC		Network read timeout is SEC seconds (default ${DEFAULT_TIMEOUT_S}, 0: none)
	-O FILE		Save to FILE ('-' for stdout)
	-U STR		Use STR for User-Agent header
Long forms: --quiet --server-response --timeout=SEC --output-document=FILE --user-agent=STR
`;

/**
 * Where the body goes. write()'s bytes are only valid during the call (a writer that keeps them
 * copies them); write() and close() return 0 or a negative errno.
 */
export interface OutputFile {
  write(data: Uint8Array): Promise<number>;
  close(): Promise<number>;
}

/** Opens FILE for the body. `excl`: refuse an existing file (O_EXCL), as busybox does without -O. */
export type OpenOutput = (sys: Syscalls, path: string, excl: boolean) => Promise<OutputFile | number>;

/** All of `data` to `fd`: 0, or a negative errno (a write that takes nothing is -ENOSPC). */
async function write_all(sys: Syscalls, fd: number, data: Uint8Array): Promise<number> {
  for (let at = 0; at < data.length; ) {
    const n = await sys.write(fd, data.subarray(at));
    if (n < 0) return n;
    if (n === 0) return -ENOSPC;
    at += n;
  }
  return 0;
}

/**
 * open(FILE, O_WRONLY|O_CREAT|O_TRUNC [|O_EXCL], 0666) for the body; each piece is written as it
 * arrives (a short write — ENOSPC on a full tmpfs — is an error), close() at the end.
 */
async function open_output(sys: Syscalls, path: string, excl: boolean): Promise<OutputFile | number> {
  const fd = sys.open(path, O_WRONLY | O_CREAT | O_TRUNC | (excl ? O_EXCL : 0), 0o666);
  if (fd < 0) return fd;
  return {
    write: async (data) => write_all(sys, fd, data),
    close: async () => sys.close(fd),
  };
}

/**
 * -O -: descriptor 1, the bytes as they are (how they look is the console's business; a file or
 * pipe on 1 gets them intact). A failed write is an error that ends the download.
 */
function stdout_output(sys: Syscalls): OutputFile {
  return {
    write: async (data) => write_all(sys, 1, data),
    close: async () => 0,
  };
}

/** Thrown to end the program with "wget: MESSAGE" and status 1 (busybox's bb_error_msg_and_die). */
class Die extends Error {}

interface Options {
  quiet: boolean;
  server_response: boolean;
  output: string | null;
  timeout_ms: number;
  agent: string;
  /** -O FILE, once opened: every URL's body goes into it (busybox opens it once), closed at the end. */
  file: OutputFile | null;
}

const LONG_OPTIONS: Readonly<Record<string, string>> = { quiet: "q", "server-response": "S", "output-document": "O", timeout: "T", "user-agent": "U" };

/** --name[=value] → -X [value], for getopt. */
function short_options(argv: readonly string[]): string[] | string {
  const out = [argv[0] ?? "wget"];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (!a.startsWith("--")) {
      out.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const c = LONG_OPTIONS[name];
    if (c === undefined) return `unrecognized option '${a}'`;
    out.push(`-${c}`);
    if (eq >= 0) out.push(a.slice(eq + 1));
  }
  return out;
}

/** The program in /bin. */
export async function wget(argv: readonly string[], sys: Syscalls): Promise<number> {
  return wget_main(argv, sys, open_output);
}

/** wget with the file opener given (tests hand in one that keeps the bytes). */
export async function wget_main(argv: readonly string[], sys: Syscalls, open: OpenOutput): Promise<number> {
  const long = short_options(argv);
  if (typeof long === "string") return fail(sys, "wget", `${long}\n${USAGE}`);
  const o = getopt(long, "qSO:T:U:");
  if (typeof o === "string") return fail(sys, "wget", `${o}\n${USAGE}`);
  if (o.args.length === 0) return fail(sys, "wget", `no URL given\n${USAGE}`);
  const t = o.opts.has("T") ? String(o.opts.get("T")) : String(DEFAULT_TIMEOUT_S);
  if (!/^\d+$/.test(t)) return fail(sys, "wget", `invalid number '${t}'`);
  const opts: Options = {
    quiet: o.opts.has("q"),
    server_response: o.opts.has("S"),
    output: o.opts.has("O") ? String(o.opts.get("O")) : null,
    timeout_ms: Number(t) * 1000,
    agent: o.opts.has("U") ? String(o.opts.get("U")) : "Wget",
    file: null,
  };
  let status = 0;
  try {
    for (const url of o.args) await download_one_url(sys, opts, url, open);
  } catch (e) {
    if (!(e instanceof Die)) throw e;
    status = fail(sys, "wget", sanitize(e.message)); // what a peer sent is sanitised where quoted; this is the backstop
  }
  const c = (await opts.file?.close()) ?? 0;
  if (c < 0 && status === 0) status = fail(sys, "wget", `can't write '${opts.output ?? ""}': ${strerror(c)}`);
  return status;
}

/** A parsed URL, or Die with busybox's message. */
function url_or_die(text: string): HttpUrl {
  const u = parse_http_url(text);
  if (!("error" in u)) return u;
  // The text may be a redirect's Location, bytes from the peer: sanitised.
  if (u.error === "port") throw new Die(`bad port spec '${sanitize(u.what)}'`);
  if (u.error === "host") throw new Die(`bad address '${sanitize(u.what)}'`);
  // busybox's words; its https and ftp need TLS and FTP, which ringzero's wget does not have.
  throw new Die(u.what === "https" || u.what === "ftp" ? `${u.what} is not supported: ${sanitize(text)}` : `not an http or ftp url: ${sanitize(text)}`);
}

/** The default output name: the last path component, without the query; "index.html" for a directory. */
function default_file_name(u: HttpUrl): string {
  const path = u.path.replace(/\?.*$/, "");
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name === "" ? "index.html" : name;
}

async function download_one_url(sys: Syscalls, opts: Options, text: string, open: OpenOutput): Promise<void> {
  let url = url_or_die(text);
  const to_stdout = opts.output === "-";
  const fname = opts.output ?? default_file_name(url);
  let redirects_left = MAX_REDIRECTS;
  let addr = 0;
  let resolve = true;
  for (;;) {
    if (resolve) {
      const addrs = await getaddrinfo(sys, url.host);
      if (typeof addrs === "number") throw new Die(`bad address '${sanitize(url.host)}'`);
      addr = addrs[0]!;
      if (!opts.quiet) await sys.write(2, `Connecting to ${url.authority} (${inet_ntoa(addr)}:${url.port})\n`);
    }
    const conn = await HttpConnection.open(sys, addr, url.port, opts.timeout_ms);
    try {
      await conn.send(request_for(url, opts.agent));
      const head = await read_response_head(conn, opts);
      const st = parse_status_line(head.start);
      const status = st?.status ?? 0;
      if (REDIRECTS.includes(status)) {
        const loc = head.fields.get("location");
        if (loc !== undefined) {
          if (--redirects_left < 0) throw new Die("too many redirections");
          const next = url_or_die(resolve_reference(url, loc));
          resolve = next.host !== url.host || next.port !== url.port;
          url = next;
          continue;
        }
      }
      if (!(status >= 200 && status <= 204)) throw new Die(`server returned error: ${sanitize(head.start)}`);
      await retrieve_body(sys, conn, head, status, opts, to_stdout, fname, open);
      return;
    } finally {
      conn.close();
    }
  }
}

function request_for(url: HttpUrl, agent: string): Uint8Array {
  const fields: [string, string][] = [
    ["Host", url.authority],
    ["User-Agent", agent],
    ["Connection", "close"],
  ];
  if (url.userinfo !== null) fields.push(["Authorization", `Basic ${base64_encode(new TextEncoder().encode(url.userinfo))}`]);
  return format_head(`GET ${percent_encode_target(url.path)} HTTP/1.1`, fields);
}

/** The final response head (1xx interim responses skipped), printed with -S as busybox does. */
async function read_response_head(conn: HttpConnection, opts: Options): Promise<HttpHead> {
  for (;;) {
    const bytes = await conn.read_head();
    const head = parse_head(bytes);
    if (typeof head === "string") throw new Die(sanitize(head));
    if (opts.server_response) for (const l of head.lines) await conn.sys.write(2, `  ${sanitize(l)}\n`);
    const st = parse_status_line(head.start);
    if (st !== null && st.status >= 100 && st.status < 200 && st.status !== 101) continue;
    return head;
  }
}

async function retrieve_body(sys: Syscalls, conn: HttpConnection, head: HttpHead, status: number, opts: Options, to_stdout: boolean, fname: string, open: OpenOutput): Promise<void> {
  const te = head.fields.get("transfer-encoding");
  const chunked = te !== undefined;
  if (te !== undefined && te.toLowerCase() !== "chunked") throw new Die(`transfer encoding '${sanitize(te)}' is not supported`);
  const clen = chunked ? null : content_length(head.fields);
  if (clen === "bad") throw new Die(`content-length ${sanitize(head.fields.get("content-length") ?? "")} is garbage`);
  const length = status === 204 ? 0 : clen;

  // The URL's own file (no -O) or the console is closed after this body; -O FILE at the end.
  const own = to_stdout || opts.output === null;
  let out: OutputFile;
  if (to_stdout) out = stdout_output(sys);
  else if (opts.file !== null) out = opts.file;
  else {
    const f = await open(sys, fname, opts.output === null);
    if (typeof f === "number") throw new Die(`can't open '${fname}': ${strerror(f)}`);
    out = f;
    if (!own) opts.file = f;
  }
  if (!opts.quiet) await sys.write(2, to_stdout ? "writing to stdout\n" : `saving to '${fname}'\n`);
  const bar = new ProgressMeter(sys, opts.quiet, to_stdout ? "-" : fname.slice(fname.lastIndexOf("/") + 1));
  let got = 0;
  const put = async (data: Uint8Array): Promise<void> => {
    if (data.length === 0) return;
    const r = await out.write(data);
    if (r < 0) throw new Die(`write error: ${strerror(r)}`);
    got += data.length;
    await bar.update(got, length ?? 0);
  };
  const more = async (): Promise<boolean> => {
    const r = await conn.fill();
    if (r < 0) throw new Die(`read error: ${strerror(r)}`);
    return r > 0;
  };

  let ok = false;
  try {
    if (chunked) {
      // Done at the zero-size chunk, as busybox: the trailer and its CRLF are not waited for.
      const dec = new ChunkedDecoder();
      while (!dec.last_chunk) {
        const pieces: Uint8Array[] = [];
        conn.consume(dec.feed(conn.buffered(), (p) => pieces.push(p)));
        for (const p of pieces) await put(p);
        if (dec.error !== null) throw new Die(dec.error); // the decoder sanitises what it quotes
        if (!dec.last_chunk && !(await more())) throw new Die("connection closed prematurely");
      }
    } else {
      for (;;) {
        const want = length === null ? Infinity : length - got;
        if (want <= 0) break;
        const b = conn.buffered();
        if (b.length > 0) {
          const n = Math.min(want, b.length);
          await put(b.subarray(0, n));
          conn.consume(n);
          continue;
        }
        if (await more()) continue;
        if (length !== null) throw new Die("connection closed prematurely");
        break;
      }
    }
    ok = true;
  } finally {
    // A finished download shows a full bar (its size is known now); a failed one where it stopped.
    await bar.end(got, ok ? got : (length ?? 0));
    // What arrived before a failure stays in the file, as busybox leaves it.
    if (!ok && own) await out.close();
  }
  const c = own ? await out.close() : 0;
  if (c < 0) throw new Die(`can't write '${fname}': ${strerror(c)}`);
  if (!opts.quiet) await sys.write(2, to_stdout ? "written to stdout\n" : `'${fname}' saved\n`);
}

/**
 * One TCP connection to the server with a receive buffer. Every wait is bounded by the -T
 * timeout; running out of it is busybox's "download timed out".
 */
class HttpConnection {
  readonly sys: Syscalls;
  readonly fd: number;
  private readonly timeout_ms: number;
  private buf = new Uint8Array(16384);
  private r = 0;
  private w = 0;

  private constructor(sys: Syscalls, fd: number, timeout_ms: number) {
    this.sys = sys;
    this.fd = fd;
    this.timeout_ms = timeout_ms;
  }

  /** socket() + connect(), the connect bounded by the timeout (non-blocking connect + poll). */
  static async open(sys: Syscalls, addr: number, port: number, timeout_ms: number): Promise<HttpConnection> {
    const fd = sys.socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw new Die(`socket: ${strerror(fd)}`);
    const c = new HttpConnection(sys, fd, timeout_ms);
    let ok = false;
    try {
      const flags = sys.fcntl(fd, F_GETFL);
      sys.fcntl(fd, F_SETFL, flags | O_NONBLOCK);
      let r = await sys.connect(fd, addr, port);
      if (r === -EINPROGRESS) {
        await c.wait(POLLOUT); // Die on the timeout: the finally below closes the socket
        const e = sys.getsockopt(fd, SOL_SOCKET, SO_ERROR);
        r = typeof e === "number" && e > 0 ? -e : 0;
      }
      sys.fcntl(fd, F_SETFL, flags);
      if (r < 0) throw new Die(`can't connect to remote host (${inet_ntoa(addr)}): ${strerror(r)}`);
      ok = true;
      return c;
    } finally {
      if (!ok) sys.close(fd);
    }
  }

  /** poll() for `events` up to the timeout; Die when it runs out. */
  private async wait(events: number): Promise<void> {
    const p: PollFd[] = [{ fd: this.fd, events, revents: 0 }];
    for (;;) {
      const n = await this.sys.poll(p, this.timeout_ms > 0 ? this.timeout_ms : -1);
      if (n === -EINTR) continue; // a caught signal (none is caught by default)
      if (n === 0) throw new Die("download timed out");
      return;
    }
  }

  async send(data: Uint8Array): Promise<void> {
    const r = await this.sys.send(this.fd, data, MSG_NOSIGNAL);
    if (r < 0) throw new Die(`error sending request: ${strerror(r)}`);
  }

  /** Read more from the socket into the buffer: bytes read, 0 at the end of the stream, or -errno. */
  async fill(): Promise<number> {
    if (this.r === this.w) this.r = this.w = 0;
    if (this.w === this.buf.length) {
      if (this.r > 0) {
        this.buf.copyWithin(0, this.r, this.w);
        this.w -= this.r;
        this.r = 0;
      } else {
        const bigger = new Uint8Array(this.buf.length * 2);
        bigger.set(this.buf);
        this.buf = bigger;
      }
    }
    await this.wait(POLLIN | POLLHUP | POLLERR);
    const n = await this.sys.recv(this.fd, this.buf.subarray(this.w));
    if (n > 0) this.w += n;
    return n;
  }

  buffered(): Uint8Array {
    return this.buf.subarray(this.r, this.w);
  }

  consume(n: number): void {
    this.r += n;
  }

  /** The next message head, up to and including its empty line. */
  async read_head(): Promise<Uint8Array> {
    for (;;) {
      const end = find_head_end(this.buf, this.r, this.w);
      if (end >= 0) {
        const head = this.buf.slice(this.r, end);
        this.r = end;
        return head;
      }
      if (this.w - this.r > MAX_HEAD) throw new Die("error getting response: header too long");
      const n = await this.fill();
      if (n < 0) throw new Die(`error getting response: ${strerror(n)}`);
      if (n === 0) throw new Die("error getting response");
    }
  }

  close(): void {
    this.sys.close(this.fd);
  }
}

/**
 * busybox's progress meter (libbb/progress.c) for an 80-column terminal: at most one update a
 * second while data flows, and the full bar at the end: "\rNAME  100% |****…| SIZE  0:00:00 ETA".
 */
class ProgressMeter {
  private readonly sys: Syscalls;
  private readonly quiet: boolean;
  private readonly name: string;
  private readonly start_s: number;
  private last_update_s: number;
  private ended = false;

  constructor(sys: Syscalls, quiet: boolean, name: string) {
    this.sys = sys;
    this.quiet = quiet;
    this.name = name;
    this.start_s = this.now_s();
    this.last_update_s = this.start_s;
  }

  private now_s(): number {
    return Math.floor(this.sys.clock_gettime(CLOCK_MONOTONIC) / 1e9);
  }

  async update(transferred: number, total: number): Promise<void> {
    if (this.quiet) return;
    const now = this.now_s();
    if (total !== 0 && transferred >= total) return; // the end() call draws the final bar
    if (now === this.last_update_s) return;
    this.last_update_s = now;
    await this.draw(transferred, total, now);
  }

  /** The full bar and the end of its line (once; also when the download fails). */
  async end(transferred: number, total: number): Promise<void> {
    if (this.quiet || this.ended) return;
    this.ended = true;
    await this.draw(transferred, total, this.now_s());
    await this.sys.write(2, "\n");
  }

  private async draw(transferred: number, total: number, now: number): Promise<void> {
    let line = `\r${this.name.slice(0, 20).padEnd(20)} `;
    if (total !== 0) {
      const ratio = Math.floor((100 * transferred) / total);
      const stars = Math.floor((32 * transferred) / total);
      line += `${String(ratio).padStart(3)}% |${"*".repeat(stars)}${" ".repeat(32 - stars)}| `;
    }
    line += size5(transferred);
    const elapsed = now - this.start_s;
    if (total === 0 || transferred === 0) line += " --:--:-- ETA";
    else {
      const eta = Math.min(Math.floor((total * elapsed) / transferred) - elapsed, 3600 * 1000 - 1);
      line += `${String(Math.floor(eta / 3600)).padStart(3)}:${String(Math.floor((eta % 3600) / 60)).padStart(2, "0")}:${String(eta % 60).padStart(2, "0")} ETA`;
    }
    await this.sys.write(2, line);
  }
}

/** busybox's smart_ulltoa5: five columns, "12345", " 300k", "92.1M". */
function size5(n: number): string {
  if (n <= 99999) return String(n).padStart(5);
  let v = n * 10;
  let idx = 0;
  do {
    v = Math.floor(v / 1024);
    idx++;
  } while (v >= 100000);
  const u = Math.floor(v / 10);
  const unit = " kMGTPEZY"[idx]!;
  if (u >= 100) return `${String(u).padStart(4)}${unit}`;
  return `${String(u).padStart(2)}.${v % 10}${unit}`;
}

export const wget_command: Command = {
  name: "wget",
  summary: "fetch a URL over HTTP: wget [-qS] [-O FILE|-] [-T SEC] [-U AGENT] URL",
  usage: HELP,
  main: wget,
};
