/**
 * ethtool as 6.1 prints it on a 6.1 kernel: the netlink blocks (settings, -g, -c), ethtool's own
 * e1000 register dumper (-d), the self-test report (-t) and the error messages and exit codes.
 * Fixtures are the real tool's output on a Debian 12 guest (virtio-net), and ethtool 6.1's e1000.c
 * run on the register words given; then the same commands on ringzero's e1000 and virtio-net.
 */
import { describe, expect, it } from "vitest";
import { ethtool } from "../../userland/bin/ethtool.ts";
import { e1000_dump_regs } from "../../userland/lib/ethtool_e1000.ts";
import type { EthtoolCmd, EthtoolReply } from "../../include/uapi/ethtool.ts";
import { World } from "../../hw/world.ts";
import { Sink } from "../helpers/nic_harness.ts";
import { boot_host } from "../helpers/net_machine.ts";
import { fake_sys } from "./dev_formats_sys.ts";
import { E1000_DUMP_A, E1000_DUMP_B, E1000_DUMP_C, E1000_DUMP_D, ETHTOOL_ENODEV_RINGS, ETHTOOL_ENODEV_SETTINGS, ETHTOOL_VIRTIO_COALESCE, ETHTOOL_VIRTIO_RINGS, ETHTOOL_VIRTIO_SETTINGS } from "./dev_formats_fixtures.ts";

async function run(args: string[], answer: (dev: string, cmd: EthtoolCmd) => EthtoolReply | number): Promise<{ status: number; out: string; err: string }> {
  const f = fake_sys({ ethtool: answer });
  const status = await ethtool(["ethtool", ...args], f.sys);
  return { status, out: f.out(), err: f.err() };
}

/** What the fixture guest's kernel answered for its virtio-net eth0. */
function virtio_guest(dev: string, cmd: EthtoolCmd): EthtoolReply | number {
  if (dev !== "eth0") return -19;
  switch (cmd.cmd) {
    case "link":
      return { kind: "link", settings: { link: true, speed: -1, duplex: "Unknown", autoneg: false, port: "Other", supported: [], advertising: [], phy_address: 0, transceiver: "internal" } };
    case "ring":
      return { kind: "ring", ring: { rx_max_pending: 256, tx_max_pending: 256, rx_pending: 256, tx_pending: 256 } };
    case "coalesce":
      // That guest runs a newer kernel whose virtio_net also reports adaptive RX (DIM).
      return { kind: "coalesce", coalesce: { use_adaptive_rx: false, rx_usecs: 0, rx_max_frames: 1, tx_usecs: 0, tx_max_frames: 1 } };
    case "drvinfo":
      return { kind: "drvinfo", info: { driver: "virtio_net", version: "1.0.0", bus_info: "0000:00:03.0", n_stats: 10, regdump_len: 0, eedump_len: 0 } };
    default:
      return -95;
  }
}

describe("ethtool 6.1's output for the replies a real guest's kernel gave", () => {
  it("`ethtool eth0`, -g and -c on virtio-net match the real tool byte for byte", async () => {
    expect(await run(["eth0"], virtio_guest)).toEqual({ status: 0, out: ETHTOOL_VIRTIO_SETTINGS, err: "" });
    expect(await run(["-g", "eth0"], virtio_guest)).toEqual({ status: 0, out: ETHTOOL_VIRTIO_RINGS, err: "" });
    expect(await run(["-c", "eth0"], virtio_guest)).toEqual({ status: 0, out: ETHTOOL_VIRTIO_COALESCE, err: "" });
  });

  it("a missing device: the netlink errors, 'No data available' and the exit codes ethtool gives", async () => {
    expect(await run(["eth9"], virtio_guest)).toEqual({ status: 75, out: "No data available\n", err: ETHTOOL_ENODEV_SETTINGS.replace("No data available\n", "") });
    expect(await run(["-g", "eth9"], virtio_guest)).toEqual({ status: 1, out: "", err: ETHTOOL_ENODEV_RINGS });
    expect(await run(["-d", "eth9"], virtio_guest)).toEqual({ status: 72, out: "", err: "Cannot get driver information: No such device\n" });
    expect(await run(["-i", "eth9"], virtio_guest)).toEqual({ status: 71, out: "", err: "Cannot get driver information: No such device\n" });
    expect(await run(["-t", "eth9"], virtio_guest)).toEqual({ status: 74, out: "", err: "Cannot get strings: No such device\n" });
    expect(await run(["-S", "eth9"], virtio_guest)).toEqual({ status: 96, out: "", err: "Cannot get stats strings information: No such device\n" });
  });

  it("a driver without a register dump or self-test says so as ethtool does", async () => {
    expect(await run(["-d", "eth0"], (d, c) => (c.cmd === "regs" ? { kind: "regs", regs: [] } : virtio_guest(d, c)))).toEqual({ status: 74, out: "", err: "Cannot get register dump: Operation not supported\n" });
    expect(await run(["-t", "eth0"], virtio_guest)).toEqual({ status: 74, out: "", err: "Cannot test: Operation not supported\n" });
  });
});

