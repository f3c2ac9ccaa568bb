import { once } from 'node:events';
import type WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { WsConnectionRecord } from 'taskscope/protocol';
import { connect, eventually, getJson, startWsApp, type WsTestApp } from './ws-app.js';

/** The app's view of one connection: every event, in order, with its arguments. */
function logEvents(socket: WebSocket, seen: string[]): void {
  socket.on('message', (data, isBinary) => {
    seen.push(`message ${isBinary} ${String(data).slice(0, 20)}`);
    if (String(data) === 'throw') throw new Error('listener failed');
    socket.send(`echo ${data}`, (error) => seen.push(`sent ${error ?? 'ok'}`));
  });
  socket.on('ping', (data) => seen.push(`ping ${data}`));
  socket.on('pong', (data) => seen.push(`pong ${data}`));
  socket.on('error', (error) => seen.push(`error ${error.message}`));
  // Taskscope's link to the recording rides on the socket, out of the app's sight.
  socket.on('close', (code, reason) => seen.push(`keys ${Object.keys(socket).join(',')}`, `close ${code} ${reason}`));
}

/** Runs one scenario against the app and returns what its listeners saw. */
async function scenario(app: WsTestApp, seen: string[], steps: (client: WebSocket) => Promise<void>): Promise<string | undefined> {
  const { client, headers } = await connect(app.wsUrl);
  await steps(client);
  await once(client, 'close');
  await eventually(async () => seen, (events) => events.some((event) => event.startsWith('close')));
  return headers['x-debug-id'] as string | undefined;
}

describe('the app\'s ws behaviour with Taskscope', () => {
  let app: WsTestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function both(steps: (client: WebSocket) => Promise<void>): Promise<{ bare: string[]; tracked: string[]; id: string }> {
    const bare: string[] = [];
    app = await startWsApp(false, (socket) => logEvents(socket, bare));
    await scenario(app, bare, steps);
    await app.close();
    const tracked: string[] = [];
    app = await startWsApp({}, (socket) => logEvents(socket, tracked));
    const id = await scenario(app, tracked, steps);
    return { bare, tracked, id: id! };
  }

  it('sees the same events, in the same order, with the same arguments', async () => {
    const { bare, tracked } = await both(async (client) => {
      client.send('hello');
      await once(client, 'message');
      client.send(Buffer.from('bin'), { binary: true });
      await once(client, 'message');
      client.ping('p1');
      await once(client, 'pong');
      client.pong('p2');
      client.close(4002, 'done');
    });
    expect(tracked).toEqual(bare);
    expect(bare).toContain('close 4002 done');
  });

  it('gets ws\'s own error and close for invalid UTF-8, as without Taskscope', async () => {
    const { bare, tracked, id } = await both(async (client) => {
      // A masked text frame whose payload is not UTF-8.
      (client as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]));
    });
    expect(tracked).toEqual(bare);
    expect(bare[0]).toMatch(/^error Invalid WebSocket frame: invalid UTF-8 sequence$/);
    const { body } = await eventually(() => getJson<WsConnectionRecord>(`${app!.url}/__taskscope/ws/${id}`), (r) => r.body.state === 'closed');
    expect(body.errors.map((e) => e.message)).toEqual(['Invalid WebSocket frame: invalid UTF-8 sequence']);
    expect(body.messages.find((m) => m.direction === 'out' && m.opcode === 'close')).toMatchObject({ closeCode: 1007 });
    expect(body.messages.some((m) => m.opcode === 'text')).toBe(false);
  });

  it('rethrows an error thrown by a message listener to whoever emitted, as before', async () => {
    const outcomes: string[] = [];
    for (const options of [false, {}] as const) {
      app = await startWsApp(options, (socket) => {
        socket.on('message', () => { throw new Error('listener failed'); });
        try {
          const result = socket.emit('message', Buffer.from('x'), false);
          outcomes.push(`returned ${result}`);
        } catch (error) {
          outcomes.push(`threw ${(error as Error).message}`);
        }
        socket.close();
      });
      const { client } = await connect(app.wsUrl);
      await once(client, 'close');
      await app.close();
      app = undefined;
    }
    expect(outcomes).toEqual(['threw listener failed', 'threw listener failed']);
  });
});
