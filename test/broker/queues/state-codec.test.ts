import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeCursorState, decodeStateRecord, encodeCursorState, StateKind, stateRecord } from '../../../src/broker/queues/state-codec.ts';
import { ErrorCode, FerryError } from '../../../src/common/errors.ts';

const cursorState = fc
  .record({
    ackFloor: fc.nat(2 ** 40),
    gaps: fc.array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 })), { maxLength: 50 }),
    counts: fc.array(fc.tuple(fc.nat(2 ** 40), fc.integer({ min: 2, max: 100 })), { maxLength: 20 }),
    mark: fc.nat(1000),
  })
  .map(({ ackFloor, gaps, counts, mark }) => {
    const ranges: number[] = [];
    let at = ackFloor;
    for (const [gap, length] of gaps) {
      ranges.push(at + gap, at + gap + length);
      at += gap + length;
    }
    return { ackFloor, deliveredMark: ackFloor + mark, ranges, counts: counts.flat() };
  });

test('cursor snapshots and deltas round-trip', () => {
  fc.assert(
    fc.property(cursorState, (state) => {
      assert.deepEqual(decodeCursorState(encodeCursorState(state, true), true), state);
      assert.deepEqual(decodeCursorState(encodeCursorState(state, false), false), { ...state, ackFloor: -1 });
    }),
  );
});

test('state records round-trip through their key and value; garbage is CORRUPT_MESSAGE', () => {
  const key = { kind: StateKind.delta, topic: 'jobs', subscription: 'w', partition: 3 } as const;
  const state = { ackFloor: 0, deliveredMark: 9, ranges: [2, 4], counts: [1, 3] };
  const record = stateRecord({ key, state });
  const decoded = decodeStateRecord(record.key!, record.value!);
  assert.deepEqual(decoded.key, key);
  assert.deepEqual((decoded as { state: unknown }).state, { ...state, ackFloor: -1 });
  const tombstone = stateRecord({ key: { kind: StateKind.definition, topic: 'jobs', subscription: 'w', partition: -1 }, definition: null });
  assert.equal((decodeStateRecord(tombstone.key!, null) as { definition: unknown }).definition, null);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (k, v) => {
      try {
        decodeStateRecord(Buffer.from(k), Buffer.from(v));
      } catch (error) {
        assert.ok(error instanceof FerryError && error.code === ErrorCode.CORRUPT_MESSAGE, String(error));
      }
    }),
  );
});
