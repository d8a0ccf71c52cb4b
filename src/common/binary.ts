import { ErrorCode, FerryError } from './errors.ts';

/**
 * Byte-level reading and writing shared by every codec (Kafka protocol, record batches, consumer
 * protocol, native protocol). Big-endian throughout, as Kafka's wire format is.
 *
 * Conventions:
 * - int64 values are `number` (exact to 2^53, as everywhere in Ferry); `bigInt64()` for the rare
 *   field that needs all 64 bits.
 * - "varint"/"varlong" are Kafka's signed zigzag varints (record fields); "uvarint" is the
 *   unsigned varint of flexible protocol versions (compact lengths, tagged fields).
 * - "compact" strings/bytes/arrays carry `uvarint(length + 1)`, 0 meaning null (KIP-482).
 */

const TWO_POW_32 = 0x1_0000_0000;
/** A Kafka varint (int32) takes at most 5 bytes, a varlong (int64) at most 10. */
const MAX_VARINT_BYTES = 5;
const MAX_VARLONG_BYTES = 10;
const HEX = '0123456789abcdef';

// ------------------------------------------------------------------------- size helpers
// The record-batch encoder sizes its output up front with these, then writes into one buffer.

/** Bytes of an unsigned varint holding `value` (0 <= value < 2^32). */
export function uvarintSize(value: number): number {
  const v = value >>> 0;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x20_0000) return 3;
  if (v < 0x1000_0000) return 4;
  return 5;
}

/** Bytes of a zigzag varint holding the int32 `value`. */
export function varintSize(value: number): number {
  return uvarintSize((value << 1) ^ (value >> 31));
}

/** Bytes of a zigzag varlong holding `value` (an integer, |value| <= 2^53). */
export function varlongSize(value: number): number {
  if (value >= -0x4000_0000 && value < 0x4000_0000) return varintSize(value);
  // zigzag(v) = 2|v| - (v < 0); count 7-bit groups of it without forming it (it may pass 2^53).
  let half = value < 0 ? -value - 1 : value;
  let bytes = 1;
  half = Math.floor(half / 64); // the first byte carries 6 bits of |v| plus the sign bit
  while (half > 0) {
    bytes++;
    half = Math.floor(half / 128);
  }
  return bytes;
}

