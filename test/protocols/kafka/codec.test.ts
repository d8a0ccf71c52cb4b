import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, FerryError } from '../../../src/common/errors.ts';
import { field, struct, tagged } from '../../../src/protocols/kafka/protocol/schema.ts';
import {
  array,
  bool,
  bytes,
  type Context,
  float64,
  int16,
  int32,
  int64,
  int8,
  type KType,
  nullableArray,
  nullableBytes,
  nullableString,
  requestReader,
  string,
  uint16,
  uint32,
  uuid,
} from '../../../src/protocols/kafka/protocol/types.ts';
import { KafkaWriter } from '../../../src/protocols/kafka/protocol/writer.ts';
import { testSeed } from './seed.ts';

const seed = testSeed();
const FLEXIBLE: Context = { version: 9, isFlexible: true };
const CLASSIC: Context = { version: 1, isFlexible: false };

function encode<T>(type: KType<T>, value: T, ctx: Context): Buffer {
  const w = new KafkaWriter(8);
  type.write(w, value, ctx);
  return w.toBuffer();
}

function decode<T>(type: KType<T>, bytes: Buffer, ctx: Context): { value: T; rest: number } {
  const r = requestReader(bytes);
  const value = type.read(r, ctx);
  return { value, rest: r.remaining };
}

function roundTrips<T>(type: KType<T>, values: fc.Arbitrary<T>): void {
  for (const ctx of [CLASSIC, FLEXIBLE]) {
    fc.assert(
      fc.property(values, (value) => {
        const decoded = decode(type, encode(type, value, ctx), ctx);
        assert.deepEqual(decoded.value, value);
        assert.equal(decoded.rest, 0);
      }),
      { seed, numRuns: 300 },
    );
  }
}

const int64s = fc.maxSafeInteger();
const buffers = fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a));
const uuids = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a).toString('hex'));

describe('kafka primitive codec', () => {
  test('fixed-width integers, floats, booleans and uuids round-trip', () => {
    roundTrips(int8, fc.integer({ min: -128, max: 127 }));
    roundTrips(int16, fc.integer({ min: -32768, max: 32767 }));
    roundTrips(uint16, fc.integer({ min: 0, max: 65535 }));
    roundTrips(int32, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
    roundTrips(uint32, fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    roundTrips(int64, int64s);
    roundTrips(float64, fc.double({ noNaN: true }));
    roundTrips(bool, fc.boolean());
    roundTrips(uuid, uuids);
  });

  test('strings, bytes and arrays round-trip in classic and compact encodings, null included', () => {
    roundTrips(string, fc.string({ unit: 'grapheme', maxLength: 300 }));
    roundTrips(nullableString, fc.option(fc.string({ maxLength: 300 }), { nil: null }));
    roundTrips(bytes, buffers);
    roundTrips(nullableBytes, fc.option(buffers, { nil: null }));
    roundTrips(array(int32), fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 200 }));
    roundTrips(nullableArray(string), fc.option(fc.array(fc.string({ maxLength: 20 }), { maxLength: 50 }), { nil: null }));
  });

  test('compact lengths are uvarint(length + 1) and classic ones int16/int32 with -1 for null', () => {
    assert.deepEqual(encode(string, 'ab', FLEXIBLE), Buffer.from([3, 0x61, 0x62]));
    assert.deepEqual(encode(string, 'ab', CLASSIC), Buffer.from([0, 2, 0x61, 0x62]));
    assert.deepEqual(encode(nullableString, null, FLEXIBLE), Buffer.from([0]));
    assert.deepEqual(encode(nullableString, null, CLASSIC), Buffer.from([0xff, 0xff]));
    assert.deepEqual(encode(nullableBytes, null, CLASSIC), Buffer.from([0xff, 0xff, 0xff, 0xff]));
    assert.deepEqual(encode(array(int8), [1], FLEXIBLE), Buffer.from([2, 1]));
    assert.deepEqual(encode(nullableArray(int8), null, FLEXIBLE), Buffer.from([0]));
    // 200 elements: the compact count 201 takes two varint bytes.
    assert.deepEqual(encode(array(int8), new Array(200).fill(0), FLEXIBLE).subarray(0, 2), Buffer.from([0xc9, 0x01]));
  });

  test('large blobs are referenced by the writer, not copied', () => {
    const blob = Buffer.alloc(64 * 1024, 7);
    const w = new KafkaWriter();
    int32.write(w, 1, CLASSIC);
    bytes.write(w, blob, CLASSIC);
    int32.write(w, 2, CLASSIC);
    const parts = w.finish();
    assert.ok(parts.includes(blob), 'the blob itself is one of the output pieces');
    assert.equal(w.length, 4 + 4 + blob.length + 4);
  });
});

describe('kafka struct codec', () => {
  const sample = struct({
    id: field(int32, '0+'),
    name: field(string, '1+', 'unnamed'),
    old: field(int16, '0-1', -1),
    note: tagged(nullableString, '2+', 0),
    extra: tagged(array(int32), '2+', 5),
  });

  test('fields outside their versions read as defaults and are not written', () => {
    const v0: Context = { version: 0, isFlexible: false };
    const bytesV0 = encode(sample, { id: 7, name: 'x', old: 3, note: null, extra: null }, v0);
    assert.equal(bytesV0.length, 4 + 2);
    assert.deepEqual(decode(sample, bytesV0, v0).value, { id: 7, name: 'unnamed', old: 3, note: null, extra: null });
  });

  test('tagged fields round-trip, absent ones are null, and unknown tags are skipped', () => {
    const v2: Context = { version: 2, isFlexible: true };
    fc.assert(
      fc.property(
        fc.integer(),
        fc.option(fc.string(), { nil: null }),
        fc.option(fc.array(fc.integer({ min: -100, max: 100 })), { nil: null }),
        (id, note, extra) => {
          const value = { id: id | 0, name: 'n', old: -1, note, extra };
          assert.deepEqual(decode(sample, encode(sample, value, v2), v2).value, value);
        },
      ),
      { seed, numRuns: 200 },
    );
    // id=1, name "n", then 2 tagged fields: tag 3 (unknown, 2 bytes) and tag 5 ([9]).
    const withUnknown = Buffer.from([0, 0, 0, 1, 2, 0x6e, 2, 3, 2, 0xaa, 0xbb, 5, 5, 2, 0, 0, 0, 9]);
    assert.deepEqual(decode(sample, withUnknown, v2).value, { id: 1, name: 'n', old: -1, note: null, extra: [9] });
  });

  test('decoding random bytes returns a value or throws INVALID_REQUEST, nothing else', () => {
    for (const ctx of [CLASSIC, FLEXIBLE, { version: 2, isFlexible: true }]) {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
          try {
            decode(sample, Buffer.from(raw), ctx);
          } catch (error) {
            assert.ok(error instanceof FerryError, `threw ${String(error)}`);
            assert.equal(error.code, ErrorCode.INVALID_REQUEST);
          }
        }),
        { seed, numRuns: 2000 },
      );
    }
  });

  test('a lying array count fails before anything is allocated for it', () => {
    const lying = Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1]);
    assert.throws(
      () => decode(array(int32), lying, CLASSIC),
      (e: unknown) => e instanceof FerryError && e.code === ErrorCode.INVALID_REQUEST,
    );
  });
});
