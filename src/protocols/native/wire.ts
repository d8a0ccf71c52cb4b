import { BufferReader, BufferWriter } from '../../common/binary.ts';
import { ErrorCode, FerryError } from '../../common/errors.ts';
import { errorCodeFromWire, errorCodeToWire, NO_ERROR } from './error-codes.ts';

/**
 * Field conventions of native-protocol bodies (docs/native-protocol.md section 3), on top of the
 * shared BufferWriter/BufferReader (src/common/binary.ts) and with Kafka's fixed-width layout:
 * big-endian integers, strings as int16 length + UTF-8 (-1 = null), byte blobs as int32 length
 * (-1 = null), arrays as an int32 count. int64 values are `number` (exact to 2^53).
 *
 * What this layer adds: large blobs (record batches) are referenced, not copied, into the
 * output; error fields; string maps; strict booleans and int64 range; exact body length.
 */

/** Blobs at least this large are referenced, not copied, into the output (record batches). */
const ZERO_COPY_MIN_BYTES = 4096;
const MAX_ERROR_MESSAGE_CHARS = 1024;

export class WireWriter {
  private writer: BufferWriter;
  /** Finished pieces: copied runs of small fields and referenced blobs, in order. */
  private readonly parts: Buffer[] = [];
  private partsBytes = 0;

  constructor(initialBytes = 256) {
    this.writer = new BufferWriter(initialBytes);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.partsBytes + this.writer.length;
  }

  u8(value: number): this {
    this.writer.uint8(value);
    return this;
  }

  bool(value: boolean): this {
    this.writer.bool(value);
    return this;
  }

  i8(value: number): this {
    this.writer.int8(value);
    return this;
  }

  u16(value: number): this {
    this.writer.uint16(value);
    return this;
  }

  i16(value: number): this {
    this.writer.int16(value);
    return this;
  }

  u32(value: number): this {
    this.writer.uint32(value);
    return this;
  }

  i32(value: number): this {
    this.writer.int32(value);
    return this;
  }

  i64(value: number): this {
    this.writer.int64(value);
    return this;
  }

  /** IEEE 754 double (backoff factors, jitter). */
  f64(value: number): this {
    this.writer.float64(value);
    return this;
  }

  string(value: string): this {
    this.writer.string(value);
    return this;
  }

  nullableString(value: string | null | undefined): this {
    this.writer.string(value ?? null);
    return this;
  }

  bytes(value: Buffer): this {
    if (value.length < ZERO_COPY_MIN_BYTES) {
      this.writer.bytes(value);
      return this;
    }
    this.writer.int32(value.length);
    this.flushRun();
    this.parts.push(value);
    this.partsBytes += value.length;
    return this;
  }

  nullableBytes(value: Buffer | null | undefined): this {
    if (value === null || value === undefined) {
      this.writer.bytes(null);
      return this;
    }
    return this.bytes(value);
  }

  /** u16 code (0 = none), then the message when there is an error. */
  error(error: FerryError | null | undefined): this {
    if (!error) return this.u16(NO_ERROR);
    const message =
      error.message.length <= MAX_ERROR_MESSAGE_CHARS ? error.message : `${error.message.slice(0, MAX_ERROR_MESSAGE_CHARS - 1)}…`;
    return this.u16(errorCodeToWire(error.code)).string(message);
  }

  array<T>(items: readonly T[], write: (writer: this, item: T) => void): this {
    this.writer.arrayLength(items.length);
    for (const item of items) write(this, item);
    return this;
  }

  stringArray(items: readonly string[]): this {
    this.writer.arrayLength(items.length);
    for (const item of items) this.writer.string(item);
    return this;
  }

  int32Array(items: readonly number[]): this {
    this.writer.arrayLength(items.length);
    for (const item of items) this.writer.int32(item);
    return this;
  }

