/**
 * wget and httpd on two machines on a wire (x = 10.0.0.1 runs wget, y = 10.0.0.2 serves), run from
 * their shells on the virtual clock; test-only servers and raw clients are kernel threads calling
 * the socket layer the system calls reach. Also userland/lib/http.ts's parsers on their own.
 */
import { describe, expect, it } from "vitest";
import { SIGTERM } from "../../include/linux/sched.ts";
import { O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import type { Program, Syscalls } from "../../include/uapi/syscalls.ts";
import { kernfs_read } from "../../kernel/fs/kernfs.ts";
import { kill_pid, set_program_table } from "../../kernel/process.ts";
import { task_list } from "../../kernel/sched/core.ts";
import { MAX_CONNS } from "../../userland/bin/httpd.ts";
import { wget_main } from "../../userland/bin/wget.ts";
import { ChunkedDecoder, content_length, content_type, latin1_decode, latin1_encode, parse_head, parse_http_url, parse_status_line, resolve_reference, type HttpUrl } from "../../userland/lib/http.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { type Host, type Pair, pattern, same_bytes, tcp_listen, tcp_pair, tcp_socket, Y_IP } from "../net/tcp_harness.ts";

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** What `h`'s kernel has at `path` (the file httpd serves). */
function file_on(h: Host, path: string): Uint8Array {
  const r = h.k(() => kernfs_read(path));
  if (typeof r === "number") throw new Error(`${path}: ${r}`);
  return typeof r === "string" ? new TextEncoder().encode(r) : r;
}

/** Run `fn` as a kernel thread on `h` until it finishes; its value. */
async function run_on<T>(p: Pair, h: Host, fn: () => Promise<T>, max_ns = 10e9): Promise<T> {
  const r = h.spawn(fn);
  await p.until(() => r.done, max_ns);
  if (!r.done) throw new Error("the task did not finish");
  if (r.error !== undefined) throw r.error;
  return r.value as T;
}

/**
 * Installs `wget_mem` in x's /bin: wget whose files are kept in `files` (the interim file output
 * cannot create files, and this keeps the bytes for comparison).
 */
function install_wget_mem(p: Pair, opens: string[] = []): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const prog: Program = (argv, sys: Syscalls) =>
    wget_main(argv, sys, async (_sys, path, excl) => {
      opens.push(`${path}${excl ? " (excl)" : ""}`);
      const parts: Uint8Array[] = [];
      return {
        write: async (d) => (parts.push(d.slice()), 0),
        close: async () => (files.set(path, Buffer.concat(parts)), 0),
      };
    });
  p.x.k(() => set_program_table(new Map([...PROGRAMS, ["wget_mem", prog]])));
  return files;
}

/** A test-only server on y: answers each request with route(path)'s bytes (sent in that many send() calls), then closes unless `hold`. */
function test_server(p: Pair, port: number, route: (path: string) => { parts: (string | Uint8Array)[]; hold?: boolean }): string[] {
  const seen: string[] = [];
  const lfd = tcp_listen(p.y, port);
  p.y.spawn(async () => {
    const ctl = p.y.ctl();
    const buf = new Uint8Array(4096);
    for (;;) {
      const a = await ctl.accept(p.y.owner, lfd, 0);
      if (typeof a === "number") return;
      let head = "";
      while (!head.includes("\r\n\r\n")) {
        const n = await ctl.recv(a.fd, buf);
        if (n <= 0) break;
        head += latin1_decode(buf.subarray(0, n));
      }
      seen.push(head);
      const r = route(head.split(" ")[1] ?? "");
      for (const part of r.parts) await ctl.send(a.fd, typeof part === "string" ? latin1_encode(part) : part);
      if (r.hold !== true) ctl.close(a.fd);
    }
  });
  return seen;
}

interface Response {
  status: number;
  head: string;
  /** Field names in lower case. */
  fields: Map<string, string>;
  body: string;
}

