import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageLog } from '../../../server-lib/src/ws/message-log.js';
import { resolveWsOptions } from '../../../server-lib/src/ws/options.js';
import { previewPayload } from '../../../server-lib/src/ws/payload.js';

// The log keeps a bounded copy of each frame's bytes in a ring and decodes previews only when
// read: whatever the sizes, wrap-arounds and growths, what it shows must be exactly what a
// preview of the whole payload, made when the frame went by, would have shown.
const frameOf = (maxLength: number) => fc.oneof(
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ unit: 'grapheme', maxLength }), asBuffer: fc.boolean() }),
  fc.record({ kind: fc.constant('binary' as const), bytes: fc.uint8Array({ maxLength }) }),
);

describe('MessageLog', () => {
  // Small frames wrap the first arena many times; large ones make it grow.
  it.each([[40, 24, 6], [700, 1500, 600]])('shows the newest maxMessages frames as previewPayload would (frames ≤ %i characters)', (frameLength, maxText, maxHex) => {
    fc.assert(fc.property(
      fc.array(frameOf(frameLength), { maxLength: 60 }),
      fc.integer({ min: 1, max: 7 }),
      fc.integer({ min: 0, max: maxText }),
      fc.integer({ min: 0, max: maxHex }),
      (frames, maxMessages, maxTextBytes, maxBinaryPreviewBytes) => {
        const options = resolveWsOptions({ maxMessages, maxTextBytes, maxBinaryPreviewBytes });
        const log = new MessageLog(options);
        const expected = frames.map((f, i) => {
          const binary = f.kind === 'binary';
          const data = f.kind === 'binary' ? Buffer.from(f.bytes) : f.asBuffer ? Buffer.from(f.text) : f.text;
          const preview = previewPayload(data, binary, maxTextBytes, maxBinaryPreviewBytes);
          // Frames go in by both ways the recording uses: push (any opcode) and pushData (text / binary).
          const size = i % 3 === 0
            ? log.pushData(i + 1, Date.now(), i % 2 === 0, data, binary)
            : log.push(i + 1, Date.now(), i % 2 === 0 ? 'in' : 'out', binary ? 'binary' : 'text', data, binary, null);
          expect(size).toBe(preview.size);
          // The app may reuse its buffer once the frame went by: the log must not show that.
          if (Buffer.isBuffer(data)) data.fill(0x41);
          return { seq: i + 1, direction: i % 2 === 0 ? 'in' : 'out', opcode: binary ? 'binary' : 'text', ...preview };
        }).slice(-maxMessages);
        const views = log.views(false).map(({ seq, direction, opcode, size, preview, encoding, truncated }) => ({ seq, direction, opcode, size, preview, encoding, truncated }));
        expect(views).toEqual(expected);
      },
    ), { numRuns: 200 });
  });

  it('keeps handler time, close codes and jobs by seq, and forgets them with the frame', () => {
    const log = new MessageLog(resolveWsOptions({ maxMessages: 2 }));
    log.push(1, Date.now(), 'in', 'text', 'a', false, null);
    log.push(2, Date.now(), 'out', 'close', 'bye', false, 4000);
    log.handled(1, 1.23456);
    expect(log.views(false).map((m) => [m.seq, m.handlerMs, m.closeCode, m.direction, m.opcode])).toEqual([[1, 1.235, null, 'in', 'text'], [2, null, 4000, 'out', 'close']]);
    log.push(3, Date.now(), 'in', 'text', '42["x"]', false, null);
    log.handled(1, 5); // gone: ignored
    expect(log.at(1)).toBeUndefined();
    expect(log.views(true).map((m) => [m.seq, m.decoded?.event ?? null])).toEqual([[2, null], [3, 'x']]);
  });
});
