/** The accounting identity of fuzz/accounting.ts, on counters given directly. */
import { describe, expect, it } from "vitest";
import { account, parse_backend_line, parse_nic_line, type GuestCounters } from "../../fuzz/accounting.ts";

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

/** The NIC line `~info network` prints for a virtio-net (boot/monitor.ts, VirtioNet.describe). */
const VIRTIO_LINE =
  "virtio-net.0: model=virtio-net-pci virtio-net.0 macaddr=52:54:00:12:34:56 link=up rx: frames=80 bytes=9000 not_ready=2 no_buffers=6 too_big=3 errors=0 filtered=4" +
  " tx: frames=7 bytes=700 link_down=0 no_peer=0 peer_no_link=0 too_big=0 csum_bad_offset=0 deferred=0 ctrl: commands=3 errors=0 status=0xf device_errors=0 model_errors=0";

function virtio_counters(): GuestCounters {
  // 100 records: 5 runts at the back-end, 95 to the device; 15 dropped there (2 before DRIVER_OK,
  // 6 without buffers, 3 too big, 4 filtered), 80 used; the driver drops 1 (bad length) and hands
  // up 79: 1 no handler, 20 ARP, 58 IPv4 as in counters() above.
  const { values, drop_names } = parse_backend_line("fuzz wire (in-process) rx=95 tx=7 dropped: runt=5 oversize=0 truncated=0 overflow=0 no_link=0 no_peer=0 connects=0 disconnects=0");
  const c = counters();
  return {
    ...c,
    backend: values,
    backend_drop_names: drop_names,
    ethtool: { rx_queue_0_packets: 79 },
    nic_model: "virtio-net",
    nic: parse_nic_line(VIRTIO_LINE),
    netdev: { eth0: { rx_packets: 79, rx_errors: 1, rx_dropped: 0, rx_nohandler: 1 }, lo: { rx_packets: 0, rx_nohandler: 0 } },
  };
}

describe("the identity with virtio-net as the NIC", () => {
  it("reads the device's counters from its ~info network line, by section", () => {
    const d = parse_nic_line(VIRTIO_LINE);
    expect(d).toMatchObject({ rx_frames: 80, rx_not_ready: 2, rx_no_buffers: 6, rx_too_big: 3, rx_errors: 0, rx_filtered: 4, tx_frames: 7, tx_too_big: 0, ctrl_commands: 3 });
    expect(d["macaddr"]).toBeUndefined();
  });

  it("balances, with the device and driver layers in place of the e1000's", () => {
    const a = account(100, virtio_counters());
    expect(a.unaccounted).toBe(0);
    expect(a.layers.map(([name, i, o, lost]) => [name, i, o, lost]).slice(0, 3)).toEqual([
      ["wire → back-end", 100, 100, 0],
      ["back-end → virtio-net = used + drops", 95, 95, 0],
      ["driver: used = rx_packets + drops", 80, 80, 0],
    ]);
    expect(a.layers.every(([, , , lost]) => lost === 0)).toBe(true);
    expect(a.drops.map(([k]) => k)).toEqual(expect.arrayContaining(["virtio-net rx_no_buffers", "virtio_net rx_errors (netdev)"]));
    expect(a.drops.map(([k]) => k).some((k) => k.startsWith("e1000"))).toBe(false);
  });

  it("pins a frame the driver lost without a counter on the driver layer", () => {
    const c = virtio_counters();
    c.netdev["eth0"]!["rx_errors"] = 0; // the bad-length frame was freed uncounted
    const a = account(100, c);
    expect(a.unaccounted).toBe(1);
    expect(a.layers.filter(([, , , lost]) => lost !== 0).map(([name, , , lost]) => [name, lost])).toEqual([["driver: used = rx_packets + drops", 1]]);
  });

  it("pins a frame the device lost without a counter on the device layer", () => {
    const c = virtio_counters();
    c.nic!["rx_no_buffers"] = 5;
    const a = account(100, c);
    expect(a.unaccounted).toBe(1);
    expect(a.layers.filter(([, , , lost]) => lost !== 0).map(([name, , , lost]) => [name, lost])).toEqual([["back-end → virtio-net = used + drops", 1]]);
  });
});
