import type { WsConnectionRecording } from './connection-recording.js';
import type { RequestRecord } from '../protocol.js';
import { RequestRecording } from '../core/request-recording.js';
import type { CapturedTrace, EnqueueRecorder, EnqueueSpec, PendingEnqueue } from '../core/scope.js';
import type { TaskscopeRuntime } from '../core/runtime.js';
import { NOOP_BATCH } from '../core/pending-batch.js';
import type { TurnClock } from './turn-clock.js';


/**
 * The Taskscope scope of one received message. Its jobs are recorded by the core's own
 * {@link RequestRecording} (call sites, N+1, duplicates exactly as for a request), made only
 * when the first job is enqueued, so a message that enqueues nothing costs one small object.
 * The recording is "finished" when the turn of the event loop that delivered the message is
 * over: jobs enqueued later (after an `await`), still in the message's async context, are its
 * `late` tasks, for `limits.lateGraceMs`.
 *
 * @example
 * ```ts
 * const scope = new MessageScope(runtime, clock, connection, seq);
 * runInRequestScope(scope, () => emit('message', data));
 * ```
 */
export class MessageScope implements EnqueueRecorder {
  private recording: RequestRecording | undefined;
  private readonly turn: number;
  /** Jobs of this message the connection's `taskCount` has. */
  private counted = 0;

  constructor(
    private readonly runtime: TaskscopeRuntime,
    private readonly clock: TurnClock,
    private readonly connection: WsConnectionRecording,
    private readonly seq: number,
  ) {
    this.turn = clock.current();
  }

  /** Frames the instrumentation captures per enqueue, as for a request. */
  get captureFrames(): number {
    const { options } = this.runtime;
    return options.captureStacks ? options.limits.maxStackFrames : 0;
  }

  begin(specs: EnqueueSpec[], trace?: CapturedTrace): PendingEnqueue {
    try {
      if (!this.recording) {
        const recording = new RequestRecording(this.sinkRuntime(), 'WS', this.connection.head.url);
        this.recording = recording;
        this.jobsRecorded(recording.record);
        if (this.clock.current() !== this.turn) void recording.finish(0);
        else this.clock.atEnd(() => void recording.finish(0));
      }
    } catch (error) {
      this.runtime.log.warnOnce('ws-scope', 'could not record a WebSocket message\'s jobs', error);
      return NOOP_BATCH;
    }
    return this.recording.begin(specs, trace);
  }

  /** The runtime of the request recording, whose saves hand the record to the connection. */
  private sinkRuntime(): TaskscopeRuntime {
    return {
      ...this.runtime,
      saveRecord: (record) => {
        this.jobsRecorded(record);
        return undefined;
      },
    };
  }

  private jobsRecorded(record: RequestRecord): void {
    // The same record object comes back with every save of it, grown: count only what is new.
    this.connection.jobsRecorded(this.seq, record, this.counted);
    this.counted = record.summary.total;
  }
}
