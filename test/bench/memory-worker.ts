/**
 * One measurement of the memory bench, in its own process started with `--expose-gc`, on the
 * Node being measured. Prints its result as JSON:
 * - `per-task`: heap retained per tracked task at default limits, 100 requests × 100 adds;
 * - `caps`: a MemoryStore (100 records, 512 KB) after 2,000 saves;
 * - `big-strings`, `timers`, `closures`: what taskscope keeps alive beyond the app's own
 *   objects (see `retention-scenarios.ts`), next to what its MemoryStore counts.
 */
import * as bullmq from 'bullmq';
import { createTaskscope, MemoryStore, PROTOCOL_VERSION, type RequestRecord } from 'taskscope';
import { settledHeap } from './memory-heap.js';
import { RETENTION_SCENARIOS, runRetention } from './retention-scenarios.js';

const [part, host, port] = process.argv.slice(2) as [string, string, string];
const connection = { host, port: Number(port), maxRetriesPerRequest: null };

const REQUESTS = 100;
const TASKS_PER_REQUEST = 100;

async function perTask() {
  const queue = new bullmq.Queue(`bench-memory-${process.pid}`, { connection });
  await queue.waitUntilReady();
  const store = new MemoryStore();
  const core = createTaskscope({ enabled: true, store });
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
  const records = store.stats.records;
  await core.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { perTaskBytes: (after - before) / (REQUESTS * TASKS_PER_REQUEST), tasks: REQUESTS * TASKS_PER_REQUEST, records, requests: REQUESTS };
}

async function caps() {
  const store = new MemoryStore({ maxRecords: 100, maxBytes: 512 * 1024 });
  for (let i = 0; i < 2_000; i++) await store.save(fakeRecord(i));
  return store.stats;
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

let result: unknown;
if (part === 'per-task') result = await perTask();
else if (part === 'caps') result = await caps();
else if ((RETENTION_SCENARIOS as readonly string[]).includes(part)) result = await runRetention(part as (typeof RETENTION_SCENARIOS)[number], connection);
else throw new Error(`unknown memory part ${part}`);
console.log(JSON.stringify(result));
process.exit(0);
