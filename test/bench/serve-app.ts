import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The life of a bench app process: print `port=<port>` once `server` listens (what `portOf`
 * waits for), and on SIGTERM close its connections, run `cleanup` (bounded to 3 s) and exit 0.
 *
 * @example
 * ```ts
 * await serveUntilTerm(app.listen(0, '127.0.0.1'), () => queue.close());
 * ```
 */
export async function serveUntilTerm(server: Server, cleanup: () => Promise<unknown>): Promise<void> {
  if (!server.listening) await once(server, 'listening');
  console.log(`port=${(server.address() as AddressInfo).port}`);
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close();
    const timer = setTimeout(() => process.exit(0), 3_000);
    void cleanup().catch(() => {}).finally(() => {
      clearTimeout(timer);
      process.exit(0);
    });
  });
}
