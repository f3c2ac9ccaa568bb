import * as bullmq from 'bullmq';
import { performance } from 'node:perf_hooks';
import { createTaskscope } from 'taskscope';
import { instrumentBullMQ } from '../../server-lib/src/bullmq/instrument.js';
import { median, ms, percentile, report } from './stats.js';

const ROUNDS = 30;
const PER_ROUND = 100;

/**
 * Median and p99 of `queue.add` bare, tracked with stacks, and tracked without, interleaved in
 * rounds so drift (Redis, GC, CPU) hits all three alike. Target: ≤ 1.03 with stacks on.
 */
export async function benchEnqueue(connection: bullmq.ConnectionOptions): Promise<boolean> {
  const queue = new bullmq.Queue(`bench-enqueue-${process.pid}`, { connection });
  await queue.waitUntilReady();
  const withStacks = createTaskscope({ enabled: true, bullmq: { instrument: false } });
  const withoutStacks = createTaskscope({ enabled: true, captureStacks: false, bullmq: { instrument: false } });
  const samples = { bare: [] as number[], stacks: [] as number[], noStacks: [] as number[] };
  const data = { to: 'customer@example.com', orderId: 4242, lines: [{ sku: 'A-1', qty: 2 }] };

  const timeAdds = async (into: number[]) => {
    for (let i = 0; i < PER_ROUND; i++) {
      const start = performance.now();
      await queue.add('send-email', data, { attempts: 3 });
      into.push(performance.now() - start);
    }
  };
  const tracked = async (core: typeof withStacks, into: number[]) => {
    const request = core.track('POST', '/orders')!;
    await request.run(() => timeAdds(into));
    await request.finish(200);
  };

  await timeAdds([]); // warm-up: scripts loaded, JIT warm
  for (let round = 0; round < ROUNDS; round++) {
    await timeAdds(samples.bare);
    const undo = instrumentBullMQ(bullmq);
    await tracked(withStacks, samples.stacks);
    await tracked(withoutStacks, samples.noStacks);
    undo();
  }
  await queue.obliterate({ force: true });
  await queue.close();
  await withStacks.close();
  await withoutStacks.close();

  const bare = median(samples.bare);
  const line = (values: number[]) => `median ${ms(median(values))}  p99 ${ms(percentile(values, 99))}`;
  report('queue.add bare', line(samples.bare), undefined);
  const ratioStacks = median(samples.stacks) / bare;
  report('queue.add tracked, stacks on', `${line(samples.stacks)}  ratio ${ratioStacks.toFixed(3)} (target ≤ 1.03)`, ratioStacks <= 1.03);
  const ratioNoStacks = median(samples.noStacks) / bare;
  report('queue.add tracked, stacks off', `${line(samples.noStacks)}  ratio ${ratioNoStacks.toFixed(3)}`, undefined);
  return ratioStacks <= 1.03;
}
