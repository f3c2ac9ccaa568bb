import type { RequestRecord } from '../protocol.js';
import { RequestRecording } from '../core/request-recording.js';
import type { EnqueueRecorder, EnqueueSpec, PendingEnqueue } from '../core/scope.js';
import type { TaskscopeRuntime } from '../core/runtime.js';
import type { Store } from '../store/store.js';

const NOOP_PENDING: PendingEnqueue = { settle() {} };

/**
 * The Taskscope scope of one received message. Its jobs are recorded by the core's own
 * {@link RequestRecording} (call sites, N+1, duplicates exactly as for a request), made only
 * when the first job is enqueued, so a message that enqueues nothing costs one small object.
 * The recording is "finished" when the listeners return: jobs enqueued later, still in the
 * message's async context, are its `late` tasks, for `limits.lateGraceMs`.
 *
 * @example
 * ```ts
 * const scope = new MessageScope(runtime, '/live', (record) => connection.jobsRecorded(message, record));
 * runInRequestScope(scope, () => emit('message', data));
 * scope.listenersReturned();
 * ```
 */
export class MessageScope implements EnqueueRecorder {
  private recording: RequestRecording | undefined;
  private returned = false;

  constructor(
    private readonly runtime: TaskscopeRuntime,
    private readonly url: string,
    private readonly onRecord: (record: RequestRecord) => void,
  ) {}

  begin(specs: EnqueueSpec[], caller?: Function): PendingEnqueue {
    try {
      if (!this.recording) {
        this.recording = new RequestRecording(this.sinkRuntime(), 'WS', this.url);
        this.onRecord(this.recording.record);
        if (this.returned) void this.recording.finish(0);
      }
    } catch (error) {
      this.runtime.log.warnOnce('ws-scope', 'could not record a WebSocket message\'s jobs', error);
      return NOOP_PENDING;
    }
    return this.recording.begin(specs, caller);
  }

  /** The message's listeners returned: what they enqueue from now on is late. */
  listenersReturned(): void {
    this.returned = true;
    if (this.recording) void this.recording.finish(0);
  }

  /** The runtime of the request recording, whose "store" hands each save to the connection. */
  private sinkRuntime(): TaskscopeRuntime {
    const onRecord = this.onRecord;
    const sink: Store = {
      async save(record) {
        onRecord(record);
      },
      get: async () => undefined,
      list: async () => [],
    };
    return { ...this.runtime, store: sink };
  }
}
