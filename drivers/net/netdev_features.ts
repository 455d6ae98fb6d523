/**
 * The offload half of the network-device core (net/core/dev.c's feature negotiation and
 * validate_xmit_skb / skb_checksum_help, net/ethtool/features.c): which NETIF_F_* features a device
 * has on, and making each outgoing frame something its device can take.
 */
import { EINVAL, EOPNOTSUPP } from "../../include/linux/errno.ts";
import {
  CHECKSUM_NONE,
  CHECKSUM_PARTIAL,
  ETH_HLEN,
  ETH_P_IP,
  NETDEV_FEATURE_NAMES,
  NETIF_F_HW_CSUM,
  NETIF_F_IP_CSUM,
  NETIF_F_SG,
  NETIF_F_TSO,
  type NetDevice,
  type PBuf,
} from "../../include/net/netdevice.ts";
import type { EthtoolFeature } from "../../include/uapi/ethtool.ts";
import { IPPROTO_TCP, IPPROTO_UDP } from "../../include/uapi/in.ts";
import { DEFINE_PER_KERNEL } from "../../kernel/kernel.ts";
import { pbuf_linearize, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { csum_fold, csum_partial } from "../../lib/inet_checksum.ts";

/**
 * Frames validate_xmit_skb had to give up, by reason (each also counts in the device's tx_dropped):
 * a GSO frame for a device without TSO (ringzero has no software GSO yet), a fragmented frame for a
 * device without scatter-gather that does not fit one buffer, a partial checksum that cannot be
 * completed. Linux counts these in tx_dropped only.
 */
export class NetdevXmitDrops {
  gso = 0;
  linearize = 0;
  csum = 0;
}
const xmit_drops = DEFINE_PER_KERNEL(() => new NetdevXmitDrops());
export function netdev_xmit_drops(): NetdevXmitDrops {
  return xmit_drops.get();
}

/**
 * can_checksum_protocol(): may the device finish this CHECKSUM_PARTIAL frame? NETIF_F_HW_CSUM covers
 * any protocol; NETIF_F_IP_CSUM only TCP and UDP over IPv4.
 */
function can_checksum(features: number, p: PBuf): boolean {
  if (features & NETIF_F_HW_CSUM) return true;
  if ((features & NETIF_F_IP_CSUM) === 0) return false;
  const d = p.data;
  const h = p.head;
  if (((d[h + 12]! << 8) | d[h + 13]!) !== ETH_P_IP) return false;
  const proto = d[h + ETH_HLEN + 9];
  return proto === IPPROTO_UDP || proto === IPPROTO_TCP;
}

/**
 * skb_checksum_help(): finish a CHECKSUM_PARTIAL frame in software — sum from csum_start to the end
 * of the frame (head and fragments; the checksum field already holds the pseudo-header seed), store
 * the complement at csum_start + csum_offset (0 becomes 0xffff, CSUM_MANGLED_0) and mark it
 * CHECKSUM_NONE. Returns false when the offsets do not lie in the head buffer.
 */
export function pbuf_checksum_help(p: PBuf): boolean {
  const headend = p.head + p.len - p.data_len;
  const start = p.csum_start;
  const field = start + p.csum_offset;
  if (start < p.head || field + 2 > headend) return false;
  let sum = csum_partial(p.data, start, headend - start);
  // Fragments continue the byte stream; a piece that starts at an odd offset pairs its bytes the
  // other way round, so its sum is added byte-swapped (Linux's csum_block_add).
  let odd = (headend - start) & 1;
  for (let f = p.frag; f !== null; f = f.frag) {
    const part = csum_partial(f.data, f.head, f.len);
    sum += odd ? swab_sum(part) : part;
    odd ^= f.len & 1;
  }
  const c = csum_fold(sum);
  p.view.setUint16(field, c === 0 ? 0xffff : c);
  p.ip_summed = CHECKSUM_NONE;
  return true;
}

/** A ones'-complement sum of byte-swapped words equals the byte-swapped sum (RFC 1071 §2(B)). */
function swab_sum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ((sum & 0xff) << 8) | (sum >> 8);
}

/**
 * validate_xmit_skb(): make the frame something the device can take. A GSO frame needs NETIF_F_TSO
 * (no software segmentation yet: dropped and counted); fragments need NETIF_F_SG (else the frame is
 * linearized); a partial checksum the device cannot finish is completed here (skb_checksum_help),
 * so lo, or an e1000 with `ethtool -K tx off`, still sends correct checksums. Returns false when the
 * frame was dropped (counted in tx_dropped and netdev_xmit_drops; `p` is freed). Any context.
 */
