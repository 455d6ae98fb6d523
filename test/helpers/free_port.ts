import { createServer } from "node:net";

/** A TCP port free on 127.0.0.1 right now (bind to 0, read the port, close). */
export function free_port(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}
