/**
 * One process of the enqueue bench, in one of the variants of `enqueue-modes.ts`, 100 adds per
 * request. Prints `ready` once warmed up, then answers commands on stdin, one per line:
 * `run <n>` times n adds one by one and prints their latencies in µs as a JSON array; `end`
 * cleans up and exits. The bench keeps one process of each variant waiting and has them take
 * turns in small blocks, so a moment when the machine is busy hits every variant alike.
 * Everything a variant needs is imported only in its branch, so the bare process never pays for
 * AsyncLocalStorage, the patch or the SDK.
 */
import * as bullmq from 'bullmq';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { EnqueueMode } from './enqueue-modes.js';

const [mode, host, port] = process.argv.slice(2) as [EnqueueMode, string, string];
// Enough adds for V8 to optimise the hot path before timing starts: the instrumentation's per-add
// code is still being optimised after 1,000 adds (see requests.ts on warming up by calls, not time).
const WARM_UP = 10_000;
const PER_REQUEST = 100;
const FLOOR_FRAMES = 6;

/** Runs `n` timed adds (split into requests where the variant has them), pushing µs into `into`. */
type Runner = (n: number, into: number[] | undefined) => Promise<void>;
const connection = { host, port: Number(port), maxRetriesPerRequest: null };
const data = { to: 'customer@example.com', orderId: 4242, lines: [{ sku: 'A-1', qty: 2 }] };

async function setUp(variant: EnqueueMode): Promise<{ queue: bullmq.Queue; run: Runner; close: () => Promise<void> }> {
  const name = `bench-enqueue-${process.pid}`;
  if (variant === 'bare') {
    const queue = new bullmq.Queue(name, { connection });
    return { queue, run: timeAdds(queue, plainAdd), close: async () => {} };
  }
  if (variant === 'stacks' || variant === 'nostacks') {
    const { createTaskscope } = await import('taskscope');
    const core = createTaskscope({ enabled: true, captureStacks: variant === 'stacks' });
    const queue = new bullmq.Queue(name, { connection });
    const run = requests(queue, async (adds) => {
      const request = core.track('POST', '/orders')!;
      await request.run(adds);
      await request.finish(200);
    });
    const close = async () => {
      // A bench of an instrumentation that recorded nothing would flatter it: check it did.
      const [last] = await core.store!.list(1);
      if (!last || last.taskCount !== PER_REQUEST) throw new Error(`taskscope recorded ${last?.taskCount ?? 'no'} tasks per request, not ${PER_REQUEST}`);
      await core.close();
    };
    return { queue, run, close };
  }
  if (variant === 'floor' || variant === 'alsfloor') {
    const { AsyncLocalStorage } = await import('node:async_hooks');
    const als = new AsyncLocalStorage<{ id: number }>();
    const queue = new bullmq.Queue(name, { connection });
    const add = variant === 'floor' ? floorAdd(als) : alsAdd(als);
    let id = 0;
    const run = requests(queue, (adds) => als.run({ id: id++ }, adds), add);
    return { queue, run, close: async () => {} };
  }
  const { context, propagation, trace } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { BullMQOtel } = await import('bullmq-otel');
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const tracer = trace.getTracer('bench');
  const queue = new bullmq.Queue(name, { connection, telemetry: new BullMQOtel({ tracerName: 'bench' }) });
  const run = requests(queue, (adds) => tracer.startActiveSpan('POST /orders', async (span) => {
    await adds();
    span.end();
    // Like taskscope's store, the exporter keeps a bounded amount: the spans go once exported.
    if (exporter.getFinishedSpans().length === 0) throw new Error('bullmq-otel recorded no span');
    exporter.reset();
  }));
  return { queue, run, close: () => provider.shutdown() };
}

type Add = (queue: bullmq.Queue) => Promise<unknown>;
const plainAdd: Add = (queue) => queue.add('send-email', data, { attempts: 3 });

/** Times `n` adds one by one. */
function timeAdds(queue: bullmq.Queue, add: Add): Runner {
  return async (n, into) => {
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      await add(queue);
      into?.push((performance.now() - start) * 1000);
    }
  };
}

/** Splits `n` adds into requests of {@link PER_REQUEST}, each run through `request`. */
function requests(queue: bullmq.Queue, request: (adds: () => Promise<void>) => Promise<void>, add: Add = plainAdd): Runner {
  const direct = timeAdds(queue, add);
  return async (n, into) => {
    for (let done = 0; done < n; done += PER_REQUEST) {
      await request(() => direct(Math.min(PER_REQUEST, n - done), into));
    }
  };
}

/** The floor's add: find the request (one ALS read) and capture a 6-frame stack, nothing else. */
function floorAdd(als: { getStore(): unknown }): Add {
  const sink: { stack?: string }[] = [];
  return function add(q) {
    if (als.getStore() !== undefined) {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = FLOOR_FRAMES;
      const site: { stack?: string } = {};
      Error.captureStackTrace(site, add);
      Error.stackTraceLimit = limit;
      // Kept for one add only, so V8 cannot drop the capture as dead code.
      sink[0] = site;
    }
    return plainAdd(q);
  };
}

/** The ALS-only floor's add: find the request (one ALS read), nothing else. */
function alsAdd(als: { getStore(): unknown }): Add {
  let seen = 0;
  return (q) => {
    // Counted, so V8 cannot drop the read as dead code.
    if (als.getStore() !== undefined) seen++;
    return plainAdd(q);
  };
}

// Last, once every helper above is initialised.
const { queue, run, close } = await setUp(mode);
await queue.waitUntilReady();
await run(WARM_UP, undefined);
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  const [command, count] = line.trim().split(' ');
  if (command === 'run') {
    const samples: number[] = [];
    await run(Number(count), samples);
    console.log(JSON.stringify(samples));
  } else if (command === 'end') {
    break;
  }
}
await close();
await queue.obliterate({ force: true });
await queue.close();
console.log('done');
process.exit(0);
