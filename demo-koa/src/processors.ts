import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, Queue } from 'bullmq';
import type { QueueName } from './queues.js';

/** What a worker does with one job of its queue. */
type Processor = (job: Job) => Promise<unknown>;

/** The queues processors enqueue follow-up jobs into. */
export type FollowUpQueues = Pick<Record<QueueName, Queue>, 'billing' | 'warehouse'>;

/** Pretends to work for a plausible time, so waiting → active → completed can be watched live. */
function work(minMs: number, maxMs: number): Promise<void> {
  return sleep(minMs + Math.random() * (maxMs - minMs));
}

/** Order → confirmation email → receipt PDF: the email job enqueues the PDF as its follow-up. */
function sendEmail(followUps: FollowUpQueues): Processor {
  return async function sendEmail(job) {
    await work(300, 1000);
    if (job.name === 'send-order-confirmation') {
      await followUps.billing.add('render-receipt-pdf', { orderId: job.data.orderId });
    }
    return { messageId: `msg-${job.id}`, to: job.data.to };
  };
}

/** An accepted order reserves its stock one line at a time: an N+1 inside a job (addBulk is the fix). */
function checkFraud(followUps: FollowUpQueues): Processor {
  return async function checkFraud(job) {
    await work(500, 1500);
    for (const line of (job.data.lines ?? []) as Array<{ sku: string; quantity: number }>) {
      await followUps.warehouse.add('reserve-stock', { orderId: job.data.orderId, sku: line.sku, quantity: line.quantity });
    }
    return { score: 0.07, verdict: 'accept' };
  };
}

async function buildReport(job: Job): Promise<unknown> {
  await job.log(`building ${job.data.period} report as ${job.data.format}`);
  for (let percent = 20; percent <= 100; percent += 20) {
    await work(600, 900);
    await job.updateProgress(percent);
    await job.log(`${percent}% of the rows read`);
  }
  await job.log('report written');
  return { rows: 1284, url: `/reports/${job.id}.csv` };
}

async function billing(job: Job): Promise<unknown> {
  // job.log() lines show in the panel's job detail, one list across attempts.
  const task = job.name.startsWith('render-') ? `rendering the ${job.name.slice('render-'.length)}` : 'calling the accounting API';
  await job.log(`attempt ${job.attemptsMade + 1}: ${task} for ${job.data.orderId}`);
  await work(300, 800);
  if (job.name === 'render-receipt-pdf') return { pdf: `/receipts/${job.data.orderId}.pdf` };
  if (job.name === 'render-invoice-pdf') {
    throw new Error(`Invoice template "${job.data.template}" does not exist`);
  }
  // The accounting API "times out" on the first attempt; BullMQ retries it after the backoff.
  if (job.attemptsMade === 0) throw new Error('Accounting API timed out (first attempt always fails)');
  return { ledgerEntry: `LE-${job.data.orderId}` };
}

/** One processor per queue; jobs of other names on the same queue share it. */
export const createProcessors = (followUps: FollowUpQueues): Record<QueueName, Processor> => ({
  emails: sendEmail(followUps),
  fraud: checkFraud(followUps),
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
});
