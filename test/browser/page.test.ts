/**
 * ringzero in a real Chromium: the page boots, its terminal runs the shell, `ping` works over the
 * in-page user network, the ring panel follows the e1000's descriptors, the cable can be pulled
 * from the page, the clock can be held and stepped, and the page is not blank.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { have_chromium, open_page, start_site, type RingzeroPage, type WebSite } from "./browser.ts";

let site: WebSite;
let rz: RingzeroPage;

beforeAll(async () => {
  if (!have_chromium) return;
  site = await start_site();
  // The virtual clock: the run is deterministic and as fast as the host allows.
  rz = await open_page(site, "?clock=virtual");
  await rz.wait_for("ringzero:/# ");
});

afterAll(async () => {
  await site?.close();
});

describe.skipIf(!have_chromium)("the page in Chromium", () => {
  it("boots to the shell with the boot log on the console", async () => {
    const t = await rz.text();
    expect(t).toContain("e1000 0000:00:03.0 eth0: Intel(R) PRO/1000 Network Connection");
    expect(t).toContain("IP-Config: Got DHCP answer from 10.0.2.2, my address is 10.0.2.15");
    expect(t).toMatch(/ringzero version [\d.]+ \(browser\) #1/);
  });

  it("pings the gateway from the terminal with 0% packet loss, and the ring panel shows the frames", async () => {
    const from = (await rz.text()).length;
    await rz.type("ping -c 3 10.0.2.2\r");
    const t = await rz.wait_for(/packet loss[^\n]*\n[^\n]*\nringzero:\/# /, { from });
    expect(t.slice(from)).toContain("3 packets transmitted, 3 received, 0% packet loss");
    // TX: the tail moved past the frames the driver queued, and their descriptors came back done.
    const tx = rz.page.locator('[data-ring="eth0-tx"]');
    await expect.poll(async () => Number(await tx.getAttribute("data-tail-advances")), { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    // RX: descriptors were completed by the device (DD) and cleaned by the driver.
    const rx = rz.page.locator('[data-ring="eth0-rx"]');
    await expect.poll(async () => Number(await rx.getAttribute("data-ntc-advances")), { timeout: 5000 }).toBeGreaterThanOrEqual(3);
  });

  it("Tab completes and ^C interrupts, as on the console", async () => {
    let from = (await rz.text()).length;
    await rz.type("lsp\t");
    await rz.wait_for("lspci ", { from });
    await rz.type("\r");
    await rz.wait_for("Ethernet controller: Intel Corporation 82540EM Gigabit Ethernet Controller", { from });
    from = (await rz.text()).length;
    await rz.type("ping 10.0.2.2\r");
    await rz.wait_for("icmp_seq=2", { from });
    await rz.page.keyboard.press("Control+C");
    const t = await rz.wait_for(/packets transmitted[^\n]*\n[^\n]*\nringzero:\/# /, { from });
    expect(t.slice(from)).toContain("^C");
  });

  it("a busy guest leaves the page alive: the panels draw and ^C stops it", async () => {
    const from = (await rz.text()).length;
    await rz.type("yes > /dev/null\r");
    await rz.wait_for("yes > /dev/null\n", { from });
    // The page still gets animation frames while the CPU never halts.
    const frames = await rz.page.evaluate("new Promise((r) => { let n = 0; const f = () => (++n === 10 ? r(n) : requestAnimationFrame(f)); requestAnimationFrame(f); })");
    expect(frames).toBe(10);
    await rz.page.keyboard.press("Control+C");
    const t = await rz.wait_for(/\^C\nringzero:\/# /, { from });
    expect(t.slice(from)).toContain("^C");
  });

  it("pulling the cable in the page takes the link down in the guest", async () => {
    const from = (await rz.text()).length;
    await rz.page.locator('[data-cable="e1000.0"]').uncheck();
    await rz.wait_for("e1000: eth0 NIC Link is Down", { from });
    await rz.page.locator('[data-cable="e1000.0"]').check();
    await rz.wait_for("e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex", { from });
    // The box follows the cable when the monitor pulls it from the terminal too.
    await rz.type("~set_link e1000.0 off\r");
    await expect.poll(() => rz.page.locator('[data-cable="e1000.0"]').isChecked()).toBe(false);
    await rz.type("~set_link e1000.0 on\r");
    await expect.poll(() => rz.page.locator('[data-cable="e1000.0"]').isChecked()).toBe(true);
  });

  it("injects a fault and switches a trace channel from the page, as ~inject and ~trace do", async () => {
    let from = (await rz.text()).length;
    await rz.page.locator('[data-control="fault"]').selectOption("link_flap");
    await rz.page.locator('[data-action="inject"]').click();
    await expect.poll(() => rz.page.locator("#monitor-log").textContent()).toContain("e1000.0: injected link_flap");
    await rz.wait_for("e1000: eth0 NIC Link is Down", { from });
    await rz.wait_for("e1000: eth0 NIC Link is Up", { from });
    const trace = rz.page.locator("#trace-log");
    const before = await trace.locator("div").count();
    await rz.page.locator('[data-trace="tx"]').check();
    from = (await rz.text()).length;
    await rz.type("ping -c 1 10.0.2.2\r");
    await rz.wait_for(/packet loss/, { from });
    await expect.poll(() => trace.locator("div").count()).toBeGreaterThan(before);
    expect(await trace.textContent()).toMatch(/tx/);
    await rz.page.locator('[data-trace="tx"]').uncheck();
  });

  it("pause holds the machine clock, step moves it by one millisecond, resume lets it run", async () => {
    const now = async (): Promise<number> => Number(await rz.page.locator("[data-now-ns]").first().getAttribute("data-now-ns"));
    await rz.page.locator('[data-action="pause"]').click();
    await expect.poll(() => rz.page.locator("[data-clock-state]").getAttribute("data-clock-state")).toBe("paused");
    const t0 = await now();
    // Typed while held: it waits in the UART, and nothing runs.
    await rz.type("echo held\r");
    // Two animation frames: the panels have drawn at least once since the click.
    await rz.page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))");
    expect(await now()).toBe(t0);
    await rz.page.locator('[data-action="step"]').click();
    await expect.poll(now).toBe(t0 + 1_000_000);
    await rz.page.locator('[data-action="resume"]').click();
    await rz.wait_for(/\nheld\n/);
  });

  it("shows a page that is not blank", async () => {
    const shot = await rz.page.screenshot();
    const blank = await site.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await blank.setContent("<body style='background:#111'></body>");
    const empty = await blank.screenshot();
    await blank.close();
    // PNG compresses a uniform page to almost nothing; text, rings and tables do not.
    expect(shot.length).toBeGreaterThan(empty.length * 10);
    expect(rz.errors).toEqual([]);
  });
});
