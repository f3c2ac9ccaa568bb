/**
 * NestJS, on either platform, with `@nestjs/bullmq`: the platform's adapter is used the platform's
 * way (`app.use(taskscope())` on Express, `app.register(taskscope)` on Fastify) and a
 * controller's `@InjectQueue` producer is recorded like any `Queue.add`, with the controller's
 * line as the task's origin.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { Controller, Get, HttpException, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from 'taskscope';
import { taskscope as expressTaskscope } from 'taskscope/express';
import { taskscope as fastifyTaskscope } from 'taskscope/fastify';
import { getJson } from '../../support/koa-app.js';
import { freshQueueName, redisConnection } from '../../support/redis.js';

/** The line of this file that enqueues, to compare with the record's origin. */
const ENQUEUE_LINE = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').findIndex((line) => /^\s+await this\.emails\.add\('send-confirmation'/.test(line)) + 1;

/** An app module whose controller enqueues into `queueName` through `@nestjs/bullmq`. */
function ordersModule(queueName: string) {
  @Controller('orders')
  class OrdersController {
    constructor(@InjectQueue(queueName) private readonly emails: Queue) {}

    @Post()
    async place(): Promise<{ ok: boolean }> {
      await this.emails.add('send-confirmation', { orderId: 7 }); // ← the origin
      return { ok: true };
    }

    @Get('refused')
    async refuse(): Promise<never> {
      await this.emails.add('audit', { refused: true });
      throw new HttpException('Out of stock', 422);
    }
  }

  @Module({
    imports: [BullModule.forRoot({ connection: redisConnection() }), BullModule.registerQueue({ name: queueName })],
    controllers: [OrdersController],
  })
  class AppModule {}
  return AppModule;
}

const PLATFORMS = [
  ['Express', async (module: object): Promise<INestApplication> => {
    const app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), { logger: false });
    app.use(expressTaskscope());
    return app;
  }],
  ['Fastify', async (module: object): Promise<INestApplication> => {
    const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger: false });
    await app.register(fastifyTaskscope);
    return app;
  }],
] as const;

describe.each(PLATFORMS)('NestJS on %s with @nestjs/bullmq', (_platform, create) => {
  let app: INestApplication | undefined;
  let queueName: string;
  let url: string;

  async function start(): Promise<void> {
    queueName = freshQueueName('nest-emails');
    app = await create(ordersModule(queueName));
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  }

  afterEach(async () => {
    const queue = app?.get<Queue>(`BullQueue_${queueName}`);
    await queue?.obliterate({ force: true });
    await app?.close();
    app = undefined;
  });

  async function recordOf(response: Response): Promise<RequestRecord> {
    const { status, body } = await getJson<RequestRecord>(`${url}${response.headers.get('x-debug-url')}`);
    expect(status).toBe(200);
    return body;
  }

  it('records the job a controller enqueued through @InjectQueue, with the controller\'s line as origin', async () => {
    await start();
    const response = await fetch(`${url}/orders`, { method: 'POST' });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ ok: true });
    const record = await recordOf(response);
    expect(record.request).toMatchObject({ method: 'POST', url: '/orders', status: 201 });
    expect(record.tasks).toHaveLength(1);
    expect(record.tasks[0]).toMatchObject({ name: 'send-confirmation', queue: queueName, data: { orderId: 7 }, jobId: expect.any(String) });
    expect(record.tasks[0]!.origin).toMatchObject({ file: expect.stringMatching(/integration\/adapters\/nest\.test\.ts$/), line: ENQUEUE_LINE });
  });

  it('keeps its headers on the response of Nest\'s exception filter, and records its status', async () => {
    await start();
    const response = await fetch(`${url}/orders/refused`);
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ statusCode: 422, message: 'Out of stock' });
    const record = await recordOf(response);
    expect(record.request.status).toBe(422);
    expect(record.tasks.map((t) => t.name)).toEqual(['audit']);
  });

  it('serves the debug API ahead of Nest\'s router', async () => {
    await start();
    await fetch(`${url}/orders`, { method: 'POST' });
    const { status, body } = await getJson(`${url}/__taskscope/requests`);
    expect(status).toBe(200);
    expect(body.requests.map((r: { url: string }) => r.url)).toEqual(['/orders']);
  });
});
