/**
 * The page's other machines: two ringzeros on an in-page hub, each with its own terminal, ping
 * each other; the URL picks virtio-net and the RAM size; the capture downloads as a pcap file.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { have_chromium, open_page, start_site, type WebSite } from "./browser.ts";

let site: WebSite;

beforeAll(async () => {
  if (have_chromium) site = await start_site();
});

afterAll(async () => {
  await site?.close();
});

describe.skipIf(!have_chromium)("page presets and options", () => {
  it("two machines on an in-page hub ping each other from their own terminals", async () => {
    const rz = await open_page(site, "?preset=hub&clock=virtual");
    await rz.wait_for(/ringzero:\/# /, { i: 0 });
    await rz.wait_for(/ringzero:\/# /, { i: 1 });
    let from = (await rz.text(0)).length;
    await rz.type("ping -c 2 10.0.0.2\r", 0);
    let t = await rz.wait_for(/packet loss/, { i: 0, from });
    expect(t.slice(from)).toContain("2 packets transmitted, 2 received, 0% packet loss");
    from = (await rz.text(1)).length;
    await rz.type("ping -c 2 10.0.0.1\r", 1);
    t = await rz.wait_for(/packet loss/, { i: 1, from });
    expect(t.slice(from)).toContain("2 packets transmitted, 2 received, 0% packet loss");
    expect(rz.errors).toEqual([]);
    await rz.page.close();
  });

  it("the URL's options make the machine: virtio-net and 64 MiB", async () => {
    const rz = await open_page(site, "?nic=virtio-net-pci&mem=64M&clock=virtual&seed=7");
    await rz.wait_for("ringzero:/# ");
    const from = (await rz.text()).length;
    await rz.type("lspci -k -s 03.0; grep MemTotal /proc/meminfo; cat /proc/cmdline\r");
    const t = (await rz.wait_for(/seed=7\n/, { from })).slice(from);
    expect(t).toContain("Ethernet controller: Red Hat, Inc. Virtio 1.0 network device");
    expect(t).toContain("Kernel driver in use: virtio-pci");
    expect(t).toMatch(/MemTotal:\s+6\d{4} kB/);
    // The options controls show what the URL asked for.
    expect(await rz.page.locator('[data-option="nic"]').inputValue()).toBe("virtio-net-pci");
    expect(await rz.page.locator('[data-option="seed"]').inputValue()).toBe("7");
    await rz.page.close();
  });

  it("download pcap saves the capture as a libpcap file", async () => {
    const rz = await open_page(site, "?clock=virtual");
    await rz.wait_for("ringzero:/# ");
    const from = (await rz.text()).length;
    await rz.type("ping -c 2 10.0.2.2\r");
    await rz.wait_for(/packet loss/, { from });
    const [download] = await Promise.all([rz.page.waitForEvent("download"), rz.page.locator('[data-action="download-pcap"]').click()]);
    const bytes = readFileSync((await download.path())!);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(v.getUint32(0, true)).toBe(0xa1b2c3d4); // classic pcap, microseconds
    expect(v.getUint32(20, true)).toBe(1); // LINKTYPE_ETHERNET
    // DHCP, ARP and four ICMP frames at least: records follow one another to the end of the file.
    let off = 24;
    let n = 0;
    while (off < bytes.length) {
      const incl = v.getUint32(off + 8, true);
      off += 16 + incl;
      n++;
    }
    expect(off).toBe(bytes.length);
    expect(n).toBeGreaterThanOrEqual(8);
    expect(download.suggestedFilename()).toMatch(/\.pcap$/);
    await rz.page.close();
  });
});
