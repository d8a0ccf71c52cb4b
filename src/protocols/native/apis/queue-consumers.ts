import type { FerryError } from '../../../common/errors.ts';
import type { ApiSpec } from '../codec.ts';
import { ApiKey } from '../constants.ts';
import {
  type PartitionOffsets,
  readCreateOptions,
  readPartitionOffsets,
  type SubscriptionCreateOptions,
  type SubscriptionMode,
  writeCreateOptions,
  writePartitionOffsets,
} from './queue-types.ts';

/**
 * Queue consumers (protocol v2): Subscribe makes a consumer handle on this connection; the
 * server then pushes its deliveries (apis/queue-push.ts) and the client settles them by handle,
 * partition and offset. Handles die with the connection.
 */

export interface SubscribeRequest {
  topic: string;
  subscription: string;
  mode: SubscriptionMode;
  /** -1: the broker's default. */
  prefetch: number;
  /** -1: the subscription's. */
  ackTimeoutMs: number;
  consumerId: string | null;
  createIfMissing: boolean;
  /** Options used when this call creates the subscription. */
  create: SubscriptionCreateOptions;
}

export interface SubscribeResponse {
  /** Names this consumer in later requests and in push frames; unique per connection. */
  handle: number;
  consumerId: string;
}

export const subscribeApi: ApiSpec<SubscribeRequest, SubscribeResponse> = {
  key: ApiKey.subscribe,
  name: 'Subscribe',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.topic).string(req.subscription).string(req.mode).i32(req.prefetch).i64(req.ackTimeoutMs);
    w.nullableString(req.consumerId).bool(req.createIfMissing);
    writeCreateOptions(w, req.create);
  },
  decodeRequest(r) {
    return {
      topic: r.string(),
      subscription: r.string(),
      mode: r.string() as SubscriptionMode,
      prefetch: r.i32(),
      ackTimeoutMs: r.i64(),
      consumerId: r.nullableString(),
      createIfMissing: r.bool(),
      create: readCreateOptions(r),
    };
  },
  encodeResponse(w, res) {
    w.u32(res.handle).string(res.consumerId);
  },
  decodeResponse(r) {
    return { handle: r.u32(), consumerId: r.string() };
  },
};

export const unsubscribeApi: ApiSpec<{ handle: number }, Record<string, never>> = {
  key: ApiKey.unsubscribe,
  name: 'Unsubscribe',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.u32(req.handle);
  },
  decodeRequest(r) {
    return { handle: r.u32() };
  },
  encodeResponse() {},
  decodeResponse() {
    return {};
  },
};

/** Per-partition outcome of Ack, Nack and ExtendDeadline: one bad partition fails alone. */
export interface SettleResponse {
  partitions: { partition: number; error: FerryError | null }[];
}

function writeSettle(w: Parameters<ApiSpec<unknown, SettleResponse>['encodeResponse']>[0], res: SettleResponse): void {
  w.array(res.partitions, (w, p) => w.i32(p.partition).error(p.error));
}

function readSettle(r: Parameters<ApiSpec<unknown, SettleResponse>['decodeResponse']>[0]): SettleResponse {
  return { partitions: r.array((r) => ({ partition: r.i32(), error: r.error() }), 6) };
}

export interface AckRequest {
  handle: number;
  partitions: PartitionOffsets[];
}

/** Answered once the acks are durable (the broker's group commit). */
export const ackApi: ApiSpec<AckRequest, SettleResponse> = {
  key: ApiKey.ack,
  name: 'Ack',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.u32(req.handle);
    writePartitionOffsets(w, req.partitions);
  },
  decodeRequest(r) {
    return { handle: r.u32(), partitions: readPartitionOffsets(r) };
  },
  encodeResponse: writeSettle,
  decodeResponse: readSettle,
};

export interface NackRequest {
  handle: number;
  /** -1: the subscription's backoff. */
  delayMs: number;
  partitions: PartitionOffsets[];
}

export const nackApi: ApiSpec<NackRequest, SettleResponse> = {
  key: ApiKey.nack,
  name: 'Nack',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.u32(req.handle).i64(req.delayMs);
    writePartitionOffsets(w, req.partitions);
  },
  decodeRequest(r) {
    return { handle: r.u32(), delayMs: r.i64(), partitions: readPartitionOffsets(r) };
  },
  encodeResponse: writeSettle,
  decodeResponse: readSettle,
};

export interface ExtendDeadlineRequest {
  handle: number;
  extendMs: number;
  partitions: PartitionOffsets[];
}

export const extendDeadlineApi: ApiSpec<ExtendDeadlineRequest, SettleResponse> = {
  key: ApiKey.extendDeadline,
  name: 'ExtendDeadline',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.u32(req.handle).i64(req.extendMs);
    writePartitionOffsets(w, req.partitions);
  },
  decodeRequest(r) {
    return { handle: r.u32(), extendMs: r.i64(), partitions: readPartitionOffsets(r) };
  },
  encodeResponse: writeSettle,
  decodeResponse: readSettle,
};

export const setPrefetchApi: ApiSpec<{ handle: number; prefetch: number }, Record<string, never>> = {
  key: ApiKey.setPrefetch,
  name: 'SetPrefetch',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.u32(req.handle).i32(req.prefetch);
  },
  decodeRequest(r) {
    return { handle: r.u32(), prefetch: r.i32() };
  },
  encodeResponse() {},
  decodeResponse() {
    return {};
  },
};
