import type { JobLineage, JobRun } from '../protocol-runs.js';
import { jobKeyString, type JobKey, type RunStore, type StoredJob } from './run-store.js';

/** Jobs kept by a {@link MemoryRunStore}; the least recently linked are forgotten first. */
const MAX_JOBS = 10_000;
/** As the MemoryStore's records. */
const TTL_MS = 30 * 60_000;
const MAX_STALLS = 10;

interface Entry {
  lineage: JobLineage;
  /** Runs as JSON (a string is about a third of the object it describes); made on the first run. */
  runs: Map<number, string> | undefined;
  dropped: number;
  stalls: number[];
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
  private readonly jobs = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  async link(entries: ReadonlyArray<{ job: JobKey; lineage: JobLineage }>): Promise<void> {
    this.linkNow(entries);
  }

  /** As `link`, synchronously: the store is in this process. */
  linkNow(entries: ReadonlyArray<{ job: JobKey; lineage: JobLineage }>): void {
    const expiresAt = this.now() + TTL_MS;
    for (const { job, lineage } of entries) {
      const key = jobKeyString(job);
      const known = this.jobs.get(key);
      this.jobs.delete(key);
      this.jobs.set(key, known ? { ...known, lineage, expiresAt } : { lineage, runs: undefined, dropped: 0, stalls: [], expiresAt });
    }
    for (const [key] of this.jobs) {
      if (this.jobs.size <= MAX_JOBS) break;
      this.jobs.delete(key);
    }
  }

  async lineage(job: JobKey): Promise<JobLineage | undefined> {
    return this.lineageNow(job);
  }

  /** As `lineage`, synchronously. */
  lineageNow(job: JobKey): JobLineage | undefined {
    return this.entry(job)?.lineage;
  }

  async saveRun(job: JobKey, attempt: number, json: string | null): Promise<void> {
    const entry = this.entry(job);
    if (!entry) return;
    if (json === null) entry.dropped += 1;
    else (entry.runs ??= new Map()).set(attempt, json);
  }

  async noteStall(job: JobKey, at: number): Promise<void> {
    const entry = this.entry(job);
    if (entry && entry.stalls.length < MAX_STALLS) entry.stalls.push(at);
  }

  async read(jobs: readonly JobKey[]): Promise<Array<StoredJob | undefined>> {
    return jobs.map((job) => {
      const entry = this.entry(job);
      if (!entry) return undefined;
      const runs = [...(entry.runs ?? [])].sort((a, b) => a[0] - b[0]).map(([, json]) => JSON.parse(json) as JobRun);
      return { lineage: entry.lineage, runs, droppedRuns: entry.dropped, stalls: [...entry.stalls] };
    });
  }

  async close(): Promise<void> {
    this.jobs.clear();
  }

  private entry(job: JobKey): Entry | undefined {
    const key = jobKeyString(job);
    const entry = this.jobs.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.jobs.delete(key);
      return undefined;
    }
    return entry;
  }
}