describe("the self-test report", () => {
  it("a failed test makes it FAIL with ETH_TEST_FL_FAILED (2) as the exit status", async () => {
    const results = [
      { name: "Register test  (offline)", result: 0, detail: "" },
      { name: "Link test   (on/offline)", result: 1, detail: "no link" },
    ];
    const r = await run(["-t", "eth0", "offline"], (d, c) => (c.cmd === "test" ? { kind: "test", results } : virtio_guest(d, c)));
    expect(r).toEqual({ status: 2, out: "The test result is FAIL\nThe test extra info:\nRegister test  (offline)\t 0\nLink test   (on/offline)\t 1\n\n", err: "" });
  });
});

describe("the e1000 register dump decodes as ethtool 6.1's e1000.c does", () => {
  const words = (s: string): number[] => s.split(" ").map((x) => parseInt(x, 16));
  it("for an 82540EM, an 82545EM, an 82571 and an 82542 (outputs of ethtool's own dumper)", () => {
    expect(e1000_dump_regs(0x0103100e, words("00140240 80080783 04008002 00001000 00000002 00000000 00000000 0103F0FA 00001000 00000003 00000003 00000008 0 0000AC00 0 0 0 00000360 0000AC00 0 00000360 0 0 0000AC00 00003C00 00003C00 0 0 0 0 0 0"))).toBe(E1000_DUMP_A);
    expect(e1000_dump_regs(0x0101100f, words("78001BAA 0000E87D 02FF83FE 00002000 00000010 00000020 00000040 0140000A 00000800 00000001 00000002 00000004 0 00005FF3 0 0 0 00000FB7 00005FF3 0 00000FB7 0 0 00005FF3 0 0 0 0 0 0 0 0"))).toBe(E1000_DUMP_B);
    expect(e1000_dump_regs(0x0106105e, words("00000041 00000085 00038002 0 0 0 0 00000002 0 0 0 0 0 0000A3C0 0 0 0 00000040 0 0 0 0 0 0 0 0 0 0 0 0 0 0"))).toBe(E1000_DUMP_C);
    expect(e1000_dump_regs(0x01001000, words("00000001 00000002 00030000 0 0 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"))).toBe(E1000_DUMP_D);
    expect(e1000_dump_regs(0x0203100e, [])).toBeNull(); // another dump version: ethtool falls back to hex
  });

  it("a dump no dumper decodes is printed as ethtool's hex dump", async () => {
    const regs: [string, number, number, string][] = [["version", 0, 1, ""], ["a", 0, 0x04030201, ""], ["b", 4, 0xdeadbeef, ""]];
    const r = await run(["-d", "eth0"], (d, c) => (c.cmd === "regs" ? { kind: "regs", regs } : virtio_guest(d, c)));
    expect(r).toEqual({ status: 0, out: "Offset\t\tValues\n------\t\t------\n0x0000:\t\t01 02 03 04 ef be ad de \n", err: "" });
  });
});

/** Boot a host with one NIC on a sink and run `command`; its console output. */
async function ringzero(command: string, nic: "e1000" | "virtio-net-pci" = "e1000", for_ns = 3e9): Promise<string> {
  const world = new World();
  const h = boot_host(world, { wires: [new Sink()], cmdline: "ip=10.0.0.1::::::off", command, nic });
  await world.run({ for_ns });
  return h.machine.console_output.replace(/\r\n/g, "\n");
}

