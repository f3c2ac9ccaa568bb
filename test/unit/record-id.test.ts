import { describe, expect, it } from 'vitest';
import { newRecordId } from '../../server-lib/src/core/record-id.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newRecordId()', () => {
  it('is a random UUID v4, the form the debug API accepts', () => {
    expect(newRecordId()).toMatch(UUID_V4);
  });

  it('never repeats, across refills of its entropy pool', () => {
    const ids = Array.from({ length: 10_000 }, () => newRecordId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  });

  it('spreads its random digits evenly (no digit position is stuck)', () => {
    const ids = Array.from({ length: 2_000 }, () => newRecordId().replaceAll('-', ''));
    for (const position of [0, 11, 12, 16, 31]) {
      const seen = new Set(ids.map((id) => id[position]));
      // Every hex digit shows up at a random position; the version digit is always 4; the variant one of 8–b.
      expect(seen.size).toBe(position === 12 ? 1 : position === 16 ? 4 : 16);
    }
  });
});
