import { instrumentBullMQ, instrumentInstalledBullMQ, type BullMQModule } from '../bullmq/instrument.js';
import { resolveOptions, type TaskscopeOptions } from '../core/options.js';
import { createRuntime } from '../core/runtime.js';
import { runDeferredWork } from '../core/deferred-work.js';
import type { Store } from '../store/store.js';
import { enableJobRuns } from './enable-job-runs.js';
import type { WorkerModule } from './patch-worker.js';

/** Options of {@link instrumentWorkers}: the web app's, where they apply to a worker process. */
export interface WorkerInstrumentationOptions extends Pick<TaskscopeOptions, 'enabled' | 'store' | 'captureStacks' | 'nPlusOneThreshold' | 'redact' | 'limits' | 'root'> {
  /**
   * The bullmq module to instrument, when it is not the one the app resolves from its working directory.
   * @defaultValue the installed `bullmq`
   */
  bullmq?: BullMQModule & WorkerModule;
}

/** Job-run recording in a worker process; `close` stops it and releases what Taskscope opened itself. */
export interface WorkerInstrumentation {
  readonly enabled: boolean;
  readonly store: Store | undefined;
  close(): Promise<void>;
}

/**
 * Records, in this (worker) process, what each job descending from a tracked request did: every
 * attempt of it, and the jobs its processor enqueues. Call it once, before the Workers start
 * processing, with the web app's `RedisStore` (same Redis, same namespace): the web app links
 * each job it enqueues there, and this process finds the link by the job's id. Jobs data and
 * options are never changed; jobs not descending from a tracked request are not recorded.
 *
 * A Worker in the web app's own process needs none of this: `taskscope()` records its runs.
 *
 * @example
 * ```ts
 * import { RedisStore } from 'taskscope';
 * import { instrumentWorkers } from 'taskscope/worker';
 * instrumentWorkers({ store: new RedisStore({ connection: process.env.REDIS_URL! }) });
 * new Worker('emails', sendEmail, { connection });
 * ```
 */
export function instrumentWorkers(options: WorkerInstrumentationOptions = {}): WorkerInstrumentation {
  const { bullmq, ...rest } = options;
  const resolved = resolveOptions(rest);
  if (!resolved.enabled) return { enabled: false, store: undefined, close: async () => {} };
  const runtime = createRuntime(resolved);
  // Follow-up jobs are recorded like a request's tasks: the enqueue paths are instrumented too.
  const undoEnqueue = bullmq ? instrumentBullMQ(bullmq) : (instrumentInstalledBullMQ(), () => {});
  const stop = enableJobRuns(runtime, bullmq);
  return {
    enabled: true,
    store: runtime.store,
    async close() {
      runDeferredWork(); // runs that just finished are written (their write waits for the next batch)
      stop();
      undoEnqueue();
      runtime.lateWindows.stop();
      runtime.runLateWindows.stop();
      if (!resolved.store) await runtime.store.close?.();
    },
  };
}
