import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { JobLineage, JobRun } from '../protocol-runs.js';
import { jobKeyString, type JobKey, type RunStore, type StoredJob } from './run-store.js';
import { expandRun } from './expand-run.js';
import type { StoredRun } from './stored-run.js';

// A job's hash: `link` (its lineage), `r:<attempt>` (one run each: the JSON of its stored form,
// stored-run.ts, or of a whole JobRun from an older worker), `dropped`, `s:<epoch ms>` (stalls).
// Runs and stalls are written only while the link is there, so nothing is kept of a job that is
// not (or no longer) linked to a tracked request. KEYS: the hash. ARGV: ttl, field, value ('+1' counts).
const WRITE_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], 'link') == 0 then return 0 end
if ARGV[3] == '+1' then redis.call('HINCRBY', KEYS[1], ARGV[2], 1) else redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;
const WRITE_SCRIPT_SHA = createHash('sha1').update(WRITE_SCRIPT).digest('hex');
const MAX_STALLS = 10;

/**
 * Job links and runs in the Redis of a `RedisStore`, under its namespace and time to live, so
 * a worker in another process (or machine) links its runs to the web app's requests.
 *
 * @example
 * ```ts
 * const runs = new RedisRunStore(redisStore.runKeys());
 * await runs.link([{ job, lineage }]);
 * ```
 */
export class RedisRunStore implements RunStore {
  private readonly redis: Redis;
  private readonly namespace: string;
  private readonly ttlMs: number;

  constructor(keys: { redis: Redis; namespace: string; ttlMs: number }) {
    this.redis = keys.redis;
    this.namespace = keys.namespace;
    this.ttlMs = keys.ttlMs;
  }

  async link(entries: ReadonlyArray<{ job: JobKey; lineage: JobLineage }>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { job, lineage } of entries) {
      const key = this.key(job);
      pipeline.hset(key, 'link', JSON.stringify(lineage));
      pipeline.pexpire(key, this.ttlMs);
    }
    throwFirstError(await pipeline.exec());
  }

  async lineage(job: JobKey): Promise<JobLineage | undefined> {
    const json = await this.redis.hget(this.key(job), 'link');
    return json === null ? undefined : (JSON.parse(json) as JobLineage);
  }

  async saveRun(job: JobKey, attempt: number, run: StoredRun | null): Promise<void> {
    // The whole JobRun, as workers before the compact form wrote it: web apps and workers of
    // two versions share one Redis during a rolling deploy, and each reads what the other wrote.
    await this.write(job, run === null ? 'dropped' : `r:${attempt}`, run === null ? '+1' : JSON.stringify(expandRun(run)));
  }

  async noteStall(job: JobKey, at: number): Promise<void> {
    await this.write(job, `s:${at}`, '1');
  }

  async read(jobs: readonly JobKey[]): Promise<Array<StoredJob | undefined>> {
    if (jobs.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const job of jobs) pipeline.hgetall(this.key(job));
    const replies = (await pipeline.exec()) ?? [];
    return jobs.map((_, index) => {
      const [error, fields] = replies[index] ?? [null, null];
      if (error) throw error;
      return decode(fields as Record<string, string> | null);
    });
  }

  private key(job: JobKey): string {
    return `${this.namespace}:job:${jobKeyString(job)}`;
  }

  private async write(job: JobKey, field: string, value: string): Promise<void> {
    const args = [this.ttlMs, field, value];
    try {
      await this.redis.evalsha(WRITE_SCRIPT_SHA, 1, this.key(job), ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      await this.redis.eval(WRITE_SCRIPT, 1, this.key(job), ...args);
    }
  }
}

function decode(fields: Record<string, string> | null): StoredJob | undefined {
  if (fields === null || fields.link === undefined) return undefined;
  const runs: Array<[number, JobRun]> = [];
  const stalls: number[] = [];
  for (const [field, value] of Object.entries(fields)) {
    if (field.startsWith('r:')) runs.push([Number(field.slice(2)), expandRun(JSON.parse(value) as StoredRun | JobRun)]);
    else if (field.startsWith('s:') && stalls.length < MAX_STALLS) stalls.push(Number(field.slice(2)));
  }
  runs.sort((a, b) => a[0] - b[0]);
  return {
    lineage: JSON.parse(fields.link) as JobLineage,
    runs: runs.map(([, run]) => run),
    droppedRuns: Number(fields.dropped ?? 0),
    stalls: stalls.sort((a, b) => a - b),
  };
}

function throwFirstError(replies: Array<[Error | null, unknown]> | null): void {
  for (const [error] of replies ?? []) if (error) throw error;
}
