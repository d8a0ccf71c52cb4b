import { BufferReader, type BufferWriter } from '../../../common/binary.ts';
import { ErrorCode, FerryError } from '../../../common/errors.ts';
import type { VersionRange } from './versions.ts';
import type { KafkaWriter } from './writer.ts';

/**
 * Kafka's field types (clients/src/main/resources/common/message/README.md) over the shared
 * BufferReader/BufferWriter. Each knows whether the message version is flexible (KIP-482):
 * flexible versions use compact strings, bytes and arrays (uvarint length + 1, 0 = null) where
 * older versions use int16 / int32 lengths (-1 = null). Readers check every length against the
 * bytes left, so malformed input is INVALID_REQUEST, never an out-of-range read.
 */
export interface Context {
  readonly version: number;
  readonly isFlexible: boolean;
}

/** What a type is, for tools that walk schemas (tests generating values, docs). */
export type Shape =
  | {
      readonly kind:
        | 'int8'
        | 'int16'
        | 'uint16'
        | 'int32'
        | 'uint32'
        | 'int64'
        | 'float64'
        | 'bool'
        | 'uuid'
        | 'string'
        | 'nullableString'
        | 'bytes'
        | 'nullableBytes';
    }
  | { readonly kind: 'array'; readonly item: Shape; readonly isNullable: boolean }
  | {
      readonly kind: 'struct';
      /** Tagged fields have `tag` >= 0 and may be null (absent). */
      readonly fields: readonly { name: string; versions: VersionRange; tag: number; type: Shape }[];
    };

export interface KType<T> {
  readonly shape: Shape;
  /** Fewest bytes one value takes on the wire: bounds a declared array count before allocating. */
  readonly minBytes: number;
  // Methods (not function properties) so a KType<number> is usable where a KType<unknown> is asked.
  read(r: BufferReader, ctx: Context): T;
  write(w: KafkaWriter, value: T, ctx: Context): void;
  defaultValue(): T;
}

/** A reader over request bytes: its failures are INVALID_REQUEST. */
export function requestReader(buf: Buffer, start = 0, end = buf.length): BufferReader {
  return new BufferReader(buf, ErrorCode.INVALID_REQUEST, start, end);
}

type FixedKind = 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'bool' | 'uuid';

function fixed<T>(
  kind: FixedKind,
  minBytes: number,
  zero: T,
  read: (r: BufferReader) => T,
  write: (w: BufferWriter, v: T) => void,
): KType<T> {
  return {
    shape: { kind },
    minBytes,
    read: (r) => read(r),
    write: (w, v) => {
      write(w.out, v);
    },
    defaultValue: () => zero,
  };
}

export const int8 = fixed(
  'int8',
  1,
  0,
  (r) => r.int8(),
  (w, v) => w.int8(v),
);
export const int16 = fixed(
  'int16',
  2,
  0,
  (r) => r.int16(),
  (w, v) => w.int16(v),
);
export const uint16 = fixed(
  'uint16',
  2,
  0,
  (r) => r.uint16(),
  (w, v) => w.uint16(v),
);
export const int32 = fixed(
  'int32',
  4,
  0,
  (r) => r.int32(),
  (w, v) => w.int32(v),
);
export const uint32 = fixed(
  'uint32',
  4,
  0,
  (r) => r.uint32(),
  (w, v) => w.uint32(v),
);
export const int64 = fixed(
  'int64',
  8,
  0,
  (r) => r.int64(),
  (w, v) => w.int64(v),
);
export const float64 = fixed(
  'float64',
  8,
  0,
  (r) => r.float64(),
  (w, v) => w.float64(v),
);
export const bool = fixed(
  'bool',
  1,
  false,
  (r) => r.bool(),
  (w, v) => w.bool(v),
);

/** Uuids are 32 hex characters without dashes: Ferry's topic id form. */
export const ZERO_UUID = '0'.repeat(32);
export const uuid = fixed(
  'uuid',
  16,
  ZERO_UUID,
  (r) => r.uuid().replaceAll('-', ''),
  (w, v) => w.uuid(v),
);

