import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, percentile, report } from './stats.js';

const ROUNDS = 6;
const ADDS_PER_ROUND = 600;
const WORKER = fileURLToPath(new URL('./enqueue-worker.ts', import.meta.url));
type Mode = 'bare' | 'stacks' | 'noStacks';

/**
 * Median and p99 of `queue.add` latency: bare (a process without taskscope), and tracked inside
 * a request with stacks on and off, each in a fresh process. Processes differ from each other by
 * several percent, so every round runs the three back to back (in a rotating order) and the
 * ratios are the medians of the rounds' ratios. Target: ≤ 1.03 with stacks on.
 */
export async function benchEnqueue(connection: { host: string; port: number }): Promise<boolean> {
  const samples: Record<Mode, number[]> = { bare: [], stacks: [], noStacks: [] };
  const ratios = { stacks: [] as number[], noStacks: [] as number[] };
  const order: Mode[] = ['bare', 'stacks', 'noStacks'];
  for (let round = 0; round < ROUNDS; round++) {
    const medians = {} as Record<Mode, number>;
    for (let i = 0; i < order.length; i++) {
      const mode = order[(round + i) % order.length]!;
      const values = await measure(mode, connection);
      samples[mode].push(...values);
      medians[mode] = median(values);
    }
    ratios.stacks.push(medians.stacks / medians.bare);
    ratios.noStacks.push(medians.noStacks / medians.bare);
  }
  const line = (values: number[]) => `median ${(median(values) / 1000).toFixed(3)} ms  p99 ${(percentile(values, 99) / 1000).toFixed(3)} ms`;
  report('queue.add bare', line(samples.bare), undefined);
  const ratioStacks = median(ratios.stacks);
  report('queue.add tracked, stacks on', `${line(samples.stacks)}  ratio ${ratioStacks.toFixed(3)} (target ≤ 1.03)`, ratioStacks <= 1.03);
  const ratioNoStacks = median(ratios.noStacks);
  report('queue.add tracked, stacks off', `${line(samples.noStacks)}  ratio ${ratioNoStacks.toFixed(3)}`, undefined);
  return ratioStacks <= 1.03;
}

function measure(mode: Mode, connection: { host: string; port: number }): Promise<number[]> {
  const arg = mode === 'noStacks' ? 'nostacks' : mode;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', WORKER, arg, connection.host, String(connection.port), String(ADDS_PER_ROUND)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolve(JSON.parse(output.trim().split('\n').pop()!) as number[]);
      } catch (error) {
        reject(new Error(`enqueue bench (${mode}) failed: ${(error as Error).message}\n${output}`));
      }
    });
  });
}
