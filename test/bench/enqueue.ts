import { ENQUEUE_MODES, type EnqueueMode } from './enqueue-modes.js';
import type { NodeBinary } from './node-versions.js';
import { benchFile, startSession } from './spawn-node.js';
import { gapLine, median, percentile, report, roundsOf, type Verdicts } from './stats.js';

const WORKER = benchFile('enqueue-worker.ts');
/** Adds per turn: one request of the tracked variants. */
const BLOCK = 100;

function expectLine(line: string, expected: string): void {
  if (line !== expected) throw new Error(`enqueue bench process printed ${JSON.stringify(line)}, expected ${expected}`);
}

/**
 * `queue.add` latency in every variant of `enqueue-modes.ts`, each in a process of its own on
 * the given Node. A process runs up to ±20 % faster or slower than the next one, and the machine
 * is shared, so each round starts one fresh process per variant, warms them all up, then has them
 * take turns in blocks of one request (100 adds), in a rotating order, many times: a busy moment
 * hits every variant alike. Each figure is the median of the rounds' ratios of medians to that
 * round's bare process; a gap is the difference of two such figures.
 * Targets (DESIGN.md): tracked − floor ≤ 0.03, tracked below the peer, no-stacks − ALS-only
 * floor ≤ 0.02.
 */
export async function benchEnqueue(node: NodeBinary, connection: { host: string; port: number }, quick: boolean): Promise<Verdicts> {
  // Fresh processes per round cancel the process-to-process spread; turns cancel busy moments.
  const rounds = quick ? 1 : 8;
  const turns = quick ? 3 : 6;
  const samples = Object.fromEntries(ENQUEUE_MODES.map((m) => [m, [] as number[]])) as Record<EnqueueMode, number[]>;
  const perRound: Record<EnqueueMode, number>[] = [];
  for (let round = 0; round < rounds; round++) {
    const sessions = ENQUEUE_MODES.map((mode) => startSession(node, WORKER, [mode, connection.host, String(connection.port)]));
    try {
      // Started (and warmed up) together; a process waiting for its turn costs no CPU.
      for (const session of sessions) expectLine(await session.next(), 'ready');
      const inRound = Object.fromEntries(ENQUEUE_MODES.map((m) => [m, [] as number[]])) as Record<EnqueueMode, number[]>;
      for (let turn = 0; turn < turns; turn++) {
        for (let i = 0; i < ENQUEUE_MODES.length; i++) {
          const index = (turn + round + i) % ENQUEUE_MODES.length;
          const values = JSON.parse(await sessions[index]!.ask(`run ${BLOCK}`)) as number[];
          inRound[ENQUEUE_MODES[index]!].push(...values);
        }
      }
      for (const session of sessions) await session.end();
      const medians = {} as Record<EnqueueMode, number>;
      for (const mode of ENQUEUE_MODES) {
        samples[mode].push(...inRound[mode]);
        medians[mode] = median(inRound[mode]);
      }
      perRound.push(medians);
    } finally {
      for (const session of sessions) session.kill();
    }
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
  console.log(`  (${rounds} rounds of fresh processes × ${turns} turns × ${BLOCK} adds per variant, medians of per-round ratios to bare)`);
  return verdicts;
}
