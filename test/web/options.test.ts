/** The page's URL options (web/options.ts): a link reproduces the machine; bad values warn. */
import { describe, expect, it } from "vitest";
import { parse_web_options, WEB_DEFAULTS, web_options_query } from "../../web/options.ts";

describe("page options in the URL", () => {
  it("round-trips every option through the query string", () => {
    const q = "?preset=hub&nic=virtio-net-pci&mem=64M&dma-coherent=off&clock=virtual&seed=42&trace=tx,rx";
    const { opts, warnings } = parse_web_options(q);
    expect(warnings).toEqual([]);
    expect(opts).toMatchObject({ preset: "hub", nic: "virtio-net-pci", mem_size: 64 << 20, dma_coherent: false, clock: "virtual", seed: 42, trace: ["tx", "rx"] });
    expect(parse_web_options(web_options_query(opts)).opts).toEqual(opts);
  });

  it("the defaults make an empty query, and an empty query gives the defaults", () => {
    expect(web_options_query(WEB_DEFAULTS)).toBe("");
    expect(parse_web_options("").opts).toEqual(WEB_DEFAULTS);
  });

  it("a value it does not understand is the default and a one-line warning", () => {
    const { opts, warnings } = parse_web_options("?nic=rtl8139&mem=3M&seed=-1&relay=http://x&clock=fast&trace=bogus,tx");
    expect(opts.nic).toBe("e1000");
    expect(opts.mem_size).toBe(WEB_DEFAULTS.mem_size);
    expect(opts.seed).toBe(WEB_DEFAULTS.seed);
    expect(warnings).toEqual([
      "nic=rtl8139: expected e1000 or virtio-net-pci",
      "clock=fast: expected realtime or virtual",
      "mem=3M: expected a size between 4M and 1024M",
      "seed=-1: expected an integer 0-4294967295",
      "relay=http://x: expected a ws:// or wss:// URL",
      "trace=bogus: no such trace channel (tx, txerr, rx, rxfilter, rxerr, interrupt, eeprom, unknown, virtio)",
    ]);
    expect(opts.trace).toEqual(["tx"]);
  });
});
