import { Queue, Worker } from 'bullmq';
import type { Store } from 'taskscope';
import { instrumentWorkers } from 'taskscope/worker';
import { createProcessors } from './processors.js';
import { QUEUE_NAMES, type QueueSettings } from './queues.js';

/** Queues whose jobs come in bursts get more than one job processed at a time. */
const CONCURRENCY: Partial<Record<string, number>> = { emails: 3, warehouse: 2 };

/**
 * Starts one BullMQ worker per shop queue. The web process runs them unless `DEMO_WORKERS=0`;
 * `npm run demo:worker` runs them alone, with `store`: the web app's RedisStore, so the runs
 * of its jobs (and the jobs they enqueue) are recorded here and shown in the panel. In the web
 * process `taskscope()` already records them: no store is passed.
 *
 * @returns a function that closes every worker, letting active jobs finish first.
 */
export function startWorkers(settings: QueueSettings, options: { store?: Store } = {}): () => Promise<void> {
  const taskscope = options.store ? instrumentWorkers({ store: options.store }) : undefined;
  // Processors enqueue follow-up jobs (receipt PDFs, stock reservations) through these.
  const followUps = { billing: new Queue('billing', settings), warehouse: new Queue('warehouse', settings) };
  const processors = createProcessors(followUps);
  const workers = QUEUE_NAMES.map((name) => {
    const worker = new Worker(name, processors[name], { ...settings, concurrency: CONCURRENCY[name] ?? 1 });
    worker.on('error', (err) => console.error(`worker ${name}: ${err.message}`));
    return worker;
  });
  return async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await Promise.all([followUps.billing.close(), followUps.warehouse.close()]);
    await taskscope?.close();
  };
}
