import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { RequestListItem, RequestRecord } from '../protocol.js';
import { createLog } from '../core/log.js';
import { integerOption, invalid, objectOption, stringOption } from '../core/validate.js';
import { fitRecord, toListItem, type Store } from './store.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** An ioredis client (left open by the store), a redis:// URL, or ioredis options. */
  connection: Redis | string | RedisOptions;
  /**
   * Prefix of every key the store writes: `{namespace}:req:{id}`, `{namespace}:item:{id}`, `{namespace}:requests`.
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
   * not fit cut (counted in `droppedTasks`).
   * @defaultValue 2097152 (2 MiB)
   */
  maxRecordBytes?: number;
}

// Ids become parts of Redis keys: the middleware's UUIDs, nothing that could reach another key.
const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const NAMESPACE_PATTERN = /^[A-Za-z0-9_.:{}-]{1,100}$/;

// One atomic round trip per save: write the record and its list item, index it, and delete
// what falls past maxRecords (keys included, so Redis memory stays bounded, not just the index).
// The index lives as long as its longest-lived record; ids of records that expired on their own
// are swept by list(). KEYS: record, list item, index. ARGV: record JSON, item JSON, ttl,
// startedAt, id, maxRecords, key prefix of trimmed ids.
const SAVE_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
local excess = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[6])
if excess > 0 then
  local old = redis.call('ZRANGE', KEYS[3], 0, excess - 1)
  for _, id in ipairs(old) do
    redis.call('DEL', ARGV[7] .. 'req:' .. id, ARGV[7] .. 'item:' .. id)
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
  private readonly namespace: string;
  private readonly ttlMs: number;
  private readonly maxRecords: number;
  private readonly maxRecordBytes: number;

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

  async save(record: RequestRecord, _meta?: { bytes?: number }): Promise<void> {
    this.checkId(record?.id);
    const fitted = fitRecord(record, this.maxRecordBytes);
    if (!fitted) return;
    const item = toListItem(fitted.record);
    const keyPrefix = `${this.redis.options.keyPrefix ?? ''}${this.namespace}:`;
    const args = [
      this.key('req', record.id), this.key('item', record.id), this.indexKey(),
      fitted.json, JSON.stringify(item), this.ttlMs, record.request.startedAt, record.id, this.maxRecords,
      keyPrefix,
    ];
    // EVALSHA sends a hash instead of the script on every save; EVAL only when Redis lost it.
    try {
      await this.redis.evalsha(SAVE_SCRIPT_SHA, 3, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      await this.redis.eval(SAVE_SCRIPT, 3, ...args);
    }
  }

  /** A client the store made itself has no one else to hear its connection errors. */
  private reportErrors(): void {
    this.redis.on('error', (error: unknown) => log.warnOnce('redis-store', 'the RedisStore connection failed', error));
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return undefined;
    const json = await this.redis.get(this.key('req', id));
    return json === null ? undefined : (JSON.parse(json) as RequestRecord);
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

  private key(kind: 'req' | 'item', id: string): string {
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
