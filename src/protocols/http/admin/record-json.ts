import { ErrorCode, FerryError } from '../../../common/errors.ts';
import type { Record as StoredRecord } from '../../../common/record-batch.ts';

export type BinaryEncoding = 'utf8' | 'base64';

/** A record as JSON: bytes that are valid UTF-8 are shown as text, anything else as base64. */
export interface RecordJson {
  offset: number;
  timestamp: number;
  key: string | null;
  keyEncoding: BinaryEncoding;
  value: string | null;
  valueEncoding: BinaryEncoding;
  headers: { key: string; value: string | null; valueEncoding: BinaryEncoding }[];
}

// `fatal` makes invalid UTF-8 throw instead of turning into U+FFFD, which would lose bytes.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes as JSON text: UTF-8 when that round-trips exactly, else base64 (`encoding` forces one). */
export function bytesToJson(bytes: Buffer | null, encoding?: BinaryEncoding): { text: string | null; encoding: BinaryEncoding } {
  if (bytes === null) return { text: null, encoding: encoding ?? 'utf8' };
  if (encoding !== 'base64') {
    try {
      return { text: strictUtf8.decode(bytes), encoding: 'utf8' };
    } catch {
      // Not UTF-8: fall through to base64 even when utf8 was asked for, rather than mangle it.
    }
  }
  return { text: bytes.toString('base64'), encoding: 'base64' };
}

export function recordToJson(record: StoredRecord, encoding?: BinaryEncoding): RecordJson {
  const key = bytesToJson(record.key, encoding);
  const value = bytesToJson(record.value, encoding);
  return {
    offset: record.offset,
    timestamp: record.timestamp,
    key: key.text,
    keyEncoding: key.encoding,
    value: value.text,
    valueEncoding: value.encoding,
    headers: record.headers.map((header) => {
      const headerValue = bytesToJson(header.value, encoding);
      return { key: header.key, value: headerValue.text, valueEncoding: headerValue.encoding };
    }),
  };
}

/** Bytes a record holds, for the page's byte budget. */
export function recordBytes(record: StoredRecord): number {
  let bytes = (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const header of record.headers) bytes += header.key.length + (header.value?.length ?? 0);
  return bytes;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** JSON text from a produce request as bytes; null stays null (a tombstone value). Node's base64
 *  decoder skips characters it does not know, so bad base64 is refused here, not half-decoded. */
export function jsonToBytes(text: string | null | undefined, encoding: BinaryEncoding, field: string): Buffer | null {
  if (text === null || text === undefined) return null;
  if (encoding === 'base64' && (text.length % 4 !== 0 || !BASE64.test(text))) {
    throw new FerryError(ErrorCode.INVALID_REQUEST, `${field} is not valid base64`, { field });
  }
  return Buffer.from(text, encoding);
}
