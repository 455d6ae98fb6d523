import type { Program } from "../include/uapi/syscalls.ts";
import { arp } from "./bin/arp.ts";
import { cat } from "./bin/cat.ts";
import { dhclient } from "./bin/dhclient.ts";
import { ifconfig } from "./bin/ifconfig.ts";
import { iperf3 } from "./bin/iperf3.ts";
import { nc } from "./bin/nc.ts";
import { netstat } from "./bin/netstat.ts";
import { dmesg } from "./bin/dmesg.ts";
import { echo } from "./bin/echo.ts";
import { ethtool } from "./bin/ethtool.ts";
import { ip } from "./bin/ip.ts";
import { free } from "./bin/free.ts";
import { insmod, modprobe } from "./bin/insmod.ts";
import { lsmod } from "./bin/lsmod.ts";
import { lspci } from "./bin/lspci.ts";
import { ping } from "./bin/ping.ts";
import { tcpdump } from "./bin/tcpdump.ts";
import { poweroff } from "./bin/poweroff.ts";
import { ps } from "./bin/ps.ts";
import { rmmod } from "./bin/rmmod.ts";
import { sleep } from "./bin/sleep.ts";
import { sysctl } from "./bin/sysctl.ts";
import { uname } from "./bin/uname.ts";
import { uptime } from "./bin/uptime.ts";
import { httpd } from "./bin/httpd.ts";
import { wget } from "./bin/wget.ts";
import { ls } from "./bin/ls.ts";
import { mkdir } from "./bin/mkdir.ts";
import { mount } from "./bin/mount.ts";
import { rm } from "./bin/rm.ts";

/** One-line descriptions for `help`. */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  arp: "the ARP cache (-n)",
  dhclient: "get an address by DHCP: dhclient [DEV]",
  ifconfig: "interfaces; ifconfig DEV up|down|ADDR [netmask M]",
  iperf3: "TCP throughput, compatible with iperf3: iperf3 -s [-1] | iperf3 -c HOST [-t S|-n BYTES] [-P N] [-R] [-J]",
  nc: "TCP and UDP: nc [-w S] [-p PORT] HOST PORT | nc -l [-p] PORT | nc -z HOST PORT[-PORT] | nc -u HOST PORT [MSG] | nc -u -l PORT",
  host: "DNS lookup: host [-t TYPE] NAME [SERVER]",
  nslookup: "query DNS: nslookup [-type=TYPE] HOST [SERVER]",
  netstat: "protocol counters (-s); TCP sockets (-tan)",
  ss: "TCP sockets: ss -tan (-l listening)",
  cat: "print files (any path) or standard input",
  dmesg: "print the kernel log",
  echo: "print arguments",
  ethtool: "NIC settings, statistics (-S), registers (-d), rings (-g/-G), coalescing (-c/-C), self-test (-t)",
  ip: "ip link | addr | route | neigh (show, set, add, del)",
  free: "memory usage (-k, -m, -h)",
  insmod: "load a module: insmod NAME [param=value]",
  lsmod: "list loaded modules",
  lspci: "list PCI devices (-n, -nn, -v, -k, -x, -s SLOT)",
  modprobe: "load a module and its dependencies",
  poweroff: "turn the machine off",
  ping: "send ICMP echo requests: ping [-c N] [-i S] [-s N] [-W S] [-q] ADDRESS",
  tcpdump: "print frames on an interface: tcpdump [-en] [-c N] [-i IFACE] (Ctrl-C stops)",
  ps: "list tasks",
  rmmod: "unload a module",
  sh: "the shell (sh -c \"cmds\")",
  sleep: "sleep N[smhd]",
  uname: "system name (-a)",
  uptime: "time since boot",
  sysctl: "read and set kernel parameters (/proc/sys)",
  init: "pid 1",
  ls: "list directory contents: ls [-1Aadhl] [FILE]...",
  mkdir: "make directories: mkdir [-p] [-m MODE] DIR...",
  rm: "remove files: rm [-fr] FILE...",
  mount: "list mounts, or mount -t tmpfs|proc|sysfs [-o OPTS] SRC DIR",
  wget: "fetch a URL over HTTP: wget [-qS] [-O FILE|-] [-T SEC] [-U AGENT] URL",
  httpd: "serve files over HTTP: httpd [-fv] [-p [IP:]PORT] [-h HOME] (without -f: in the background)",
};

/** The contents of /bin, without init and sh (see programs.ts). */
export const COMMANDS: ReadonlyMap<string, Program> = new Map<string, Program>([
  ["arp", arp],
  ["dhclient", dhclient],
  ["ifconfig", ifconfig],
  ["iperf3", iperf3],
  ["nc", nc],
  ["netstat", netstat],
  ["cat", cat],
  ["ls", ls],
  ["mkdir", mkdir],
  ["rm", rm],
  ["mount", mount],
  ["dmesg", dmesg],
  ["echo", echo],
  ["ethtool", ethtool],
  ["ip", ip],
  ["free", free],
  ["insmod", insmod],
  ["lsmod", lsmod],
  ["lspci", lspci],
  ["modprobe", modprobe],
  ["ping", ping],
  ["tcpdump", tcpdump],
  ["poweroff", poweroff],
  ["ps", ps],
  ["rmmod", rmmod],
  ["sleep", sleep],
  ["uname", uname],
  ["uptime", uptime],
  ["sysctl", sysctl],
  ["wget", wget],
  ["httpd", httpd],
]);