const MAX_STRING_BYTES = 0x7fff;

function writeString(w: KafkaWriter, ctx: Context, value: string | null): void {
  if (value !== null && Buffer.byteLength(value, 'utf8') > MAX_STRING_BYTES) {
    // Only server-made strings reach here (names and messages are bounded on input): cut, do not fail.
    value = Buffer.from(value, 'utf8')
      .subarray(0, MAX_STRING_BYTES)
      .toString('utf8')
      .replace(/\uFFFD$/, '');
  }
  if (ctx.isFlexible) w.out.compactString(value);
  else w.out.string(value);
}

export const string: KType<string> = {
  shape: { kind: 'string' },
  minBytes: 1,
  read: (r, ctx) => (ctx.isFlexible ? r.compactString() : r.string()),
  write: (w, value, ctx) => writeString(w, ctx, value),
  defaultValue: () => '',
};

export const nullableString: KType<string | null> = {
  shape: { kind: 'nullableString' },
  minBytes: 1,
  read: (r, ctx) => (ctx.isFlexible ? r.nullableCompactString() : r.nullableString()),
  write: (w, value, ctx) => writeString(w, ctx, value),
  defaultValue: () => null,
};

function writeBytes(w: KafkaWriter, ctx: Context, value: Buffer | null): void {
  if (value === null) {
    if (ctx.isFlexible) w.out.uvarint(0);
    else w.out.int32(-1);
    return;
  }
  if (ctx.isFlexible) w.out.uvarint(value.length + 1);
  else w.out.int32(value.length);
  w.blob(value);
}

const EMPTY = Buffer.alloc(0);

/** Decoded bytes are views of the request (not copies). */
export const bytes: KType<Buffer> = {
  shape: { kind: 'bytes' },
  minBytes: 1,
  read: (r, ctx) => (ctx.isFlexible ? r.compactBytes() : r.bytes()),
  write: (w, value, ctx) => writeBytes(w, ctx, value),
  defaultValue: () => EMPTY,
};

/** Also Kafka's `records` type: record batches travel as nullable bytes, never re-encoded. */
export const nullableBytes: KType<Buffer | null> = {
  shape: { kind: 'nullableBytes' },
  minBytes: 1,
  read: (r, ctx) => (ctx.isFlexible ? r.nullableCompactBytes() : r.nullableBytes()),
  write: (w, value, ctx) => writeBytes(w, ctx, value),
  defaultValue: () => null,
};
export const records = nullableBytes;

function readArray<T>(r: BufferReader, ctx: Context, item: KType<T>): T[] | null {
  const count = ctx.isFlexible ? r.nullableCompactArrayLength(item.minBytes) : r.nullableArrayLength(item.minBytes);
  if (count === null) return null;
  const out: T[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = item.read(r, ctx);
  return out;
}

function writeArray<T>(w: KafkaWriter, ctx: Context, item: KType<T>, values: readonly T[] | null): void {
  const count = values === null ? null : values.length;
  if (ctx.isFlexible) w.out.compactArrayLength(count);
  else w.out.arrayLength(count);
  if (values !== null) for (const value of values) item.write(w, value, ctx);
}

export function array<T>(item: KType<T>): KType<T[]> {
  return {
    shape: { kind: 'array', item: item.shape, isNullable: false },
    minBytes: 1,
    read(r, ctx) {
      const values = readArray(r, ctx, item);
      if (values === null) throw new FerryError(ErrorCode.INVALID_REQUEST, 'null where an array is required', { at: r.offset });
      return values;
    },
    write: (w, values, ctx) => writeArray(w, ctx, item, values),
    defaultValue: () => [],
  };
}

export function nullableArray<T>(item: KType<T>): KType<T[] | null> {
  return {
    shape: { kind: 'array', item: item.shape, isNullable: true },
    minBytes: 1,
    read: (r, ctx) => readArray(r, ctx, item),
    write: (w, values, ctx) => writeArray(w, ctx, item, values),
    defaultValue: () => null,
  };
}
