import type { Redis } from 'ioredis';
import { RedisStore } from '../store/redis-store.js';
import type { WsConnectionItem, WsConnectionRecord } from '../protocol-ws.js';
import type { Store } from '../store/store.js';
import type { WsConnectionRecording } from './connection-recording.js';

/**
 * Connection records in the Redis of a `RedisStore`, so every process of the app can read
 * them: `{namespace}:ws:conn:{id}` (the record), `{namespace}:ws:item:{id}` (its list line),
 * `{namespace}:ws:index` (ids by open time, trimmed to `maxConnections`), all expiring after
 * `ttlMs` without a save.
 *
 * @example
 * ```ts
 * const shared = RedisWsStore.from(runtime.store, options);
 * await shared?.save([connection]);
 * ```
 */
export class RedisWsStore {
  constructor(private readonly redis: Redis, private readonly namespace: string, private readonly ttlMs: number, private readonly maxConnections: number) {}

  /**
   * The shared store of a `RedisStore`, else `undefined`. Reads the store's client and
   * namespace, which `RedisStore` keeps private today (see the report of issue 12).
   */
  static from(store: Store, ttlMs: number, maxConnections: number): RedisWsStore | undefined {
    if (!(store instanceof RedisStore)) return undefined;
    return new RedisWsStore(store.client, store.namespace, ttlMs, maxConnections);
  }

  async save(connections: WsConnectionRecording[]): Promise<void> {
    const multi = this.redis.multi();
    for (const connection of connections) {
      const record = connection.snapshot();
      multi.set(this.key('conn', record.id), JSON.stringify(record), 'PX', this.ttlMs);
      multi.set(this.key('item', record.id), JSON.stringify(connection.item()), 'PX', this.ttlMs);
      multi.zadd(this.indexKey(), record.openedAt, record.id);
    }
    multi.pexpire(this.indexKey(), this.ttlMs);
    multi.zremrangebyrank(this.indexKey(), 0, -(this.maxConnections + 1));
    await multi.exec();
  }

  async list(limit: number): Promise<WsConnectionItem[]> {
    const ids = await this.redis.zrevrange(this.indexKey(), 0, limit - 1);
    if (ids.length === 0) return [];
    const items = await this.redis.mget(ids.map((id) => this.key('item', id)));
    return items.filter((json): json is string => json !== null).map((json) => JSON.parse(json) as WsConnectionItem);
  }

  async get(id: string): Promise<WsConnectionRecord | undefined> {
    const json = await this.redis.get(this.key('conn', id));
    return json === null ? undefined : (JSON.parse(json) as WsConnectionRecord);
  }

  private key(kind: 'conn' | 'item', id: string): string {
    return `${this.namespace}:ws:${kind}:${id}`;
  }

  private indexKey(): string {
    return `${this.namespace}:ws:index`;
  }
}
