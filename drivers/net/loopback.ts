/**
 * The loopback device (drivers/net/loopback.c): `lo`, ifindex 1. What it transmits it receives:
 * frames are queued and handed back up from NET_RX_SOFTIRQ through its NAPI poll, never inside
 * the sender's call (as Linux's netif_rx does).
 */
import { IFF_LOOPBACK, IFF_LOWER_UP, IFF_RUNNING, NETDEV_TX_OK, NetDevice, type PBuf } from "../../include/net/netdevice.ts";
import { ktime_get_ns } from "../../kernel/time/timekeeping.ts";
import { napi_complete_done, napi_enable, napi_schedule, netdev_receive, netif_napi_add } from "./netdev.ts";

export function loopback_dev_init(): NetDevice {
  const queue: PBuf[] = [];
  const dev = new NetDevice("lo", {
    ndo_open: () => 0,
    ndo_stop: () => 0,
    ndo_start_xmit(p, d) {
      d.stats.tx_packets++;
      d.stats.tx_bytes += p.len;
      queue.push(p);
      if (d.napi !== null) napi_schedule(d.napi);
      return NETDEV_TX_OK;
    },
  });
  dev.type = "loopback";
  dev.mtu = 65536;
  dev.flags = IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP;
  dev.carrier = true;
  dev.driver = "loopback";
  const napi = netif_napi_add(dev, (n, budget) => {
    let work = 0;
    while (work < budget && queue.length > 0) {
      const p = queue.shift()!;
      p.tstamp = ktime_get_ns();
      dev.stats.rx_packets++;
      dev.stats.rx_bytes += p.len;
      netdev_receive(dev, p);
      work++;
    }
    if (work < budget) napi_complete_done(n, work);
    return work;
  });
  napi_enable(napi);
  return dev;
}
