import type { FerryError } from '../../../common/errors.ts';
import type { ApiSpec } from '../codec.ts';
import { ApiKey } from '../constants.ts';

/** Kafka's special timestamps: -1 latest (high watermark), -2 earliest (log start). */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export interface ListOffsetsRequest {
  partitions: { topic: string; partition: number; timestamp: number }[];
}

export interface ListOffsetsPartitionResult {
  topic: string;
  partition: number;
  error: FerryError | null;
  /** -1 when none (no record at or after the timestamp) or on error. */
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

export const listOffsetsApi: ApiSpec<ListOffsetsRequest, { partitions: ListOffsetsPartitionResult[] }> = {
  key: ApiKey.listOffsets,
  name: 'ListOffsets',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.array(req.partitions, (w, p) => w.string(p.topic).i32(p.partition).i64(p.timestamp));
  },
  decodeRequest(r) {
    return { partitions: r.array((r) => ({ topic: r.string(), partition: r.i32(), timestamp: r.i64() }), 14) };
  },
  encodeResponse(w, res) {
    w.array(res.partitions, (w, p) => w.string(p.topic).i32(p.partition).error(p.error).i64(p.offset).i64(p.timestamp).i32(p.leaderEpoch));
  },
  decodeResponse(r) {
    return {
      partitions: r.array(
        (r) => ({ topic: r.string(), partition: r.i32(), error: r.error(), offset: r.i64(), timestamp: r.i64(), leaderEpoch: r.i32() }),
        26,
      ),
    };
  },
};

export interface DeleteRecordsRequest {
  partitions: { topic: string; partition: number; beforeOffset: number }[];
}

export interface DeleteRecordsPartitionResult {
  topic: string;
  partition: number;
  error: FerryError | null;
  /** The new log start offset. */
  logStartOffset: number;
}

export const deleteRecordsApi: ApiSpec<DeleteRecordsRequest, { partitions: DeleteRecordsPartitionResult[] }> = {
  key: ApiKey.deleteRecords,
  name: 'DeleteRecords',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.array(req.partitions, (w, p) => w.string(p.topic).i32(p.partition).i64(p.beforeOffset));
  },
  decodeRequest(r) {
    return { partitions: r.array((r) => ({ topic: r.string(), partition: r.i32(), beforeOffset: r.i64() }), 14) };
  },
  encodeResponse(w, res) {
    w.array(res.partitions, (w, p) => w.string(p.topic).i32(p.partition).error(p.error).i64(p.logStartOffset));
  },
  decodeResponse(r) {
    return { partitions: r.array((r) => ({ topic: r.string(), partition: r.i32(), error: r.error(), logStartOffset: r.i64() }), 16) };
  },
};
