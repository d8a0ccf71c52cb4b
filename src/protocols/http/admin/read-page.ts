import type { BrokerApi } from '../../../broker/types.ts';
import { decodeRecordBatches, type Record as StoredRecord } from '../../../common/record-batch.ts';
import { recordBytes } from './record-json.ts';

export interface PageRequest {
  topic: string;
  partition: number;
  /** First offset wanted; default the log start. */
  offset: number | undefined;
  limit: number;
  maxBytes: number;
}

export interface Page {
  logStartOffset: number;
  highWatermark: number;
  /** Where the next page starts (the high watermark once everything was read). */
  nextOffset: number;
  records: StoredRecord[];
}

/**
 * Reads up to `limit` records from `offset` through the broker's fetch (no long poll), the same
 * path consumers take, so a peek sees what a consumer would. Fetches go on until the page is
 * full, the byte budget is spent or the high watermark is reached; each fetch asks for the bytes
 * still in the budget, and the broker returns at least one whole batch, so a page always moves on.
 */
export async function readPage(broker: BrokerApi, request: PageRequest): Promise<Page> {
  const { topic, partition, limit } = request;
  const records: StoredRecord[] = [];
  let bytesLeft = request.maxBytes;
  let next = request.offset ?? -1;
  let logStartOffset = 0;
  let highWatermark = 0;
  for (;;) {
    if (next < 0) next = (await broker.listOffset(topic, partition, -2)).offset;
    const [result] = await broker.fetch({
      partitions: [{ topic, partition, offset: next, maxBytes: Math.max(1, bytesLeft) }],
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: Math.max(1, bytesLeft),
    });
    if (result === undefined) break;
    if (result.error) throw result.error;
    logStartOffset = result.logStartOffset;
    highWatermark = result.highWatermark;
    let isFull = false;
    const before = next;
    for (const batch of decodeRecordBatches(result.records)) {
      if (batch.isControl) {
        next = Math.max(next, batch.header.baseOffset + batch.header.lastOffsetDelta + 1);
        continue;
      }
      for (const record of batch.records) {
        if (record.offset < next) continue;
        const size = recordBytes(record);
        if (records.length >= limit || (records.length > 0 && size > bytesLeft)) {
          isFull = true;
          break;
        }
        records.push(record);
        bytesLeft -= size;
        next = record.offset + 1;
      }
      if (isFull) break;
    }
    if (isFull || records.length >= limit || bytesLeft <= 0 || next >= highWatermark || next === before) break;
  }
  return { logStartOffset, highWatermark, nextOffset: next, records };
}
