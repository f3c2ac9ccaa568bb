import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { RedisStore } from 'taskscope';
import type { WsConnectionRecord, WsListResponse } from 'taskscope/protocol';
import { startTestApp, type TestApp } from '../../support/koa-app.js';
import { connect, eventually, getJson } from './ws-app.js';

// The connection is held by a child process; the debug API answering is this one's.
describe('ws records in a RedisStore, across two processes', () => {
  const namespace = `taskscope-ws-${randomUUID().slice(0, 8)}`;
  let holder: ChildProcess;
  let holderUrl: string;
  let reader: TestApp;
  let store: RedisStore;

  beforeAll(async () => {
    holder = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', fileURLToPath(new URL('./fixtures/ws-holder.ts', import.meta.url))], {
      env: { ...process.env, REDIS_URL: inject('redisUrl'), NAMESPACE: namespace },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const [line] = await once(holder.stdout!, 'data');
    holderUrl = String(line).trim();
    store = new RedisStore({ connection: inject('redisUrl'), namespace });
    reader = await startTestApp({ store });
  });

  afterAll(async () => {
    holder.stdin!.end();
    await once(holder, 'exit');
    await reader.close();
    await store.close();
  });

  it('serves a connection held by another process within a second, messages included', async () => {
    const { client, headers } = await connect(`${holderUrl}/desk`);
    const id = String(headers['x-debug-id']);
    client.send('first');
    await once(client, 'message');
    const started = Date.now();
    const { body } = await eventually(
      () => getJson<WsConnectionRecord>(`${reader.url}/__taskscope/ws/${id}`),
      (r) => r.status === 200 && r.body.messages.length === 2,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(body).toMatchObject({ id, url: '/desk', state: 'open', messagesIn: 1, messagesOut: 1 });
    expect(body.messages.map((m) => m.preview)).toEqual(['first', 'echo first']);
    const list = await getJson<WsListResponse>(`${reader.url}/__taskscope/ws`);
    expect(list.body.connections.map((c) => c.id)).toContain(id);

    client.close(4000, 'bye');
    const closed = await eventually(
      () => getJson<WsConnectionRecord>(`${reader.url}/__taskscope/ws/${id}?since=2`),
      (r) => r.body.state === 'closed',
    );
    expect(closed.body.close).toEqual({ code: 4000, reason: 'bye', side: 'client' });
    expect(closed.body.messages.map((m) => m.opcode)).toEqual(['close', 'close']);
  });
});