/** A raw HTTP client on x: one connection, requests written as given, responses read by their Content-Length. */
class RawClient {
  private pending = new Uint8Array(0);
  readonly p: Pair;
  readonly fd: number;
  constructor(p: Pair) {
    this.p = p;
    this.fd = tcp_socket(p.x);
  }
  async connect(port = 80): Promise<number> {
    return run_on(this.p, this.p.x, () => this.p.x.ctl().connect(this.fd, Y_IP, port));
  }
  async send(s: string): Promise<void> {
    await run_on(this.p, this.p.x, () => this.p.x.ctl().send(this.fd, latin1_encode(s)));
  }
  /** One response, read from the test (runs the world until it is in). */
  async response(head_only = false): Promise<Response | null> {
    return run_on(this.p, this.p.x, () => this.read_response(head_only));
  }
  /** One response, read in a kernel thread on x; `head_only` for a HEAD (no body whatever Content-Length says). null at EOF. */
  async read_response(head_only = false): Promise<Response | null> {
    {
      const buf = new Uint8Array(65536);
      for (;;) {
        const s = latin1_decode(this.pending);
        const end = s.indexOf("\r\n\r\n");
        if (end >= 0) {
          const head = s.slice(0, end);
          const fields = new Map(head.split("\r\n").slice(1).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as [string, string]));
          const len = head_only ? 0 : Number(fields.get("content-length") ?? 0);
          if (this.pending.length >= end + 4 + len) {
            const body = text(this.pending.subarray(end + 4, end + 4 + len));
            this.pending = this.pending.slice(end + 4 + len);
            return { status: Number(head.split(" ")[1]), head, fields, body };
          }
        }
        const n = await this.p.x.ctl().recv(this.fd, buf);
        if (n <= 0) return null;
        this.pending = Buffer.concat([this.pending, buf.subarray(0, n)]);
      }
    }
  }
  close(): void {
    this.p.x.ctl().close(this.fd);
  }
}

