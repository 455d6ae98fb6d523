/** The accounting identity of fuzz/accounting.ts, on counters given directly. */
import { describe, expect, it } from "vitest";
import { account, parse_backend_line, type GuestCounters } from "../../fuzz/accounting.ts";

function counters(): GuestCounters {
  // 100 records: 5 runts at the back-end, 95 to the NIC; 10 filtered, 5 missed, 80 to the driver;
  // 2 no handler, 20 ARP (1 malformed), 58 IPv4 (3 bad headers) → 55 delivered: 30 ICMP, 25 UDP.
  const { values, drop_names } = parse_backend_line("stream server inet:127.0.0.1:1 connected rx=95 tx=7 dropped: runt=5 oversize=0 truncated=0 overflow=0 no_peer=3 connects=1 disconnects=0");
  return {
    backend: values,
    backend_drop_names: drop_names,
    ethtool: { hw_rx_total_packets: 95, hw_rx_packets: 80, rx_filtered: 10, rx_missed_errors: 5, rx_long_length_errors: 0, rx_short_length_errors: 0, rx_multi_desc_dropped: 0, rx_reset_dropped: 0 },
    netdev: { eth0: { rx_packets: 80, rx_nohandler: 2 }, lo: { rx_packets: 0, rx_nohandler: 0 } },
    snmp: {
      Ip: { InReceives: 58, InHdrErrors: 3, InTruncatedPkts: 0, ReasmFails: 0, InAddrErrors: 0, InUnknownProtos: 0, InDiscards: 0, InDelivers: 55 },
      Icmp: { InMsgs: 30, InErrors: 0 },
      Udp: { InDatagrams: 5, NoPorts: 18, InErrors: 2 },
      Arp: { InRequests: 15, InReplies: 4, InErrors: 1 },
    },
  };
}

describe("frames offered = delivered + Σ drop counters", () => {
  it("balances when every end state is counted", () => {
    const a = account(100, counters());
    expect(a.unaccounted).toBe(0);
    expect(a.delivered_total).toBe(15 + 4 + 30 + 5 + 18);
    expect(a.layers.every(([, , , lost]) => lost === 0)).toBe(true);
  });

  it("takes rx-side back-end counters as drops and ignores tx-side ones (no_peer)", () => {
    const a = account(100, counters());
    expect(a.drops.map(([k]) => k)).toContain("backend runt");
    expect(a.drops.map(([k]) => k)).not.toContain("backend no_peer");
  });

  it("reports a frame lost without a counter, and names the layer that lost it", () => {
    const c = counters();
    // The NIC heard only 94 of the 95 frames the back-end handed it (no carrier, say).
    c.ethtool["hw_rx_total_packets"] = 94;
    c.ethtool["rx_filtered"] = 9;
    const a = account(100, c);
    expect(a.unaccounted).toBe(1);
    expect(a.layers.filter(([, , , lost]) => lost !== 0).map(([name, , , lost]) => [name, lost])).toEqual([["back-end → NIC (TPR)", 1]]);
  });

  it("counts frames the guest sent itself on lo as offered", () => {
    const c = counters();
    c.netdev["lo"]!["rx_packets"] = 2;
    c.snmp["Ip"]!["InReceives"] = 60;
    c.snmp["Ip"]!["InDelivers"] = 57;
    c.snmp["Icmp"]!["InMsgs"] = 32;
    const a = account(100, c);
    expect(a.offered).toBe(102);
    expect(a.unaccounted).toBe(0);
  });
});
