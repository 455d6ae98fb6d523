import { EINVAL, ENODEV } from "../../include/linux/errno.ts";
import { IFF_UP, type NetDevice } from "../../include/net/netdevice.ts";
import { inet_aton, prefix_mask } from "../../include/uapi/in.ts";
import { this_kernel } from "../../kernel/kernel.ts";
import { pr_err, pr_info } from "../../kernel/printk.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { dev_get_by_name, dev_open, netdev_list } from "../../drivers/net/netdev.ts";
import { dhcp_run } from "./dhcp.ts";
import { inet_addr_add } from "./devinet.ts";
import { fib_add } from "./route.ts";

/**
 * Kernel-level IP autoconfiguration (net/ipv4/ipconfig.c): the `ip=` kernel parameter, applied
 * before init runs. `ip=dhcp` runs DHCP on the first Ethernet device; the static form is Linux's
 * `ip=<client>:<server>:<gateway>:<netmask>:<hostname>:<device>:off`.
 */
function netmask_to_prefix(mask: number): number {
  let n = 0;
  while (n < 32 && (mask & (0x80000000 >>> n)) !== 0) n++;
  return prefix_mask(n) === mask ? n : -1;
}

async function wait_carrier(dev: NetDevice, ms: number): Promise<boolean> {
  for (let t = 0; t < ms && !dev.carrier; t += 10) await msleep(10);
  return dev.carrier;
}

export async function ip_auto_config(): Promise<number> {
  const arg = /(?:^|\s)ip=(\S+)/.exec(this_kernel().platform.firmware.cmdline)?.[1];
  if (arg === undefined || arg === "off" || arg === "none") return 0;
  const f = arg.split(":");
  const dhcp = arg === "dhcp" || f[6] === "dhcp";
  const name = f[5] || netdev_list().find((d) => d.type === "ether")?.name;
  const dev = name === undefined ? undefined : dev_get_by_name(name);
  if (dev === undefined) {
    pr_err("IP-Config: no network device%s to configure\n", name ? ` ${name}` : "");
    return -ENODEV;
  }
  if ((dev.flags & IFF_UP) === 0) await dev_open(dev);
  if (!(await wait_carrier(dev, 2000))) pr_info("IP-Config: %s: no carrier yet\n", dev.name);
  if (dhcp) {
    const r = await dhcp_run(dev);
    if (r !== 0) pr_err("IP-Config: %s: no DHCP answer; the interface stays unconfigured (dhclient %s tries again)\n", dev.name, dev.name);
    return 0;
  }
  const addr = inet_aton(f[0] ?? "");
  const gw = f[2] ? inet_aton(f[2]) : 0;
  const mask = f[3] ? inet_aton(f[3]) : prefix_mask(24);
  const prefix = mask === null ? -1 : netmask_to_prefix(mask);
  if (addr === null || gw === null || prefix < 0) {
    pr_err("IP-Config: cannot parse ip=%s\n", arg);
    return -EINVAL;
  }
  inet_addr_add(dev, addr, prefix);
  if (gw !== 0) fib_add(0, 0, gw, dev, "boot");
  pr_info("IP-Config: Complete:\n     device=%s, ipaddr=%pI4, mask=%pI4, gw=%pI4\n", dev.name, addr, prefix_mask(prefix), gw === 0 ? 0xffffffff : gw);
  return 0;
}
