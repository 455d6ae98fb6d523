/**
 * printf's conversions (userland/lib/format.ts, userland/bin/printf.ts) against busybox's printf
 * and glibc: doubles correctly rounded from their exact binary value, 64-bit integers, escapes,
 * the format reused for extra arguments, and busybox's complaints and exit statuses.
 */
import { describe, expect, it } from "vitest";
import type { Syscalls } from "../../include/uapi/syscalls.ts";
import { O_CREAT, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import { format_double, format_integer, type ConvSpec } from "../../userland/lib/format.ts";
import { PROGRAMS } from "../../userland/programs.ts";
import { in_process } from "../kernel/vfs_harness.ts";

/** [printf arguments, busybox printf's stdout, stderr, status]. */
const PRINTF: readonly (readonly [readonly string[], string, string, number])[] = [
  [["%d|%s|\n", "abc"], "0||\n", "printf: invalid number 'abc'\n", 1],
  [["%5.2f|%-8.3e|%g|%G|%#x|%#o|%+d|% d|%05d|%.0f|%.0f\n", "3.14159", "12345.678", "0.0001", "1e-10", "255", "8", "5", "5", "-42", "0.5", "2.5"], " 3.14|1.235e+04|0.0001|1E-10|0xff|010|+5| 5|-0042|0|2\n", "", 0],
  [["%s %s\n", "a", "b", "c"], "a b\nc \n", "", 0],
  [["%zq abc\n"], "", "printf: %q abc\n: invalid format\n", 1],
  [["%d %d\n", "'A", "\"b"], "65 98\n", "", 0],
  [["%x %u\n", "-2", "-1"], "fffffffffffffffe 18446744073709551615\n", "", 0],
  [["%b|\n", "a\\tb\\0101\\c", "zz"], "a\tbA", "", 0],
  [["%.3s|%10s|%-5s|\n", "abcdef", "right", "left"], "abc|     right|left |\n", "", 0],
  [["%i\n", "0x1f", "010", " 7"], "31\n8\n7\n", "", 0],
  [["%*d|%-*d|%.*f\n", "5", "1", "4", "2", "2", "3.14159"], "    1|2   |3.14\n", "", 0],
  [["%g %g %g %g %g\n", "100000", "1000000", "1e-5", "123456789", "0.000123456"], "100000 1e+06 1e-05 1.23457e+08 0.000123456\n", "", 0],
  [["%e %f\n", "0", "inf"], "0.000000e+00 inf\n", "", 0],
  [["%5%|\n"], "", "printf: %5%|\n: invalid format\n", 1],
  [["%ld %hhd %lld\n", "1", "2", "3"], "1 2 3\n", "", 0],
  [["a\\qb\\x41\\101\\n"], "a\\qbAA\n", "", 0],
  [["%d\n", "9223372036854775807", "9223372036854775808"], "9223372036854775807\n0\n", "printf: invalid number '9223372036854775808'\n", 1],
  [["%u\n", "18446744073709551615"], "18446744073709551615\n", "", 0],
  [["%f\n", "1.5x", "0x1p3"], "0.000000\n8.000000\n", "printf: invalid number '1.5x'\n", 1],
  [["%#.3g|%#g|%g\n", "1", "2", "0.00001234"], "1.00|2.00000|1.234e-05\n", "", 0],
  [["%-+8.3f|%+08.2f|% 08.2f\n", "3.14159", "-2.5", "2.5"], "+3.142  |-0002.50| 0002.50\n", "", 0],
  [["%o %X %#X\n", "8", "255", "255"], "10 FF 0XFF\n", "", 0],
  [["%c|%5c|\n", "xyz", "q"], "x|    q|\n", "", 0],
  [["%.20f %.17g %e\n", "0.1", "0.1", "5e-324"], "0.10000000000000000555 0.10000000000000001 4.940656e-324\n", "printf: invalid number '5e-324'\n", 1],
  [["%f\n", "1e300"], "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000\n", "", 0],
];


const spec = (s: string): ConvSpec => {
  const m = /^%([-+ #0]*)(\d*)(?:\.(\d*))?([a-zA-Z])$/.exec(s)!;
  return { flags: m[1]!, width: m[2] !== "" ? Number(m[2]) : null, prec: m[3] !== undefined ? Number(m[3] || 0) : null, conv: m[4]! };
};

describe("printf", () => {
  it("prints what busybox's printf prints, with its messages and statuses", async () => {
    const { value } = await in_process(
      async (sys: Syscalls) => {
        const runs: [string, string, number][] = [];
        for (const [args] of PRINTF) {
          const pid = sys.spawn(["printf", ...args], {
            file_actions: [
              { action: "open", fd: 1, path: "/tmp/out", flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644 },
              { action: "open", fd: 2, path: "/tmp/err", flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644 },
            ],
          });
          const status = await sys.waitpid(pid);
          const dec = (p: string): string => Array.from(sys.read_file(p) as Uint8Array, (c) => String.fromCharCode(c)).join("");
          runs.push([dec("/tmp/out"), dec("/tmp/err"), status]);
        }
        return runs;
      },
      { programs: [...PROGRAMS] },
    );
    PRINTF.forEach(([args, out, err, status], i) => {
      expect([JSON.stringify(args), ...value[i]!]).toEqual([JSON.stringify(args), out, err, status]);
    });
  });

  it("formats doubles as glibc does: exact binary value, ties to even", () => {
    // Expected strings from glibc's printf on the host (Python's % uses the same conversions).
    const cases: [string, number, string][] = [
      ["%.0f", 0.5, "0"],
      ["%.0f", 1.5, "2"],
      ["%.0f", 2.5, "2"],
      ["%.2f", 0.125, "0.12"],
      ["%.2f", 0.375, "0.38"],
      ["%.1f", 0.05, "0.1"], // 0.05 is a little above 1/20
      ["%f", 9.9999995, "9.999999"],
      ["%e", 9.9999995, "9.999999e+00"],
      ["%.3e", 5e-324, "4.941e-324"],
      ["%g", 0.0001, "0.0001"],
      ["%g", 0.00001, "1e-05"],
      ["%g", 123456789, "1.23457e+08"],
      ["%#g", 999999.5, "1.00000e+06"],
      ["%.10g", 2 / 3, "0.6666666667"],
      ["%G", 1e-10, "1E-10"],
      ["%+010.3f", -3.14159, "-00003.142"],
      ["% e", 0, " 0.000000e+00"],
      ["%f", -0, "-0.000000"],
      ["%5.1f", Infinity, "  inf"],
      ["%E", -Infinity, "-INF"],
      ["%f", NaN, "nan"],
      ["%.0f", 1e21, "1000000000000000000000"],
      ["%.0f", 1.7976931348623157e308, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368"],
    ];
    for (const [f, v, want] of cases) expect(`${f} ${v}: ${format_double(v, spec(f))}`).toBe(`${f} ${v}: ${want}`);
  });

  it("formats 64-bit integers with C's flags", () => {
    expect(format_integer(-1n, spec("%x"))).toBe("ffffffffffffffff");
    expect(format_integer(255n, spec("%#X"))).toBe("0XFF");
    expect(format_integer(0n, spec("%#x"))).toBe("0");
    expect(format_integer(0n, spec("%#o"))).toBe("0");
    expect(format_integer(0n, spec("%.0d"))).toBe("");
    expect(format_integer(42n, spec("%08.3d"))).toBe("     042"); // a precision turns off 0 padding
    expect(format_integer(-42n, spec("%-6d"))).toBe("-42   ");
    expect(format_integer(-9223372036854775808n, spec("%d"))).toBe("-9223372036854775808");
  });
});
