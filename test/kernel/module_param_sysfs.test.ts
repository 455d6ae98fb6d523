/**
 * Drivers' module parameters in /sys/module/NAME/parameters, as Linux shows them: e1000's
 * copybreak (module_param(copybreak, uint, 0644)) read and written from the shell, the receive path
 * following a write at once; virtio_pci's force_legacy (bool, 0444) readable and not writable.
 */
import { describe, expect, it } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { dev_add_pack, dev_get_by_name, dev_open, netdev_transmit } from "../../drivers/net/netdev.ts";
import type { E1000Adapter } from "../../drivers/net/e1000_adapter.ts";
import { E1000 } from "../../hw/net/e1000.ts";
import { EACCES, EINVAL } from "../../include/linux/errno.ts";
import type { PBuf } from "../../include/net/netdevice.ts";
import { kernfs_read, kernfs_write } from "../../kernel/fs/kernfs.ts";
import { pbuf_put } from "../../kernel/mm/pbuf.ts";
import { load_module } from "../../kernel/module.ts";
import { msleep } from "../../kernel/sched/core.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { MODULES, test_frame, TEST_TYPE, two_nics_on_a_hub } from "../helpers/net_machine.ts";

const COPYBREAK = "/sys/module/e1000/parameters/copybreak";

describe("module parameters in sysfs", () => {
  it("the shell reads copybreak (256), writes it, and is refused force_legacy", async () => {
    const tm = boot_test_machine({
      setup: (m) => m.pci.plug(new E1000(m.clock, { mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56), name: "e1000.0" }), 3),
      boot: {
        initcalls: [serial8250_init],
        modules: MODULES,
        default_modules: ["e1000", "virtio_pci"],
        programs: PROGRAMS,
        init_argv: [
          "init",
          "-c",
          `ls -l /sys/module/e1000/parameters /sys/module/virtio_pci/parameters; cat ${COPYBREAK}; echo 0 > ${COPYBREAK}; cat ${COPYBREAK}; ` +
            `echo -1 > ${COPYBREAK}; echo 0x80 > ${COPYBREAK}; cat ${COPYBREAK}; cat /sys/module/virtio_pci/parameters/force_legacy; ` +
            "echo Y > /sys/module/virtio_pci/parameters/force_legacy; echo status=$?",
        ],
      },
    });
    await tm.run_until(() => tm.machine.powered_off, 60e9);
    const out = tm.machine.console_output.replace(/[A-Z][a-z]{2} [ \d]\d \d\d:\d\d/g, "DATE");
    expect(out).toContain("/sys/module/e1000/parameters:\ntotal 0\n-rw-r--r-- 1 root root 4096 DATE copybreak\n");
    expect(out).toContain("/sys/module/virtio_pci/parameters:\ntotal 0\n-r--r--r-- 1 root root 4096 DATE force_legacy\n");
    expect(out).toContain("\n256\n0\n");
    expect(out).toMatch(/write error: Invalid argument\n128\nN\n/);
    expect(out).toContain("can't create /sys/module/virtio_pci/parameters/force_legacy: Permission denied\nstatus=1\n");
  });

  it("copybreak decides, frame by frame, whether the receive path copies a frame or hands up its ring buffer", async () => {
    const tm = await two_nics_on_a_hub();
    /** Was each frame received in one of the receive ring's own buffers (no copy)? By length. */
    const in_ring: [number, boolean][] = [];
    let ring = new Set<PBuf>();
    dev_add_pack(TEST_TYPE, (p) => {
      in_ring.push([p.len, ring.has(p)]);
      pbuf_put(p);
    });
    const eth0 = dev_get_by_name("eth0")!;
    const eth1 = dev_get_by_name("eth1")!;
    const send = (lens: number[]) =>
      tm.in_task(async () => {
        ring = new Set((eth1.priv as E1000Adapter).rx_ring.buffer_info.filter((b): b is PBuf => b !== null && b !== undefined));
        for (const [i, len] of lens.entries()) expect(await netdev_transmit(eth0, test_frame(eth1.dev_addr, eth0.dev_addr, len, i))).toBe(0);
        await msleep(10);
      });
    await tm.in_task(async () => {
      await dev_open(eth0);
      await dev_open(eth1);
      await msleep(600);
    });
    expect(await tm.in_task(() => kernfs_read(COPYBREAK))).toBe("256\n");
    await send([60, 256, 257, 1000]);
    expect(in_ring.splice(0)).toEqual([[60, false], [256, false], [257, true], [1000, true]]);
    // Written while the interface is up: the next frames follow it, no reload or re-probe.
    expect(await tm.in_task(() => kernfs_write(COPYBREAK, "0\n"))).toBe(2);
    await send([60, 256]);
    expect(in_ring.splice(0)).toEqual([[60, true], [256, true]]);
    expect(await tm.in_task(() => kernfs_write(COPYBREAK, "1514\n"))).toBe(5);
    await send([1000, 1514]);
    expect(in_ring.splice(0)).toEqual([[1000, false], [1514, false]]);
    expect(await tm.in_task(async () => [await kernfs_write(COPYBREAK, "-5\n"), await kernfs_write(COPYBREAK, "ten\n")])).toEqual([-EINVAL, -EINVAL]);
    expect(await tm.in_task(() => kernfs_read(COPYBREAK))).toBe("1514\n");
  });

  it("a parameter given at load shows in sysfs; force_legacy is 0444 (no store)", async () => {
    const tm = await two_nics_on_a_hub({ copybreak: "100" });
    expect(await tm.in_task(() => kernfs_read(COPYBREAK))).toBe("100\n");
    expect(await tm.in_task(() => load_module("virtio_pci", { force_legacy: "1" }, true))).toBe(0);
    expect(await tm.in_task(() => kernfs_read("/sys/module/virtio_pci/parameters/force_legacy"))).toBe("Y\n");
    expect(await tm.in_task(() => kernfs_write("/sys/module/virtio_pci/parameters/force_legacy", "N\n"))).toBe(-EACCES);
  });
});
