import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { WsConnectionRecord, WsListResponse } from 'taskscope/protocol';
import { connect, eventually, getJson, startWsApp, type WsTestApp } from './ws-app.js';

describe('ws connection recording', () => {
  let app: WsTestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const record = (id: string) => getJson<WsConnectionRecord>(`${app!.url}/__taskscope/ws/${id}`);

  it('records the handshake, every opcode both ways, and a client close', async () => {
    app = await startWsApp({}, (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
      socket.ping('are-you-there');
    });
    const { client, headers } = await connect(`${app.wsUrl}/live?room=7&token=s3cret`, ['desk.v1'], {
      headers: { cookie: 'sid=abc', authorization: 'Bearer xyz', origin: 'http://shop.localhost' },
    });
    const id = String(headers['x-debug-id']);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers['x-debug-url']).toBe(`/__taskscope/ws/${id}`);
    client.send('hello');
    await once(client, 'message');
    client.send(Buffer.from([1, 2, 3]));
    await once(client, 'message');
    client.pong('pong-from-client');
    client.close(4001, 'bye');
    await once(client, 'close');

    const { body } = await eventually(() => record(id), (r) => r.body.state === 'closed');
    expect(body).toMatchObject({
      version: 1, id, url: '/live?room=7&token=[redacted]', protocol: 'desk.v1', origin: 'http://shop.localhost',
      remoteAddress: '127.0.0.1', state: 'closed', rejected: null, close: { code: 4001, reason: 'bye', side: 'client' },
      messagesIn: 5, messagesOut: 4, droppedMessages: 0,
    });
    expect(body.headers).toMatchObject({ cookie: '[redacted]', authorization: '[redacted]', 'sec-websocket-protocol': 'desk.v1' });
    expect(body.durationMs).toBeGreaterThan(0);
    const frames = body.messages.map((m) => `${m.direction} ${m.opcode} ${m.size}`);
    expect(frames).toEqual(expect.arrayContaining([
      'out ping 13', 'in pong 13', 'in text 5', 'out text 5', 'in binary 3', 'out binary 3', 'in pong 16', 'in close 3', 'out close 3',
    ]));
    expect(body.messages.find((m) => m.opcode === 'text')).toMatchObject({ preview: 'hello', encoding: 'text', truncated: false });
    expect(body.messages.find((m) => m.opcode === 'binary')).toMatchObject({ preview: null, truncated: true });
    expect(body.messages.find((m) => m.direction === 'in' && m.opcode === 'close')).toMatchObject({ closeCode: 4001, preview: 'bye' });
    expect(body.messages.map((m) => m.seq)).toEqual(body.messages.map((_, i) => i + 1));

    const list = await getJson<WsListResponse>(`${app.url}/__taskscope/ws`);
    expect(list.body.connections[0]).toMatchObject({ id, state: 'closed', messagesIn: 5, bytesIn: 13 + 5 + 3 + 16 + 3 });
    expect(list.body.limits).toMatchObject({ maxConnections: 50, maxMessages: 100, maxTextBytes: 10240, maxBinaryPreviewBytes: 0 });
  });

  it('records a server close with its code and reason', async () => {
    app = await startWsApp({}, (socket) => socket.on('message', () => socket.close(4000, 'idle')));
    const { client, headers } = await connect(app.wsUrl);
    client.send('x');
    const [code] = await once(client, 'close');
    expect(code).toBe(4000);
    const { body } = await eventually(() => record(String(headers['x-debug-id'])), (r) => r.body.state === 'closed');
    expect(body.close).toEqual({ code: 4000, reason: 'idle', side: 'server' });
    expect(body.messages.map((m) => `${m.direction} ${m.opcode}`)).toEqual(['in text', 'out close', 'in close']);
  });

  it('records an abnormal end when the client drops the socket', async () => {
    app = await startWsApp({}, () => {});
    const { client, headers } = await connect(app.wsUrl);
    client.terminate();
    const { body } = await eventually(() => record(String(headers['x-debug-id'])), (r) => r.body.state === 'closed');
    expect(body.close).toEqual({ code: 1006, reason: '', side: 'abnormal' });
  });

  it('shows the open state live and returns only newer messages with ?since=', async () => {
    app = await startWsApp({}, (socket) => socket.on('message', (data) => socket.send(`echo ${data}`)));
    const { client, headers } = await connect(app.wsUrl);
    const id = String(headers['x-debug-id']);
    for (const text of ['a', 'b', 'c']) {
      client.send(text);
      await once(client, 'message');
    }
    const all = await record(id);
    expect(all.body).toMatchObject({ state: 'open', lastSeq: 6, since: null, closedAt: null, durationMs: null });
    const newer = await getJson<WsConnectionRecord>(`${app.url}/__taskscope/ws/${id}?since=4`);
    expect(newer.body.messages.map((m) => m.preview)).toEqual(['c', 'echo c']);
    expect(newer.body.since).toBe(4);
    expect((await getJson(`${app.url}/__taskscope/ws/${id}?since=-1`)).body.error.code).toBe('bad_since');
    expect((await getJson(`${app.url}/__taskscope/ws/not-a-uuid`)).status).toBe(400);
    expect((await getJson(`${app.url}/__taskscope/ws/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    client.close();
  });

  it('answers with the same guards as the rest of the debug API', async () => {
    app = await startWsApp({ token: 't0ken' }, () => {});
    expect((await getJson(`${app.url}/__taskscope/ws`)).body.error.code).toBe('token_required');
    const ok = await fetch(`${app.url}/__taskscope/ws`, { headers: { 'x-taskscope-token': 't0ken' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
  });

  it('records nothing and serves no ws routes with ws.instrument: false', async () => {
    app = await startWsApp({ ws: { instrument: false } }, (socket) => socket.on('message', (data) => socket.send(data)));
    const { client, headers } = await connect(app.wsUrl);
    expect(headers['x-debug-id']).toBeUndefined();
    client.send('hi');
    await once(client, 'message');
    expect((await getJson(`${app.url}/__taskscope/ws`)).status).toBe(404);
    client.close();
  });
});
