import { forEachRecord } from '../common/record-batch.ts';
import { Attribute, BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, BatchField } from '../common/record-batch-header.ts';
import type { FetchedChunk } from './fetcher.ts';
import type { ConsumerMessage } from './records.ts';

/**
 * The messages of one fetched chunk, from its requested offset on. Batches are decoded when the
 * application reaches them (one reused record view per scan, src/common/record-batch.ts); keys,
 * values and headers are views into the fetched bytes, not copies. Control batches (transaction
 * markers) carry no user records and are skipped.
 */
export function decodeChunk(chunk: FetchedChunk): ConsumerMessage[] {
  const { records, fromOffset } = chunk;
  const { topic, partition } = chunk.state;
  const messages: ConsumerMessage[] = [];
  let at = 0;
  while (records.length - at >= BATCH_HEADER_BYTES) {
    const sizeBytes = records.readInt32BE(at + BatchField.batchLength) + BATCH_LOG_OVERHEAD;
    if (sizeBytes < BATCH_HEADER_BYTES || at + sizeBytes > records.length) break;
    const isControl = (records.readInt16BE(at + BatchField.attributes) & Attribute.control) !== 0;
    if (!isControl) {
      forEachRecord(
        records,
        (view) => {
          if (view.offset < fromOffset) return;
          let headers: Record<string, Buffer | null> = EMPTY_HEADERS;
          if (view.headerCount > 0) {
            headers = {};
            for (const header of view.headers()) headers[header.key] = header.value;
          }
          messages.push({
            topic,
            partition,
            offset: view.offset,
            timestamp: view.timestamp,
            key: view.key(),
            value: view.value(),
            headers,
          });
        },
        at,
      );
    }
    at += sizeBytes;
  }
  return messages;
}

const EMPTY_HEADERS: Record<string, Buffer | null> = Object.freeze({}) as Record<string, Buffer | null>;
