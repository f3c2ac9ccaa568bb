/**
 * What BullMQ built a run's tasks' jobs from, kept so a written run holds that rather than
 * snapshots made at once (stored-run.ts): the JSON of the data BullMQ stored (the very string a
 * worker receives) and BullMQ's own copy of the options — what a request's TaskEntry keeps too.
 */
import type { TaskRecord } from '../protocol.js';

/**
 * The longest JSON (data or options) a stored run keeps as it came; a longer one is made its
 * bounded snapshot when the run is written, as a request's task is soon after its add. So a
 * stored run holds no more than about its snapshots would.
 */
export const MAX_RAW_JSON = 2048;

/**
 * The sources of one run's kept tasks, by `seq`. Held by the recording only, never by a stored
 * run: the options object is BullMQ's, and may hold the app's objects.
 *
 * @example
 * ```ts
 * const built = new BuiltSources();
 * built.keep(1, '{"orderId":7}', job.opts);
 * rawSources(built, task); // { data: '{"orderId":7}', opts: '{"attempts":1}' }
 * ```
 */
export class BuiltSources {
  private readonly json: Array<string | undefined> = [];
  private readonly opts: unknown[] = [];
  // The options' JSON once made (`null`: JSON cannot hold them): each write of the run uses it,
  // so BullMQ's options are read once, and let go of.
  private readonly optsJson: Array<string | null | undefined> = [];

  keep(seq: number, json: string, opts: unknown): void {
    this.json[seq - 1] = json;
    this.opts[seq - 1] = opts;
  }

  /** The data's JSON of task `seq`, when BullMQ built its job. */
  jsonOf(seq: number): string | undefined {
    return this.json[seq - 1];
  }

  /** The JSON of BullMQ's copy of the options of task `seq` (as stored: no `undefined`), `null` when JSON cannot hold them. */
  optsJsonOf(seq: number): string | null {
    const known = this.optsJson[seq - 1];
    if (known !== undefined) return known;
    let text: string | null;
    try {
      text = JSON.stringify(this.opts[seq - 1]) ?? 'null';
    } catch {
      text = null; // a cycle, a BigInt: the snapshot shows what JSON cannot hold
    }
    this.optsJson[seq - 1] = text;
    this.opts[seq - 1] = undefined;
    return text;
  }
}

/**
 * The JSON texts a stored run keeps for `task` — the data as BullMQ stored it, the options as
 * they are stored — or `undefined` when it keeps the task's snapshots instead: BullMQ built no
 * job of it (a job scheduler's), or JSON cannot hold its options, or either text is long.
 *
 * @example
 * ```ts
 * const raw = rawSources(built, task);
 * ```
 */
export function rawSources(built: BuiltSources, task: TaskRecord): { data: string; opts: string } | undefined {
  const data = built.jsonOf(task.seq);
  if (data === undefined || data.length > MAX_RAW_JSON) return undefined;
  const opts = built.optsJsonOf(task.seq);
  return opts === null || opts.length > MAX_RAW_JSON ? undefined : { data, opts };
}
