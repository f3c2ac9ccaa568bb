import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { benchClient } from './http-load.js';
import { median, report } from './stats.js';
import { portOf } from './spawn-node.js';

const FRAMEWORKS = ['koa', 'express', 'fastify'] as const;
type Framework = (typeof FRAMEWORKS)[number];

const ROUNDS = 5;
const DURATION_MS = 2_000;
const CONNECTIONS = 16;
/** Requests an app serves before it is measured: V8's optimised code, not its warm-up (see requests.ts). */
const WARM_UP_REQUESTS = 10_000;
const TARGET = 0.95;
const SERVER = fileURLToPath(new URL('./adapters-server.ts', import.meta.url));

/**
 * Requests per second with Taskscope and bare, for each adapter side by side: the same route on
 * Koa, Express and Fastify, each app in a fresh process per measurement (AsyncLocalStorage costs
 * the whole process), the load from this process. Each round measures bare and tracked back to
 * back (alternating which goes first); the figure is the median of the rounds' ratios.
 * Target per adapter: ≥ 95 % of bare. Returns whether every adapter met it.
 *
 * @example
 * ```ts
 * results.push(await benchAdapters(connection));
 * // requests/s, koa        bare 5123  with taskscope 4987  ratio 0.973  ✓
 * ```
 */
export async function benchAdapters(connection: { host: string; port: number }): Promise<boolean> {
  let allMet = true;
  for (const framework of FRAMEWORKS) {
    await measure(framework, 'bare', connection); // warm-up: disk caches, Redis
    const bare: number[] = [];
    const tracked: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const first = round % 2 === 0 ? 'bare' : 'tracked';
      const a = await measure(framework, first, connection);
      const b = await measure(framework, first === 'bare' ? 'tracked' : 'bare', connection);
      const [bareRps, trackedRps] = first === 'bare' ? [a, b] : [b, a];
      bare.push(bareRps);
      tracked.push(trackedRps);
      ratios.push(trackedRps / bareRps);
    }
    const ratio = median(ratios);
    const met = ratio >= TARGET;
    allMet &&= met;
    report(
      `requests/s, ${framework}`,
      `bare ${median(bare).toFixed(0)}  with taskscope ${median(tracked).toFixed(0)}  ratio ${ratio.toFixed(3)} (median of ${ROUNDS} rounds; target ≥ ${TARGET})`,
      met,
    );
  }
  return allMet;
}

async function measure(framework: Framework, mode: 'bare' | 'tracked', connection: { host: string; port: number }): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, framework, mode, connection.host, String(connection.port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const client = benchClient(await portOf(child), CONNECTIONS);
    const path = (id: number) => `/orders?id=${id}`;
    await client.warmUp(path, CONNECTIONS, WARM_UP_REQUESTS);
    const done = await client.saturate(path, CONNECTIONS, DURATION_MS);
    client.close();
    return done / (DURATION_MS / 1000);
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}
