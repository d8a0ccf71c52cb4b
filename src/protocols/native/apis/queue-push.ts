import { ErrorCode, FerryError } from '../../../common/errors.ts';
import type { RecordHeader } from '../../../common/record-batch.ts';
import type { EncodedFrame } from '../codec.ts';
import { FrameType, PushKey } from '../constants.ts';
import { encodeFrameHeader } from '../frames.ts';
import { WireReader, WireWriter } from '../wire.ts';

/**
 * Push frames of protocol v2 (type 3, correlation id 0; `apiKey` holds a PushKey, `apiVersion`
 * the layout version, 1). Pure codec: the session encodes, the client decodes.
 *
 * QueueDelivery body: `handle u32, messages [partition i32, offset i64, timestamp i64,
 * deliveryCount i32, key bytes?, value bytes?, headers [key string, value bytes?]]`. One push per
 * batch the broker hands the consumer; values of 4 KiB and more are referenced, not copied.
 *
 * QueueConsumerClosed body: `handle u32, reason string`.
 */

export const PUSH_VERSION = 1;

/** One delivered record as it crosses the wire (the broker's QueueMessage shape). */
export interface PushedMessage {
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  deliveryCount: number;
}

export interface QueueDeliveryPush {
  handle: number;
  messages: PushedMessage[];
}

function pushFrame(key: number, body: Buffer[]): EncodedFrame {
  let bytes = 0;
  for (const part of body) bytes += part.length;
  return [encodeFrameHeader({ type: FrameType.push, apiKey: key, apiVersion: PUSH_VERSION, correlationId: 0, flags: 0 }, bytes), ...body];
}

/** Values at least this large are referenced from the broker's buffers rather than copied. */
const ZERO_COPY_VALUE_BYTES = 4096;

export function encodeDeliveryPush(handle: number, messages: readonly PushedMessage[]): EncodedFrame {
  // Fast path (the usual case): size the body exactly, then one allocation and straight writes.
  let bodyBytes = 8;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.value !== null && m.value.length >= ZERO_COPY_VALUE_BYTES) return encodeWithWriter(handle, messages);
    bodyBytes += MIN_MESSAGE_BYTES + (m.key === null ? 0 : m.key.length) + (m.value === null ? 0 : m.value.length);
    const headers = m.headers;
    for (let h = 0; h < headers.length; h++) {
      const header = headers[h]!;
      const keyBytes = Buffer.byteLength(header.key, 'utf8');
      if (keyBytes > 0x7fff) return encodeWithWriter(handle, messages); // refused there, with the error
      bodyBytes += 2 + keyBytes + 4 + (header.value === null ? 0 : header.value.length);
    }
  }
  const body = Buffer.allocUnsafe(bodyBytes);
  // Plain byte stores: Buffer#writeInt32BE's range checks were ~3% of the broker's CPU in the
  // network queue bench, and every size here was computed above.
  let at = putU32(body, 0, handle);
  at = putU32(body, at, messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    at = putU32(body, at, m.partition);
    at = putI64(body, at, m.offset);
    at = putI64(body, at, m.timestamp);
    at = putU32(body, at, m.deliveryCount);
    at = writeBlob(body, at, m.key);
    at = writeBlob(body, at, m.value);
    const headers = m.headers;
    at = putU32(body, at, headers.length);
    for (let h = 0; h < headers.length; h++) {
      const header = headers[h]!;
      const keyAt = at;
      at += 2;
      const keyBytes = body.write(header.key, at, 'utf8');
      body[keyAt] = keyBytes >>> 8;
      body[keyAt + 1] = keyBytes;
      at = writeBlob(body, at + keyBytes, header.value);
    }
  }
  return pushFrame(PushKey.queueDelivery, [body]);
}

/** Big-endian 32 bits (an int32 and a uint32 have the same bytes). */
function putU32(body: Buffer, at: number, value: number): number {
  body[at] = value >>> 24;
  body[at + 1] = value >>> 16;
  body[at + 2] = value >>> 8;
  body[at + 3] = value;
  return at + 4;
}

