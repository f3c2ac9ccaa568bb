/**
 * Turns the arguments of `FlowProducer.add` and `addBulk` into `EnqueueSpec`s, one per node of
 * each flow tree (parents before children), and the JobNode trees they resolve to into
 * `EnqueuedJob`s in the same order. Duck-typed, like enqueue-specs.ts.
 */
import type { EnqueueSpec, EnqueuedJob } from '../core/scope.js';
import { rememberSource } from './source-registry.js';
import { DEFAULT_PREFIX, displayName, fromJob, padTo, type JobLike } from './enqueue-specs.js';

type Options = Record<string, unknown>;

/** The fields of a FlowProducer the specs need. */
export interface FlowProducerLike {
  opts?: { prefix?: string };
}

/** A node of a flow tree as the app passes it to `FlowProducer.add`. */
export interface FlowNodeLike {
  name: string;
  queueName: string;
  data?: unknown;
  prefix?: string;
  opts?: Options & { jobId?: string; parent?: { id: string; queue: string } };
  children?: FlowNodeLike[];
}

interface JobNodeLike {
  job?: JobLike;
  children?: JobNodeLike[];
}

// Pre-order (node, then its children in order): the same walk `jobsOfFlowTree` makes over the
// JobNode tree BullMQ returns, which mirrors the input tree child for child. Parents are filled
// in from the jobs BullMQ builds (their `opts.parent`), so the app's options are never read here.
function describeFlowNode(producer: FlowProducerLike, node: FlowNodeLike, out: EnqueueSpec[]): void {
  const prefix = node.prefix ?? producer.opts?.prefix ?? DEFAULT_PREFIX;
  rememberSource(prefix, node.queueName, producer);
  out.push({
    via: 'flow',
    queue: displayName(node.queueName),
    prefix,
    name: displayName(node.name),
    data: node.data,
    opts: node.opts,
    parent: null,
    source: producer,
  });
  if (!Array.isArray(node.children)) return;
  for (const child of node.children) describeFlowNode(producer, child, out);
}

function describeFlow(producer: FlowProducerLike, flow: FlowNodeLike, out: EnqueueSpec[]): void {
  if (flow == null || typeof flow !== 'object') return;
  describeFlowNode(producer, flow, out);
}

/**
 * Specs of `flowProducer.add(flow, opts)`: every node of the tree, parents before children.
 *
 * @example
 * ```ts
 * describeFlowAdd(producer, [{ name: 'p', queueName: 'a', children: [{ name: 'c', queueName: 'b' }] }]);
 * ```
 */
export function describeFlowAdd(producer: FlowProducerLike, args: unknown[]): EnqueueSpec[] {
  const out: EnqueueSpec[] = [];
  describeFlow(producer, args[0] as FlowNodeLike, out);
  return out;
}

/**
 * Specs of `flowProducer.addBulk(flows)`: the nodes of each flow in turn.
 *
 * @example
 * ```ts
 * describeFlowAddBulk(producer, [[flowA, flowB]]);
 * ```
 */
export function describeFlowAddBulk(producer: FlowProducerLike, args: unknown[]): EnqueueSpec[] {
  const out: EnqueueSpec[] = [];
  const flows = Array.isArray(args[0]) ? (args[0] as FlowNodeLike[]) : [];
  for (const flow of flows) describeFlow(producer, flow, out);
  return out;
}

function walkJobNode(node: JobNodeLike | undefined, parentJobId: string | null | undefined, out: EnqueuedJob[]): void {
  const job = fromJob(node?.job);
  if (parentJobId !== undefined) job.parentJobId = parentJobId;
  out.push(job);
  if (!Array.isArray(node?.children)) return;
  for (const child of node.children) walkJobNode(child, job.jobId, out);
}

/**
 * The jobs of the JobNode tree `flowProducer.add` resolved to, in the order of `describeFlowAdd`.
 *
 * @example
 * ```ts
 * jobsOfFlowAdd(tree, specs.length, [flow]);
 * ```
 */
export function jobsOfFlowAdd(result: unknown, count: number, args: unknown[]): EnqueuedJob[] {
  const out: EnqueuedJob[] = [];
  if (result != null) walkJobNode(result as JobNodeLike, (args[0] as FlowNodeLike | undefined)?.opts?.parent?.id, out);
  return padTo(out, count);
}

/**
 * The jobs of every tree `flowProducer.addBulk` resolved to, in the order of `describeFlowAddBulk`.
 *
 * @example
 * ```ts
 * jobsOfFlowAddBulk(trees, specs.length, [flows]);
 * ```
 */
export function jobsOfFlowAddBulk(result: unknown, count: number, args: unknown[]): EnqueuedJob[] {
  const out: EnqueuedJob[] = [];
  const flows = Array.isArray(args[0]) ? (args[0] as Array<FlowNodeLike | undefined>) : [];
  if (Array.isArray(result)) {
    result.forEach((tree: JobNodeLike, index) => walkJobNode(tree, flows[index]?.opts?.parent?.id, out));
  }
  return padTo(out, count);
}
