import { ErrorCode, FerryError } from '../../common/errors.ts';
import { errorCodeFromWire, errorCodeToWire, NO_ERROR } from './error-codes.ts';

/**
 * Field conventions of native-protocol bodies (docs/native-protocol.md section 3), fixed width
 * and big-endian: strings are u16 length + UTF-8 (0xFFFF = null), byte blobs are u32 length
 * (0xFFFFFFFF = null), arrays are u32 count, int64 values travel as two int32 halves and are
 * `number` in Ferry (exact to 2^53, as everywhere else).
 */
const NULL_STRING = 0xffff;
const NULL_BYTES = 0xffffffff;
const MAX_STRING_BYTES = 0xfffe;
/** Blobs at least this large are referenced, not copied, into the output (record batches). */
const ZERO_COPY_MIN_BYTES = 4096;

export class WireWriter {
  private buf: Buffer;
  private pos = 0;
  /** Finished pieces: copied runs of fields and referenced blobs, in order. */
  private readonly parts: Buffer[] = [];
  private partsBytes = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.partsBytes + this.pos;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  u8(value: number): this {
    this.ensure(1);
    this.buf[this.pos++] = value & 0xff;
    return this;
  }

  bool(value: boolean): this {
    return this.u8(value ? 1 : 0);
  }

  i8(value: number): this {
    this.ensure(1);
    this.pos = this.buf.writeInt8(value, this.pos);
    return this;
  }

  u16(value: number): this {
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(value, this.pos);
    return this;
  }

  i16(value: number): this {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(value, this.pos);
    return this;
  }

  u32(value: number): this {
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(value >>> 0, this.pos);
    return this;
  }

  i32(value: number): this {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(value | 0, this.pos);
    return this;
  }

  i64(value: number): this {
    this.ensure(8);
    const high = Math.floor(value / 0x1_0000_0000);
    this.buf.writeInt32BE(high, this.pos);
    this.buf.writeUInt32BE(value - high * 0x1_0000_0000, this.pos + 4);
    this.pos += 8;
    return this;
  }

  string(value: string): this {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_STRING_BYTES) {
      throw new FerryError(ErrorCode.INVALID_REQUEST, `string of ${bytes} bytes exceeds ${MAX_STRING_BYTES}`, { bytes });
    }
    this.ensure(2 + bytes);
    this.pos = this.buf.writeUInt16BE(bytes, this.pos);
    this.pos += this.buf.write(value, this.pos, bytes, 'utf8');
    return this;
  }

  nullableString(value: string | null | undefined): this {
    if (value === null || value === undefined) return this.u16(NULL_STRING);
    return this.string(value);
  }

  bytes(value: Buffer): this {
    this.u32(value.length);
    if (value.length >= ZERO_COPY_MIN_BYTES) {
      this.flushRun();
      this.parts.push(value);
      this.partsBytes += value.length;
      return this;
    }
    this.ensure(value.length);
    this.pos += value.copy(this.buf, this.pos);
    return this;
  }

  nullableBytes(value: Buffer | null | undefined): this {
    if (value === null || value === undefined) return this.u32(NULL_BYTES);
    return this.bytes(value);
  }

  /** u16 code (0 = none), then the message when there is an error. */
  error(error: FerryError | null | undefined): this {
    if (!error) return this.u16(NO_ERROR);
    this.u16(errorCodeToWire(error.code));
    return this.string(truncateUtf8(error.message, 1024));
  }

  array<T>(items: readonly T[], write: (writer: this, item: T) => void): this {
    this.u32(items.length);
    for (const item of items) write(this, item);
    return this;
  }

  stringArray(items: readonly string[]): this {
    this.u32(items.length);
    for (const item of items) this.string(item);
    return this;
  }

  int32Array(items: readonly number[]): this {
    this.u32(items.length);
    for (const item of items) this.i32(item);
    return this;
  }

  /** String map as u32 count of (key, value) pairs. */
  entries(map: Readonly<Record<string, string>>): this {
    const keys = Object.keys(map);
    this.u32(keys.length);
    for (const key of keys) this.string(key).string(map[key]!);
    return this;
  }

  /** The body as pieces to write back to back (large blobs are not copied). */
  finish(): Buffer[] {
    this.flushRun();
    return this.parts;
  }

  private flushRun(): void {
    if (this.pos === 0) return;
    this.parts.push(this.buf.subarray(0, this.pos));
    this.partsBytes += this.pos;
    this.buf = this.buf.subarray(this.pos);
    this.pos = 0;
  }
}

