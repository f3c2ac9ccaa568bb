import type { TaskRecord } from 'taskscope/protocol';

/** Where a job sits in the flows of its request. */
export interface FlowPlace {
  /** 0 for a job with no parent in this request, 1 for its children, and so on. */
  depth: number;
  /** `seq` of the parent job's task, when the parent was enqueued by this request. */
  parentSeq: number | null;
  childSeqs: number[];
}

const key = (queue: string, jobId: string | null): string => `${queue}\u0000${jobId ?? ''}`;

/** Links flow children (`task.parent`) to their parents' tasks within one request. */
export function flowPlaces(tasks: readonly TaskRecord[]): Map<number, FlowPlace> {
  const byJob = new Map<string, TaskRecord>();
  for (const task of tasks) if (task.jobId !== null && task.duplicateOf === null) byJob.set(key(task.queue, task.jobId), task);
  const places = new Map<number, FlowPlace>(tasks.map((t) => [t.seq, { depth: 0, parentSeq: null, childSeqs: [] }]));
  for (const task of tasks) {
    if (!task.parent) continue;
    const parent = byJob.get(key(task.parent.queue, task.parent.jobId));
    if (!parent || parent.seq === task.seq) continue;
    places.get(task.seq)!.parentSeq = parent.seq;
    places.get(parent.seq)!.childSeqs.push(task.seq);
  }
  const depthOf = (seq: number, guard = 0): number => {
    const parentSeq = places.get(seq)?.parentSeq ?? null;
    return parentSeq === null || guard > 50 ? 0 : 1 + depthOf(parentSeq, guard + 1);
  };
  for (const [seq, place] of places) place.depth = depthOf(seq);
  return places;
}

/**
 * Orders tasks as a tree: each parent followed by its children (in the given order), so a flow
 * reads top-down. Tasks without a parent in the request keep their order.
 */
export function treeOrder(tasks: readonly TaskRecord[], places: ReadonlyMap<number, FlowPlace>): TaskRecord[] {
  const bySeq = new Map(tasks.map((t) => [t.seq, t]));
  const rank = new Map(tasks.map((t, i) => [t.seq, i]));
  const out: TaskRecord[] = [];
  const seen = new Set<number>();
  const visit = (task: TaskRecord): void => {
    if (seen.has(task.seq)) return;
    seen.add(task.seq);
    out.push(task);
    const children = (places.get(task.seq)?.childSeqs ?? []).filter((s) => bySeq.has(s));
    children.sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
    for (const seq of children) visit(bySeq.get(seq)!);
  };
  for (const task of tasks) {
    const parentSeq = places.get(task.seq)?.parentSeq ?? null;
    if (parentSeq === null || !bySeq.has(parentSeq)) visit(task);
  }
  for (const task of tasks) visit(task); // anything left (a cycle) still shows
  return out;
}
