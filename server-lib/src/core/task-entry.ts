import type { Snapshot, StackFrame, TaskRecord, TaskVia } from '../protocol.js';
import { DeferredStack } from './deferred-stack.js';
import type { FormattedStack } from './stack.js';
import type { SnapshotResult } from './serialize.js';

type Serialize = (value: unknown) => SnapshotResult;

// JSON sizes of a task's parts, for the store's byte count (measured on real records).
const TASK_BYTES = 400;
const FRAME_BYTES = 80;
const OPTS_BYTES = 60;
/** Data stored longer than this is turned into its bounded snapshot soon after the response. */
const COMPACT_AT = 2048;

const NO_FRAMES: StackFrame[] = Object.freeze([]) as unknown as StackFrame[];
const UNREAD: SnapshotResult = { value: null, truncated: false, bytes: 4 };
const PARSE_FAILED: SnapshotResult = { value: { $taskscope: 'unreadable', reason: 'not JSON' }, truncated: true, bytes: 50 };

/**
 * One task of a request as Taskscope holds it in memory. The job's data is kept as BullMQ
 * serialised it (the string a worker receives) and its options as BullMQ normalised them, and
 * both become bounded, redacted snapshots only when the record is read — the first read keeps
 * the snapshot and lets go of the rest. `JSON.stringify` gives the wire {@link TaskRecord}.
 *
 * @example
 * ```ts
 * const entry = new TaskEntry(serialize, 1, 'emails', 'bull', 'send', 'add', Date.now(), 3.2, false, 1, 1);
 * entry.keepBuilt('{"to":"a@b.c"}', { attempts: 3 });
 * JSON.stringify(entry); // {"seq":1,…,"data":{"to":"a@b.c"},"opts":{"attempts":3},…}
 * ```
 */
export class TaskEntry {
  jobId: string | null = null;
  enqueueMs = 0;
  delayMs = 0;
  scheduledFor: number | null = null;
  error: string | null = null;
  duplicate: boolean | null = null;
  duplicateOf: number | null = null;
  jobTimestamp: number | null = null;
  parent: { queue: string; jobId: string | null } | null = null;
  schedulerId: string | null = null;
  /** Where the app called BullMQ, when stacks are captured: its frames once read. */
  site: DeferredStack | FormattedStack | undefined = undefined;
  /** BullMQ built this task's job, so its data and options come from there. */
  built = false;
  private dataJson: string | undefined;
  private optsSource: unknown;
  // The JSON of BullMQ's options, made once (`null`: JSON cannot hold them): so they are read once,
  // however often a job run holding this task is written (worker/stored-run.ts).
  private optsJson: string | null | undefined;
  private dataSnap: SnapshotResult | undefined;
  private optsSnap: SnapshotResult | undefined;

  constructor(
    private readonly serialize: Serialize,
    readonly seq: number,
    public queue: string,
    readonly prefix: string,
    public name: string,
    readonly via: TaskVia,
    readonly enqueuedAt: number,
    readonly offsetMs: number,
    readonly late: boolean,
    readonly callSeq: number,
    readonly callSize: number,
  ) {}

  /** The data as BullMQ stored it (its JSON) and BullMQ's own copy of the options. */
  keepBuilt(dataJson: string, opts: unknown): void {
    this.built = true;
    this.dataJson = dataJson;
    this.optsSource = opts;
  }

  /**
   * The data's JSON as BullMQ stored it and the JSON of BullMQ's copy of the options, while this
   * task still holds them and neither is long: what a written job run keeps instead of snapshots.
   */
  get storedSources(): { data: string; opts: string } | undefined {
    const data = this.dataJson;
    if (data === undefined || data.length > COMPACT_AT || this.optsSnap !== undefined) return undefined;
    const opts = this.optionsJson();
    return opts === null || opts.length > COMPACT_AT ? undefined : { data, opts };
  }

  /** For a job BullMQ built out of sight (a job scheduler's): snapshot the app's values now, once. */
  keepValues(data: unknown, opts: unknown): void {
    this.dataSnap = this.serialize(data);
    this.optsSnap = this.serialize(opts ?? {});
  }

