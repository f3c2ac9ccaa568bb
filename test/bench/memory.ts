import type { NodeBinary } from './node-versions.js';
import { RETENTION_SCENARIOS, type RetentionResult } from './retention-scenarios.js';
import { benchFile, runBench } from './spawn-node.js';
import { report, type Verdicts } from './stats.js';

const WORKER = benchFile('memory-worker.ts');
const KB = 1024;
/** Heap after full collections still moves by a few hundred KB (code, inline caches). */
const NOISE_BYTES = 512 * KB;

/**
 * Memory on the given Node, each part in its own `--expose-gc` process: heap retained per
 * tracked task (target ≤ 1 KB), the MemoryStore's caps, and what taskscope keeps alive with big
 * strings in job data, long timers and big closures around enqueues (target: at most 2× what
 * the store counts for its records, plus {@link NOISE_BYTES} of measuring noise).
 */
export async function benchMemory(node: NodeBinary, connection: { host: string; port: number }): Promise<Verdicts> {
  const args = (part: string) => [part, connection.host, String(connection.port)];
  const verdicts: Verdicts = [];
  const task = await runBench<{ perTaskBytes: number; tasks: number; records: number; requests: number }>(node, WORKER, args('per-task'), ['--expose-gc']);
  verdicts.push(report('retained heap per tracked task', `${task.perTaskBytes.toFixed(0)} B over ${task.tasks} tasks (target ≤ 1024 B)`, task.perTaskBytes <= 1024 && task.records === task.requests));

  const caps = await runBench<{ records: number; bytes: number }>(node, WORKER, args('caps'), ['--expose-gc']);
  verdicts.push(report('memory store after 2,000 saves', `${caps.records} records, ${caps.bytes} B (caps 100 records, 524288 B)`, caps.records <= 100 && caps.bytes <= 512 * KB));

  for (const scenario of RETENTION_SCENARIOS) {
    const r = await runBench<RetentionResult>(node, WORKER, args(scenario), ['--expose-gc']);
    const kept = Math.max(r.openBytes, r.doneBytes);
    const limit = 2 * r.storeBytes + NOISE_BYTES;
    verdicts.push(report(
      `retained, ${LABELS[scenario]}`,
      `${mb(r.openBytes)} open, ${mb(r.doneBytes)} done; store counts ${mb(r.storeBytes)} for ${r.storeRecords} records (target ≤ 2× + 0.5 MB)`,
      kept <= limit,
    ));
  }
  return verdicts;
}

const LABELS: Record<(typeof RETENTION_SCENARIOS)[number], string> = {
  'big-strings': '1.5 MB strings in job data',
  timers: 'long timers in requests',
  closures: '5 MB closures around adds',
};

const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(2)} MB`;
