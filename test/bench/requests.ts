import type { NodeBinary } from './node-versions.js';
import { benchClient } from './http-load.js';
import { benchFile, portOf, spawnBench, stopBench } from './spawn-node.js';
import { gapLine, median, report, roundsOf, type Verdicts } from './stats.js';

const CONNECTIONS = 16;
const SERVER = benchFile('requests-server.ts');
const VARIANTS = ['bare', 'tracked', 'floor'] as const;
type Variant = (typeof VARIANTS)[number];

/** One app process under load: its CPU per request and its requests/s at saturation. */
interface Measured {
  cpuUsPerRequest: number;
  requestsPerSecond: number;
}

/**
 * The app's CPU per request of a realistic Koa one-job route, bare, with `taskscope()` and
 * behind the floor (AsyncLocalStorage + one stack capture), each app in a fresh process of the
 * given Node (AsyncLocalStorage costs the whole process on Node 20, so variants never share
 * one), the load from this process, as a browser's would come from another. Every round runs
 * the three back to back in a rotating order; figures are medians of per-round ratios
 * (bare CPU / variant CPU: 1 costs nothing). Target (DESIGN.md): floor − tracked ≤ 0.03.
 * Requests/s at saturation is printed as information.
 */
export async function benchRequests(node: NodeBinary, connection: { host: string; port: number }, quick: boolean): Promise<Verdicts> {
  const rounds = quick ? 2 : 6;
  const durationMs = quick ? 1_500 : 3_000;
  await measure(node, 'bare', connection, 1_000); // warm-up: disk caches, Redis
  const perRound: Record<Variant, Measured>[] = [];
  for (let round = 0; round < rounds; round++) {
    const measured = {} as Record<Variant, Measured>;
    for (let i = 0; i < VARIANTS.length; i++) {
      const variant = VARIANTS[(round + i) % VARIANTS.length]!;
      measured[variant] = await measure(node, variant, connection, durationMs);
    }
    perRound.push(measured);
  }
  // Requests per CPU second, so a ratio to bare reads "bare CPU / variant CPU".
  const efficiency = roundsOf(perRound.map((r) => mapVariants(r, (m) => 1e6 / m.cpuUsPerRequest)), 'bare');
  const throughput = roundsOf(perRound.map((r) => mapVariants(r, (m) => m.requestsPerSecond)), 'bare');
  const cpu = (v: Variant) => `${median(perRound.map((r) => r[v].cpuUsPerRequest)).toFixed(0)} µs CPU/request`;
  report('request, bare Koa', cpu('bare'), undefined);
  report('request, with taskscope()', `${cpu('tracked')}  bare/tracked ${efficiency.of('tracked').toFixed(3)}`, undefined);
  report('request, floor (als.run + 1 capture)', `${cpu('floor')}  bare/floor ${efficiency.of('floor').toFixed(3)}`, undefined);
  const gap = efficiency.gap('floor', 'tracked');
  const verdicts: Verdicts = [report('  request: floor − tracked', gapLine(gap, '≤ 0.03'), gap <= 0.03)];
  const rps = (v: Variant) => median(perRound.map((r) => r[v].requestsPerSecond)).toFixed(0);
  report('  requests/s at saturation (info)', `bare ${rps('bare')}  tracked ${rps('tracked')} (${throughput.of('tracked').toFixed(3)})  floor ${rps('floor')} (${throughput.of('floor').toFixed(3)})`, undefined);
  console.log(`  (${rounds} rounds × ${durationMs / 1000} s per variant, ${CONNECTIONS} connections)`);
  return verdicts;
}

function mapVariants(round: Record<Variant, Measured>, f: (m: Measured) => number): Record<Variant, number> {
  return { bare: f(round.bare), tracked: f(round.tracked), floor: f(round.floor) };
}

async function measure(node: NodeBinary, variant: Variant, connection: { host: string; port: number }, durationMs: number): Promise<Measured> {
  const child = spawnBench(node, SERVER, [variant, connection.host, String(connection.port)]);
  try {
    const client = benchClient(await portOf(child), CONNECTIONS);
    const cpuNow = async () => (JSON.parse((await client.get('/__bench/cpu')).body) as { cpuUs: number }).cpuUs;
    // The tracked app must really track (and the others must not): a bench of nothing flatters.
    const probe = await client.get('/orders?id=0');
    if (probe.status !== 200 || (probe.id !== undefined) !== (variant === 'tracked')) {
      throw new Error(`request bench app (${variant}) answered ${probe.status} with X-Debug-Id ${probe.id}`);
    }
    await client.saturate((n) => `/orders?id=${n}`, CONNECTIONS, 500); // warm-up: JIT, connections
    const cpuBefore = await cpuNow();
    const done = await client.saturate((n) => `/orders?id=${n}`, CONNECTIONS, durationMs);
    const cpuAfter = await cpuNow();
    client.close();
    return { cpuUsPerRequest: (cpuAfter - cpuBefore) / done, requestsPerSecond: done / (durationMs / 1000) };
  } finally {
    await stopBench(child);
  }
}
