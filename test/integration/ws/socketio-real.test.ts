import { Queue } from 'bullmq';
import Koa from 'koa';
import { once } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as SocketIoServer } from 'socket.io';
import { io as connectSocketIo, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WsConnectionRecord, WsListResponse, WsMessage } from 'taskscope/protocol';
import { taskscope, type TaskscopeMiddleware } from 'taskscope/koa';
import { freshQueueName, redisConnection } from '../../support/redis.js';
import { eventually, getJson } from './ws-app.js';

// A real socket.io server and client (engine.io over ws, as apps run them), so the decoding is
// checked against the frames socket.io really writes, not frames this test wrote by hand.
describe('a real socket.io server and client', () => {
  let queue: Queue;
  let server: HttpServer | undefined;
  let ioServer: SocketIoServer | undefined;
  let client: ClientSocket | undefined;
  let middleware: TaskscopeMiddleware | undefined;

  beforeAll(() => {
    queue = new Queue(freshQueueName('ws-socketio'), { connection: redisConnection() });
  });
  afterEach(async () => {
    client?.disconnect();
    await new Promise<void>((resolve) => (ioServer ? ioServer.close(() => resolve()) : resolve()));
    server?.closeAllConnections();
    await middleware?.close();
    client = undefined;
    ioServer = undefined;
    server = undefined;
    middleware = undefined;
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('has its engine.io and socket.io frames decoded, and the jobs of an event recorded under it', async () => {
    const app = new Koa();
    app.silent = true;
    middleware = taskscope({});
    app.use(middleware);
    server = createServer(app.callback());
    // A short ping interval, so the connection shows engine.io's own ping / pong too.
    ioServer = new SocketIoServer(server, { transports: ['websocket'], pingInterval: 100, pingTimeout: 1000 });
    ioServer.of('/orders').on('connection', (socket) => {
      socket.on('order:place', async (order: { sku: string }, ack: (answer: unknown) => void) => {
        await queue.add('place-order', order);
        ack({ ok: true, sku: order.sku });
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    client = connectSocketIo(`${url}/orders`, { transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      client!.once('connect', resolve);
      client!.once('connect_error', reject);
    });
    const answer: unknown = await client.emitWithAck('order:place', { sku: 'MUG-1' });
    expect(answer).toEqual({ ok: true, sku: 'MUG-1' });

    const { body: list } = await getJson<WsListResponse>(`${url}/__taskscope/ws`);
    expect(list.connections).toHaveLength(1);
    const connection = list.connections[0]!;
    expect(connection.url).toMatch(/^\/socket\.io\/\?EIO=4&transport=websocket$/);
    const read = () => getJson<WsConnectionRecord>(`${url}/__taskscope/ws/${connection.id}`);
    const { body } = await eventually(read, (r) => r.body.messages.some((m) => m.decoded?.type === 'pong') && r.body.taskCount === 1);
    const decoded = (direction: WsMessage['direction'], type: string) => body.messages.find((m) => m.direction === direction && m.decoded?.type === type);

    expect(decoded('out', 'open')!.decoded).toMatchObject({ kind: 'engine.io', type: 'open', namespace: null, event: null, ackId: null });
    expect((decoded('out', 'open')!.decoded!.args as { pingInterval: number }).pingInterval).toBe(100);
    expect(decoded('in', 'CONNECT')!.decoded).toMatchObject({ kind: 'socket.io', type: 'CONNECT', namespace: '/orders' });
    expect(decoded('out', 'CONNECT')!.decoded).toMatchObject({ kind: 'socket.io', type: 'CONNECT', namespace: '/orders' });
    const event = decoded('in', 'EVENT')!;
    expect(event.decoded).toEqual({ kind: 'socket.io', type: 'EVENT', namespace: '/orders', event: 'order:place', args: [{ sku: 'MUG-1' }], ackId: 0 });
    expect(decoded('out', 'ACK')!.decoded).toEqual({ kind: 'socket.io', type: 'ACK', namespace: '/orders', event: null, args: [{ ok: true, sku: 'MUG-1' }], ackId: 0 });
    expect(decoded('out', 'ping')!.decoded).toMatchObject({ kind: 'engine.io', type: 'ping', args: null });
    expect(decoded('in', 'pong')!.decoded).toMatchObject({ kind: 'engine.io', type: 'pong', args: null });

    // socket.io calls the handler a tick after the frame: still in time, recorded under the event.
    expect(event.record!.request).toMatchObject({ method: 'WS', url: connection.url });
    expect(event.record!.tasks.map((task) => [task.name, task.late, task.data])).toEqual([['place-order', false, { sku: 'MUG-1' }]]);
    expect(event.handlerMs).toBeGreaterThanOrEqual(0);
  });
});
