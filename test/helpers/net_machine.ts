import { dev_add_pack } from "../../drivers/net/netdev.ts";
/**
 * A machine with e1000 NICs, booted with the netdev and e1000 modules available, for driver tests.
 */
import type { ModuleIndex, ModuleInfo } from "../../include/linux/module.ts";
import type { PBuf } from "../../include/net/netdevice.ts";
import { pbuf_alloc, pbuf_put } from "../../kernel/mm/pbuf.ts";
import { E1000 } from "../../hw/net/e1000.ts";
import { Hub } from "../../hw/net/hub.ts";
import { net_connect, type NetEndpoint } from "../../hw/net/net_endpoint.ts";
import { World } from "../../hw/world.ts";
import netdev_module from "../../drivers/net/netdev.ts";
import e1000_module from "../../drivers/net/e1000.ts";
import virtio_module from "../../drivers/virtio/virtio.ts";
import virtio_pci_module from "../../drivers/virtio/virtio_pci_common.ts";
import virtio_net_module from "../../drivers/net/virtio_net.ts";
import { VirtioNet } from "../../hw/net/virtio_net.ts";
import inet_module from "../../net/inet.ts";
import { ip_auto_config } from "../../net/ipv4/ipconfig.ts";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { load_module } from "../../kernel/module.ts";
import { boot_test_machine, type TestMachine } from "./boot.ts";

export const MODULES: ModuleIndex = new Map<string, { load: () => Promise<ModuleInfo>; size: number }>([
  ["netdev", { load: async () => netdev_module, size: 1 }],
  ["e1000", { load: async () => e1000_module, size: 1 }],
  ["inet", { load: async () => inet_module, size: 1 }],
  ["virtio", { load: async () => virtio_module, size: 1 }],
  ["virtio_pci", { load: async () => virtio_pci_module, size: 1 }],
  ["virtio_net", { load: async () => virtio_net_module, size: 1 }],
]);

/**
 * A whole networked host, as `npm start` builds it: e1000 NICs on the given wires, the netdev,
 * e1000 and inet modules loaded at boot, `ip=` from `cmdline` applied, and init running `command`
 * in the shell. Its console output is in machine.console_output.
 */
export function boot_host(world: World, opts: { wires: NetEndpoint[]; cmdline: string; command: string; base_mac?: number; nic?: "e1000" | "virtio-net-pci" }): TestMachine {
  const virtio = opts.nic === "virtio-net-pci";
  return boot_test_machine({
    world,
    mem_size: 64 << 20,
    cmdline: `quiet ${opts.cmdline}`,
    setup: (m) => {
      opts.wires.forEach((w, i) => {
        const mac = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, (opts.base_mac ?? 0x56) + i);
        const nic = virtio ? new VirtioNet(m.clock, { mac, name: `virtio-net.${i}` }) : new E1000(m.clock, { mac, name: `e1000.${i}` });
        m.pci.plug(nic, 3 + i);
        net_connect(w, nic);
      });
    },
    boot: {
      initcalls: [serial8250_init],
      modules: MODULES,
      default_modules: virtio ? ["virtio_pci", "virtio_net", "inet"] : ["e1000", "inet"],
      late_initcalls: [ip_auto_config],
      programs: PROGRAMS,
      init_argv: ["init", "-c", opts.command],
    },
  });
}

export interface NetTestMachine extends TestMachine {
  nics: E1000[];
}

/**
 * Boot a machine with `n` e1000 NICs (52:54:00:12:34:56, …57, …) in slots 3, 4, …; each NIC's
 * wire end is connected to `wires[i]` when given. Modules are loaded when `load` is true.
 */
export async function boot_net_machine(opts: { n?: number; wires?: (NetEndpoint | null)[]; load?: boolean; params?: Record<string, string>; world?: World; mem_size?: number; dma_coherent?: boolean; iommu?: boolean } = {}): Promise<NetTestMachine> {
  const n = opts.n ?? 1;
  const nics: E1000[] = [];
  const tm = boot_test_machine({
    world: opts.world,
    mem_size: opts.mem_size ?? 64 << 20,
    dma_coherent: opts.dma_coherent,
    iommu: opts.iommu,
    setup: (m) => {
      for (let i = 0; i < n; i++) {
        const nic = new E1000(m.clock, { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56 + i + (opts.world ? opts.world.machines.length * 16 : 0)), name: `e1000.${i}` });
        m.pci.plug(nic, 3 + i);
        const w = opts.wires?.[i];
        if (w) net_connect(w, nic);
        nics.push(nic);
      }
    },
    boot: { modules: MODULES },
  });
  await tm.run_for(1e6);
  if (opts.load !== false) {
    const r = await tm.in_task(() => load_module("e1000", opts.params ?? {}, true));
    if (r !== 0) throw new Error(`e1000 did not load: ${r}\n${tm.dmesg()}`);
  }
  return Object.assign(tm, { nics });
}

/** Two NICs of one machine joined by a hub. */
export async function two_nics_on_a_hub(params?: Record<string, string>, dma_coherent = true): Promise<NetTestMachine & { hub: Hub }> {
  const hub = new Hub();
  const tm = await boot_net_machine({ n: 2, wires: [hub.port(), hub.port()], dma_coherent, ...(params ? { params } : {}) });
  return Object.assign(tm, { hub });
}

/** The IEEE local experimental EtherType the driver tests send. */
export const TEST_TYPE = 0x88b5;

/** Build a frame in a fresh packet buffer: dst, src, EtherType 0x88B5, payload tagged with `seq`. */
export function test_frame(dst: Uint8Array, src: Uint8Array, len: number, seq: number): PBuf {
  const p = pbuf_alloc()!;
  const d = p.data;
  d.set(dst, p.head);
  d.set(src, p.head + 6);
  d[p.head + 12] = TEST_TYPE >> 8;
  d[p.head + 13] = TEST_TYPE & 0xff;
  p.view.setUint32(p.head + 14, seq, false);
  for (let i = 18; i < len; i++) d[p.head + i] = (i + seq) & 0xff;
  p.len = len;
  return p;
}

/** Receive-side recorder for test_frame frames: [receiving device, seq, length, payload intact]. */
export function record_test_frames(): { got: [string, number, number, boolean][] } {
  const got: [string, number, number, boolean][] = [];
  dev_add_pack(TEST_TYPE, (p, dev) => {
    const seq = p.view.getUint32(p.head + 14, false);
    let ok = true;
    for (let i = 18; i < p.len; i++) if (p.data[p.head + i] !== ((i + seq) & 0xff)) ok = false;
    got.push([dev.name, seq, p.len, ok]);
    pbuf_put(p);
  });
  return { got };
}
