/**
 * One measurement of the enqueue bench, in its own process: `queue.add` timed one by one, bare
 * (no taskscope loaded at all) or inside a tracked request, with stacks on or off. Prints the
 * samples in µs as JSON.
 */
import * as bullmq from 'bullmq';
import { performance } from 'node:perf_hooks';

const [mode, host, port, count] = process.argv.slice(2);
const ADDS = Number(count ?? 1000);
const PER_REQUEST = 100;

const queue = new bullmq.Queue(`bench-enqueue-${process.pid}`, { connection: { host, port: Number(port), maxRetriesPerRequest: null } });
await queue.waitUntilReady();
const data = { to: 'customer@example.com', orderId: 4242, lines: [{ sku: 'A-1', qty: 2 }] };
const samples: number[] = [];
const timeAdds = async (n: number, into: number[] | undefined) => {
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await queue.add('send-email', data, { attempts: 3 });
    into?.push((performance.now() - start) * 1000);
  }
};

if (mode === 'bare') {
  await timeAdds(300, undefined);
  await timeAdds(ADDS, samples);
} else {
  // Loaded only here, so the bare process never pays for AsyncLocalStorage or the patch.
  const { createTaskscope } = await import('taskscope');
  const core = createTaskscope({ enabled: true, captureStacks: mode === 'stacks' });
  const tracked = async (n: number, into: number[] | undefined) => {
    for (let done = 0; done < n; done += PER_REQUEST) {
      const request = core.track('POST', '/orders')!;
      await request.run(() => timeAdds(Math.min(PER_REQUEST, n - done), into));
      await request.finish(200);
    }
  };
  await tracked(300, undefined);
  await tracked(ADDS, samples);
  await core.close();
}
console.log(JSON.stringify(samples));
await queue.obliterate({ force: true });
await queue.close();
process.exit(0);
