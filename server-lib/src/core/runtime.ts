import { createLog, type TaskscopeLog } from './log.js';
import type { ResolvedOptions } from './options.js';
import { createRedactor, type KeyRedactor } from './redact.js';
import { createSerializer, type SnapshotResult } from './serialize.js';
import { deferStack, type DeferredStack } from './deferred-stack.js';
import { MemoryStore } from '../store/memory-store.js';
import type { SaveMeta, Store } from '../store/store.js';
import type { RequestRecord } from '../protocol.js';
import type { CapturedTrace } from './scope.js';
import { createLateWindows, MAX_OPEN_BYTES, MAX_OPEN_RUN_WINDOWS, MAX_OPEN_WINDOWS, type LateWindows } from './late-windows.js';
import { createRecordSaver } from './record-saver.js';


/** What every request recording of one Taskscope instance shares. */
export interface TaskscopeRuntime {
  readonly options: ResolvedOptions;
  readonly store: Store;
  readonly log: TaskscopeLog;
  serialize(value: unknown): SnapshotResult;
  /** The `redact` rules as a test of one key (for query parameters of recorded URLs). */
  isSecretKey: KeyRedactor;
  /** The application frames of the trace the instrumentation captured: read soon after (see deferred-stack.ts). */
  callerStack(trace: CapturedTrace): DeferredStack;
  /** Closes requests' late windows (one shared timer). */
  readonly lateWindows: LateWindows;
  /** Closes job runs' late windows: apart, so a busy worker never closes a request's early. */
  readonly runLateWindows: LateWindows;
  /** True when `saveRecord` saves before it returns (the MemoryStore): nothing to wait for. */
  readonly savesAtOnce: boolean;
  /** Saves a record without letting a slow or dead store hold the response (see record-saver.ts). */
  saveRecord(record: RequestRecord, meta: SaveMeta): Promise<void> | undefined;
  /** A record by id: this process's unsaved ones first, then the store's. */
  readRecord(id: string): Promise<RequestRecord | undefined>;
  /** Records that could not be saved since start. */
  lostRecords(): number;
  /** This process's records whose save is in flight or failed, newest first. */
  unsavedRecords(): RequestRecord[];
}


/**
 * Builds the shared runtime from resolved options.
 *
 * @example
 * ```ts
 * const runtime = createRuntime(resolveOptions({}));
 * runtime.serialize({ password: 'x' }); // { value: { password: { $taskscope: 'redacted' } }, … }
 * ```
 */
export function createRuntime(options: ResolvedOptions, log: TaskscopeLog = createLog()): TaskscopeRuntime {
  const serialize = createSerializer({ limits: options.limits, redact: options.redact });
  const store = options.store ?? new MemoryStore();
  const maxFrames = options.limits.maxStackFrames;
  const stackOptions = { maxFrames, cwd: options.root };
  const saver = createRecordSaver(store, log);

  return {
    options,
    store,
    log,
    isSecretKey: createRedactor(options.redact),
    serialize(value) {
      try {
        return serialize(value);
      } catch (error) {
        log.warnOnce('serialize', 'could not snapshot job data', error);
        return { value: { $taskscope: 'unreadable', reason: 'serializer failed' }, truncated: true, bytes: 0 };
      }
    },
    callerStack: (trace) => deferStack(trace, stackOptions),
    lateWindows: lateWindowsFor(store),
    runLateWindows: createLateWindows(MAX_OPEN_RUN_WINDOWS, Number.POSITIVE_INFINITY, { weak: true }),
    savesAtOnce: store instanceof MemoryStore,
    saveRecord: (record, meta) => saver.save(record, meta),
    async readRecord(id) {
      return saver.unsaved(id) ?? store.get(id);
    },
    lostRecords: () => saver.lost(),
    unsavedRecords: () => saver.unsavedRecords(),
  };
}

/**
 * Open late windows hold their records: with the MemoryStore no more than it keeps itself (the
 * newest requests' records are the ones both hold).
 */
function lateWindowsFor(store: Store): LateWindows {
  if (!(store instanceof MemoryStore)) return createLateWindows();
  return createLateWindows(Math.min(MAX_OPEN_WINDOWS, store.maxRecords), Math.min(MAX_OPEN_BYTES, store.maxBytes));
}
