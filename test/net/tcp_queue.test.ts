/**
 * A segment that meets a stopped transmit queue. When the NIC's ring is full the driver stops the
 * queue and dev_queue_xmit says -EAGAIN; Linux holds the segment in the qdisc and sends it from
 * NET_TX_SOFTIRQ when the driver wakes the queue. ringzero has no qdisc: the socket asks the device
 * to call it back then (netif_tx_wait, net_tx_action). Without that, a socket with nothing in
 * flight retried only on its probe timer (backing off towards two minutes) while another flow
 * refilled the ring on every ACK — iperf3 -P 2 -R starved its second stream that way.
 */
import { describe, expect, it } from "vitest";
import { dev_get_by_name } from "../../drivers/net/netdev.ts";
import { netif_stop_queue } from "../../drivers/net/netdev_queue.ts";
import { connected, pattern, read_all, same_bytes, tcp_pair } from "./tcp_harness.ts";

describe("a stopped transmit queue", () => {
  it("a socket that found the queue stopped sends as soon as the driver wakes it, not at its probe timer", async () => {
    const p = await tcp_pair();
    const c = await connected(p, 5000);
    const eth0 = p.x.k(() => dev_get_by_name("eth0")!);
    p.x.k(() => netif_stop_queue(eth0));
    const data = pattern(50_000, 3);
    p.x.spawn(() => p.x.ctl().send(c.cfd, data));
    const r = p.y.spawn(() => read_all(p.y.ctl(), c.sfd, data.length));
    // The driver wakes its queue on its next transmit clean-up (room in the ring), within a few
    // milliseconds; the socket, called back then, has everything on the wire. Its probe timer
    // (≥ 200 ms) has not fired.
    await p.step(5e6);
    expect(eth0.tx_stopped).toBe(false);
    const xs = p.x.socks().find((s) => s.dport === 5000)!;
    expect(xs.write_seq - xs.snd_nxt).toBe(0);
    expect(p.segs.filter((s) => s.dir === "ab" && s.len > 0).length).toBeGreaterThan(0);
    expect(p.x.ext().TCPWinProbe ?? 0).toBe(0);
    await p.until(() => r.done, 1e9);
    expect(same_bytes(r.value?.data, data)).toBe(true);
  });
});
