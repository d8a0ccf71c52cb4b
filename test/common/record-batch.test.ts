import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { COMPRESSION_NAMES } from '../../src/common/compression.ts';
import { crc32c } from '../../src/common/crc32c.ts';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import {
  decodeRecordBatch,
  decodeRecordBatches,
  type EncodeBatchInput,
  encodeRecordBatch,
  forEachRecord,
  type ProducerRecord,
} from '../../src/common/record-batch.ts';
import { BatchField, checkBatch, patchBaseOffset, readBatchHeader } from '../../src/common/record-batch-header.ts';
import { fcParams } from './seed.ts';

const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
const nullableBytes = (maxLength: number) => fc.option(bytes(maxLength), { nil: null });
const timestamp = fc.integer({ min: 0, max: 2 ** 45 });

const producerRecord: fc.Arbitrary<ProducerRecord> = fc.record(
  {
    key: nullableBytes(40),
    value: nullableBytes(300),
    timestamp,
    headers: fc.array(
      fc.record({ key: fc.string({ maxLength: 12, unit: 'binary' }), value: nullableBytes(20) }, { noNullPrototype: true }),
      {
        maxLength: 4,
      },
    ),
  },
  { requiredKeys: [], noNullPrototype: true },
);

const batchInput: fc.Arbitrary<EncodeBatchInput> = fc.record({
  records: fc.array(producerRecord, { minLength: 1, maxLength: 40 }),
  baseOffset: fc.integer({ min: 0, max: 2 ** 50 }),
  compression: fc.constantFrom(...COMPRESSION_NAMES),
  producerId: fc.integer({ min: -1, max: 2 ** 50 }),
  producerEpoch: fc.integer({ min: -1, max: 32767 }),
  baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 100 }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  isTransactional: fc.boolean(),
  isControl: fc.boolean(),
  now: timestamp,
});

function expectFerryOrValue(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof FerryError)) throw new Error(`decoder threw a non-FerryError: ${String(error)}`, { cause: error });
    assert.ok(error.code === ErrorCode.CORRUPT_MESSAGE || error.code === ErrorCode.MESSAGE_TOO_LARGE, error.code);
  }
}

test('random batches round-trip through encode and decode for every codec', () => {
  fc.assert(
    fc.property(batchInput, (input) => {
      const encoded = encodeRecordBatch(input);
      // What the broker runs on produce must accept it.
      assert.equal(checkBatch(encoded, 0, encoded.length, { maxBatchBytes: 10 * 1024 * 1024 }), encoded.length);
      const batch = decodeRecordBatch(encoded);
      const records = input.records;
      assert.equal(batch.compression, input.compression);
      assert.equal(batch.isTransactional, input.isTransactional);
      assert.equal(batch.isControl, input.isControl);
      assert.equal(batch.header.baseOffset, input.baseOffset);
      assert.equal(batch.header.producerId, input.producerId);
      assert.equal(batch.header.producerEpoch, input.producerEpoch);
      assert.equal(batch.header.baseSequence, input.baseSequence);
      assert.equal(batch.header.partitionLeaderEpoch, input.partitionLeaderEpoch);
      assert.equal(batch.header.recordCount, records.length);
      assert.equal(batch.header.lastOffsetDelta, records.length - 1);
      const timestamps = records.map((r) => r.timestamp ?? input.now!);
      assert.equal(batch.header.baseTimestamp, timestamps[0]);
      assert.equal(batch.header.maxTimestamp, Math.max(...timestamps));
      assert.equal(batch.records.length, records.length);
      batch.records.forEach((record, i) => {
        const sent = records[i]!;
        assert.equal(record.offset, input.baseOffset! + i);
        assert.equal(record.timestamp, timestamps[i]);
        assert.deepEqual(record.key, sent.key ?? null);
        assert.deepEqual(record.value, sent.value ?? null);
        assert.deepEqual(record.headers, sent.headers ?? []);
      });
      // The fast path sees the same records.
      let seen = 0;
      forEachRecord(encoded, (view) => {
        assert.equal(view.offset, batch.records[seen]!.offset);
        assert.deepEqual(view.key(), batch.records[seen]!.key);
        assert.deepEqual(view.value(), batch.records[seen]!.value);
        seen++;
      });
      assert.equal(seen, records.length);
    }),
    fcParams(300),
  );
});