describe("ethtool on ringzero's e1000", () => {
  it("`ethtool eth0`: link modes, autonegotiation, PHYAD, transceiver, MDI-X, Wake-on and message level from the driver", async () => {
    const out = await ringzero("ethtool eth0");
    expect(out).toContain(
      [
        "Settings for eth0:",
        "\tSupported ports: [ TP ]",
        "\tSupported link modes:   10baseT/Half 10baseT/Full",
        "\t                        100baseT/Half 100baseT/Full",
        "\t                        1000baseT/Full",
        "\tSupported pause frame use: No",
        "\tSupports auto-negotiation: Yes",
        "\tSupported FEC modes: Not reported",
        "\tAdvertised link modes:  10baseT/Half 10baseT/Full",
        "\t                        100baseT/Half 100baseT/Full",
        "\t                        1000baseT/Full",
        "\tAdvertised pause frame use: No",
        "\tAdvertised auto-negotiation: Yes",
        "\tAdvertised FEC modes: Not reported",
        "\tSpeed: 1000Mb/s",
        "\tDuplex: Full",
        "\tAuto-negotiation: on",
        "\tPort: Twisted Pair",
        "\tPHYAD: 0",
        "\tTransceiver: internal",
        "\tMDI-X: off (auto)",
        "\tSupports Wake-on: umbg",
        "\tWake-on: d",
        "        Current message level: 0x00000007 (7)",
        "                               drv probe link",
        "\tLink detected: yes",
        "",
      ].join("\n"),
    );
  });

  it("-g and -c: the full 6.1 blocks, with what the e1000 reports and n/a for the rest", async () => {
    const out = await ringzero("ethtool -g eth0; ethtool -c eth0");
    expect(out).toContain("Ring parameters for eth0:\nPre-set maximums:\nRX:\t\t4096\nRX Mini:\tn/a\nRX Jumbo:\tn/a\nTX:\t\t4096\nCurrent hardware settings:\nRX:\t\t256\nRX Mini:\tn/a\nRX Jumbo:\tn/a\nTX:\t\t256\nRX Buf Len:\t\tn/a\nCQE Size:\t\tn/a\nTX Push:\toff\nTCP data split:\tn/a\n");
    // The real block's shape, with e1000's one parameter (rx-usecs) where virtio-net has its own.
    const expected = ETHTOOL_VIRTIO_COALESCE.replace("Adaptive RX: off", "Adaptive RX: n/a").replace("rx-usecs: 0", "rx-usecs: 3").replace("rx-frames: 1", "rx-frames: n/a").replace("tx-usecs: 0", "tx-usecs: n/a").replace("tx-frames: 1", "tx-frames: n/a");
    expect(out).toContain(expected);
  });

  it("-d: ethtool's e1000 dump of the live registers", async () => {
    const out = await ringzero("ethtool -d eth0");
    expect(out).toMatch(/^MAC Registers\n-------------\n0x00000: CTRL \(Device control register\) {2}0x[0-9A-F]{8}\n {6}Endian mode \(buffers\): {13}little\n/m);
    expect(out).toMatch(/^0x00008: STATUS \(Device status register\) 0x[0-9A-F]{8}\n {6}Duplex: {28}full\n {6}Link up: {27}link config\n/m);
    expect(out).toMatch(/^ {6}Receiver: {26}enabled\n/m);
    expect(out).toContain("0x02808: RDLEN (Receive desc length)     0x00001000\n");
    expect(out).toContain("PHY type:                                M88\nM88 PHY STATUS REGISTER:                 0x0000AC00\n");
    expect(out).toContain("      Auto-MDIX:                         auto\n");
  });

  it("-t: Linux's e1000 test strings in order (the link test, run first, reported last) and PASS", async () => {
    const out = await ringzero("ethtool -t eth0; echo status $?", "e1000", 15e9);
    expect(out).toContain("The test result is PASS\nThe test extra info:\nRegister test  (offline)\t 0\nEeprom test    (offline)\t 0\nInterrupt test (offline)\t 0\nLoopback test  (offline)\t 0\nLink test   (on/offline)\t 0\n\nstatus 0\n");
  });
});

describe("ethtool on ringzero's virtio-net", () => {
  it("settings as the real guest printed them; no register dump, no self-test", async () => {
    const out = await ringzero("ethtool eth0; ethtool -d eth0; echo status $?; ethtool -t eth0; echo status $?", "virtio-net-pci");
    expect(out).toContain(ETHTOOL_VIRTIO_SETTINGS);
    expect(out).toContain("Cannot get register dump: Operation not supported\nstatus 74\n");
    expect(out).toContain("Cannot test: Operation not supported\nstatus 74\n");
  });

  it("-c: a 6.1 virtio_net reports rx/tx-usecs and -frames and no adaptive mode", async () => {
    const out = await ringzero("ethtool -c eth0", "virtio-net-pci");
    expect(out).toContain(ETHTOOL_VIRTIO_COALESCE.replace("Adaptive RX: off", "Adaptive RX: n/a"));
  });
});
