/**
 * The interactive shell on the console: the prompt with the working directory, PS2 for unfinished
 * commands, ^C (at a prompt, at PS2, in a pipeline), Tab completion end to end through readline,
 * and the completer (userland/sh/complete.ts) for each kind of word.
 */
import { describe, expect, it } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import { O_CREAT, O_WRONLY } from "../../include/uapi/fcntl.ts";
import { task_list } from "../../kernel/sched/core.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { complete } from "../../userland/sh/complete.ts";
import { ShellState } from "../../userland/sh/state.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";
import { in_process } from "../kernel/vfs_harness.ts";

/** Any PS1 the default makes: "ringzero:" DIR "# ". */
const PS1 = /ringzero:[^\n#]*# /g;

async function shell() {
  const tm = boot_test_machine({ boot: { initcalls: [serial8250_init], programs: PROGRAMS, init_argv: ["init"], modules: MODULES, default_modules: ["inet"] } });
  const out = (): string => tm.machine.console_output;
  const prompts = (): number => out().match(PS1)?.length ?? 0;
  await tm.run_until(() => prompts() === 1);
  /** Type `text`; run until `until()` (default: the next PS1 appears). */
  const type = async (text: string, until?: () => boolean): Promise<void> => {
    const before = prompts();
    tm.machine.uart.receive(text);
    const ok = await tm.run_until(until ?? (() => prompts() > before));
    if (!ok) throw new Error(`no prompt after ${JSON.stringify(text)}:\n${out().slice(-500)}`);
  };
  return { tm, type, out };
}

describe("sh: interactive", () => {
  it("the prompt shows the working directory, as busybox's \\h:\\w\\$", async () => {
    const s = await shell();
    expect(s.out()).toMatch(/ringzero:\/# $/);
    await s.type("cd /tmp\n");
    expect(s.out()).toMatch(/ringzero:\/# cd \/tmp\nringzero:\/tmp# $/);
    await s.type("PS1='[\\w]\\$ '; cd /proc\n", () => s.out().endsWith("[/proc]# "));
  });

  it("an unfinished command continues at PS2 \"> \"; ^C there drops it", async () => {
    const s = await shell();
    await s.type("for i in 1 2\n", () => s.out().endsWith("> "));
    await s.type("do echo n=$i\n", () => s.out().endsWith("do echo n=$i\n> "));
    await s.type("done\n");
    expect(s.out()).toContain("> done\nn=1\nn=2\nringzero:/# ");
    await s.type("if true\n", () => s.out().endsWith("> "));
    await s.type("\x03");
    expect(s.out()).toMatch(/> \^C\nringzero:\/# $/);
    await s.type("echo fresh\n");
    expect(s.out()).toMatch(/echo fresh\nfresh\nringzero:\/# $/);
  });

  it("^C stops every stage of a foreground pipeline, the shell ends the ^C line and $? is 130", async () => {
    const s = await shell();
    await s.type("sleep 100 | sleep 200 | cat\n", () => task_list().filter((t) => t.comm === "sleep").length === 2);
    await s.type("\x03");
    expect(task_list().some((t) => t.comm === "sleep" || t.comm === "cat")).toBe(false);
    expect(s.out()).toMatch(/\| cat\n\^C\nringzero:\/# $/);
    await s.type("echo $?\n");
    expect(s.out()).toMatch(/echo \$\?\n130\n/);
  });

  it("^C stops a loop of commands, not only the command running", async () => {
    const s = await shell();
    await s.type("for i in 1 2 3; do sleep 10; echo slept $i; done\n", () => task_list().some((t) => t.comm === "sleep"));
    await s.type("\x03");
    expect(s.out()).not.toMatch(/^slept/m);
    expect(s.out()).toMatch(/\^C\nringzero:\/# $/);
  });

  it("^C stops a loop of builtins that never sleeps (the shell yields every iteration)", async () => {
    const s = await shell();
    s.tm.machine.uart.receive("while :; do :; done\n");
    await s.tm.run_for(1e9);
    await s.type("\x03");
    expect(s.out()).toMatch(/done\n\^C\nringzero:\/# $/);
    await s.type("echo $?\n");
    expect(s.out()).toMatch(/echo \$\?\n130\n/);
  });

  it("^C stops `wait`, not the jobs it waits for", async () => {
    const s = await shell();
    await s.type("sleep 100 & wait; echo not reached\n", () => task_list().some((t) => t.comm === "sleep") && s.out().includes("[1] "));
    await s.tm.run_for(1e8);
    await s.type("\x03");
    expect(s.out()).toMatch(/\[1\] \d+\n\^C\nringzero:\/# $/);
    await s.type("jobs\n");
    expect(s.out()).toContain("[1]   Running                 sleep 100 &\n");
  });

  it("^C with half a line typed leaves the line on screen and prompts again", async () => {
    const s = await shell();
    await s.type("echo hal", () => s.out().endsWith("# echo hal"));
    await s.type("\x03");
    expect(s.out()).toMatch(/ringzero:\/# echo hal\^C\nringzero:\/# $/);
  });

  it("Tab completes a command name; Tab Tab lists the choices", async () => {
    const s = await shell();
    await s.type("ech\t", () => s.out().endsWith("# echo "));
    await s.type("tabbed\n");
    expect(s.out()).toContain("# echo tabbed\ntabbed\n");
    await s.type("ex\t\t", () => /export\s*\n/.test(s.out()));
    expect(s.out()).toMatch(/\nexit +export *\nringzero:\/# ex(\x1b\[K)?$/);
    await s.type("\x03");
  });

  it("Tab completes paths and options on the command line", async () => {
    const s = await shell();
    await s.type("mkdir /tmp/sub\n");
    await s.type("cd /tm\t", () => s.out().endsWith("cd /tmp/"));
    await s.type("s\t", () => s.out().endsWith("cd /tmp/sub/"));
    await s.type("\n");
    expect(s.out()).toMatch(/ringzero:\/tmp\/sub# $/);
    await s.type("ls --he\t", () => s.out().endsWith("ls --help "));
    await s.type("\n");
    expect(s.out()).toContain("Usage: ls");
  });

  it("kill 1 does nothing and says nothing", async () => {
    const s = await shell();
    await s.type("kill 1; echo s=$?\n");
    expect(s.out()).toMatch(/kill 1; echo s=\$\?\ns=0\nringzero:\/# $/);
  });
});

describe("sh: completion", () => {
  /** Run `body` in a process with a shell state (inet loaded: lo exists, /proc/modules lists it). */
  const with_shell = <T>(body: (sh: ShellState) => Promise<T>): Promise<T> =>
    in_process(async (sys) => body(new ShellState(sys)), { inet: true, programs: [...PROGRAMS] }).then((r) => r.value);
  const cands = async (sh: ShellState, line: string): Promise<string[]> => (await complete(sh, line, line.length)).candidates;

  it("the first word: builtins and /bin", async () => {
    await with_shell(async (sh) => {
      expect(await cands(sh, "ech")).toEqual(["echo"]);
      expect(await cands(sh, "ex")).toEqual(["exit", "export"]);
      expect(await cands(sh, "ls | wc; sl")).toEqual(["sleep"]);
      expect(await cands(sh, "if tru")).toEqual(["true"]);
      expect(await complete(sh, "X=1 ec", 6)).toEqual({ start: 4, candidates: ["echo"] });
    });
  });

  it("paths, relative and absolute: directories get a /, dot files need a dot, odd names are escaped", async () => {
    await with_shell(async (sh) => {
      const sys = sh.sys;
      sys.mkdir("/tmp/dir1");
      for (const f of ["/tmp/file a", "/tmp/.hidden", "/tmp/dir1/x"]) sys.close(sys.open(f, O_WRONLY | O_CREAT));
      expect(await cands(sh, "cat /tmp/")).toEqual(["/tmp/dir1/", "/tmp/file\\ a"]);
      expect(await cands(sh, "cat /tmp/.")).toEqual(["/tmp/.hidden"]);
      expect(await cands(sh, "cat /tmp/d")).toEqual(["/tmp/dir1/"]);
      expect(await complete(sh, 'cat "/tmp/fi', 12)).toEqual({ start: 4, candidates: ['"/tmp/file a'] });
      expect(await cands(sh, "echo x > /tmp/dir1/")).toEqual(["/tmp/dir1/x"]);
      expect(await cands(sh, "cd /tmp/")).toEqual(["/tmp/dir1/"]);
      sys.chdir("/tmp");
      expect(await cands(sh, "cat di")).toEqual(["dir1/"]);
      expect(await cands(sh, "./di")).toEqual(["./dir1/"]);
    });
  });

  it("options from the command's usage text", async () => {
    await with_shell(async (sh) => {
      expect(await cands(sh, "ls -")).toEqual(["--help", "-1", "-A", "-a", "-d", "-h", "-l"]);
      expect(await cands(sh, "tcpdump -")).toEqual(["--help", "-S", "-c", "-e", "-i", "-n", "-r", "-w"]);
      expect(await cands(sh, "kill -")).toEqual(["-l", "-s"]);
    });
  });

  it("interface names for ip, ifconfig, ethtool, dhclient and tcpdump -i", async () => {
    await with_shell(async (sh) => {
      for (const line of ["ip link set ", "ip addr add 10.0.0.1/24 dev ", "ifconfig ", "ethtool -S ", "dhclient ", "tcpdump -n -i ", "ip -s link show l"]) {
        expect(await cands(sh, line), line).toEqual(["lo"]);
      }
      expect(await cands(sh, "ifconfig lo ")).not.toContain("lo");
    });
  });

  it("module names: loaded ones for rmmod, modules.dep's others for insmod and modprobe", async () => {
    await with_shell(async (sh) => {
      const sys = sh.sys;
      const loaded = new TextDecoder().decode(sys.read_file("/proc/modules") as Uint8Array).split("\n").filter((l) => l !== "").map((l) => l.split(" ")[0]!).sort();
      expect(loaded).toContain("inet");
      expect(await cands(sh, "rmmod ")).toEqual(loaded);
      expect(await cands(sh, "modprobe -r in")).toEqual(["inet"]);
      const dir = `/lib/modules/${sys.uname().release}`;
      for (const d of ["/lib", "/lib/modules", dir]) sys.mkdir(d);
      await sys.write_file(`${dir}/modules.dep`, "kernel/drivers/net/ethernet/intel/e1000/e1000.ko: kernel/net/core/netdev.ko\nkernel/net/ipv4/inet.ko:\nkernel/net/core/netdev.ko:\n");
      expect(await cands(sh, "insmod ")).toEqual(["e1000", "netdev"].filter((m) => !loaded.includes(m)));
      expect(await cands(sh, "modprobe e1")).toEqual(loaded.includes("e1000") ? [] : ["e1000"]);
    });
  });

  it("variables after $", async () => {
    await with_shell(async (sh) => {
      sh.set("HOSTTYPE", "x");
      sh.set("HOME", "/root");
      expect(await cands(sh, "echo $HO")).toEqual(["$HOME", "$HOSTTYPE"]);
      expect(await cands(sh, "echo ${HOM")).toEqual(["${HOME}"]);
    });
  });
});
