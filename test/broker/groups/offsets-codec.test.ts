import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FerryError } from '../../../src/common/errors.ts';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsTopicKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type GroupMetadataValue,
} from '../../../src/broker/groups/offsets-codec.ts';

// Randomised: the seed is printed and FERRY_SEED replays it.
const SEED = process.env.FERRY_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FERRY_SEED);
console.log(`offsets-codec property tests: FERRY_SEED=${SEED}`);

test('OffsetCommitKey v1 has Kafka layout and round-trips', () => {
  const key = encodeOffsetCommitKey('g', 'orders', 3);
  // version 1 | "g" | "orders" | 3
  assert.equal(key.toString('hex'), `0001${'0001'}67${'0006'}${Buffer.from('orders').toString('hex')}00000003`);
  assert.deepEqual(decodeOffsetsTopicKey(key), { kind: 'offset', groupId: 'g', topic: 'orders', partition: 3 });
  assert.deepEqual(decodeOffsetsTopicKey(encodeGroupMetadataKey('grüppe')), { kind: 'group', groupId: 'grüppe' });
});

test('OffsetCommitValue v3 has Kafka layout; v0-v2 decode too', () => {
  const value = encodeOffsetCommitValue({ offset: 2 ** 40 + 5, leaderEpoch: 7, metadata: 'meta', commitTimestampMs: 1_700_000_000_123 });
  assert.equal(value.readInt16BE(0), 3);
  assert.deepEqual(decodeOffsetCommitValue(value), {
    offset: 2 ** 40 + 5,
    leaderEpoch: 7,
    metadata: 'meta',
    commitTimestampMs: 1_700_000_000_123,
    expireTimestampMs: -1,
  });
  // v1, as Kafka 2.0 wrote it: offset, metadata, commit timestamp, expire timestamp.
  const v1 = Buffer.concat([int16(1), int64(12), int16(1), Buffer.from('x'), int64(1000), int64(2000)]);
  assert.deepEqual(decodeOffsetCommitValue(v1), {
    offset: 12,
    leaderEpoch: -1,
    metadata: 'x',
    commitTimestampMs: 1000,
    expireTimestampMs: 2000,
  });
  const v2 = Buffer.concat([int16(2), int64(13), int16(0), int64(1001)]);
  assert.deepEqual(decodeOffsetCommitValue(v2), {
    offset: 13,
    leaderEpoch: -1,
    metadata: '',
    commitTimestampMs: 1001,
    expireTimestampMs: -1,
  });
});

test('GroupMetadataValue v3 round-trips with members, nulls and binary fields', () => {
  const value: GroupMetadataValue = {
    protocolType: 'consumer',
    generationId: 12,
    protocolName: 'range',
    leaderId: 'm-1',
    currentStateTimestampMs: 1_700_000_000_000,
    members: [
      {
        memberId: 'm-1',
        groupInstanceId: 'instance-1',
        clientId: 'c1',
        clientHost: '/10.0.0.1',
        rebalanceTimeoutMs: 300_000,
        sessionTimeoutMs: 45_000,
        subscription: Buffer.from([0, 1, 2]),
        assignment: Buffer.from([3, 4]),
      },
      {
        memberId: 'm-2',
        groupInstanceId: null,
        clientId: 'c2',
        clientHost: '/10.0.0.2',
        rebalanceTimeoutMs: 1,
        sessionTimeoutMs: 2,
        subscription: Buffer.alloc(0),
        assignment: Buffer.alloc(0),
      },
    ],
  };
  assert.deepEqual(decodeGroupMetadataValue(encodeGroupMetadataValue(value)), value);
  const empty: GroupMetadataValue = { ...value, protocolName: null, leaderId: null, members: [] };
  assert.deepEqual(decodeGroupMetadataValue(encodeGroupMetadataValue(empty)), empty);
});

test('unsupported versions and truncated records are CORRUPT_MESSAGE', () => {
  assert.throws(() => decodeOffsetsTopicKey(int16(3)), { code: 'CORRUPT_MESSAGE' });
  assert.throws(() => decodeOffsetCommitValue(int16(4)), { code: 'CORRUPT_MESSAGE' });
  const value = encodeOffsetCommitValue({ offset: 1, leaderEpoch: 1, metadata: 'abc', commitTimestampMs: 1 });
  for (let length = 0; length < value.length; length++) {
    assert.throws(() => decodeOffsetCommitValue(value.subarray(0, length)), { code: 'CORRUPT_MESSAGE' });
  }
  // A member count larger than the bytes that follow is refused before anything is allocated.
  const lying = Buffer.concat([int16(3), int16(1), Buffer.from('c'), int32(1), int16(-1), int16(-1), int64(0), int32(0x7fffffff)]);
  assert.throws(() => decodeGroupMetadataValue(lying), { code: 'CORRUPT_MESSAGE' });
});

test('strings longer than Kafka allows are refused when encoding', () => {
  assert.throws(() => encodeOffsetCommitKey('g'.repeat(0x8000), 't', 0), { code: 'INVALID_REQUEST' });
});

test('decoding random bytes yields a value or a FerryError, nothing else', () => {
  const decoders = [decodeOffsetsTopicKey, decodeOffsetCommitValue, decodeGroupMetadataValue];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 3 }), (bytes, version) => {
      const buf = Buffer.from(bytes);
      if (buf.length >= 2) buf.writeInt16BE(version, 0);
      for (const decode of decoders) {
        try {
          decode(buf);
        } catch (error) {
          assert.ok(error instanceof FerryError, String(error));
        }
      }
    }),
    { numRuns: 2_000, seed: SEED },
  );
});

test('offset commit values round-trip for any offset, epoch, metadata, timestamp', () => {
  fc.assert(
    fc.property(
      fc.record({
        offset: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
        leaderEpoch: fc.integer({ min: -1, max: 0x7fffffff }),
        metadata: fc.string({ maxLength: 200 }),
        commitTimestampMs: fc.integer({ min: 0, max: 2 ** 45 }),
      }),
      (value) => {
        assert.deepEqual(decodeOffsetCommitValue(encodeOffsetCommitValue(value)), { ...value, expireTimestampMs: -1 });
      },
    ),
    { seed: SEED },
  );
});

function int16(value: number): Buffer {
  const buf = Buffer.alloc(2);
  buf.writeInt16BE(value);
  return buf;
}
function int32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeInt32BE(value);
  return buf;
}
function int64(value: number): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeBigInt64BE(BigInt(value));
  return buf;
}
