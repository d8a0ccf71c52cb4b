import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { encodeRecordBatch } from '../../src/common/record-batch.ts';
import { checkBatch, patchBaseOffset, readBatchHeader } from '../../src/common/record-batch-header.ts';

const limits = { maxBatchBytes: 1 << 20 };

test('checkBatch accepts a compressed batch holding more records than bytes', () => {
  const records = Array.from({ length: 20_000 }, () => ({ value: Buffer.alloc(0) }));
  const batch = encodeRecordBatch({ records, compression: 'zstd' });
  assert.ok(batch.length < records.length, `zstd batch is ${batch.length} bytes`);
  assert.equal(checkBatch(batch, 0, batch.length, limits), batch.length);
});

test('checkBatch refuses an uncompressed batch whose record count cannot fit its bytes', () => {
  const batch = encodeRecordBatch({ records: [{ value: Buffer.from('x') }] });
  batch.writeInt32BE(1000, 57); // recordCount: not covered by a CRC check before the count check
  assert.throws(
    () => checkBatch(batch, 0, batch.length, limits),
    (error: unknown) => error instanceof FerryError && error.code === ErrorCode.CORRUPT_MESSAGE,
  );
});

test('patching the base offset keeps the CRC valid', () => {
  const batch = encodeRecordBatch({ records: [{ value: Buffer.from('a') }, { value: Buffer.from('b') }] });
  patchBaseOffset(batch, 0, 2 ** 40 + 7);
  assert.equal(checkBatch(batch, 0, batch.length, limits), batch.length);
  assert.equal(readBatchHeader(batch).baseOffset, 2 ** 40 + 7);
});

test('checkBatch names the limit when a batch is too large', () => {
  const batch = encodeRecordBatch({ records: [{ value: Buffer.alloc(2000) }] });
  assert.throws(
    () => checkBatch(batch, 0, batch.length, { maxBatchBytes: 1000 }),
    (error: unknown) => error instanceof FerryError && error.code === ErrorCode.MESSAGE_TOO_LARGE && /1000/.test(error.message),
  );
});
