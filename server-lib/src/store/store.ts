import type { RequestListItem, RequestRecord, TaskRecord } from '../protocol.js';

/** What the core knows about a save, so a store need not work it out again. */
export interface SaveMeta {
  /** Estimated JSON size of the record, in characters. */
  bytes?: number;
  /**
   * The tasks added or changed since this record's previous save; `undefined` on its first save
   * (or when unknown). A shared store writes only these, so late saves append.
   */
  changedTasks?: readonly TaskRecord[];
}

/**
 * Where request records live. Every method is async so a store can be shared between processes
 * (see `RedisStore`); the core never awaits it on the app's enqueue path.
 *
 * @example
 * ```ts
 * await store.save(record);
 * const again = await store.get(record.id);
 * const newest = await store.list(20);
 * ```
 */
export interface Store {
  /** Insert or replace (the same id is saved again when late tasks arrive). Resolves once get() can read it — for a shared store, from any process. */
  save(record: RequestRecord, meta?: SaveMeta): Promise<void>;
  get(id: string): Promise<RequestRecord | undefined>;
  /** Newest first by request.startedAt. */
  list(limit?: number): Promise<RequestListItem[]>;
  close?(): Promise<void>;
}

/**
 * The line of `GET {prefix}/requests` for a record. `taskCount` counts every task of the
 * request, also those dropped for bounds.
 *
 * @example
 * ```ts
 * toListItem(record); // { id, method: 'POST', url: '/orders', status: 201, …, taskCount: 3, nPlusOneCount: 1 }
 * ```
 */
export function toListItem(record: RequestRecord): RequestListItem {
  const { request } = record;
  return {
    id: record.id,
    method: request.method,
    url: request.url,
    status: request.status,
    startedAt: request.startedAt,
    durationMs: request.durationMs,
    taskCount: Math.max(record.summary.total, record.tasks.length + record.droppedTasks),
    nPlusOneCount: record.nPlusOne.length,
  };
}

/** A record and the length of its JSON. */
export interface FittedRecord {
  record: RequestRecord;
  json: string;
}

/**
 * Returns the record's JSON, or, when that is longer than `maxBytes`, the JSON of a shallow copy
 * keeping only the first tasks that fit (the others counted in `droppedTasks`), so an oversized
 * request is still listed with its summary rather than refused. `undefined` when not even the
 * record without tasks fits. The given record is never changed.
 *
 * @example
 * ```ts
 * const fitted = fitRecord(record, 2 * 1024 * 1024);
 * if (fitted) await redis.set(key, fitted.json);
 * ```
 */
export function fitRecord(record: RequestRecord, maxBytes: number): FittedRecord | undefined {
  const json = JSON.stringify(record);
  if (json.length <= maxBytes) return { record, json };
  const bare: RequestRecord = { ...record, tasks: [], droppedTasks: record.droppedTasks + record.tasks.length };
  // Room for the kept tasks: the bare record's size, minus its "[]", plus up to 11 more digits of droppedTasks.
  let room = maxBytes - JSON.stringify(bare).length - 11;
  if (room < 0) return undefined;
  let kept = 0;
  for (const task of record.tasks) {
    const cost = JSON.stringify(task).length + (kept > 0 ? 1 : 0);
    if (cost > room) break;
    room -= cost;
    kept += 1;
  }
  const fitted: RequestRecord = { ...record, tasks: record.tasks.slice(0, kept), droppedTasks: record.droppedTasks + record.tasks.length - kept };
  return { record: fitted, json: JSON.stringify(fitted) };
}
