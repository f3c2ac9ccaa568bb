/**
 * Late windows are bounded: an app at a high request rate keeps no more of them open than its
 * store keeps records (at most 1,000), so the records of requests whose async context lives on
 * (timers, sockets opened inside a request) are never held beyond that.
 */
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createTaskscope, MemoryStore, type RequestRecord, type Taskscope } from 'taskscope';
import { freshQueueName, redisConnection } from '../support/redis.js';

const closables: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const closable of closables.splice(0).reverse()) await closable.close();
});

/** A job the request will enqueue in its own async context, once `fire` is called. */
function lateJob(queue: Queue, name: string) {
  let fire!: () => void;
  const gate = new Promise<void>((resolve) => { fire = resolve; });
  let added!: Promise<unknown>;
  return {
    handler: () => { added = gate.then(() => queue.add(name, {})); },
    fire: () => { fire(); return added; },
  };
}

async function request(core: Taskscope, handler: () => void = () => {}): Promise<string> {
  const tracked = core.track('GET', '/ping')!;
  tracked.run(handler);
  await tracked.finish(200);
  return tracked.id;
}

/** An app whose store keeps more records than windows stay open (2,000 against 1,000). */
function app(): { store: MemoryStore; core: Taskscope; queue: Queue } {
  const store = new MemoryStore({ maxRecords: 2_000 });
  const core = createTaskscope({ enabled: true, store });
  const queue = new Queue(freshQueueName('late'), { connection: redisConnection() });
  closables.push(core, queue);
  return { store, core, queue };
}

describe('the late window of a request', () => {
  it('closes early once 1,000 newer requests have theirs open, and the record says when', async () => {
    const { store, core, queue } = app();
    const late = lateJob(queue, 'too-late');
    const first = await request(core, late.handler);
    const opened = (await store.get(first))!.lateUntil!;
    expect(opened).toBeGreaterThan(Date.now() + 20_000);
    for (let i = 0; i < 1_000; i += 1) await request(core);
    const closedAt = Date.now();
    const record = (await store.get(first)) as RequestRecord;
    expect(record.lateUntil).toBeLessThanOrEqual(closedAt);
    await late.fire();
    expect(record.tasks).toEqual([]);
    expect(record.summary.late).toBe(0);
  });

  it('stays open for a late job while fewer newer requests came', async () => {
    const { store, core, queue } = app();
    const late = lateJob(queue, 'in-time');
    const first = await request(core, late.handler);
    for (let i = 0; i < 999; i += 1) await request(core);
    await late.fire();
    await new Promise((resolve) => setTimeout(resolve, 20)); // recorded a moment after it settled
    const record = (await store.get(first))!;
    expect(record.tasks).toMatchObject([{ name: 'in-time', late: true }]);
  });
});
