import * as bullmq from 'bullmq';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createTaskscope, MemoryStore, PROTOCOL_VERSION, type RequestRecord } from 'taskscope';
import { instrumentBullMQ } from '../../server-lib/src/bullmq/instrument.js';
import { report, sleep } from './stats.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed;
}

const REQUESTS = 100;
const TASKS_PER_REQUEST = 100;

/** Heap retained per tracked task at default limits (target ≤ 1 KB), and the memory store's caps. */
export async function benchMemory(connection: bullmq.ConnectionOptions): Promise<boolean> {
  const queue = new bullmq.Queue(`bench-memory-${process.pid}`, { connection });
  await queue.waitUntilReady();
  const core = createTaskscope({ enabled: true, bullmq: { instrument: false } });
  const undo = instrumentBullMQ(bullmq);
  const enqueue = async (request: number) => {
    for (let i = 0; i < TASKS_PER_REQUEST; i++) {
      await queue.add('send-email', { to: `customer-${request}-${i}@example.com`, orderId: request * 1000 + i });
    }
  };
  await enqueue(-1); // warm-up outside any request: nothing recorded
  const before = await settledHeap();
  for (let request = 0; request < REQUESTS; request++) {
    const tracked = core.track('POST', `/orders/${request}`)!;
    await tracked.run(() => enqueue(request));
    await tracked.finish(201);
  }
  const after = await settledHeap();
  const stored = await core.store!.list(1000);
  undo();
  await core.close();
  await queue.obliterate({ force: true });
  await queue.close();

  const perTask = (after - before) / (REQUESTS * TASKS_PER_REQUEST);
  const okPerTask = perTask <= 1024 && stored.length === REQUESTS;
  report('retained heap per tracked task', `${perTask.toFixed(0)} B over ${REQUESTS * TASKS_PER_REQUEST} tasks (target ≤ 1024 B)`, okPerTask);

  const store = new MemoryStore({ maxRecords: 100, maxBytes: 512 * 1024 });
  for (let i = 0; i < 2_000; i++) await store.save(fakeRecord(i));
  const { records, bytes } = store.stats;
  const okCaps = records <= 100 && bytes <= 512 * 1024;
  report('memory store after 2,000 saves', `${records} records, ${bytes} B (caps 100 records, 524288 B)`, okCaps);
  return okPerTask && okCaps;
}

function fakeRecord(i: number): RequestRecord {
  return {
    version: PROTOCOL_VERSION,
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    request: { method: 'GET', url: `/r/${i}`, status: 200, startedAt: Date.now(), durationMs: 1 },
    summary: { total: 0, jobs: 0, duplicates: 0, calls: 0, immediate: 0, delayed: 0, failed: 0, late: 0, enqueueMs: 0, byQueue: {}, byName: {}, untallied: 0 },
    tasks: [],
    nPlusOne: [],
    droppedTasks: 0,
    revision: 1,
    lateUntil: null,
  };
}
