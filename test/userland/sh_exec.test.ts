/**
 * The shell running things (userland/sh/exec.ts): pipelines with real pipes, back-pressure and
 * SIGPIPE, every redirection form, builtins with redirections, the environment of children, kill 1.
 * Each case boots a machine to `init -c CMDS` with the real /bin plus a few small test programs.
 */
import { describe, expect, it } from "vitest";
import { serial8250_init } from "../../drivers/tty/serial8250.ts";
import type { Program } from "../../include/uapi/syscalls.ts";
import { find_task_by_pid } from "../../kernel/sched/core.ts";
import { with_kernel } from "../../kernel/kernel.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { boot_test_machine } from "../helpers/boot.ts";
import { MODULES } from "../helpers/net_machine.ts";

/** What the writer of the back-pressure test managed before the pipe's reader went away. */
const writer = { written: 0, finished: false };

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Small programs for the cases: registered next to the real /bin. */
const TEST_PROGRAMS: [string, Program][] = [
  // 1 MiB of "y" in 4 KiB writes; stops (status 1) if a write fails, which SIGPIPE should pre-empt.
  [
    "yes1m",
    async (_argv, sys) => {
      writer.written = 0;
      writer.finished = false;
      const chunk = enc.encode("y".repeat(4096));
      while (writer.written < 1 << 20) {
        const n = await sys.write(1, chunk);
        if (n < 0) return 1;
        writer.written += n;
      }
      writer.finished = true;
      return 0;
    },
  ],
  // headc N: copy N bytes of standard input to standard output, then exit (head -c).
  [
    "headc",
    async (argv, sys) => {
      let left = Number(argv[1]);
      const buf = new Uint8Array(512);
      while (left > 0) {
        const n = await sys.read(0, buf.subarray(0, Math.min(buf.length, left)));
        if (n <= 0) break;
        await sys.write(1, buf.subarray(0, n));
        left -= n;
      }
      return 0;
    },
  ],
  // upper: standard input to standard output in capitals (tr a-z A-Z).
  [
    "upper",
    async (_argv, sys) => {
      const buf = new Uint8Array(4096);
      for (;;) {
        const n = await sys.read(0, buf);
        if (n <= 0) return 0;
        await sys.write(1, dec.decode(buf.subarray(0, n)).toUpperCase());
      }
    },
  ],
  // errout: "out" on stdout, "err" on stderr.
  [
    "errout",
    async (_argv, sys) => {
      await sys.write(1, "out\n");
      await sys.write(2, "err\n");
      return 0;
    },
  ],
  // args: each argument in brackets, to see how words were split.
  ["args", async (argv, sys) => (await sys.write(1, argv.slice(1).map((a) => `[${a}]`).join("") + "\n"), 0)],
  // eq A B: status 0 when A and B are the same string (test A = B).
  ["eq", async (argv) => (argv[1] === argv[2] ? 0 : 1)],
  // getenv NAME: the variable from the process's environment, or "unset".
  ["getenv", async (argv, sys) => (await sys.write(1, `${sys.environ().find((e) => e.startsWith(`${argv[1]}=`))?.slice(argv[1]!.length + 1) ?? "unset"}\n`), 0)],
];

/** Boot to `init -c cmds`; the console output and the exit status once the machine powered off. */
export async function run(cmds: string): Promise<{ out: string; status: number; alive_init: boolean }> {
  const tm = boot_test_machine({
    boot: { initcalls: [serial8250_init], programs: new Map([...PROGRAMS, ...TEST_PROGRAMS]), init_argv: ["init", "-c", cmds], modules: MODULES, default_modules: [] },
  });
  let init_seen = false;
  await tm.run_until(() => {
    if (with_kernel(tm.kernel, () => find_task_by_pid(1)) !== undefined) init_seen = true;
    return tm.machine.powered_off;
  }, 120e9);
  if (!tm.machine.powered_off) throw new Error(`shell did not finish:\n${tm.machine.console_output}`);
  return { out: tm.machine.console_output, status: tm.machine.exit_code ?? -1, alive_init: init_seen };
}

