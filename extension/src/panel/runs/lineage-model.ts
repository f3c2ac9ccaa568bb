import type { JobStatus, LineageNode, RequestLineageResponse } from 'taskscope/protocol';
import { isBusyRead, isFinished, keepKnownStatuses } from '../../lib/debug-api.js';
import { plural } from '../../lib/format.js';
import { keyOfNode, keyString, type JobKey } from './job-key.js';

/** A request's lineage as the job table reads it: each job's follow-ups, by the job's key. */
export interface LineageTree {
  nodes: ReadonlyMap<string, LineageNode>;
  /** Jobs a job enqueued, in the order the lineage lists them (attempt, then enqueue order). */
  children: ReadonlyMap<string, readonly LineageNode[]>;
  /** Jobs enqueued by jobs rather than by the request. */
  followUps: number;
}

const EMPTY: LineageTree = { nodes: new Map(), children: new Map(), followUps: 0 };

/**
 * Indexes a lineage answer; `null` (not loaded, or an older server) gives an empty tree. A flow
 * a job started nests as a flow: its children under their flow parent, when that is listed too.
 */
export function lineageTree(lineage: RequestLineageResponse | null | undefined): LineageTree {
  if (!lineage) return EMPTY;
  const nodes = new Map<string, LineageNode>();
  const children = new Map<string, LineageNode[]>();
  for (const node of lineage.jobs) nodes.set(keyString(keyOfNode(node)), node);
  for (const node of lineage.jobs) {
    if (!node.parent) continue;
    const flowParent = node.flowParent ? keyString(node.flowParent) : undefined;
    const parent = flowParent !== undefined && nodes.has(flowParent) && flowParent !== keyString(keyOfNode(node)) ? flowParent : keyString(node.parent);
    children.set(parent, [...(children.get(parent) ?? []), node]);
  }
  return { nodes, children, followUps: lineage.jobs.filter((node) => node.parent !== null).length };
}

/** Every job below `job` in the tree (its follow-ups, theirs, …). */
export function descendantCount(tree: LineageTree, job: JobKey, guard = 0): number {
  const direct = tree.children.get(keyString(job)) ?? [];
  if (guard > 16) return direct.length;
  return direct.reduce((sum, child) => sum + 1 + descendantCount(tree, keyOfNode(child), guard + 1), 0);
}

/**
 * A job that will not change by itself: its state is final and no attempt is still being
 * recorded (a worker writes the run a moment after BullMQ moves the job, with what it enqueued).
 */
export function nodeFinal(node: Pick<LineageNode, 'lastOutcome'> & { status: JobStatus }): boolean {
  return isFinished(node.status) && node.lastOutcome !== 'running';
}

/** True when no job of the tree will change any more: polling it further is pointless. */
export function treeFinal(lineage: RequestLineageResponse): boolean {
  return lineage.jobs.every(nodeFinal);
}

/**
 * The new answer, with a job's last known state kept where the new one is only a busy read
 * (`isBusyRead`: Redis still answering another status read): a live tree does not flicker to
 * "unavailable" and back while the jobs in it go on.
 */
export function keepKnownStates(previous: RequestLineageResponse | undefined, next: RequestLineageResponse): RequestLineageResponse {
  if (!previous || !next.jobs.some((node) => isBusyRead(node.status))) return next;
  const statuses = keepKnownStatuses(
    new Map(previous.jobs.map((node) => [keyString(keyOfNode(node)), node.status])),
    new Map(next.jobs.map((node) => [keyString(keyOfNode(node)), node.status])),
  );
  return { ...next, jobs: next.jobs.map((node) => ({ ...node, status: statuses.get(keyString(keyOfNode(node))) ?? node.status })) };
}

/** How the request list marks a request for what became of the jobs it led to. */
export interface DescendantMark {
  /** `failed`: a job of the tree failed for good; `retried`: attempts failed, and BullMQ ran them again. */
  kind: 'failed' | 'retried';
  title: string;
}

/** The request list's mark for a lineage, `null` when nothing in it failed. */
export function descendantMark(lineage: RequestLineageResponse | null | undefined): DescendantMark | null {
  if (!lineage) return null;
  const failed = lineage.jobs.filter((node) => node.status.state === 'failed');
  if (failed.length) {
    const names = failed.slice(0, 3).map((node) => `${node.name} (${node.queue})`).join(', ');
    const deep = failed.some((node) => node.depth > 1);
    return { kind: 'failed', title: `${deep ? 'A job this request led to failed' : 'A job of this request failed'}: ${names}${failed.length > 3 ? ', …' : ''}` };
  }
  if (lineage.failedRuns > 0) {
    return { kind: 'retried', title: `${plural(lineage.failedRuns, 'attempt')} failed in this request's jobs and their follow-ups; BullMQ retried` };
  }
  return null;
}