test('encoding fills header fields the broker reads without decoding', () => {
  const encoded = encodeRecordBatch({
    now: 5000,
    records: [{ value: Buffer.from('a'), timestamp: 7000 }, { value: Buffer.from('b') }, { key: Buffer.from('k') }],
    timestampType: 'logAppend',
  });
  const header = readBatchHeader(encoded);
  assert.equal(header.sizeBytes, encoded.length);
  assert.equal(header.magic, 2);
  assert.equal(header.recordCount, 3);
  assert.equal(header.lastOffsetDelta, 2);
  assert.equal(header.baseTimestamp, 7000);
  assert.equal(header.maxTimestamp, 7000);
  assert.equal(header.producerId, -1);
  assert.equal(header.baseSequence, -1);
  // A LogAppendTime batch reports the batch's maxTimestamp for each record, as Kafka does.
  const decoded = decodeRecordBatch(encoded);
  assert.equal(decoded.timestampType, 'logAppend');
  assert.deepEqual(
    decoded.records.map((r) => r.timestamp),
    [7000, 7000, 7000],
  );
  // Offsets are outside the CRC: patching them keeps the batch valid.
  patchBaseOffset(encoded, 0, 1000);
  assert.deepEqual(
    decodeRecordBatch(encoded).records.map((r) => r.offset),
    [1000, 1001, 1002],
  );
  assert.throws(
    () => encodeRecordBatch({ records: [] }),
    (e: unknown) => e instanceof FerryError && e.code === ErrorCode.INVALID_RECORD,
  );
  assert.throws(
    () => encodeRecordBatch({ records: [{ timestamp: 1.5 }] }),
    (e: unknown) => e instanceof FerryError && e.code === ErrorCode.INVALID_RECORD,
  );
});

test('decodeRecordBatches walks concatenated batches and ignores a trailing partial one', () => {
  fc.assert(
    fc.property(fc.array(batchInput, { minLength: 1, maxLength: 4 }), fc.nat(), (inputs, cut) => {
      const batches = inputs.map((input) => encodeRecordBatch(input));
      const whole = Buffer.concat(batches);
      assert.equal(decodeRecordBatches(whole).length, batches.length);
      const last = batches.at(-1)!;
      const partial = whole.subarray(0, whole.length - 1 - (cut % last.length));
      const decoded = decodeRecordBatches(partial);
      assert.equal(decoded.length, batches.length - 1);
    }),
    fcParams(100),
  );
});

test('forEachRecord stops when the callback returns false and allocates no record objects', () => {
  const records = Array.from({ length: 10 }, (_, i) => ({ key: Buffer.from([i]), value: Buffer.from('v') }));
  const encoded = encodeRecordBatch({ records, now: 1 });
  const views = new Set<unknown>();
  let calls = 0;
  forEachRecord(encoded, (view) => {
    views.add(view);
    calls++;
    return view.index < 3;
  });
  assert.equal(calls, 4);
  assert.equal(views.size, 1, 'one view object for every record');
});

test('random bytes given to every decoder give a value or a FerryError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (raw) => {
      const buf = Buffer.from(raw);
      expectFerryOrValue(() => decodeRecordBatch(buf));
      expectFerryOrValue(() => decodeRecordBatches(buf));
      expectFerryOrValue(() => forEachRecord(buf, () => true));
    }),
    fcParams(2000),
  );
});

test('mutated valid batches give a value or a FerryError, for every codec', () => {
  const mutation = fc.record({
    // Half the mutations hit the 61-byte header, where one bad field matters most.
    at: fc.oneof(fc.nat(60), fc.nat()),
    byte: fc.integer({ min: 0, max: 255 }),
    truncate: fc.option(fc.nat()),
    fixCrc: fc.boolean(),
  });
  fc.assert(
    fc.property(batchInput, fc.array(mutation, { minLength: 1, maxLength: 4 }), (input, mutations) => {
      const encoded = encodeRecordBatch(input);
      let buf: Buffer = Buffer.from(encoded);
      for (const m of mutations) {
        if (m.truncate !== null) buf = buf.subarray(0, m.truncate % (buf.length + 1));
        if (buf.length === 0) break;
        buf[m.at % buf.length] = m.byte;
        // Recomputing the CRC gets the mutation past the checksum into the record parser.
        if (m.fixCrc && buf.length >= 61) {
          const size = Math.min(buf.length, Math.max(61, buf.readInt32BE(BatchField.batchLength) + 12));
          buf.writeUInt32BE(0, BatchField.crc);
          buf.writeUInt32BE(crc32c(buf.subarray(BatchField.attributes, size)), BatchField.crc);
        }
      }
      expectFerryOrValue(() => decodeRecordBatch(buf, 0, { maxOutputBytes: 1024 * 1024 }));
      expectFerryOrValue(() => decodeRecordBatches(buf, { maxOutputBytes: 1024 * 1024 }));
      expectFerryOrValue(() => forEachRecord(buf, (view) => view.headers(), 0, { maxOutputBytes: 1024 * 1024 }));
    }),
    fcParams(1500),
  );
});
