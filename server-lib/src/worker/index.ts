/**
 * `taskscope/worker`: job-run recording in a worker process (issue 11).
 *
 * @example
 * ```ts
 * import { RedisStore } from 'taskscope';
 * import { instrumentWorkers } from 'taskscope/worker';
 * instrumentWorkers({ store: new RedisStore({ connection: process.env.REDIS_URL! }) });
 * ```
 */
export { instrumentWorkers, type WorkerInstrumentation, type WorkerInstrumentationOptions } from './instrument-workers.js';
