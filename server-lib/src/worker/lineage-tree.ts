import type { JobStatusReader } from '../bullmq/job-status.js';
import type { LineageNode, RequestLineageResponse } from '../protocol-runs.js';
import { PROTOCOL_VERSION, type RequestRecord, type TaskRecord } from '../protocol.js';
import { settleStalled, type JobKey, type RunStore, type StoredJob } from './run-store.js';

/** Jobs listed in one lineage answer; more are counted in `droppedJobs`. */
export const MAX_LINEAGE_JOBS = 500;

interface Pending {
  key: JobKey;
  name: string;
  depth: number;
  parent: JobKey | null;
  flowParent: JobKey | null;
  seq: number;
}

function childrenOf(tasks: readonly TaskRecord[], parent: JobKey | null, depth: number): Pending[] {
  const out: Pending[] = [];
  for (const task of tasks) {
    if (task.jobId === null || task.duplicateOf !== null) continue;
    // A flow's parent is in the same queue prefix as its children (one FlowProducer call).
    const flowParent = task.parent?.jobId ? { prefix: task.prefix, queue: task.parent.queue, jobId: task.parent.jobId } : null;
    out.push({ key: { prefix: task.prefix, queue: task.queue, jobId: task.jobId }, name: task.name, depth, parent, flowParent, seq: task.seq });
  }
  return out;
}

function summarize(stored: StoredJob | undefined): Pick<LineageNode, 'runCount' | 'lastOutcome' | 'failedRuns' | 'enqueuedCount' | 'nPlusOneCount'> {
  const runs = stored?.runs ?? [];
  let enqueuedCount = 0;
  let nPlusOneCount = 0;
  for (const run of runs) {
    enqueuedCount += run.enqueued?.summary.total ?? 0;
    nPlusOneCount += run.enqueued?.nPlusOne.length ?? 0;
  }
  return {
    runCount: runs.length,
    lastOutcome: runs[runs.length - 1]?.outcome ?? null,
    failedRuns: runs.filter((run) => run.outcome === 'failed').length,
    enqueuedCount,
    nPlusOneCount,
  };
}

/**
 * Every job descending from a request, breadth first: the request's tasks, then what each of
 * their runs enqueued, and so on, one store round trip per level and one status read for all.
 * Bounded by {@link MAX_LINEAGE_JOBS} and by the lineage depth links were written to.
 *
 * @example
 * ```ts
 * const tree = await readLineage(record, runs, statusReader, 8);
 * ```
 */
export async function readLineage(record: RequestRecord, runs: RunStore, statusReader: JobStatusReader, maxDepth: number): Promise<RequestLineageResponse> {
  const nodes: Array<Omit<LineageNode, 'status'>> = [];
  const seen = new Set<string>();
  let level = childrenOf(record.tasks, null, 1);
  let droppedJobs = 0;
  let failedRuns = 0;
  while (level.length > 0) {
    const fresh = level.filter((pending) => {
      const id = `${pending.key.prefix}\u0000${pending.key.queue}\u0000${pending.key.jobId}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    const room = MAX_LINEAGE_JOBS - nodes.length;
    droppedJobs += Math.max(0, fresh.length - room);
    const taken = fresh.slice(0, Math.max(0, room));
    if (taken.length === 0) break;
    const stored = await runs.read(taken.map((pending) => pending.key));
    const next: Pending[] = [];
    taken.forEach((pending, index) => {
      const job = stored[index] ? settleStalled(stored[index]!) : undefined;
      const summary = summarize(job);
      failedRuns += summary.failedRuns;
      nodes.push({ ...pending.key, name: pending.name, depth: pending.depth, parent: pending.parent, flowParent: pending.flowParent, seq: pending.seq, ...summary });
      if (pending.depth >= maxDepth) return;
      for (const run of job?.runs ?? []) {
        if (run.enqueued) next.push(...childrenOf(run.enqueued.tasks, pending.key, pending.depth + 1));
      }
    });
    level = next;
  }
  const statuses = await statusReader.read(nodes.map((node) => ({ queue: node.queue, prefix: node.prefix, jobId: node.jobId })));
  return {
    version: PROTOCOL_VERSION,
    requestId: record.id,
    jobs: nodes.map((node, index) => ({ ...node, status: statuses[index]! })),
    droppedJobs,
    maxJobs: MAX_LINEAGE_JOBS,
    maxDepth,
    failedRuns,
  };
}
