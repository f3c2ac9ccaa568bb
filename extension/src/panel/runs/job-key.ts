import type { LineageNode, TaskRecord } from 'taskscope/protocol';

/** Where a job lives in BullMQ: its key prefix, queue and id (the same job in any answer). */
export interface JobKey {
  prefix: string;
  queue: string;
  jobId: string;
}

/** A map key for a job, unambiguous whatever characters its parts hold. */
export function keyString(job: JobKey): string {
  return `${job.prefix}\u0000${job.queue}\u0000${job.jobId}`;
}

/** The job a task made, `null` for a failed add (no job) or one merged into an earlier task's job. */
export function keyOfTask(task: TaskRecord): JobKey | null {
  if (task.jobId === null || task.duplicateOf !== null) return null;
  return { prefix: task.prefix, queue: task.queue, jobId: task.jobId };
}

/** The job of a lineage node. */
export function keyOfNode(node: Pick<LineageNode, 'prefix' | 'queue' | 'jobId'>): JobKey {
  return { prefix: node.prefix, queue: node.queue, jobId: node.jobId };
}

/** True when both name the same job. */
export function sameJob(a: JobKey | null | undefined, b: JobKey | null | undefined): boolean {
  return !!a && !!b && keyString(a) === keyString(b);
}