/** UTF-8 byte length of a string, without encoding it. */
export function utf8Size(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

// ------------------------------------------------------------------------- positional writers
// Free functions over a caller-sized buffer: they return the position after the value. The
// caller guarantees room (it sized the buffer with the helpers above); these do not check.

export function writeUvarintAt(buf: Buffer, pos: number, value: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

export function writeVarintAt(buf: Buffer, pos: number, value: number): number {
  return writeUvarintAt(buf, pos, (value << 1) ^ (value >> 31));
}

export function writeVarlongAt(buf: Buffer, pos: number, value: number): number {
  if (value >= -0x4000_0000 && value < 0x4000_0000) return writeVarintAt(buf, pos, value);
  const negative = value < 0;
  let half = negative ? -value - 1 : value;
  // First byte: the sign bit, then the low 6 bits of |v| (or |v| - 1 for negatives).
  let byte = ((half % 64) << 1) | (negative ? 1 : 0);
  half = Math.floor(half / 64);
  while (half > 0) {
    buf[pos++] = byte | 0x80;
    byte = half % 128;
    half = Math.floor(half / 128);
  }
  buf[pos++] = byte;
  return pos;
}

export function writeInt64At(buf: Buffer, pos: number, value: number): number {
  const high = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(high, pos);
  buf.writeUInt32BE(value - high * TWO_POW_32, pos + 4);
  return pos + 8;
}

// ------------------------------------------------------------------------- BufferWriter

/**
 * A growable output buffer. Reusable: `reset()` keeps the memory for the next message, so a
 * connection can encode every frame into one writer without allocating per frame.
 *
 * `toBuffer()` returns a **copy** (safe to keep after `reset()`); `view()` returns a `subarray`
 * over the internal memory, valid only until the next write or `reset()` (for bytes consumed at
 * once, e.g. copied into a larger frame).
 */
export class BufferWriter {
  private buf: Buffer;
  private pos = 0;
  /** Above this, `reset()` drops the memory instead of keeping it: one huge message must not pin
   *  its buffer for the life of a connection. */
  private readonly retainMaxBytes: number;

  constructor(initialBytes = 1024, retainMaxBytes = 1024 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialBytes));
    this.retainMaxBytes = retainMaxBytes;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  reset(): this {
    if (this.buf.length > this.retainMaxBytes) this.buf = Buffer.allocUnsafe(1024);
    this.pos = 0;
    return this;
  }

  /** A copy of the bytes written: independent of the writer. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /** A view of the bytes written: shares memory, valid until the next write or reset. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Makes room for `bytes` more. */
  ensure(bytes: number): void {
    const needed = this.pos + bytes;
    if (needed <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, needed));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Skips `bytes` (e.g. a length prefix filled in later with `patchInt32`) and returns their position. */
  reserve(bytes: number): number {
    this.ensure(bytes);
    const at = this.pos;
    this.pos += bytes;
    return at;
  }

  patchInt32(at: number, value: number): this {
    this.buf.writeInt32BE(value, at);
    return this;
  }

  patchUInt32(at: number, value: number): this {
    this.buf.writeUInt32BE(value >>> 0, at);
    return this;
  }

  int8(value: number): this {
    this.ensure(1);
    this.pos = this.buf.writeInt8(value, this.pos);
    return this;
  }

  uint8(value: number): this {
    this.ensure(1);
    this.buf[this.pos++] = value & 0xff;
    return this;
  }

  bool(value: boolean): this {
    return this.uint8(value ? 1 : 0);
  }

  int16(value: number): this {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(value, this.pos);
    return this;
  }

  uint16(value: number): this {
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(value, this.pos);
    return this;
  }

  int32(value: number): this {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(value, this.pos);
    return this;
  }

  uint32(value: number): this {
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(value >>> 0, this.pos);
    return this;
  }

  /** int64 from a `number` (integer, |value| <= 2^53). */
  int64(value: number): this {
    this.ensure(8);
    this.pos = writeInt64At(this.buf, this.pos, value);
    return this;
  }

  bigInt64(value: bigint): this {
    this.ensure(8);
    this.pos = this.buf.writeBigInt64BE(value, this.pos);
    return this;
  }

  float64(value: number): this {
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(value, this.pos);
    return this;
  }

  uvarint(value: number): this {
    this.ensure(MAX_VARINT_BYTES);
    this.pos = writeUvarintAt(this.buf, this.pos, value);
    return this;
  }

  varint(value: number): this {
    this.ensure(MAX_VARINT_BYTES);
    this.pos = writeVarintAt(this.buf, this.pos, value);
    return this;
  }

  varlong(value: number): this {
    this.ensure(MAX_VARLONG_BYTES);
    this.pos = writeVarlongAt(this.buf, this.pos, value);
    return this;
  }

  /** Raw bytes, no length. */
  raw(value: Uint8Array): this {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** int32 length + bytes; null as length -1. */
  bytes(value: Uint8Array | null): this {
    if (value === null) return this.int32(-1);
    this.int32(value.length);
    return this.raw(value);
  }

  /** zigzag varint length + bytes; null as -1 (record keys, values, header values). */
  varintBytes(value: Uint8Array | null): this {
    if (value === null) return this.varint(-1);
    this.varint(value.length);
    return this.raw(value);
  }

  /** uvarint(length + 1) + bytes; null as 0 (flexible versions). */
  compactBytes(value: Uint8Array | null): this {
    if (value === null) return this.uvarint(0);
    this.uvarint(value.length + 1);
    return this.raw(value);
  }

  /** int16 length + UTF-8; null as -1. Throws INVALID_REQUEST above 32767 bytes. */
  string(value: string | null): this {
    if (value === null) return this.int16(-1);
    const size = utf8Size(value);
    if (size > 0x7fff) {
      throw new FerryError(ErrorCode.INVALID_REQUEST, `string of ${size} bytes does not fit an int16 length`, { size });
    }
    this.ensure(2 + size);
    this.pos = this.buf.writeInt16BE(size, this.pos);
    this.pos += this.buf.write(value, this.pos, size, 'utf8');
    return this;
  }

  /** zigzag varint length + UTF-8; null as -1 (record header keys). */
  varintString(value: string | null): this {
    if (value === null) return this.varint(-1);
    const size = utf8Size(value);
    this.ensure(MAX_VARINT_BYTES + size);
    this.pos = writeVarintAt(this.buf, this.pos, size);
    this.pos += this.buf.write(value, this.pos, size, 'utf8');
    return this;
  }

  /** uvarint(length + 1) + UTF-8; null as 0 (flexible versions). */
  compactString(value: string | null): this {
    if (value === null) return this.uvarint(0);
    const size = utf8Size(value);
    this.ensure(MAX_VARINT_BYTES + size);
    this.pos = writeUvarintAt(this.buf, this.pos, size + 1);
    this.pos += this.buf.write(value, this.pos, size, 'utf8');
    return this;
  }

  /** int32 element count; null as -1. Write the elements after it. */
  arrayLength(count: number | null): this {
    return this.int32(count === null ? -1 : count);
  }

  /** uvarint(count + 1); null as 0. */
  compactArrayLength(count: number | null): this {
    return this.uvarint(count === null ? 0 : count + 1);
  }

  /** A UUID as its 16 bytes, from the canonical `8-4-4-4-12` hex form (dashes optional). */
  uuid(value: string): this {
    const hex = value.replaceAll('-', '');
    if (hex.length !== 32 || !/^[0-9a-fA-F]{32}$/.test(hex)) {
      throw new FerryError(ErrorCode.INVALID_REQUEST, `not a UUID: ${JSON.stringify(value)}`);
    }
    this.ensure(16);
    this.pos += this.buf.write(hex, this.pos, 16, 'hex');
    return this;
  }
}

// ------------------------------------------------------------------------- BufferReader

export type ReaderErrorCode = typeof ErrorCode.INVALID_REQUEST | typeof ErrorCode.CORRUPT_MESSAGE;

/**
 * A bounds-checked cursor over `buf[start, end)`. Every read checks the bytes it needs first and
 * throws `FerryError(errorCode)` when they are missing or malformed, so a lying length in client
 * input is an error reply, never a RangeError or a read outside the window.
 *
 * `errorCode` is INVALID_REQUEST for request parsing (the client sent garbage) and CORRUPT_MESSAGE
 * for stored or fetched data (records, batches).
 *
 * Byte results (`bytes()`, `raw()`, ...) are **views** into `buf` (zero copy): copy them if they
 * must outlive a buffer that will be reused.
 */
export class BufferReader {
  readonly buf: Buffer;
  readonly errorCode: ReaderErrorCode;
  readonly end: number;
  private pos: number;

  constructor(buf: Buffer, errorCode: ReaderErrorCode = ErrorCode.CORRUPT_MESSAGE, start = 0, end = buf.length) {
    if (!(start >= 0 && start <= end && end <= buf.length)) {
      throw new FerryError(errorCode, `reader window [${start}, ${end}) is outside a buffer of ${buf.length} bytes`, {
        start,
        end,
        length: buf.length,
      });
    }
    this.buf = buf;
    this.errorCode = errorCode;
    this.pos = start;
    this.end = end;
  }

  /** Position of the next byte to read. */
  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws this reader's error code with `message`: for callers validating what they read. */
  fail(message: string, details?: Record<string, unknown>): never {
    throw new FerryError(this.errorCode, message, { offset: this.pos, ...details });
  }

  private need(bytes: number): void {
    if (bytes > this.end - this.pos) {
      this.fail(`truncated input: ${bytes} bytes needed at offset ${this.pos}, ${this.end - this.pos} left`, {
        needed: bytes,
        available: this.end - this.pos,
      });
    }
  }

  skip(bytes: number): this {
    if (!(bytes >= 0)) this.fail(`cannot skip ${bytes} bytes`);
    this.need(bytes);
    this.pos += bytes;
    return this;
  }

  /** Moves to an absolute position inside the window. */
  seek(offset: number): this {
    if (!(offset >= 0 && offset <= this.end)) this.fail(`cannot seek to ${offset}`);
    this.pos = offset;
    return this;
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  bool(): boolean {
    return this.uint8() !== 0;
  }

  int16(): number {
    this.need(2);
    const value = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  uint16(): number {
    this.need(2);
    const value = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  uint32(): number {
    this.need(4);
    const value = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  /** int64 as a `number`: exact to 2^53. */
  int64(): number {
    this.need(8);
    const value = this.buf.readInt32BE(this.pos) * TWO_POW_32 + this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return value;
  }

  bigInt64(): bigint {
    this.need(8);
    const value = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return value;
  }

  float64(): number {
    this.need(8);
    const value = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return value;
  }

  /** Unsigned varint of at most 5 bytes, as a uint32 (flexible versions). */
  uvarint(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= end) this.fail(`truncated varint at offset ${this.pos}`);
      const byte = buf[pos++]!;
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = pos;
        return result >>> 0;
      }
    }
    return this.fail(`varint longer than ${MAX_VARINT_BYTES} bytes at offset ${this.pos}`);
  }

  /** Zigzag varint (int32), as Kafka records use for lengths and deltas. */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /**
   * Zigzag varlong (int64) as a `number`. Exact for |value| <= 2^53: the magnitude is accumulated
   * without the sign bit, so it never passes 2^53 before the sign is applied.
   */
  varlong(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    if (pos >= end) this.fail(`truncated varlong at offset ${this.pos}`);
    const first = buf[pos++]!;
    const negative = (first & 1) === 1;
    let half = (first & 0x7f) >>> 1;
    if (first >= 0x80) {
      let scale = 64;
      let bytes = 1;
      for (;;) {
        if (pos >= end) this.fail(`truncated varlong at offset ${this.pos}`);
        if (++bytes > MAX_VARLONG_BYTES) this.fail(`varlong longer than ${MAX_VARLONG_BYTES} bytes at offset ${this.pos}`);
        const byte = buf[pos++]!;
        half += (byte & 0x7f) * scale;
        if (byte < 0x80) break;
        scale *= 128;
      }
    }
    this.pos = pos;
    return negative ? -half - 1 : half;
  }

  /** `length` raw bytes, as a view. */
  raw(length: number): Buffer {
    if (!(length >= 0)) this.fail(`negative length ${length}`);
    this.need(length);
    const start = this.pos;
    this.pos += length;
    return this.buf.subarray(start, this.pos);
  }

  private lengthOrNull(length: number): Buffer | null {
    if (length === -1) return null;
    if (length < -1) this.fail(`invalid length ${length}`, { length });
    return this.raw(length);
  }

  /** int32 length + bytes; -1 is null. */
  nullableBytes(): Buffer | null {
    return this.lengthOrNull(this.int32());
  }

  bytes(): Buffer {
    return this.nullableBytes() ?? this.fail('unexpected null bytes');
  }

  /** zigzag varint length + bytes; -1 is null. */
  nullableVarintBytes(): Buffer | null {
    return this.lengthOrNull(this.varint());
  }

  varintBytes(): Buffer {
    return this.nullableVarintBytes() ?? this.fail('unexpected null bytes');
  }

  /** uvarint(length + 1) + bytes; 0 is null. */
  nullableCompactBytes(): Buffer | null {
    return this.lengthOrNull(this.uvarint() - 1);
  }

  compactBytes(): Buffer {
    return this.nullableCompactBytes() ?? this.fail('unexpected null bytes');
  }

  private utf8(length: number): string | null {
    if (length === -1) return null;
    if (length < -1) this.fail(`invalid string length ${length}`, { length });
    this.need(length);
    const start = this.pos;
    this.pos += length;
    return this.buf.toString('utf8', start, this.pos);
  }

  /** int16 length + UTF-8; -1 is null. */
  nullableString(): string | null {
    return this.utf8(this.int16());
  }

  string(): string {
    return this.nullableString() ?? this.fail('unexpected null string');
  }

  nullableVarintString(): string | null {
    return this.utf8(this.varint());
  }

  varintString(): string {
    return this.nullableVarintString() ?? this.fail('unexpected null string');
  }

  nullableCompactString(): string | null {
    return this.utf8(this.uvarint() - 1);
  }

  compactString(): string {
    return this.nullableCompactString() ?? this.fail('unexpected null string');
  }

  /**
   * int32 element count; -1 is null. A count larger than the bytes left (each element takes at
   * least `minElementBytes`) is an error here, so no caller pre-allocates for a lying count.
   */
  nullableArrayLength(minElementBytes = 1): number | null {
    return this.checkCount(this.int32(), minElementBytes);
  }

  arrayLength(minElementBytes = 1): number {
    return this.nullableArrayLength(minElementBytes) ?? this.fail('unexpected null array');
  }

  /** uvarint(count + 1); 0 is null. */
  nullableCompactArrayLength(minElementBytes = 1): number | null {
    return this.checkCount(this.uvarint() - 1, minElementBytes);
  }

  compactArrayLength(minElementBytes = 1): number {
    return this.nullableCompactArrayLength(minElementBytes) ?? this.fail('unexpected null array');
  }

  private checkCount(count: number, minElementBytes: number): number | null {
    if (count === -1) return null;
    if (count < -1) this.fail(`invalid array length ${count}`, { count });
    if (count * minElementBytes > this.end - this.pos) {
      this.fail(`array of ${count} elements cannot fit in the ${this.end - this.pos} bytes left`, { count });
    }
    return count;
  }

  /** 16 bytes as a lower-case `8-4-4-4-12` UUID string. */
  uuid(): string {
    this.need(16);
    const buf = this.buf;
    let out = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
      const byte = buf[this.pos + i]!;
      out += HEX[byte >>> 4]! + HEX[byte & 0x0f]!;
    }
    this.pos += 16;
    return out;
  }
}
