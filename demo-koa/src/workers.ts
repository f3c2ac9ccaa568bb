import { Worker } from 'bullmq';
import { PROCESSORS } from './processors.js';
import { QUEUE_NAMES, type QueueSettings } from './queues.js';

/** Queues whose jobs come in bursts get more than one job processed at a time. */
const CONCURRENCY: Partial<Record<string, number>> = { emails: 3, warehouse: 2 };

/**
 * Starts one BullMQ worker per shop queue. The web process runs them unless `DEMO_WORKERS=0`;
 * `npm run demo:worker` runs them alone.
 *
 * @returns a function that closes every worker, letting active jobs finish first.
 */
export function startWorkers(settings: QueueSettings): () => Promise<void> {
  const workers = QUEUE_NAMES.map((name) => {
    const worker = new Worker(name, PROCESSORS[name], { ...settings, concurrency: CONCURRENCY[name] ?? 1 });
    worker.on('error', (err) => console.error(`worker ${name}: ${err.message}`));
    return worker;
  });
  return async () => {
    await Promise.all(workers.map((worker) => worker.close()));
  };
}
