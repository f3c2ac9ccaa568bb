import { runDeferredWork } from '../../server-lib/src/core/deferred-work.js';
import type { BuiltJob, EnqueueRecorder, EnqueueSpec, EnqueuedJob, PendingEnqueue } from '../../server-lib/src/core/scope.js';

/** One job BullMQ built during a call: its stored data and BullMQ's copy of its options. */
export interface BuiltRecord {
  queue: unknown;
  name: unknown;
  json: string;
  opts: unknown;
}

/** One `begin` call the instrumentation made, and how it was settled. */
export interface RecordedEnqueue {
  specs: EnqueueSpec[];
  built: BuiltRecord[];
  outcome?: { jobs: EnqueuedJob[] } | { error: unknown };
  settleCount: number;
}

/** An `EnqueueRecorder` that keeps every call, for tests of the instrumentation. */
export interface RecordingRecorder extends EnqueueRecorder {
  calls: RecordedEnqueue[];
  /** Every spec begun so far, across calls. */
  specs(): EnqueueSpec[];
  /** Every job built so far, across calls. */
  built(): BuiltRecord[];
  /** Every job settled so far, across calls. */
  jobs(): EnqueuedJob[];
}

/**
 * Creates a recorder that remembers what it was given.
 *
 * @example
 * ```ts
 * const recorder = createRecordingRecorder();
 * await runInRequestScope(recorder, () => queue.add('a', {}));
 * expect(recorder.calls).toHaveLength(1);
 * ```
 */
export function createRecordingRecorder(): RecordingRecorder {
  const calls: RecordedEnqueue[] = [];
  return {
    // Like a request's recording, what reads the calls first runs the turn's bookkeeping (the
    // instrumentation settles a call a moment after its result came in, see deferred-work.ts).
    get calls() {
      runDeferredWork();
      return calls;
    },
    begin(specs) {
      const call: RecordedEnqueue = { specs, built: [], settleCount: 0 };
      calls.push(call);
      const pending: PendingEnqueue = {
        inside: true,
        entered: false,
        begin: () => pending,
        built({ job, json }: BuiltJob) {
          call.built.push({ queue: job.queueName, name: job.name, json, opts: job.opts });
        },
        settle(outcome) {
          call.settleCount += 1;
          call.outcome = outcome;
        },
      };
      return pending;
    },
    specs() {
      runDeferredWork();
      return calls.flatMap((call) => call.specs);
    },
    built() {
      runDeferredWork();
      return calls.flatMap((call) => call.built);
    },
    jobs() {
      runDeferredWork();
      return calls.flatMap((call) => (call.outcome && 'jobs' in call.outcome ? call.outcome.jobs : []));
    },
  };
}
