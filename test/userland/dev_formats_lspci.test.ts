/**
 * lspci as pciutils 3.9 prints it. First on a real Debian 12 guest's sysfs (fixtures copied from
 * it, with what its own lspci printed), then on this machine's functions through the kernel's
 * sysfs, where the verbose lines were checked against the real lspci run on ringzero's config
 * space (`lspci -vv -F` of ringzero's `lspci -xxx`).
 */
import { describe, expect, it } from "vitest";
import { lspci } from "../../userland/bin/lspci.ts";
import { World } from "../../hw/world.ts";
import { Sink } from "../helpers/nic_harness.ts";
import { boot_host } from "../helpers/net_machine.ts";
import { fake_sys } from "./dev_formats_sys.ts";
import { LSPCI, LSPCI_K, LSPCI_NN, LSPCI_V, LSPCI_VV, LSPCI_XXX, PCI_DEVICES } from "./dev_formats_fixtures.ts";

const SYS = "/sys/bus/pci/devices";

/** The fixture guest's /sys/bus/pci/devices, plus any extra files. */
function debian_guest(extra: [string, string][] = []) {
  const files = new Map<string, string | Uint8Array>();
  const links = new Map<string, string>();
  for (const d of PCI_DEVICES) {
    const cfg = new Uint8Array(d.config_len);
    for (let i = 0; i < d.config.length / 2; i++) cfg[i] = parseInt(d.config.slice(2 * i, 2 * i + 2), 16);
    files.set(`${SYS}/${d.name}/config`, cfg);
    files.set(`${SYS}/${d.name}/resource`, d.resource);
    files.set(`${SYS}/${d.name}/irq`, d.irq);
    files.set(`${SYS}/${d.name}/modalias`, d.modalias);
    if (d.driver !== null) links.set(`${SYS}/${d.name}/driver`, d.driver);
  }
  for (const [p, t] of extra) files.set(p, t);
  return fake_sys({ files, links, release: "6.1.0-28-amd64" });
}

async function run(args: string[], extra: [string, string][] = []): Promise<{ status: number; out: string; err: string }> {
  const f = debian_guest(extra);
  const status = await lspci(["lspci", ...args], f.sys);
  return { status, out: f.out(), err: f.err() };
}

describe("lspci on a real guest's sysfs prints what pciutils 3.9 printed there", () => {
  it("lspci, -nn, -v, -vv, -k and -xxx match the real tool byte for byte", async () => {
    expect((await run([])).out).toBe(LSPCI);
    expect((await run(["-nn"])).out).toBe(LSPCI_NN);
    expect((await run(["-v"])).out).toBe(LSPCI_V);
    expect((await run(["-vv"])).out).toBe(LSPCI_VV);
    expect((await run(["-k"])).out).toBe(LSPCI_K);
    expect((await run(["-xxx"])).out).toBe(LSPCI_XXX);
  });

  it("-s selects one function; -n prints numbers; -D the domain", async () => {
    const one = await run(["-vv", "-s", "03.0"]);
    expect(one.out).toBe(LSPCI_VV.split("\n\n").find((b) => b.startsWith("00:03.0"))! + "\n\n");
    expect((await run(["-n", "-s", "00:03"])).out).toBe("00:03.0 0200: 1af4:1041 (rev 01)\n");
    expect((await run(["-D", "-s", ".0"])).out.split("\n")[0]).toBe("0000:00:00.0 Host bridge: Intel Corporation Device 0d57");
    const bad = await run(["-s", "zz:1"]);
    expect([bad.status, bad.err]).toEqual([1, "lspci: -s: Invalid slot number\n"]);
  });

  it("Kernel modules: the modules whose modules.alias patterns match the modalias, as libkmod finds them", async () => {
    const alias = "alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\nalias pci:v00008086d0000100Esv*sd*bc*sc*i* e1000\nalias virtio:d00000001v* virtio_net\n";
    const r = await run(["-k", "-s", "03"], [["/lib/modules/6.1.0-28-amd64/modules.alias", alias]]);
    expect(r.out).toBe("00:03.0 Ethernet controller: Red Hat, Inc. Virtio 1.0 network device (rev 01)\n\tSubsystem: Red Hat, Inc. Virtio 1.0 network device\n\tKernel driver in use: virtio-pci\n\tKernel modules: virtio_pci\n");
    // Another release's index is not this kernel's.
    const other = await run(["-k", "-s", "03"], [["/lib/modules/5.10.0/modules.alias", alias]]);
    expect(other.out).not.toContain("Kernel modules");
  });

  it("names come from /usr/share/misc/pci.ids when the machine has one", async () => {
    const r = await run(["-s", "03"], [["/usr/share/misc/pci.ids", "1af4  Red Hat, Inc.\n\t1041  My Renamed NIC\n"]]);
    expect(r.out).toBe("00:03.0 Ethernet controller: Red Hat, Inc. My Renamed NIC (rev 01)\n");
  });
});

/** Boot a host with one e1000 (and the kernel's host bridge) and run `command`; its console output. */
async function ringzero(command: string): Promise<string> {
  const world = new World();
  const h = boot_host(world, { wires: [new Sink()], cmdline: "ip=10.0.0.1::::::off", command });
  await world.run({ for_ns: 2e9 });
  return h.machine.console_output;
}

describe("lspci on ringzero's own functions", () => {
  it("-vv shows Control, Status, Latency, Interrupt and Regions of the emulated 82540EM, and the bound driver", async () => {
    const out = await ringzero("lspci -vv -s 03.0; lspci -k -s 03.0");
    // Control … Region 1 are the lines the real lspci printed for this config space (-F); the
    // sizes come from sysfs, as lspci reads them there.
    expect(out).toMatch(
      new RegExp(
        [
          "00:03\\.0 Ethernet controller: Intel Corporation 82540EM Gigabit Ethernet Controller \\(rev 03\\)",
          "\tSubsystem: Red Hat, Inc\\. QEMU Virtual Machine",
          "\tControl: I/O\\+ Mem\\+ BusMaster\\+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx-",
          "\tStatus: Cap- 66MHz- UDF- FastB2B- ParErr- DEVSEL=medium >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-",
          "\tLatency: 0",
          "\tInterrupt: pin A routed to IRQ 11",
          "\tRegion 0: Memory at [0-9a-f]{8} \\(32-bit, non-prefetchable\\) \\[size=128K\\]",
          "\tRegion 1: I/O ports at [0-9a-f]{4} \\[size=8\\]",
          "\tKernel driver in use: e1000",
          "",
          "00:03\\.0 Ethernet controller: Intel Corporation 82540EM Gigabit Ethernet Controller \\(rev 03\\)",
          "\tSubsystem: Red Hat, Inc\\. QEMU Virtual Machine",
          "\tKernel driver in use: e1000",
          "",
        ].join("\\r?\\n"),
      ),
    );
  });
});
