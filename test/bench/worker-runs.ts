/**
 * Worker throughput with and without job-run recording, side by side in one process, rounds
 * alternating which goes first (target: median of per-round ratios with / without ≥ 0.95),
 * and the heap each recorded run keeps at default limits (target ≤ 1 KB).
 * Each job does about 1 ms of work and enqueues one follow-up; the jobs come from a tracked
 * request in both cases, so the only difference is the recording of runs.
 */
import * as bullmq from 'bullmq';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createTaskscope } from 'taskscope';
import { median, report, sleep } from './stats.js';

const JOBS = 400;
// Nine pairs (about 40 s): on a shared two-core machine a round's figures swing by ±0.3 (ratio)
// and ±500 B (heap, mostly the Worker's own connections and compiled code), and five medians
// of them still decided a verdict by chance.
const ROUNDS = 9;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed;
}

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // about 1 ms of CPU, like a small real job
  }
}

/** One round: `JOBS` jobs enqueued in a tracked request, then timed through a Worker. Jobs per second, and the heap the round kept. */
async function round(connection: bullmq.ConnectionOptions, runs: boolean): Promise<{ perSecond: number; retainedPerRun: number }> {
  const core = createTaskscope({ enabled: true, bullmq: { runs } });
  const queue = new bullmq.Queue(`bench-runs-${process.pid}-${runs}`, { connection });
  const followUps = new bullmq.Queue(`bench-runs-next-${process.pid}-${runs}`, { connection });
  const request = core.track('POST', '/orders')!;
  await request.run(async () => {
    await queue.addBulk(Array.from({ length: JOBS }, (_, i) => ({ name: 'place-order', data: { orderId: i, lines: [{ sku: 'A-1', qty: 2 }] } })));
  });
  await request.finish(201);
  const before = await settledHeap();
  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => { finished = resolve; });
  const start = performance.now();
  const worker = new bullmq.Worker(queue.name, async (job) => {
    busy(1);
    await followUps.add('send-confirmation', { orderId: job.data.orderId });
    return { placed: true };
  }, { connection, concurrency: 1, removeOnComplete: { count: 0 } });
  worker.on('completed', () => {
    done += 1;
    if (done === JOBS) finished();
  });
  await allDone;
  const elapsed = performance.now() - start;
  await worker.close();
  await sleep(100); // the last runs' writes (within 50 ms of their end)
  const after = await settledHeap();
  for (const q of [queue, followUps]) {
    await q.obliterate({ force: true });
    await q.close();
  }
  await core.close();
  return { perSecond: (JOBS / elapsed) * 1000, retainedPerRun: (after - before) / JOBS };
}

/**
 * `npm run bench`'s worker figures; true when both targets are met. Rounds alternate which
 * variant goes first, and the figures are medians of per-round ratios (and differences), so a
 * busy moment of the shared machine hits both variants of a round alike.
 */
export async function benchWorkerRuns(connection: bullmq.ConnectionOptions): Promise<boolean> {
  await round(connection, false); // warm-up
  await round(connection, true);
  const bare: number[] = [];
  const recorded: number[] = [];
  const ratios: number[] = [];
  const retained: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const runsFirst = i % 2 === 1;
    const first = await round(connection, runsFirst);
    const second = await round(connection, !runsFirst);
    const [without, withRuns] = runsFirst ? [second, first] : [first, second];
    bare.push(without.perSecond);
    recorded.push(withRuns.perSecond);
    ratios.push(withRuns.perSecond / without.perSecond);
    // What the same round keeps without runs (BullMQ's and ioredis's own growth) is not the runs'.
    retained.push(withRuns.retainedPerRun - without.retainedPerRun);
  }
  const ratio = median(ratios);
  const bytes = median(retained);
  report('worker throughput with / without runs', `${median(recorded).toFixed(0)} / ${median(bare).toFixed(0)} jobs/s, per-round ratio ${ratio.toFixed(3)} (target ≥ 0.95; rounds ${ratios.map((r) => r.toFixed(2)).join(' ')})`, ratio >= 0.95);
  report('retained per job run', `${bytes.toFixed(0)} B (target ≤ 1024 B; rounds ${retained.map((b) => b.toFixed(0)).join(' ')})`, bytes <= 1024);
  return ratio >= 0.95 && bytes <= 1024;
}
