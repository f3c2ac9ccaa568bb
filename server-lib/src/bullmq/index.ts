/**
 * BullMQ support: zero-config enqueue instrumentation and live job status.
 */
export { instrumentBullMQ, instrumentInstalledBullMQ, type BullMQModule } from './instrument.js';

export { createJobStatusReader, type JobRef, type JobStatusReader, type JobStatusReaderOptions } from './job-status.js';
export type { SerializeValue } from './job-state-query.js';
export type { StatusClient, StatusConnection } from './redis-client.js';
