/**
 * HTTP/1.1 messages for wget and httpd: RFC 9112's syntax (start lines, header fields, chunked
 * transfer coding) and the parts of RFC 9110 / RFC 3986 both tools need (status texts, dates,
 * http URLs, reference resolution, percent-encoding). Pure functions over bytes and strings; no
 * system calls. Message heads are octets: they are decoded byte for byte (ISO-8859-1), so a field
 * value never loses a byte, and bodies stay Uint8Array from the socket to the output.
 */

const HTTP_PORT = 80;

/** Reason phrases (RFC 9110 §15) for the status codes the tools send or name. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  100: "Continue",
  200: "OK",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Content Too Large",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

/** RFC 9110 §5.6.2 token (field names, methods). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * busybox's sanitize_string, for peer bytes shown on the console: TAB becomes a space, and the
 * text ends at any other control character.
 */
export function sanitize(s: string): string {
  const m = /[\x00-\x08\x0a-\x1f]/.exec(s);
  return (m === null ? s : s.slice(0, m.index)).replace(/\t/g, " ");
}

/** Bytes → string, one character per byte (ISO-8859-1), as message heads are read. */
export function latin1_decode(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  return s;
}

/** String → bytes, one byte per character (characters above U+00FF become '?'). */
export function latin1_encode(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    b[i] = c > 0xff ? 0x3f : c;
  }
  return b;
}

/**
 * Where the head in buf[from, to) ends: the index just past the empty line that closes it (CRLF
 * CRLF, or bare LFs as RFC 9112 §2.2 lets a recipient accept), or -1 if it has not all arrived.
 */
export function find_head_end(buf: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    if (buf[i] !== 0x0a) continue;
    if (i + 1 < to && buf[i + 1] === 0x0a) return i + 2;
    if (i + 2 < to && buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/** Header fields in arrival order; names compare case-insensitively (RFC 9110 §5.1). */
export class HttpFields {
  readonly list: [string, string][] = [];

  add(name: string, value: string): void {
    this.list.push([name, value]);
  }

  /** Every value of `name`, in order. */
  all(name: string): string[] {
    const n = name.toLowerCase();
    return this.list.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
  }

  /** The field's values combined with ", " (RFC 9110 §5.3), or undefined if absent. */
  get(name: string): string | undefined {
    const v = this.all(name);
    return v.length === 0 ? undefined : v.join(", ");
  }

  /** Whether a comma-separated list field (Connection, Transfer-Encoding) holds `token`. */
  has_token(name: string, token: string): boolean {
    const t = token.toLowerCase();
    return this.all(name).some((v) => v.split(",").some((x) => x.trim().toLowerCase() === t));
  }
}

export interface HttpHead {
  /** The request line or status line. */
  start: string;
  fields: HttpFields;
  /** The head's lines as received, without line ends (wget -S prints them). */
  lines: string[];
}

/**
 * Parse a message head (bytes up to and including its empty line). Field values lose their
 * surrounding whitespace; obsolete line folding (a line starting with SP or HT) continues the
 * previous field with one space (RFC 9112 §5.2). Returns the head, or an error text for a field
 * line without a name or with whitespace before its colon (§5.1: such a message is rejected).
 */
export function parse_head(bytes: Uint8Array): HttpHead | string {
  const lines = latin1_decode(bytes).split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const fields = new HttpFields();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line[0] === " " || line[0] === "\t") {
      const last = fields.list[fields.list.length - 1];
      if (last === undefined) return `bad header line: ${line}`;
      last[1] = `${last[1]} ${line.trim()}`.trim();
      continue;
    }
    const c = line.indexOf(":");
    const name = c < 0 ? "" : line.slice(0, c);
    if (!TOKEN.test(name)) return `bad header line: ${line}`;
    fields.add(name, line.slice(c + 1).replace(/^[ \t]+|[ \t]+$/g, ""));
  }
  return { start: lines[0] ?? "", fields, lines };
}

export interface StatusLine {
  major: number;
  minor: number;
  status: number;
  reason: string;
}

/** "HTTP/1.1 404 Not Found" (the reason may be empty or missing; extra blanks are tolerated). */
export function parse_status_line(line: string): StatusLine | null {
  const m = /^HTTP\/(\d)\.(\d)[ \t]+(\d{3})(?:[ \t]+(.*))?$/.exec(line.trim());
  if (m === null) return null;
  return { major: Number(m[1]), minor: Number(m[2]), status: Number(m[3]), reason: m[4] ?? "" };
}

export interface RequestLine {
  method: string;
  target: string;
  major: number;
  minor: number;
}

/** "GET /path HTTP/1.1": method, target and version separated by single spaces (RFC 9112 §3). */
export function parse_request_line(line: string): RequestLine | null {
  const m = /^([^ ]+) ([^ ]+) HTTP\/(\d)\.(\d)$/.exec(line);
  if (m === null || !TOKEN.test(m[1]!)) return null;
  return { method: m[1]!, target: m[2]!, major: Number(m[3]), minor: Number(m[4]) };
}

