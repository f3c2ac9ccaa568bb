import type { NodeBinary } from './node-versions.js';
import { benchClient } from './http-load.js';
import { benchFile, portOf, spawnBench, stopBench } from './spawn-node.js';
import { gapLine, median, report, roundsOf, type Verdicts } from './stats.js';

const CONNECTIONS = 16;
/**
 * Requests an app serves before it is measured. Taskscope's code on a request's path reaches
 * V8's optimised tiers later than a bare route's (more functions, each called once per
 * request): measured over its first 1–4 s of load, a tracked Koa app cost 350–400 µs of CPU per
 * request, against 270–300 µs once warm — the cost a long-running server pays. 10,000 requests
 * brings every variant to that plateau.
 */
const WARM_UP_REQUESTS = 10_000;
const SERVER = benchFile('requests-server.ts');
const VARIANTS = ['bare', 'tracked', 'floor'] as const;
type Variant = (typeof VARIANTS)[number];

/** One app process under load: its CPU per request and its requests/s at saturation. */
interface Measured {
  cpuUsPerRequest: number;
  requestsPerSecond: number;
  /** Over the app's first {@link WARM_UP_REQUESTS} requests, while V8 was still optimising. */
  warmUpCpuUsPerRequest: number;
}

/**
 * The app's CPU per request of a realistic Koa one-job route, bare, with `taskscope()` and
 * behind the floor (AsyncLocalStorage + one stack capture), each app in a process of its own on
 * the given Node (AsyncLocalStorage costs the whole process on Node 20, so variants never share
 * one), the load from this process, as a browser's would come from another. Each round starts
 * the three apps afresh and has them take turns under load in short windows, in a rotating
 * order, so a busy moment of the shared machine hits every variant alike; figures are medians of
 * per-round ratios (bare CPU / variant CPU: 1 costs nothing). Target (DESIGN.md): floor − tracked
 * ≤ 0.03. Requests/s at saturation is printed as information.
 */
export async function benchRequests(node: NodeBinary, connection: { host: string; port: number }, quick: boolean): Promise<Verdicts> {
  const rounds = quick ? 1 : 5;
  const turns = quick ? 2 : 5;
  const windowMs = quick ? 400 : 600;
  const perRound: Record<Variant, Measured>[] = [];
  for (let round = 0; round < rounds; round++) {
    const apps = await Promise.all(VARIANTS.map((variant) => startApp(node, variant, connection)));
    try {
      const totals = VARIANTS.map(() => ({ cpuUs: 0, done: 0, ms: 0 }));
      for (let turn = 0; turn < turns; turn++) {
        for (let i = 0; i < VARIANTS.length; i++) {
          const index = (turn + round + i) % VARIANTS.length;
          const window = await apps[index]!.load(windowMs);
          totals[index]!.cpuUs += window.cpuUs;
          totals[index]!.done += window.done;
          totals[index]!.ms += windowMs;
        }
      }
      const measured = {} as Record<Variant, Measured>;
      VARIANTS.forEach((variant, i) => {
        const t = totals[i]!;
        measured[variant] = { cpuUsPerRequest: t.cpuUs / t.done, requestsPerSecond: t.done / (t.ms / 1000), warmUpCpuUsPerRequest: apps[i]!.warmUpCpuUsPerRequest };
      });
      perRound.push(measured);
    } finally {
      await Promise.all(apps.map((app) => app.stop()));
    }
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
  const warm = (v: Variant) => median(perRound.map((r) => r[v].warmUpCpuUsPerRequest)).toFixed(0);
  report(`  first ${WARM_UP_REQUESTS} requests (info)`, `µs CPU/request while warming up: bare ${warm('bare')}  tracked ${warm('tracked')}  floor ${warm('floor')}`, undefined);
  console.log(`  (${rounds} rounds of fresh apps, each warmed up by ${WARM_UP_REQUESTS} requests, × ${turns} turns × ${windowMs} ms of load per variant, ${CONNECTIONS} connections)`);
  return verdicts;
}

function mapVariants(round: Record<Variant, Measured>, f: (m: Measured) => number): Record<Variant, number> {
  return { bare: f(round.bare), tracked: f(round.tracked), floor: f(round.floor) };
}

/** One app process of a round, ready to take its turns under load. */
interface App {
  /** CPU per request over the warm-up, after the first request (the process's start is not counted). */
  warmUpCpuUsPerRequest: number;
  /** Saturates the app for `ms`; resolves with the app's CPU time in that window and the requests done. */
  load(ms: number): Promise<{ cpuUs: number; done: number }>;
  stop(): Promise<void>;
}

async function startApp(node: NodeBinary, variant: Variant, connection: { host: string; port: number }): Promise<App> {
  const child = spawnBench(node, SERVER, [variant, connection.host, String(connection.port)]);
  try {
    const client = benchClient(await portOf(child), CONNECTIONS);
    const cpuNow = async () => (JSON.parse((await client.get('/__bench/cpu')).body) as { cpuUs: number }).cpuUs;
    // The tracked app must really track (and the others must not): a bench of nothing flatters.
    const probe = await client.get('/orders?id=0');
    if (probe.status !== 200 || (probe.id !== undefined) !== (variant === 'tracked')) {
      throw new Error(`request bench app (${variant}) answered ${probe.status} with X-Debug-Id ${probe.id}`);
    }
    const cold = await cpuNow();
    const warmedUp = await client.warmUp((n) => `/orders?id=${n}`, CONNECTIONS, WARM_UP_REQUESTS);
    const warmUpCpuUsPerRequest = ((await cpuNow()) - cold) / warmedUp;
    return {
      warmUpCpuUsPerRequest,
      async load(ms) {
        const before = await cpuNow();
        const done = await client.saturate((n) => `/orders?id=${n}`, CONNECTIONS, ms);
        return { cpuUs: (await cpuNow()) - before, done };
      },
      async stop() {
        client.close();
        await stopBench(child);
      },
    };
  } catch (error) {
    await stopBench(child);
    throw error;
  }
}