/** Big-endian int64 of a safe integer (two's complement for negatives, like writeInt64At). */
function putI64(body: Buffer, at: number, value: number): number {
  const high = Math.floor(value / 0x1_0000_0000);
  putU32(body, at, high);
  return putU32(body, at + 4, value - high * 0x1_0000_0000);
}

function writeBlob(body: Buffer, at: number, blob: Buffer | null): number {
  if (blob === null) return putU32(body, at, -1);
  at = putU32(body, at, blob.length);
  body.set(blob, at);
  return at + blob.length;
}

/** General path: large values are referenced, not copied; over-long strings are refused. */
function encodeWithWriter(handle: number, messages: readonly PushedMessage[]): EncodedFrame {
  const w = new WireWriter(64 + messages.length * 64);
  w.u32(handle).i32(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    w.i32(m.partition).i64(m.offset).i64(m.timestamp).i32(m.deliveryCount).nullableBytes(m.key).nullableBytes(m.value);
    const headers = m.headers;
    w.i32(headers.length);
    for (let h = 0; h < headers.length; h++) w.string(headers[h]!.key).nullableBytes(headers[h]!.value);
  }
  return pushFrame(PushKey.queueDelivery, w.finish());
}

/** Smallest encoding of one message: fixed fields, two null blobs, an empty header array. */
const MIN_MESSAGE_BYTES = 4 + 8 + 8 + 4 + 4 + 4 + 4;

/** Builds one delivered message from its fields: lets the client make its own message objects
 *  straight from the frame, with no intermediate object per record. */
export type MakePushedMessage<T> = (
  partition: number,
  offset: number,
  timestamp: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: RecordHeader[],
  deliveryCount: number,
) => T;

/** Shared by every message without headers (most of them): never mutated. */
const NO_HEADERS: RecordHeader[] = Object.freeze([]) as unknown as RecordHeader[];

const plainMessage: MakePushedMessage<PushedMessage> = (partition, offset, timestamp, key, value, headers, deliveryCount) => ({
  partition,
  offset,
  timestamp,
  key,
  value,
  headers,
  deliveryCount,
});

export function decodeDeliveryPush(body: Buffer): QueueDeliveryPush {
  return decodeDeliveryPushWith(body, plainMessage);
}

export function decodeDeliveryPushWith<T>(body: Buffer, make: MakePushedMessage<T>): { handle: number; messages: T[] } {
  try {
    const r = new WireReader(body);
    const handle = r.u32();
    const count = r.count(MIN_MESSAGE_BYTES);
    const messages = new Array<T>(count);
    for (let i = 0; i < count; i++) {
      const partition = r.i32();
      const offset = r.i64();
      const timestamp = r.i64();
      const deliveryCount = r.i32();
      const key = r.nullableBytes();
      const value = r.nullableBytes();
      const headerCount = r.count(6);
      let headers = NO_HEADERS;
      if (headerCount > 0) {
        headers = new Array<RecordHeader>(headerCount);
        for (let h = 0; h < headerCount; h++) headers[h] = { key: r.string(), value: r.nullableBytes() };
      }
      messages[i] = make(partition, offset, timestamp, key, value, headers, deliveryCount);
    }
    r.end();
    return { handle, messages };
  } catch (error) {
    throw asInvalid(error, 'malformed QueueDelivery push');
  }
}

export function encodeConsumerClosedPush(handle: number, reason: string): EncodedFrame {
  const w = new WireWriter(64);
  w.u32(handle).string(reason.length > 1024 ? `${reason.slice(0, 1023)}…` : reason);
  return pushFrame(PushKey.queueConsumerClosed, w.finish());
}

export function decodeConsumerClosedPush(body: Buffer): { handle: number; reason: string } {
  try {
    const r = new WireReader(body);
    const result = { handle: r.u32(), reason: r.string() };
    r.end();
    return result;
  } catch (error) {
    throw asInvalid(error, 'malformed QueueConsumerClosed push');
  }
}

function asInvalid(error: unknown, what: string): FerryError {
  if (error instanceof FerryError) return error;
  return new FerryError(ErrorCode.INVALID_REQUEST, `${what}: ${error instanceof Error ? error.message : String(error)}`);
}
