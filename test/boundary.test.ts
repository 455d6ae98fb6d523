/**
 * The hardware boundary (ARCHITECTURE.md): kernel/, drivers/, net/, userland/ and include/ never
 * import hw/; hw/ never imports kernel code; lib/ imports neither. Only boot/ (and tests) join them.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");

function ts_files(dir: string): string[] {
  const abs = join(ROOT, dir);
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch {
    return out;
  }
  for (const name of names) {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) out = out.concat(ts_files(join(dir, name)));
    else if (name.endsWith(".ts")) out.push(join(dir, name));
  }
  return out;
}

/** Every module specifier a file imports or re-exports, statically or dynamically. */
export function imports_of(source: string): string[] {
  const specs: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g;
  for (let m = re.exec(source); m !== null; m = re.exec(source)) specs.push(m[1]!);
  return specs;
}

function top_dirs_imported(file: string): { spec: string; top: string }[] {
  const src = readFileSync(join(ROOT, file), "utf8");
  return imports_of(src)
    .filter((s) => s.startsWith("."))
    .map((spec) => ({ spec, top: relative(ROOT, resolve(ROOT, dirname(file), spec)).split(/[\\/]/)[0]! }));
}

const RULES: { dirs: string[]; forbidden: string[] }[] = [
  { dirs: ["kernel", "drivers", "net", "userland", "include"], forbidden: ["hw", "boot", "test"] },
  // Userland reaches the kernel only through system calls: headers (include/) are all it may import.
  { dirs: ["userland"], forbidden: ["kernel", "drivers", "net", "lib"] },
  // The kernel does not depend on drivers or userland (boot/ wires them together).
  { dirs: ["kernel"], forbidden: ["drivers", "userland"] },
  { dirs: ["hw"], forbidden: ["kernel", "drivers", "net", "userland", "boot", "test"] },
  { dirs: ["lib"], forbidden: ["hw", "kernel", "drivers", "net", "userland", "boot", "include", "test"] },
];

describe("hardware boundary", () => {
  it("finds the imports it has to police (the scanner itself works)", () => {
    const sample = `import { a } from "../hw/x.ts";\nexport { b } from '../../hw/y.ts';\nconst m = await import("../hw/z.ts");\nimport "../hw/side.ts";`;
    expect(imports_of(sample)).toEqual(["../hw/x.ts", "../../hw/y.ts", "../hw/z.ts", "../hw/side.ts"]);
  });

  for (const rule of RULES) {
    it(`${rule.dirs.join(", ")} import nothing from ${rule.forbidden.join(", ")}`, () => {
      const violations: string[] = [];
      for (const dir of rule.dirs) {
        for (const file of ts_files(dir)) {
          for (const { spec, top } of top_dirs_imported(file)) {
            if (rule.forbidden.includes(top)) violations.push(`${file} imports ${spec}`);
          }
        }
      }
      expect(violations).toEqual([]);
    });
  }

  it("kernel/ has files to check (the rule is not vacuous)", () => {
    expect(ts_files("kernel").length).toBeGreaterThan(5);
    expect(ts_files("hw").length).toBeGreaterThan(5);
    expect(ts_files("userland").length).toBeGreaterThan(5);
  });
});
