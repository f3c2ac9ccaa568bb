/**
 * What only Express has: error-handling middleware, raw `res.write`/`res.writeHead`, streams
 * piped into the response, and middleware that wraps the response's methods after Taskscope.
 * Run on Express 5 and Express 4.
 */
import express4 from 'express4';
import express from 'express';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore, type RequestRecord, type Store } from 'taskscope';
import { taskscope, type TaskscopeMiddleware } from 'taskscope/express';
import type { AdapterApp } from '../../support/adapter-app.js';
import { getJson, listen } from '../../support/koa-app.js';
import { Queue } from 'bullmq';
import { freshQueueName, redisConnection } from '../../support/redis.js';

/** A store that takes 30 ms per save, so a response that does not wait for it shows. */
function slowStore(): Store {
  const memory = new MemoryStore();
  return {
    save: async (record, hint) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return memory.save(record, hint);
    },
    get: (id) => memory.get(id),
    list: (limit) => memory.list(limit),
  };
}

describe.each([['Express 5', express], ['Express 4', express4 as typeof express]] as const)('taskscope/express on %s', (_name, createApp) => {
  let app: AdapterApp | undefined;
  let queue: Queue;

  beforeEach(() => {
    queue = new Queue(freshQueueName('express'), { connection: redisConnection() });
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await queue.obliterate({ force: true });
    await queue.close();
  });

  async function start(setUp: (app: express.Express) => void, store: Store = slowStore()): Promise<AdapterApp> {
    const expressApp = createApp();
    const middleware: TaskscopeMiddleware = taskscope({ store });
    expressApp.use(middleware);
    setUp(expressApp);
    app = await listen(expressApp, middleware.taskscope, () => middleware.close());
    return app;
  }

  async function recordOf(response: Response): Promise<RequestRecord> {
    const { status, body } = await getJson<RequestRecord>(`${app!.url}${response.headers.get('x-debug-url')}`);
    expect(status).toBe(200);
    return body;
  }

  it('keeps its headers on the response of the app\'s error-handling middleware, and records the status it chose', async () => {
    await start((expressApp) => {
      expressApp.post('/orders', async (_req, _res, next) => {
        await queue.add('audit', {});
        next(new Error('card declined'));
      });
      expressApp.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(402).json({ error: error.message });
      });
    });
    const response = await fetch(`${app!.url}/orders`, { method: 'POST' });
    expect(response.status).toBe(402);
    expect(await response.json()).toEqual({ error: 'card declined' });
    const record = await recordOf(response);
    expect(record.request.status).toBe(402);
    expect(record.tasks.map((t) => t.name)).toEqual(['audit']);
  });

  it('holds a body written in parts with res.writeHead and res.write until the record is stored, in order', async () => {
    await start((expressApp) => {
      expressApp.get('/report', async (_req, res) => {
        await queue.add('build-report', {});
        res.writeHead(203, { 'content-type': 'text/plain' });
        res.write('one,');
        res.write('two,');
        res.end('three');
      });
    });
    const response = await fetch(`${app!.url}/report`);
    expect(response.status).toBe(203);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(await response.text()).toBe('one,two,three');
    const record = await recordOf(response);
    expect(record.request.status).toBe(203);
    expect(record.tasks.map((t) => t.name)).toEqual(['build-report']);
  });

  it('holds a stream piped into the response (pausing it with backpressure), then sends it whole', async () => {
    const lines = Array.from({ length: 2_000 }, (_, i) => `line ${i}\n`);
    await start((expressApp) => {
      expressApp.get('/export', (_req, res) => {
        res.type('text/plain');
        Readable.from(lines).pipe(res);
      });
    });
    const response = await fetch(`${app!.url}/export`);
    expect(response.headers.get('x-debug-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.text()).toBe(lines.join(''));
    expect((await recordOf(response)).request.status).toBe(200);
  });

  it.each([
    ['held until a slow store saved', slowStore],
    ['not held, with the MemoryStore', () => new MemoryStore()],
  ])('leaves a response wrapper of a later middleware (as compression and on-headers make) working: %s', async (_how, store) => {
    await start((expressApp) => {
      expressApp.use((_req, res, next) => {
        const writeHead = res.writeHead;
        res.writeHead = function (this: express.Response, ...args: Parameters<typeof writeHead>) {
          this.setHeader('x-response-time', '1ms');
          return writeHead.apply(this, args);
        } as typeof writeHead;
        next();
      });
      expressApp.get('/', (_req, res) => { res.send('ok'); });
    }, store());
    const response = await fetch(`${app!.url}/`);
    expect(response.headers.get('x-response-time')).toBe('1ms');
    expect(response.headers.get('x-debug-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.text()).toBe('ok');
  });

  it('with the MemoryStore, holds nothing: the head takes the headers, and the response keeps its own methods', async () => {
    let own: string[] = [];
    let written: boolean | undefined;
    await start((expressApp) => {
      expressApp.get('/', (_req, res) => {
        res.on('finish', () => { own = ['writeHead', 'write', 'end', 'flushHeaders'].filter((name) => Object.hasOwn(res, name) && (res as never)[name] !== Object.getPrototypeOf(res)[name]); });
        written = res.write('o'); // true, as without Taskscope: nothing is held back
        res.end('k');
      });
    }, new MemoryStore());
    const response = await fetch(`${app!.url}/`);
    expect(response.headers.get('x-debug-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('server-timing')).toMatch(/taskscope;desc=/);
    expect(await response.text()).toBe('ok');
    expect(written).toBe(true);
    expect(own).toEqual([]);
  });

  it('turns a wrong call the app made while the head was held (a second writeHead) into a process warning, not a crash', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      await start((expressApp) => {
        expressApp.get('/twice', (_req, res) => {
          res.writeHead(200);
          res.writeHead(500);
          res.end('ok');
        });
      });
      const response = await fetch(`${app!.url}/twice`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('ok');
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => (w as NodeJS.ErrnoException).code)).toContain('ERR_HTTP_HEADERS_SENT');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('records the 404 of a file res.sendFile could not find, as Express sends it', async () => {
    await start((expressApp) => {
      expressApp.get('/download', (_req, res, next) => { res.sendFile('/nonexistent/taskscope-file.txt', next); });
    });
    const response = await fetch(`${app!.url}/download`);
    expect(response.status).toBe(404);
    expect((await recordOf(response)).request.status).toBe(404);
  });
});
