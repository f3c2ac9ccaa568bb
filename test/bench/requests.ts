import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median, report } from './stats.js';

const ROUNDS = 7;
const DURATION_MS = 3_000;
const CONNECTIONS = 16;
const SERVER = fileURLToPath(new URL('./requests-server.ts', import.meta.url));

/**
 * Requests per second of a realistic Koa route, bare and with `taskscope()`. The app runs in a
 * fresh process per measurement (enabling AsyncLocalStorage costs the whole process, so the
 * bare app must not share one with the tracked app), the load comes from this process, as a
 * browser's would from another. Processes differ from each other by several percent on a
 * 2-core machine, so each round measures a bare and a tracked app back to back and the figure
 * is the median of the rounds' ratios. Target: ≥ 95 %.
 */
export async function benchRequests(connection: { host: string; port: number }): Promise<boolean> {
  await measure('bare', connection); // warm-up: disk caches, Redis
  const bare: number[] = [];
  const tracked: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const first = round % 2 === 0 ? 'bare' : 'tracked';
    const a = await measure(first, connection);
    const b = await measure(first === 'bare' ? 'tracked' : 'bare', connection);
    const [bareRps, trackedRps] = first === 'bare' ? [a, b] : [b, a];
    bare.push(bareRps);
    tracked.push(trackedRps);
    ratios.push(trackedRps / bareRps);
  }
  const ratio = median(ratios);
  report('requests/s, bare Koa', `median ${median(bare).toFixed(0)}`, undefined);
  report('requests/s, with taskscope()', `median ${median(tracked).toFixed(0)}  ratio ${ratio.toFixed(3)} (median of ${ROUNDS} rounds; target ≥ 0.95)`, ratio >= 0.95);
  return ratio >= 0.95;
}

async function measure(mode: 'bare' | 'tracked', connection: { host: string; port: number }): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', SERVER, mode, connection.host, String(connection.port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await portOf(child);
    const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    const get = (id: number) => new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: `/orders?id=${id}`, agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject).end();
    });
    const run = async (ms: number) => {
      let done = 0;
      const end = performance.now() + ms;
      await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < end) await get(done++);
      }));
      return done;
    };
    await run(500); // warm-up: JIT, connections
    const done = await run(DURATION_MS);
    agent.destroy();
    return done / (DURATION_MS / 1000);
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

function portOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const port = /port=(\d+)/.exec(output)?.[1];
      if (port) resolve(Number(port));
    });
    child.once('exit', (code) => reject(new Error(`request bench app exited with ${code}: ${output}`)));
  });
}
