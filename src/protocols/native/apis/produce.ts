import { ErrorCode, FerryError } from '../../../common/errors.ts';
import type { ApiSpec } from '../codec.ts';
import { ApiKey } from '../constants.ts';

/** 0: no answer (send the frame with the noResponse flag); 1: leader wrote it; -1: all in-sync replicas. */
export type Acks = 0 | 1 | -1;

export interface ProducePartitionData {
  topic: string;
  partition: number;
  /** One or more whole RecordBatch v2 back to back, exactly as the broker stores them. */
  records: Buffer;
}

export interface ProduceRequest {
  acks: Acks;
  timeoutMs: number;
  partitions: ProducePartitionData[];
}

export interface ProducePartitionResult {
  topic: string;
  partition: number;
  error: FerryError | null;
  /** -1 when `error` is set. */
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  /** An idempotent retry matched batches already written (nothing new was appended). */
  isDuplicate: boolean;
}

export interface ProduceResponse {
  partitions: ProducePartitionResult[];
}

function readAcks(value: number): Acks {
  if (value === 0 || value === 1 || value === -1) return value;
  throw new FerryError(ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, got ${value}`);
}

export const produceApi: ApiSpec<ProduceRequest, ProduceResponse> = {
  key: ApiKey.produce,
  name: 'Produce',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.i8(req.acks).u32(req.timeoutMs);
    w.array(req.partitions, (w, p) => w.string(p.topic).i32(p.partition).bytes(p.records));
  },
  decodeRequest(r) {
    const acks = readAcks(r.i8());
    const timeoutMs = r.u32();
    const partitions = r.array((r) => ({ topic: r.string(), partition: r.i32(), records: r.bytes() }), 10);
    return { acks, timeoutMs, partitions };
  },
  encodeResponse(w, res) {
    w.array(res.partitions, (w, p) => {
      w.string(p.topic).i32(p.partition).error(p.error);
      w.i64(p.baseOffset).i64(p.logAppendTimeMs).i64(p.logStartOffset).bool(p.isDuplicate);
    });
  },
  decodeResponse(r) {
    return {
      partitions: r.array(
        (r) => ({
          topic: r.string(),
          partition: r.i32(),
          error: r.error(),
          baseOffset: r.i64(),
          logAppendTimeMs: r.i64(),
          logStartOffset: r.i64(),
          isDuplicate: r.bool(),
        }),
        33,
      ),
    };
  },
};

export interface InitProducerIdRequest {
  transactionalId: string | null;
  /** -1 for a new producer; the current id and epoch to bump the epoch. */
  producerId: number;
  producerEpoch: number;
}

export interface InitProducerIdResponse {
  producerId: number;
  producerEpoch: number;
}

export const initProducerIdApi: ApiSpec<InitProducerIdRequest, InitProducerIdResponse> = {
  key: ApiKey.initProducerId,
  name: 'InitProducerId',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.nullableString(req.transactionalId).i64(req.producerId).i16(req.producerEpoch);
  },
  decodeRequest(r) {
    return { transactionalId: r.nullableString(), producerId: r.i64(), producerEpoch: r.i16() };
  },
  encodeResponse(w, res) {
    w.i64(res.producerId).i16(res.producerEpoch);
  },
  decodeResponse(r) {
    return { producerId: r.i64(), producerEpoch: r.i16() };
  },
};
