/**
 * printf's "%.Nf" as glibc rounds it: to the nearest, an exact tie to the even digit (9.25 →
 * "9.2", 9.75 → "9.8"). JavaScript's toFixed rounds an exact tie away from zero ("9.3"), which is
 * what the procps tools must not print.
 */
export function fixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  // The exact expansion far enough past the cut to tell a tie from a near-tie.
  const s = a.toFixed(Math.min(100, digits + 20));
  const dot = s.indexOf(".");
  const tail = s.slice(dot + 1 + digits);
  let out: string;
  if (/^50*$/.test(tail)) {
    const kept = s.slice(0, dot + 1 + digits).replace(".", "");
    const last = Number(kept[kept.length - 1]);
    let n = BigInt(kept);
    if (last % 2 === 1) n += 1n;
    const t = n.toString().padStart(digits + 1, "0");
    out = digits > 0 ? `${t.slice(0, -digits)}.${t.slice(-digits)}` : t;
  } else out = a.toFixed(digits);
  return neg ? `-${out}` : out; // glibc keeps the sign of a negative that rounds to zero: "-0.0"
}
