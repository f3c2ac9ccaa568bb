/**
 * The variants the enqueue bench times, each in a process of its own:
 * - `bare`: no taskscope loaded at all;
 * - `stacks` / `nostacks`: taskscope's core tracking requests, `captureStacks` on / off;
 * - `floor`: AsyncLocalStorage around each request and one 6-frame stack capture per add,
 *   nothing else — what any per-request enqueue tracker with call sites cannot avoid;
 * - `alsfloor`: AsyncLocalStorage around each request and nothing else;
 * - `peer`: BullMQ's own OpenTelemetry integration (`bullmq-otel`) with an SDK set up as
 *   `NodeTracerProvider.register()` would (AsyncLocalStorage context manager, W3C propagator),
 *   spans exported to memory, one span per request as the parent.
 */
export const ENQUEUE_MODES = ['bare', 'stacks', 'nostacks', 'floor', 'alsfloor', 'peer'] as const;
export type EnqueueMode = (typeof ENQUEUE_MODES)[number];
