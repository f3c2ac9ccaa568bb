/**
 * Taskscope: see the BullMQ jobs each HTTP request enqueued, in your browser's DevTools.
 * The Koa middleware lives in `taskscope/koa`; this entry holds the framework-neutral core,
 * the stores and the manual instrumentation.
 *
 * @example
 * ```ts
 * import { RedisStore } from 'taskscope';
 * import { taskscope } from 'taskscope/koa';
 * app.use(taskscope({ store: new RedisStore({ connection: process.env.REDIS_URL! }) }));
 * ```
 */
export { createTaskscope } from './core/create-taskscope.js';
export type { Taskscope, TrackedRequest, TrackingHeaders } from './core/create-taskscope.js';
export type { DebugApi, ApiRequest, ApiResponse } from './api/debug-api.js';
export { DEFAULT_LIMITS } from './core/options.js';
export type { TaskscopeOptions, TaskscopeLimits } from './core/options.js';
export { DEFAULT_REDACT_KEYS } from './core/serialize.js';
export type { RedactRule } from './core/serialize.js';
export { MemoryStore } from './store/memory-store.js';
export type { MemoryStoreOptions } from './store/memory-store.js';
export { RedisStore } from './store/redis-store.js';
export type { RedisStoreOptions } from './store/redis-store.js';
export type { Store } from './store/store.js';
export { instrumentBullMQ } from './bullmq/instrument.js';
export { instrumentWs, DEFAULT_WS_OPTIONS } from './ws/index.js';
export type { WsOptions, WsModule } from './ws/index.js';
export * from './protocol.js';
