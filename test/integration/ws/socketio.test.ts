import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { WsConnectionRecord } from 'taskscope/protocol';
import { connect, getJson, startWsApp, type WsTestApp } from './ws-app.js';

// socket.io is not a dependency here: the server speaks engine.io v4 / socket.io v5 frames itself,
// as engine.io's websocket transport does over ws.
describe('socket.io / engine.io frames', () => {
  let app: WsTestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('are decoded on connections whose URL says EIO=4', async () => {
    app = await startWsApp({}, (socket) => {
      socket.send('0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000}');
      socket.on('message', (data) => {
        if (String(data) === '40') socket.send('40{"sid":"def"}');
        else socket.send('431["accepted"]');
      });
    });
    const { client, headers } = await connect(`${app.wsUrl}/socket.io/?EIO=4&transport=websocket`);
    client.send('40');
    client.send('421["order:place",{"sku":"MUG-1"}]');
    await new Promise<void>((resolve) => {
      let count = 0;
      client.on('message', () => { if (++count === 2) resolve(); });
    });
    const { body } = await getJson<WsConnectionRecord>(`${app.url}/__taskscope/ws/${headers['x-debug-id']}`);
    const event = body.messages.find((m) => m.preview?.startsWith('421'));
    expect(event!.decoded).toEqual({ kind: 'socket.io', type: 'EVENT', namespace: '/', event: 'order:place', args: [{ sku: 'MUG-1' }], ackId: 1 });
    expect(body.messages.find((m) => m.preview?.startsWith('431'))!.decoded).toMatchObject({ type: 'ACK', ackId: 1, args: ['accepted'] });
    expect(body.url).toBe('/socket.io/?EIO=4&transport=websocket');
    client.close();
    await once(client, 'close');
  });

  it('are not decoded on plain connections', async () => {
    app = await startWsApp({}, (socket) => socket.on('message', (data) => socket.send(data)));
    const { client, headers } = await connect(app.wsUrl);
    client.send('42["x"]');
    await once(client, 'message');
    const { body } = await getJson<WsConnectionRecord>(`${app.url}/__taskscope/ws/${headers['x-debug-id']}`);
    expect(body.messages[0]!.decoded).toBeNull();
    client.close();
  });
});
