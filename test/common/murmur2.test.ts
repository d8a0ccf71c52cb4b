import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { murmur2, partitionForKey, StickyPartitioner, toPositive } from '../../src/common/murmur2.ts';
import { fcParams } from './seed.ts';

// Kafka's UtilsTest.testMurmur2 (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java).
const KAFKA_VECTORS: Array<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

test("murmur2 matches Kafka's UtilsTest vectors", () => {
  for (const [input, expected] of KAFKA_VECTORS) {
    assert.equal(murmur2(Buffer.from(input)), expected, input);
  }
});

test('murmur2 over a sub-range equals murmur2 of the slice', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.nat(), (bytes, a, b) => {
      const start = bytes.length === 0 ? 0 : a % bytes.length;
      const end = start + (b % (bytes.length - start + 1));
      assert.equal(murmur2(bytes, start, end), murmur2(bytes.slice(start, end)));
    }),
    fcParams(500),
  );
});

test('toPositive clears the sign bit like Kafka (not Math.abs)', () => {
  assert.equal(toPositive(-2147483648), 0);
  assert.equal(toPositive(-1), 2147483647);
  assert.equal(toPositive(10), 10);
  // Known placement: toPositive(-790332482) % 12 for "foobar".
  assert.equal(partitionForKey(Buffer.from('foobar'), 12), (-790332482 & 0x7fffffff) % 12);
  assert.throws(() => partitionForKey(Buffer.from('x'), 0), RangeError);
});

test('partitionForKey is always in range', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 10_000 }), (key, n) => {
      const p = partitionForKey(key, n);
      assert.ok(Number.isInteger(p) && p >= 0 && p < n);
    }),
    fcParams(500),
  );
});

test('the sticky partitioner stays on one partition until its batch is sent, then moves', () => {
  let x = 0.37;
  const sticky = new StickyPartitioner({ random: () => (x = (x * 9301 + 0.49297) % 1), maxTopics: 2 });
  const first = sticky.partition('t', 8);
  for (let i = 0; i < 100; i++) assert.equal(sticky.partition('t', 8), first);
  sticky.onBatchSent('t', (first + 1) % 8, 8); // not the sticky one: ignored
  assert.equal(sticky.partition('t', 8), first);
  sticky.onBatchSent('t', first, 8);
  const second = sticky.partition('t', 8);
  assert.notEqual(second, first);
  assert.equal(sticky.partition('one', 1), 0);
  sticky.onBatchSent('one', 0, 1);
  assert.equal(sticky.partition('one', 1), 0);
  // A shrunk partition count never yields an out-of-range partition.
  for (let i = 0; i < 50; i++) {
    sticky.onBatchSent('t', sticky.partition('t', 8), 8);
    assert.ok(sticky.partition('t', 3) < 3);
  }
});