/**
 * The Content-Length of a message: null if absent, "bad" if a value is not a decimal number or
 * the values disagree (RFC 9112 §6.3: the framing is then invalid), else the length.
 */
export function content_length(fields: HttpFields): number | null | "bad" {
  const values = fields.all("content-length").flatMap((v) => v.split(",").map((x) => x.trim()));
  if (values.length === 0) return null;
  if (!values.every((v) => /^\d{1,15}$/.test(v) && v === values[0])) return "bad";
  return Number(values[0]);
}

/** A head: start line, fields, empty line — CRLF line ends. */
export function format_head(start: string, fields: readonly (readonly [string, string])[]): Uint8Array {
  let s = `${start}\r\n`;
  for (const [k, v] of fields) s += `${k}: ${v}\r\n`;
  return latin1_encode(s + "\r\n");
}

/** IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT". */
export function http_date(ms: number): string {
  return new Date(ms).toUTCString();
}

/** The longest chunk-size or trailer line the decoder accepts. */
const MAX_CHUNK_LINE = 4096;

/**
 * The chunked transfer coding (RFC 9112 §7.1), decoded incrementally: feed() the bytes as they
 * arrive and it hands out the body's pieces; `done` once the last chunk and the trailer section
 * have been read. Chunk extensions and trailer fields are read and dropped. A malformed stream
 * sets `error` (busybox's words for a bad size line) and stops.
 */
export class ChunkedDecoder {
  done = false;
  /**
   * The zero-size chunk has been read: the body is complete. busybox stops here, its trailer
   * lines optional (a server may close, or hold the connection, without the final CRLF).
   */
  get last_chunk(): boolean {
    return this.done || this.state === "trailer";
  }
  error: string | null = null;
  private state: "size" | "data" | "data_end" | "trailer" = "size";
  private line = "";
  private left = 0;

  /**
   * Decode `data`. `out` receives views into `data` (copy them to keep them past the call).
   * Returns how many bytes were consumed: all of them unless the message ended inside `data`
   * (the rest belongs to whatever follows) or an error was found.
   */
  feed(data: Uint8Array, out: (piece: Uint8Array) => void): number {
    let i = 0;
    while (i < data.length && !this.done && this.error === null) {
      if (this.state === "data") {
        const n = Math.min(this.left, data.length - i);
        out(data.subarray(i, i + n));
        i += n;
        this.left -= n;
        if (this.left === 0) this.state = "data_end";
        continue;
      }
      const b = data[i++]!;
      if (b !== 0x0a) {
        if (this.line.length >= MAX_CHUNK_LINE) this.error = `bad chunk length '${sanitize(this.line.slice(0, 40))}...'`;
        else this.line += String.fromCharCode(b);
        continue;
      }
      const line = this.line.endsWith("\r") ? this.line.slice(0, -1) : this.line;
      this.line = "";
      this.end_of_line(line);
    }
    return i;
  }

  private end_of_line(line: string): void {
    switch (this.state) {
      case "size": {
        // chunk-size [ BWS ";" chunk-ext ]: hex digits, at most 13 (2^52 fits a double exactly)
        const m = /^([0-9A-Fa-f]{1,13})[ \t]*(?:;.*)?$/.exec(line);
        if (m === null) {
          this.error = `bad chunk length '${sanitize(line)}'`;
          return;
        }
        this.left = parseInt(m[1]!, 16);
        this.state = this.left === 0 ? "trailer" : "data";
        return;
      }
      case "data_end":
        if (line !== "") this.error = "bad chunk: no CRLF after its data";
        else this.state = "size";
        return;
      case "trailer":
        if (line === "") this.done = true;
        return;
      case "data":
        return;
    }
  }
}

/** An http URL taken apart. `path` starts with "/" and keeps the query; the fragment is dropped. */
export interface HttpUrl {
  /** The host as written (a name or a dotted quad), without port or user information. */
  host: string;
  port: number;
  /** host[:port] as written in the URL: what Host: carries and wget prints. */
  authority: string;
  path: string;
  /** "user:password", percent-decoded, or null. */
  userinfo: string | null;
}

/** Why a URL was refused: another scheme (`what` is it, lower case), a bad port, an empty host. */
export interface UrlError {
  error: "scheme" | "port" | "host";
  what: string;
}

/** Parse an absolute http URL, or a scheme-less "host/path" taken as http (as busybox and GNU wget do). */
export function parse_http_url(text: string): HttpUrl | UrlError {
  let rest = text.trim();
  const sch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (sch !== null) {
    if (sch[1]!.toLowerCase() !== "http") return { error: "scheme", what: sch[1]!.toLowerCase() };
    rest = rest.slice(sch[0].length);
  }
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const end = rest.search(/[/?]/);
  let authority = end < 0 ? rest : rest.slice(0, end);
  let path = end < 0 ? "/" : rest.slice(end);
  if (path.startsWith("?")) path = "/" + path;
  let userinfo: string | null = null;
  const at = authority.lastIndexOf("@");
  if (at >= 0) {
    const u = percent_decode(authority.slice(0, at));
    userinfo = u === null ? authority.slice(0, at) : new TextDecoder().decode(u);
    authority = authority.slice(at + 1);
  }
  const colon = authority.lastIndexOf(":");
  let host = authority;
  let port = HTTP_PORT;
  if (colon >= 0) {
    host = authority.slice(0, colon);
    const p = authority.slice(colon + 1);
    if (p !== "") {
      port = /^\d{1,5}$/.test(p) ? Number(p) : NaN;
      if (!(port >= 1 && port <= 65535)) return { error: "port", what: p };
    }
  }
  if (host === "") return { error: "host", what: host };
  return { host, port, authority, path, userinfo };
}

