import type { JobLineage, JobRun } from '../protocol-runs.js';
import { RecentLinks } from './recent-links.js';
import { type JobKey, type RunStore, type StoredJob } from './run-store.js';

/**
 * Jobs kept by a {@link MemoryRunStore}: two generations of at most half as many each, the older
 * forgotten as a whole when the newer fills (no per-link eviction walk: links come with every add).
 */
const MAX_JOBS = 10_000;
const GENERATION = MAX_JOBS / 2;
/** As the MemoryStore's records. */
const TTL_MS = 30 * 60_000;
const MAX_STALLS = 10;
/** Attempts kept per job: the runs' own bound (`limits.maxRunsPerJob`) is checked before; this only guards the array. */
const MAX_ATTEMPTS = 1_000;

/** A job a request enqueued, kept as its two numbers until someone asks for its lineage. */
interface RequestLink {
  readonly requestId: string;
  readonly seq: number;
}

interface Entry {
  lineage: JobLineage | RequestLink;
  /** Runs as JSON (a string is about a third of the object it describes); made on the first run. */
  runs: Array<string | undefined> | undefined;
  dropped: number;
  stalls: number[] | undefined;
  expiresAt: number;
}

/**
 * Job links and runs in this process's memory, bounded by count and age: the companion of a
 * `MemoryStore`, for workers in the same process as the web app.
 *
 * @example
 * ```ts
 * const runs = new MemoryRunStore();
 * await runs.link([{ job, lineage }]);
 * ```
 */
export class MemoryRunStore implements RunStore {
  private young = new Map<string, Entry>();
  private old = new Map<string, Entry>();
  // Request links as they come, until a lineage is first asked for (see recent-links.ts).
  private recent: RecentLinks | undefined = new RecentLinks(MAX_JOBS);

  constructor(private readonly now: () => number = Date.now) {}

  async link(entries: ReadonlyArray<{ job: JobKey; lineage: JobLineage }>): Promise<void> {
    this.linkNow(entries);
  }

  /** As `link`, synchronously: the store is in this process. */
  linkNow(entries: ReadonlyArray<{ job: JobKey; lineage: JobLineage }>): void {
    this.indexRecent();
    const expiresAt = this.now() + TTL_MS;
    for (const { job, lineage } of entries) this.put(memoryKey(job), lineage, expiresAt);
  }

  private put(key: string, lineage: JobLineage | RequestLink, expiresAt: number): void {
    const known = this.young.get(key) ?? this.old.get(key);
    if (known) {
      known.lineage = lineage;
      known.expiresAt = expiresAt;
      if (this.young.has(key)) return;
      this.old.delete(key);
    }
    if (this.young.size >= GENERATION) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(flat(key), known ?? { lineage, runs: undefined, dropped: 0, stalls: undefined, expiresAt });
  }

  /**
   * Links the jobs a request's enqueue call just settled to the request, as `linkNow` would with
   * `{ requestId, parent: { kind: 'request', requestId, seq }, depth: 1 }` — built only when read
   * (it runs on every add). Tasks without a job, or merged into another, are skipped.
   */
  linkRequestTasks(requestId: string, tasks: ReadonlyArray<{ prefix: string; queue: string; jobId: string | null; seq: number; duplicate: boolean | null }>): void {
    let at = 0;
    for (const task of tasks) {
      if (task.jobId === null || task.duplicate === true) continue;
      if (at === 0) at = this.now();
      if (this.recent !== undefined) this.recent.push(task.prefix, task.queue, task.jobId, requestId, task.seq, at);
      else this.put(`${task.prefix}\u0000${task.queue}\u0000${task.jobId}`, { requestId, seq: task.seq }, at + TTL_MS);
    }
  }

  /** From the first lineage asked for on, links go straight into the maps: index those kept so far. */
  private indexRecent(): void {
    const recent = this.recent;
    if (recent === undefined) return;
    this.recent = undefined;
    const now = this.now();
    recent.drain((prefix, queue, jobId, requestId, seq, at) => {
      if (at + TTL_MS > now) this.put(`${prefix}\u0000${queue}\u0000${jobId}`, { requestId, seq }, at + TTL_MS);
    });
  }

  async lineage(job: JobKey): Promise<JobLineage | undefined> {
    return this.lineageNow(job);
  }

  /** As `lineage`, synchronously. */
  lineageNow(job: JobKey): JobLineage | undefined {
    const entry = this.entry(job);
    return entry === undefined ? undefined : lineageOf(entry);
  }

  async saveRun(job: JobKey, attempt: number, json: string | null): Promise<void> {
    const entry = this.entry(job);
    if (!entry) return;
    if (json === null) entry.dropped += 1;
    // By attempt (1-based, at most limits.maxRunsPerJob): an array of one costs a fraction of a Map.
    else if (Number.isInteger(attempt) && attempt >= 1 && attempt <= MAX_ATTEMPTS) (entry.runs ??= [])[attempt - 1] = flat(json);
  }

  async noteStall(job: JobKey, at: number): Promise<void> {
    const entry = this.entry(job);
    if (entry && (entry.stalls?.length ?? 0) < MAX_STALLS) (entry.stalls ??= []).push(at);
  }

  async read(jobs: readonly JobKey[]): Promise<Array<StoredJob | undefined>> {
    return jobs.map((job) => {
      const entry = this.entry(job);
      if (!entry) return undefined;
      const runs: JobRun[] = [];
      for (const json of entry.runs ?? []) if (json !== undefined) runs.push(JSON.parse(json) as JobRun);
      return { lineage: lineageOf(entry), runs, droppedRuns: entry.dropped, stalls: [...(entry.stalls ?? [])] };
    });
  }

  async close(): Promise<void> {
    this.recent = undefined;
    this.young.clear();
    this.old.clear();
  }

  private entry(job: JobKey): Entry | undefined {
    this.indexRecent();
    const key = memoryKey(job);
    const entry = this.young.get(key) ?? this.old.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.young.delete(key);
      this.old.delete(key);
      return undefined;
    }
    return entry;
  }
}

/**
 * The same string, flat: V8 builds `JSON.stringify` results and joined keys as trees of parts
 * (ropes), about a quarter larger than the text; kept as they are, a 1 KB run costs about twenty
 * 32-byte part headers more than its characters. Reading one character flattens it in place.
 */
function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

function lineageOf(entry: Entry): JobLineage {
  const link = entry.lineage;
  if ('parent' in link) return link;
  const { requestId, seq } = link;
  // Built for each reader, not kept: a worker asks once per attempt, the panel now and then.
  return { requestId, parent: { kind: 'request', requestId, seq }, depth: 1 };
}

// A key in this process only: any unambiguous join will do, and encoding each part costs on every add.
function memoryKey(job: { prefix: string; queue: string; jobId: string }): string {
  return `${job.prefix}\u0000${job.queue}\u0000${job.jobId}`;
}
