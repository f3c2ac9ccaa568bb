import Koa from 'koa';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { taskscope } from 'taskscope/koa';
import type { WsConnectionRecord } from 'taskscope/protocol';
import { getJson } from './ws-app.js';

// How wrappers (koa-websocket, express-ws) and apps with several socket paths attach ws:
// `noServer: true` and their own `upgrade` listener calling `handleUpgrade`.
describe('a noServer WebSocketServer driven by handleUpgrade', () => {
  const closers: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('is recorded like any other, with its subprotocol choice', async () => {
    const app = new Koa();
    const middleware = taskscope();
    app.use(middleware);
    const server = createServer(app.callback());
    const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('v2') ? 'v2' : false) });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo ${data}`)));
    server.on('upgrade', (req, socket, head) => {
      if (req.url?.startsWith('/live')) wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      else socket.destroy();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    closers.push(() => { wss.clients.forEach((c) => c.terminate()); server.close(); return middleware.close(); });

    const client = new WebSocket(`ws://127.0.0.1:${port}/live`, ['v1', 'v2']);
    let id = '';
    client.on('upgrade', (response) => { id = String(response.headers['x-debug-id']); });
    await once(client, 'open');
    expect(client.protocol).toBe('v2');
    client.send('hi');
    await once(client, 'message');
    const { body } = await getJson<WsConnectionRecord>(`http://127.0.0.1:${port}/__taskscope/ws/${id}`);
    expect(body).toMatchObject({ url: '/live', protocol: 'v2', state: 'open', messagesIn: 1, messagesOut: 1 });
    client.close();
  });
});
