import type { RequestListItem, RequestRecord } from '../protocol.js';
import { integerOption, invalid, objectOption } from '../core/validate.js';
import { fitRecord, toListItem, type Store } from './store.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Records kept; saving one more evicts the least recently saved.
   * @defaultValue 1000
   */
  maxRecords?: number;
  /**
   * Total JSON size of the kept records, in characters; the least recently saved are evicted to
   * stay under it. A record larger than this on its own is kept without the tasks that do not fit.
   * @defaultValue 67108864 (64 MiB)
   */
  maxBytes?: number;
  /**
   * How long a record is kept after its last save.
   * @defaultValue 1800000 (30 minutes)
   */
  ttlMs?: number;
  /**
   * The clock, in epoch ms; for tests.
   * @defaultValue Date.now
   */
  now?: () => number;
}

// What a removed entry holds instead of its record.
const REMOVED = Object.freeze({}) as RequestRecord;

interface Entry {
  id: string;
  record: RequestRecord;
  bytes: number;
  expiresAt: number;
  /** False once removed or saved again: its slot in the save order is then skipped. */
  live: boolean;
}

/**
 * The default store: records in this process's memory, bounded by count, size and age. The
 * record object is kept as given (no copy), so saving costs next to nothing.
 *
 * @example
 * ```ts
 * const store = new MemoryStore({ maxRecords: 200, ttlMs: 10 * 60_000 });
 * await store.save(record);
 * await store.get(record.id); // the same object
 * ```
 */
export class MemoryStore implements Store {
  // Records by id; `order` below says which was saved least recently (and so expires first).
  private readonly entries = new Map<string, Entry>();
  // Save order, oldest first, as an array with a moving head: a Map iterated from its start
  // after many deletes walks their holes on every save, which made eviction O(n). It holds the
  // entries themselves, so finding the oldest needs no lookup by id.
  private order: Entry[] = [];
  private head = 0;
  /** Records kept at most (see {@link MemoryStoreOptions.maxRecords}). */
  readonly maxRecords: number;
  /** Total JSON size kept at most (see {@link MemoryStoreOptions.maxBytes}). */
  readonly maxBytes: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private bytes = 0;
  private evicted = 0;

  constructor(options?: MemoryStoreOptions) {
    const given = objectOption<MemoryStoreOptions>('options', options);
    this.maxRecords = integerOption('maxRecords', given.maxRecords, 1000, 1);
    this.maxBytes = integerOption('maxBytes', given.maxBytes, 64 * 1024 * 1024, 1);
    this.ttlMs = integerOption('ttlMs', given.ttlMs, 30 * 60_000, 1);
    if (given.now !== undefined && typeof given.now !== 'function') invalid('now', 'a function returning epoch ms', given.now);
    this.now = given.now ?? Date.now;
  }

  /** What the store holds now; `evicted` counts records removed to respect `maxRecords` or `maxBytes`. */
  get stats(): { records: number; bytes: number; evicted: number } {
    this.purgeExpired(this.now());
    return { records: this.entries.size, bytes: this.bytes, evicted: this.evicted };
  }

  async save(record: RequestRecord, meta?: { bytes?: number }): Promise<void> {
    this.put(record, meta);
  }

  /**
   * {@link save}, done before it returns: what the core calls on the response path, where even
   * one promise per request shows.
   */
  put(record: RequestRecord, meta?: { bytes?: number }): void {
    if (typeof record !== 'object' || record === null || typeof record.id !== 'string') invalid('record', 'a RequestRecord', record);
    const now = this.now();
    const prior = this.entries.get(record.id);
    if (prior !== undefined) this.remove(prior);
    let kept = record;
    let bytes = typeof meta?.bytes === 'number' && meta.bytes >= 0 ? meta.bytes : JSON.stringify(record).length;
    if (bytes > this.maxBytes) {
      const fitted = fitRecord(record, this.maxBytes);
      if (!fitted) return;
      kept = fitted.record;
      bytes = fitted.json.length;
    }
    const entry: Entry = { id: record.id, record: kept, bytes, expiresAt: now + this.ttlMs, live: true };
    this.entries.set(record.id, entry);
    this.order.push(entry);
    this.bytes += bytes;
    this.purgeExpired(now);
    while (this.entries.size > this.maxRecords || this.bytes > this.maxBytes) {
      const oldest = this.oldest();
      if (oldest === undefined) break;
      this.remove(oldest);
      this.evicted += 1;
    }
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(entry);
      return undefined;
    }
    return entry.record;
  }

  async list(limit?: number): Promise<RequestListItem[]> {
    this.purgeExpired(this.now());
    const records = Array.from(this.entries.values(), (entry) => entry.record);
    records.sort((a, b) => b.request.startedAt - a.request.startedAt);
    const count = typeof limit === 'number' && limit >= 0 ? limit : records.length;
    return records.slice(0, count).map(toListItem);
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.order = [];
    this.head = 0;
    this.bytes = 0;
  }

  private purgeExpired(now: number): void {
    for (let entry = this.oldest(); entry !== undefined && entry.expiresAt <= now; entry = this.oldest()) this.remove(entry);
  }

  /** The least recently saved record's entry; stale slots (removed or saved again) are skipped. */
  private oldest(): Entry | undefined {
    while (this.head < this.order.length) {
      const entry = this.order[this.head]!;
      if (entry.live) return entry;
      this.head += 1;
    }
    this.order = [];
    this.head = 0;
    return undefined;
  }

  private remove(entry: Entry): void {
    entry.live = false;
    // Its slot in `order` stays until the head passes it: it must not keep the record alive.
    entry.record = REMOVED;
    this.entries.delete(entry.id);
    this.bytes -= entry.bytes;
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}
