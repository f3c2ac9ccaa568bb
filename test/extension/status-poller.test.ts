import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StatusPoller, type PollOutcome } from '../../extension/src/lib/status-poller.js';

describe('StatusPoller', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  function poller(outcomes: () => PollOutcome) {
    const poll = vi.fn(async () => outcomes());
    const active: boolean[] = [];
    const p = new StatusPoller({ poll, onActiveChange: (a) => active.push(a) });
    return { p, poll, active };
  }

  it('polls at once, then about every second while jobs are unfinished', async () => {
    const { p, poll, active } = poller(() => 'pending');
    p.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(poll).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(poll).toHaveBeenCalledTimes(6);
    expect(active).toEqual([true]);
    p.stop();
  });

  it('stops once every job is finished', async () => {
    let n = 0;
    const { p, poll, active } = poller(() => (++n >= 3 ? 'finished' : 'pending'));
    p.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(poll).toHaveBeenCalledTimes(3);
    expect(p.active).toBe(false);
    expect(active).toEqual([true, false]);
  });

  it('gives up after two minutes', async () => {
    const { p, poll } = poller(() => 'pending');
    p.start();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(poll.mock.calls.length).toBeGreaterThan(100);
    expect(poll.mock.calls.length).toBeLessThanOrEqual(121);
    expect(p.active).toBe(false);
  });

  it('pauses while the panel is hidden and resumes when shown', async () => {
    const { p, poll } = poller(() => 'pending');
    p.start();
    await vi.advanceTimersByTimeAsync(2_000);
    const before = poll.mock.calls.length;
    p.setVisible(false);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(poll.mock.calls.length).toBe(before);
    p.setVisible(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(poll.mock.calls.length).toBe(before + 1);
    p.stop();
  });

  it('keeps going when a poll throws', async () => {
    let n = 0;
    const { p, poll } = poller(() => {
      if (++n === 1) throw new Error('network');
      return 'finished';
    });
    p.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(poll).toHaveBeenCalledTimes(2);
  });

  it('never overlaps polls when the server is slow', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const p = new StatusPoller({
      poll: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        inFlight--;
        return 'pending';
      },
    });
    p.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(maxInFlight).toBe(1);
    p.stop();
  });
});
