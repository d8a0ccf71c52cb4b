import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeRecordBatch, encodeRecordBatch } from '../../src/common/record-batch.ts';
import { fcParams } from './seed.ts';

/**
 * Cross-check against an independent implementation: kafkajs's RecordBatch v2 encoder and decoder
 * (its own varints, CRC32C and gzip). Snappy, lz4 and zstd are not built into kafkajs, so only
 * none and gzip are compared here.
 */

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  buffer: Buffer;
}
interface KafkajsRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: { [key: string]: Buffer | null };
}
interface KafkajsLong {
  fromValue(value: number | string): unknown;
}
const Long = require('kafkajs/src/utils/long') as KafkajsLong;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => unknown;
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: unknown) => Promise<{
  firstOffset: string;
  producerId: string;
  records: KafkajsRecord[];
}>;
const encodeKafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { [key: string]: Buffer };
}) => KafkajsEncoder;
const { RecordBatch: encodeKafkajsBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (batch: {
    compression: number;
    firstOffset: unknown;
    firstTimestamp: number;
    maxTimestamp: number;
    lastOffsetDelta: number;
    producerId: unknown;
    producerEpoch: number;
    firstSequence: number;
    partitionLeaderEpoch: number;
    records: KafkajsEncoder[];
  }) => Promise<KafkajsEncoder>;
};
const KAFKAJS_CODEC = { none: 0, gzip: 1 } as const;

const buffer = (maxLength: number) => fc.uint8Array({ minLength: 1, maxLength }).map((a) => Buffer.from(a));
const records = fc.array(
  fc.record(
    {
      key: fc.option(buffer(20), { nil: null }),
      value: fc.option(buffer(200), { nil: null }),
      timestamp: fc.integer({ min: 1_000_000, max: 2 ** 42 }),
      headers: fc.uniqueArray(
        fc.record(
          {
            key: fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/) /* kafkajs keeps headers in an object: no integer-like keys */,
            value: buffer(10),
          },
          { noNullPrototype: true },
        ),
        {
          maxLength: 3,
          selector: (h) => h.key,
        },
      ),
    },
    { noNullPrototype: true },
  ),
  { minLength: 1, maxLength: 20 },
);

test('kafkajs decodes what Ferry encodes (none, gzip)', async () => {
  await fc.assert(
    fc.asyncProperty(
      records,
      fc.constantFrom('none' as const, 'gzip' as const),
      fc.integer({ min: 0, max: 2 ** 40 }),
      async (input, codec, baseOffset) => {
        const encoded = encodeRecordBatch({ records: input, compression: codec, baseOffset, producerId: 77 });
        const batch = await decodeKafkajsBatch(new Decoder(encoded));
        assert.equal(batch.firstOffset, String(baseOffset));
        assert.equal(batch.producerId, '77');
        assert.equal(batch.records.length, input.length);
        batch.records.forEach((record, i) => {
          const sent = input[i]!;
          assert.equal(record.offset, String(baseOffset + i));
          assert.equal(record.timestamp, String(sent.timestamp));
          assert.deepEqual(record.key, sent.key);
          assert.deepEqual(record.value, sent.value);
          assert.deepEqual({ ...record.headers }, Object.fromEntries(sent.headers.map((h) => [h.key, h.value])));
        });
      },
    ),
    fcParams(150),
  );
});

test('Ferry decodes what kafkajs encodes (none, gzip), CRC included', async () => {
  await fc.assert(
    fc.asyncProperty(records, fc.constantFrom('none' as const, 'gzip' as const), async (input, codec) => {
      const first = input[0]!.timestamp;
      const encoded = await encodeKafkajsBatch({
        compression: KAFKAJS_CODEC[codec],
        firstOffset: Long.fromValue(5),
        firstTimestamp: first,
        maxTimestamp: Math.max(...input.map((r) => r.timestamp)),
        lastOffsetDelta: input.length - 1,
        producerId: Long.fromValue(-1),
        producerEpoch: 0,
        firstSequence: 0,
        partitionLeaderEpoch: 0,
        records: input.map((r, i) =>
          encodeKafkajsRecord({
            offsetDelta: i,
            timestampDelta: r.timestamp - first,
            key: r.key,
            value: r.value,
            headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value])),
          }),
        ),
      });
      // kafkajs writes the record count by hand; ours must agree on everything else.
      const batch = decodeRecordBatch(encoded.buffer);
      assert.equal(batch.compression, codec);
      assert.deepEqual(
        batch.records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers]),
        input.map((r, i) => [5 + i, r.timestamp, r.key, r.value, r.headers]),
      );
    }),
    fcParams(150),
  );
});
