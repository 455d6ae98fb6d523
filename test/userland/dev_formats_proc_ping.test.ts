/**
 * ping's replies and statistics as iputils 20221126 prints them, and /proc/interrupts,
 * /proc/softirqs and /proc/meminfo in Linux 6.1's layouts. Fixtures are real lines from a Debian 12
 * guest (see dev_formats_fixtures.ts).
 */
import { describe, expect, it } from "vitest";
import { format_rtt, ping_statistics } from "../../userland/bin/ping.ts";
import { World } from "../../hw/world.ts";
import { Sink } from "../helpers/nic_harness.ts";
import { boot_host } from "../helpers/net_machine.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { global_node_page_state, mod_node_page_state, NR_FILE_PAGES, NR_SHMEM, show_meminfo } from "../../kernel/mm/vmstat.ts";
import { pbuf_stats } from "../../kernel/mm/pbuf.ts";
import { totalram_pages } from "../../kernel/mm/page_alloc.ts";
import { PING_SIZES, PROC_INTERRUPTS, PROC_SOFTIRQS } from "./dev_formats_fixtures.ts";

async function ringzero(command: string, for_ns = 3e9): Promise<string> {
  const world = new World();
  const h = boot_host(world, { wires: [new Sink()], cmdline: "ip=10.0.0.1::::::off", command });
  await world.run({ for_ns });
  return h.machine.console_output.replace(/\r\n/g, "\n");
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("ping", () => {
  it("-s 0, 7, 8, 15 and 16 to 127.0.0.1: the real tool's lines — no time= below a struct timeval (16 bytes), no rtt line, and the blank line iputils ends with", async () => {
    const out = await ringzero([0, 7, 8, 15, 16].map((s) => `ping -c 2 -i 0.2 -s ${s} 127.0.0.1`).join("; "), 5e9);
    // The real output, with the times (which differ run to run) left open.
    const open = PING_SIZES.replace(/time \d+ms/g, "\u0001").replace(/time=[\d.]+ ms/g, "\u0002").replace(/rtt min\/avg\/max\/mdev = [\d./]+ ms/, "\u0003");
    const pattern = escape(open)
      .replace(/\u0001/g, "time \\d+ms")
      .replace(/\u0002/g, "time=\\d+\\.\\d{3} ms")
      .replace(/\u0003/, "rtt min/avg/max/mdev = \\d+\\.\\d{3}/\\d+\\.\\d{3}/\\d+\\.\\d{3}/\\d+\\.\\d{3} ms");
    expect(out).toMatch(new RegExp(pattern));
    // The time runs from the start to the last request sent: one 200 ms interval for two requests.
    for (const t of out.match(/time (\d+)ms/g)!) expect(Number(t.slice(5, -2))).toBeGreaterThanOrEqual(200);
    for (const t of out.match(/time (\d+)ms/g)!) expect(Number(t.slice(5, -2))).toBeLessThan(210);
  });

  it("the statistics lines: %g loss, duplicates and errors, and iputils' integer rtt arithmetic", () => {
    // The real run above: replies in 12 and 38 µs gave "0.012/0.025/0.038/0.013".
    expect(ping_statistics("127.0.0.1", { ntransmitted: 2, nreceived: 2, nrepeats: 0, nerrors: 0, time_ms: 203, timing: true, tmin: 12, tmax: 38, tsum: 50, tsum2: 12 * 12 + 38 * 38 })).toBe(
      "\n--- 127.0.0.1 ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss, time 203ms\nrtt min/avg/max/mdev = 0.012/0.025/0.038/0.013 ms\n",
    );
    expect(ping_statistics("h", { ntransmitted: 3, nreceived: 2, nrepeats: 1, nerrors: 1, time_ms: 2003, timing: true, tmin: 1000, tmax: 3000, tsum: 6000, tsum2: 14e6 })).toBe(
      "\n--- h ping statistics ---\n3 packets transmitted, 2 received, +1 duplicates, +1 errors, 33.3333% packet loss, time 2003ms\nrtt min/avg/max/mdev = 1.000/2.000/3.000/0.816 ms\n",
    );
    expect(ping_statistics("h", { ntransmitted: 3, nreceived: 0, nrepeats: 0, nerrors: 0, time_ms: 2040, timing: true, tmin: Infinity, tmax: 0, tsum: 0, tsum2: 0 })).toBe("\n--- h ping statistics ---\n3 packets transmitted, 0 received, 100% packet loss, time 2040ms\n\n");
  });

  it("reply times with three significant digits, rounded as iputils rounds", () => {
    expect([12, 999, 1000, 3515, 9994, 9995, 10046, 99949, 99950, 123456].map(format_rtt)).toEqual(["0.012", "0.999", "1.00", "3.52", "9.99", "10.0", "10.0", "99.9", "100", "123"]);
  });
});

describe("/proc/interrupts, /proc/softirqs, /proc/meminfo", () => {
  it("/proc/interrupts: the CPU header, IO-APIC rows, and the x86 summary rows of a 6.1 guest", async () => {
    const out = await ringzero("cat /proc/interrupts");
    const text = out.slice(out.indexOf("           CPU0"));
    const lines = text.split("\n");
    // The real header, for one CPU.
    expect(lines[0]).toBe(PROC_INTERRUPTS.split("\n")[0]!.slice(0, 22));
    expect(text).toMatch(/^ {2}0: +[1-9]\d*   IO-APIC   0-edge      timer$/m);
    expect(text).toMatch(/^ 11: +\d+   IO-APIC  11-fasteoi   eth0$/m);
    // The summary rows: the real guest's names and descriptions (one CPU column), in its order,
    // with the 6.1 kernel's THR/DFR/MCE/MCP after TRM (the newer kernel of the fixture shows them
    // only with those CPU features) and without HYP (this guest has no hypervisor callback vector).
    const real = PROC_INTERRUPTS.split("\n").filter((l) => /^[A-Z]{3}:/.test(l) && !l.startsWith("HYP"));
    const expected: RegExp[] = [];
    for (const l of real) {
      const [, name, desc] = /^([A-Z]{3}):\s+\d+(?:\s+\d+)?(?:\s{3}(.*))?$/.exec(l)!;
      const row = (n: string, d: string | undefined): RegExp => new RegExp(`^${n}: {1,10}\\d+${d === undefined ? "" : ` {3}${escape(d)}`}$`);
      expected.push(row(name!, desc));
      if (name === "TRM") for (const [n, d] of [["THR", "Threshold APIC interrupts"], ["DFR", "Deferred Error APIC interrupts"], ["MCE", "Machine check exceptions"], ["MCP", "Machine check polls"]] as const) expected.push(row(n, d));
    }
    const summary = lines.filter((l) => /^[A-Z]{3}:/.test(l));
    expect(summary.length).toBe(expected.length);
    summary.forEach((l, i) => expect(l).toMatch(expected[i]!));
    // LOC counts the clock-event interrupts, which arrive on the timer line.
    const timer = Number(/^ {2}0: +(\d+)/m.exec(text)![1]);
    expect(Number(/^LOC: +(\d+)/m.exec(text)![1])).toBe(timer);
    expect(text).toMatch(/^NMI:          0   Non-maskable interrupts$/m);
  });

  it("/proc/softirqs: the 20-space header, CPU%-8d, and the ten rows at %12s: %10u", async () => {
    const out = await ringzero("cat /proc/softirqs");
    const real = PROC_SOFTIRQS.split("\n");
    const i = out.indexOf(real[0]!.slice(0, 31));
    expect(i).toBeGreaterThanOrEqual(0);
    const lines = out.slice(i).split("\n").slice(0, 11);
    expect(lines[0]).toBe(real[0]!.slice(0, 31));
    for (let r = 1; r <= 10; r++) {
      expect(lines[r]!.length).toBe(24);
      expect(lines[r]!.slice(0, 13)).toBe(real[r]!.slice(0, 13));
      expect(lines[r]).toMatch(/^ *[A-Z_]+: +\d+$/);
    }
    expect(Number(lines[4]!.slice(13))).toBeGreaterThan(0); // NET_RX ran
  });

  it("/proc/meminfo: Linux 6.1's fields in order, %8lu kB, the hugetlb lines, and what the kernel counts", async () => {
    const out = await ringzero("cat /proc/meminfo");
    const text = out.slice(out.indexOf("MemTotal:"));
    const lines = text.split("\n").slice(0, text.split("\n").findIndex((l) => l.startsWith("Hugetlb:")) + 1);
    expect(lines.map((l) => l.split(":")[0])).toEqual([
      "MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapCached", "Active", "Inactive", "Active(anon)", "Inactive(anon)", "Active(file)", "Inactive(file)",
      "Unevictable", "Mlocked", "SwapTotal", "SwapFree", "Zswap", "Zswapped", "Dirty", "Writeback", "Shmem", "KReclaimable", "Slab", "SReclaimable", "SUnreclaim",
      "SecPageTables", "NFS_Unstable", "Bounce", "WritebackTmp", "CommitLimit", "HardwareCorrupted", "AnonHugePages", "ShmemHugePages", "ShmemPmdMapped",
      "FileHugePages", "FilePmdMapped", "HugePages_Total", "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp", "Hugepagesize", "Hugetlb",
    ]);
    for (const l of lines.filter((x) => x.endsWith(" kB") && !x.startsWith("HardwareCorrupted"))) expect(l).toMatch(/^.{16}[ \d]{8} kB$/);
    expect(text).toContain("HardwareCorrupted:     0 kB\nAnonHugePages:");
    expect(text).toContain("HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\nHugePages_Surp:        0\nHugepagesize:       2048 kB\nHugetlb:               0 kB\n");
    const kb = (name: string): number => Number(new RegExp(`^${escape(name)}: +(\\d+) kB$`, "m").exec(text)![1]);
    expect(kb("MemTotal")).toBeGreaterThan(60_000);
    expect(kb("MemFree")).toBeLessThan(kb("MemTotal"));
    expect(kb("CommitLimit")).toBe(Math.floor(kb("MemTotal") / 2 / 4) * 4);
    expect(kb("Slab")).toBe(kb("SUnreclaim"));
  });

  it("Shmem and Cached follow the page-cache counters tmpfs keeps; Slab is the packet-buffer pool", async () => {
    const tm = boot_test_machine();
    const read = (): string => show_meminfo();
    const kb = (text: string, name: string): number => Number(new RegExp(`^${escape(name)}: +(\\d+) kB$`, "m").exec(text)![1]);
    // The root tmpfs's own files (/etc …) are already in the page cache: count from there.
    const t0 = await tm.in_task(read);
    const base = [kb(t0, "Cached"), kb(t0, "Shmem"), kb(t0, "Inactive(anon)"), kb(t0, "Inactive")];
    const shmem0 = await tm.in_task(() => global_node_page_state(NR_SHMEM));
    expect(base[1]).toBe(shmem0 * 4);
    await tm.in_task(() => {
      mod_node_page_state(NR_FILE_PAGES, 3);
      mod_node_page_state(NR_SHMEM, 3);
    });
    const t = await tm.in_task(read);
    expect([kb(t, "Cached"), kb(t, "Shmem"), kb(t, "Inactive(anon)"), kb(t, "Inactive")]).toEqual(base.map((v) => v + 12));
    expect(await tm.in_task(() => [global_node_page_state(NR_SHMEM), totalram_pages() * 4])).toEqual([shmem0 + 3, kb(t, "MemTotal")]);
    expect(kb(t, "Slab")).toBe((await tm.in_task(() => pbuf_stats().pages)) * 4);
    await tm.in_task(() => {
      mod_node_page_state(NR_FILE_PAGES, -3);
      mod_node_page_state(NR_SHMEM, -3);
    });
    expect(kb(await tm.in_task(read), "Shmem")).toBe(base[1]);
  });
});
