import type { RequestRecord } from '../protocol.js';
import type { TaskscopeLog } from './log.js';
import { MemoryStore } from '../store/memory-store.js';
import type { SaveMeta, Store } from '../store/store.js';

/** Longest a response waits for a shared store (a healthy Redis on the same network answers in about a millisecond). */
export const STORE_WAIT_MS = 3;
/** Records kept in this process while their save is in flight or failed, so the process that made them can still serve them. */
const MAX_UNSAVED_RECORDS = 500;
const MAX_UNSAVED_BYTES = 32 * 1024 * 1024;
/** A store that keeps failing is reported at most this often, with the count. */
const REPORT_EVERY_MS = 60_000;

interface Unsaved {
  record: RequestRecord;
  bytes: number;
  /** Saves of this record still in flight. */
  inFlight: number;
  /** Its last save failed: it counts as lost until a later save succeeds. */
  failed: boolean;
}

/** Saves records without letting a slow or dead store hold the app's responses. */
export interface RecordSaver {
  /**
   * Saves `record`: at once in a `MemoryStore` (then `undefined`), else a promise that waits for
   * the store at most {@link STORE_WAIT_MS}. Never throws or rejects.
   */
  save(record: RequestRecord, meta: SaveMeta): Promise<void> | undefined;
  /** A record of this process whose save is in flight or failed, if any. */
  unsaved(id: string): RequestRecord | undefined;
  /** Records that could not be saved (and were not saved since). */
  lost(): number;
  /** The records of this process whose save is in flight or failed, newest first. */
  unsavedRecords(): RequestRecord[];
}

/**
 * Creates the saver of one Taskscope instance. The `MemoryStore` saves at once and is never
 * waited on; another store gets a wait of at most a few milliseconds, after which the response
 * goes out and the record stays readable here until its save lands. A failed save is counted
 * as lost (in the list answer's `lost`) and logged with the count at most once a minute.
 *
 * @example
 * ```ts
 * const saver = createRecordSaver(store, log);
 * await saver.save(record, { bytes: 2048 });
 * ```
 */
export function createRecordSaver(store: Store, log: TaskscopeLog): RecordSaver {
  const pending = new Map<string, Unsaved>();
  let pendingBytes = 0;
  let lost = 0;
  let lastReport = 0;
  const memory = store instanceof MemoryStore ? store : undefined;

  function forget(id: string): void {
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    pendingBytes -= entry.bytes;
  }

  function remember(record: RequestRecord, bytes: number): Unsaved {
    let entry = pending.get(record.id);
    if (entry) {
      pendingBytes += bytes - entry.bytes;
      entry.bytes = bytes;
      entry.record = record;
    } else {
      entry = { record, bytes, inFlight: 0, failed: false };
      pending.set(record.id, entry);
      pendingBytes += bytes;
    }
    // The oldest first (a Map keeps insertion order); a lost one stays counted.
    for (const [id] of pending) {
      if (pending.size <= MAX_UNSAVED_RECORDS && pendingBytes <= MAX_UNSAVED_BYTES) break;
      if (id === record.id) break;
      forget(id);
    }
    return entry;
  }

  function failed(entry: Unsaved, error: unknown): void {
    if (!entry.failed) {
      entry.failed = true;
      lost += 1;
    }
    const now = Date.now();
    log.warnOnce('save', 'could not store a request record', error);
    if (now - lastReport >= REPORT_EVERY_MS && lastReport !== 0) {
      try {
        console.warn(`[taskscope] ${lost} request record(s) could not be stored so far; the newest are still served by this process`);
      } catch {
        // Logging must never be what breaks the app.
      }
    }
    if (lastReport === 0 || now - lastReport >= REPORT_EVERY_MS) lastReport = now;
  }

  return {
    save(record, meta) {
      if (memory !== undefined) {
        try {
          memory.put(record, meta);
        } catch (error) {
          log.warnOnce('save', 'could not store a request record', error);
        }
        return undefined;
      }
      let saving: Promise<void>;
      try {
        saving = store.save(record, meta);
      } catch (error) {
        saving = Promise.reject(error);
      }
      const entry = remember(record, meta.bytes ?? 0);
      entry.inFlight += 1;
      const done = saving.then(
        () => {
          entry.inFlight -= 1;
          if (entry.failed) {
            entry.failed = false;
            lost -= 1;
          }
          if (entry.inFlight === 0 && pending.get(record.id) === entry) forget(record.id);
        },
        (error: unknown) => {
          entry.inFlight -= 1;
          failed(entry, error);
        },
      );
      return waitAtMost(done, STORE_WAIT_MS);
    },
    unsaved: (id) => pending.get(id)?.record,
    lost: () => lost,
    unsavedRecords: () => Array.from(pending.values(), (entry) => entry.record).sort((a, b) => b.request.startedAt - a.request.startedAt),
  };
}

function waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
