import { describe, expect, it } from 'vitest';
import type { LineageNode, RequestLineageResponse } from 'taskscope/protocol';
import { descendantCount, lineageTree } from '../../extension/src/panel/runs/lineage-model.js';
import { makeStatus, makeTask } from './fixtures.js';

type Key = { prefix: string; queue: string; jobId: string };
const key = (queue: string, jobId: string): Key => ({ prefix: 'bull', queue, jobId });

function node(name: string, job: Key, parent: Key | null, flowParent?: Key | null): LineageNode {
  const status = makeStatus(makeTask(1, { queue: job.queue, jobId: job.jobId }), 'completed');
  return {
    ...job, name, depth: parent ? 2 : 1, parent, seq: 1, runCount: 1, lastOutcome: 'completed', failedRuns: 0,
    enqueuedCount: 0, nPlusOneCount: 0, status, ...(flowParent === undefined ? {} : { flowParent }),
  };
}

function answer(jobs: LineageNode[]): RequestLineageResponse {
  return { version: 1, requestId: 'r', jobs, droppedJobs: 0, maxJobs: 500, maxDepth: 8, failedRuns: 0 } as RequestLineageResponse;
}

describe('lineageTree()', () => {
  const pack = key('packing', '1');
  const ship = key('shipping', '7');
  const pick = key('shipping', '8');

  it('nests a flow a job started as a flow: the child under its flow parent, the parent under the job', () => {
    const tree = lineageTree(answer([node('pack-order', pack, null), node('ship-box', ship, pack, null), node('pick-item', pick, pack, ship)]));
    expect(tree.children.get('bull\u0000packing\u00001')?.map((n) => n.name)).toEqual(['ship-box']);
    expect(tree.children.get('bull\u0000shipping\u00007')?.map((n) => n.name)).toEqual(['pick-item']);
    expect(descendantCount(tree, pack)).toBe(2);
    expect(tree.followUps).toBe(2);
  });

  it('keeps a flow child under the job that enqueued it when its flow parent is not listed (or the server is older)', () => {
    const outside = lineageTree(answer([node('pack-order', pack, null), node('pick-item', pick, pack, key('shipping', '99'))]));
    expect(outside.children.get('bull\u0000packing\u00001')?.map((n) => n.name)).toEqual(['pick-item']);
    const older = lineageTree(answer([node('pack-order', pack, null), node('ship-box', ship, pack), node('pick-item', pick, pack)]));
    expect(older.children.get('bull\u0000packing\u00001')?.map((n) => n.name)).toEqual(['ship-box', 'pick-item']);
  });
});
