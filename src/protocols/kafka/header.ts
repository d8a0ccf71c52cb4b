import type { BufferReader } from '../../common/binary.ts';
import { BufferWriter } from '../../common/binary.ts';
import { ErrorCode, FerryError } from '../../common/errors.ts';
import { ApiKey } from './protocol/api.ts';
import { requestReader } from './protocol/types.ts';

/**
 * Request header (RequestHeader.json): apiKey, apiVersion, correlationId in every version;
 * clientId (int16 nullable string, never compact) from v1; tagged fields from v2, which is the
 * header of every flexible request version. The first three fields are read before the API is
 * known, so an unknown key or version can still be answered or logged with its correlation id.
 */
export interface RequestPrefix {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

export interface RequestHeader extends RequestPrefix {
  clientId: string | null;
  /** The body, a view of the frame. */
  body: Buffer;
}

export function readRequestPrefix(frame: Buffer): RequestPrefix {
  if (frame.length < 8) throw new FerryError(ErrorCode.INVALID_REQUEST, `request of ${frame.length} bytes has no header`);
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

/** Reads the rest of the header: `isFlexible` says whether this API version uses header v2. */
export function readRequestHeader(frame: Buffer, prefix: RequestPrefix, isFlexible: boolean): RequestHeader {
  const r = requestReader(frame, 8);
  const clientId = r.nullableString();
  if (isFlexible) skipTaggedFields(r);
  return { ...prefix, clientId, body: frame.subarray(r.offset) };
}

function skipTaggedFields(r: BufferReader): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    r.uvarint();
    r.skip(r.uvarint());
  }
}

/**
 * Size prefix + response header: correlationId, then (header v1, flexible versions) an empty
 * tagged-field section. ApiVersions always answers with header v0 so a client can parse it before
 * it knows which versions the broker speaks.
 */
export function encodeResponseHeader(apiKey: number, isFlexible: boolean, correlationId: number, bodyBytes: number): Buffer {
  const hasTaggedFields = isFlexible && apiKey !== ApiKey.ApiVersions;
  const w = new BufferWriter(16);
  w.int32(4 + (hasTaggedFields ? 1 : 0) + bodyBytes);
  w.int32(correlationId);
  if (hasTaggedFields) w.uvarint(0);
  return w.toBuffer();
}
