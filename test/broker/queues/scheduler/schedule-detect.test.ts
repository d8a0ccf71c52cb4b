import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mayHoldScheduledRecords, splitScheduled } from '../../../../src/broker/queues/scheduler/schedule-detect.ts';
import { decodeRecordBatches, encodeRecordBatch } from '../../../../src/common/record-batch.ts';
import { ReservedHeader } from '../../../../src/common/reserved-headers.ts';

const header = (key: string, value: string) => ({ key, value: Buffer.from(value) });

test('batches without scheduling headers are never decoded; compressed ones only when asked', () => {
  const plain = encodeRecordBatch({
    records: [{ value: Buffer.from('ferry-') }, { value: Buffer.from('x'), headers: [header('trace', '1')] }],
  });
  assert.equal(mayHoldScheduledRecords(plain, true), false);
  const delayed = encodeRecordBatch({ records: [{ value: Buffer.from('x'), headers: [header(ReservedHeader.delayMs, '5')] }] });
  assert.equal(mayHoldScheduledRecords(Buffer.concat([plain, delayed]), false), true);
  const compressed = encodeRecordBatch({ records: [{ value: Buffer.from('x') }], compression: 'gzip' });
  assert.equal(mayHoldScheduledRecords(compressed, true), true);
  assert.equal(mayHoldScheduledRecords(compressed, false), false);
});

test('splitScheduled keeps untouched batches as bytes and re-encodes mixed ones', () => {
  const nowMs = 1_000_000;
  const untouched = encodeRecordBatch({ records: [{ value: Buffer.from('a') }] });
  const mixed = encodeRecordBatch({
    compression: 'gzip',
    records: [
      { value: Buffer.from('now'), timestamp: 5 },
      { value: Buffer.from('later'), headers: [header(ReservedHeader.delayMs, '250'), header('h', 'v')], timestamp: 6 },
      { value: Buffer.from('at'), headers: [header(ReservedHeader.deliverAt, String(nowMs + 10))] },
      { value: Buffer.from('past'), headers: [header(ReservedHeader.deliverAt, String(nowMs - 10))] },
    ],
  });
  const split = splitScheduled(Buffer.concat([untouched, mixed]), nowMs)!;
  assert.deepEqual(
    split.scheduled.map((s) => [s.record.value!.toString(), s.deliverAtMs]),
    [
      ['later', nowMs + 250],
      ['at', nowMs + 10],
    ],
  );
  assert.deepEqual(split.scheduled[0]!.record.headers, [header('h', 'v'), header(ReservedHeader.deliverAt, String(nowMs + 250))]);
  assert.equal(split.scheduled[0]!.record.timestamp, 6);
  assert.deepEqual(split.immediate!.subarray(0, untouched.length), untouched);
  const batches = decodeRecordBatches(split.immediate!);
  assert.equal(batches[1]!.compression, 'gzip');
  assert.deepEqual(
    batches.flatMap((b) => b.records.map((r) => r.value!.toString())),
    ['a', 'now', 'past'],
  );
  assert.equal(splitScheduled(untouched, nowMs), null);
});