export function validate_xmit(dev: NetDevice, p: PBuf): boolean {
  const features = dev.features;
  if (p.gso_size !== 0 && (features & NETIF_F_TSO) === 0) {
    xmit_drops.get().gso++;
    dev.stats.tx_dropped++;
    pbuf_put(p);
    return false;
  }
  if (p.data_len !== 0 && (features & NETIF_F_SG) === 0 && pbuf_linearize(p) < 0) {
    xmit_drops.get().linearize++;
    dev.stats.tx_dropped++;
    pbuf_put(p);
    return false;
  }
  if (p.ip_summed === CHECKSUM_PARTIAL && p.gso_size === 0 && !can_checksum(features, p) && !pbuf_checksum_help(p)) {
    xmit_drops.get().csum++;
    dev.stats.tx_dropped++;
    pbuf_put(p);
    return false;
  }
  return true;
}

/* ---- features (net/core/dev.c) ---- */

/**
 * netdev_fix_features(): drop feature combinations that cannot work — TSO without scatter-gather,
 * TSO without a transmit checksum (segments need their checksums filled), IP_CSUM beside HW_CSUM.
 * (Kernels before 4.? also dropped SG without a checksum feature; current ones do not.)
 */
export function netdev_fix_features(_dev: NetDevice, features: number): number {
  if ((features & NETIF_F_HW_CSUM) !== 0 && (features & NETIF_F_IP_CSUM) !== 0) features &= ~NETIF_F_IP_CSUM;
  if ((features & NETIF_F_TSO) !== 0 && (features & NETIF_F_SG) === 0) features &= ~NETIF_F_TSO;
  if ((features & NETIF_F_TSO) !== 0 && (features & (NETIF_F_HW_CSUM | NETIF_F_IP_CSUM)) === 0) features &= ~NETIF_F_TSO;
  return features;
}

/**
 * netdev_update_features() (__netdev_update_features): work out the features from what is fixed
 * (features outside hw_features) and what the user wants, let the driver and the core fix them, and
 * hand a change to ndo_set_features. A driver that returns 1 has set dev.features itself (as
 * e1000_set_features does); 0 lets the core set them. Process context. Returns 0 or -errno.
 */
export async function netdev_update_features(dev: NetDevice): Promise<number> {
  let features = (dev.features & ~dev.hw_features) | (dev.wanted_features & dev.hw_features);
  if (dev.netdev_ops.ndo_fix_features !== undefined) features = dev.netdev_ops.ndo_fix_features(dev, features);
  features = netdev_fix_features(dev, features);
  if (features === dev.features) return 0;
  let err = 0;
  if (dev.netdev_ops.ndo_set_features !== undefined) err = await dev.netdev_ops.ndo_set_features(dev, features);
  if (err < 0) return err;
  if (err === 0) dev.features = features;
  return 0;
}

/** Feature state as `ethtool -k` reads it (ETHTOOL_GFEATURES): [name, active, changeable, wanted]. */
export function get_features(dev: NetDevice): EthtoolFeature[] {
  return NETDEV_FEATURE_NAMES.map(([bit, name]) => [name, (dev.features & bit) !== 0, (dev.hw_features & bit) !== 0, (dev.wanted_features & bit) !== 0]);
}

/**
 * ETHTOOL_SFEATURES: set or clear the named features. A name that is not a feature is -EINVAL; asking
 * to change a fixed one is -EOPNOTSUPP, as Linux's ethtool_set_features refuses bits outside
 * hw_features. Then netdev_update_features applies what is consistent.
 */
export async function set_features(dev: NetDevice, changes: Record<string, boolean>): Promise<number> {
  let wanted = dev.wanted_features;
  for (const [name, on] of Object.entries(changes)) {
    const f = NETDEV_FEATURE_NAMES.find(([, n]) => n === name);
    if (f === undefined) return -EINVAL;
    const bit = f[0];
    if ((dev.hw_features & bit) === 0) {
      if (((dev.features & bit) !== 0) === on) continue;
      return -EOPNOTSUPP;
    }
    wanted = on ? wanted | bit : wanted & ~bit;
  }
  dev.wanted_features = wanted;
  return netdev_update_features(dev);
}

