/** The kernel release, as uname -r and the boot banner print it. */
export const RINGZERO_VERSION = "0.1.0";
