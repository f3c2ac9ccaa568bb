import type { StackFrame } from '../protocol.js';
import { createLog, type TaskscopeLog } from './log.js';
import type { ResolvedOptions } from './options.js';
import { createRedactor, type KeyRedactor } from './redact.js';
import { createSerializer, type SnapshotResult } from './serialize.js';
import { captureCallSite, formatCallSite, type CallSite, type FormattedStack } from './stack.js';
import { MemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';

/** What every request recording of one Taskscope instance shares. */
export interface TaskscopeRuntime {
  readonly options: ResolvedOptions;
  readonly store: Store;
  readonly log: TaskscopeLog;
  serialize(value: unknown): SnapshotResult;
  /** The `redact` rules as a test of one key (for query parameters of recorded URLs). */
  isSecretKey: KeyRedactor;
  /** Captures the stack below `caller` (the instrumentation's wrapper), or below the recorder. */
  captureCallSite(caller?: Function): CallSite;
  formatCallSite(site: CallSite): FormattedStack;
  /** Counts a record the store could not take (down, too slow); logged periodically. */
  noteLostRecord(error: unknown): void;
  /** Records lost since start. */
  lostRecords(): number;
}

// Frames of a loop that enqueues 1,000 jobs are the same 1,000 times: share one copy.
const MAX_INTERNED_STACKS = 5_000;

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
  const interned = new Map<string, FormattedStack>();
  let lost = 0;

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
    // Without a caller to skip to, four frames are our own (runtime, recording, wrapper).
    captureCallSite: (caller) => (caller ? captureCallSite(maxFrames, caller) : captureCallSite(maxFrames + 4)),
    noteLostRecord(error) {
      lost += 1;
      log.warnOnce('save', 'could not store a request record', error);
    },
    lostRecords: () => lost,
    formatCallSite(site) {
      const formatted = formatCallSite(site, { cwd: options.root, maxFrames });
      const key = formatted.stack.map(frameKey).join('|');
      const known = interned.get(key);
      if (known) return known;
      if (interned.size >= MAX_INTERNED_STACKS) interned.clear();
      interned.set(key, formatted);
      return formatted;
    },
  };
}

function frameKey(frame: StackFrame): string {
  return `${frame.file}:${frame.line}:${frame.column}:${frame.function ?? ''}`;
}
