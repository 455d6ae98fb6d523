import { describe, expect, it } from "vitest";
import { EBUSY, EEXIST, EINVAL, ENOENT, ENOMEM } from "../../include/linux/errno.ts";
import type { ModuleIndexEntry, ModuleInfo } from "../../include/linux/module.ts";
import { EduDevice } from "../../hw/misc/edu.ts";
import { dma_coherent_usage } from "../../kernel/dma/mapping.ts";
import { proc_read } from "../../kernel/fs/proc.ts";
import { irq_actions } from "../../kernel/irq/manage.ts";
import { alloc_pages, free_pages, nr_free_pages } from "../../kernel/mm/page_alloc.ts";
import { find_module, load_module, loaded_modules, module_last_error, unload_module } from "../../kernel/module.ts";
import edu_module from "../../drivers/misc/edu.ts";
import { boot_test_machine } from "../helpers/boot.ts";

function fake(name: string, log: string[], opts: Partial<ModuleInfo> = {}): [string, ModuleIndexEntry] {
  const info: ModuleInfo = {
    name,
    description: `test module ${name}`,
    license: "MIT",
    init: () => (log.push(`init ${name}`), 0),
    exit: () => void log.push(`exit ${name}`),
    ...opts,
  };
  return [name, { load: async () => info, size: 1234 }];
}

describe("modules", () => {
  it("insmod refuses a module whose dependency is missing; modprobe loads it first", async () => {
    const log: string[] = [];
    const tm = boot_test_machine({ boot: { modules: new Map([fake("netdev", log), fake("e1000", log, { depends: ["netdev"] })]) } });
    expect(await tm.in_task(() => load_module("e1000"))).toBe(-ENOENT);
    expect(module_last_error()).toMatch(/needs netdev, which is not loaded/);
    expect(await tm.in_task(() => load_module("e1000", {}, true))).toBe(0);
    expect(log).toEqual(["init netdev", "init e1000"]);
    expect(loaded_modules().map((m) => m.info.name)).toEqual(["e1000", "netdev"]);
    expect(proc_read("modules")).toBe("e1000 1234 0 - Live 0x0000000000000000\nnetdev 1234 1 e1000, Live 0x0000000000000000\n");
  });

  it("refuses to remove a module in use, and says by whom", async () => {
    const log: string[] = [];
    const tm = boot_test_machine({ boot: { modules: new Map([fake("netdev", log), fake("e1000", log, { depends: ["netdev"] })]) } });
    await tm.in_task(() => load_module("e1000", {}, true));
    expect(await tm.in_task(() => unload_module("netdev"))).toBe(-EBUSY);
    expect(module_last_error()).toBe("Module netdev is in use by: e1000");
    expect(await tm.in_task(() => unload_module("e1000"))).toBe(0);
    expect(await tm.in_task(() => unload_module("netdev"))).toBe(0);
    expect(log).toEqual(["init netdev", "init e1000", "exit e1000", "exit netdev"]);
    expect(await tm.in_task(() => unload_module("netdev"))).toBe(-ENOENT);
  });

  it("rejects loading twice and unknown names; ignores unknown parameters with Linux's warning", async () => {
    const log: string[] = [];
    let seen: Readonly<Record<string, string>> = {};
    const tm = boot_test_machine({
      boot: { modules: new Map([fake("m", log, { params: { debug: "debug level" }, init: (p) => ((seen = p), 0) })]) },
    });
    expect(await tm.in_task(() => load_module("nope"))).toBe(-ENOENT);
    // load_module's unknown_module_param_cb: warn, ignore, load anyway.
    expect(await tm.in_task(() => load_module("m", { bogus: "1", debug: "2" }))).toBe(0);
    expect(tm.dmesg()).toMatch(/m: unknown parameter 'bogus' ignored/);
    expect(seen).toEqual({ debug: "2" });
    expect(await tm.in_task(() => load_module("m"))).toBe(-EEXIST);
  });

  it("a value that does not parse as the parameter's type fails the load with Linux's message", async () => {
    const log: string[] = [];
    const tm = boot_test_machine({
      boot: { modules: new Map([fake("m", log, { params: { n: "a number", u: "unsigned", b: "a flag" }, param_types: { n: "int", u: "uint", b: "bool" } })]) },
    });
    expect(await tm.in_task(() => load_module("m", { n: "abc" }))).toBe(-EINVAL);
    expect(tm.dmesg()).toMatch(/m: `abc' invalid for parameter `n'/);
    expect(module_last_error()).toBe("Invalid parameters");
    expect(await tm.in_task(() => load_module("m", { u: "-1" }))).toBe(-EINVAL);
    expect(await tm.in_task(() => load_module("m", { b: "maybe" }))).toBe(-EINVAL);
    expect(await tm.in_task(() => load_module("m", { n: "99999999999" }))).toBe(-EINVAL); // int overflow
    expect(log).toEqual([]); // init never ran
    expect(await tm.in_task(() => load_module("m", { n: "0x10", u: "010", b: "y" }))).toBe(0); // kstrtoint base 0
  });

  it("a module whose init fails is not loaded", async () => {
    const tm = boot_test_machine({
      boot: {
        modules: new Map([
          fake("bad", [], {
            init: () => {
              const pfn = alloc_pages(0, 2);
              free_pages(pfn, 2);
              return -ENOMEM;
            },
          }),
        ]),
      },
    });
    const before = nr_free_pages();
    expect(await tm.in_task(() => load_module("bad"))).toBe(-ENOMEM);
    expect(find_module("bad")).toBeUndefined();
    expect(nr_free_pages()).toBe(before);
  });

  it("edu: 20 insmod/rmmod cycles leave the page allocator and the IRQ line as they were", async () => {
    const tm = boot_test_machine({
      setup: (m) => m.pci.plug(new EduDevice(m.clock), 4),
      boot: { modules: new Map([["edu", { load: async () => edu_module, size: 1 }]]) },
    });
    await tm.run_for(1e6);
    const free_before = nr_free_pages();
    for (let i = 0; i < 20; i++) {
      expect(await tm.in_task(() => load_module("edu"))).toBe(0);
      expect(irq_actions(10).map((a) => a.name)).toEqual(["edu"]);
      expect(dma_coherent_usage().allocations).toBe(1);
      expect(await tm.in_task(() => unload_module("edu"))).toBe(0);
      expect(nr_free_pages()).toBe(free_before);
      expect(irq_actions(10)).toEqual([]);
      expect(dma_coherent_usage()).toEqual({ bytes: 0, allocations: 0 });
    }
    expect(tm.machine.ioapic.is_masked(10)).toBe(true);
  });
});
