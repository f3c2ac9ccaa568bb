/**
 * Zero-config instrumentation of BullMQ's enqueue paths. Each enqueue reaches the request's
 * recorder exactly once, and the app sees BullMQ's own `this`, arguments, results and errors.
 *
 * Checked against bullmq 6.7's source: `Queue.addBulk` goes through `Job.createBulk`, not `add`;
 * `Queue.add` through `addJob` and `Job.create`; flows through `FlowProducer.addNode` and
 * `backend.addFlow`; and a Worker schedules the next iteration of a job scheduler through
 * `JobScheduler.prototype.upsertJobScheduler`, which is a different class from the patched
 * `Queue.prototype.upsertJobScheduler`. So no patched method calls another. Subclasses in apps
 * may (an `addBulk` override that calls `this.add`), hence the re-entrancy guard below.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLog } from '../core/log.js';
import { describeAdd, describeAddBulk, describeUpsertJobScheduler, jobsOfAdd, jobsOfAddBulk, jobsOfUpsertJobScheduler } from './enqueue-specs.js';
import { describeFlowAdd, describeFlowAddBulk, jobsOfFlowAdd, jobsOfFlowAddBulk } from './flow-specs.js';
import { esmEntryOfBullMQ } from './esm-entry.js';
import { hookJobs } from './job-hooks.js';
import { installOnce, replaceMethod } from '../core/patch-once.js';
import { wrapEnqueue, type Describe, type Outcome } from './wrap-enqueue.js';

/** The part of a bullmq module the instrumentation patches. */
export interface BullMQModule {
  Queue: Function;
  FlowProducer: Function;
  /** Hooked to read jobs as BullMQ serialises them (absent in a partial module: data then comes from the app). */
  Job?: Function;
}

const PATCHED = Symbol.for('taskscope.bullmq.patched');
const log = createLog();

// upsertJobScheduler is missing before bullmq 5.16: replaceMethod leaves a missing method alone.
// `state.active` false turns a wrapper another tracer wrapped on top of into a pass-through.
function patchPrototypeOnce(proto: object, methods: Array<[string, Describe, Outcome]>): () => void {
  return installOnce(proto, PATCHED, () => {
    const state = { active: true };
    const undos = methods.map(([method, describe, outcome]) => replaceMethod(proto, method, (original) => wrapEnqueue(original, describe, outcome, state)));
    return () => {
      state.active = false;
      undos.forEach((undo) => undo());
    };
  });
}

/**
 * Patches the given bullmq module's prototypes once (idempotent, marked with a Symbol.for key);
 * returns an undo.
 *
 * Patching is reference-counted: every call returns its own one-shot undo, and the original
 * methods come back when every caller has undone. So a test that instruments and undoes never
 * removes the instrumentation the app's middleware installed.
 *
 * @example
 * ```ts
 * import * as bullmq from 'bullmq';
 * const undo = instrumentBullMQ(bullmq);
 * // …
 * undo();
 * ```
 */
export function instrumentBullMQ(bullmq: BullMQModule): () => void {
  const undoQueue = patchPrototypeOnce(bullmq.Queue.prototype as object, [
    ['add', describeAdd as Describe, jobsOfAdd],
    ['addBulk', describeAddBulk as Describe, jobsOfAddBulk],
    ['upsertJobScheduler', describeUpsertJobScheduler as Describe, jobsOfUpsertJobScheduler],
  ]);
  const undoFlow = patchPrototypeOnce(bullmq.FlowProducer.prototype as object, [
    ['add', describeFlowAdd as Describe, jobsOfFlowAdd],
    ['addBulk', describeFlowAddBulk as Describe, jobsOfFlowAddBulk],
  ]);
  const undoJobs = hookJobsOnce(bullmq);
  return () => {
    undoQueue();
    undoFlow();
    undoJobs();
  };
}

// The Job hooks are shared by every instrumentBullMQ call on one module, like the prototypes' patches.
const JOB_HOOKS = Symbol.for('taskscope.bullmq.job-hooks');
function hookJobsOnce(bullmq: BullMQModule): () => void {
  if (typeof bullmq.Job !== 'function') return () => {};
  return installOnce(bullmq.Job, JOB_HOOKS, () => hookJobs(bullmq));
}

function isBullMQ(value: unknown): value is BullMQModule {
  const mod = value as Partial<BullMQModule> | null;
  return typeof mod?.Queue === 'function' && typeof mod.FlowProducer === 'function';
}

/**
 * Instruments the bullmq the app resolves (from `process.cwd()`) and the one taskscope itself
 * resolves, each once. Never throws; logs once when bullmq can't be found.
 *
 * The CommonJS copies are patched before this returns. An ESM-only copy (a bullmq whose
 * "exports" map sends `import` elsewhere) is patched a few ticks later, once `import()` settles,
 * which is before any request arrives in practice.
 *
 * @example
 * ```ts
 * instrumentInstalledBullMQ(); // at middleware creation
 * ```
 */
export function instrumentInstalledBullMQ(): void {
  const bases = [join(process.cwd(), 'package.json'), import.meta.url];
  let found = 0;
  for (const base of bases) {
    try {
      const requireFrom = createRequire(base);
      const mod: unknown = requireFrom('bullmq');
      if (!isBullMQ(mod)) continue;
      instrumentBullMQ(mod);
      found += 1;
      const esm = esmEntryOfBullMQ(requireFrom);
      if (esm !== undefined) {
        import(pathToFileURL(esm).href).then(
          (loaded: unknown) => {
            if (isBullMQ(loaded)) instrumentBullMQ(loaded);
          },
          (error: unknown) => log.warnOnce('bullmq-esm', 'could not instrument the ESM build of bullmq', error),
        );
      }
    } catch {
      // Not resolvable from here; the other base may still find it.
    }
  }
  if (found === 0) {
    log.warnOnce('no-bullmq', 'bullmq could not be found from the working directory; jobs will not be tracked. Call instrumentBullMQ(bullmq) yourself if it lives elsewhere');
  }
}
