import type { Taskscope, TaskscopeOptions } from 'taskscope';

/** What a test route sees of a request, whatever the framework. */
export interface RouteRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The parsed JSON body, parsed the framework's usual way (express.json(), Fastify's parser…). */
  body: unknown;
}

/** What a test route answers; a route may also throw, and the framework's own error handling answers. */
export interface RouteReply {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is, anything else as JSON. */
  body?: unknown;
}

/** One route, written once, mounted on every framework under test as its catch-all handler. */
export type Route = (request: RouteRequest) => Promise<RouteReply | void> | RouteReply | void;

/** A real app of one framework, listening on a free loopback port. */
export interface AdapterApp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The Taskscope core the adapter created; `undefined` for a bare app. */
  core: Taskscope | undefined;
  close(): Promise<void>;
}

/** A framework with its Taskscope adapter. */
export interface AdapterUnderTest {
  name: string;
  /**
   * Starts an app with the adapter first (given options) or without it (`'bare'`), then a
   * JSON body parser, then `route` for every method and path.
   */
  start(options: TaskscopeOptions | 'bare', route: Route): Promise<AdapterApp>;
}

/** An error the way http-errors (Koa's ctx.throw, Nest's, Express apps') makes it. */
export function httpError(status: number, message: string, props: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose: status < 500, ...props });
}
