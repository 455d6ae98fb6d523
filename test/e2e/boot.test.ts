/**
 * End to end through the entrypoint users run (`npm start` = node boot/start.mjs), on the virtual
 * clock so nothing here waits on wall time.
 */
import { describe, expect, it } from "vitest";
import { run_ringzero } from "../helpers/run_entry.ts";

const V = ["--clock", "virtual"];

describe("npm start", () => {
  it("-c runs commands and prints real lspci, lsmod and /proc/interrupts output", async () => {
    const r = await run_ringzero([...V, "-c", "lspci; lsmod; cat /proc/interrupts"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("00:00.0 Host bridge: Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller (rev 02)\n");
    expect(r.stdout).toContain("00:04.0 Unclassified device [00ff]: Device 1234:11e8 (rev 10)\n");
    expect(r.stdout).toMatch(/^Module {18}Size {2}Used by\nedu +\d+ {2}0$/m);
    expect(r.stdout).toMatch(/^ 10: +[1-9]\d* +IO-APIC +10-fasteoi +edu$/m);
    expect(r.stdout).toMatch(/^ {2}4: +\d+ +IO-APIC +4-edge +ttyS0$/m);
    expect(r.stdout).not.toMatch(/Kernel panic/);
  });

  it("exits with the last command's status", async () => {
    expect((await run_ringzero([...V, "-c", "true; false"])).code).toBe(1);
    expect((await run_ringzero([...V, "-c", "exit 3"])).code).toBe(3);
    const r = await run_ringzero([...V, "-c", "nosuchcmd"]);
    expect(r.code).toBe(127);
    expect(r.stdout).toContain("sh: nosuchcmd: command not found\n");
  });

  it("lspci -v shows BARs, IRQ, capabilities and the bound driver; -n is numeric; -x dumps config space", async () => {
    const r = await run_ringzero([...V, "-c", "lspci -v -s 04.0; lspci -n; lspci -x -s 00:00.0"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      [
        "00:04.0 Unclassified device [00ff]: Device 1234:11e8 (rev 10)",
        // pci.ids has no 1234:11e8, so no entry for its QEMU subsystem either (real lspci agrees).
        "\tSubsystem: Red Hat, Inc. Device 1100",
        "\tFlags: bus master, medium devsel, latency 0, IRQ 10",
        "\tMemory at c0000000 (32-bit, non-prefetchable) [size=1M]",
        "\tCapabilities: [40] Power Management version 3",
        "\tKernel driver in use: edu",
      ].join("\n"),
    );
    expect(r.stdout).toContain("00:04.0 00ff: 1234:11e8 (rev 10)\n");
    expect(r.stdout).toContain("00: 86 80 c0 29 00 00 00 02 02 00 00 06 00 00 00 00\n");
  });

  it("rmmod / insmod round-trips the edu driver", async () => {
    const r = await run_ringzero([...V, "-c", "rmmod edu; lspci -k -s 04.0; lsmod; insmod edu; lspci -k -s 04.0"]);
    expect(r.code).toBe(0);
    const parts = r.stdout.split("00:04.0");
    expect(parts[1]).not.toContain("Kernel driver in use");
    expect(parts[2]).toContain("Kernel driver in use: edu");
  });

  it("reports bad module commands with one line and a non-zero status", async () => {
    const r = await run_ringzero([...V, "-c", "insmod nosuch"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("insmod: ERROR: could not insert module nosuch: Module nosuch not found in the module index\n");
    // pciutils 3.9's lspci exits 1 on a bad option (-y is none of its options; -q is, a DNS query).
    const r2 = await run_ringzero([...V, "-c", "lspci -y"]);
    expect(r2.code).toBe(1);
    expect(r2.stdout).toContain("lspci: invalid option -- 'y'\n");
  });

  it("rejects unknown or bad options before booting, with one line", async () => {
    const r = await run_ringzero(["--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("ringzero: unknown option '--bogus' (see --help)\n");
    expect(r.stdout).toBe("");
    const m = await run_ringzero(["-m", "3M", "-c", "true"]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/^ringzero: invalid memory size '3M'/);
    const d = await run_ringzero(["--device", "floppy"]);
    expect(d.code).toBe(2);
    expect(d.stderr).toBe("ringzero: -device: unknown device 'floppy' (available: e1000, e1000-82540em, e1000-82544gc, e1000-82545em, edu, virtio-net, virtio-net-pci, virtio-net-pci-non-transitional)\n");
  });

  it("says why: -m without a value, a stream peer that is not there, --modules without what DHCP needs; -device help", async () => {
    const m = await run_ringzero(["-m"]);
    expect([m.code, m.stderr]).toEqual([2, "ringzero: option '-m' needs a value\n"]);
    const path = `/tmp/rz-no-such-peer-${process.pid}.sock`;
    const s = await run_ringzero(["-nodefaults", "-netdev", `stream,id=n,server=off,addr.type=unix,addr.path=${path}`, "-device", "e1000,netdev=n", "--ip", "10.0.2.15/24", "-c", "true"]);
    expect(s.code).toBe(0);
    expect(s.stderr.split("\n").filter((l) => l.includes("cannot connect"))).toEqual([`[hw] warning: netdev n: cannot connect to ${path}: No such file or directory; link down, retrying every 1000 ms`]);
    const r = await run_ringzero(["-nodefaults", "-netdev", "stream,id=n,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=1", "-device", "e1000,netdev=n", "--ip", "10.0.2.15/24", "-c", "true"]);
    expect(r.stderr).toContain("[hw] warning: netdev n: cannot connect to 127.0.0.1:1: Connection refused; link down, retrying every 1000 ms\n");
    const mods = await run_ringzero(["--modules", "e1000", "--clock", "virtual", "-c", "true"]);
    expect(mods.stderr).toContain("ringzero: warning: --modules: inet is not in the list, so there is no IPv4 stack: the NICs stay unconfigured (no DHCP, no --ip)\n");
    const h = await run_ringzero(["-device", "help"]);
    expect([h.code, h.stdout.split("\n")[0]]).toEqual([0, "Network devices:"]);
  });

  it("-machine dma-coherent=off,iommu=on: DHCP, ping and ethtool -t work with no DMA-API error; bad properties are refused", async () => {
    const r = await run_ringzero([...V, "-machine", "dma-coherent=off,iommu=on", "-append", "dma_debug=on", "-c", "ping -c 2 10.0.2.2; ethtool -t eth0; cat /proc/interrupts; cat /sys/kernel/debug/dma-api/error_count"]);
    expect(r.stdout).toContain("2 packets transmitted, 2 received, 0% packet loss");
    expect(r.stdout).toContain("The test result is PASS");
    expect(r.stdout).toMatch(/ 20: +\d+ +IO-APIC +20-\S+ +dmar0\n/);
    expect(r.stdout).toMatch(/\n0\n$/);
    expect(r.code).toBe(0);
    const bad = await run_ringzero(["-machine", "dma-coherent=maybe", "-c", "true"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("ringzero: -machine: dma-coherent expects on or off, got 'maybe'\n");
    const unk = await run_ringzero(["-machine", "pc,smm=off", "-c", "true"]);
    expect(unk.code).toBe(2);
    expect(unk.stderr).toBe("ringzero: -machine: unknown property 'smm' (ringzero knows dma-coherent=on|off, iommu=on|off)\n");
  });

  it("-device virtio-net-pci and -nic user,model=virtio-net-pci: the virtio drivers load, DHCP and ping work", async () => {
    const r = await run_ringzero([...V, "-nodefaults", "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:aa:bb:cc", "-netdev", "user,id=n0", "-append", "dma_debug=on", "-c", "lspci -k; ping -c 2 10.0.2.2; ethtool -i eth0; cat /sys/kernel/debug/dma-api/error_count"]);
    expect(r.stdout).toContain("00:01.0 Ethernet controller: Red Hat, Inc. Virtio 1.0 network device (rev 01)\n");
    expect(r.stdout).toMatch(/Kernel driver in use: virtio-pci/);
    expect(r.stdout).toContain("2 packets transmitted, 2 received, 0% packet loss");
    expect(r.stdout).toContain("driver: virtio_net\n");
    expect(r.stdout).toMatch(/\n0\n$/);
    expect(r.code).toBe(0);
    const n = await run_ringzero([...V, "-nodefaults", "-nic", "user,model=virtio-net-pci", "-c", "lspci -n"]);
    expect(n.stdout).toMatch(/00:01\.0 0200: 1af4:1041 \(rev 01\)/);
    const bad = await run_ringzero(["-device", "virtio-net-pci,disable-legacy=maybe", "-c", "true"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("ringzero: -device virtio-net-pci,disable-legacy=maybe: Parameter 'disable-legacy' does not accept value 'maybe'\n");
    const mq = await run_ringzero(["-device", "virtio-net-pci,mq=on", "-c", "true"]);
    expect(mq.code).toBe(2);
    expect(mq.stderr).toBe("ringzero: -device virtio-net-pci,mq=on: mq=on is not available (the model has one queue pair)\n");
  });

  it("virtio-net-pci with QEMU's feature properties off: the driver takes its other paths and still gets a lease and pings", async () => {
    const r = await run_ringzero([...V, "-nodefaults", "-device", "virtio-net-pci,netdev=n0,mrg_rxbuf=off,csum=off,guest_csum=off,ctrl_vq=off,ctrl_rx=off,ctrl_mac_addr=off,indirect_desc=off,event_idx=off", "-netdev", "user,id=n0", "-c", "ping -c 2 10.0.2.2; ethtool -k eth0; ethtool -S eth0; ethtool -l eth0"]);
    expect(r.stdout).toContain("2 packets transmitted, 2 received, 0% packet loss");
    expect(r.stdout).toContain("tx-checksumming: off [fixed]");
    expect(r.stdout).not.toContain("ctrl_commands");
    expect(r.stdout).toContain("Combined:\t1\n");
    expect(r.code).toBe(0);
  });

  it("rejects an unknown trace channel", async () => {
    const r = await run_ringzero(["--trace", "tx,bogus", "-c", "true"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ringzero: --trace: unknown channel 'bogus'/);
  });

  it("the default machine has the 82540EM at 00:03.0 with IRQ 11, as QEMU's pc machine, bound to e1000", async () => {
    const r = await run_ringzero([...V, "-c", "lspci -v -s 03.0"]);
    expect(r.stdout).toContain("00:03.0 Ethernet controller: Intel Corporation 82540EM Gigabit Ethernet Controller (rev 03)\n");
    expect(r.stdout).toMatch(/Flags: bus master, medium devsel, latency 0, IRQ 11\n\tMemory at [0-9a-f]{8} \(32-bit, non-prefetchable\) \[size=128K\]\n\tI\/O ports at [0-9a-f]{4} \[size=8\]\n\tKernel driver in use: e1000\n/);
  });

  it("brings eth0 up, shows counters moving, survives rmmod/insmod e1000, and dumps registers and rings", async () => {
    const r = await run_ringzero([
      ...V,
      "-c",
      "ip link set eth0 up; sleep 1; ethtool -S eth0; ethtool -t eth0; rmmod netdev; rmmod e1000; ip link; insmod e1000; ip link set eth0 up; sleep 1; ip link show eth0; ethtool -d eth0; ethtool --dump-rings eth0; lsmod",
    ]);
    expect(r.code).toBe(0);
    const parts = r.stdout.split("NIC statistics:");
    expect(parts[1]).toMatch(/^ {5}interrupts: [1-9]\d*$/m);
    expect(parts[1]).toMatch(/^ {5}napi_polls: [1-9]\d*$/m);
    expect(r.stdout).toContain("The test result is PASS");
    expect(r.stdout).toContain("rmmod: ERROR: Module netdev is in use by: inet e1000\n");

    expect(r.stdout).toMatch(/^3: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP/m); // a new ifindex after re-registration, as in Linux
    expect(r.stdout).toMatch(/^0x00100: RCTL \(Receive control register\) 0x[0-9A-F]{8}\n {6}Receiver: {26}enabled$/m);
    expect(r.stdout).toMatch(/^RX ring: 256 descriptors at 0x[0-9a-f]+\n {2}head \(hw\) 0 {2}tail \(hw\) 254 {2}next_to_use 255 {2}next_to_clean 0$/m);
    expect(r.stdout).toMatch(/^e1000 +\d+ {2}0$/m);
    expect(r.stdout).toMatch(/^netdev +\d+ {2}2 (e1000,inet|inet,e1000)$/m);
  });

  it("ip and ethtool refuse bad input with one line and a non-zero status", async () => {
    const r = await run_ringzero([...V, "-c", "ip link set eth9 up"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('Cannot find device "eth9"\n');
    const e = await run_ringzero([...V, "-c", "ethtool -G eth0 rx 100"]);
    expect(e.code).toBe(1);
    expect(e.stdout).toBe("ethtool: Invalid argument\n");
    const b = await run_ringzero([...V, "-c", "ethtool -Q eth0"]);
    expect(b.code).toBe(1);
    expect(b.stdout.split("\n")[0]).toBe("ethtool: bad command line argument(s)");
  });

  it("ping -c 3 10.0.2.2 on the default user network: three replies, 0% loss, exit 0", async () => {
    const r = await run_ringzero([...V, "-c", "ping -c 3 10.0.2.2"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PING 10\.0\.2\.2 \(10\.0\.2\.2\) 56\(84\) bytes of data\.\n(64 bytes from 10\.0\.2\.2: icmp_seq=[123] ttl=64 time=\d+\.\d+ ms\n){3}\n--- 10\.0\.2\.2 ping statistics ---\n3 packets transmitted, 3 received, 0% packet loss/m);
  });

  it("ping -c 3 10.0.2.99 (nobody there): 100% loss, exit 1, no hang", async () => {
    const r = await run_ringzero([...V, "-c", "ping -c 3 10.0.2.99"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("100% packet loss");
  });

  it("ping and the network commands refuse bad input with one line and status 2 / non-zero", async () => {
    const r = await run_ringzero([...V, "-c", "ping -x 10.0.2.2; echo s=$?; ping nosuchhost; echo s=$?; ping -c 0 10.0.2.2; echo s=$?; ping; echo s=$?; ifconfig eth7; echo s=$?; ip addr show dev eth7; echo s=$?; dhclient eth5; echo s=$?"]);
    expect(r.stdout).toContain("ping: invalid option -- 'x'\n");
    expect(r.stdout).toContain("ping: nosuchhost: Name or service not known\ns=2\n");
    expect(r.stdout).toContain("ping: invalid argument: '0'\ns=2\n");
    expect(r.stdout).toContain("ping: usage error: Destination address required\ns=2\n");
    expect(r.stdout).toContain("eth7: error fetching interface information: Device not found\ns=1\n");
    expect(r.stdout).toContain('Device "eth7" does not exist.\ns=1\n');
    expect(r.stdout).toContain("dhclient: eth5: no such interface\ns=1\n");
  });

  it("--ip sets a static address instead of DHCP", async () => {
    const r = await run_ringzero([...V, "--ip", "10.0.2.77/24,10.0.2.2", "-c", "ip addr show eth0; ping -c 1 10.0.2.2"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("inet 10.0.2.77/24 brd 10.0.2.255 scope global eth0\n");
    const bad = await run_ringzero(["--ip", "10.0.2.300/24", "-c", "true"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ringzero: --ip: expected ADDR\/PREFIX\[,GATEWAY\]/);
  });

  it("--help lists the options", async () => {
    const r = await run_ringzero(["--help"]);
    expect(r.code).toBe(0);
    for (const opt of ["--command", "--memory", "--clock", "--device", "--netdev", "--pcap", "--ip"]) expect(r.stdout).toContain(opt);
  });

  it("boots to an interactive prompt and reads commands from the terminal", async () => {
    const r = await run_ringzero(V, "echo hello from ringzero\nfree -m\nbogus\n");
    expect(r.code).toBe(127); // at end of input the shell exits with its last status, as sh does
    // The console echoes the command (the shell's readline draws it after the prompt).
    expect(r.stdout).toMatch(/ringzero:\/# (echo hello from ringzero\n)?hello from ringzero\n/);
    expect(r.stdout).toMatch(/Mem: +\d+ +\d+ +\d+/);
    expect(r.stdout).toContain("sh: bogus: command not found\n");
    expect(r.stdout).toMatch(/ringzero:\/# exit\n/); // end of input logs out
  });

  it("-m sets the memory size the kernel sees", async () => {
    const r = await run_ringzero([...V, "-m", "64M", "-c", "cat /proc/meminfo"]);
    const total = Number(/MemTotal:\s+(\d+) kB/.exec(r.stdout)![1]);
    expect(total).toBeGreaterThan(60000);
    expect(total).toBeLessThanOrEqual(65536);
  });

  it("several -device e1000,netdev=ID become eth0, eth1 in order, each on its own back-end", async () => {
    const r = await run_ringzero([...V, "-nodefaults", "-netdev", "user,id=a", "-netdev", "hubport,id=h,hubid=0", "-device", "e1000,netdev=a", "-device", "e1000,netdev=h,mac=02:00:00:00:00:02", "-c", "ip link; ping -c 1 10.0.2.2"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> .*\n    link\/ether 52:54:00:12:34:56 /m);
    expect(r.stdout).toMatch(/^3: eth1: <BROADCAST,MULTICAST> .*\n    link\/ether 02:00:00:00:00:02 /m);
    expect(r.stdout).toContain("1 packets transmitted, 1 received");
  });
});
