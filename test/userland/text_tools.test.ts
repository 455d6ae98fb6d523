/**
 * The busybox-style text tools (head tail grep wc sort uniq cut tr tee seq printf echo cat xxd
 * hexdump yes) run by the shell in a booted machine, compared with what the real busybox printed
 * for the same commands and files on a Debian 12 host (the fixtures below were copied from there;
 * where busybox 1.35 and 1.36 differ the 1.36 behaviour is tested elsewhere).
 */
import { describe, expect, it } from "vitest";
import { O_CREAT, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { COMMANDS } from "../../userland/commands.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { in_process } from "../kernel/vfs_harness.ts";

/** Input files (byte strings), as on the host where the fixtures were made. */
const FILES: Readonly<Record<string, string>> = {
  "a.txt": "hello world\nfoo bar\nHello again\nbaz\nfoo\n",
  "b.txt": "one\ntwo foo\nthree\n",
  "re.txt": "aa\nxyy\nxyz\na{2}\na+b\n(x)\n",
  "nums": "10 apples\n9 pears\n100 plums\n-3 figs\n",
  "words": "foobar\nfoo bar\nbarfoo\nfoo_x\n",
  "csv": "root:x:0:0\ndaemon:x:1:1\nbin:x:2:2\nsys:x:3:3\nuser:x:1000:1000\n",
  "list": "b\na\nc\nb\na\n",
  "ctl": "tab\there\x01\x7f\xc3\xa9\n",
  "bin": "hello world, this is a test\x00\x01\xff\n",
};

/** [command, what busybox 1.35 (Debian 12) printed, stdout and the last command's stderr]. */
const BUSYBOX: readonly (readonly [string, string])[] = [
  ["grep -n foo a.txt b.txt", "a.txt:2:foo bar\na.txt:5:foo\nb.txt:2:two foo\n"],
  ["grep -c -i hello a.txt", "2\n"],
  ["grep -E 'fo+|^b' a.txt", "foo bar\nbaz\nfoo\n"],
  ["grep 'a\\{2\\}\\|x\\(y\\)\\1' re.txt", "aa\nxyy\n"],
  ["grep -F 'a{2}' re.txt; grep 'a+b' re.txt; grep -E '\\(x\\)' re.txt", "a{2}\na+b\n(x)\n"],
  ["grep -o -E '[0-9]+' nums", "10\n9\n100\n3\n"],
  ["grep -w foo words; echo $?", "foo bar\n0\n"],
  ["grep -v o a.txt; grep zzz a.txt; echo $?; grep foo nosuch; echo $?", "baz\n1\n2\n"],
  ["grep -l foo a.txt b.txt csv; grep -L foo a.txt b.txt csv", "a.txt\nb.txt\ncsv\n"],
  ["grep -A1 -n Hello a.txt", "3:Hello again\n4-baz\n"],
  ["wc a.txt b.txt; wc -l < a.txt; wc -c a.txt", "        5         8        40 a.txt\n        3         4        18 b.txt\n        8        12        58 total\n5\n40 a.txt\n"],
  ["sort -t: -k3n csv; sort -u -r list; sort -n nums", "root:x:0:0\ndaemon:x:1:1\nbin:x:2:2\nsys:x:3:3\nuser:x:1000:1000\nc\nb\na\n-3 figs\n9 pears\n10 apples\n100 plums\n"],
  ["sort list | uniq -c; sort list | uniq -d", "      2 a\n      2 b\n      1 c\na\nb\n"],
  ["cut -d: -f1,3 csv; cut -c2-4 a.txt", "root:0\ndaemon:1\nbin:2\nsys:3\nuser:1000\nell\noo \nell\naz\noo\n"],
  ["tr a-z A-Z < a.txt; echo 'a1b2 c3' | tr -d '[:digit:]'; echo 'a   b  c' | tr -s ' '", "HELLO WORLD\nFOO BAR\nHELLO AGAIN\nBAZ\nFOO\nab c\na b c\n"],
  ["head -n 2 a.txt b.txt; head -c 5 a.txt; echo", "==> a.txt <==\nhello world\nfoo bar\n\n==> b.txt <==\none\ntwo foo\nhello\n"],
  ["tail -n 2 a.txt; tail -n +4 a.txt; tail -c 4 a.txt", "baz\nfoo\nbaz\nfoo\nfoo\n"],
  ["seq 1 3 10; seq -w 8 11; seq -s, 5", "1\n4\n7\n10\n08\n09\n10\n11\n1,2,3,4,5\n"],
  ["printf '%5.2f|%-4s|%x|%o|%e\\n' 3.14159 ab 255 8 12345.678; printf '%s-' a b c; echo", " 3.14|ab  |ff|10|1.234568e+04\na-b-c-\n"],
  ["echo -e 'a\\tb\\x41'; echo -n x; echo y", "a\tbA\nxy\n"],
  ["cat -n b.txt; cat -A ctl", "     1\tone\n     2\ttwo foo\n     3\tthree\ntab^Ihere^A^?M-CM-)$\n"],
  ["xxd bin; xxd -g1 -c8 bin; xxd -p bin", "00000000: 6865 6c6c 6f20 776f 726c 642c 2074 6869  hello world, thi\n00000010: 7320 6973 2061 2074 6573 7400 01ff 0a    s is a test....\n00000000: 68 65 6c 6c 6f 20 77 6f  hello wo\n00000008: 72 6c 64 2c 20 74 68 69  rld, thi\n00000010: 73 20 69 73 20 61 20 74  s is a t\n00000018: 65 73 74 00 01 ff 0a     est....\n68656c6c6f20776f726c642c2074686973206973206120746573740001ff\n0a\n"],
  ["hexdump -C bin; hexdump bin", "00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 74 68 69  |hello world, thi|\n00000010  73 20 69 73 20 61 20 74  65 73 74 00 01 ff 0a     |s is a test....|\n0000001f\n0000000 6568 6c6c 206f 6f77 6c72 2c64 7420 6968\n0000010 2073 7369 6120 7420 7365 0074 ff01 000a\n000001f\n"],
  ["echo hi | tee o1 o2; cat o1 o2", "hi\nhi\nhi\n"],
  ["yes abc | head -n 3", "abc\nabc\nabc\n"],
];

/** Errors and exit statuses: [command, busybox 1.35's stdout and stderr (usage banner dropped)]. */
const BUSYBOX_ERRORS: readonly (readonly [string, string])[] = [
  ["head nosuch; echo $?", "head: nosuch: No such file or directory\n1\n"],
  ["cat nosuch a.txt; echo $?", "cat: can't open 'nosuch': No such file or directory\nhello world\nfoo bar\nHello again\nbaz\nfoo\n1\n"],
  ["tail nosuch; echo $?", "tail: can't open 'nosuch': No such file or directory\ntail: no files\n1\n"],
  ["tail -n 1 nosuch b.txt; echo $?", "tail: can't open 'nosuch': No such file or directory\nthree\n1\n"],
  ["wc nosuch b.txt; echo $?", "wc: nosuch: No such file or directory\n        3         4        18 b.txt\n        3         4        18 total\n1\n"],
  ["grep -E 'a(' a.txt; echo $?", "grep: bad regex 'a('\n2\n"],
  ["sort -k 0 a.txt; echo $?", "sort: bad field specification\n2\n"],
  ["sort nosuch; echo $?", "sort: nosuch: No such file or directory\n2\n"],
  ["cut a.txt; echo $?", "cut: expected a list of bytes, characters, or fields\n1\n"],
  ["cut -b 1 -s a.txt; echo $?", "cut: suppressing non-delimited lines makes sense only when operating on fields\n1\n"],
  ["uniq nosuch; echo $?", "uniq: can't open 'nosuch': No such file or directory\n1\n"],
  ["head -n x a.txt; echo $?", "head: invalid number 'x'\n1\n"],
  ["seq 1 x; echo $?", "Usage: seq [-w] [-s SEP] [FIRST [INC]] LAST\n\nPrint numbers from FIRST to LAST, in steps of INC.\nFIRST, INC default to 1.\n\n\t-w\tPad to last with leading zeros\n\t-s SEP\tString separator\n1\n"],
  ["xxd nosuch; echo $?", "xxd: nosuch: No such file or directory\n1\n"],
  ["hexdump -e '\"%q\"' a.txt; echo $?", "hexdump: bad conversion character %q\n1\n"],
  ["tr; echo $?", "Usage: tr [-cds] STRING1 [STRING2]\n\nTranslate, squeeze, or delete characters from stdin, writing to stdout\n\n\t-c\tTake complement of STRING1\n\t-d\tDelete input characters coded STRING1\n\t-s\tSqueeze multiple output characters of STRING2 into one character\n1\n"],
  ["head -z; echo $?", "head: invalid option -- 'z'\nUsage: head [OPTIONS] [FILE]...\n\nPrint first 10 lines of FILEs (or stdin).\nWith more than one FILE, precede each with a filename header.\n\n\t-n N[bkm]\tPrint first N lines\n\t-n -N[bkm]\tPrint all except N last lines\n\t-c [-]N[bkm]\tPrint first N bytes\n\t\t\t(b:*512 k:*1024 m:*1024^2)\n\t-q\t\tNever print headers\n\t-v\t\tAlways print headers\n1\n"],
  ["grep; echo $?", "Usage: grep [-HhnlLoqvsrRiwFEz] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...\n\nSearch for PATTERN in FILEs (or stdin)\n\n\t-H\tAdd 'filename:' prefix\n\t-h\tDo not add 'filename:' prefix\n\t-n\tAdd 'line_no:' prefix\n\t-l\tShow only names of files that match\n\t-L\tShow only names of files that don't match\n\t-c\tShow only count of matching lines\n\t-o\tShow only the matching part of line\n\t-q\tQuiet. Return 0 if PATTERN is found, 1 otherwise\n\t-v\tSelect non-matching lines\n\t-s\tSuppress open and read errors\n\t-r\tRecurse\n\t-R\tRecurse and dereference symlinks\n\t-i\tIgnore case\n\t-w\tMatch whole words only\n\t-x\tMatch whole lines only\n\t-F\tPATTERN is a literal (not regexp)\n\t-E\tPATTERN is an extended regexp\n\t-z\tNUL terminated input\n\t-m N\tMatch up to N times per file\n\t-A N\tPrint N lines of trailing context\n\t-B N\tPrint N lines of leading context\n\t-C N\tSame as '-A N -B N'\n\t-e PTRN\tPattern to match\n\t-f FILE\tRead pattern from file\n2\n"],
];

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const bstr = (b: Uint8Array | number): string => (typeof b === "number" ? `<errno ${b}>` : Array.from(b, (c) => String.fromCharCode(c)).join(""));

interface Run {
  out: string;
  err: string;
  status: number;
}

/** `sh -c "cd /tmp/w; CMD"` for each command, in one machine whose /tmp/w holds FILES. */
async function run_all(cmds: readonly string[]): Promise<Run[]> {
  const { value } = await in_process(
    async (sys: Syscalls) => {
      sys.mkdir("/tmp/w");
      for (const [name, data] of Object.entries(FILES)) await sys.write_file(`/tmp/w/${name}`, bytes(data));
      const runs: Run[] = [];
      for (const cmd of cmds) {
        const pid = sys.spawn(["sh", "-c", `cd /tmp/w; ${cmd}`], {
          file_actions: [
            { action: "open", fd: 1, path: "/tmp/.out", flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644 },
            { action: "open", fd: 2, path: "/tmp/.err", flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644 },
          ],
        });
        if (pid < 0) throw new Error(`spawn: ${pid}`);
        const status = await sys.waitpid(pid);
        runs.push({ out: bstr(sys.read_file("/tmp/.out")), err: bstr(sys.read_file("/tmp/.err")), status });
      }
      return runs;
    },
    { programs: [...PROGRAMS] },
  );
  return value;
}

describe("text tools against busybox", () => {
  it("print what busybox prints for the same commands and files", async () => {
    const runs = await run_all(BUSYBOX.map(([cmd]) => `${cmd} 2>&1`));
    BUSYBOX.forEach(([cmd, want], i) => {
      expect(`$ ${cmd}\n${runs[i]!.out}`).toBe(`$ ${cmd}\n${want}`);
    });
    // Only the last command of each line had its stderr joined to stdout.
    expect(runs.map((r) => r.err).join("")).toBe("grep: nosuch: No such file or directory\n");
  });

  it("report errors with busybox's messages and exit statuses", async () => {
    const runs = await run_all(BUSYBOX_ERRORS.map(([cmd]) => `{ ${cmd}; } 2>&1`));
    BUSYBOX_ERRORS.forEach(([cmd, want], i) => {
      expect(`$ ${cmd}\n${runs[i]!.out}`).toBe(`$ ${cmd}\n${want}`);
    });
  });

  it("each answers --help with its busybox usage text on stdout and status 0", async () => {
    const names = ["head", "tail", "grep", "wc", "sort", "uniq", "cut", "tr", "tee", "seq", "printf", "echo", "cat", "xxd", "hexdump", "yes"];
    const runs = await run_all(names.map((n) => `${n} --help`));
    names.forEach((n, i) => {
      const c = COMMANDS.find((x) => x.name === n)!;
      expect(runs[i]!.out).toBe(c.usage);
      expect(runs[i]!.out.startsWith(`Usage: ${n} `)).toBe(true);
      expect(runs[i]!.status).toBe(0);
    });
    // busybox's own text, banner dropped (head's is the same in 1.35 and 1.36).
    expect(runs[0]!.out).toBe(
      "Usage: head [OPTIONS] [FILE]...\n\nPrint first 10 lines of FILEs (or stdin).\nWith more than one FILE, precede each with a filename header.\n\n" +
        "\t-n N[bkm]\tPrint first N lines\n\t-n -N[bkm]\tPrint all except N last lines\n\t-c [-]N[bkm]\tPrint first N bytes\n\t\t\t(b:*512 k:*1024 m:*1024^2)\n" +
        "\t-q\t\tNever print headers\n\t-v\t\tAlways print headers\n",
    );
  });

  it("busybox 1.36's fixes: sort -s -r keeps input order of ties, -M skips leading blanks, -h knows suffixes; cut -F splits at a regex", async () => {
    const runs = await run_all([
      "printf 'b 1\\na 2\\nb 0\\n' | sort -s -r -k1,1",
      "printf 'Mar\\n  feb\\nJan\\n' | sort -M",
      "printf '1G\\n2K\\n3M\\n512\\n' | sort -h",
      "printf 'a  b\\tc d\\n' | cut -F 2-3",
    ]);
    expect(runs.map((r) => r.out)).toEqual(["b 1\nb 0\na 2\n", "Jan\n  feb\nMar\n", "512\n2K\n3M\n1G\n", "b c\n"]);
  });
});
