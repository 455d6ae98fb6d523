import { strerror } from "../../include/linux/errno.ts";
import { SIGINT } from "../../include/linux/sched.ts";
import { AF_INET, inet_aton, inet_ntoa, IPPROTO_UDP, SOCK_DGRAM } from "../../include/uapi/in.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { fail, print } from "../lib/stdio.ts";

/**
 * nc -u (netcat, UDP only):
 *   nc -u HOST PORT [MESSAGE...]   send MESSAGE (or each line typed) and print what comes back
 *   nc -u -l PORT                   listen on PORT and print datagrams (Ctrl-C stops)
 * -w SECONDS: how long to wait for an answer (default 2).
 */
export async function nc(argv: readonly string[], sys: Syscalls): Promise<number> {
  const args = argv.slice(1);
  let udp = false;
  let listen = false;
  let wait = 2;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-u") udp = true;
    else if (a === "-l") listen = true;
    else if (a === "-ul" || a === "-lu") udp = listen = true;
    else if (a === "-w") {
      wait = Number(args[++i]);
      if (!(wait >= 0)) return fail(sys, "nc", `invalid wait time '${args[i] ?? ""}'`);
    } else if (a.startsWith("-")) return fail(sys, "nc", `invalid option -- '${a.slice(1)}'`);
    else rest.push(a);
  }
  if (!udp) return fail(sys, "nc", "only UDP is supported here: use nc -u");
  const fd = sys.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  if (fd < 0) return fail(sys, "nc", strerror(fd));
  sys.sigaction(SIGINT, "catch");
  try {
    if (listen) {
      const port = Number(rest[0]);
      if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(sys, "nc", `invalid port '${rest[0] ?? ""}'`);
      const r = sys.bind(fd, 0, port);
      if (r < 0) return fail(sys, "nc", `bind: ${strerror(r)}`);
      for (;;) {
        const d = await sys.recvfrom(fd, null);
        if (typeof d === "number") return 0;
        if (d.error === undefined) print(sys, new TextDecoder().decode(d.data));
      }
    }
    const host = inet_aton(rest[0] ?? "");
    const port = Number(rest[1]);
    if (host === null) return fail(sys, "nc", `${rest[0] ?? "(none)"}: Name or service not known`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(sys, "nc", `invalid port '${rest[1] ?? ""}'`);
    const messages = rest.length > 2 ? [rest.slice(2).join(" ") + "\n"] : [];
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
    if (messages.length > 0) {
      for (const m of messages) await exchange(m);
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
