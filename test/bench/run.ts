/**
 * `npm run bench [-- --node 24] [--quick] [--only enqueue,requests,memory,soak,fetch,panel,adapters,ws,runs]`:
 * Taskscope's numbers, each against the bare thing, its floor and a peer measured in the same
 * run, on a private redis-server. The parts that time the app (enqueue, requests, memory, fault
 * soak) run their measuring processes on each Node given (`BENCH_NODE=/path/to/node`,
 * `--node <major>`; the running node otherwise); record fetch and the panel run once. Prints one
 * line per figure and ✓ / ✗ against the targets of DESIGN.md; exits 1 when one is missed.
 */
import { startRedisServer } from '../support/redis-server.js';
import { parseArgs } from './args.js';
import { benchEnqueue } from './enqueue.js';
import { benchFaultSoak } from './fault-soak.js';
import { benchFetch } from './fetch.js';
import { benchMemory } from './memory.js';
import { resolveNodes } from './node-versions.js';
import { benchPanel } from './panel.js';
import { benchRequests } from './requests.js';
import { benchAdapters } from './adapters.js';
import { benchWs } from './ws.js';
import { benchWorkerRuns } from './worker-runs.js';
import type { Verdicts } from './stats.js';

const args = parseArgs(process.argv.slice(2));
const wanted = (part: string) => args.only.length === 0 || args.only.includes(part);
const nodes = await resolveNodes(args.nodeVersions);
const redis = await startRedisServer();
const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
console.log(`Taskscope bench${args.quick ? ' (--quick: fewer rounds, indicative only)' : ''} — private redis-server on port ${redis.port}`);
const summary: { label: string; missed: number; met: number }[] = [];
const tally = (label: string, verdicts: Verdicts) => {
  summary.push({ label, missed: verdicts.filter((ok) => !ok).length, met: verdicts.filter(Boolean).length });
};
const started = Date.now();
const perNode = ['enqueue', 'requests', 'memory', 'soak'].some(wanted);
try {
  for (const node of perNode ? nodes : []) {
    console.log(`\n== Node ${node.version} (${node.path})`);
    const verdicts: Verdicts = [];
    if (wanted('enqueue')) verdicts.push(...await benchEnqueue(node, connection, args.quick));
    if (wanted('requests')) verdicts.push(...await benchRequests(node, connection, args.quick));
    if (wanted('memory')) verdicts.push(...await benchMemory(node, connection));
    if (wanted('soak')) verdicts.push(...await benchFaultSoak(node, connection, args.quick));
    tally(`Node ${node.version}`, verdicts);
  }
  if (['fetch', 'panel', 'adapters', 'ws', 'runs'].some(wanted)) {
    console.log(`\n== Once, on the bench's own node ${process.version}`);
    const verdicts: Verdicts = [];
    if (wanted('fetch')) verdicts.push(await benchFetch(connection));
    if (wanted('panel')) verdicts.push(await benchPanel(connection));
    if (wanted('adapters')) verdicts.push(await benchAdapters(connection));
    if (wanted('ws')) verdicts.push(await benchWs(args.quick));
    if (wanted('runs')) verdicts.push(await benchWorkerRuns(connection));
    tally('record fetch, panel, adapters, ws, job runs', verdicts);
  }
} finally {
  await redis.stop();
}
console.log('');
for (const { label, missed, met } of summary) console.log(`${label}: ${met} met, ${missed} missed`);
const missed = summary.reduce((sum, s) => sum + s.missed, 0);
console.log(`${missed === 0 ? 'All targets met.' : `${missed} target(s) missed.`} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
process.exit(missed === 0 ? 0 : 1);
