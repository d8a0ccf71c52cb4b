import type { FerryError } from '../../../common/errors.ts';
import type { ApiSpec } from '../codec.ts';
import { ApiKey } from '../constants.ts';

export type IsolationLevel = 'read_uncommitted' | 'read_committed';

export interface FetchPartitionRequest {
  topic: string;
  partition: number;
  offset: number;
  /** Per-partition byte budget (at least one whole batch comes back regardless). */
  maxBytes: number;
}

export interface FetchRequest {
  /** Long poll: wait up to this long for `minBytes`. */
  maxWaitMs: number;
  minBytes: number;
  /** Whole-response byte budget. */
  maxBytes: number;
  isolationLevel: IsolationLevel;
  partitions: FetchPartitionRequest[];
}

export interface FetchPartitionResult {
  topic: string;
  partition: number;
  error: FerryError | null;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** Whole stored batches; the first may start below the requested offset. */
  records: Buffer;
}

export interface FetchResponse {
  partitions: FetchPartitionResult[];
}

export const fetchApi: ApiSpec<FetchRequest, FetchResponse> = {
  key: ApiKey.fetch,
  name: 'Fetch',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.u32(req.maxWaitMs)
      .u32(req.minBytes)
      .u32(req.maxBytes)
      .u8(req.isolationLevel === 'read_committed' ? 1 : 0);
    w.array(req.partitions, (w, p) => w.string(p.topic).i32(p.partition).i64(p.offset).u32(p.maxBytes));
  },
  decodeRequest(r) {
    const maxWaitMs = r.u32();
    const minBytes = r.u32();
    const maxBytes = r.u32();
    const isolationLevel: IsolationLevel = r.bool() ? 'read_committed' : 'read_uncommitted';
    const partitions = r.array((r) => ({ topic: r.string(), partition: r.i32(), offset: r.i64(), maxBytes: r.u32() }), 18);
    return { maxWaitMs, minBytes, maxBytes, isolationLevel, partitions };
  },
  encodeResponse(w, res) {
    w.array(res.partitions, (w, p) => {
      w.string(p.topic).i32(p.partition).error(p.error);
      w.i64(p.highWatermark).i64(p.lastStableOffset).i64(p.logStartOffset).bytes(p.records);
    });
  },
  decodeResponse(r) {
    return {
      partitions: r.array(
        (r) => ({
          topic: r.string(),
          partition: r.i32(),
          error: r.error(),
          highWatermark: r.i64(),
          lastStableOffset: r.i64(),
          logStartOffset: r.i64(),
          records: r.bytes(),
        }),
        36,
      ),
    };
  },
};
