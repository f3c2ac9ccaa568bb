import { once } from 'node:events';
import { createConnection } from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { WsConnectionRecord, WsListResponse } from 'taskscope/protocol';
import { connect, eventually, getJson, startWsApp, type WsTestApp } from './ws-app.js';

describe('ws bounds, refusals and hostile frames', () => {
  let app: WsTestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  const record = (id: string) => getJson<WsConnectionRecord>(`${app!.url}/__taskscope/ws/${id}`);
  const list = () => getJson<WsListResponse>(`${app!.url}/__taskscope/ws`);

  it('keeps text up to maxTextBytes and a hex preview only when enabled', async () => {
    app = await startWsApp({ ws: { maxTextBytes: 1024, maxBinaryPreviewBytes: 4 } }, (socket) => socket.on('message', () => socket.send('k')));
    const { client, headers } = await connect(app.wsUrl);
    client.send('é'.repeat(1000)); // 2,000 bytes: cut at a character boundary
    await once(client, 'message');
    client.send(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01]));
    await once(client, 'message');
    const { body } = await record(String(headers['x-debug-id']));
    const [text, , binary] = body.messages;
    expect(text).toMatchObject({ size: 2000, truncated: true, encoding: 'text' });
    expect(text!.preview).toBe('é'.repeat(512));
    expect(binary).toMatchObject({ opcode: 'binary', size: 5, preview: 'deadbeef', encoding: 'hex', truncated: true });
    client.close();
  });

  it('keeps the newest maxMessages in a ring buffer and counts the dropped ones', async () => {
    app = await startWsApp({ ws: { maxMessages: 5 } }, () => {});
    const { client, headers } = await connect(app.wsUrl);
    for (let i = 1; i <= 8; i++) client.send(`m${i}`);
    const { body } = await eventually(() => record(String(headers['x-debug-id'])), (r) => r.body.messagesIn === 8);
    expect(body.messages.map((m) => m.preview)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8']);
    expect(body).toMatchObject({ droppedMessages: 3, lastSeq: 8, messagesIn: 8 });
    client.close();
  });

  it('evicts the oldest closed connection first and counts connections it had no room for', async () => {
    app = await startWsApp({ ws: { maxConnections: 2 } }, () => {});
    const first = await connect(app.wsUrl);
    first.client.close();
    await once(first.client, 'close');
    const second = await connect(app.wsUrl);
    const third = await connect(app.wsUrl);
    const ids = (await list()).body.connections.map((c) => c.id);
    expect(ids).toEqual([third.headers['x-debug-id'], second.headers['x-debug-id']]);
    const fourth = await connect(app.wsUrl);
    expect(fourth.headers['x-debug-id']).toBeUndefined();
    expect((await list()).body.droppedConnections).toBe(1);
    [second, third, fourth].forEach(({ client }) => client.close());
  });

  it('records refused upgrades with their status and reason', async () => {
    app = await startWsApp({}, () => {}, {
      verifyClient: (info: { req: { url?: string } }, done: (ok: boolean, code?: number, message?: string) => void) => {
        if (info.req.url?.includes('token=good')) done(true);
        else done(false, 401, 'Unauthorized: bad token');
      },
    });
    const refused = new WebSocket(`${app.wsUrl}/desk?token=bad`);
    const [error] = await once(refused, 'error');
    expect(error.message).toBe('Unexpected server response: 401');
    const { body } = await eventually(list, (r) => r.body.connections[0]?.state === 'rejected');
    expect(body.connections[0]).toMatchObject({ url: '/desk?token=[redacted]', state: 'rejected', rejected: { status: 401, reason: 'Unauthorized: bad token' } });
    const ok = await connect(`${app.wsUrl}/desk?token=good`);
    expect((await record(String(ok.headers['x-debug-id']))).body.state).toBe('open');
    ok.client.close();
  });

  it('bounds a 10 MB frame in the record', async () => {
    app = await startWsApp({}, (socket) => socket.on('message', (data) => socket.send(`got ${(data as Buffer).length}`)));
    const { client, headers } = await connect(app.wsUrl);
    client.send('x'.repeat(10 * 1024 * 1024));
    const [answer] = await once(client, 'message');
    expect(String(answer)).toBe(`got ${10 * 1024 * 1024}`);
    const { body } = await record(String(headers['x-debug-id']));
    expect(body.messages[0]).toMatchObject({ size: 10 * 1024 * 1024, truncated: true });
    expect(body.messages[0]!.preview).toHaveLength(10 * 1024);
    expect(JSON.stringify(body).length).toBeLessThan(20_000);
    client.close();
  });

  it('lets a raw non-websocket upgrade fail exactly as ws answers it', async () => {
    app = await startWsApp({}, () => {});
    const port = new URL(app.url).port;
    const socket = createConnection(Number(port), '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    await once(socket, 'close');
    expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 400 Bad Request[\s\S]*Missing or invalid Sec-WebSocket-Key header$/);
    const { body } = await eventually(list, (r) => r.body.connections[0]?.state === 'rejected');
    expect(body.connections[0]!.rejected).toEqual({ status: 400, reason: 'Missing or invalid Sec-WebSocket-Key header' });
  });
});
