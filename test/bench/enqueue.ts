import { ENQUEUE_MODES, type EnqueueMode } from './enqueue-modes.js';
import type { NodeBinary } from './node-versions.js';
import { benchFile, runBench } from './spawn-node.js';
import { gapLine, median, percentile, report, roundsOf, type Verdicts } from './stats.js';

const WORKER = benchFile('enqueue-worker.ts');

/**
 * `queue.add` latency in every variant of `enqueue-modes.ts`, each in a fresh process of the
 * given Node. Processes differ from each other by several percent, so every round runs all the
 * variants back to back (in a rotating order) and each figure is the median of the rounds'
 * ratios to that round's bare process; a gap is the difference of two such figures.
 * Targets (DESIGN.md): tracked − floor ≤ 0.03, tracked below the peer, no-stacks − ALS-only
 * floor ≤ 0.02.
 */
export async function benchEnqueue(node: NodeBinary, connection: { host: string; port: number }, quick: boolean): Promise<Verdicts> {
  const rounds = quick ? 2 : 8;
  const adds = quick ? 300 : 600;
  const samples = Object.fromEntries(ENQUEUE_MODES.map((m) => [m, [] as number[]])) as Record<EnqueueMode, number[]>;
  const perRound: Record<EnqueueMode, number>[] = [];
  for (let round = 0; round < rounds; round++) {
    const medians = {} as Record<EnqueueMode, number>;
    for (let i = 0; i < ENQUEUE_MODES.length; i++) {
      const mode = ENQUEUE_MODES[(round + i) % ENQUEUE_MODES.length]!;
      const values = await runBench<number[]>(node, WORKER, [mode, connection.host, String(connection.port), String(adds)]);
      samples[mode].push(...values);
      medians[mode] = median(values);
    }
    perRound.push(medians);
  }
  const ratio = roundsOf(perRound, 'bare');
  const line = (mode: EnqueueMode) => {
    const values = samples[mode];
    const figures = `median ${(median(values) / 1000).toFixed(3)} ms  p99 ${(percentile(values, 99) / 1000).toFixed(3)} ms`;
    return mode === 'bare' ? figures : `${figures}  ratio ${ratio.of(mode).toFixed(3)}`;
  };
  report('queue.add bare', line('bare'), undefined);
  report('queue.add tracked, stacks on', line('stacks'), undefined);
  report('queue.add floor (ALS + 6-frame capture)', line('floor'), undefined);
  report('queue.add peer (bullmq-otel + SDK)', line('peer'), undefined);
  report('queue.add tracked, stacks off', line('nostacks'), undefined);
  report('queue.add ALS-only floor', line('alsfloor'), undefined);
  const verdicts: Verdicts = [];
  const stacksGap = ratio.gap('stacks', 'floor');
  verdicts.push(report('  add: tracked − floor', gapLine(stacksGap, '≤ 0.03'), stacksGap <= 0.03));
  const peerGap = ratio.gap('stacks', 'peer');
  verdicts.push(report('  add: tracked − peer', gapLine(peerGap, '< 0'), peerGap < 0));
  const noStacksGap = ratio.gap('nostacks', 'alsfloor');
  verdicts.push(report('  add: no-stacks − ALS-only floor', gapLine(noStacksGap, '≤ 0.02'), noStacksGap <= 0.02));
  console.log(`  (${rounds} rounds × ${adds} adds per variant, medians of per-round ratios to bare)`);
  return verdicts;
}
