import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import fp from 'fastify-plugin';
import { createTaskscope, type Taskscope, type TrackedRequest } from '../core/create-taskscope.js';
import type { TaskscopeOptions } from '../core/options.js';
import { apiRequest, CORS_HEADERS, pathOf, setTrackingHeaders } from './shared.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Taskscope core of this app (its store, its options); released by `app.close()`. */
    readonly taskscope: Taskscope;
  }
}

const TRACKED = Symbol('taskscope.tracked');
type TrackedFastifyRequest = FastifyRequest & { [TRACKED]: TrackedRequest | null };

const API_METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

const plugin: FastifyPluginAsync<TaskscopeOptions> = async (app, options) => {
  const core = createTaskscope(options);
  app.decorate('taskscope', core);
  app.addHook('onClose', () => core.close());
  if (!core.enabled) return;
  serveApi(app, core);
  app.decorateRequest(TRACKED, null);

  app.addHook('onRequest', (request, _reply, done) => {
    if (core.api!.owns(pathOf(request.url))) return done();
    const tracked = core.track(request.method, request.url);
    if (!tracked) return done();
    (request as TrackedFastifyRequest)[TRACKED] = tracked;
    // The rest of the lifecycle (body parsing, preHandler, the handler) continues from here, so
    // it runs in the scope; on Node ≥ 20.19 that holds for a body arriving after the head too,
    // which older Node lost (https://github.com/fastify/fastify/issues/3570; tested).
    tracked.run(done);
  });
  // onSend runs for every reply, the error handler's and the 404 handler's included, before the
  // head is written with reply.statusCode: the record is stored first, and has that status.
  app.addHook('onSend', async (request, reply, payload) => {
    const tracked = (request as TrackedFastifyRequest)[TRACKED];
    if (tracked) {
      const headers = tracked.end(reply.statusCode);
      setHeaders(reply, headers instanceof Promise ? await headers : headers);
    }
    return payload;
  });
  // An app's own onSend hook, registered after ours, may still change the status.
  app.addHook('onResponse', (request, reply, done) => {
    (request as TrackedFastifyRequest)[TRACKED]?.setStatus(reply.statusCode);
    done();
  });
};

function serveApi(app: FastifyInstance, core: Taskscope): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<string> => {
    const answer = await core.api!.handle(apiRequest(request.method, request.url, request.headers, request.raw.socket.remoteAddress));
    for (const name of CORS_HEADERS) reply.removeHeader(name);
    reply.code(answer.status).headers(answer.headers);
    return answer.body;
  };
  const prefix = core.options.prefix;
  app.route({ method: API_METHODS, url: prefix, handler });
  app.route({ method: API_METHODS, url: `${prefix}/*`, handler });
}

/** A reply as a header target: Fastify's setter is `header`. */
class ReplyHeaders {
  constructor(private readonly reply: FastifyReply) {}
  getHeader(name: string): unknown {
    return this.reply.getHeader(name);
  }
  setHeader(name: string, value: string): void {
    this.reply.header(name, value);
  }
}

function setHeaders(reply: FastifyReply, headers: Parameters<typeof setTrackingHeaders>[1]): void {
  setTrackingHeaders(new ReplyHeaders(reply), headers);
}

/**
 * Taskscope for Fastify 5 (and NestJS on its Fastify platform): records the BullMQ jobs each
 * request enqueues, sends `X-Debug-Id`, `X-Debug-Url` and `Server-Timing` on every reply
 * (the error handler's included), and serves the debug API under `prefix` as routes. Not
 * encapsulated (fastify-plugin): it sees every route of the app. Register it first.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { taskscope } from 'taskscope/fastify';
 *
 * const app = Fastify();
 * await app.register(taskscope);                       // or app.register(taskscope, { nPlusOneThreshold: 5 })
 * ```
 */
export const taskscope = fp(plugin, { fastify: '5.x', name: 'taskscope' });
