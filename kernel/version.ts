/** The kernel release, as uname -r and the boot banner print it. */
export const RINGZERO_VERSION = "0.1.0";

/**
 * What the kernel runs on, for the banner and /proc/version (where Linux names its compiler):
 * "node v20.x" under Node, "browser" in a page.
 */
export const RINGZERO_HOST: string = (() => {
  const v = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  return v !== undefined ? `node v${v}` : "browser";
})();