describe("sh: pipelines", () => {
  it("joins stages with pipes, three of them too, and takes the last stage's status", async () => {
    const r = await run("echo hello world | upper | cat; echo one | cat | upper | cat; errout | false; echo s=$?; false | errout >/dev/null; echo s=$?");
    expect(r.out).toBe("HELLO WORLD\nONE\nerr\ns=1\nerr\ns=0\n");
  });

  it("a writer of 1 MiB into a reader that stops after 10 bytes is held back by the full pipe and ends by SIGPIPE", async () => {
    const r = await run("yes1m | headc 10; echo \" status=$?\"; { yes1m; echo writer=$? >&2; } | headc 3 >/dev/null");
    expect(r.out).toBe("yyyyyyyyyy status=0\nwriter=141\n");
    // It never got far ahead of the reader: at most the pipe's 64 KiB and one more write.
    expect(writer.finished).toBe(false);
    expect(writer.written).toBeLessThanOrEqual(64 * 1024 + 4096);
  });

  it("! negates, && and || test pipelines", async () => {
    const r = await run("! false && echo a; ! true || echo b; true | false && echo no || echo c");
    expect(r.out).toBe("a\nb\nc\n");
  });

  it("a builtin or compound command in a pipeline runs in a child shell that sees the variables", async () => {
    const r = await run(
      "v=5; for i in 1 2; do echo $v$i; done | upper; pwd | cat; { echo x; echo y; } | headc 2; echo; cd /tmp | cat; pwd; " +
        "echo $$ > /tmp/a; { echo $$; } | cat > /tmp/b; read a < /tmp/a; read b < /tmp/b; eq $a $b && echo same pid; false; { echo s=$?; } | cat; " +
        "{ getenv v; } | cat",
    );
    expect(r.out).toBe("51\n52\n/\nx\n\n/\nsame pid\ns=1\nunset\n");
  });

  it("a command that is not there: 127 and bash's message, also inside a pipeline", async () => {
    const r = await run("nosuch; echo $?; nosuch | cat; echo $?; echo hi | nosuch2; echo $?");
    expect(r.out).toBe("sh: nosuch: command not found\n127\nsh: nosuch: command not found\n0\nsh: nosuch2: command not found\n127\n");
  });
});

describe("sh: redirections", () => {
  it("> creates and truncates, >> appends, < reads", async () => {
    const r = await run("echo one > /tmp/f; echo two >> /tmp/f; cat < /tmp/f; echo three > /tmp/f; cat /tmp/f; upper < /tmp/f > /tmp/g; cat /tmp/g");
    expect(r.out).toBe("one\ntwo\nthree\nTHREE\n");
  });

  it("2> and 2>&1 in both orders: `>f 2>&1` sends both to f, `2>&1 >f` only stdout", async () => {
    const r = await run("errout 2>/tmp/e; echo ---; cat /tmp/e; errout >/tmp/both 2>&1; echo ---; cat /tmp/both; errout 2>&1 >/tmp/out; echo ---; cat /tmp/out");
    expect(r.out).toBe("out\n---\nerr\n---\nout\nerr\nerr\n---\nout\n");
  });

  it("N>&M, N>&- and <&, and the pipe comes before the stage's own redirections", async () => {
    const r = await run("errout 2>&1 | upper; errout 1>&2 | upper; errout 2>&- ; echo x; cat <&0 </tmp/none; echo s=$?");
    expect(r.out).toBe("OUT\nERR\nout\nerr\nout\nx\nsh: can't open /tmp/none: no such file\ns=1\n");
  });

  it("says why a redirection failed, as ash does, and the command does not run", async () => {
    const r = await run("echo x > /nodir/x; echo s=$?; cat < /nosuch; echo s=$?; echo hi >&5; echo s=$?; echo hi > /tmp; echo s=$?");
    expect(r.out).toBe(
      "sh: can't create /nodir/x: nonexistent directory\ns=1\nsh: can't open /nosuch: no such file\ns=1\nsh: 5: Bad file descriptor\ns=1\nsh: can't create /tmp: Is a directory\ns=1\n",
    );
  });

  it("a builtin's or a loop's redirections are undone afterwards, and leave no descriptor behind", async () => {
    const r = await run(
      "pwd > /tmp/p; echo after; cat /tmp/p; for i in 1 2; do echo $i; done > /tmp/l; while read n; do echo got $n; done < /tmp/l; echo end; " +
        "{ echo three >&3; } >/tmp/x 3>/tmp/y; cat /tmp/y; ls /proc/self/fd",
    );
    // ls has the directory open as 3 itself, as on Linux; a descriptor left behind would be 3 and push it to 4.
    expect(r.out).toBe("after\n/\ngot 1\ngot 2\nend\nthree\n0  1  2  3\n");
  });
});

