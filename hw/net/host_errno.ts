import { constants } from "node:os";
import { ERRNO_MESSAGES } from "../../include/linux/errno.ts";

/**
 * A failed host call (connect, listen, bind) worded as the C library's strerror() words its errno,
 * as QEMU prints it: "Connection refused", "Address already in use". Node's name for the errno is
 * turned back into its number on this host; a lookup failure is getaddrinfo's EAI_NONAME.
 */
export function host_strerror(e: NodeJS.ErrnoException): string {
  if (e.code === "ENOTFOUND") return "Name or service not known";
  const n = e.code !== undefined ? (constants.errno as Readonly<Record<string, number>>)[e.code] : undefined;
  return (n !== undefined ? ERRNO_MESSAGES[n] : undefined) ?? e.message;
}
