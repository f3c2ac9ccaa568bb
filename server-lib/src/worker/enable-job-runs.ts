import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { TaskscopeRuntime } from '../core/runtime.js';
import { registerJobRuns } from './lineage.js';
import { patchWorkers, type WorkerModule } from './patch-worker.js';

function isWorkerModule(value: unknown): value is WorkerModule {
  return typeof (value as Partial<WorkerModule> | null)?.Worker === 'function';
}

/**
 * Records job runs for `runtime`: links the jobs its requests enqueue, and instruments the
 * Workers of the bullmq the app resolves (and of the one given). Returns the undo.
 *
 * @example
 * ```ts
 * const stop = enableJobRuns(runtime);
 * ```
 */
export function enableJobRuns(runtime: TaskscopeRuntime, bullmq?: WorkerModule): () => void {
  const undos = [registerJobRuns(runtime)];
  if (bullmq !== undefined) undos.push(patchWorkers(bullmq));
  else {
    // Like the enqueue instrumentation: the app's bullmq (from the working directory) and ours.
    const seen = new Set<unknown>();
    for (const base of [join(process.cwd(), 'package.json'), import.meta.url]) {
      try {
        const mod: unknown = createRequire(base)('bullmq');
        if (!isWorkerModule(mod) || seen.has(mod)) continue;
        seen.add(mod);
        undos.push(patchWorkers(mod));
      } catch {
        // Not resolvable from here; the other base may still find it.
      }
    }
  }
  return () => undos.forEach((undo) => undo());
}
