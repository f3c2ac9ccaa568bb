import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** A keep-alive HTTP client to one bench app on 127.0.0.1. */
export interface BenchClient {
  /** GETs `path`; resolves with the status, the `X-Debug-Id` header and the body. */
  get(path: string): Promise<{ status: number; id: string | undefined; body: string }>;
  /** Runs `connections` request loops on `path(n)` for `ms`; resolves with how many completed. */
  saturate(path: (n: number) => string, connections: number, ms: number): Promise<number>;
  /**
   * Saturates the app until `requests` have completed: what V8 needs to have compiled and
   * optimised the code on the request's path, counted in calls rather than seconds, so a slower
   * variant or a busier machine is not measured while still warming up. Resolves with the
   * requests done (`requests` or a few more).
   */
  warmUp(path: (n: number) => string, connections: number, requests: number): Promise<number>;
  close(): void;
}

/**
 * A client for a bench app listening on `port`.
 *
 * @example
 * ```ts
 * const client = benchClient(port, 16);
 * const done = await client.saturate((n) => `/orders?id=${n}`, 16, 3_000);
 * ```
 */
export function benchClient(port: number, maxSockets: number): BenchClient {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const get = (path: string) => new Promise<{ status: number; id: string | undefined; body: string }>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, id: res.headers['x-debug-id'] as string | undefined, body }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
  return {
    get,
    async saturate(path, connections, ms) {
      let done = 0;
      const end = performance.now() + ms;
      await Promise.all(Array.from({ length: connections }, async () => {
        while (performance.now() < end) await get(path(done++));
      }));
      return done;
    },
    async warmUp(path, connections, requests) {
      let done = 0;
      while (done < requests) done += await this.saturate((n) => path(done + n), connections, 250);
      return done;
    },
    close: () => agent.destroy(),
  };
}
