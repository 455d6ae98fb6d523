/** The fast csum_partial agrees with RFC 1071's plain 16-bit loop at every alignment and length. */
import { describe, expect, it } from "vitest";
import { csum_fold, csum_partial } from "../../lib/inet_checksum.ts";

function reference(buf: Uint8Array, off: number, len: number, sum = 0): number {
  const end = off + (len & ~1);
  for (let i = off; i < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (len & 1) sum += buf[off + len - 1]! << 8;
  return sum;
}

describe("csum_partial", () => {
  it("matches the plain loop for every byte alignment, odd and even lengths, up to and past 64 KiB", () => {
    const ab = new ArrayBuffer(140_000);
    const all = new Uint8Array(ab);
    for (let i = 0; i < all.length; i++) all[i] = ((i * 2654435761) >>> 13) & 0xff;
    for (const base of [0, 1, 2, 3, 5]) {
      const v = new Uint8Array(ab, base, 130_000);
      for (const off of [0, 1, 2, 3, 14, 34])
        for (const len of [0, 1, 2, 3, 63, 64, 65, 66, 67, 1500, 1501, 1514, 9000, 65536, 69_632])
          expect(csum_fold(csum_partial(v, off, len, 12345)), `base ${base} off ${off} len ${len}`).toBe(csum_fold(reference(v, off, len, 12345)));
    }
  });

  it("all-ones data folds the same way (no 0 / 0xffff confusion)", () => {
    const ff = new Uint8Array(4096).fill(0xff);
    for (const len of [64, 100, 4000]) expect(csum_fold(csum_partial(ff, 0, len))).toBe(csum_fold(reference(ff, 0, len)));
  });
});