/** RFC 3986 §5.2.4: remove "." and ".." segments from a path. */
function remove_dot_segments(path: string): string {
  const out: string[] = [];
  const segs = path.split("/");
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const last = i === segs.length - 1;
    if (s === ".") {
      if (last) out.push("");
    } else if (s === "..") {
      if (out.length > 1) out.pop();
      if (last) out.push("");
    } else out.push(s);
  }
  const r = out.join("/");
  return path.startsWith("/") && !r.startsWith("/") ? "/" + r : r;
}

/**
 * Resolve a Location value against the URL it came from (RFC 3986 §5.2.2, for http): an absolute
 * URL is taken as it is; "//host/p", "/p", "p", "?q" are resolved. Returns an absolute URL.
 */
export function resolve_reference(base: HttpUrl, ref: string): string {
  const r = ref.trim().replace(/#.*$/, "");
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(r)) return r;
  if (r.startsWith("//")) return "http:" + r;
  const q = base.path.indexOf("?");
  const base_path = q < 0 ? base.path : base.path.slice(0, q);
  let path: string;
  if (r === "") path = base.path;
  else if (r.startsWith("?")) path = base_path + r;
  else if (r.startsWith("/")) path = remove_dot_segments_keep_query(r);
  else path = remove_dot_segments_keep_query(base_path.slice(0, base_path.lastIndexOf("/") + 1) + r);
  return `http://${base.authority}${path}`;
}

function remove_dot_segments_keep_query(p: string): string {
  const q = p.indexOf("?");
  return q < 0 ? remove_dot_segments(p) : remove_dot_segments(p.slice(0, q)) + p.slice(q);
}

/** Decode %XX escapes (RFC 3986 §2.1) into bytes; null for a malformed escape. */
export function percent_decode(s: string): Uint8Array | null {
  const enc = new TextEncoder().encode(s);
  const out = new Uint8Array(enc.length);
  let n = 0;
  for (let i = 0; i < enc.length; i++) {
    const b = enc[i]!;
    if (b !== 0x25) {
      out[n++] = b;
      continue;
    }
    const hex = String.fromCharCode(enc[i + 1] ?? 0, enc[i + 2] ?? 0);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    out[n++] = parseInt(hex, 16);
    i += 2;
  }
  return out.slice(0, n);
}

/**
 * Percent-encode what may not appear in a request target: controls, space, non-ASCII (as UTF-8)
 * and the characters RFC 3986 excludes ("<>\"{}|\\^`"). Existing escapes and delimiters stay.
 */
export function percent_encode_target(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    out += b <= 0x20 || b >= 0x7f || '<>"{}|\\^`'.includes(c) ? `%${b.toString(16).toUpperCase().padStart(2, "0")}` : c;
  }
  return out;
}

/** One path segment for an href: everything but unreserved characters escaped. */
export function percent_encode_segment(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export function html_escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Base64 (RFC 4648 §4), for Authorization: Basic. */
export function base64_encode(b: Uint8Array): string {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let out = "";
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    out += abc[n >> 18]! + abc[(n >> 12) & 63]! + (i + 1 < b.length ? abc[(n >> 6) & 63]! : "=") + (i + 2 < b.length ? abc[n & 63]! : "=");
  }
  return out;
}

/** Content types by file extension (what busybox httpd's built-in table and mime.types say). */
const MIME_TYPES: Readonly<Record<string, string>> = {
  html: "text/html",
  htm: "text/html",
  txt: "text/plain",
  css: "text/css",
  js: "text/javascript",
  json: "application/json",
  xml: "application/xml",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  ico: "image/x-icon",
  wasm: "application/wasm",
  pdf: "application/pdf",
  gz: "application/gzip",
  tar: "application/x-tar",
  zip: "application/zip",
  bin: "application/octet-stream",
};

/**
 * The Content-Type for a file: by its extension, else by its bytes — text/plain for text (what
 * /proc and /sys files are), application/octet-stream when a NUL byte or invalid UTF-8 shows it
 * is binary (a PCI device's config space, say).
 */
export function content_type(name: string, body: Uint8Array): string {
  const dot = name.lastIndexOf(".");
  const byext = dot > 0 ? MIME_TYPES[name.slice(dot + 1).toLowerCase()] : undefined;
  if (byext !== undefined) return byext;
  if (body.includes(0)) return "application/octet-stream";
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(body);
    return "text/plain";
  } catch {
    return "application/octet-stream";
  }
}
