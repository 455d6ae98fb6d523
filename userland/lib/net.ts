import { IFF_ALLMULTI, IFF_BROADCAST, IFF_LOOPBACK, IFF_LOWER_UP, IFF_MULTICAST, IFF_PROMISC, IFF_RUNNING, IFF_UP } from "../../include/net/netdevice.ts";
import type { IfInfo } from "../../include/uapi/if.ts";

/** "<BROADCAST,MULTICAST,UP,LOWER_UP>" as iproute2 prints interface flags. */
export function if_flags_text(i: IfInfo): string {
  const f: string[] = [];
  if (i.flags & IFF_LOOPBACK) f.push("LOOPBACK");
  if (i.flags & IFF_BROADCAST) f.push("BROADCAST");
  if (i.flags & IFF_MULTICAST) f.push("MULTICAST");
  if (i.flags & IFF_ALLMULTI) f.push("ALLMULTI");
  if (i.flags & IFF_PROMISC) f.push("PROMISC");
  if (i.flags & IFF_UP) f.push("UP");
  if (i.flags & IFF_LOWER_UP) f.push("LOWER_UP");
  if (i.flags & IFF_UP && !(i.flags & IFF_RUNNING) && i.type !== "loopback") f.push("NO-CARRIER");
  return `<${f.join(",")}>`;
}

/** RFC 2863 operational state as `ip link` shows it. */
export function if_state(i: IfInfo): string {
  if (!(i.flags & IFF_UP)) return "DOWN";
  if (i.type === "loopback") return "UNKNOWN";
  return i.carrier ? "UP" : "DOWN";
}
