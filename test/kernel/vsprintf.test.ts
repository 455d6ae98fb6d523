/** The kernel's vsnprintf conversions, checked against what C's printf (and Linux's %p extensions) print. */
import { describe, expect, it } from "vitest";
import { vsprintf } from "../../kernel/vsprintf.ts";

describe("vsprintf", () => {
  it("formats integers, strings and chars with flags, width and precision as C does", () => {
    expect(vsprintf("%d %i %u %5d|%-5d|%05d|%+d", [-3, 7, 4294967295, 42, 42, -42, 5])).toBe("-3 7 4294967295    42|42   |-0042|+5");
    expect(vsprintf("%x %X %#x %08x %lx %llu", [255, 255, 255, 0xbeef, -1, 10n])).toBe("ff FF 0xff 0000beef ffffffff 10");
    expect(vsprintf("%s|%10s|%-6s|%.3s|%c|%%", ["eth0", "right", "left", "truncate", 65])).toBe("eth0|     right|left  |tru|A|%");
    expect(vsprintf("%*d|%-*d|%.*s", [4, 1, 3, 2, 2, "abc"])).toBe("   1|2  |ab");
    expect(vsprintf("%o %#o", [8, 8])).toBe("10 010");
  });

  it("prints the pointer extensions messages use: %pM, %pMR, %pI4, %pe", () => {
    const mac = Uint8Array.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    expect(vsprintf("%pM %pMR", [mac, mac])).toBe("52:54:00:12:34:56 56:34:12:00:54:52");
    expect(vsprintf("%pI4 %pI4", [Uint8Array.from([10, 0, 2, 15]), 0x0a000202])).toBe("10.0.2.15 10.0.2.2");
    expect(vsprintf("error %pe, %pe", [-12, 7])).toBe("error -ENOMEM, 7");
  });

  it("never throws on a broken format or missing arguments: the directive shows", () => {
    expect(vsprintf("%d and %s", [1])).toBe("1 and %s");
    expect(vsprintf("50% done %q", [])).toBe("50% done %q");
    expect(vsprintf("trailing %", [1])).toBe("trailing %");
  });
});
