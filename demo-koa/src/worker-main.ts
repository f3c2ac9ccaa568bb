/**
 * `npm run demo:worker`: only the shop's BullMQ workers, for running them apart from the web
 * app (start that with `DEMO_WORKERS=0 npm run demo`). Both must use the same REDIS_URL.
 */
import { RedisStore } from 'taskscope';
import { readConfig } from './config.js';
import { queueSettings, redactPassword } from './redis-connection.js';
import { onShutdownSignal } from './shutdown.js';
import { startWorkers } from './workers.js';

const config = readConfig();
if (!config.redisUrl) {
  console.error(
    'npm run demo:worker needs REDIS_URL, the Redis the web app uses, e.g.\n' +
      '  REDIS_URL=redis://localhost:6379 DEMO_WORKERS=0 npm run demo\n' +
      '  REDIS_URL=redis://localhost:6379 npm run demo:worker',
  );
  process.exit(1);
}

// The web app's store (see main.ts): job runs recorded here are linked to its requests.
const stopWorkers = startWorkers(queueSettings(config.redisUrl, config.queuePrefix), { store: new RedisStore({ connection: config.redisUrl }) });
onShutdownSignal(stopWorkers);
console.log(`Taskscope demo workers: consuming the shop's queues on ${redactPassword(config.redisUrl)} (prefix "${config.queuePrefix}")`);
