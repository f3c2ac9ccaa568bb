import type { EnqueueRecorder, EnqueueSpec, EnqueuedJob } from '../../server-lib/src/core/scope.js';

/** One `begin` call the instrumentation made, and how it was settled. */
export interface RecordedEnqueue {
  specs: EnqueueSpec[];
  outcome?: { jobs: EnqueuedJob[] } | { error: unknown };
  settleCount: number;
}

/** An `EnqueueRecorder` that keeps every call, for tests of the instrumentation. */
export interface RecordingRecorder extends EnqueueRecorder {
  calls: RecordedEnqueue[];
  /** Every spec begun so far, across calls. */
  specs(): EnqueueSpec[];
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
    calls,
    begin(specs) {
      const call: RecordedEnqueue = { specs, settleCount: 0 };
      calls.push(call);
      return {
        settle(outcome) {
          call.settleCount += 1;
          call.outcome = outcome;
        },
      };
    },
    specs: () => calls.flatMap((call) => call.specs),
    jobs: () => calls.flatMap((call) => (call.outcome && 'jobs' in call.outcome ? call.outcome.jobs : [])),
  };
}
