import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BufferReader, BufferWriter, uvarintSize, varintSize, varlongSize, writeVarlongAt } from '../../src/common/binary.ts';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { fcParams } from './seed.ts';

const int32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const safeInt = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });

test('varint, uvarint and varlong match the sizes they announce and round-trip', () => {
  fc.assert(
    fc.property(int32, fc.integer({ min: 0, max: 0xffff_ffff }), safeInt, (v, u, l) => {
      const w = new BufferWriter(4);
      w.varint(v).uvarint(u).varlong(l);
      assert.equal(w.length, varintSize(v) + uvarintSize(u) + varlongSize(l));
      const r = new BufferReader(w.toBuffer());
      assert.equal(r.varint(), v);
      assert.equal(r.uvarint(), u);
      assert.equal(r.varlong(), l);
      assert.equal(r.remaining, 0);
    }),
    fcParams(2000),
  );
});

test('varlong encodes like Kafka (zigzag, 7-bit groups, little-endian)', () => {
  const cases: Array<[number, number[]]> = [
    [0, [0x00]],
    [-1, [0x01]],
    [1, [0x02]],
    [63, [0x7e]],
    [-64, [0x7f]],
    [64, [0x80, 0x01]],
    [2 ** 31, [0x80, 0x80, 0x80, 0x80, 0x10]],
    [Number.MAX_SAFE_INTEGER, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]],
    [Number.MIN_SAFE_INTEGER, [0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]],
  ];
  for (const [value, bytes] of cases) {
    const buf = Buffer.alloc(10);
    const end = writeVarlongAt(buf, 0, value);
    assert.deepEqual([...buf.subarray(0, end)], bytes, `encoding ${value}`);
    assert.equal(new BufferReader(buf.subarray(0, end)).varlong(), value);
  }
  // The 64-bit extremes are 10 bytes long; they read back as the nearest double.
  const min64 = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.equal(new BufferReader(min64).varlong(), -(2 ** 63));
});

test('fixed-width fields, strings, bytes and UUIDs round-trip', () => {
  const uuid = '0123abcd-4567-89ef-0123-456789abcdef';
  const w = new BufferWriter(8);
  w.int8(-5).uint8(250).bool(true).int16(-300).uint16(65000).int32(-70000).uint32(4_000_000_000);
  w.int64(-(2 ** 53) + 1)
    .bigInt64(-(2n ** 63n))
    .float64(Math.PI);
  w.string('héllo').string(null).varintString('k').varintString(null).compactString('ü').compactString(null);
  w.bytes(Buffer.from([1, 2]))
    .bytes(null)
    .varintBytes(Buffer.from([3]))
    .varintBytes(null);
  w.compactBytes(Buffer.alloc(0)).compactBytes(null).arrayLength(2).compactArrayLength(3).uuid(uuid);
  const r = new BufferReader(w.toBuffer(), ErrorCode.INVALID_REQUEST);
  assert.equal(r.int8(), -5);
  assert.equal(r.uint8(), 250);
  assert.equal(r.bool(), true);
  assert.equal(r.int16(), -300);
  assert.equal(r.uint16(), 65000);
  assert.equal(r.int32(), -70000);
  assert.equal(r.uint32(), 4_000_000_000);
  assert.equal(r.int64(), -(2 ** 53) + 1);
  assert.equal(r.bigInt64(), -(2n ** 63n));
  assert.equal(r.float64(), Math.PI);
  assert.equal(r.string(), 'héllo');
  assert.equal(r.nullableString(), null);
  assert.equal(r.varintString(), 'k');
  assert.equal(r.nullableVarintString(), null);
  assert.equal(r.compactString(), 'ü');
  assert.equal(r.nullableCompactString(), null);
  assert.deepEqual([...r.bytes()], [1, 2]);
  assert.equal(r.nullableBytes(), null);
  assert.deepEqual([...r.varintBytes()], [3]);
  assert.equal(r.nullableVarintBytes(), null);
  assert.equal(r.compactBytes().length, 0);
  assert.equal(r.nullableCompactBytes(), null);
  assert.equal(r.arrayLength(), 2);
  assert.equal(r.compactArrayLength(), 3);
  assert.equal(r.uuid(), uuid);
  assert.equal(r.remaining, 0);
  // A count that cannot fit in the bytes left is refused before anyone allocates for it.
  const lying = new BufferWriter().arrayLength(1000).int32(1).toBuffer();
  assert.throws(() => new BufferReader(lying, ErrorCode.INVALID_REQUEST).arrayLength(4), isCode(ErrorCode.INVALID_REQUEST));
});

test('the writer grows, resets and keeps copies independent of views', () => {
  const w = new BufferWriter(1);
  for (let i = 0; i < 1000; i++) w.int32(i);
  const copy = w.toBuffer();
  const view = w.view();
  assert.equal(copy.length, 4000);
  w.reset().int32(-1);
  assert.equal(copy.readInt32BE(0), 0);
  assert.equal(view.readInt32BE(0), -1, 'a view shares memory with the writer');
  const at = w.reserve(4);
  w.patchInt32(at, 42);
  assert.equal(w.toBuffer().readInt32BE(4), 42);
});

test('every read past the end throws a FerryError with the reader code, never a RangeError', () => {
  const reads: Array<(r: BufferReader) => unknown> = [
    (r) => r.int8(),
    (r) => r.int16(),
    (r) => r.int32(),
    (r) => r.uint32(),
    (r) => r.int64(),
    (r) => r.bigInt64(),
    (r) => r.float64(),
    (r) => r.varint(),
    (r) => r.uvarint(),
    (r) => r.varlong(),
    (r) => r.nullableBytes(),
    (r) => r.nullableVarintBytes(),
    (r) => r.nullableCompactBytes(),
    (r) => r.nullableString(),
    (r) => r.nullableVarintString(),
    (r) => r.nullableCompactString(),
    (r) => r.nullableArrayLength(4),
    (r) => r.nullableCompactArrayLength(4),
    (r) => r.uuid(),
    (r) => r.raw(3),
    (r) => r.skip(5),
  ];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 24 }), fc.nat(23), fc.boolean(), (bytes, start, request) => {
      const buf = Buffer.from(bytes);
      const code = request ? ErrorCode.INVALID_REQUEST : ErrorCode.CORRUPT_MESSAGE;
      for (const read of reads) {
        const r = new BufferReader(buf, code, Math.min(start, buf.length));
        try {
          for (let i = 0; i < 8; i++) read(r);
        } catch (error) {
          assert.ok(error instanceof FerryError, `unexpected ${String(error)}`);
          assert.equal(error.code, code);
        }
        assert.ok(r.offset <= buf.length);
      }
    }),
    fcParams(1000),
  );
});

test('over-long varints are rejected', () => {
  const six = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  assert.throws(() => new BufferReader(six).varint(), isCode(ErrorCode.CORRUPT_MESSAGE));
  const eleven = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  assert.throws(() => new BufferReader(eleven).varlong(), isCode(ErrorCode.CORRUPT_MESSAGE));
  assert.throws(() => new BufferReader(Buffer.alloc(4), ErrorCode.INVALID_REQUEST, 2, 9), isCode(ErrorCode.INVALID_REQUEST));
});

function isCode(code: string): (error: unknown) => boolean {
  return (error) => error instanceof FerryError && error.code === code;
}
