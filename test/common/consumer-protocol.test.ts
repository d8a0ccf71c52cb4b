import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type ConsumerAssignment,
  type ConsumerSubscription,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../src/common/consumer-protocol.ts';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { fcParams } from './seed.ts';

const topic = fc.string({ maxLength: 20, unit: 'binary' });
const topicPartitions = fc.array(
  fc.record({ topic, partitions: fc.array(fc.integer({ min: -1, max: 2 ** 31 - 1 }), { maxLength: 8 }) }, { noNullPrototype: true }),
  { maxLength: 5 },
);
const userData = fc.option(
  fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)),
  { nil: null },
);
const subscription: fc.Arbitrary<ConsumerSubscription> = fc.record(
  {
    version: fc.integer({ min: 0, max: 3 }),
    topics: fc.array(topic, { maxLength: 6 }),
    userData,
    ownedPartitions: topicPartitions,
    generationId: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    rackId: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
  },
  { noNullPrototype: true },
);
const assignment: fc.Arbitrary<ConsumerAssignment> = fc.record(
  { version: fc.integer({ min: 0, max: 3 }), assignedPartitions: topicPartitions, userData },
  { noNullPrototype: true },
);

test('subscriptions round-trip at each version, dropping fields newer than the version', () => {
  fc.assert(
    fc.property(subscription, (sub) => {
      const decoded = decodeSubscription(encodeSubscription(sub));
      assert.deepEqual(decoded, {
        version: sub.version,
        topics: sub.topics,
        userData: sub.userData,
        ownedPartitions: sub.version >= 1 ? sub.ownedPartitions : [],
        generationId: sub.version >= 2 ? sub.generationId : -1,
        rackId: sub.version >= 3 ? sub.rackId : null,
      });
    }),
    fcParams(500),
  );
});

test('assignments round-trip at each version', () => {
  fc.assert(
    fc.property(assignment, (a) => {
      assert.deepEqual(decodeAssignment(encodeAssignment(a)), a);
    }),
    fcParams(500),
  );
});

test('the byte layout is Kafka’s (v0 subscription, v1 assignment by hand)', () => {
  const v0 = encodeSubscription({ topics: ['ab'], userData: null }, 0);
  assert.deepEqual([...v0], [0, 0, 0, 0, 0, 1, 0, 2, 0x61, 0x62, 0xff, 0xff, 0xff, 0xff]);
  const v3 = encodeSubscription({ topics: [], ownedPartitions: [{ topic: 'x', partitions: [7] }], generationId: 5, rackId: 'r' });
  assert.deepEqual(
    [...v3],
    [0, 3, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 1, 0x78, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 5, 0, 1, 0x72],
  );
  const a1 = encodeAssignment({ assignedPartitions: [{ topic: 'x', partitions: [0, 2] }], userData: Buffer.from([9]) }, 1);
  assert.deepEqual([...a1], [0, 1, 0, 0, 0, 1, 0, 1, 0x78, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 9]);
});

test('newer versions are read with the v3 layout; an empty assignment is empty', () => {
  const v3 = encodeSubscription({ topics: ['t'], rackId: 'rack-1' }, 3);
  const v9 = Buffer.concat([Buffer.from([0, 9]), v3.subarray(2), Buffer.from([1, 2, 3])]);
  const decoded = decodeSubscription(v9);
  assert.equal(decoded.version, 9);
  assert.equal(decoded.rackId, 'rack-1');
  assert.deepEqual(decodeAssignment(Buffer.alloc(0)).assignedPartitions, []);
  assert.throws(
    () => encodeSubscription({ topics: [] }, 4),
    (e: unknown) => e instanceof FerryError && e.code === ErrorCode.UNSUPPORTED_VERSION,
  );
});

test('random and truncated input gives a value or a FerryError with the chosen code', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), subscription, fc.nat(), (raw, sub, cut) => {
      const valid = encodeSubscription(sub);
      for (const buf of [Buffer.from(raw), valid.subarray(0, cut % valid.length)]) {
        for (const decode of [decodeSubscription, decodeAssignment]) {
          try {
            decode(buf, ErrorCode.CORRUPT_MESSAGE);
          } catch (error) {
            assert.ok(error instanceof FerryError, String(error));
            assert.equal(error.code, ErrorCode.CORRUPT_MESSAGE);
          }
        }
      }
    }),
    fcParams(1000),
  );
});