describe("sh: variables, environment, builtins", () => {
  it("export reaches a child; a plain variable does not; NAME=v cmd is for cmd only", async () => {
    const r = await run("export X=1; sh -c 'echo X=$X'; Y=2; sh -c 'echo Y=[$Y]'; getenv Y; export Y; getenv Y; Z=3 getenv Z; getenv Z; unset X; getenv X");
    expect(r.out).toBe("X=1\nY=[]\nunset\n2\n3\nunset\nunset\n");
  });

  it("$? $$ $# $0 ${x:-d} ${#x} ${x%.*} and quoting: '$?' stays literal", async () => {
    const r = await run("false; echo $? '$?' \"$?\" \\$?; args $$; x=file.tar.gz; echo ${x%.*} ${x%%.*} ${x#*.} ${#x} ${u:-def} ${u-def2} \"${u:+set}\"");
    expect(r.out).toMatch(/^1 \$\? 1 \$\?\n\[\d+\]\nfile\.tar file tar\.gz 11 def def2 \n$/);
  });

  it('field splitting: $x splits, "$x" does not, an empty $x is no argument, "" is one', async () => {
    const r = await run("x='a  b'; args $x; args \"$x\"; e=; args $e; args \"$e\"; args '' x; IFS=:; y=1:2::3; args $y");
    expect(r.out).toBe("[a][b]\n[a  b]\n\n[]\n[][x]\n[1][2][][3]\n");
  });

  it("globbing: * ? [..] match files, no match stays literal, quotes never glob, dot files need a dot", async () => {
    const r = await run(
      "mkdir /tmp/g; cd /tmp/g; echo > a.txt; echo > b.txt; echo > c.log; echo > .hid; args *.txt; args ?.log; args [ab]*; args '*.txt' \"*\"; args *.none; args /tmp/g/*.log; args .h*; args *",
    );
    expect(r.out).toBe("[a.txt][b.txt]\n[c.log]\n[a.txt][b.txt]\n[*.txt][*]\n[*.none]\n[/tmp/g/c.log]\n[.hid]\n[a.txt][b.txt][c.log]\n");
  });

  it("cd and pwd: -, OLDPWD, PWD, errors", async () => {
    const r = await run("cd /tmp; pwd; cd /proc; cd -; echo $OLDPWD $PWD; cd /nonexistent; echo s=$?; pwd");
    expect(r.out).toBe("/tmp\n/tmp\n/proc /tmp\nsh: cd: /nonexistent: No such file or directory\ns=1\n/tmp\n");
  });

  it("kill 1 succeeds and init lives on, as Linux ignores signals init has no handler for", async () => {
    const r = await run("kill 1; echo s=$?; kill -9 1; echo s=$?; kill -KILL 1; echo s=$?");
    expect(r.out).toBe("s=0\ns=0\ns=0\n");
    expect(r.alive_init).toBe(true);
  });

  it("kill: bad signals and pids; -l lists Linux's signals", async () => {
    const r = await run("kill -FOO 2; echo s=$?; kill abc; echo s=$?; kill 9999; echo s=$?; kill -l | headc 25");
    expect(r.out).toBe(
      "sh: kill: FOO: invalid signal specification\ns=1\nsh: kill: abc: arguments must be process or job IDs\ns=1\nsh: kill: (9999) - No such process\ns=1\n 1) HUP\n 2) INT\n 3) QUIT\n",
    );
  });

  it("background jobs in a script: $!, wait PID gives its status", async () => {
    const r = await run("sh -c 'exit 3' & wait $!; echo s=$?; sleep 1 & kill $!; wait $!; echo s=$?");
    expect(r.out).toBe("s=3\ns=143\n");
  });

  it("exit N ends the shell with N; set -e stops at the first failure", async () => {
    expect((await run("echo a; exit 7; echo b")).status).toBe(7);
    const r = await run("set -e; true; false || echo handled; if false; then :; fi; false; echo not reached");
    expect(r.out).toBe("handled\n");
    expect(r.status).toBe(1);
  });

  it("read splits a line over names; help NAME prints a usage", async () => {
    const r = await run("echo 'one two  three four' > /tmp/r; read a b c < /tmp/r; args \"$a\" \"$b\" \"$c\"; help cd | headc 17; echo; help cat | headc 10; echo; help nosuch; echo s=$?");
    expect(r.out).toBe("[one][two][three four]\nUsage: cd [-|DIR]\nUsage: cat\nsh: help: no help topics match `nosuch'.  Try `help' to see the commands.\ns=1\n");
  });
});
