import type { JobLineage, JobRun } from '../protocol-runs.js';
import { JobTable } from './job-table.js';
import { RecentLinks } from './recent-links.js';
import { FollowUpParent, type JobKey, type RunStore, type StoredJob } from './run-store.js';
import { expandRun } from './expand-run.js';
import type { StoredRun } from './stored-run.js';

/**
 * Jobs kept by a {@link MemoryRunStore}: two generations of at most half as many each, the older
 * forgotten as a whole when the newer fills (no per-link eviction walk: links come with every add).
 */
const MAX_JOBS = 10_000;
const GENERATION = MAX_JOBS / 2;
/** As the MemoryStore's records. */
const TTL_MS = 30 * 60_000;
const MAX_STALLS = 10;
/** Attempts kept per job: the runs' own bound (`limits.maxRunsPerJob`) is checked before; this only guards the list. */
const MAX_ATTEMPTS = 1_000;
/**
 * A generation older than this (12 days) is rotated out even when not full: link times are kept
 * as ms since their generation began, which stay small integers (no heap number) that long.
 */
const MAX_GENERATION_MS = 2 ** 30;

/**
 * What a job is linked to, as small as it can be kept: the id of the request that enqueued it
 * (with the entry's `seq`), the attempt of a job that enqueued it (shared by that attempt's
 * follow-ups, with the entry's `seq`), or a whole lineage given to `link`. A lineage object is
 * made only when one is read.
 */
type Link = string | FollowUpParent | JobLineage;

/** Runs dropped past `limits.maxRunsPerJob` and stalls noted: rare, so kept apart from every entry. */
interface Troubles {
  dropped: number;
  stalls: number[];
}

/** One job: a class, so every entry has one shape (and four fields: each one costs every job 8 bytes). */
class Entry {
  /** A single run as it is; a list, in attempt order, from the second. */
  runs: StoredRun | StoredRun[] | undefined = undefined;
  troubles: Troubles | undefined = undefined;

  constructor(
    public link: Link,
    public seq: number,
    /** Ms since the entry's generation began: a small integer, kept in the entry itself. */
    public linkedAt: number,
  ) {}
}

/** The jobs linked since `since` (epoch ms). */
class Generation {
  readonly jobs = new JobTable<Entry>();
  constructor(readonly since: number) {}
}

/** A job a request enqueued, as `linkRequestTasks` is given it. */
interface RequestTask {
  prefix: string;
  queue: string;
  jobId: string | null;
  seq: number;
  duplicate: boolean | null;
}

/**
 * Job links and runs in this process's memory, bounded by count and age: the companion of a
 * `MemoryStore`, for workers in the same process as the web app. Runs are kept in their stored
 * form (stored-run.ts) as they are, not as JSON.
 *
 * @example
 * ```ts
 * const runs = new MemoryRunStore();
 * await runs.link([{ job, lineage }]);
 * ```
 */
export class MemoryRunStore implements RunStore {
  private young: Generation;
  private old: Generation;
  // Request links as they come, until a lineage is first asked for (see recent-links.ts).
  private recent: RecentLinks | undefined = new RecentLinks(MAX_JOBS);
  // Where `entry` found the last entry it returned (a field rather than a pair made per lookup).
  private foundIn: Generation;

  constructor(private readonly now: () => number = Date.now) {
    this.young = new Generation(now());
    this.old = new Generation(this.young.since);
    this.foundIn = this.young;
  }

  async link(entries: ReadonlyArray<{ job: JobKey; lineage: JobLineage }>): Promise<void> {
    this.linkNow(entries);
  }

  /** As `link`, synchronously: the store is in this process. */
  linkNow(entries: ReadonlyArray<{ job: JobKey; lineage: JobLineage }>): void {
    this.indexRecent();
    const at = this.now();
    for (const { job, lineage } of entries) this.put(job.prefix, job.queue, job.jobId, lineage, 0, at);
  }

  /**
   * Links the jobs a request's enqueue call just settled to the request, as `linkNow` would with
   * `{ requestId, parent: { kind: 'request', requestId, seq }, depth: 1 }` — built only when read
   * (it runs on every add). Tasks without a job, or merged into another, are skipped.
   */
  linkRequestTasks(requestId: string, tasks: readonly RequestTask[]): void {
    let at = 0;
    for (const task of tasks) {
      if (task.jobId === null || task.duplicate === true) continue;
      if (at === 0) at = this.now();
      if (this.recent !== undefined) this.recent.push(task.prefix, task.queue, task.jobId, requestId, task.seq, at);
      else this.put(task.prefix, task.queue, task.jobId, requestId, task.seq, at);
    }
  }

  /** Links the follow-ups one attempt enqueued to it, as `linkNow` would with `parent.lineageOf(seq)`. */
  linkFollowUps(parent: FollowUpParent, tasks: readonly RequestTask[]): void {
    this.indexRecent();
    let at: number | undefined;
    for (const task of tasks) {
      if (task.jobId === null || task.duplicate === true) continue;
      at ??= this.now();
      this.put(task.prefix, task.queue, task.jobId, parent, task.seq, at);
    }
  }