  /**
   * Its job may be one an earlier task already has: the app chose the job id, or deduplication
   * (read from BullMQ's own copy of the options). BullMQ's generated ids are never reused, so
   * the look back over the request's tasks is skipped for them.
   */
  get mayShareJob(): boolean {
    const opts = this.optsSource as { jobId?: unknown; deduplication?: unknown; debounce?: unknown; repeat?: unknown } | null | undefined;
    if (opts === undefined || opts === null || typeof opts !== 'object') return true;
    return opts.jobId !== undefined || opts.deduplication !== undefined || opts.debounce !== undefined || opts.repeat !== undefined;
  }

  /** The task's JSON size as far as known without building it: what it holds, for the store's count. */
  get estimatedBytes(): number {
    const data = this.dataJson?.length ?? this.dataSnap?.bytes ?? 4;
    const opts = this.optsSnap?.bytes ?? (this.optsSource === undefined ? 4 : OPTS_BYTES);
    return TASK_BYTES + this.queue.length + this.name.length + FRAME_BYTES * (this.stack.length + 1) + data + opts;
  }

  /** The innermost application frame of the enqueue call. */
  get origin(): StackFrame | null {
    return this.frames()?.origin ?? null;
  }

  /** Application frames of the enqueue call, innermost first. */
  get stack(): StackFrame[] {
    return this.frames()?.stack ?? NO_FRAMES;
  }

  /** Holds more data than its snapshot will keep: worth turning into the snapshot now. */
  get needsCompaction(): boolean {
    return this.dataJson !== undefined && this.dataJson.length > COMPACT_AT;
  }

  /** Builds the snapshots now and lets go of the stored data. */
  compact(): void {
    this.dataResult();
    this.optsResult();
  }

  get data(): Snapshot {
    return this.dataResult().value;
  }

  get opts(): Snapshot {
    return this.optsResult().value;
  }

  get truncated(): boolean {
    return this.dataResult().truncated || this.optsResult().truncated;
  }

  toJSON(): TaskRecord {
    return {
      seq: this.seq, jobId: this.jobId, queue: this.queue, prefix: this.prefix, name: this.name, via: this.via,
      data: this.data, opts: this.opts, truncated: this.truncated,
      enqueuedAt: this.enqueuedAt, offsetMs: this.offsetMs, enqueueMs: this.enqueueMs,
      callSeq: this.callSeq, callSize: this.callSize, delayMs: this.delayMs, scheduledFor: this.scheduledFor,
      late: this.late, error: this.error, duplicate: this.duplicate, duplicateOf: this.duplicateOf,
      jobTimestamp: this.jobTimestamp, parent: this.parent, schedulerId: this.schedulerId,
      origin: this.origin, stack: this.stack,
    };
  }

  private frames(): FormattedStack | undefined {
    const site = this.site;
    return site instanceof DeferredStack ? site.formatted : site;
  }

  private dataResult(): SnapshotResult {
    if (this.dataSnap === undefined) {
      const json = this.dataJson;
      if (json === undefined) return UNREAD;
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch {
        this.dataSnap = PARSE_FAILED;
        this.dataJson = undefined;
        return PARSE_FAILED;
      }
      this.dataSnap = this.serialize(parsed);
      this.dataJson = undefined;
    }
    return this.dataSnap;
  }

  private optsResult(): SnapshotResult {
    if (this.optsSnap === undefined) {
      if (this.optsSource === undefined) return UNREAD;
      // As stored: JSON keeps no `undefined`, which BullMQ's copy is full of; what JSON cannot hold, as it is.
      const json = this.optionsJson();
      this.optsSnap = this.serialize(json === null ? this.optsSource : JSON.parse(json));
      this.optsSource = undefined;
      this.optsJson = undefined;
    }
    return this.optsSnap;
  }

  private optionsJson(): string | null {
    if (this.optsJson === undefined) {
      try {
        this.optsJson = JSON.stringify(this.optsSource) ?? 'null';
      } catch {
        this.optsJson = null; // a cycle, a BigInt: the snapshot shows what JSON cannot hold
      }
    }
    return this.optsJson;
  }
}
