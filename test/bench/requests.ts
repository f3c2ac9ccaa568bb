import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { report } from './stats.js';

const ROUNDS = 3;
const SERVER = fileURLToPath(new URL('./requests-server.ts', import.meta.url));

/**
 * Requests per second of a realistic Koa route, bare and with `taskscope()`, each measured in a
 * fresh process (enabling AsyncLocalStorage costs the whole process something, so the bare app
 * must not share one with the tracked app), alternated over a few rounds. Target: ≥ 95 %.
 */
export async function benchRequests(connection: { host: string; port: number }): Promise<boolean> {
  await measure('bare', connection); // warm-up: disk caches, Redis
  let bareTotal = 0;
  let trackedTotal = 0;
  for (let round = 0; round < ROUNDS; round++) {
    bareTotal += await measure('bare', connection);
    trackedTotal += await measure('tracked', connection);
  }
  const ratio = trackedTotal / bareTotal;
  report('requests/s, bare Koa', `${(bareTotal / ROUNDS).toFixed(0)}`, undefined);
  report('requests/s, with taskscope()', `${(trackedTotal / ROUNDS).toFixed(0)}  ratio ${ratio.toFixed(3)} (target ≥ 0.95)`, ratio >= 0.95);
  return ratio >= 0.95;
}

function measure(mode: 'bare' | 'tracked', connection: { host: string; port: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', SERVER, mode, connection.host, String(connection.port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      const rps = Number(/rps=(\d+(?:\.\d+)?)/.exec(output)?.[1]);
      if (code === 0 && Number.isFinite(rps)) resolve(rps);
      else reject(new Error(`request bench (${mode}) exited with ${code}: ${output}`));
    });
  });
}
