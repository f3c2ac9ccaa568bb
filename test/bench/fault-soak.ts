import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { benchClient, type BenchClient } from './http-load.js';
import type { NodeBinary } from './node-versions.js';
import { startFaultyRedis, type FaultyRedis } from './redis-process.js';
import { benchFile, portOf, spawnBench, stopBench } from './spawn-node.js';
import { percentile, report, sleep, type Verdicts } from './stats.js';

const SERVER = benchFile('fault-soak-server.ts');
const RATE_PER_SECOND = 50;
const ADDED_P99_TARGET_MS = 5;

type Phase = 'steady' | 'paused' | 'resumed' | 'killed' | 'restarted';
/** One request of the load: which phase it was sent in, how long it took, its record id. */
interface Sample {
  phase: Phase;
  ms: number;
  ok: boolean;
  id?: string | undefined;
}

/**
 * Issue 9's fault soak, on the given Node: a bare app and an app with `taskscope()` on a
 * `RedisStore` (its own private redis-server) take the same steady open-loop load side by side
 * (a request to each every 1/50 s, sent whether or not earlier ones answered, so a stall shows as
 * latency rather than as fewer requests). Meanwhile the store's Redis runs, is paused with SIGSTOP,
 * resumed, killed and started again empty. Prints the response latency p99 of each app per phase
 * and overall (target: tracked adds ≤ 5 ms), and checks the lost-record count the debug API
 * answers (`lost` in `GET …/requests`) against the records that really cannot be read back
 * (target: every lost record counted). Records made before the kill are checked before it (a
 * killed Redis loses them all, which is not Taskscope's loss).
 */
export async function benchFaultSoak(node: NodeBinary, connection: { host: string; port: number }, quick: boolean): Promise<Verdicts> {
  const seconds: Record<Phase, number> = quick
    ? { steady: 3, paused: 4, resumed: 3, killed: 4, restarted: 4 }
    : { steady: 8, paused: 10, resumed: 8, killed: 10, restarted: 10 };
  const store = await startFaultyRedis();
  const apps: ChildProcess[] = [];
  const clients: BenchClient[] = [];
  try {
    const start = (mode: 'bare' | 'tracked') => {
      const child = spawnBench(node, SERVER, [mode, connection.host, String(connection.port), store.url]);
      apps.push(child);
      return portOf(child);
    };
    const [barePort, trackedPort] = await Promise.all([start('bare'), start('tracked')]);
    const bare = benchClient(barePort, 512);
    const tracked = benchClient(trackedPort, 512);
    clients.push(bare, tracked);
    const samples = { bare: [] as Sample[], tracked: [] as Sample[] };
    const load = (phase: Phase, ms: number) => steadyLoad({ bare, tracked }, phase, ms, samples);

    await load('steady', 1_000); // warm-up, not counted
    samples.bare.length = 0;
    samples.tracked.length = 0;
    await load('steady', seconds.steady * 1000);
    store.pause();
    await load('paused', seconds.paused * 1000);
    store.resume();
    await load('resumed', seconds.resumed * 1000);
    const beforeKill = await lostCheck(tracked, samples.tracked, 0);
    await store.kill();
    await load('killed', seconds.killed * 1000);
    const whileDown = await tracked.get('/__taskscope/requests?limit=1').catch(() => ({ status: 0, body: '' }));
    await store.restart();
    await load('restarted', seconds.restarted * 1000);
    const afterKill = await lostCheck(tracked, samples.tracked.filter((s) => s.phase === 'killed' || s.phase === 'restarted'), beforeKill.lostCounter ?? 0);

    const p99 = (list: Sample[]) => percentile(list.filter((s) => s.ok).map((s) => s.ms), 99);
    for (const phase of Object.keys(seconds) as Phase[]) {
      const b = samples.bare.filter((s) => s.phase === phase);
      const t = samples.tracked.filter((s) => s.phase === phase);
      const failed = t.filter((s) => !s.ok).length + b.filter((s) => !s.ok).length;
      report(`  soak ${phase} (${seconds[phase]} s)`, `p99 bare ${p99(b).toFixed(1)} ms  tracked ${p99(t).toFixed(1)} ms  (${t.length} requests${failed ? `, ${failed} failed` : ''})`, undefined);
    }
    const added = p99(samples.tracked) - p99(samples.bare);
    const failedTracked = samples.tracked.filter((s) => !s.ok).length;
    const failedBare = samples.bare.filter((s) => !s.ok).length;
    const verdicts: Verdicts = [];
    verdicts.push(report(
      'fault soak: added response p99',
      `${added >= 0 ? '+' : ''}${added.toFixed(1)} ms (bare ${p99(samples.bare).toFixed(1)}, tracked ${p99(samples.tracked).toFixed(1)}; failed ${failedTracked} vs ${failedBare} bare) (target ≤ ${ADDED_P99_TARGET_MS} ms)`,
      added <= ADDED_P99_TARGET_MS && failedTracked <= failedBare,
    ));
    report('  debug API while the store is down', whileDown.status ? `GET …/requests answered ${whileDown.status}` : 'GET …/requests failed', undefined);
    for (const [label, check] of [['pause/resume', beforeKill], ['kill/restart', afterKill]] as const) {
      const counted = check.lostCounter === undefined ? 'unreadable' : String(check.lostCounter - check.since);
      // Counting more than were lost (a save that timed out but landed later) is shown, not failed.
      const pass = check.lostCounter !== undefined && check.lostCounter - check.since >= check.missing + check.unavailable;
      verdicts.push(report(
        `fault soak: lost records, ${label}`,
        `${check.missing} of ${check.checked} records unreadable${check.unavailable ? ` (+${check.unavailable} answered 503)` : ''}, lost counted ${counted} (target: every lost record counted)`,
        pass,
      ));
    }
    return verdicts;
  } finally {
    for (const client of clients) client.close();
    await Promise.all(apps.map((app) => stopBench(app)));
    await store.stop();
  }
}

