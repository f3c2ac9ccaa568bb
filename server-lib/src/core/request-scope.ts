import type { EnqueueRecorder, EnqueueSpec, PendingEnqueue } from './scope.js';
import { NOOP_BATCH } from './pending-batch.js';

/** What can take a request's enqueues: its recording. */
interface ScopedRecorder {
  begin(specs: EnqueueSpec[], caller?: Function): PendingEnqueue;
}

/**
 * What a request's async context holds. Timers, sockets and promises an app starts inside a
 * request keep that context alive, sometimes for the life of the process; this small handle is
 * all they keep once the request's late window has closed and it let go of the recording.
 *
 * @example
 * ```ts
 * runInRequestScope(new RequestScope(recording), () => next());
 * scope.release(); // later: the recording can be collected
 * ```
 */
export class RequestScope implements EnqueueRecorder {
  private recorder: ScopedRecorder | undefined;

  constructor(recorder: ScopedRecorder) {
    this.recorder = recorder;
  }

  begin(specs: EnqueueSpec[], caller?: Function): PendingEnqueue {
    return this.recorder?.begin(specs, caller) ?? NOOP_BATCH;
  }

  release(): void {
    this.recorder = undefined;
  }
}
