import type { JobStatus, TaskRecord } from 'taskscope/protocol';

export type SortKey = 'seq' | 'name' | 'queue' | 'state' | 'delay' | 'attempts' | 'enqueueMs' | 'origin';
export interface SortOrder {
  key: SortKey;
  descending: boolean;
}

type Value = number | string;

function valueOf(task: TaskRecord, status: JobStatus | undefined, key: SortKey): Value {
  switch (key) {
    case 'seq':
      return task.seq;
    case 'name':
      return task.name;
    case 'queue':
      return task.queue;
    case 'state':
      return status?.state ?? (task.error ? 'enqueue failed' : '');
    case 'delay':
      return task.delayMs;
    case 'attempts':
      return status?.attemptsMade ?? 0;
    case 'enqueueMs':
      return task.enqueueMs;
    case 'origin':
      return task.origin ? `${task.origin.file}:${String(task.origin.line).padStart(7, '0')}` : '';
  }
}

/** Sorts tasks for the job table; ties keep enqueue order, so the table does not shuffle. */
export function sortTasks(tasks: readonly TaskRecord[], statuses: ReadonlyMap<number, JobStatus>, order: SortOrder): TaskRecord[] {
  const direction = order.descending ? -1 : 1;
  return tasks
    .map((task) => ({ task, value: valueOf(task, statuses.get(task.seq), order.key) }))
    .sort((a, b) => {
      const cmp =
        typeof a.value === 'number' && typeof b.value === 'number' ? a.value - b.value : String(a.value).localeCompare(String(b.value));
      return cmp !== 0 ? cmp * direction : a.task.seq - b.task.seq;
    })
    .map((x) => x.task);
}