/**
 * Open-loop load: every 1/{@link RATE_PER_SECOND} s one request to each app, not waiting for
 * earlier answers; resolves once every request sent in the phase has answered.
 */
async function steadyLoad(clients: { bare: BenchClient; tracked: BenchClient }, phase: Phase, ms: number, into: { bare: Sample[]; tracked: Sample[] }): Promise<void> {
  const pending: Promise<void>[] = [];
  const interval = 1000 / RATE_PER_SECOND;
  const start = performance.now();
  let n = 0;
  const send = (which: 'bare' | 'tracked') => {
    const sent = performance.now();
    pending.push(clients[which].get(`/orders?id=${n}`).then(
      (res) => { into[which].push({ phase, ms: performance.now() - sent, ok: res.status === 200, id: res.id }); },
      () => { into[which].push({ phase, ms: performance.now() - sent, ok: false }); },
    ));
  };
  while (performance.now() - start < ms) {
    // Alternate which app goes first, so neither always waits for the other's request to leave.
    if (n % 2 === 0) { send('bare'); send('tracked'); } else { send('tracked'); send('bare'); }
    n++;
    const next = start + n * interval;
    await sleep(Math.max(0, next - performance.now()));
  }
  await Promise.all(pending);
}

/** What a lost-record check found. */
interface LostCheck {
  checked: number;
  /** Records that answer 404: gone. */
  missing: number;
  /** Records whose read answered 503 even after retries. */
  unavailable: number;
  /** The debug API's `lost` now; `undefined` when the list did not answer. */
  lostCounter: number | undefined;
  /** The `lost` count this check starts from. */
  since: number;
}

/** Reads back every record the load made (by its `X-Debug-Id`) and the debug API's `lost`. */
async function lostCheck(client: BenchClient, samples: readonly Sample[], since: number): Promise<LostCheck> {
  await sleep(1_500); // lets saves in flight finish or time out
  let missing = 0;
  let unavailable = 0;
  let checked = 0;
  for (const { id } of samples) {
    if (!id) continue;
    checked++;
    let status = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      status = (await client.get(`/__taskscope/requests/${encodeURIComponent(id)}`).catch(() => ({ status: 0 }))).status;
      if (status !== 503 && status !== 0) break;
      await sleep(200);
    }
    if (status === 404) missing++;
    else if (status !== 200) unavailable++;
  }
  let lostCounter: number | undefined;
  for (let attempt = 0; attempt < 10 && lostCounter === undefined; attempt++) {
    const list = await client.get('/__taskscope/requests?limit=1').catch(() => ({ status: 0, body: '' }));
    if (list.status === 200) lostCounter = (JSON.parse(list.body) as { lost?: number }).lost;
    else await sleep(500);
  }
  return { checked, missing, unavailable, lostCounter, since };
}
