import type { Command } from "./lib/command.ts";
import { bracket_command } from "./bin/test.ts";
import { arp_command } from "./bin/arp.ts";
import { cat_command } from "./bin/cat.ts";
import { clear_command } from "./bin/clear.ts";
import { cp_command } from "./bin/cp.ts";
import { cut_command } from "./bin/cut.ts";
import { date_command } from "./bin/date.ts";
import { dhclient_command } from "./bin/dhclient.ts";
import { dmesg_command } from "./bin/dmesg.ts";
import { echo_command } from "./bin/echo.ts";
import { env_command } from "./bin/env.ts";
import { ethtool_command } from "./bin/ethtool.ts";
import { false_command } from "./bin/false.ts";
import { free_command } from "./bin/free.ts";
import { grep_command } from "./bin/grep.ts";
import { head_command } from "./bin/head.ts";
import { hexdump_command } from "./bin/hexdump.ts";
import { host_command } from "./bin/host.ts";
import { hostname_command } from "./bin/hostname.ts";
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
import { mv_command } from "./bin/mv.ts";
import { nc_command } from "./bin/nc.ts";
import { netstat_command } from "./bin/netstat.ts";
import { nslookup_command } from "./bin/nslookup.ts";
import { ping_command } from "./bin/ping.ts";
import { poweroff_command } from "./bin/poweroff.ts";
import { printf_command } from "./bin/printf.ts";
import { ps_command } from "./bin/ps.ts";
import { rm_command } from "./bin/rm.ts";
import { rmdir_command } from "./bin/rmdir.ts";
import { rmmod_command } from "./bin/rmmod.ts";
import { seq_command } from "./bin/seq.ts";
import { sleep_command } from "./bin/sleep.ts";
import { sort_command } from "./bin/sort.ts";
import { ss_command } from "./bin/ss.ts";
import { stat_command } from "./bin/stat.ts";
import { sysctl_command } from "./bin/sysctl.ts";
import { tail_command } from "./bin/tail.ts";
import { tcpdump_command } from "./bin/tcpdump.ts";
import { tee_command } from "./bin/tee.ts";
import { test_command } from "./bin/test.ts";
import { time_command } from "./bin/time.ts";
import { top_command } from "./bin/top.ts";
import { touch_command } from "./bin/touch.ts";
import { tr_command } from "./bin/tr.ts";
import { true_command } from "./bin/true.ts";
import { uname_command } from "./bin/uname.ts";
import { uniq_command } from "./bin/uniq.ts";
import { uptime_command } from "./bin/uptime.ts";
import { watch_command } from "./bin/watch.ts";
import { wc_command } from "./bin/wc.ts";
import { wget_command } from "./bin/wget.ts";
import { which_command } from "./bin/which.ts";
import { xxd_command } from "./bin/xxd.ts";
import { yes_command } from "./bin/yes.ts";

/** The contents of /bin besides init and sh (see programs.ts), one line per command, by name. */
export const COMMANDS: readonly Command[] = [
  bracket_command,
  arp_command,
  cat_command,
  clear_command,
  cp_command,
  cut_command,
  date_command,
  dhclient_command,
  dmesg_command,
  echo_command,
  env_command,
  ethtool_command,
  false_command,
  free_command,
  grep_command,
  head_command,
  hexdump_command,
  host_command,
  hostname_command,
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
  mv_command,
  nc_command,
  netstat_command,
  nslookup_command,
  ping_command,
  poweroff_command,
  printf_command,
  ps_command,
  rm_command,
  rmdir_command,
  rmmod_command,
  seq_command,
  sleep_command,
  sort_command,
  ss_command,
  stat_command,
  sysctl_command,
  tail_command,
  tcpdump_command,
  tee_command,
  test_command,
  time_command,
  top_command,
  touch_command,
  tr_command,
  true_command,
  uname_command,
  uniq_command,
  uptime_command,
  watch_command,
  wc_command,
  wget_command,
  which_command,
  xxd_command,
  yes_command,
];
