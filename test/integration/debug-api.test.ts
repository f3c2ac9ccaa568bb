import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, startTestApp, type TestApp } from '../support/koa-app.js';
import { rawRequest } from '../support/raw-http.js';
import { freshQueueName, redisConnection } from '../support/redis.js';

let queue: Queue;
let app: TestApp;
let tokenApp: TestApp;

beforeAll(async () => {
  queue = new Queue(freshQueueName('api'), { connection: redisConnection() });
  const handler = async (ctx: any) => {
    await queue.add('job', { path: ctx.path });
    ctx.body = 'ok';
  };
  app = await startTestApp({}, handler);
  tokenApp = await startTestApp({ token: 's3cret-token' }, handler);
});

afterAll(async () => {
  await app.close();
  await tokenApp.close();
  await queue.obliterate({ force: true });
  await queue.close();
});

function expectJsonError(response: { status: number; headers: Record<string, unknown> | Headers; body: string | any }, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = typeof response.body === 'string' ? JSON.parse(response.body) : response.body;
  expect(body).toEqual({ version: 1, error: { code, message: expect.any(String) } });
}

describe('GET /__taskscope/requests', () => {
  it('lists recent requests, newest first, with their task counts', async () => {
    const first = (await fetch(`${app.url}/first`)).headers.get('x-debug-id');
    const second = (await fetch(`${app.url}/second`)).headers.get('x-debug-id');
    const { status, body, headers } = await getJson(`${app.url}/__taskscope/requests`);
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(body.version).toBe(1);
    const ids = body.requests.map((r: { id: string }) => r.id);
    expect(ids.indexOf(second)).toBeLessThan(ids.indexOf(first));
    expect(body.requests.find((r: { id: string }) => r.id === first)).toMatchObject({
      method: 'GET', url: '/first', status: 200, taskCount: 1, nPlusOneCount: 0,
    });
  });

  it('honours ?limit and rejects a bad one with 400', async () => {
    expect((await getJson(`${app.url}/__taskscope/requests?limit=1`)).body.requests).toHaveLength(1);
    const bad = await getJson(`${app.url}/__taskscope/requests?limit=-5`);
    expectJsonError(bad, 400, 'bad_limit');
  });

  it('is not itself recorded', async () => {
    const response = await fetch(`${app.url}/__taskscope/requests`);
    expect(response.headers.get('x-debug-id')).toBeNull();
  });
});

describe('debug API errors', () => {
  it('answers an unknown or expired id with 404 JSON', async () => {
    expectJsonError(await getJson(`${app.url}/__taskscope/requests/0b7c5d3e-1f2a-4b3c-8d4e-5f6a7b8c9d0e`), 404, 'not_found');
  });

  it.each([
    ['a malformed id', '/__taskscope/requests/not-an-id', 400, 'bad_id'],
    ['a huge id', `/__taskscope/requests/${'a'.repeat(5_000)}`, 414, 'path_too_long'],
    ['a long id segment', `/__taskscope/requests/${'a'.repeat(600)}`, 400, 'bad_path'],
    ['a traversal attempt', '/__taskscope/requests/..%2F..%2Fetc%2Fpasswd', 400, 'bad_id'],
    ['bad percent-encoding', '/__taskscope/requests/%E0%A4%A', 400, 'bad_path'],
    ['an unknown endpoint', '/__taskscope/nope', 404, 'not_found'],
    ['a status of a malformed id', '/__taskscope/requests/%00/status', 400, 'bad_id'],
    ['a job with a control character', '/__taskscope/jobs/q/%01', 400, 'bad_name'],
  ])('answers %s with a JSON 4xx', async (_what, path, status, code) => {
    expectJsonError(await rawRequest(app.url, { path }), status, code);
  });

  it('is read-only: POST gets 405 with Allow', async () => {
    const response = await rawRequest(`${app.url}/__taskscope/requests`, { method: 'POST' });
    expectJsonError(response, 405, 'method_not_allowed');
    expect(response.headers.allow).toBe('GET, HEAD');
  });

  it('answers a job it has never seen as removed, not with an error', async () => {
    const { status, body } = await getJson(`${app.url}/__taskscope/jobs/${queue.name}/no-such-job`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ version: 1, queue: queue.name, jobId: 'no-such-job', state: 'removed' });
  });
});

describe('debug API protections', () => {
  it('refuses a Host outside the allow-list (DNS rebinding)', async () => {
    const response = await rawRequest(`${app.url}/__taskscope/requests`, { headers: { host: 'attacker.example:80' } });
    expectJsonError(response, 403, 'forbidden_host');
  });

  it('accepts localhost and *.localhost hosts', async () => {
    const port = new URL(app.url).port;
    for (const host of [`localhost:${port}`, `myapp.localhost:${port}`, `127.0.0.1:${port}`]) {
      expect((await rawRequest(`${app.url}/__taskscope/requests`, { headers: { host } })).status).toBe(200);
    }
  });

  it('refuses browser requests from another web origin, accepts the extension and same origin', async () => {
    const url = `${app.url}/__taskscope/requests`;
    expectJsonError(await rawRequest(url, { headers: { origin: 'https://evil.example' } }), 403, 'forbidden_origin');
    expect((await rawRequest(url, { headers: { origin: 'chrome-extension://abcdefghijklmnop' } })).status).toBe(200);
    expect((await rawRequest(url, { headers: { origin: 'moz-extension://1234-5678' } })).status).toBe(200);
    expect((await rawRequest(url, { headers: { origin: app.url } })).status).toBe(200);
  });

  it('requires X-Taskscope-Token when a token is set: 401 without, 403 when wrong', async () => {
    const url = `${tokenApp.url}/__taskscope/requests`;
    expectJsonError(await rawRequest(url), 401, 'token_required');
    expectJsonError(await rawRequest(url, { headers: { 'x-taskscope-token': 'wrong' } }), 403, 'bad_token');
    expect((await rawRequest(url, { headers: { 'x-taskscope-token': 's3cret-token' } })).status).toBe(200);
  });

  it('still tracks requests of an app with a token (the token guards only the API)', async () => {
    expect((await fetch(`${tokenApp.url}/x`)).headers.get('x-debug-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