describe("wget from httpd", () => {
  it("fetches /version from httpd -h /proc: -q -O - prints exactly the body; without -q busybox's lines go around it", async () => {
    const p = await tcp_pair({ cmd_y: "httpd -f -p 80 -h /proc", cmd_x: "sleep 1.5; wget -q -O - http://10.0.0.2/version; echo rc=$?; wget -O - 10.0.0.2/version; sleep 1000" });
    await p.step(2e9);
    const version = text(file_on(p.y, "/proc/version"));
    expect(version).toMatch(/^ringzero version /);
    const size = String(version.length).padStart(5);
    expect(p.x.m.machine.console_output).toBe(
      `${version}rc=0\n` + `Connecting to 10.0.0.2 (10.0.0.2:80)\nwriting to stdout\n${version}\r-                    100% |${"*".repeat(32)}| ${size}  0:00:00 ETA\nwritten to stdout\n`,
    );
  });

  it("keeps binary bodies intact: a PCI config space from httpd, and 300 KB by Content-Length, chunked and read-until-close", async () => {
    const p = await tcp_pair({ cmd_y: "httpd -f -h /sys/bus/pci/devices", cmd_x: "sleep 1.5; wget_mem -q http://10.0.0.2/0000:00:03.0/config; wget_mem -q -O cl http://10.0.0.2:8080/cl; wget_mem -q -O ch 10.0.0.2:8080/ch; wget_mem -O eof http://10.0.0.2:8080/eof; echo rc=$?; wget_mem -q -O ids 10.0.0.2/0000:00:03.0/vendor 10.0.0.2/0000:00:03.0/device; sleep 1000" });
    const opens: string[] = [];
    const files = install_wget_mem(p, opens);
    const big = pattern(300_000, 7);
    test_server(p, 8080, (path) => {
      if (path === "/cl") return { parts: [`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`, big] };
      if (path === "/eof") return { parts: ["HTTP/1.0 200 OK\r\n\r\n", big.subarray(0, 1000), big.subarray(1000)] };
      // Chunks of odd sizes, hex in either case, an extension and a trailer.
      const parts: (string | Uint8Array)[] = ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"];
      for (let at = 0, n = 1; at < big.length; at += n, n = n * 3 + 7) {
        const c = big.subarray(at, at + n);
        parts.push(`${at % 2 ? c.length.toString(16) : c.length.toString(16).toUpperCase()}${at === 0 ? ";name=value" : ""}\r\n`, c, "\r\n");
      }
      parts.push("0\r\nX-Trailer: yes\r\n\r\n");
      return { parts };
    });
    await p.step(20e9);
    const config = file_on(p.y, "/sys/bus/pci/devices/0000:00:03.0/config");
    expect(config.length).toBeGreaterThanOrEqual(256);
    expect(config.includes(0)).toBe(true);
    expect(same_bytes(files.get("config"), config)).toBe(true); // the default name: the last path component
    expect(same_bytes(files.get("cl"), big)).toBe(true);
    expect(same_bytes(files.get("ch"), big)).toBe(true);
    expect(same_bytes(files.get("eof"), big)).toBe(true);
    const out = p.x.m.machine.console_output;
    expect(out).toMatch(/^Connecting to 10\.0\.0\.2:8080 \(10\.0\.0\.2:8080\)\nsaving to 'eof'\n/);
    expect(out).toMatch(/\reof {18}100% \|\*{32}\|  292k  0:00:00 ETA\n'eof' saved\nrc=0\n$/);
    // Without -O the file must be new (O_EXCL); -O FILE is opened once for all the URLs.
    expect(opens).toEqual(["config (excl)", "cl", "ch", "eof", "ids"]);
    expect(text(files.get("ids")!)).toBe("0x8086\n0x100e\n");
  });

  it("follows 301/302/303/307/308 with absolute and relative Locations; busybox's request; 'too many redirections' after 20", async () => {
    const p = await tcp_pair({ cmd_y: "httpd -f -h /proc", cmd_x: "sleep 1.5; wget -O - -U test/1 http://u:p@10.0.0.2:8080/a/b; echo rc=$?; wget -q -O - http://10.0.0.2:8080/loop; echo rc=$?; sleep 1000" });
    const moved = (status: string, loc: string): { parts: string[] } => ({ parts: [`HTTP/1.1 ${status}\r\nlocation:   ${loc}  \r\nContent-Length: 3\r\n\r\nxyz`] });
    const seen = test_server(p, 8080, (path) => {
      if (path === "/a/b") return moved("301 Moved Permanently", "c/d?x=1");
      if (path === "/a/c/d?x=1") return moved("302 Found", "../e");
      if (path === "/a/e") return moved("308 Permanent Redirect", "//10.0.0.2:81/g");
      if (path === "/loop") return moved("307 Temporary Redirect", "/loop");
      return { parts: ["HTTP/1.1 404 Not Found\r\n\r\n"] };
    });
    test_server(p, 81, () => moved("303 See Other", "http://10.0.0.2/f"));
    await p.step(5e9);
    // /f is asked of httpd (port 80): 404 there; wget stops with it.
    expect(seen.slice(0, 3).map((h) => h.split("\r\n")[0])).toEqual(["GET /a/b HTTP/1.1", "GET /a/c/d?x=1 HTTP/1.1", "GET /a/e HTTP/1.1"]);
    expect(seen[0]).toBe("GET /a/b HTTP/1.1\r\nHost: 10.0.0.2:8080\r\nUser-Agent: test/1\r\nConnection: close\r\nAuthorization: Basic dTpw\r\n\r\n");
    expect(p.x.m.machine.console_output).toBe(
      "Connecting to 10.0.0.2:8080 (10.0.0.2:8080)\nConnecting to 10.0.0.2:81 (10.0.0.2:81)\nConnecting to 10.0.0.2 (10.0.0.2:80)\nwget: server returned error: HTTP/1.1 404 Not Found\nrc=1\nwget: too many redirections\nrc=1\n",
    );
    expect(seen.filter((h) => h.startsWith("GET /loop ")).length).toBe(21);
  });

  it("reports 404, refused connections, bad addresses, other schemes, garbage, short bodies and a stalled server as busybox does", async () => {
    const p = await tcp_pair({
      cmd_y: "httpd -f -h /proc",
      cmd_x:
        "sleep 1.5; wget -q http://10.0.0.2/nope; echo rc=$?; wget -q http://10.0.0.2:81/; echo rc=$?; wget -q http://nosuch.invalid/x; echo rc=$?; wget ftp://h/f; echo rc=$?; wget gopher://h/; wget http://10.0.0.2:99999/; " +
        "wget -q -O - 10.0.0.2:8080/garbage; wget -q -O - 10.0.0.2:8080/short; wget -q -O - 10.0.0.2:8080/badchunk; wget -q -O - 10.0.0.2:8080/gzip; wget -q -T 3 -O - 10.0.0.2:8080/stall; echo rc=$?; wget -q 10.0.0.2/version; echo rc=$?; wget -q 10.0.0.2/version; echo rc=$?; wget -q -O /tmp/v 10.0.0.2/version; cat /tmp/v; wget -q -O /nodir/v 10.0.0.2/version; echo rc=$?; sleep 1000",
    });
    test_server(p, 8080, (path) => {
      if (path === "/garbage") return { parts: ["HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n"] };
      if (path === "/short") return { parts: ["HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"] };
      if (path === "/badchunk") return { parts: ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n"] };
      if (path === "/gzip") return { parts: ["HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"] };
      return { parts: ["HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart"], hold: true };
    });
    await p.until(() => p.x.m.machine.console_output.endsWith("part"));
    const before = p.x.m.machine.console_output;
    expect(before).toBe(
      [
        "wget: server returned error: HTTP/1.1 404 Not Found",
        "rc=1",
        "wget: can't connect to remote host (10.0.0.2): Connection refused",
        "rc=1",
        "wget: bad address 'nosuch.invalid'",
        "rc=1",
        "wget: ftp is not supported: ftp://h/f",
        "rc=1",
        "wget: not an http or ftp url: gopher://h/",
        "wget: bad port spec '99999'",
        "wget: content-length 12abc is garbage",
        "only thiswget: connection closed prematurely",
        "abcwget: bad chunk length 'zz'",
        "wget: transfer encoding 'gzip, chunked' is not supported",
        "part",
      ].join("\n"),
    );
    await p.step(2.9e9); // -T 3: three seconds without data end it
    expect(p.x.m.machine.console_output).toBe(before);
    await p.step(1e9);
    // Without -O the file is created beside us and must be new (O_EXCL); -O FILE truncates; a
    // directory that does not exist is busybox's "can't open".
    await p.step(1e9);
    const version = text(file_on(p.y, "/proc/version"));
    expect(p.x.m.machine.console_output).toBe(
      before + `wget: download timed out\nrc=1\nrc=0\nwget: can't open 'version': File exists\nrc=1\n${version}wget: can't open '/nodir/v': No such file or directory\nrc=1\n`,
    );
  });

  it("-S prints the response heads; 1xx interim responses are skipped; field names in any case; --help", async () => {
    const p = await tcp_pair({ cmd_y: "httpd -f -h /proc", cmd_x: "sleep 1.5; wget -S -q -O - 10.0.0.2:8080/x; echo; wget -q 10.0.0.2:8080/bad; wget --help; echo rc=$?; wget -Z; echo rc=$?; sleep 1000" });
    test_server(p, 8080, (path) => ({
      parts: path === "/x" ? ["HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 200  OK\r\ncontent-LENGTH:\t 5\r\nServer:\tnginx\r\nX-Esc: a\x1b[2Jb\r\nX-Folded: a\r\n  b\r\n\r\nhello, and more"] : ["HTTP/1.1 200 OK\r\nContent-Length :5\r\n\r\n"],
    }));
    await p.step(3e9);
    const out = p.x.m.machine.console_output;
    // -S lines show a TAB as a space and are cut at any other control character (busybox's sanitize_string).
    expect(out.split("\n").slice(0, 10)).toEqual([
      "  HTTP/1.1 100 Continue",
      "  HTTP/1.1 200  OK",
      "  content-LENGTH:  5",
      "  Server: nginx",
      "  X-Esc: a",
      "  X-Folded: a",
      "    b",
      "hello",
      "wget: bad header line: Content-Length :5",
      "Usage: wget [-qS] [-O FILE] [-T SEC] [-U AGENT] URL...",
    ]);
    expect(out).toContain("\t-O FILE\t\tSave to FILE ('-' for stdout)\n");
    expect(out).toMatch(/rc=0\nwget: invalid option -- 'Z'\nUsage: wget .*\nrc=1\n$/);
  });
});

describe("wget: peer bytes, chunked ends, -O - as bytes", () => {
  it("sanitises what the server sent in its messages; stops at the zero-size chunk; writes -O - as bytes and fails on a failed write", async () => {
    const p = await tcp_pair({
      cmd_y: "sleep 1000",
      cmd_x:
        "sleep 1.5; wget -q -O - 10.0.0.2:8080/te; wget -q -O - 10.0.0.2:8080/cl; wget -q -O - 10.0.0.2:8080/loc; wget -q -O - 10.0.0.2:8080/badchunk; " +
        "wget -q -O - 10.0.0.2:8080/z_eof; echo rc=$?; wget -q -T 30 -O - 10.0.0.2:8080/z_hold; echo rc=$?; wget_fd1 /tmp/b -q -O - 10.0.0.2:8080/bin; echo rc=$?; wget_fd1 /dev/full -q -O - 10.0.0.2:8080/bin; echo rc=$?; sleep 1000",
    });
    const bin = Uint8Array.of(0xff, 0x41, 0xe9, 0x00, 0xc3, 0x0a);
    // wget with descriptor 1 on FILE; then FILE's bytes in hex on stderr (the console).
    const fd1: Program = async (argv, sys) => {
      const fd = sys.open(argv[1]!, O_WRONLY | O_CREAT | O_TRUNC, 0o666);
      sys.dup2(fd, 1);
      sys.close(fd);
      const rc = await wget_main(["wget", ...argv.slice(2)], sys, async () => -1);
      if (!argv[1]!.startsWith("/dev/")) {
        const b = new Uint8Array(64);
        const r = sys.open(argv[1]!, O_RDONLY);
        const n = await sys.read(r, b);
        await sys.write(2, `[${Buffer.from(b.subarray(0, n)).toString("hex")}]\n`);
      }
      return rc;
    };
    p.x.k(() => set_program_table(new Map([...PROGRAMS, ["wget_fd1", fd1]])));
    const esc = "\x1b[2J\r\n";
    test_server(p, 8080, (path) => {
      if (path === "/te") return { parts: ["HTTP/1.1 200 OK\r\nTransfer-Encoding: gz\x1b[31mip\r\n\r\n"] };
      if (path === "/cl") return { parts: ["HTTP/1.1 200 OK\r\nContent-Length: 1\x07\x1b[H\r\n\r\n"] };
      if (path === "/loc") return { parts: [`HTTP/1.1 302 Found\r\nLocation: ftp://h/\x1b]0;pwned\x07x\r\n\r\n`] };
      if (path === "/badchunk") return { parts: [`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nq\x1b[2J;${esc}`] };
      if (path === "/z_eof") return { parts: ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"] };
      if (path === "/z_hold") return { parts: ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n"], hold: true };
      return { parts: [`HTTP/1.1 200 OK\r\nContent-Length: ${bin.length}\r\n\r\n`, bin] };
    });
    await p.step(4e9); // well inside -T 30: z_hold ends at its zero-size chunk
    expect(p.x.m.machine.console_output).toBe(
      [
        "wget: transfer encoding 'gz' is not supported",
        "wget: content-length 1 is garbage",
        "wget: ftp is not supported: ftp://h/",
        "wget: bad chunk length 'q'",
        "abcrc=0",
        "derc=0",
        "[ff41e900c30a]", // -O - with a file on 1: the bytes as sent
        "rc=0",
        "wget: write error: No space left on device",
        "rc=1",
        "",
      ].join("\n"),
    );
  });
});

describe("httpd", () => {
  it("keeps a connection alive for two requests, answers HEAD without a body, closes on Connection: close", async () => {
    const p = await tcp_pair({ cmd_y: "httpd -f -v -h /proc", cmd_x: "sleep 1000" });
    const version = text(file_on(p.y, "/proc/version"));
    const c = new RawClient(p);
    expect(await c.connect()).toBe(0);
    await c.send("GET /version HTTP/1.1\r\nHost: y\r\n\r\n");
    const r1 = (await c.response())!;
    expect(r1.head).toMatch(/^HTTP\/1\.1 200 OK\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\nServer: ringzero-httpd\r\nContent-Type: text\/plain\r\nContent-Length: \d+$/);
    expect(r1.body).toBe(version);
    await c.send("HEAD /version HTTP/1.1\r\nHost: y\r\n\r\n");
    const r2 = (await c.response(true))!;
    expect(r2.status).toBe(200);
    expect(r2.fields.get("content-length")).toBe(String(version.length));
    // Pipelined: two requests in one write; the second asks to close.
    await c.send("GET /version HTTP/1.1\r\nHost: y\r\n\r\nGET /nope HTTP/1.1\r\nHost: y\r\nConnection: close\r\n\r\n");
    expect((await c.response())!.body).toBe(version);
    const r4 = (await c.response())!;
    expect(r4.status).toBe(404);
    expect(r4.fields.get("connection")).toBe("close");
    expect(r4.fields.get("content-type")).toBe("text/html");
    expect(r4.body).toContain("<h1>404 Not Found</h1>");
    expect(await c.response()).toBeNull(); // the server closed
    expect(p.y.mib().PassiveOpens).toBe(1); // all four on one connection
    const port = p.x.k(() => p.x.ctl().getsockname(c.fd)) as { port: number };
    expect(p.y.m.machine.console_output).toBe(["200", "200", "200", "404"].map((s) => `10.0.0.1:${port.port}: response:${s}\n`).join(""));
    c.close();
  });

  it("refuses paths that climb out of HOME, lists directories, redirects /dir to /dir/, answers bad requests and methods", async () => {
    const p = await tcp_pair({ cmd_y: "httpd -f -h /proc/net", cmd_x: "sleep 1000" });
    const ask = async (req: string): Promise<Response> => {
      const c = new RawClient(p);
      await c.connect();
      await c.send(req);
      const r = (await c.response(req.startsWith("HEAD")))!;
      c.close();
      return r;
    };
    for (const path of ["/../version", "/%2e%2e/version", "/stat/../../version", "/..%2Fversion"]) expect((await ask(`GET ${path} HTTP/1.1\r\nHost: y\r\n\r\n`)).status, path).toBe(403);
    expect((await ask("GET /stat/../route HTTP/1.0\r\n\r\n")).body).toBe(text(file_on(p.y, "/proc/net/route")));
    expect((await ask("GET http://y/route?q=1 HTTP/1.0\r\n\r\n")).status).toBe(200); // absolute-form, query ignored
    const dir = await ask("GET /stat HTTP/1.1\r\nHost: y\r\n\r\n");
    expect([dir.status, dir.fields.get("location")]).toEqual([302, "/stat/"]);
    const list = await ask("GET / HTTP/1.1\r\nHost: y\r\n\r\n");
    expect(list.fields.get("content-type")).toBe("text/html");
    expect(list.body).toContain('<li><a href="route">route</a></li>\n');
    expect(list.body).toContain('<li><a href="stat/">stat/</a></li>\n');
    expect(list.body).not.toContain("../");
    expect((await ask("GET /stat/ HTTP/1.1\r\nHost: y\r\n\r\n")).body).toContain('<li><a href="../">../</a></li>');
    expect((await ask("GET /route/ HTTP/1.1\r\nHost: y\r\n\r\n")).status).toBe(404);
    const post = await ask("POST /route HTTP/1.1\r\nHost: y\r\nContent-Length: 2\r\n\r\nab");
    expect([post.status, post.fields.get("allow"), post.fields.get("connection")]).toEqual([405, "GET, HEAD", "close"]);
    expect((await ask("BREW /pot HTTP/1.1\r\nHost: y\r\n\r\n")).status).toBe(501);
    expect((await ask("GET /route HTTP/1.1\r\n\r\n")).status).toBe(400); // HTTP/1.1 without Host
    expect((await ask("GET /route\r\n\r\n")).status).toBe(400);
    expect((await ask("GET /route HTTP/2.0\r\n\r\n")).status).toBe(505);
    expect((await ask("GET /bad%zz HTTP/1.0\r\n\r\n")).status).toBe(400);
    const ka = await ask("HEAD /route HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    expect([ka.status, ka.fields.get("connection")]).toEqual([200, "keep-alive"]);
    expect((await ask("\r\nGET /route HTTP/1.0\r\n\r\n")).status).toBe(200); // an empty line before the request is skipped
  });

  it("serves connections side by side, at most MAX_CONNS at a time; 408 for a request not finished in 60 s", async () => {
    const p = await tcp_pair({ cmd_y: "httpd -f -h /proc", cmd_x: "sleep 1000" });
    const slow = new RawClient(p);
    await slow.connect();
    await slow.send("GET /version HTTP/1.1\r\n"); // and no more yet
    const idle: RawClient[] = [];
    for (let i = 1; i < MAX_CONNS; i++) {
      idle.push(new RawClient(p));
      await idle[i - 1]!.connect();
    }
    const extra = new RawClient(p);
    expect(await extra.connect()).toBe(0); // completed by the kernel: it waits in the backlog
    await extra.send("GET /version HTTP/1.1\r\nHost: y\r\n\r\n");
    const answer = p.x.spawn(() => extra.read_response());
    await p.step(1e9);
    expect(answer.done).toBe(false); // httpd holds MAX_CONNS connections and accepts no more
    idle[0]!.close();
    await p.until(() => answer.done, 2e9);
    expect(answer.value?.status).toBe(200);
    // The slow client was served alongside; now it finishes its request.
    await slow.send("Host: y\r\n\r\n");
    expect((await slow.response())?.status).toBe(200);
    await slow.send("GET /version HTTP/1.1\r\n");
    const late = p.x.spawn(() => slow.read_response());
    await p.step(59e9);
    expect(late.done).toBe(false);
    await p.until(() => late.done, 2e9);
    expect(late.value?.status).toBe(408);
    expect(late.value?.fields.get("connection")).toBe("close");
  });

  it("without -f returns to the prompt at once and serves in the background; ps shows it; SIGTERM ends it and frees the port", async () => {
    const p = await tcp_pair({ cmd_y: "httpd -p 8000 -h /proc; echo rc=$?; ps -o pid,ppid,stat,args; httpd -p 8000; echo rc=$?; sleep 1000", cmd_x: "sleep 1.5; wget -q -O - 10.0.0.2:8000/uptime; sleep 2; wget -q -O - 10.0.0.2:8000/uptime; sleep 1000" });
    await p.step(1e9);
    const out = p.y.m.machine.console_output;
    expect(out).toMatch(/^rc=0\n {2}PID {2}PPID STAT COMMAND\n/);
    const row = out.split("\n").find((l) => l.endsWith(" httpd -f -p 8000 -h /proc"));
    expect(row).toMatch(/^ +\d+ +\d+ S\S* +httpd -f -p 8000 -h \/proc$/);
    expect(out).toMatch(/httpd: bind: Address already in use\nrc=1\n$/);
    await p.step(1e9);
    expect(p.x.m.machine.console_output).toMatch(/^\d+\.\d\d \d+\.\d\d\n$/);
    const pid = Number(row!.trim().split(/ +/)[0]);
    expect(p.y.k(() => kill_pid(pid, SIGTERM))).toBe(0);
    await p.step(2e9);
    expect(p.y.k(() => task_list().some((t) => t.pid === pid))).toBe(false);
    expect(p.y.socks().filter((s) => s.sport === 8000 && s.state === 10)).toEqual([]); // no listener left
    expect(p.x.m.machine.console_output).toMatch(/\nwget: can't connect to remote host \(10\.0\.0\.2\): Connection refused\n$/);
  });

  it("with -f stays in the foreground until ^C, then closes its sockets; --help", async () => {
    const p = await tcp_pair({ cmd_y: "httpd --help; httpd -f -p 80 -h /proc; echo rc=$?; sleep 1000", cmd_x: "sleep 1000" });
    const c = new RawClient(p);
    await c.connect();
    expect(p.y.m.machine.console_output).toMatch(/^Usage: httpd \[-fv\[v\]\] \[-p \[IP:\]PORT\] \[-h HOME\]\n\nListen for incoming HTTP requests\n[^]*\t-f\t\tRun in foreground\n/);
    const before = p.y.m.machine.console_output;
    p.y.m.machine.uart.receive("\x03");
    await p.step(1e9);
    // httpd dies of the SIGINT, and so does the rest of the -c list, as with bash -c 'httpd -f; echo
    // rc=$?': nothing more is printed (no "^C" either: a -c run's console does not echo) and the
    // machine powers off with the shell's 130.
    expect(p.y.m.machine.console_output).toBe(before);
    expect([p.y.m.machine.powered_off, p.y.m.machine.exit_code]).toEqual([true, 128 + 2]);
    expect(await c.response()).toBeNull(); // its connection was closed too
    expect(p.y.socks().filter((s) => s.sport === 80 && s.state === 10)).toEqual([]); // no listener
  });
});

describe("httpd under load", () => {
  it("takes pipelined requests one at a time: a client that does not read holds one response, not all of them", async () => {
    // Small socket buffers (64 KB at most), so that what httpd has sent and not had read is bounded.
    const small = { tcp_wmem: [4096, 16384, 65536], tcp_rmem: [4096, 65536, 65536] } as unknown as Record<string, number>;
    const p = await tcp_pair({ cmd_y: "httpd -f -v -h /proc", cmd_x: "sleep 1000", sysctl: small });
    const c = new RawClient(p);
    await c.connect();
    const n = 300; // 300 directory listings: far more than the socket buffers hold
    await c.send("GET / HTTP/1.1\nHost:y\n\n".repeat(n));
    await p.step(1e9);
    const logged = (): number => p.y.m.machine.console_output.split("\n").filter((l) => l.endsWith("response:200")).length;
    expect(logged()).toBeLessThan(n / 2);
    const all = await run_on(p, p.x, async () => {
      const got: number[] = [];
      for (let i = 0; i < n; i++) got.push((await c.read_response())?.status ?? 0);
      return got;
    });
    expect(all).toEqual(new Array<number>(n).fill(200));
    expect(logged()).toBe(n);
    c.close();
  });

  it("times a request from its first byte: one trickled a line every 10 s still gets 408 after 60 s", async () => {
    const p = await tcp_pair({ cmd_y: "httpd -f -h /proc", cmd_x: "sleep 1000" });
    const c = new RawClient(p);
    await c.connect();
    await c.send("GET /version HTTP/1.1\r\n");
    const answer = p.x.spawn(() => c.read_response());
    for (let i = 0; i < 5; i++) {
      await p.step(10e9);
      await c.send(`X-${i}: y\r\n`);
    }
    expect(answer.done).toBe(false);
    await p.until(() => answer.done, 12e9);
    expect(answer.value?.status).toBe(408);
  });

  it("when full, closes the keep-alive connection idle longest for a new client", async () => {
    const p = await tcp_pair({ cmd_y: "httpd -f -h /proc", cmd_x: "sleep 1000" });
    const kept: RawClient[] = [];
    for (let i = 0; i < MAX_CONNS; i++) {
      const c = new RawClient(p);
      kept.push(c);
      await c.connect();
      await c.send("GET /version HTTP/1.1\r\nHost: y\r\n\r\n");
      expect((await c.response())?.status).toBe(200);
      await p.step(10e6);
    }
    const extra = new RawClient(p);
    await extra.connect();
    await extra.send("GET /version HTTP/1.1\r\nHost: y\r\n\r\n");
    expect((await extra.response())?.status).toBe(200);
    expect(await kept[0]!.response()).toBeNull(); // the oldest idle one was closed
    await kept[1]!.send("GET /version HTTP/1.1\r\nHost: y\r\n\r\n");
    expect((await kept[1]!.response())?.status).toBe(200); // the rest are still served
  });

  it("percent-encodes the directory in a redirect's Location", async () => {
    const p = await tcp_pair({ cmd_y: "httpd -f -h /sys/bus/pci/devices", cmd_x: "sleep 1000" });
    const c = new RawClient(p);
    await c.connect();
    await c.send("GET /0000%3a00%3a03.0?a=1 HTTP/1.1\r\nHost: y\r\n\r\n");
    const r = (await c.response())!;
    expect([r.status, r.fields.get("location")]).toEqual([302, "/0000%3A00%3A03.0/?a=1"]);
  });
});

describe("userland/lib/http.ts", () => {
  it("decodes chunked bodies fed a byte at a time, and leaves what follows the message", () => {
    const msg = latin1_encode("4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: v\r\n\r\nNEXT");
    const d = new ChunkedDecoder();
    const got: number[] = [];
    let used = 0;
    for (let i = 0; i < msg.length && !d.done; i++) used += d.feed(msg.subarray(i, i + 1), (b) => got.push(...b));
    expect([d.done, d.error, latin1_decode(Uint8Array.from(got)), used]).toEqual([true, null, "Wikipedia in\r\n\r\nchunks.", msg.length - 4]);
    const bad = new ChunkedDecoder();
    bad.feed(latin1_encode("2\r\nabX\r\n"), () => {});
    expect(bad.error).toBe("bad chunk: no CRLF after its data");
  });

  it("parses URLs, resolves references, heads and Content-Length", () => {
    const base = parse_http_url("http://u%40x:p@Host:8080/a/b?q#f") as HttpUrl;
    expect(base).toEqual({ host: "Host", port: 8080, authority: "Host:8080", path: "/a/b?q", userinfo: "u@x:p" });
    expect(parse_http_url("example.com")).toEqual({ host: "example.com", port: 80, authority: "example.com", path: "/", userinfo: null });
    expect(parse_http_url("HTTPS://x/")).toEqual({ error: "scheme", what: "https" });
    expect(parse_http_url("http://x:0/")).toEqual({ error: "port", what: "0" });
    expect(["c", "../../c", "/c/./d/..", "?z", "//other/p", "ftp://f/"].map((r) => resolve_reference(base, r))).toEqual([
      "http://Host:8080/a/c",
      "http://Host:8080/c",
      "http://Host:8080/c/",
      "http://Host:8080/a/b?z",
      "http://other/p",
      "ftp://f/",
    ]);
    expect(parse_status_line("HTTP/1.0 404")).toEqual({ major: 1, minor: 0, status: 404, reason: "" });
    expect(parse_status_line("HTTP/1.1 2000 OK")).toBeNull();
    const h = parse_head(latin1_encode("HTTP/1.1 200 OK\nContent-Length: 5\r\ncontent-length: 5\r\nX: \xe9\r\n\r\n"));
    expect(typeof h === "string" ? h : [h.fields.get("x"), content_length(h.fields)]).toEqual(["\xe9", 5]);
    const folded = parse_head(latin1_encode("GET / HTTP/1.1\r\nX-F: a\r\n \t b \r\n\r\n"));
    expect(typeof folded === "string" ? folded : folded.fields.get("x-f")).toBe("a b");
    expect(parse_head(latin1_encode("HTTP/1.1 200 OK\r\n: v\r\n\r\n"))).toBe("bad header line: : v");
    expect([content_type("index.HTML", new Uint8Array(0)), content_type("version", latin1_encode("ringzero\n")), content_type("config", Uint8Array.of(0x86, 0x80, 0))]).toEqual(["text/html", "text/plain", "application/octet-stream"]);
    const conflict = parse_head(latin1_encode("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n"));
    expect(typeof conflict === "string" ? conflict : content_length(conflict.fields)).toBe("bad");
  });
});
