import { Queue, Worker, type Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/koa-app.js';
import { freshQueueName, redisClient, redisConnection } from '../../support/redis.js';
import { allFinished, eventually, jobRuns } from './helpers.js';

// Fields BullMQ writes with the time of day or the process's own ids: equal in kind, not in value.
const TIMELY = new Set(['timestamp', 'processedOn', 'finishedOn', 'pb', 'tm']);

interface Outcome {
  events: string[];
  hashes: Array<Record<string, string>>;
  logs: string[][];
}

/**
 * One order: the job logs, reports progress, enqueues a follow-up, fails its first attempt and
 * succeeds on the retry. Everything BullMQ stored and every Worker event, in order.
 */
async function runScenario(enqueue: (queue: Queue, data: object, opts: object) => Promise<string>): Promise<Outcome> {
  const connection = redisConnection();
  const main = new Queue(freshQueueName('fidelity'), { connection });
  const next = new Queue(freshQueueName('fidelity-next'), { connection });
  const events: string[] = [];
  let followUpId = '';
  const worker = new Worker(main.name, async (job: Job) => {
    await job.log(`attempt ${job.attemptsMade + 1}`);
    await job.updateProgress({ step: job.attemptsMade });
    if (job.attemptsMade === 0) {
      followUpId = (await next.add('notify', { orderId: job.data.orderId, when: new Date(0) }, { priority: 3, removeOnComplete: false })).id!;
      throw new TypeError('first attempt fails');
    }
    return { done: job.data.orderId };
  }, { connection });
  worker.on('active', (job) => events.push(`active ${job.name} ${job.attemptsMade}`));
  worker.on('progress', (job, progress) => events.push(`progress ${job.name} ${JSON.stringify(progress)}`));
  worker.on('failed', (job, error) => events.push(`failed ${job?.name} ${error.name}: ${error.message} ${job?.attemptsMade}`));
  worker.on('completed', (job, result) => events.push(`completed ${job.name} ${JSON.stringify(result)} ${job.attemptsMade}`));
  const jobId = await enqueue(main, { orderId: 42, lines: [{ sku: 'a', qty: 2 }], note: 'x'.repeat(3000) }, { attempts: 2, backoff: { type: 'fixed', delay: 30 }, removeOnComplete: false });
  await eventually(() => main.getJobState(jobId), (state) => state === 'completed');
  await worker.close();
  const redis = redisClient();
  const keys = [`bull:${main.name}:${jobId}`, `bull:${next.name}:${followUpId}`];
  const hashes = await Promise.all(keys.map(async (key) => {
    const fields = await redis.hgetall(key);
    for (const field of Object.keys(fields)) if (TIMELY.has(field)) fields[field] = '<time>';
    return fields;
  }));
  const logs = await Promise.all(keys.map((key) => redis.lrange(`${key}:logs`, 0, -1)));
  await redis.quit();
  for (const queue of [main, next]) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
  return { events, hashes, logs };
}

describe('a Worker recording runs, against the same Worker without Taskscope', () => {
  it('stores the same job hashes (data, options, results, errors, attempts) and emits the same events', async () => {
    // First without Taskscope: no instance exists yet in this test file, so nothing is patched.
    const bare = await runScenario(async (queue, data, opts) => (await queue.add('order', data, opts)).id!);

    let app: TestApp | undefined;
    const withTaskscope = await runScenario(async (queue, data, opts) => {
      app = await startTestApp({}, async (ctx) => {
        ctx.body = { jobId: (await queue.add('order', data, opts)).id };
      });
      const { jobId } = await (await fetch(app.url)).json();
      // The runs prove Taskscope recorded this scenario (read before the queues are removed).
      const recorded = await eventually(() => jobRuns(app!.url, queue.name, jobId), (a) => allFinished(a, 2));
      expect(recorded.runs.map((run: any) => run.outcome)).toEqual(['failed', 'completed']);
      expect(recorded.runs[0].enqueued.tasks[0]).toMatchObject({ name: 'notify', data: { orderId: 42, when: '1970-01-01T00:00:00.000Z' } });
      expect(recorded.runs[0].logs.lines[0].line).toBe('attempt 1');
      return jobId;
    });
    await app?.close();
    expect(withTaskscope.events).toEqual(bare.events);
    expect(withTaskscope.logs).toEqual(bare.logs);
    // Every field, and the same set of fields: nothing of Taskscope's was added to a job.
    expect(withTaskscope.hashes).toEqual(bare.hashes);
  });
});