function truncateUtf8(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}

function truncated(need: number, at: number, length: number): FerryError {
  return new FerryError(ErrorCode.INVALID_REQUEST, `body truncated: ${need} bytes needed at ${at}, ${length - at} left`, { at, need });
}

/**
 * Reads a body with a bounds check on every field: malformed input becomes INVALID_REQUEST,
 * never a RangeError or a huge allocation (array counts are checked against the bytes left).
 */
export class WireReader {
  private readonly buf: Buffer;
  private pos = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(bytes: number): number {
    const at = this.pos;
    if (at + bytes > this.buf.length) throw truncated(bytes, at, this.buf.length);
    this.pos = at + bytes;
    return at;
  }

  u8(): number {
    return this.buf[this.need(1)]!;
  }

  bool(): boolean {
    const value = this.u8();
    if (value > 1) throw new FerryError(ErrorCode.INVALID_REQUEST, `boolean field holds ${value}`);
    return value === 1;
  }

  i8(): number {
    return this.buf.readInt8(this.need(1));
  }

  u16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }

  i16(): number {
    return this.buf.readInt16BE(this.need(2));
  }

  u32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }

  i32(): number {
    return this.buf.readInt32BE(this.need(4));
  }

  i64(): number {
    const at = this.need(8);
    const value = this.buf.readInt32BE(at) * 0x1_0000_0000 + this.buf.readUInt32BE(at + 4);
    if (!Number.isSafeInteger(value)) throw new FerryError(ErrorCode.INVALID_REQUEST, `int64 field ${value} is beyond 2^53`);
    return value;
  }

  string(): string {
    const value = this.nullableString();
    if (value === null) throw new FerryError(ErrorCode.INVALID_REQUEST, `null where a string is required at ${this.pos - 2}`);
    return value;
  }

  nullableString(): string | null {
    const bytes = this.u16();
    if (bytes === NULL_STRING) return null;
    const at = this.need(bytes);
    return this.buf.toString('utf8', at, at + bytes);
  }

  /** A view of the body (no copy): valid as long as the frame buffer is. */
  bytes(): Buffer {
    const value = this.nullableBytes();
    if (value === null) throw new FerryError(ErrorCode.INVALID_REQUEST, `null where bytes are required at ${this.pos - 4}`);
    return value;
  }

  nullableBytes(): Buffer | null {
    const bytes = this.u32();
    if (bytes === NULL_BYTES) return null;
    const at = this.need(bytes);
    return this.buf.subarray(at, at + bytes);
  }

  error(): FerryError | null {
    const code = errorCodeFromWire(this.u16());
    if (code === null) return null;
    return new FerryError(code, this.string());
  }

  /** `minItemBytes` is the smallest encoding of one item: a count the remaining bytes cannot
   *  hold is refused before anything is allocated. */
  array<T>(read: (reader: this) => T, minItemBytes = 1): T[] {
    const count = this.u32();
    if (count * minItemBytes > this.remaining) {
      throw new FerryError(ErrorCode.INVALID_REQUEST, `array of ${count} items cannot fit in ${this.remaining} bytes`, { count });
    }
    const items = new Array<T>(count);
    for (let i = 0; i < count; i++) items[i] = read(this);
    return items;
  }

  stringArray(): string[] {
    return this.array((r) => r.string(), 2);
  }

  int32Array(): number[] {
    return this.array((r) => r.i32(), 4);
  }

  entries(): Record<string, string> {
    const count = this.u32();
    if (count * 4 > this.remaining) throw new FerryError(ErrorCode.INVALID_REQUEST, `map of ${count} entries cannot fit`, { count });
    const map: Record<string, string> = Object.create(null);
    for (let i = 0; i < count; i++) {
      const key = this.string();
      map[key] = this.string();
    }
    return { ...map };
  }

  /** Bodies are exact: trailing bytes mean the peer and we disagree on the layout. */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw new FerryError(ErrorCode.INVALID_REQUEST, `${this.buf.length - this.pos} unexpected bytes after the body`, {
        trailingBytes: this.buf.length - this.pos,
      });
    }
  }
}
