import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/koa-app.js';
import { freshQueueName, redisConnection } from '../../support/redis.js';
import { allFinished, eventually, jobRuns } from './helpers.js';

// Until a lineage is first asked for, a process keeps its requests' job links in a ring of
// arrays rather than a map (see worker/recent-links.ts): a Worker started later must find them.
describe('a Worker started in the process after the requests that enqueued its jobs', () => {
  const connection = redisConnection();
  const name = freshQueueName('late-worker');
  const queue = new Queue(name, { connection });
  let worker: Worker | undefined;
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({}, async (ctx) => {
      const jobs = await queue.addBulk([{ name: 'export', data: { part: 1 } }, { name: 'export', data: { part: 2 } }]);
      const single = await queue.add('export', { part: 3 });
      ctx.body = { jobIds: [...jobs.map((job) => job.id), single.id] };
    });
  });

  afterAll(async () => {
    await worker?.close();
    await app.close();
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('records the runs of every job, each linked to its request and task', async () => {
    const first = await fetch(`${app.url}/export`);
    const second = await fetch(`${app.url}/export`);
    const requests = [first, second].map((response) => response.headers.get('x-debug-id'));
    const ids = [...(await first.json()).jobIds, ...(await second.json()).jobIds] as string[];

    worker = new Worker(name, async (job) => ({ exported: job.data.part }), { connection });
    for (const [index, jobId] of ids.entries()) {
      const answer = await eventually(() => jobRuns(app.url, name, jobId), (a) => allFinished(a, 1));
      const requestId = requests[Math.floor(index / 3)];
      expect(answer.lineage).toEqual({ requestId, parent: { kind: 'request', requestId, seq: (index % 3) + 1 }, depth: 1 });
      expect(answer.runs).toMatchObject([{ attempt: 1, outcome: 'completed' }]);
    }
  });
});
