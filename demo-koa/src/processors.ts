import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import type { QueueName } from './queues.js';

/** What a worker does with one job of its queue. */
type Processor = (job: Job) => Promise<unknown>;

/** Pretends to work for a plausible time, so waiting → active → completed can be watched live. */
function work(minMs: number, maxMs: number): Promise<void> {
  return sleep(minMs + Math.random() * (maxMs - minMs));
}

async function sendEmail(job: Job): Promise<unknown> {
  await work(300, 1000);
  return { messageId: `msg-${job.id}`, to: job.data.to };
}

async function checkFraud(): Promise<unknown> {
  await work(500, 1500);
  return { score: 0.07, verdict: 'accept' };
}

async function buildReport(job: Job): Promise<unknown> {
  for (let percent = 20; percent <= 100; percent += 20) {
    await work(600, 900);
    await job.updateProgress(percent);
    await job.log(`${percent}% of the rows read`);
  }
  return { rows: 1284, url: `/reports/${job.id}.csv` };
}

async function billing(job: Job): Promise<unknown> {
  // job.log() lines show in the panel's job detail, one list across attempts.
  await job.log(`attempt ${job.attemptsMade + 1}: calling the accounting API for ${job.data.orderId}`);
  await work(300, 800);
  if (job.name === 'render-invoice-pdf') {
    throw new Error(`Invoice template "${job.data.template}" does not exist`);
  }
  // The accounting API "times out" on the first attempt; BullMQ retries it after the backoff.
  if (job.attemptsMade === 0) throw new Error('Accounting API timed out (first attempt always fails)');
  return { ledgerEntry: `LE-${job.data.orderId}` };
}

/** One processor per queue; jobs of other names on the same queue share it. */
export const PROCESSORS: Record<QueueName, Processor> = {
  emails: sendEmail,
  fraud: checkFraud,
  reports: buildReport,
  billing,
  warehouse: async () => {
    await work(500, 1200);
    return { picked: true };
  },
  shipping: async (job) => {
    await work(400, 1000);
    return job.name === 'print-label' ? { label: `LBL-${job.id}` } : { carrier: 'DHL', tracking: `TRK-${job.id}` };
  },
  analytics: async () => {
    await work(300, 600);
    return { stored: true };
  },
  search: async () => {
    await work(500, 1000);
    return { indexed: true };
  },
  maintenance: async () => {
    await work(500, 1500);
    return { remindersSent: 3 };
  },
  support: async () => {
    await work(300, 800);
    return { assignedTo: 'support-team' };
  },
};
