import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { RequestListItem, RequestRecord, TaskRecord } from '../protocol.js';
import { createLog } from '../core/log.js';
import { integerOption, invalid, objectOption, stringOption } from '../core/validate.js';
import { toListItem, type SaveMeta, type Store } from './store.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** An ioredis client (left open by the store), a redis:// URL, or ioredis options. */
  connection: Redis | string | RedisOptions;
  /**
   * Prefix of every key the store writes: `{namespace}:rec:{id}` (a hash), `{namespace}:item:{id}`, `{namespace}:requests`.
   * @defaultValue 'taskscope'
   */
  namespace?: string;
  /**
   * How long a record is kept after its last save.
   * @defaultValue 3600000 (1 hour)
   */
  ttlMs?: number;
  /**
   * Records kept in the namespace, across every process sharing it; the oldest are deleted.
   * @defaultValue 1000
   */
  maxRecords?: number;
  /**
   * Largest record JSON stored, in characters; a larger record is stored with the tasks that do
   * not fit left out (counted in `droppedTasks`, and said in `tooLarge`).
   * @defaultValue 2097152 (2 MiB)
   */
  maxRecordBytes?: number;
}

// Ids become parts of Redis keys: the middleware's UUIDs, nothing that could reach another key.
const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const NAMESPACE_PATTERN = /^[A-Za-z0-9_.:{}-]{1,100}$/;

// One atomic round trip per save. A record is a hash: `head` (the record without its tasks) and
// one field per task (`t:<seq>`), so a late save writes the head and the tasks that changed —
// it appends rather than rewriting a record that may be megabytes. The script also writes the
// list item, indexes the record and deletes what falls past maxRecords (keys included, so Redis
// memory stays bounded, not just the index). The index lives as long as its longest-lived
// record; ids of records that expired on their own are swept by list().
// KEYS: record hash, list item, index. ARGV: ttl, startedAt, id, maxRecords, key prefix of
// trimmed ids, item JSON, '1' to replace the whole hash (a first save), then its field/value pairs.
const SAVE_SCRIPT = `
if ARGV[7] == '1' then redis.call('DEL', KEYS[1]) end
local i = 8
while i <= #ARGV do
  local last = math.min(i + 999, #ARGV)
  redis.call('HSET', KEYS[1], unpack(ARGV, i, last))
  i = last + 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[6], 'PX', ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[3], ARGV[1])
end
local excess = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[4])
if excess > 0 then
  local old = redis.call('ZRANGE', KEYS[3], 0, excess - 1)
  for _, id in ipairs(old) do
    redis.call('DEL', ARGV[5] .. 'rec:' .. id, ARGV[5] .. 'item:' .. id)
  end
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, excess - 1)
end
return excess
`;
const SAVE_SCRIPT_SHA = createHash('sha1').update(SAVE_SCRIPT).digest('hex');
const log = createLog();

/**
 * Records in Redis, shared by every process of an app: a record saved by one process can be
 * read through any other `RedisStore` on the same Redis and namespace. Keys expire by TTL and
 * the namespace is trimmed to `maxRecords` on every save. (Keys of one namespace are written by
 * one script, so on Redis Cluster put the namespace in a hash tag, e.g. `'{taskscope}'`.)
 *
 * @example
 * ```ts
 * const store = new RedisStore({ connection: process.env.REDIS_URL!, ttlMs: 15 * 60_000 });
 * app.use(taskscope({ store }));
 * ```
 */
export class RedisStore implements Store {
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  /** The key prefix of everything this store writes (other parts of Taskscope write beside it). */
  readonly namespace: string;
  private readonly ttlMs: number;
  private readonly maxRecords: number;
  private readonly maxRecordBytes: number;
  // What was written of each record this process saves, so a late save sends only what changed.
  private readonly written = new WeakMap<RequestRecord, { keptUpTo: number; bytes: number; dropped: number; full: boolean }>();

  constructor(options: RedisStoreOptions) {
    const given = objectOption<RedisStoreOptions>('options', options);
    this.namespace = stringOption('namespace', given.namespace, 'taskscope');
    if (!NAMESPACE_PATTERN.test(this.namespace)) invalid('namespace', 'letters, digits and _ . : { } - (at most 100)', this.namespace);
    this.ttlMs = integerOption('ttlMs', given.ttlMs, 60 * 60_000, 1);
    this.maxRecords = integerOption('maxRecords', given.maxRecords, 1000, 1);
    this.maxRecordBytes = integerOption('maxRecordBytes', given.maxRecordBytes, 2 * 1024 * 1024, 1024);
    const connection = given.connection;
    if (isRedisClient(connection)) {
      this.redis = connection;
      this.ownsConnection = false;
    } else if (typeof connection === 'string' && /^rediss?:\/\//.test(connection)) {
      this.redis = new Redis(connection, { maxRetriesPerRequest: 1 });
      this.ownsConnection = true;
      this.reportErrors();
    } else if (typeof connection === 'object' && connection !== null && !Array.isArray(connection)) {
      this.redis = new Redis({ maxRetriesPerRequest: 1, ...connection });
      this.ownsConnection = true;
      this.reportErrors();
    } else {
      invalid('connection', 'an ioredis client, a redis:// URL or ioredis options', connection);
    }
  }