  /** String map as an int32 count of (key, value) pairs. */
  entries(map: Readonly<Record<string, string>>): this {
    const keys = Object.keys(map);
    this.writer.arrayLength(keys.length);
    for (const key of keys) this.writer.string(key).string(map[key]!);
    return this;
  }

  /** The body as pieces to write back to back (large blobs are not copied). */
  finish(): Buffer[] {
    // The writer is not used again: its last run can be a view.
    if (this.writer.length > 0) this.parts.push(this.writer.view());
    return this.parts;
  }

  private flushRun(): void {
    if (this.writer.length === 0) return;
    const run = this.writer.toBuffer();
    this.parts.push(run);
    this.partsBytes += run.length;
    this.writer.reset();
  }
}

/**
 * Reads a body with a bounds check on every field: malformed input becomes INVALID_REQUEST,
 * never a RangeError or a huge allocation (array counts are checked against the bytes left).
 */
export class WireReader {
  private readonly reader: BufferReader;

  constructor(buf: Buffer) {
    this.reader = new BufferReader(buf, ErrorCode.INVALID_REQUEST);
  }

  get remaining(): number {
    return this.reader.remaining;
  }

  u8(): number {
    return this.reader.uint8();
  }

  bool(): boolean {
    const value = this.reader.uint8();
    if (value > 1) this.reader.fail(`boolean field holds ${value}`);
    return value === 1;
  }

  i8(): number {
    return this.reader.int8();
  }

  u16(): number {
    return this.reader.uint16();
  }

  i16(): number {
    return this.reader.int16();
  }

  u32(): number {
    return this.reader.uint32();
  }

  i32(): number {
    return this.reader.int32();
  }

  i64(): number {
    const value = this.reader.int64();
    if (!Number.isSafeInteger(value)) this.reader.fail(`int64 field ${value} is beyond 2^53`);
    return value;
  }

  /** A finite double: NaN and infinities are refused (no field means them). */
  f64(): number {
    const value = this.reader.float64();
    if (!Number.isFinite(value)) this.reader.fail(`float field holds ${value}`);
    return value;
  }

  string(): string {
    return this.reader.string();
  }

  nullableString(): string | null {
    return this.reader.nullableString();
  }

  /** A view of the body (no copy): valid as long as the frame buffer is. */
  bytes(): Buffer {
    return this.reader.bytes();
  }

  nullableBytes(): Buffer | null {
    return this.reader.nullableBytes();
  }

  error(): FerryError | null {
    const code = errorCodeFromWire(this.reader.uint16());
    if (code === null) return null;
    return new FerryError(code, this.reader.string());
  }

  /** `minItemBytes` is the smallest encoding of one item: a count the remaining bytes cannot
   *  hold is refused before anything is allocated. */
  array<T>(read: (reader: this) => T, minItemBytes = 1): T[] {
    const count = this.reader.arrayLength(minItemBytes);
    const items = new Array<T>(count);
    for (let i = 0; i < count; i++) items[i] = read(this);
    return items;
  }

  /** An i32 item count checked against the bytes left (`minItemBytes` each), for arrays read
   *  without an object per item. */
  count(minItemBytes: number): number {
    return this.reader.arrayLength(minItemBytes);
  }

  stringArray(): string[] {
    return this.array((r) => r.string(), 2);
  }

  int32Array(): number[] {
    return this.array((r) => r.i32(), 4);
  }

  entries(): Record<string, string> {
    const count = this.reader.arrayLength(4);
    const map: Record<string, string> = {};
    for (let i = 0; i < count; i++) {
      const key = this.reader.string();
      // defineProperty: a key named __proto__ is data, not a prototype change.
      Object.defineProperty(map, key, { value: this.reader.string(), enumerable: true, writable: true, configurable: true });
    }
    return map;
  }

  /** Bodies are exact: trailing bytes mean the peer and we disagree on the layout. */
  end(): void {
    if (this.reader.remaining !== 0) {
      this.reader.fail(`${this.reader.remaining} unexpected bytes after the body`, { trailingBytes: this.reader.remaining });
    }
  }
}
