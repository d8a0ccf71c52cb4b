import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastSequenceOf, nextSequence, ProducerStateTable } from '../../src/broker/producer-state.ts';
import { decodeSnapshot, encodeSnapshot } from '../../src/broker/producer-state-snapshot.ts';
import { ErrorCode } from '../../src/common/errors.ts';

const MAX_SEQ = 0x7fff_ffff;
const pending = Promise.resolve();

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

test('sequence numbers wrap from 2^31-1 to 0, as in Kafka', () => {
  assert.equal(nextSequence(5), 6);
  assert.equal(nextSequence(MAX_SEQ), 0);
  assert.equal(lastSequenceOf(10, 4), 14);
  assert.equal(lastSequenceOf(MAX_SEQ - 1, 3), 1);
  const table = new ProducerStateTable({ maxProducerIds: 10 });
  const r = table.reserve(7, 0, MAX_SEQ - 1, MAX_SEQ, pending);
  table.apply(r, 0, 1, 0);
  assert.equal(table.check(7, 0, 0, 3), null, 'sequence 0 follows 2^31-1');
  assert.equal(
    codeOf(() => table.check(7, 0, 1, 3)),
    ErrorCode.OUT_OF_ORDER_SEQUENCE,
  );
});

test('check and reserve: in-flight batches count for the next check', () => {
  const table = new ProducerStateTable({ maxProducerIds: 10 });
  assert.equal(table.check(1, 0, 0, 4), null);
  const first = table.reserve(1, 0, 0, 4, pending);
  assert.equal(table.check(1, 0, 5, 9), null);
  const second = table.reserve(1, 0, 5, 9, pending);
  assert.equal(table.check(1, 0, 0, 4), first.batch, 'a retry of an in-flight batch is its duplicate');
  assert.equal(
    codeOf(() => table.check(1, 0, 11, 12)),
    ErrorCode.OUT_OF_ORDER_SEQUENCE,
  );
  table.apply(first, 100, 104, 1);
  table.apply(second, 105, 109, 2);
  const entry = table.get(1)!;
  assert.deepEqual([entry.appliedLastSeq, entry.lastSeq, entry.pendingCount], [9, 9, 0]);
  assert.deepEqual(
    entry.batches.map((b) => [b.firstSeq, b.baseOffset, b.pending]),
    [
      [0, 100, null],
      [5, 105, null],
    ],
  );
});

test('rollback of the newest reservation restores the sequence; of an older one only drops it', () => {
  const table = new ProducerStateTable({ maxProducerIds: 10 });
  const a = table.reserve(1, 0, 0, 0, pending);
  table.apply(a, 0, 0, 0);
  const b = table.reserve(1, 0, 1, 1, pending);
  table.rollback(b);
  assert.equal(table.get(1)!.lastSeq, 0);
  assert.equal(table.check(1, 0, 1, 1), null, 'the retry is accepted');
  const c = table.reserve(1, 0, 1, 1, pending);
  const d = table.reserve(1, 0, 2, 2, pending);
  table.rollback(c);
  // d was checked against c and is being appended: the sequence stays at d's.
  assert.equal(table.get(1)!.lastSeq, 2);
  assert.equal(
    codeOf(() => table.check(1, 0, 1, 1)),
    ErrorCode.OUT_OF_ORDER_SEQUENCE,
  );
  table.apply(d, 1, 1, 0);
});

test('rollback of an epoch bump restores the old epoch; of a new producer removes it', () => {
  const table = new ProducerStateTable({ maxProducerIds: 10 });
  const a = table.reserve(1, 0, 0, 3, pending);
  table.apply(a, 0, 3, 0);
  const bump = table.reserve(1, 1, 0, 0, pending);
  assert.equal(
    codeOf(() => table.check(1, 0, 4, 4)),
    ErrorCode.INVALID_PRODUCER_EPOCH,
  );
  table.rollback(bump);
  assert.equal(table.check(1, 0, 4, 4), null);
  assert.equal(table.check(1, 0, 0, 3), a.batch);
  const fresh = table.reserve(2, 0, 0, 0, pending);
  table.rollback(fresh);
  assert.equal(table.get(2), undefined);
});

test('expiry and the producer bound drop idle producers first', () => {
  const table = new ProducerStateTable({ maxProducerIds: 2 });
  table.apply(table.reserve(1, 0, 0, 0, pending), 0, 0, 1_000);
  table.apply(table.reserve(2, 0, 0, 0, pending), 1, 1, 2_000);
  table.apply(table.reserve(1, 0, 1, 1, pending), 2, 2, 3_000);
  table.apply(table.reserve(3, 0, 0, 0, pending), 3, 3, 4_000);
  assert.equal(table.get(2), undefined, 'the least recently used producer went');
  assert.equal(table.size, 2);
  assert.equal(table.expire(4_500, 1_000), 1);
  assert.equal(table.get(1), undefined);
  assert.ok(table.get(3));
});

test('a snapshot holds the applied view only and decodes back', () => {
  const table = new ProducerStateTable({ maxProducerIds: 10 });
  table.apply(table.reserve(1, 3, 0, 4, pending), 0, 4, 77);
  table.reserve(1, 3, 5, 9, pending);
  table.reserve(2, 0, 0, 0, pending);
  const snapshot = decodeSnapshot(encodeSnapshot(table, 5));
  assert.deepEqual(snapshot, {
    version: 1,
    endOffset: 5,
    producers: [{ producerId: 1, epoch: 3, lastSeq: 4, lastTimestampMs: 77, batches: [[0, 4, 0, 4]] }],
  });
  assert.throws(() => decodeSnapshot(Buffer.from('{"version":1,"endOffset":-1,"producers":[]}')), /endOffset/);
  assert.throws(() => decodeSnapshot(Buffer.from('not json')), /not JSON/);
});

test('truncation below a snapshot drops the batches the log lost', () => {
  const table = new ProducerStateTable({ maxProducerIds: 10 });
  table.replay(1, 0, 0, 0, 0, 0, 0);
  table.replay(1, 0, 1, 1, 1, 1, 0);
  table.replay(2, 0, 0, 0, 2, 2, 0);
  table.truncateFrom(1);
  assert.equal(table.get(1)!.lastSeq, 0);
  assert.equal(table.get(2), undefined);
});