  async save(record: RequestRecord, meta?: SaveMeta): Promise<void> {
    this.checkId(record?.id);
    const known = this.written.get(record);
    const state = known ?? { keptUpTo: 0, bytes: 0, dropped: 0, full: false };
    const fields: string[] = [];
    const tasks = known && meta?.changedTasks ? uniqueBySeq(meta.changedTasks) : record.tasks;
    const { tasks: _all, ...withoutTasks } = record;
    // Room for the head as it will be written: its own JSON, plus `tooLarge` and a longer droppedTasks.
    const headRoom = JSON.stringify(withoutTasks).length + 100;
    for (const task of tasks) {
      if (task.seq <= state.keptUpTo) {
        fields.push(`t:${task.seq}`, JSON.stringify(task));
        continue;
      }
      if (task.seq !== state.keptUpTo + 1 || state.full) {
        if (task.seq > state.keptUpTo) state.dropped += 1;
        continue;
      }
      const json = JSON.stringify(task);
      if (state.bytes + json.length + headRoom > this.maxRecordBytes) {
        state.full = true;
        state.dropped += 1;
        continue;
      }
      state.bytes += json.length;
      state.keptUpTo = task.seq;
      fields.push(`t:${task.seq}`, json);
    }
    this.written.set(record, state);
    const head: Omit<RequestRecord, 'tasks'> = { ...withoutTasks, droppedTasks: record.droppedTasks + state.dropped };
    if (state.dropped > 0) head.tooLarge = { bytes: state.bytes + headRoom, limit: this.maxRecordBytes };
    const item = toListItem(record);
    const keyPrefix = `${this.redis.options.keyPrefix ?? ''}${this.namespace}:`;
    const args = [
      this.key('rec', record.id), this.key('item', record.id), this.indexKey(),
      this.ttlMs, record.request.startedAt, record.id, this.maxRecords, keyPrefix, JSON.stringify(item), known ? '0' : '1',
      'head', JSON.stringify(head), ...fields,
    ];
    // EVALSHA sends a hash instead of the script on every save; EVAL only when Redis lost it.
    try {
      await this.redis.evalsha(SAVE_SCRIPT_SHA, 3, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      await this.redis.eval(SAVE_SCRIPT, 3, ...args);
    }
  }

  /** The store's Redis client, for the parts of Taskscope that keep their own keys in the namespace. */
  get client(): Redis {
    return this.redis;
  }

  /**
   * @internal Where job runs (issue 11) are kept: next to the records, on the same client,
   * namespace and time to live (see worker/redis-run-store.ts).
   */
  runKeys(): { redis: Redis; namespace: string; ttlMs: number } {
    return { redis: this.redis, namespace: this.namespace, ttlMs: this.ttlMs };
  }

  /** A client the store made itself has no one else to hear its connection errors. */
  private reportErrors(): void {
    this.redis.on('error', (error: unknown) => log.warnOnce('redis-store', 'the RedisStore connection failed', error));
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return undefined;
    const fields = await this.redis.hgetall(this.key('rec', id));
    if (fields.head === undefined) return undefined;
    const record = JSON.parse(fields.head) as RequestRecord;
    const tasks: TaskRecord[] = [];
    for (const [field, json] of Object.entries(fields)) if (field.startsWith('t:')) tasks.push(JSON.parse(json) as TaskRecord);
    record.tasks = tasks.sort((a, b) => a.seq - b.seq);
    return record;
  }

  async list(limit?: number): Promise<RequestListItem[]> {
    const count = Math.min(typeof limit === 'number' && limit >= 0 ? Math.floor(limit) : this.maxRecords, this.maxRecords);
    if (count === 0) return [];
    const ids = await this.redis.zrevrange(this.indexKey(), 0, count - 1);
    if (ids.length === 0) return [];
    const items = await this.redis.mget(ids.map((id) => this.key('item', id)));
    const list: RequestListItem[] = [];
    const expired: string[] = [];
    items.forEach((json, index) => {
      if (json === null) expired.push(ids[index]!);
      else list.push(JSON.parse(json) as RequestListItem);
    });
    // Records expire on their own; their index entries are swept here, off the answer's path.
    if (expired.length > 0) this.redis.zrem(this.indexKey(), ...expired).catch(() => {});
    return list;
  }

  /** Closes the connection when the store opened it; a client passed in is left to its owner. */
  async close(): Promise<void> {
    if (!this.ownsConnection) return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private checkId(id: unknown): asserts id is string {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) invalid('record.id', 'letters, digits, _ and - (at most 128)', id);
  }

  private key(kind: 'rec' | 'item', id: string): string {
    return `${this.namespace}:${kind}:${id}`;
  }

  private indexKey(): string {
    return `${this.namespace}:requests`;
  }
}

function isRedisClient(value: unknown): value is Redis {
  if (value instanceof Redis) return true;
  // Another copy of ioredis in the app's node_modules fails instanceof; its clients look the same.
  const client = value as Partial<Redis> | null;
  return typeof client === 'object' && client !== null && typeof client.eval === 'function'
    && typeof client.zrevrange === 'function' && typeof client.options === 'object';
}

function uniqueBySeq(tasks: readonly TaskRecord[]): TaskRecord[] {
  const seen = new Set<number>();
  const unique: TaskRecord[] = [];
  for (const task of tasks) {
    if (seen.has(task.seq)) continue;
    seen.add(task.seq);
    unique.push(task);
  }
  return unique.sort((a, b) => a.seq - b.seq);
}
