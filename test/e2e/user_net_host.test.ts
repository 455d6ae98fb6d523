/**
 * The user network's NAT over the host's real sockets (127.0.0.1 only), built as `npm start`
 * builds it (boot/netdevs.ts: -netdev user with Node's HostNet): the guest reaches a Node server
 * at 10.0.2.2:PORT both ways, a Node client reaches a guest listener through hostfwd on an
 * ephemeral port, and a hostfwd port already taken fails before boot with QEMU's line. On the
 * realtime clock, as `npm start` runs (on the virtual one the user network has no NAT).
 */
import { createSocket } from "node:dgram";
import { connect as host_connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { plug_device } from "../../boot/board.ts";
import { setup_network, type NetworkSetup } from "../../boot/netdevs.ts";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import type { E1000 } from "../../hw/net/e1000.ts";
import { UserNet } from "../../hw/net/user_net.ts";
import { World } from "../../hw/world.ts";
import { ip_auto_config } from "../../net/ipv4/ipconfig.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { boot_test_machine, type TestMachine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";
import { fnv, pattern, TEST_PROGRAMS } from "../hw/user_net_slirp_harness.ts";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function listen(srv: Server, port = 0): Promise<number> {
  cleanup.push(() => srv.close());
  return new Promise((resolve) => srv.listen({ host: "127.0.0.1", port }, () => resolve((srv.address() as { port: number }).port)));
}

/** -netdev `netdev` (id n0) behind an e1000, set up as boot/main.ts does; the guest runs `command`. */
async function boot(netdev: string, command: string): Promise<{ world: World; tm: TestMachine; user: UserNet; setup: NetworkSetup } | string> {
  const world = new World("realtime");
  let net: NetworkSetup | string = "";
  const nic_netdev = new Map<E1000, string | undefined>();
  const tm = boot_test_machine({
    world,
    mem_size: 64 << 20,
    cmdline: "quiet ip=dhcp",
    setup: (m) => {
      expect(plug_device(m, "e1000,netdev=n0", nic_netdev)).toBeNull();
      net = setup_network(world, m, [netdev], nic_netdev, []);
    },
    boot: { initcalls: [serial8250_init], modules: MODULES, default_modules: ["e1000", "inet"], late_initcalls: [ip_auto_config], programs: new Map([...PROGRAMS, ...TEST_PROGRAMS]), init_argv: ["init", "-c", command] },
  });
  if (typeof net === "string") return net;
  const setup: NetworkSetup = net;
  for (const b of setup.external) {
    const err = await b.start();
    if (err !== null) return err;
    cleanup.push(() => b.stop());
  }
  const user = [...nic_netdev.keys()][0]!.peer as UserNet;
  cleanup.push(() => user.stop());
  await world.run({ until: () => user.leases.size > 0, for_ns: 5e9 });
  await world.run({ for_ns: 50e6 });
  return { world, tm, user, setup };
}

describe("the user network over the host's sockets", () => {
  it("the guest reaches a Node server at 10.0.2.2:PORT: 2 MB down, 1 MB up and the answer, intact", async () => {
    const down = pattern(2_000_000, 21);
    const get_srv = createServer((s: Socket) => s.end(down));
    const put_srv = createServer((s: Socket) => {
      const parts: Buffer[] = [];
      s.on("data", (b: Buffer) => parts.push(b));
      s.on("end", () => s.end(`got ${fnv(Buffer.concat(parts))}`));
    });
    const gp = await listen(get_srv);
    const pp = await listen(put_srv);
    const r = await boot("user,id=n0", `tcpget 10.0.2.2 ${gp}; tcpput 10.0.2.2 ${pp} 1000000 22; nc 10.0.2.2 ${pp} hi; sleep 1000`);
    if (typeof r === "string") throw new Error(r);
    const { world, tm, user } = r;
    await world.run({ until: () => /answer 12 bytes.*\ngot [0-9a-f]{8}$/.test(tm.machine.console_output), for_ns: 30e9 });
    expect(tm.machine.console_output).toBe(`tcpget: 2000000 bytes ${fnv(down)}\ntcpput: sent 1000000\ntcpput: answer 12 bytes 'got ${fnv(pattern(1_000_000, 22))}'\ngot ${fnv(new TextEncoder().encode("hi\n"))}`);
    const st = user.tcp!.stats;
    expect(st).toMatchObject({ opened: 3, refused: 0, bad_csum: 0, bytes_to_guest: 2_000_000 + 12 + 12, bytes_to_host: 1_000_000 + 3 });
    expect(user.describe()).toMatch(/nat=on/);
  }, 60_000);

  it("guest UDP to 10.0.2.2:PORT reaches a Node socket and its answer comes back", async () => {
    const echo = createSocket("udp4");
    echo.on("message", (m, r) => echo.send(Buffer.concat([Buffer.from("re:"), m]), r.port, r.address));
    cleanup.push(() => echo.close());
    const port = await new Promise<number>((resolve) => echo.bind({ address: "127.0.0.1", port: 0 }, () => resolve(echo.address().port)));
    const r = await boot("user,id=n0", `udpping 10.0.2.2 ${port} one two; sleep 1000`);
    if (typeof r === "string") throw new Error(r);
    const { world, tm, user } = r;
    await world.run({ until: () => (tm.machine.console_output.match(/udpping/g) ?? []).length === 2, for_ns: 10e9 });
    expect(tm.machine.console_output).toBe(`udpping: 're:one' from 10.0.2.2:${port}\nudpping: 're:two' from 10.0.2.2:${port}\n`);
    expect(user.udp!.stats).toMatchObject({ opened: 1, out: 2, in: 2 });
  }, 30_000);

  it("a Node client reaches a guest listener through hostfwd on an ephemeral port, both ways", async () => {
    const r = await boot("user,id=n0,hostfwd=tcp:127.0.0.1:0-:80", "tcpecho 80; sleep 1000");
    if (typeof r === "string") throw new Error(r);
    const { world, tm, user } = r;
    const port = user.hostfwd[0]!.bound_port;
    expect(port).toBeGreaterThan(0);
    const data = pattern(1_000_000, 23);
    const parts: Buffer[] = [];
    let ended = false;
    let local_port = 0;
    const client = host_connect({ host: "127.0.0.1", port }, () => {
      local_port = client.localPort!;
      client.end(data);
    });
    cleanup.push(() => client.destroy());
    client.on("data", (b: Buffer) => parts.push(b));
    client.on("end", () => (ended = true));
    await world.run({ until: () => ended, for_ns: 30e9 });
    expect(ended).toBe(true);
    expect(fnv(Buffer.concat(parts))).toBe(fnv(data));
    expect(tm.machine.console_output).toBe(`tcpecho: 1000000 bytes from 10.0.2.2:${local_port}\n`);
    expect(user.tcp!.stats).toMatchObject({ fwd_accepted: 1, fwd_established: 1 });
    expect(user.describe()).toContain(`hostfwd tcp 127.0.0.1:${port} -> 10.0.2.15:80 accepted=1`);
  }, 60_000);

  it("on the virtual clock the user network has no NAT", () => {
    const world = new World("virtual");
    const m = world.add_machine({ mem_size: 8 << 20 });
    const nic_netdev = new Map<E1000, string | undefined>();
    expect(plug_device(m, "e1000,netdev=n0", nic_netdev)).toBeNull();
    expect(typeof setup_network(world, m, ["user,id=n0"], nic_netdev, [])).toBe("object");
    const user = [...nic_netdev.keys()][0]!.peer as UserNet;
    expect(user.tcp).toBeNull();
    expect(user.describe()).toMatch(/nat=off/);
  });

  it("a hostfwd port already in use fails before boot with QEMU's line", async () => {
    const port = await listen(createServer());
    expect(await boot(`user,id=n0,hostfwd=tcp::${port}-:80`, "true")).toBe(`-netdev user,id=n0,hostfwd=tcp::${port}-:80: Could not set up host forwarding rule 'tcp::${port}-:80'`);
  });
});