  /** Links a job at `at` (epoch ms). */
  private put(prefix: string, queue: string, jobId: string, link: Link, seq: number, at: number): void {
    // Rotated out, an old generation's links are all older than 12 days, far past their TTL.
    if (at - this.young.since >= MAX_GENERATION_MS) this.rotate(at);
    let entry = this.young.jobs.get(prefix, queue, jobId);
    if (entry === undefined) {
      entry = this.old.jobs.get(prefix, queue, jobId);
      if (entry !== undefined) this.old.jobs.delete(prefix, queue, jobId);
      if (this.young.jobs.size >= GENERATION) this.rotate(at);
      entry ??= new Entry(link, seq, 0);
      this.young.jobs.set(prefix, queue, jobId, entry);
    }
    entry.link = link;
    entry.seq = seq;
    // `| 0`: an integer V8 keeps in the entry, not in a heap number of its own (at is at most 12 days on).
    entry.linkedAt = (at - this.young.since) | 0;
  }

  private rotate(at: number): void {
    this.old = this.young;
    this.young = new Generation(at);
  }

  /** From the first lineage asked for on, links go straight into the tables: index those kept so far. */
  private indexRecent(): void {
    const recent = this.recent;
    if (recent === undefined) return;
    this.recent = undefined;
    const now = this.now();
    recent.drain((prefix, queue, jobId, requestId, seq, at) => {
      if (at + TTL_MS > now) this.put(prefix, queue, jobId, requestId, seq, at);
    });
  }

  async lineage(job: JobKey): Promise<JobLineage | undefined> {
    return this.lineageNow(job);
  }

  /**
   * As `lineage`, synchronously. With `linkedSince` (epoch ms), only a link written since: an
   * older one may be about to be replaced by a link that has not been written yet.
   */
  lineageNow(job: JobKey, linkedSince?: number): JobLineage | undefined {
    const entry = this.entry(job);
    if (entry === undefined || (linkedSince !== undefined && entry.linkedAt + this.foundIn.since < linkedSince)) return undefined;
    return lineageOf(entry);
  }

  async saveRun(job: JobKey, attempt: number, run: StoredRun | null): Promise<void> {
    this.saveRunNow(job, attempt, run);
  }

  /** As `saveRun`, synchronously: the store is in this process (no promise per run written). */
  saveRunNow(job: JobKey, attempt: number, run: StoredRun | null): void {
    const entry = this.entry(job);
    if (!entry) return;
    if (run === null) (entry.troubles ??= { dropped: 0, stalls: [] }).dropped += 1;
    else if (Number.isInteger(attempt) && attempt >= 1 && attempt <= MAX_ATTEMPTS) keepRun(entry, attempt, run);
  }

  async noteStall(job: JobKey, at: number): Promise<void> {
    const entry = this.entry(job);
    if (entry && (entry.troubles?.stalls.length ?? 0) < MAX_STALLS) (entry.troubles ??= { dropped: 0, stalls: [] }).stalls.push(at);
  }

  async read(jobs: readonly JobKey[]): Promise<Array<StoredJob | undefined>> {
    return jobs.map((job) => {
      const entry = this.entry(job);
      if (!entry) return undefined;
      const stored = entry.runs;
      const runs: JobRun[] = stored === undefined ? [] : Array.isArray(stored) ? stored.map(expandRun) : [expandRun(stored)];
      return { lineage: lineageOf(entry), runs, droppedRuns: entry.troubles?.dropped ?? 0, stalls: [...(entry.troubles?.stalls ?? [])] };
    });
  }

  async close(): Promise<void> {
    this.recent = undefined;
    this.young.jobs.clear();
    this.old.jobs.clear();
  }

  /** The job's entry, unless expired; `foundIn` is then its generation. */
  private entry(job: JobKey): Entry | undefined {
    this.indexRecent();
    const { prefix, queue, jobId } = job;
    let generation = this.young;
    let entry = generation.jobs.get(prefix, queue, jobId);
    if (entry === undefined) {
      generation = this.old;
      entry = generation.jobs.get(prefix, queue, jobId);
    }
    if (entry === undefined) return undefined;
    if (entry.linkedAt + generation.since + TTL_MS <= this.now()) {
      generation.jobs.delete(prefix, queue, jobId);
      return undefined;
    }
    this.foundIn = generation;
    return entry;
  }
}

/** Keeps `run` as the job's attempt `attempt`, replacing what an earlier write of it kept. */
function keepRun(entry: Entry, attempt: number, run: StoredRun): void {
  const runs = entry.runs;
  if (runs === undefined || (!Array.isArray(runs) && runs.attempt === attempt)) {
    entry.runs = run;
    return;
  }
  const list = Array.isArray(runs) ? runs : [runs];
  let index = list.length;
  while (index > 0 && list[index - 1]!.attempt >= attempt) index -= 1;
  if (list[index]?.attempt === attempt) list[index] = run;
  else list.splice(index, 0, run);
  entry.runs = list;
}

function lineageOf(entry: Entry): JobLineage {
  const { link, seq } = entry;
  // Built for each reader, not kept: a worker asks once per attempt, the panel now and then.
  if (typeof link === 'string') return { requestId: link, parent: { kind: 'request', requestId: link, seq }, depth: 1 };
  if (link instanceof FollowUpParent) return link.lineageOf(seq);
  return link;
}
