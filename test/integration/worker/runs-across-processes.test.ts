import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisStore } from 'taskscope';
import { startTestApp, type TestApp } from '../../support/koa-app.js';
import { freshQueueName, redisClient, redisConnection } from '../../support/redis.js';
import { allFinished, eventually, jobRuns, lineage } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/worker-process.ts', import.meta.url));

function startWorkerProcess(namespace: string, names: object): Promise<ChildProcess> {
  const { hostname, port } = new URL(inject('redisUrl'));
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', FIXTURE, hostname, port, namespace, JSON.stringify(names)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker process exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
  });
}

// The web app in this process, its Workers in another: one RedisStore namespace shared by both.
describe('Workers in another process with instrumentWorkers({ store: RedisStore })', () => {
  const namespace = `taskscope-${randomUUID().slice(0, 8)}`;
  const names = { orders: freshQueueName('orders'), emails: freshQueueName('emails'), pdfs: freshQueueName('pdfs'), hang: freshQueueName('hang') };
  const connection = redisConnection();
  const client = redisClient();
  const queues = Object.fromEntries(Object.entries(names).map(([key, name]) => [key, new Queue(name, { connection })])) as Record<keyof typeof names, Queue>;
  let child: ChildProcess;
  let app: TestApp;

  beforeAll(async () => {
    child = await startWorkerProcess(namespace, names);
    // bullmq.connection: the live state of follow-up jobs, whose queues this process never used.
    app = await startTestApp({ store: new RedisStore({ connection: client, namespace }), bullmq: { connection } }, async (ctx) => {
      const queue = ctx.path === '/hang' ? queues.hang : queues.orders;
      ctx.body = { jobId: (await queue.add(ctx.path === '/hang' ? 'hang' : 'place-order', { orderId: 9 }, { attempts: 2 })).id };
    });
  });

  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await app.close();
    for (const queue of Object.values(queues)) {
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await client.quit();
  });

  it('links the runs of the other process to the request, to depth 3, through the shared store', async () => {
    const response = await fetch(`${app.url}/order`);
    const requestId = response.headers.get('x-debug-id')!;
    const tree = await eventually(() => lineage(app.url, requestId), (a) => a.jobs.length === 5 && a.jobs.every((job: any) => job.lastOutcome === 'completed'));
    expect(tree.jobs.map((job: any) => job.depth)).toEqual([1, 2, 3, 3, 3]);
    expect(tree.jobs[1].nPlusOneCount).toBe(1);
    expect(tree.jobs.map((job: any) => job.status.state)).toEqual(['completed', 'completed', 'completed', 'completed', 'completed']);
    const order = await jobRuns(app.url, names.orders, tree.jobs[0].jobId);
    expect(order.runs[0]).toMatchObject({ outcome: 'completed', worker: { pid: child.pid } });
    expect(order.runs[0].logs.lines[0].line).toBe(`order 9 in pid ${child.pid}`);
    // Stored whole, as workers of earlier versions wrote runs: a web app of either version reads it.
    const raw = await client.hget(`${namespace}:job:bull:${names.orders}:${tree.jobs[0].jobId}`, 'r:1');
    expect(JSON.parse(raw!)).toEqual(order.runs[0]);
  });

  it('shows the attempt of a worker that died as stalled, and the attempt that took over', async () => {
    const { jobId } = await (await fetch(`${app.url}/hang`)).json();
    await eventually(() => jobRuns(app.url, names.hang, jobId), (a) => a.runs.length === 1 && a.runs[0].outcome === 'running');
    child.kill('SIGKILL');
    await once(child, 'exit');
    // A Worker in this process finds the job stalled once the dead one's lock expires, and runs it.
    const rescuer = new Worker(names.hang, async () => ({ rescued: true }), { connection, stalledInterval: 300 });
    try {
      const answer = await eventually(() => jobRuns(app.url, names.hang, jobId), (a) => allFinished(a, 2));
      expect(answer.runs.map((run: any) => [run.attempt, run.outcome, run.retried, run.worker.pid])).toEqual([
        [1, 'stalled', true, child.pid],
        [2, 'completed', null, process.pid],
      ]);
    } finally {
      await rescuer.close();
    }
  });
});
