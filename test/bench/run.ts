/**
 * `npm run bench`: Taskscope's numbers, each against the bare thing measured in the same run,
 * on a private redis-server. Prints one line per figure and ✓ / ✗ against the targets of
 * DESIGN.md; exits 1 when a target is missed.
 */
import { startRedisServer } from '../support/redis-server.js';
import { benchEnqueue } from './enqueue.js';
import { benchFetch } from './fetch.js';
import { benchMemory } from './memory.js';
import { benchPanel } from './panel.js';
import { benchRequests } from './requests.js';

const redis = await startRedisServer();
const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
console.log(`Taskscope bench — node ${process.version}, private redis-server on port ${redis.port}\n`);
const results: boolean[] = [];
try {
  results.push(await benchEnqueue(connection));
  results.push(await benchRequests(connection));
  results.push(await benchMemory(connection));
  results.push(await benchFetch(connection));
  results.push(await benchPanel(connection));
} finally {
  await redis.stop();
}
const missed = results.filter((ok) => !ok).length;
console.log(missed === 0 ? '\nAll targets met.' : `\n${missed} target(s) missed.`);
process.exit(missed === 0 ? 0 : 1);
