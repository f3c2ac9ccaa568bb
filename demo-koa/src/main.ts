/**
 * `npm run demo`: the shop's web app with Taskscope, and its BullMQ workers, in one process.
 * Starts a private redis-server when REDIS_URL is not set, and stops it on exit.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { RedisStore } from 'taskscope';
import { createShopApp } from './app.js';
import { readConfig } from './config.js';
import { RedisNotInstalledError, startPrivateRedis, type PrivateRedis } from './private-redis.js';
import { closeShopQueues, createShopQueues, QUEUE_NAMES } from './queues.js';
import { queueSettings, redactPassword } from './redis-connection.js';
import { onShutdownSignal } from './shutdown.js';
import { startWorkers } from './workers.js';
import { attachOrderDesk } from './ws/order-desk.js';

const config = readConfig();

let privateRedis: PrivateRedis | undefined;
if (!config.redisUrl) {
  try {
    privateRedis = await startPrivateRedis();
    console.log(`Redis: started a private redis-server at ${privateRedis.url}; it stops when the demo does`);
  } catch (err) {
    console.error(err instanceof RedisNotInstalledError ? err.message : `Could not start redis-server: ${err}`);
    process.exit(1);
  }
}
const redisUrl = config.redisUrl ?? privateRedis!.url;
const settings = queueSettings(redisUrl, config.queuePrefix);

const queues = createShopQueues(settings);
const stopWorkers = config.workers ? startWorkers(settings) : undefined;
// Workers in another process (`npm run demo:worker`) share the records through Redis.
const { app, debug } = createShopApp(queues, config.workers ? {} : { store: new RedisStore({ connection: redisUrl }) });

const server = app.listen(config.port);
// The live order desk (issue 12), attached once the port is ours.
let desk: ReturnType<typeof attachOrderDesk> | undefined;

/** Closes in dependency order: no new requests, then workers, queues, Taskscope, and Redis last. */
async function stopAll(): Promise<void> {
  desk?.clients.forEach((client) => client.terminate());
  desk?.close();
  if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  await stopWorkers?.();
  await closeShopQueues(queues);
  await debug.close();
  await privateRedis?.stop();
}

try {
  await once(server, 'listening');
} catch (err) {
  // e.g. EADDRINUSE: release everything, the private Redis included, before giving up.
  console.error(`Could not listen on port ${config.port}: ${(err as Error).message}`);
  await stopAll();
  process.exit(1);
}
onShutdownSignal(stopAll);
// A plain ws server on /desk, recorded by Taskscope with no code.
desk = attachOrderDesk(server, queues);

const { port } = server.address() as AddressInfo;
if (!privateRedis) console.log(`Redis: ${redactPassword(redisUrl)}`);
console.log(`Queues: ${QUEUE_NAMES.join(', ')} (key prefix "${config.queuePrefix}")`);
console.log(config.workers ? 'Workers: running in this process' : 'Workers: not started here (DEMO_WORKERS=0); run `npm run demo:worker`');
console.log('Extension: load extension/dist unpacked in Chrome (or extension/dist-firefox in Firefox) once; see the README');
console.log(`Taskscope demo: open http://localhost:${port} and DevTools → Tasks`);
