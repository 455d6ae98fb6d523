/**
 * A NIC's common properties (QEMU's DEFINE_NIC_PROPERTIES and qemu_macaddr_default_if_unset): its
 * MAC address, by default QEMU's 52:54:00:12:34:56 counting up per NIC.
 */

/** QEMU's default MAC; each further NIC without mac= gets the next address (…:57, …:58). */
export const DEFAULT_MAC = "52:54:00:12:34:56";

export function parse_mac(s: string): Uint8Array | null {
  const m = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(s);
  if (m === null) return null;
  const mac = Uint8Array.from(m.slice(1).map((h) => parseInt(h, 16)));
  return (mac[0]! & 1) === 0 ? mac : null; // a station address cannot be multicast
}

function nth_default_mac(n: number): Uint8Array {
  const mac = parse_mac(DEFAULT_MAC)!;
  mac[5] = (mac[5]! + n) & 0xff;
  return mac;
}

/** The `mac=` property, or the `nic_index`-th default: the address, or an error line. */
export function nic_mac(props: ReadonlyMap<string, string>, nic_index: number): Uint8Array | string {
  const s = props.get("mac");
  if (s === undefined) return nth_default_mac(nic_index);
  return parse_mac(s) ?? `bad mac '${s}' (expected six hex bytes, e.g. 52:54:00:12:34:56, not multicast)`;
}
