import type { Command } from "./lib/command.ts";
import { arp_command } from "./bin/arp.ts";
import { cat_command } from "./bin/cat.ts";
import { dhclient_command } from "./bin/dhclient.ts";
import { dmesg_command } from "./bin/dmesg.ts";
import { echo_command } from "./bin/echo.ts";
import { ethtool_command } from "./bin/ethtool.ts";
import { free_command } from "./bin/free.ts";
import { host_command } from "./bin/host.ts";
import { httpd_command } from "./bin/httpd.ts";
import { ifconfig_command } from "./bin/ifconfig.ts";
import { insmod_command } from "./bin/insmod.ts";
import { ip_command } from "./bin/ip.ts";
import { iperf3_command } from "./bin/iperf3.ts";
import { ls_command } from "./bin/ls.ts";
import { lsmod_command } from "./bin/lsmod.ts";
import { lspci_command } from "./bin/lspci.ts";
import { mkdir_command } from "./bin/mkdir.ts";
import { modprobe_command } from "./bin/insmod.ts";
import { mount_command } from "./bin/mount.ts";
import { nc_command } from "./bin/nc.ts";
import { netstat_command } from "./bin/netstat.ts";
import { nslookup_command } from "./bin/nslookup.ts";
import { ping_command } from "./bin/ping.ts";
import { poweroff_command } from "./bin/poweroff.ts";
import { ps_command } from "./bin/ps.ts";
import { rm_command } from "./bin/rm.ts";
import { rmmod_command } from "./bin/rmmod.ts";
import { sleep_command } from "./bin/sleep.ts";
import { ss_command } from "./bin/ss.ts";
import { sysctl_command } from "./bin/sysctl.ts";
import { tcpdump_command } from "./bin/tcpdump.ts";
import { uname_command } from "./bin/uname.ts";
import { uptime_command } from "./bin/uptime.ts";
import { wget_command } from "./bin/wget.ts";

/** The contents of /bin besides init and sh (see programs.ts), one line per command, by name. */
export const COMMANDS: readonly Command[] = [
  arp_command,
  cat_command,
  dhclient_command,
  dmesg_command,
  echo_command,
  ethtool_command,
  free_command,
  host_command,
  httpd_command,
  ifconfig_command,
  insmod_command,
  ip_command,
  iperf3_command,
  ls_command,
  lsmod_command,
  lspci_command,
  mkdir_command,
  modprobe_command,
  mount_command,
  nc_command,
  netstat_command,
  nslookup_command,
  ping_command,
  poweroff_command,
  ps_command,
  rm_command,
  rmmod_command,
  sleep_command,
  ss_command,
  sysctl_command,
  tcpdump_command,
  uname_command,
  uptime_command,
  wget_command,
];
