/** tmpfs pages are page cache: writing a file raises /proc/meminfo's Shmem and Cached (and `free`'s shared), removing it gives them back. */
import { describe, expect, it } from "vitest";
import { run_shell } from "./vfs_harness.ts";

describe("tmpfs in /proc/meminfo", () => {
  it("a 400 KiB file shows in Shmem and Cached, and leaves MemFree, while it exists", async () => {
    const r = await run_shell("grep Shmem: /proc/meminfo; grep MemFree: /proc/meminfo; seq 70000 > /tmp/big; wc -c /tmp/big; grep -E '^(Shmem|Cached|MemFree):' /proc/meminfo; rm /tmp/big; grep Shmem: /proc/meminfo");
    const vals = [...r.out.matchAll(/^(Shmem|Cached): +(\d+) kB$/gm)].map((m) => Number(m[2]));
    const free = [...r.out.matchAll(/^MemFree: +(\d+) kB$/gm)].map((m) => Number(m[1]));
    // The file's pages leave MemFree while it exists (as shmem pages leave the free lists on Linux).
    expect(free[0]! - free[1]!).toBe(Math.ceil(408894 / 4096) * 4);
    const size = Number(/^(\d+) \/tmp\/big$/m.exec(r.out)![1]);
    const kb = Math.ceil(size / 4096) * 4;
    expect(size).toBe(408894);
    const [before, cached, shmem, after] = vals as [number, number, number, number];
    expect(shmem - before).toBe(kb);
    expect(cached).toBe(shmem);
    expect(after).toBe(before);
  });
});
