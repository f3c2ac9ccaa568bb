import { describe, expect, it } from 'vitest';
import type { WsConnectionItem, WsConnectionRecord } from 'taskscope/protocol';
import { WsController } from '../../../extension/src/panel/ws/ws-controller.js';
import type { WsViewState } from '../../../extension/src/panel/ws/ws-state.svelte.js';
import type { FetchAnswer } from '../../../extension/src/lib/debug-api.js';

const PAGE = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';

/** The view state without Svelte: plain fields, `message` derived by a getter. */
function plainState(): WsViewState {
  const state = {
    active: true, endpoint: null, connections: [], limits: null, droppedConnections: 0, pageIds: new Set<string>(),
    selectedId: null, connection: null as WsConnectionRecord | null, selectedSeq: null as number | null, statuses: new Map(), selectedTaskSeq: null, problem: null, now: 0, live: false,
    get message() {
      return state.connection?.messages.find((m) => m.seq === state.selectedSeq) ?? null;
    },
  };
  return state as unknown as WsViewState;
}

function item(id: string, openedAt: number): WsConnectionItem {
  return { id, url: '/desk', state: 'open', openedAt, lastSeq: 1 } as WsConnectionItem;
}

function record(id: string, seqs: number[], since: number | null = null): WsConnectionRecord {
  return {
    version: 1, id, url: '/desk', state: 'open', since, lastSeq: seqs.at(-1) ?? 0,
    messages: seqs.map((seq) => ({ seq, direction: 'in', opcode: 'text', preview: `m${seq}`, record: null })),
  } as unknown as WsConnectionRecord;
}

function fakeServer(): { urls: string[]; fetcher: (url: string) => Promise<FetchAnswer>; lastSeq: number } {
  const server = {
    urls: [] as string[],
    lastSeq: 2,
    async fetcher(url: string): Promise<FetchAnswer> {
      server.urls.push(url);
      const path = new URL(url);
      if (path.pathname.endsWith('/ws')) {
        return { status: 200, body: { version: 1, connections: [item(OTHER, 2), item(PAGE, 1)], droppedConnections: 0, limits: { maxMessages: 100 } } };
      }
      const id = path.pathname.split('/').at(-1)!;
      const since = path.searchParams.get('since');
      const seqs = Array.from({ length: server.lastSeq }, (_, i) => i + 1).filter((seq) => since === null || seq > Number(since));
      return { status: 200, body: record(id, seqs, since === null ? null : Number(since)) };
    },
  };
  return server;
}

describe('WsController', () => {
  const deps = (server: ReturnType<typeof fakeServer>) => ({ fetcher: server.fetcher, fallbackOrigin: () => 'http://127.0.0.1:3000', tokenFor: () => null });

  it('selects the page\'s own socket first, even when another is newer', async () => {
    const server = fakeServer();
    const state = plainState();
    const controller = new WsController(state, deps(server));
    controller.onHarEntry({ request: { method: 'GET', url: 'ws://127.0.0.1:3000/desk' }, response: { status: 101, headers: [{ name: 'X-Debug-Id', value: PAGE }] } });
    await controller.tick();
    expect(state.selectedId).toBe(PAGE);
    expect(state.pageIds.has(PAGE)).toBe(true);
    expect(state.connection?.messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('fetches only newer messages while the connection is open, and keeps a user\'s choice', async () => {
    const server = fakeServer();
    const state = plainState();
    const controller = new WsController(state, deps(server));
    await controller.tick();
    expect(state.selectedId).toBe(OTHER); // no page socket known: the newest
    await controller.select(PAGE);
    server.lastSeq = 4;
    server.urls.length = 0;
    await controller.tick();
    expect(server.urls).toContain(`http://127.0.0.1:3000/__taskscope/ws/${PAGE}?since=2`);
    expect(state.connection?.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    controller.onHarEntry({ request: { method: 'GET', url: 'ws://127.0.0.1:3000/desk' }, response: { status: 101, headers: [{ name: 'X-Debug-Id', value: OTHER }] } });
    expect(state.selectedId).toBe(PAGE);
  });

  it('shows a problem when the server cannot be reached', async () => {
    const state = plainState();
    const controller = new WsController(state, { fetcher: () => Promise.reject(new Error('Failed to fetch')), fallbackOrigin: () => 'http://127.0.0.1:1', tokenFor: () => null });
    await controller.tick();
    expect(state.problem).toMatchObject({ kind: 'unreachable', detail: 'Failed to fetch' });
  });
});
