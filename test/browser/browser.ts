/**
 * The page in a real browser: Debian's Chromium (no browser download: playwright-core is only the
 * driver) on the page built by web/build.ts and served on 127.0.0.1. Without Chromium the tests
 * skip with a message, unless RZ_REQUIRE_CHROMIUM=1 (CI) makes that an error.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { build_web, serve_web } from "../../web/build.ts";

export const CHROMIUM = process.env["CHROMIUM"] ?? "/usr/bin/chromium";
export const have_chromium = existsSync(CHROMIUM);
if (!have_chromium && process.env["RZ_REQUIRE_CHROMIUM"] === "1") throw new Error(`Chromium is required (RZ_REQUIRE_CHROMIUM=1): apt-get install chromium (looked for ${CHROMIUM})`);
if (!have_chromium) console.warn(`skipping the browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM=PATH)`);

/** The flags a sandboxed, offline machine needs (no background connections, no GPU). */
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

export interface WebSite {
  browser: Browser;
  url: string;
  dir: string;
  close(): Promise<void>;
}

/** Build the page, serve it, start Chromium. */
export async function start_site(): Promise<WebSite> {
  const dir = mkdtempSync(join(tmpdir(), "rz-page-"));
  await build_web(dir);
  const server = await serve_web(dir, 0);
  // playwright gives the browser a fresh, empty profile of its own.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  return {
    browser,
    url: `http://127.0.0.1:${server.port}/`,
    dir,
    async close() {
      await browser.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RingzeroPage {
  page: Page;
  /** Page errors and console errors seen so far (a test asserts there were none). */
  errors: string[];
  /** Everything terminal `i` has shown. */
  text(i?: number): Promise<string>;
  /** Wait until terminal `i` shows `what` (after `from` characters); returns its text. */
  wait_for(what: string | RegExp, opts?: { i?: number; from?: number; timeout?: number }): Promise<string>;
  /** Type into terminal `i` as a user would (it gets focus first). */
  type(s: string, i?: number): Promise<void>;
}

export async function open_page(site: WebSite, query = ""): Promise<RingzeroPage> {
  const page = await site.browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  await page.goto(site.url + query);
  const text = (i = 0): Promise<string> => page.evaluate((n) => (globalThis as unknown as { ringzero?: { terminals: { text(): string }[] } }).ringzero?.terminals[n]?.text() ?? "", i);
  return {
    page,
    errors,
    text,
    async wait_for(what, o = {}) {
      const i = o.i ?? 0;
      const from = o.from ?? 0;
      const src = typeof what === "string" ? { s: what, re: null } : { s: null, re: [what.source, what.flags] as const };
      await page.waitForFunction(
        ([n, f, w]) => {
          const t = (globalThis as unknown as { ringzero?: { terminals: { text(): string }[] } }).ringzero?.terminals[n]?.text().slice(f) ?? "";
          return w.s !== null ? t.includes(w.s) : new RegExp(w.re![0], w.re![1]).test(t);
        },
        [i, from, src] as const,
        { polling: 50, timeout: o.timeout ?? 30_000 },
      );
      return text(i);
    },
    async type(s, i = 0) {
      await page.locator(".term-box .xterm-helper-textarea").nth(i).focus();
      await page.keyboard.type(s);
    },
  };
}
