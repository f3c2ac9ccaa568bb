import type { CapturedTrace, EnqueueRecorder, EnqueueSpec, PendingEnqueue } from './scope.js';
import { NOOP_BATCH } from './pending-batch.js';

/** What can take a request's enqueues: its recording. */
interface ScopedRecorder {
  /** Frames to capture per enqueue, 0 when stacks are off or no more tasks are taken. */
  readonly captureFrames: number;
  begin(specs: EnqueueSpec[], trace?: CapturedTrace): PendingEnqueue;
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

  get captureFrames(): number {
    return this.recorder?.captureFrames ?? 0;
  }

  begin(specs: EnqueueSpec[], trace?: CapturedTrace): PendingEnqueue {
    return this.recorder?.begin(specs, trace) ?? NOOP_BATCH;
  }

  release(): void {
    this.recorder = undefined;
  }
}
