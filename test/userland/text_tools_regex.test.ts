/**
 * grep's regular expressions (userland/lib/regex.ts): POSIX BRE and ERE as busybox gets them from
 * glibc, translated to JavaScript with an NFA for POSIX's leftmost-longest matches. The table is
 * what the real busybox grep printed for each pattern over SUBJECT (Debian 12's busybox 1.35).
 */
import { describe, expect, it } from "vitest";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { O_CREAT, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import { PosixRegex, regex_parse, to_js } from "../../userland/lib/regex.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { in_process } from "../kernel/vfs_harness.ts";

const SUBJECT = "aaa\nab\nabab\na+b\na{2}\na{1\n(x)\nfoo bar\nfoo_bar baz\n*ab\na^b\na$b\na|b\nA\nabc abd\na.b\na\\b\n]b\ntab\there\nxyzzy\nabbc\nac\n12 345 6789\n\n";
/** [flags, pattern, busybox grep -n<flags> output]. */
const GREP: readonly (readonly [string, string, string])[] = [
  ["", "a\\{2\\}", "1:aaa\n"],
  ["o", "a\\{2\\}", "1:aa\n"],
  ["", "a\\{1,2\\}b", "2:ab\n3:abab\n10:*ab\n15:abc abd\n19:tab\there\n21:abbc\n"],
  ["o", "a\\{1,2\\}b", "2:ab\n3:ab\n3:ab\n10:ab\n15:ab\n15:ab\n19:ab\n21:ab\n"],
  ["", "\\(ab\\)\\1", "3:abab\n"],
  ["o", "\\(ab\\)\\1", "3:abab\n"],
  ["", "\\(ab\\)*", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n7:(x)\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n14:A\n15:abc abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\there\n20:xyzzy\n21:abbc\n22:ac\n23:12 345 6789\n24:\n"],
  ["o", "\\(ab\\)*", "2:ab\n3:abab\n10:ab\n15:ab\n15:ab\n19:ab\n21:ab\n"],
  ["", "a\\+", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n15:abc abd\n16:a.b\n17:a\\b\n19:tab\there\n21:abbc\n22:ac\n"],
  ["o", "a\\+", "1:aaa\n2:a\n3:a\n3:a\n4:a\n5:a\n6:a\n8:a\n9:a\n9:a\n10:a\n11:a\n12:a\n13:a\n15:a\n15:a\n16:a\n17:a\n19:a\n21:a\n22:a\n"],
  ["", "a\\?b", "2:ab\n3:abab\n4:a+b\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n15:abc abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\there\n21:abbc\n"],
  ["o", "a\\?b", "2:ab\n3:ab\n3:ab\n4:b\n8:b\n9:b\n9:b\n10:ab\n11:b\n12:b\n13:b\n15:ab\n15:ab\n16:b\n17:b\n18:b\n19:ab\n21:ab\n21:b\n"],
  ["", "a+b", "4:a+b\n"],
  ["o", "a+b", "4:a+b\n"],
  ["", "a{2}", "5:a{2}\n"],
  ["o", "a{2}", "5:a{2}\n"],
  ["", "(x)", "7:(x)\n"],
  ["o", "(x)", "7:(x)\n"],
  ["", "\\(x\\)", "7:(x)\n20:xyzzy\n"],
  ["o", "\\(x\\)", "7:x\n20:x\n"],
  ["", "a\\|ab", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n15:abc abd\n16:a.b\n17:a\\b\n19:tab\there\n21:abbc\n22:ac\n"],
  ["o", "a\\|ab", "1:a\n1:a\n1:a\n2:ab\n3:ab\n3:ab\n4:a\n5:a\n6:a\n8:a\n9:a\n9:a\n10:ab\n11:a\n12:a\n13:a\n15:ab\n15:ab\n16:a\n17:a\n19:ab\n21:ab\n22:a\n"],
  ["", "^*ab", "10:*ab\n"],
  ["o", "^*ab", "10:*ab\n"],
  ["", "*ab", "10:*ab\n"],
  ["o", "*ab", "10:*ab\n"],
  ["", "a^b", "11:a^b\n"],
  ["o", "a^b", "11:a^b\n"],
  ["", "a$b", "12:a$b\n"],
  ["o", "a$b", "12:a$b\n"],
  ["", "[]b]", "2:ab\n3:abab\n4:a+b\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n15:abc abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\there\n21:abbc\n"],
  ["o", "[]b]", "2:b\n3:b\n3:b\n4:b\n8:b\n9:b\n9:b\n10:b\n11:b\n12:b\n13:b\n15:b\n15:b\n16:b\n17:b\n18:]\n18:b\n19:b\n21:b\n21:b\n"],
  ["", "[\\]b", "17:a\\b\n"],
  ["o", "[\\]b", "17:\\b\n"],
  ["", "[[:upper:]]", "14:A\n"],
  ["o", "[[:upper:]]", "14:A\n"],
  ["", "[[:digit:]]\\+", "5:a{2}\n6:a{1\n23:12 345 6789\n"],
  ["o", "[[:digit:]]\\+", "5:2\n6:1\n23:12\n23:345\n23:6789\n"],
  ["", "\\<b..\\>", "8:foo bar\n9:foo_bar baz\n"],
  ["o", "\\<b..\\>", "8:bar\n9:baz\n"],
  ["", "\\w*$", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n7:(x)\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n14:A\n15:abc abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\there\n20:xyzzy\n21:abbc\n22:ac\n23:12 345 6789\n24:\n"],
  ["o", "\\w*$", "1:aaa\n2:ab\n3:abab\n4:b\n6:1\n8:bar\n9:baz\n10:ab\n11:b\n12:b\n13:b\n14:A\n15:abd\n16:b\n17:b\n18:b\n19:here\n20:xyzzy\n21:abbc\n22:ac\n23:6789\n"],
  ["", "a\\.b", "16:a.b\n"],
  ["o", "a\\.b", "16:a.b\n"],
  ["", "a\\t", ""],
  ["o", "a\\t", ""],
  ["", "\\(a\\|b\\)*c", "15:abc abd\n21:abbc\n22:ac\n"],
  ["o", "\\(a\\|b\\)*c", "15:abc\n21:abbc\n22:ac\n"],
  ["", "x*", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n7:(x)\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n14:A\n15:abc abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\there\n20:xyzzy\n21:abbc\n22:ac\n23:12 345 6789\n24:\n"],
  ["o", "x*", "7:x\n20:x\n"],
  ["", "\\(a*\\)*b", "2:ab\n3:abab\n4:a+b\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n15:abc abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\there\n21:abbc\n"],
  ["o", "\\(a*\\)*b", "2:ab\n3:ab\n3:ab\n4:b\n8:b\n9:b\n9:b\n10:ab\n11:b\n12:b\n13:b\n15:ab\n15:ab\n16:b\n17:b\n18:b\n19:ab\n21:ab\n21:b\n"],
  ["i", "[a]b", "2:ab\n3:abab\n10:*ab\n15:abc abd\n19:tab\there\n21:abbc\n"],
  ["io", "[a]b", "2:ab\n3:ab\n3:ab\n10:ab\n15:ab\n15:ab\n19:ab\n21:ab\n"],
  ["w", "ab", "2:ab\n10:*ab\n"],
  ["x", "a\\|ab", "2:ab\n"],
  ["xo", "a\\|ab", "2:ab\n"],
  ["E", "a|ab", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n15:abc abd\n16:a.b\n17:a\\b\n19:tab\there\n21:abbc\n22:ac\n"],
  ["Eo", "a|ab", "1:a\n1:a\n1:a\n2:ab\n3:ab\n3:ab\n4:a\n5:a\n6:a\n8:a\n9:a\n9:a\n10:ab\n11:a\n12:a\n13:a\n15:ab\n15:ab\n16:a\n17:a\n19:ab\n21:ab\n22:a\n"],
  ["E", "(a|ab)(c|bcd)", "15:abc abd\n22:ac\n"],
  ["Eo", "(a|ab)(c|bcd)", "15:abc\n22:ac\n"],
  ["E", "a{1", "6:a{1\n"],
  ["Eo", "a{1", "6:a{1\n"],
  ["E", "a{,2}", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n7:(x)\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n14:A\n15:abc abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\there\n20:xyzzy\n21:abbc\n22:ac\n23:12 345 6789\n24:\n"],
  ["Eo", "a{,2}", "1:aa\n1:a\n2:a\n3:a\n3:a\n4:a\n5:a\n6:a\n8:a\n9:a\n9:a\n10:a\n11:a\n12:a\n13:a\n15:a\n15:a\n16:a\n17:a\n19:a\n21:a\n22:a\n"],
  ["E", "a{1}{2}", "1:aaa\n"],
  ["Eo", "a{1}{2}", "1:aa\n"],
  ["E", "*a", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n15:abc abd\n16:a.b\n17:a\\b\n19:tab\there\n21:abbc\n22:ac\n"],
  ["Eo", "*a", "1:a\n1:a\n1:a\n2:a\n3:a\n3:a\n4:a\n5:a\n6:a\n8:a\n9:a\n9:a\n10:a\n11:a\n12:a\n13:a\n15:a\n15:a\n16:a\n17:a\n19:a\n21:a\n22:a\n"],
  ["E", "a|*b", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n15:abc abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\there\n21:abbc\n22:ac\n"],
  ["Eo", "a|*b", "1:a\n1:a\n1:a\n2:a\n2:b\n3:a\n3:b\n3:a\n3:b\n4:a\n4:b\n5:a\n6:a\n8:b\n8:a\n9:b\n9:a\n9:b\n9:a\n10:a\n10:b\n11:a\n11:b\n12:a\n12:b\n13:a\n13:b\n15:a\n15:b\n15:a\n15:b\n16:a\n16:b\n17:a\n17:b\n18:b\n19:a\n19:b\n21:a\n21:b\n21:b\n22:a\n"],
  ["E", "a)", ""],
  ["Eo", "a)", ""],
  ["E", "\\(x\\)", "7:(x)\n"],
  ["Eo", "\\(x\\)", "7:(x)\n"],
  ["E", "[a-c]+", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n15:abc abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\there\n21:abbc\n22:ac\n"],
  ["Eo", "[a-c]+", "1:aaa\n2:ab\n3:abab\n4:a\n4:b\n5:a\n6:a\n8:ba\n9:ba\n9:ba\n10:ab\n11:a\n11:b\n12:a\n12:b\n13:a\n13:b\n15:abc\n15:ab\n16:a\n16:b\n17:a\n17:b\n18:b\n19:ab\n21:abbc\n22:ac\n"],
  ["E", "(ab)+", "2:ab\n3:abab\n10:*ab\n15:abc abd\n19:tab\there\n21:abbc\n"],
  ["Eo", "(ab)+", "2:ab\n3:abab\n10:ab\n15:ab\n15:ab\n19:ab\n21:ab\n"],
  ["E", "(ab)\\1", "3:abab\n"],
  ["Eo", "(ab)\\1", "3:abab\n"],
  ["E", "b+$", "2:ab\n3:abab\n4:a+b\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n16:a.b\n17:a\\b\n18:]b\n"],
  ["Eo", "b+$", "2:b\n3:b\n4:b\n10:b\n11:b\n12:b\n13:b\n16:b\n17:b\n18:b\n"],
  ["E", "[^[:space:]]+", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n7:(x)\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n14:A\n15:abc abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\there\n20:xyzzy\n21:abbc\n22:ac\n23:12 345 6789\n"],
  ["Eo", "[^[:space:]]+", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n7:(x)\n8:foo\n8:bar\n9:foo_bar\n9:baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n14:A\n15:abc\n15:abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\n19:here\n20:xyzzy\n21:abbc\n22:ac\n23:12\n23:345\n23:6789\n"],
  ["E", "x*|b", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n7:(x)\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n14:A\n15:abc abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\there\n20:xyzzy\n21:abbc\n22:ac\n23:12 345 6789\n24:\n"],
  ["Eo", "x*|b", "2:b\n3:b\n3:b\n4:b\n7:x\n8:b\n9:b\n9:b\n10:b\n11:b\n12:b\n13:b\n15:b\n15:b\n16:b\n17:b\n18:b\n19:b\n20:x\n21:b\n21:b\n"],
  ["E", "(|a)", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n7:(x)\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n14:A\n15:abc abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\there\n20:xyzzy\n21:abbc\n22:ac\n23:12 345 6789\n24:\n"],
  ["Eo", "(|a)", "1:a\n1:a\n1:a\n2:a\n3:a\n3:a\n4:a\n5:a\n6:a\n8:a\n9:a\n9:a\n10:a\n11:a\n12:a\n13:a\n15:a\n15:a\n16:a\n17:a\n19:a\n21:a\n22:a\n"],
  ["Ei", "A|B", "1:aaa\n2:ab\n3:abab\n4:a+b\n5:a{2}\n6:a{1\n8:foo bar\n9:foo_bar baz\n10:*ab\n11:a^b\n12:a$b\n13:a|b\n14:A\n15:abc abd\n16:a.b\n17:a\\b\n18:]b\n19:tab\there\n21:abbc\n22:ac\n"],
  ["Eio", "A|B", "1:a\n1:a\n1:a\n2:a\n2:b\n3:a\n3:b\n3:a\n3:b\n4:a\n4:b\n5:a\n6:a\n8:b\n8:a\n9:b\n9:a\n9:b\n9:a\n10:a\n10:b\n11:a\n11:b\n12:a\n12:b\n13:a\n13:b\n14:A\n15:a\n15:b\n15:a\n15:b\n16:a\n16:b\n17:a\n17:b\n18:b\n19:a\n19:b\n21:a\n21:b\n21:b\n22:a\n"],
];


/** Run grep -n<flags> -- PATTERN /tmp/subject for every case in one machine. */
async function grep_all(cases: readonly (readonly [string, string])[]): Promise<string[]> {
  const { value } = await in_process(
    async (sys: Syscalls) => {
      await sys.write_file("/tmp/subject", SUBJECT);
      const outs: string[] = [];
      for (const [flags, pattern] of cases) {
        const pid = sys.spawn(["grep", `-n${flags}`, "--", pattern, "/tmp/subject"], {
          file_actions: [{ action: "open", fd: 1, path: "/tmp/out", flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644 }],
        });
        await sys.waitpid(pid);
        outs.push(new TextDecoder().decode(sys.read_file("/tmp/out") as Uint8Array));
      }
      return outs;
    },
    { programs: [...PROGRAMS] },
  );
  return value;
}

const js = (p: string, extended = false): string => {
  const t = regex_parse(p, { extended });
  return typeof t === "string" ? `error: ${t}` : to_js(t);
};

describe("grep's POSIX regular expressions", () => {
  it("select and extract what busybox's grep does, BRE and ERE", async () => {
    const outs = await grep_all(GREP.map(([f, p]) => [f, p]));
    GREP.forEach(([flags, pattern, want], i) => {
      expect(`grep -n${flags} '${pattern}'\n${outs[i]}`).toBe(`grep -n${flags} '${pattern}'\n${want}`);
    });
  });

  it("translate BRE's \\( \\) \\{ \\} \\| and literal + ? | ( ) { }, and ERE's operators", () => {
    expect(js("\\(ab\\)\\{2,3\\}\\|c+d?")).toBe("(ab){2,3}|c\\x2bd\\x3f");
    expect(js("a|b(c){1}", false)).toBe("a\\x7cb\\x28c\\x29\\x7b\\x31\\x7d");
    expect(js("(ab)+|c{2,}", true)).toBe("(ab)+|c{2,}");
    expect(js("\\(a\\)\\1")).toBe("(a)(?:\\1)");
    expect(js("a**")).toBe("(?:a*)*"); // POSIX repeats a repetition; JavaScript's "a*?" would be lazy
    expect(js("a+?", true)).toBe("(?:a+)?");
    expect(js("^*a$b")).toBe("^\\x2aa\\x24b"); // BRE: * after ^ and a $ not at the end are literal
    expect(js("*a|+b", true)).toBe("a|b"); // ERE: an operator with nothing to repeat is dropped
    expect(js("[]a-c[:digit:]^-]")).toBe("[\\x2d\\x30-\\x39\\x5d\\x5ea-c]");
    expect(js("[^\\]")).toBe("[\\x00-\\x5b\\x5d-\\xff]"); // a backslash is literal in brackets
    expect(js("\\<w\\>\\bx\\B\\w\\s")).toBe("\\b(?=\\w)w\\b(?<=\\w)\\bx\\B[\\x30-\\x39A-Z_a-z][\\x09-\\x0d\\x20]");
    expect(js("a\\t.")).toBe("at[\\s\\S]"); // "\\t" is "t", as glibc
  });

  it("refuse bad patterns with glibc's messages", () => {
    const bad = (p: string, extended = false): string | PosixRegex => PosixRegex.compile(p, { extended });
    expect(bad("a\\{1")).toBe("Unmatched \\{");
    expect(bad("a\\{1,x\\}")).toBe("Invalid content of \\{\\}");
    expect(bad("a\\{2,1\\}")).toBe("Invalid content of \\{\\}");
    expect(bad("\\(a")).toBe("Unmatched ( or \\(");
    expect(bad("a\\)")).toBe("Unmatched ) or \\)");
    expect(bad("[a")).toBe("Unmatched [, [^, [:, [., or [=");
    expect(bad("[[:nope:]]")).toBe("Invalid character class name");
    expect(bad("[z-a]")).toBe("Invalid range end");
    expect(bad("\\(a\\)\\2")).toBe("Invalid back reference");
    expect(bad("a\\")).toBe("Trailing backslash");
    expect(bad("a{99999}", true)).toBe("Regular expression too big");
    expect(bad("a(", true)).toBe("Unmatched ( or \\(");
    expect(bad("a{}", true)).toBe("Invalid content of \\{\\}");
    expect(bad("a{1", true)).toBeInstanceOf(PosixRegex); // ERE: "{" not starting an interval is literal
    expect(bad("a)", true)).toBeInstanceOf(PosixRegex);
  });

  it("find POSIX's leftmost-longest match, and stay linear on patterns that make backtracking explode", () => {
    const m = (p: string, s: string, extended = true): [number, number] | null => {
      const re = PosixRegex.compile(p, { extended }) as PosixRegex;
      const r = re.exec(s);
      return r === null ? null : [r.start, r.end];
    };
    expect(m("a|ab", "xab")).toEqual([1, 3]);
    expect(m("(a|ab)(c|bcd)", "abcd")).toEqual([0, 4]);
    expect(m("(a?)(ab)?b?", "ab")).toEqual([0, 2]);
    expect(m("x*", "abc")).toEqual([0, 0]);
    const evil = PosixRegex.compile("(a*)*b", { extended: true }) as PosixRegex;
    const t0 = Date.now();
    expect(evil.test("a".repeat(5000))).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("-o with -w prints only the matches that are words (busybox checks only the first)", async () => {
    const { value } = await in_process(
      async (sys: Syscalls) => {
        await sys.write_file("/tmp/in", "ab aab ab abc\n");
        const pid = sys.spawn(["grep", "-ow", "ab", "/tmp/in"], {
          file_actions: [{ action: "open", fd: 1, path: "/tmp/out", flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644 }],
        });
        await sys.waitpid(pid);
        return new TextDecoder().decode(sys.read_file("/tmp/out") as Uint8Array);
      },
      { programs: [...PROGRAMS] },
    );
    expect(value).toBe("ab\nab\n");
  });
});
