/**
 * Found by the shell fuzzer (seed 1, input 0): ^C typed ahead of a command line ("\x03\necho hi\n"
 * arriving at once) left SIGINT pending on the shell, whose wait for the child then returned
 * -EINTR at once, forever: a loop that never yielded, and the whole Node process froze.
 */
import { describe, expect, it } from "vitest";
import { boot_guest } from "../../fuzz/machine.ts";
import { run_shell } from "../../fuzz/shell.ts";

describe("shell: ^C typed ahead", () => {
  it("runs the command that follows and keeps answering", async () => {
    const g = boot_guest({ mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56), ip: "10.0.9.1/24" });
    await g.world.run({ for_ns: 3e9 });
    g.take_console();
    g.machine.uart.receive("\x03\necho hi\n");
    await g.world.run({ for_ns: 1e9 });
    g.machine.uart.receive("echo al''ive\n");
    await g.world.run({ for_ns: 1e9 });
    const out = g.take_console();
    expect(out).toMatch(/# echo hi\nhi\n/);
    expect(out).toMatch(/# echo al''ive\nalive\n/);
  });
});

describe("shell fuzz: the grammar", () => {
  it("no input line throws or hangs: every one is followed by a shell that answers", async () => {
    const r = await run_shell({ seed: 16, ops: 40, kinds: ["grammar", "operators", "tokens", "control"] });
    expect(r.failures).toEqual([]);
    expect([r.hangs, r.escapes]).toEqual([0, 0]);
  }, 120_000);
});
