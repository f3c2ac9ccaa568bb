import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskscope, MemoryStore, type Taskscope } from 'taskscope';
import type { RequestRecord } from 'taskscope/protocol';
import { sourceCount } from '../../server-lib/src/bullmq/source-registry.js';
import { freshQueueName, redisConnection } from '../support/redis.js';

// Whatever the app enqueues, what Taskscope keeps is bounded by its limits, and the work it
// does per add does not grow with the app's data.

let queue: Queue;
let store: MemoryStore;
let core: Taskscope;

beforeAll(() => {
  queue = new Queue(freshQueueName('bounds'), { connection: redisConnection() });
  store = new MemoryStore();
  core = createTaskscope({ enabled: true, store });
});

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  await core.close();
});

async function tracked(fn: () => Promise<unknown>): Promise<{ record: RequestRecord; json: string; counted: number }> {
  const before = store.stats.bytes;
  const request = core.track('POST', '/bounds')!;
  await request.run(fn);
  await request.finish(200);
  const answer = await core.api!.handle({
    method: 'GET', path: `/__taskscope/requests/${request.id}`, query: new URLSearchParams(),
    headers: { host: 'localhost' }, remoteAddress: '127.0.0.1',
  });
  return { record: JSON.parse(answer.body) as RequestRecord, json: answer.body, counted: store.stats.bytes - before };
}

describe('what a record keeps', () => {
  it('bounds a 1 MB job name to 256 characters', async () => {
    const { record, json } = await tracked(() => queue.add('n'.repeat(1_000_000), {}));
    expect(record.tasks[0]!.name).toHaveLength(257);
    expect(record.tasks[0]!.name.endsWith('…')).toBe(true);
    expect(Object.keys(record.summary.byName)[0]).toHaveLength(257);
    expect(json.length).toBeLessThan(10_000);
  });

  it('tallies at most 100 job names however many a request uses, and says how many were left out', async () => {
    const jobs = Array.from({ length: 3_000 }, (_, n) => ({ name: `name-${n}`, data: {} }));
    const { record, json } = await tracked(() => queue.addBulk(jobs));
    expect(Object.keys(record.summary.byName)).toHaveLength(100);
    expect(record.summary.untallied).toBe(2_900);
    expect(record.summary.total).toBe(3_000);
    expect(record.tasks).toHaveLength(1_000);
    expect(record.droppedTasks).toBe(2_000);
    expect(json.length).toBeLessThan(1_000_000);
  });

  it('records a job whose name cannot be printed, marked as such', async () => {
    const name = { toString() { throw new Error('no name'); } };
    const { record } = await tracked(() => queue.add(name as unknown as string, {}).catch(() => undefined));
    expect(record.tasks[0]!.name).toBe('[unprintable]');
  });

  it('never walks the app\'s data: a Map with a 10 MB key costs what BullMQ makes of it', async () => {
    let iterated = 0;
    class CountingMap<K, V> extends Map<K, V> {
      override entries(): MapIterator<[K, V]> { iterated += 1; return super.entries(); }
      override [Symbol.iterator](): MapIterator<[K, V]> { iterated += 1; return super[Symbol.iterator](); }
      override forEach(...args: Parameters<Map<K, V>['forEach']>): void { iterated += 1; super.forEach(...args); }
    }
    const data = { index: new CountingMap([['k'.repeat(10_000_000), 1]]) };
    const { record } = await tracked(() => queue.add('indexed', data));
    expect(iterated).toBe(0);
    expect(record.tasks[0]!.data).toEqual({ index: {} });
  });

  it.each([
    { label: 'no data', data: {} },
    { label: 'a small order', data: { orderId: 42, to: 'a@b.c', items: [{ sku: 'A-1', qty: 2 }, { sku: 'B-7', qty: 1 }] } },
    { label: '10 KB of text, kept as a 1 KB preview', data: { body: 'lorem ipsum '.repeat(850) } },
  ])('is counted by the MemoryStore within ±25 % of its JSON: $label', async ({ data }) => {
    const before = store.stats.bytes;
    const { json } = await tracked(async () => {
      for (let i = 0; i < 5; i += 1) await queue.add('send', data, { attempts: 3 });
    });
    // Large data is compacted into its snapshot just after the response; the count follows.
    await new Promise((resolve) => setTimeout(resolve, 10));
    const counted = store.stats.bytes - before;
    expect(counted / json.length).toBeGreaterThanOrEqual(0.75);
    expect(counted / json.length).toBeLessThanOrEqual(1.25);
  });
});

describe('the registry of queues that enqueued', () => {
  it('keeps nothing of queues the app closed', async () => {
    const before = sourceCount();
    for (let i = 0; i < 200; i += 1) {
      const tenant = new Queue(freshQueueName(`tenant-${i}`), { connection: redisConnection() });
      await tracked(() => tenant.add('welcome', {}));
      await tenant.obliterate({ force: true });
      await tenant.close();
    }
    expect(sourceCount() - before).toBeLessThanOrEqual(64);
  });
});
