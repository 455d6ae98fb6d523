/**
 * -netdev / -device netdev= / -object filter-dump, as QEMU spells them: what is accepted, and the
 * one-line errors for everything else (checked before the machine boots).
 */
import { describe, expect, it } from "vitest";
import { World } from "../../hw/world.ts";
import type { E1000 } from "../../hw/net/e1000.ts";
import { plug_device } from "../../boot/board.ts";
import { setup_network } from "../../boot/netdevs.ts";
import { StreamBackend } from "../../hw/net/netdev_stream.ts";
import { DgramBackend } from "../../hw/net/netdev_dgram.ts";

function net(netdevs: string[], devices: string[] = []) {
  const world = new World();
  const m = world.add_machine({ mem_size: 8 << 20 });
  const nic_netdev = new Map<E1000, string | undefined>();
  for (const d of devices) expect(plug_device(m, d, nic_netdev)).toBeNull();
  return setup_network(world, m, netdevs, nic_netdev, []);
}

describe("network back-end options", () => {
  it("accepts QEMU's spellings of stream, dgram and the legacy socket back-end", () => {
    const r = net(
      [
        "stream,id=a,server=on,addr.type=unix,addr.path=/tmp/x.sock",
        "stream,id=b,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=5555,reconnect-ms=250",
        "dgram,id=c,local.type=inet,local.host=127.0.0.1,local.port=1234,remote.type=inet,remote.host=127.0.0.1,remote.port=1235",
        "socket,id=d,listen=:1234",
        "socket,id=e,connect=127.0.0.1:1234",
        "socket,id=f,udp=127.0.0.1:1235,localaddr=127.0.0.1:1234",
        "socket,id=g,mcast=230.0.0.1:1234",
        "user,id=h,net=192.168.76.0/24",
        "hubport,id=i,hubid=0",
      ],
      ["e1000,netdev=a", "e1000,netdev=h"],
    );
    if (typeof r === "string") throw new Error(r);
    const kinds = r.external.map((b) => `${b.id}:${b instanceof StreamBackend ? (b.server_mode ? "stream-server" : "stream-client") : b instanceof DgramBackend ? "dgram" : "?"}`);
    expect(kinds).toEqual(["a:stream-server", "b:stream-client", "c:dgram", "d:stream-server", "e:stream-client", "f:dgram", "g:dgram"]);
    expect(r.external[1]!.where()).toBe("stream client inet:127.0.0.1:5555 not connected");
    expect(r.external[6]!.where()).toBe("dgram udp 0.0.0.0:1234 -> 230.0.0.1:1234");
  });

  it("refuses unknown, missing and contradictory options with one line", () => {
    const cases: [string[], string[], string][] = [
      [["vde,id=t0"], [], "-netdev vde,id=t0: network back-end 'vde' is not available (user, tap, stream, dgram, socket, hubport)"],
      [["user"], [], "-netdev user: Parameter 'id' is missing"],
      [["user,id=a", "user,id=a"], [], "-netdev user,id=a: Duplicate ID 'a' for netdev"],
      [["user,id=a,speed=10"], [], "-netdev user,id=a: Invalid parameter 'speed'"],
      [["user,id=a,net=10.0.0.0/31"], [], "-netdev user: bad net '10.0.0.0/31' (expected ADDR/PREFIX)"],
      [["stream,id=a,server=on"], [], "-netdev stream: addr.type must be unix or inet (fd is not supported)"],
      [["stream,id=a,addr.type=unix"], [], "-netdev stream: addr.path is missing"],
      [["stream,id=a,addr.type=inet,addr.port=99999"], [], "-netdev stream: bad addr.port"],
      [["dgram,id=a,local.type=unix,local.path=/x,remote.type=unix,remote.path=/y"], [], "-netdev dgram: local.type must be inet (AF_UNIX datagram sockets are not available in Node)"],
      [["socket,id=a"], [], "-netdev socket: one of listen=, connect=, udp= or mcast= is needed"],
      [["socket,id=a,udp=127.0.0.1:9"], [], "-netdev socket: localaddr is missing"],
      [["hubport,id=a"], [], "-netdev hubport,id=a: Parameter 'hubid' is missing"],
      [["user,id=a"], ["e1000,netdev=b"], "-device e1000,netdev=b: Property 'netdev' can't find value 'b'"],
      [["user,id=a"], ["e1000,netdev=a", "e1000,netdev=a"], "-device e1000,netdev=a: netdev 'a' is already in use by another NIC"],
    ];
    for (const [netdevs, devices, err] of cases) expect(net(netdevs, devices)).toBe(err);
  });
});
